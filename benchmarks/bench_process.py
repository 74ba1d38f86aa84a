"""Process benchmarks: bridge (uvloop, asyncio) beside raw asyncio/uvloop and real Twisted.

Two workloads, measured with pyperf:

- ``spawn_true``: spawn ``/bin/true`` and wait until the protocol hears ``processEnded``
  (one process after the other); the time per process, i.e. 1 / processes per second;
- ``cat_throughput``: push 16 MB through a ``cat`` child (stdin written with flow control,
  stdout read and counted) until it ends; the time per 16 MB, i.e. 16 / MB per second.

Every implementation runs in its own pyperf worker processes (one reactor per process; Twisted
is imported only there). At the end the parent prints, per workload, how many times faster
each implementation is than Twisted's default (epoll) reactor.

Usage::

    python benchmarks/bench_process.py [--impl NAME ...] [--fast] [-o FILE.json]
    python benchmarks/bench_process.py --list-impls
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

IMPLS = ("bridge-uvloop", "bridge-asyncio", "uvloop", "asyncio", "twisted-epoll")
DEFAULT_IMPLS = ("bridge-uvloop", "bridge-asyncio", "uvloop", "asyncio", "twisted-epoll")
BASELINE = "twisted-epoll"
WORKLOADS = ("spawn_true", "cat_throughput")

CAT_BYTES = 16 * 1024 * 1024
CHUNK = 64 * 1024
TRUE = "/bin/true"
CAT = "/bin/cat"

_state: dict[str, Any] = {}


# -- Twisted-API implementations (bridge and Twisted share the protocol code) ----------------------


def get_reactor(impl: str) -> Any:
    """Install (once per process) and return the reactor of *impl*."""
    if "reactor" in _state:
        return _state["reactor"]
    if impl == "twisted-epoll":
        from twisted.internet import epollreactor

        epollreactor.install()
        from twisted.internet import reactor as twisted_reactor

        reactor = twisted_reactor
    elif impl in ("bridge-uvloop", "bridge-asyncio"):
        import bridge

        reactor = bridge.install(backend=impl.split("-", 1)[1])
    else:
        raise SystemExit(f"{impl!r} has no reactor")
    _state["reactor"] = reactor
    return reactor


def _process_protocol_class(impl: str) -> Any:
    if impl == "twisted-epoll":
        from twisted.internet.protocol import ProcessProtocol
    else:
        from bridge.protocol import ProcessProtocol
    return ProcessProtocol


def _run_reactor(reactor: Any) -> None:
    # crash() + run() restarts the reactor for the next sample (Twisted allows it; stop()
    # would not). Signal handlers stay on: Twisted reaps its children on SIGCHLD.
    reactor.run(installSignalHandlers=True)


def twisted_api_spawn(impl: str, loops: int) -> float:
    reactor = get_reactor(impl)
    base = _process_protocol_class(impl)
    remaining = [loops]

    class Once(base):  # type: ignore[misc, valid-type]
        def processEnded(self, reason: Any) -> None:
            remaining[0] -= 1
            if remaining[0]:
                reactor.spawnProcess(Once(), TRUE, [TRUE])
            else:
                reactor.crash()

    start = time.perf_counter()
    reactor.callWhenRunning(reactor.spawnProcess, Once(), TRUE, [TRUE])
    _run_reactor(reactor)
    elapsed = time.perf_counter() - start
    if remaining[0]:
        raise RuntimeError(f"spawn_true: {remaining[0]} processes never ended")
    return elapsed


def twisted_api_cat(impl: str, loops: int) -> float:
    reactor = get_reactor(impl)
    base = _process_protocol_class(impl)
    chunk = b"x" * CHUNK
    results: list[int] = []

    class Pump:
        def __init__(self, transport: Any) -> None:
            self.transport = transport
            self.left = CAT_BYTES
            self.paused = False

        def pauseProducing(self) -> None:
            self.paused = True

        def resumeProducing(self) -> None:
            self.paused = False
            self.pump()

        def stopProducing(self) -> None:
            self.left = 0

        def pump(self) -> None:
            while self.left > 0 and not self.paused:
                self.transport.write(chunk)
                self.left -= CHUNK
            if self.left <= 0 and not self.paused:
                self.left = -1
                self.transport.unregisterProducer()
                self.transport.closeStdin()

    class Cat(base):  # type: ignore[misc, valid-type]
        received = 0

        def connectionMade(self) -> None:
            pump = Pump(self.transport)
            self.transport.registerProducer(pump, True)
            pump.pump()

        def outReceived(self, data: bytes) -> None:
            self.received += len(data)

        def processEnded(self, reason: Any) -> None:
            results.append(self.received)
            if len(results) < loops:
                reactor.spawnProcess(Cat(), CAT, [CAT])
            else:
                reactor.crash()

    start = time.perf_counter()
    reactor.callWhenRunning(reactor.spawnProcess, Cat(), CAT, [CAT])
    _run_reactor(reactor)
    elapsed = time.perf_counter() - start
    if results != [CAT_BYTES] * loops:
        raise RuntimeError(f"cat_throughput: received {results}, expected {CAT_BYTES} each")
    return elapsed


# -- raw asyncio / uvloop baselines ---------------------------------------------------------------


def get_loop(impl: str) -> Any:
    """Return this process's asyncio or uvloop loop."""
    if "loop" not in _state:
        if impl == "uvloop":
            import uvloop

            _state["loop"] = uvloop.new_event_loop()
        else:
            import asyncio

            _state["loop"] = asyncio.new_event_loop()
    return _state["loop"]


