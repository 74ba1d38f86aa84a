"""An echo client built on endpoints: send messages, wait for each echo, print it.

Usage::

    python examples/echo_client.py [HOST:PORT] [MESSAGE ...]

With no address it starts ``echo_server.py``'s factory in this process first. The client
connects with ``TCP4ClientEndpoint`` + ``connectProtocol`` and is written as an
``inlineCallbacks`` generator driven by ``task.react``.
"""

from __future__ import annotations

import sys
from collections.abc import Generator
from typing import Any

from bridge import defer, endpoints, protocol, task


class EchoClient(protocol.Protocol):
    """Send one message at a time; :meth:`ask` returns a Deferred of the echoed bytes."""

    def connectionMade(self) -> None:
        self._buffer = b""
        self._expected = 0
        self._waiting: defer.Deferred[bytes] | None = None

    def ask(self, message: bytes) -> defer.Deferred[bytes]:
        self._expected = len(message)
        self._waiting = defer.Deferred()
        self.transport.write(message)
        return self._waiting

    def dataReceived(self, data: bytes) -> None:
        self._buffer += data
        if self._waiting is not None and len(self._buffer) >= self._expected:
            reply, self._buffer = self._buffer[: self._expected], self._buffer[self._expected :]
            d, self._waiting = self._waiting, None
            d.callback(reply)


@defer.inlineCallbacks
def run(reactor: Any, argv: list[str]) -> Generator[Any, Any, None]:
    if argv and ":" in argv[0]:
        host, _, port_text = argv[0].rpartition(":")
        port, messages = int(port_text), argv[1:]
        server = None
    else:
        from echo_server import make_factory

        server = reactor.listenTCP(0, make_factory(), interface="127.0.0.1")
        host, port, messages = "127.0.0.1", server.getHost().port, argv
    messages = messages or ["hello", "bridge", "echo " * 20]

    endpoint = endpoints.TCP4ClientEndpoint(reactor, host, port)
    client = yield endpoints.connectProtocol(endpoint, EchoClient())
    for message in messages:
        reply = yield client.ask(message.encode())
        print(f"sent {message!r:.40} -> echoed {reply.decode()!r:.40}")
        if reply != message.encode():
            raise RuntimeError(f"echo mismatch: {reply!r} != {message!r}")
    client.transport.loseConnection()
    if server is not None:
        yield server.stopListening()
    print(f"{len(messages)} messages echoed by {host}:{port}")


if __name__ == "__main__":
    task.react(run, (sys.argv[1:],))
