"""``make demo``: slow poetry servers and the poetry client, end to end, on uvloop.

The demo installs bridge's reactor on a uvloop event loop (falling back to the stdlib loop,
with a note, if uvloop is missing), starts one slow poetry server per bundled poem, downloads
all poems at once with the Deferred-based client, prints them with their timings, then reads
them once more with the low-level ``addReader`` client and exits. A watchdog stops it after
30 seconds whatever happens, so it always terminates.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import time
from typing import Any

import bridge
from bridge import defer, error

WATCHDOG_SECONDS = 30.0


def choose_loop() -> str:
    """Install the reactor on uvloop unless a reactor was already chosen; return the loop's name."""
    backend = os.environ.get("BRIDGE_LOOP", "")
    if not backend:
        backend = "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"
        if backend == "asyncio":
            print("note: uvloop is not installed (pip install uvloop); using the stdlib loop")
    # BRIDGE_LOOP (set by you, or by `python -m bridge run --loop ...`) wins over our choice; a
    # reactor installed already (a wrapper script, a test) wins over both.
    with contextlib.suppress(error.ReactorAlreadyInstalledError):
        bridge.install(backend=backend)
    from bridge import reactor

    loop = getattr(reactor, "_loop", None)
    return f"{type(loop).__module__}.{type(loop).__qualname__}" if loop is not None else "?"


def main() -> int:
    loop_name = choose_loop()
    from get_poetry import get_poems
    from slowpoetry import POEMS, start_servers

    from bridge import reactor

    paths = sorted(POEMS.glob("*.txt"))
    servers = start_servers(paths, chunk_size=32, delay=0.02)
    addresses = [("127.0.0.1", port.getHost().port) for _, port in servers]
    print(f"bridge {bridge.__version__} on {loop_name}")
    for path, (host, port) in zip(paths, addresses, strict=True):
        print(f"slow poetry server for {path.name} on {host}:{port}")

    status: list[int] = []

    def stop(code: int) -> None:
        if not status:
            status.append(code)
            reactor.stop()

    def downloaded(results: list[Any]) -> None:
        failed = [r for ok, r in results if not ok]
        if failed:
            stop(1)
            return
        # Same servers, the lowest-level client: a socket registered with reactor.addReader.
        from socket_reader import PoetrySocket

        print("--- again, with the IReadDescriptor reader (reactor.addReader) ---")
        start = time.perf_counter()
        readers = [
            PoetrySocket(n, address, verbose=False) for n, address in enumerate(addresses, 1)
        ]

        def read_all(poems: list[bytes]) -> None:
            elapsed = time.perf_counter() - start
            size = sum(map(len, poems))
            print(f"addReader client: {len(poems)} poems, {size} bytes in {elapsed:.2f} s")
            stop(0 if all(poems) else 1)

        defer.gatherResults([r.finished for r in readers]).addCallback(read_all)

    def watchdog() -> None:
        print(f"demo: watchdog fired after {WATCHDOG_SECONDS} s", file=sys.stderr)
        stop(2)

    reactor.callLater(WATCHDOG_SECONDS, watchdog)
    get_poems(addresses).addCallback(downloaded)
    reactor.run()
    print("demo finished" if status == [0] else f"demo failed (status {status})")
    return status[0] if status else 1


if __name__ == "__main__":
    sys.exit(main())
