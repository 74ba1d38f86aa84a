"""Switch the event loop under bridge: stdlib asyncio or uvloop, same program.

Three ways to choose, first match wins:

1. ``bridge.install(backend="uvloop")`` (or ``"asyncio"``) before first use of the reactor;
2. ``bridge.install(uvloop.new_event_loop())``: bring your own loop object;
3. the ``BRIDGE_LOOP`` environment variable (``BRIDGE_LOOP=uvloop python app.py``), read when
   the reactor is created on first use; ``python -m bridge run --loop uvloop app.py`` sets it.

Usage::

    python examples/uvloop_switch.py [--loop asyncio|uvloop]

It installs the reactor on the chosen loop, runs a timer and a TCP round trip, and prints
which loop class ran them.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Generator
from typing import Any

import bridge
from bridge import defer, endpoints, protocol, task


class Echo(protocol.Protocol):
    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)


class Ping(protocol.Protocol):
    def __init__(self) -> None:
        self.pong: defer.Deferred[bytes] = defer.Deferred()

    def connectionMade(self) -> None:
        self.transport.write(b"ping")

    def dataReceived(self, data: bytes) -> None:
        self.pong.callback(data)
        self.transport.loseConnection()


@defer.inlineCallbacks
def main(reactor: Any) -> Generator[Any, Any, None]:
    loop = reactor._loop  # the asyncio loop under the reactor
    print(f"reactor {type(reactor).__name__} on {type(loop).__module__}.{type(loop).__name__}")
    start = time.perf_counter()
    yield task.deferLater(reactor, 0.01, lambda: None)
    print(f"callLater(0.01) fired after {(time.perf_counter() - start) * 1000:.1f} ms")
    port = reactor.listenTCP(0, protocol.Factory.forProtocol(Echo), interface="127.0.0.1")
    endpoint = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port)
    client = yield endpoints.connectProtocol(endpoint, Ping())
    reply = yield client.pong
    print(f"TCP round trip: sent b'ping', got {reply!r}")
    yield port.stopListening()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Run the same program on asyncio or uvloop")
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default=None)
    args = parser.parse_args()
    if args.loop is not None:
        try:
            bridge.install(backend=args.loop)
        except ImportError as exc:  # uvloop asked for but not installed
            sys.exit(f"uvloop_switch: {exc}")
    task.react(main)
