"""An echo server: every byte a client sends comes straight back.

Usage::

    python examples/echo_server.py [--port PORT]

It prints ``echo server listening on 127.0.0.1:PORT`` and serves until interrupted (Ctrl-C or
SIGTERM stop the reactor gracefully). Try it with ``echo_client.py`` or ``nc 127.0.0.1 PORT``.
"""

from __future__ import annotations

import argparse

from bridge import protocol


class Echo(protocol.Protocol):
    """Write back whatever arrives."""

    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)


def make_factory() -> protocol.Factory:
    """Return a factory that builds :class:`Echo` protocols."""
    return protocol.Factory.forProtocol(Echo)


def main(argv: list[str] | None = None) -> None:
    """Listen on 127.0.0.1 and run the reactor."""
    parser = argparse.ArgumentParser(description="Echo server")
    parser.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    args = parser.parse_args(argv)
    from bridge import reactor

    port = reactor.listenTCP(args.port, make_factory(), interface="127.0.0.1")
    print(f"echo server listening on 127.0.0.1:{port.getHost().port}", flush=True)
    reactor.run()
    print("echo server stopped", flush=True)


if __name__ == "__main__":
    main()