def raw_spawn(impl: str, loops: int) -> float:
    import asyncio

    loop = get_loop(impl)

    class Once(asyncio.SubprocessProtocol):
        def __init__(self) -> None:
            self.done = loop.create_future()

        def connection_lost(self, exc: Exception | None) -> None:
            self.done.set_result(None)

    async def run() -> None:
        for _ in range(loops):
            proto = Once()
            transport, _ = await loop.subprocess_exec(lambda p=proto: p, TRUE)
            await proto.done
            transport.close()

    start = time.perf_counter()
    loop.run_until_complete(run())
    return time.perf_counter() - start


def raw_cat(impl: str, loops: int) -> float:
    import asyncio

    loop = get_loop(impl)
    chunk = b"x" * CHUNK

    class Cat(asyncio.SubprocessProtocol):
        def __init__(self) -> None:
            self.done = loop.create_future()
            self.received = 0
            self.left = CAT_BYTES
            self.paused = False
            self.stdin: Any = None

        def connection_made(self, transport: Any) -> None:
            self.stdin = transport.get_pipe_transport(0)
            self.stdin.set_write_buffer_limits(high=CHUNK)
            self.pump()

        def pump(self) -> None:
            while self.left > 0 and not self.paused:
                self.stdin.write(chunk)
                self.left -= CHUNK
            if self.left <= 0 and not self.paused and not self.stdin.is_closing():
                self.stdin.close()

        def pause_writing(self) -> None:
            self.paused = True

        def resume_writing(self) -> None:
            self.paused = False
            loop.call_soon(self.pump)

        def pipe_data_received(self, fd: int, data: bytes) -> None:
            self.received += len(data)

        def connection_lost(self, exc: Exception | None) -> None:
            self.done.set_result(self.received)

    async def run() -> None:
        for _ in range(loops):
            proto = Cat()
            transport, _ = await loop.subprocess_exec(lambda p=proto: p, CAT)
            received = await proto.done
            transport.close()
            if received != CAT_BYTES:
                raise RuntimeError(f"cat_throughput: received {received} of {CAT_BYTES}")

    start = time.perf_counter()
    loop.run_until_complete(run())
    return time.perf_counter() - start


def _timed(impl: str, workload: str) -> Callable[[int], float]:
    raw = impl in ("asyncio", "uvloop")
    if workload == "spawn_true":
        f = raw_spawn if raw else twisted_api_spawn
    else:
        f = raw_cat if raw else twisted_api_cat

    def time_func(loops: int) -> float:
        return f(impl, loops)

    return time_func


def report(results: dict[tuple[str, str], float], impls: list[str]) -> str:
    """Return the ratio table: Twisted epoll time / implementation time, per workload."""
    lines = ["", f"speed-up over {BASELINE} (higher is better; mean times):"]
    for workload in WORKLOADS:
        base = results.get((workload, BASELINE))
        if base is None:
            continue
        cells = []
        for impl in impls:
            value = results.get((workload, impl))
            if value is not None and impl != BASELINE:
                cells.append(f"{impl} {base / value:.2f}x")
        if workload == "spawn_true":
            rates = [
                f"{impl} {1 / results[(workload, impl)]:.0f}/s"
                for impl in impls
                if (workload, impl) in results
            ]
        else:
            rates = [
                f"{impl} {CAT_BYTES / 2**20 / results[(workload, impl)]:.0f} MB/s"
                for impl in impls
                if (workload, impl) in results
            ]
        lines.append(f"  {workload:15} " + "  ".join(cells))
        lines.append(f"  {'':15} (" + ", ".join(rates) + ")")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmarks (pyperf command line, plus --impl/--workload/--list-impls)."""
    import pyperf

    argv = sys.argv[1:] if argv is None else argv
    if "--list-impls" in argv:
        print("\n".join(IMPLS))
        return

    def add_cmdline_args(cmd: list[str], args: Any) -> None:
        for impl in args.impl or DEFAULT_IMPLS:
            cmd.extend(["--impl", impl])
        cmd.extend(["--workload", ",".join(args.workload)])

    runner = pyperf.Runner(processes=3, values=3, warmups=1, add_cmdline_args=add_cmdline_args)
    runner.argparser.add_argument(
        "--impl", action="append", choices=IMPLS, help="implementation (repeatable)"
    )
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
            bench = runner.bench_time_func(f"{workload}[{impl}]", _timed(impl, workload))
            if bench is not None and not args.worker:
                results[(workload, impl)] = bench.mean()
    if results and not args.worker:
        print(report(results, impls))


if __name__ == "__main__":
    main()
