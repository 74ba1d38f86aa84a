"""Framing benchmark: bridge.basic parsers beside twisted.protocols.basic, in one pyperf run.

Pure parsing, no event loop: each benchmark builds a protocol on a throw-away transport and
feeds it a prepared stream, cut into chunks of a given size. Times are the process's CPU time
(``time.process_time``), which a busy shared machine disturbs far less than wall time.
Scenarios:

* ``line-1line``:   20,000 lines of 40 bytes, one line per ``dataReceived`` (LineReceiver)
* ``line-64k``:     the same stream in 64 KiB chunks
* ``line-1byte``:   200 lines of 200 bytes, one byte per ``dataReceived``
* ``lineonly-1line``: the one-line chunks through LineOnlyReceiver
* ``lineonly-64k``: the 64 KiB stream through LineOnlyReceiver
* ``int32-1frame``: 20,000 frames of 100 bytes, one frame per ``dataReceived`` (Int32)
* ``int32-64k``:    the same stream in 64 KiB chunks
* ``int32-big``:    one 1 MiB frame in 4 KiB chunks
* ``netstring-1str``: 20,000 netstrings of 100 bytes, one per ``dataReceived``
* ``netstring-64k``: the same stream in 64 KiB chunks

Usage::

    python benchmarks/bench_basic.py --fast                # both implementations, ratios
    python benchmarks/bench_basic.py --impl bridge -o basic.json
    python benchmarks/bench_basic.py --list-impls

``--impl`` accepts ``bridge`` and ``twisted`` (``bridge-asyncio``/``bridge-uvloop`` and
``twisted-epoll``/``twisted-asyncio`` are aliases: parsing does not touch the loop). Other
options go to pyperf. When both run, the ratios (Twisted time / bridge time, so >1 means
bridge is faster) are printed at the end.
"""

from __future__ import annotations

import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyperf

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

IMPLS = ["bridge", "twisted"]
ALIASES = {
    "bridge-asyncio": "bridge",
    "bridge-uvloop": "bridge",
    "twisted-epoll": "twisted",
    "twisted-asyncio": "twisted",
}


class _Sink:
    disconnecting = False
    connected = True

    def write(self, data: bytes) -> None:
        pass

    def writeSequence(self, data: object) -> None:
        pass

    def loseConnection(self) -> None:
        self.disconnecting = True

    def pauseProducing(self) -> None:
        pass

    def resumeProducing(self) -> None:
        pass

    def stopProducing(self) -> None:
        pass


def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def _streams() -> dict[str, list[bytes]]:
    line = b"x" * 38 + b"\r\n"
    lines = line * 20_000
    long_lines = (b"y" * 198 + b"\r\n") * 200
    frame = struct.pack("!I", 100) + b"z" * 100
    frames = frame * 20_000
    big = struct.pack("!I", 1 << 20) + b"b" * (1 << 20)
    netstrings = (b"100:" + b"n" * 100 + b",") * 20_000
    return {
        "line-1line": [line] * 20_000,
        "line-64k": _chunks(lines, 65536),
        "line-1byte": _chunks(long_lines, 1),
        "lineonly-1line": [line] * 20_000,
        "lineonly-64k": _chunks(lines, 65536),
        "int32-1frame": [frame] * 20_000,
        "int32-64k": _chunks(frames, 65536),
        "int32-big": _chunks(big, 4096),
        "netstring-1str": [b"100:" + b"n" * 100 + b","] * 20_000,
        "netstring-64k": _chunks(netstrings, 65536),
    }


def _classes(impl: str) -> dict[str, type]:
    if impl == "bridge":
        from bridge import basic
    else:
        from twisted.protocols import basic  # type: ignore[no-redef]

    class Lines(basic.LineReceiver):  # type: ignore[misc,name-defined]
        MAX_LENGTH = 1 << 21

        def lineReceived(self, line: bytes) -> None:
            pass

    class OnlyLines(basic.LineOnlyReceiver):  # type: ignore[misc,name-defined]
        def lineReceived(self, line: bytes) -> None:
            pass

    class Strings(basic.Int32StringReceiver):  # type: ignore[misc,name-defined]
        MAX_LENGTH = 1 << 21

        def stringReceived(self, string: bytes) -> None:
            pass

    class Netstrings(basic.NetstringReceiver):  # type: ignore[misc,name-defined]
        def stringReceived(self, string: bytes) -> None:
            pass

    return {
        "line-1line": Lines,
        "line-64k": Lines,
        "line-1byte": Lines,
        "lineonly-1line": OnlyLines,
        "lineonly-64k": OnlyLines,
        "int32-1frame": Strings,
        "int32-64k": Strings,
        "int32-big": Strings,
        "netstring-1str": Netstrings,
        "netstring-64k": Netstrings,
    }


def _timer(cls: type, chunks: list[bytes]) -> Callable[[int], float]:
    def run(loops: int) -> float:
        elapsed = 0.0
        for _ in range(loops):
            proto: Any = cls()
            proto.makeConnection(_Sink())
            feed = proto.dataReceived
            start = time.process_time()
            for chunk in chunks:
                feed(chunk)
            elapsed += time.process_time() - start
        return elapsed

    return run


def main() -> None:
    if "--list-impls" in sys.argv:
        print("\n".join(IMPLS))
        return

    def add_cmdline_args(cmd: list[str], args: Any) -> None:
        for impl in args.impl or []:
            cmd.extend(["--impl", impl])

    runner = pyperf.Runner(add_cmdline_args=add_cmdline_args)
    runner.argparser.add_argument(
        "--impl", action="append", help="bridge or twisted (repeatable; default both)"
    )
    runner.argparser.add_argument("--list-impls", action="store_true")
    args = runner.parse_args()
    impls = [ALIASES.get(name, name) for name in (args.impl or IMPLS)]
    unknown = sorted(set(impls) - set(IMPLS))
    if unknown:
        raise SystemExit(f"bench_basic.py: unknown --impl {unknown}; choose from {IMPLS}")

    streams = _streams()
    classes = {impl: _classes(impl) for impl in dict.fromkeys(impls)}
    results: dict[tuple[str, str], Any] = {}
    # Scenario by scenario, so both implementations of one scenario run close together in
    # time (on a shared machine the load drifts).
    for scenario, chunks in streams.items():
        for impl in classes:
            name = f"{scenario} [{impl}]"
            results[scenario, impl] = runner.bench_time_func(
                name, _timer(classes[impl][scenario], chunks)
            )

    if args.worker or set(impls) != set(IMPLS):
        return
    print("\nTwisted time / bridge time (>1: bridge faster)")
    for scenario in streams:
        ours, theirs = results[scenario, "bridge"], results[scenario, "twisted"]
        if ours is None or theirs is None:
            continue
        print(f"  {scenario:15s} {theirs.mean() / ours.mean():7.2f}x")


if __name__ == "__main__":
    main()
