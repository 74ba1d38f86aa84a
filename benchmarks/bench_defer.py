"""Deferred micro-benchmarks: bridge beside real Twisted and asyncio.Future (pyperf).

Run all of them (a few minutes; ``--fast`` for a quick look)::

    .venv/bin/python benchmarks/bench_defer.py --fast -o /tmp/defer.json
    .venv/bin/python benchmarks/bench_defer.py --ratios /tmp/defer.json

Options besides pyperf's own (``-o FILE``, ``--fast``, ``--rigorous``, ...):

``--impl NAME``  only run implementation NAME (repeatable): ``bridge``, ``twisted``,
                 ``future`` (asyncio.Future, for the await benchmarks).
``--list-impls`` print the implementation names and exit.
``--ratios FILE`` print Twisted/bridge and bridge/Future ratios from a pyperf JSON file.
``--icount [NAME ...]`` count CPU instructions per operation under valgrind (cachegrind)
                 instead of timing: deterministic, so usable on a busy machine. Runs each
                 benchmark twice (LOOPS and 2*LOOPS operations) and prints the difference
                 per operation with the same ratios.
``--interleaved`` time the await benchmarks in-process, bridge/Future/Twisted taking turns
                 for 25 rounds, best time each: wall-clock ratios that survive a busy machine.

Benchmark names are ``<benchmark>[<impl>]``, e.g. ``callbacks10[bridge]``. Each timing is
per operation (one chain, one generator run, one await). ``benchmarks/run.py`` can import
:func:`get_benchmarks` and register them on its own pyperf runner.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from typing import Any

IMPLS = ("bridge", "twisted", "future")

TimeFunc = Callable[[int], float]


def _defer_module(impl: str) -> Any:
    if impl == "bridge":
        from bridge import defer
    else:
        from twisted.internet import defer  # type: ignore[no-redef]
    return defer


def _identity(x: object) -> object:
    return x


def bench_callbacks10(impl: str) -> TimeFunc:
    """Fire a Deferred through 10 callbacks."""
    Deferred = _defer_module(impl).Deferred

    def run(loops: int) -> float:
        f = _identity
        t0 = time.perf_counter()
        for _ in range(loops):
            d = Deferred()
            d.addCallback(f)
            d.addCallback(f)
            d.addCallback(f)
            d.addCallback(f)
            d.addCallback(f)
            d.addCallback(f)
            d.addCallback(f)
            d.addCallback(f)
            d.addCallback(f)
            d.addCallback(f)
            d.callback(1)
        return time.perf_counter() - t0

    return run


def bench_nested1000(impl: str) -> TimeFunc:
    """Chain 1,000 Deferreds, each callback returning the next, then fire them all."""
    Deferred = _defer_module(impl).Deferred
    depth = 1000

    def run(loops: int) -> float:
        total = 0.0
        for _ in range(loops):
            ds = [Deferred() for _ in range(depth)]
            t0 = time.perf_counter()
            for i in range(depth - 1):
                ds[i].addCallback(lambda _, nxt=ds[i + 1]: nxt)
            for d in ds[:-1]:
                d.callback(None)
            ds[-1].callback(1)
            total += time.perf_counter() - t0
        return total

    return run


def bench_inline100(impl: str) -> TimeFunc:
    """Run an inlineCallbacks generator that yields 100 already-fired Deferreds."""
    defer = _defer_module(impl)
    succeed = defer.succeed

    @defer.inlineCallbacks
    def work() -> Any:
        total = 0
        for i in range(100):
            total += yield succeed(i)
        return total

    def run(loops: int) -> float:
        t0 = time.perf_counter()
        for _ in range(loops):
            work()
        return time.perf_counter() - t0

    return run


def bench_coroutine100(impl: str) -> TimeFunc:
    """ensureDeferred a coroutine awaiting 100 already-fired Deferreds (no loop running)."""
    defer = _defer_module(impl)
    succeed = defer.succeed
    ensure = defer.ensureDeferred

    async def work() -> int:
        total = 0
        for i in range(100):
            total += await succeed(i)
        return total

    def run(loops: int) -> float:
        t0 = time.perf_counter()
        for _ in range(loops):
            ensure(work())
        return time.perf_counter() - t0

    return run


def bench_coroutine_pending100(impl: str) -> TimeFunc:
    """ensureDeferred a coroutine awaiting 100 Deferreds that fire after it waits."""
    defer = _defer_module(impl)
    Deferred = defer.Deferred
    ensure = defer.ensureDeferred

    async def work(ds: list[Any]) -> int:
        total = 0
        for d in ds:
            total += await d
        return total

    def run(loops: int) -> float:
        t0 = time.perf_counter()
        for _ in range(loops):
            ds = [Deferred() for _ in range(100)]
            ensure(work(ds))
            for i, d in enumerate(ds):
                d.callback(i)
        return time.perf_counter() - t0

    return run


_loops: dict[str, asyncio.AbstractEventLoop] = {}


def _loop(backend: str) -> asyncio.AbstractEventLoop:
    loop = _loops.get(backend)
    if loop is None:
        if backend == "uvloop":
            import uvloop

            loop = uvloop.new_event_loop()
        else:
            loop = asyncio.new_event_loop()
        _loops[backend] = loop
    return loop


def bench_await_fired(impl: str, backend: str) -> TimeFunc:
    """In an asyncio Task, await an already-fired Deferred (or a done Future)."""

    def run(loops: int) -> float:
        loop = _loop(backend)

        async def main() -> float:
            if impl == "future":
                awaited: Any = loop.create_future()
                awaited.set_result(1)
            else:
                awaited = _defer_module(impl).succeed(1)
            t0 = time.perf_counter()
            for _ in range(loops):
                await awaited
            return time.perf_counter() - t0

        return loop.run_until_complete(main())

    return run


def bench_await_unfired(impl: str, backend: str) -> TimeFunc:
    """In an asyncio Task, await a Deferred (or Future) that the loop fires next turn.

    Twisted's Deferred cannot be awaited unfired in a Task, so it goes through
    ``asFuture(loop)``, the documented way.
    """

    def run(loops: int) -> float:
        loop = _loop(backend)
        call_soon = loop.call_soon

        async def main() -> float:
            t0 = time.perf_counter()
            if impl == "future":
                create = loop.create_future
                for i in range(loops):
                    f = create()
                    call_soon(f.set_result, i)
                    await f
            elif impl == "bridge":
                Deferred = _defer_module(impl).Deferred
                for i in range(loops):
                    d = Deferred()
                    call_soon(d.callback, i)
                    await d
            else:
                Deferred = _defer_module(impl).Deferred
                for i in range(loops):
                    d = Deferred()
                    call_soon(d.callback, i)
                    await d.asFuture(loop)
            return time.perf_counter() - t0

        return loop.run_until_complete(main())

    return run


def get_benchmarks() -> list[tuple[str, str, TimeFunc]]:
    """Return ``(benchmark, impl, time_func)`` triples; ``time_func(loops)`` gives seconds."""
    benches: list[tuple[str, str, TimeFunc]] = []
    for name, factory in (
        ("callbacks10", bench_callbacks10),
        ("nested1000", bench_nested1000),
        ("inline100", bench_inline100),
        ("coroutine100", bench_coroutine100),
        ("coroutine_pending100", bench_coroutine_pending100),
    ):
        for impl in ("bridge", "twisted"):
            benches.append((name, impl, factory(impl)))
    for backend in ("asyncio", "uvloop"):
        for impl in ("bridge", "twisted", "future"):
            benches.append((f"await_fired_{backend}", impl, bench_await_fired(impl, backend)))
            benches.append((f"await_unfired_{backend}", impl, bench_await_unfired(impl, backend)))
    return benches


def ratios(path: str) -> list[str]:
    """Return report lines: Twisted/bridge speed-up and bridge/Future cost per benchmark."""
    import pyperf

    suite = pyperf.BenchmarkSuite.load(path)
    means = {b.get_name(): b.mean() for b in suite.get_benchmarks()}
    names = sorted({n.split("[")[0] for n in means})
    lines = []
    for name in names:
        bridge = means.get(f"{name}[bridge]")
        twisted = means.get(f"{name}[twisted]")
        future = means.get(f"{name}[future]")
        if bridge is None:
            continue
        parts = [f"{name:28s} bridge {bridge * 1e6:9.3f} us"]
        if twisted is not None:
            parts.append(f"Twisted/bridge {twisted / bridge:5.2f}x")
        if future is not None:
            parts.append(f"bridge/Future {bridge / future:5.2f}x")
        lines.append("  ".join(parts))
    return lines


def _icount_worker(name: str, impl: str, loops: int) -> None:
    for bench, bench_impl, func in get_benchmarks():
        if bench == name and bench_impl == impl:
            func(loops)
            return
    raise SystemExit(f"unknown benchmark {name}[{impl}]")


def _instructions(name: str, impl: str, loops: int) -> int:
    import os
    import re
    import subprocess

    out = subprocess.run(
        [
            "valgrind",
            "--tool=cachegrind",
            "--cache-sim=no",
            "--cachegrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--icount-worker",
            name,
            impl,
            str(loops),
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


# Enough operations that the difference between two runs dwarfs valgrind's run-to-run
# noise (a few hundred thousand instructions from start-up and the loop's own bookkeeping).
ICOUNT_LOOPS = {
    "nested1000": 5,
    "inline100": 50,
    "coroutine100": 50,
    "await_fired_asyncio": 20000,
    "await_fired_uvloop": 20000,
    "await_unfired_asyncio": 20000,
    "await_unfired_uvloop": 20000,
}


def icount(names: list[str]) -> list[str]:
    """Return report lines of instructions per operation, and ratios, under valgrind."""
    per_op: dict[str, float] = {}
    for name, impl, _ in get_benchmarks():
        if names and name not in names:
            continue
        loops = ICOUNT_LOOPS.get(name, 30 if "100" in name else 1000)
        low = _instructions(name, impl, loops)
        high = _instructions(name, impl, 2 * loops)
        per_op[f"{name}[{impl}]"] = (high - low) / loops
    lines = []
    for name in sorted({key.split("[")[0] for key in per_op}):
        bridge = per_op.get(f"{name}[bridge]")
        if bridge is None:
            continue
        parts = [f"{name:28s} bridge {bridge:12.0f} instructions/op"]
        twisted = per_op.get(f"{name}[twisted]")
        future = per_op.get(f"{name}[future]")
        if twisted is not None:
            parts.append(f"Twisted/bridge {twisted / bridge:5.2f}x")
        if future is not None:
            parts.append(f"bridge/Future {bridge / future:5.2f}x")
        lines.append("  ".join(parts))
    return lines


def interleaved(rounds: int = 25) -> list[str]:
    """Return report lines for the await benchmarks, timed in-process on a busy machine.

    bridge, asyncio.Future and Twisted take turns, round after round, and each keeps its best
    time per operation: load that comes and goes then hits all three alike.
    """
    lines = []
    for backend in ("asyncio", "uvloop"):
        for kind, factory, n in (
            ("fired", bench_await_fired, 200_000),
            ("unfired", bench_await_unfired, 20_000),
        ):
            funcs = {impl: factory(impl, backend) for impl in ("bridge", "future", "twisted")}
            best = dict.fromkeys(funcs, float("inf"))
            for _ in range(rounds):
                for impl, func in funcs.items():
                    best[impl] = min(best[impl], func(n) / n)
            lines.append(
                f"await_{kind}_{backend:8s} bridge {best['bridge'] * 1e9:7.0f} ns  "
                f"Future {best['future'] * 1e9:7.0f} ns  Twisted {best['twisted'] * 1e9:7.0f} ns  "
                f"bridge/Future {best['bridge'] / best['future']:5.2f}x  "
                f"Twisted/bridge {best['twisted'] / best['bridge']:5.2f}x"
            )
    return lines


def main() -> None:
    if "--icount-worker" in sys.argv:
        i = sys.argv.index("--icount-worker")
        _icount_worker(sys.argv[i + 1], sys.argv[i + 2], int(sys.argv[i + 3]))
        return
    if "--icount" in sys.argv:
        names = sys.argv[sys.argv.index("--icount") + 1 :]
        print("\n".join(icount(names)))
        return
    if "--interleaved" in sys.argv:
        print("\n".join(interleaved()))
        return
    if "--list-impls" in sys.argv:
        print("\n".join(IMPLS))
        return
    if "--ratios" in sys.argv:
        print("\n".join(ratios(sys.argv[sys.argv.index("--ratios") + 1])))
        return
    import pyperf

    def add_cmdline_args(cmd: list[str], args: Any) -> None:
        for impl in args.impl or ():
            cmd.extend(("--impl", impl))

    runner = pyperf.Runner(add_cmdline_args=add_cmdline_args)
    runner.argparser.add_argument("--impl", action="append", choices=IMPLS)
    args = runner.parse_args()
    for name, impl, func in get_benchmarks():
        if args.impl and impl not in args.impl:
            continue
        runner.bench_time_func(f"{name}[{impl}]", func)


if __name__ == "__main__":
    main()
