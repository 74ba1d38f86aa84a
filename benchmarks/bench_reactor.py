"""Reactor benchmarks: bridge (uvloop, asyncio) beside real Twisted, with pyperf.

Three workloads, each one full run of the loop per sample:

- ``call_later``: 100,000 ``callLater`` calls with random delays up to 50 ms, run to completion;
- ``call_later_cancel``: 100,000 calls scheduled, then all cancelled, then one loop pass;
- ``call_from_thread``: 4 threads x 25,000 ``callFromThread`` calls, until all have run.

Every implementation runs in its own pyperf worker processes (a process holds one reactor).
Samples restart the reactor with ``crash()`` + ``run()``, which Twisted allows (unlike
``stop()``). At the end the parent prints, per workload, how many times faster each bridge
implementation is than Twisted's default (epoll) reactor.

Usage::

    python benchmarks/bench_reactor.py [--impl NAME ...] [--calls N] [--fast] [-o FILE.json]
    python benchmarks/bench_reactor.py --icount [WORKLOAD ...] [--impl NAME ...] [--calls N]
    python benchmarks/bench_reactor.py --list-impls

``--icount`` counts CPU instructions instead of timing, under valgrind (cachegrind), so the
ratios do not move with the load of a shared machine. Each workload runs once and twice in a
fresh process per implementation; the difference is the cost of one run (start-up, imports and
first-run warm-up cancel out), and the ratio is Twisted epoll's count over bridge's.
``call_from_thread`` is the least exact there (valgrind runs one thread at a time, so how
calls batch up depends on its scheduling).
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

IMPLS = ("bridge-uvloop", "bridge-asyncio", "twisted-epoll", "twisted-asyncio")
DEFAULT_IMPLS = ("bridge-uvloop", "bridge-asyncio", "twisted-epoll")
BASELINE = "twisted-epoll"
WORKLOADS = ("call_later", "call_later_cancel", "call_from_thread")

_reactor: Any = None


def get_reactor(impl: str) -> Any:
    """Install (once per process) and return the reactor of *impl*."""
    global _reactor
    if _reactor is not None:
        return _reactor
    if impl == "twisted-epoll":
        from twisted.internet import epollreactor

        epollreactor.install()
        from twisted.internet import reactor as twisted_reactor

        _reactor = twisted_reactor
    elif impl == "twisted-asyncio":
        import asyncio

        from twisted.internet import asyncioreactor

        asyncioreactor.install(asyncio.new_event_loop())
        from twisted.internet import reactor as twisted_reactor

        _reactor = twisted_reactor
    elif impl in ("bridge-uvloop", "bridge-asyncio"):
        import bridge

        _reactor = bridge.install(backend=impl.split("-", 1)[1])
    else:
        raise SystemExit(f"unknown implementation {impl!r}; known: {', '.join(IMPLS)}")
    return _reactor


def _delays(calls: int) -> list[float]:
    rnd = random.Random(20261127)
    return [rnd.random() * 0.05 for _ in range(calls)]


def bench_call_later(reactor: Any, calls: int, loops: int) -> float:
    delays = _delays(calls)
    total = 0.0
    for _ in range(loops):
        count = [0]

        def tick(count: list[int] = count) -> None:
            count[0] += 1
            if count[0] == calls:
                reactor.crash()

        start = time.perf_counter()
        call_later = reactor.callLater
        for delay in delays:
            call_later(delay, tick)
        reactor.run(installSignalHandlers=False)
        total += time.perf_counter() - start
        if count[0] != calls:
            raise RuntimeError(f"call_later: {count[0]} of {calls} calls ran")
    return total


def bench_call_later_cancel(reactor: Any, calls: int, loops: int) -> float:
    delays = _delays(calls)

    def never() -> None:
        raise RuntimeError("a cancelled call ran")

    total = 0.0
    for _ in range(loops):
        start = time.perf_counter()
        call_later = reactor.callLater
        pending = [call_later(delay, never) for delay in delays]
        for call in pending:
            call.cancel()
        call_later(0, reactor.crash)
        reactor.run(installSignalHandlers=False)
        total += time.perf_counter() - start
    return total


def bench_call_from_thread(reactor: Any, calls: int, loops: int) -> float:
    per_thread = calls // 4
    expected = per_thread * 4
    total = 0.0
    for _ in range(loops):
        count = [0]

        def tick(count: list[int] = count) -> None:
            count[0] += 1
            if count[0] == expected:
                reactor.crash()

        def produce(tick: Callable[[], None] = tick) -> None:
            call = reactor.callFromThread
            for _ in range(per_thread):
                call(tick)

        start = time.perf_counter()
        threads = [threading.Thread(target=produce) for _ in range(4)]
        for thread in threads:
            thread.start()
        reactor.run(installSignalHandlers=False)
        for thread in threads:
            thread.join()
        total += time.perf_counter() - start
    return total


BENCHES: dict[str, Callable[[Any, int, int], float]] = {
    "call_later": bench_call_later,
    "call_later_cancel": bench_call_later_cancel,
    "call_from_thread": bench_call_from_thread,
}


def _timed(impl: str, workload: str, calls: int) -> Callable[[int], float]:
    def time_func(loops: int) -> float:
        return BENCHES[workload](get_reactor(impl), calls, loops)

    return time_func


def report(
    results: dict[tuple[str, str], float], impls: list[str], measure: str = "mean times"
) -> str:
    """Return the ratio table: Twisted epoll time / implementation time, per workload."""
    lines = ["", f"speed-up over {BASELINE} (higher is better; {measure}):"]
    for workload in WORKLOADS:
        base = results.get((workload, BASELINE))
        if base is None:
            continue
        cells = []
        for impl in impls:
            value = results.get((workload, impl))
            if value is not None and impl != BASELINE:
                cells.append(f"{impl} {base / value:.2f}x")
        lines.append(f"  {workload:18} " + "  ".join(cells))
    return "\n".join(lines)


def _icount_worker(workload: str, impl: str, calls: int, loops: int) -> None:
    BENCHES[workload](get_reactor(impl), calls, loops)


def _instructions(workload: str, impl: str, calls: int, loops: int) -> int:
    import os
    import re
    import subprocess

    args = ["--icount-worker", workload, impl, str(calls), str(loops)]
    out = subprocess.run(
        [
            "valgrind",
            "--tool=cachegrind",
            "--cache-sim=no",
            "--cachegrind-out-file=/dev/null",
            sys.executable,
            __file__,
            *args,
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    ).stderr
    match = re.search(r"I\s+refs:\s+([\d,]+)", out)
    if match is None:
        raise RuntimeError(f"no instruction count in valgrind output:\n{out}")
    return int(match.group(1).replace(",", ""))


def icount(workloads: list[str], impls: list[str], calls: int) -> str:
    """Return a report of instructions per run of each workload, and ratios to Twisted epoll."""
    if BASELINE not in impls:
        impls = [*impls, BASELINE]
    counts: dict[tuple[str, str], float] = {}
    lines = [f"instructions per run ({calls:,} calls; valgrind cachegrind, 2 runs - 1 run):"]
    for workload in workloads:
        for impl in impls:
            low = _instructions(workload, impl, calls, 1)
            high = _instructions(workload, impl, calls, 2)
            counts[(workload, impl)] = count = float(high - low)
            lines.append(
                f"  {workload:18} {impl:16} {count / 1e6:10.1f} M  {count / calls:8.0f}/call"
            )
    return "\n".join(lines) + "\n" + report(counts, impls, "instruction counts")


def _pop_option(argv: list[str], flag: str) -> list[str]:
    """Remove every ``flag VALUE`` pair from *argv*; return the values."""
    values = []
    while flag in argv:
        i = argv.index(flag)
        values.append(argv[i + 1])
        del argv[i : i + 2]
    return values


def main(argv: list[str] | None = None) -> None:
    """Run the benchmarks (pyperf command line, plus --impl/--calls/--list-impls/--icount)."""
    argv = sys.argv[1:] if argv is None else argv
    if "--list-impls" in argv:
        print("\n".join(IMPLS))
        return
    if "--icount-worker" in argv:
        i = argv.index("--icount-worker")
        workload, impl, calls, loops = argv[i + 1 : i + 5]
        _icount_worker(workload, impl, int(calls), int(loops))
        return
    if "--icount" in argv:
        argv = list(argv)
        impls = _pop_option(argv, "--impl") or list(DEFAULT_IMPLS)
        calls = int((_pop_option(argv, "--calls") or ["100000"])[-1])
        workloads = argv[argv.index("--icount") + 1 :] or list(WORKLOADS)
        unknown = [w for w in [*workloads, *impls] if w not in WORKLOADS and w not in IMPLS]
        if unknown:
            raise SystemExit(f"unknown workload or implementation: {', '.join(unknown)}")
        print(icount(workloads, impls, calls))
        return
    import pyperf

    def add_cmdline_args(cmd: list[str], args: Any) -> None:
        for impl in args.impl or DEFAULT_IMPLS:
            cmd.extend(["--impl", impl])
        cmd.extend(["--calls", str(args.calls)])
        cmd.extend(["--workload", ",".join(args.workload)])

    runner = pyperf.Runner(processes=4, values=3, warmups=1, add_cmdline_args=add_cmdline_args)
    runner.argparser.add_argument(
        "--impl", action="append", choices=IMPLS, help="implementation (repeatable)"
    )
    runner.argparser.add_argument("--calls", type=int, default=100_000)
    runner.argparser.add_argument(
        "--workload",
        type=lambda s: s.split(","),
        default=list(WORKLOADS),
        help="comma-separated subset of " + ",".join(WORKLOADS),
    )
    runner.argparser.add_argument("--list-impls", action="store_true")
    args = runner.parse_args(argv)
    impls = list(args.impl or DEFAULT_IMPLS)
    results: dict[tuple[str, str], float] = {}
    for workload in args.workload:
        for impl in impls:
            bench = runner.bench_time_func(
                f"{workload}[{impl}]", _timed(impl, workload, args.calls), inner_loops=1
            )
            if bench is not None and not args.worker:
                results[(workload, impl)] = bench.mean()
    if results and not args.worker:
        print(report(results, impls))


if __name__ == "__main__":
    main()
