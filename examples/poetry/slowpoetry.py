"""A slow poetry server: it sends a poem a few bytes at a time, with a pause between chunks.

Each connection gets the whole poem, then the server closes the connection. The pauses are
``reactor.callLater`` calls, so one process serves any number of slow readers at once.

Run it on its own::

    python examples/poetry/slowpoetry.py examples/poetry/poems/*.txt

(one port per poem, chosen by the OS unless you pass ``--port``), or import
:func:`start_servers` from another program, as ``demo.py`` does.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bridge import protocol

POEMS = Path(__file__).resolve().parent / "poems"


class SlowPoetryProtocol(protocol.Protocol):
    """Send the factory's poem in ``chunk_size`` pieces, ``delay`` seconds apart, then hang up."""

    factory: SlowPoetryFactory

    def connectionMade(self) -> None:
        self._offset = 0
        self._pending: Any = None
        self._send_next_chunk()

    def _send_next_chunk(self) -> None:
        from bridge import reactor

        self._pending = None
        factory = self.factory
        chunk = factory.poem[self._offset : self._offset + factory.chunk_size]
        if not chunk:
            self.transport.loseConnection()
            return
        self.transport.write(chunk)
        self._offset += len(chunk)
        self._pending = reactor.callLater(factory.delay, self._send_next_chunk)

    def connectionLost(self, reason: object = None) -> None:
        # The reader went away early: forget the next chunk instead of writing to a dead transport.
        if self._pending is not None and self._pending.active():
            self._pending.cancel()
        self._pending = None


class SlowPoetryFactory(protocol.ServerFactory):
    """Serve one poem (bytes) to everybody who connects."""

    protocol = SlowPoetryProtocol

    def __init__(self, poem: bytes, chunk_size: int = 24, delay: float = 0.02) -> None:
        self.poem = poem
        self.chunk_size = chunk_size
        self.delay = delay


def start_servers(
    paths: list[Path], port: int = 0, chunk_size: int = 24, delay: float = 0.02
) -> list[tuple[Path, Any]]:
    """Listen on 127.0.0.1 for each poem file; return ``(path, listening port)`` pairs.

    With ``port=0`` every poem gets a free port; otherwise poem *i* is served on ``port + i``.
    """
    from bridge import reactor

    servers = []
    for i, path in enumerate(paths):
        factory = SlowPoetryFactory(path.read_bytes(), chunk_size, delay)
        listening = reactor.listenTCP(port + i if port else 0, factory, interface="127.0.0.1")
        servers.append((path, listening))
    return servers


def main(argv: list[str] | None = None) -> None:
    """Serve the poems named on the command line (the bundled ones by default) until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "poems", nargs="*", type=Path, help="poem files (default: the bundled ones)"
    )
    parser.add_argument("--port", type=int, default=0, help="first port (default: any free port)")
    parser.add_argument("--chunk", type=int, default=24, help="bytes per chunk")
    parser.add_argument("--delay", type=float, default=0.1, help="seconds between chunks")
    args = parser.parse_args(argv)
    paths = args.poems or sorted(POEMS.glob("*.txt"))

    from bridge import reactor

    for path, listening in start_servers(paths, args.port, args.chunk, args.delay):
        print(f"Serving {path.name} on 127.0.0.1:{listening.getHost().port}", flush=True)
    reactor.run()


if __name__ == "__main__":
    main()
