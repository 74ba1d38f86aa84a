"""Run every benchmark in benchmarks/ and write the report: a markdown table, JSON and a chart.

Suites (each script also runs on its own; see its docstring):

* ``defer``   bench_defer.py:   Deferred callbacks, nesting, inlineCallbacks, coroutines, await
* ``reactor`` bench_reactor.py: callLater, cancel, callFromThread (one reactor per process)
* ``basic``   bench_basic.py:   LineReceiver / Int32 / Netstring parsing
* ``net``     bench_net.py:     TCP echo, bulk and accept rates against one load generator
* ``tls``     bench_tls.py:     the same over TLS
* ``process`` bench_process.py: spawnProcess of /bin/true, throughput through cat

Each is run for bridge (on asyncio and on uvloop where the loop matters), the raw asyncio /
uvloop baselines where the script has them, and real Twisted (epoll reactor and its asyncio
reactor), in one run. Results go to ``benchmarks/results/`` (git-ignored): ``results.md``,
``results.json`` and ``chart.png`` (speed-up of bridge over Twisted per benchmark).

Usage::

    python benchmarks/run.py            # full run with pyperf (tens of minutes)
    python benchmarks/run.py --quick    # under 2 minutes: short in-process timing
    python benchmarks/run.py --only defer,reactor

``--quick`` does not use pyperf's worker processes: it imports each script with a minimal
stand-in for ``pyperf.Runner`` that times every registered benchmark a few times in one
process per implementation (rough numbers, same code paths). The full run uses pyperf.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
MARKER = "@@bridge-bench-json@@"


@dataclass
class Suite:
    """One benchmark script and how to read it."""

    name: str
    script: str
    baseline: str  # the Twisted implementation ratios are computed against
    per_process: bool = False  # True: one implementation per process (a reactor each)
    rates: bool = False  # True: the script measures rates itself and writes its own JSON
    quick_args: list[str] = field(default_factory=list)
    full_args: list[str] = field(default_factory=list)


SUITES = [
    Suite("defer", "bench_defer.py", baseline="twisted"),
    Suite(
        "reactor",
        "bench_reactor.py",
        baseline="twisted-epoll",
        per_process=True,
        quick_args=["--calls", "10000"],
    ),
    Suite("basic", "bench_basic.py", baseline="twisted"),
    Suite("process", "bench_process.py", baseline="twisted-epoll", per_process=True),
    Suite("net", "bench_net.py", baseline="twisted-epoll", rates=True),
    Suite("tls", "bench_tls.py", baseline="twisted-epoll", rates=True),
]


# --- in-process timing (--quick) ----------------------------------------------------------------


class _Bench:
    """What the stand-in runner returns: enough of ``pyperf.Benchmark`` for the scripts."""

    def __init__(self, name: str, seconds: float) -> None:
        self._name = name
        self._seconds = seconds

    def get_name(self) -> str:
        return self._name

    def mean(self) -> float:
        return self._seconds


class _QuickRunner:
    """A stand-in for ``pyperf.Runner``: time each benchmark in this process, briefly."""

    results: dict[str, float] = {}
    min_time = 0.02
    values = 3

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.argparser = argparse.ArgumentParser()
        for flag in ("--fast", "--rigorous", "--quiet", "-q", "--worker", "--debug-single-value"):
            self.argparser.add_argument(flag, action="store_true")
        for option in ("-o", "--output", "-p", "--processes", "-n", "--values", "-l", "--loops"):
            self.argparser.add_argument(option)
        self.argparser.add_argument("-w", "--warmups")
        self.argparser.add_argument("--min-time")

    def parse_args(self, argv: list[str] | None = None) -> argparse.Namespace:
        args = self.argparser.parse_args(argv)
        args.worker = False
        return args

    def bench_time_func(
        self,
        name: str,
        func: Callable[..., float],
        *args: Any,
        inner_loops: int | None = None,
        **kwargs: Any,
    ) -> _Bench:
        loops = 1
        elapsed = func(loops, *args)
        while elapsed < self.min_time and loops < 1 << 24:
            loops *= 2 if elapsed * 10 > self.min_time else 10
            elapsed = func(loops, *args)
        samples = [elapsed] + [func(loops, *args) for _ in range(self.values - 1)]
        per_op = statistics.median(samples) / (loops * (inner_loops or 1))
        self.results[name] = per_op
        return _Bench(name, per_op)

    def bench_func(self, name: str, func: Callable[..., object], *args: Any, **kw: Any) -> _Bench:
        def timed(loops: int) -> float:
            start = time.perf_counter()
            for _ in range(loops):
                func(*args)
            return time.perf_counter() - start

        return self.bench_time_func(name, timed, **kw)


def _measure_in_process(script: str, argv: list[str]) -> None:
    """Entry point of ``run.py --_measure``: run *script*'s main() with the stand-in runner."""
    fake = types.ModuleType("pyperf")
    fake.Runner = _QuickRunner  # type: ignore[attr-defined]
    sys.modules["pyperf"] = fake
    sys.argv = [script, *argv]
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(HERE))
    import runpy

    namespace = runpy.run_path(str(HERE / script), run_name="bench")
    namespace["main"]()
    print(MARKER + json.dumps(_QuickRunner.results), flush=True)


# --- running the suites -------------------------------------------------------------------------


def _python(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )


def _list_impls(suite: Suite) -> list[str]:
    result = _python(str(HERE / suite.script), "--list-impls", timeout=120)
    return [line.strip() for line in result.stdout.splitlines() if line.strip()]


_NAME = re.compile(r"^(?P<bench>.*?)\s*\[(?P<impl>[^\]]+)\]$")


def _split(name: str) -> tuple[str, str]:
    match = _NAME.match(name)
    return (match["bench"], match["impl"]) if match else (name, "?")


def _parse_marker(stdout: str) -> dict[str, float]:
    for line in reversed(stdout.splitlines()):
        if line.startswith(MARKER):
            data: dict[str, float] = json.loads(line[len(MARKER) :])
            return data
    raise RuntimeError("no results in the benchmark's output")


def run_time_suite(suite: Suite, quick: bool, log: Callable[[str], None]) -> dict[str, Any]:
    """Run a pyperf-style suite; return {"unit": "s", "values": {bench: {impl: seconds}}}."""
    impls = _list_impls(suite)
    values: dict[str, dict[str, float]] = {}
    runs: list[list[str]] = [["--impl", impl] for impl in impls] if suite.per_process else [[]]
    for impl_args in runs:
        label = impl_args[-1] if impl_args else "all"
        started = time.monotonic()
        if quick:
            result = _python(
                __file__, "--_measure", suite.script, *impl_args, *suite.quick_args, timeout=600
            )
            if result.returncode != 0:
                raise RuntimeError(f"{suite.script} {label} failed:\n{result.stderr[-2000:]}")
            raw = _parse_marker(result.stdout)
        else:
            out = RESULTS / f"{suite.name}-{label}.json"
            out.unlink(missing_ok=True)
            result = _python(
                str(HERE / suite.script),
                *impl_args,
                *suite.full_args,
                "--fast",
                "-o",
                str(out),
                timeout=7200,
            )
            if result.returncode != 0:
                raise RuntimeError(f"{suite.script} {label} failed:\n{result.stderr[-2000:]}")
            import pyperf

            loaded = pyperf.BenchmarkSuite.load(str(out))
            raw = {b.get_name(): b.mean() for b in loaded.get_benchmarks()}
        for name, seconds in raw.items():
            bench, impl = _split(name)
            values.setdefault(bench, {})[impl] = seconds
        log(f"  {suite.name} [{label}] {time.monotonic() - started:.0f} s")
    return {"unit": "s", "values": values}


def run_rate_suite(suite: Suite, quick: bool, log: Callable[[str], None]) -> dict[str, Any]:
    """Run bench_net.py-style scripts; return {"unit": "rate", "values": {metric: {impl: x}}}."""
    out = RESULTS / f"{suite.name}.json"
    out.unlink(missing_ok=True)
    started = time.monotonic()
    args = [str(HERE / suite.script), "-o", str(out)]
    if quick:
        args.append("--quick")
    result = _python(*args, timeout=3600)
    if result.returncode != 0:
        raise RuntimeError(f"{suite.script} failed:\n{result.stderr[-2000:]}")
    data = json.loads(out.read_text())
    values: dict[str, dict[str, float]] = {}
    for impl, metrics in data["results"].items():
        for metric, value in metrics.items():
            values.setdefault(metric, {})[impl] = value
    log(f"  {suite.name} {time.monotonic() - started:.0f} s")
    return {"unit": "rate", "values": values}


# --- the report ---------------------------------------------------------------------------------

BRIDGE_IMPLS = ("bridge", "bridge-uvloop", "bridge-asyncio")


def _lower_is_better(metric: str) -> bool:
    """Rates are better higher, except CPU time per operation (``*_cpu_us*``)."""
    return "cpu_us" in metric


def _format_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _format_rate(metric: str, value: float) -> str:
    if metric.endswith("_mbps"):
        return f"{value:,.0f} MB/s"
    if "cpu_us" in metric:
        return f"{value:.1f} us"
    return f"{value:,.0f}/s"


def speedups(suite: Suite, data: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Return {bench: {"<bridge impl> vs <other>": factor}} with factor > 1 meaning bridge is
    faster (or uses less CPU)."""
    out: dict[str, dict[str, float]] = {}
    time_based = data["unit"] == "s"
    for bench, row in data["values"].items():
        lower_better = time_based or _lower_is_better(bench)
        ratios: dict[str, float] = {}
        for ours in BRIDGE_IMPLS:
            if ours not in row or not row[ours]:
                continue
            # Compare like with like: Twisted, and the raw loop or Future bridge runs on.
            same_loop = {"bridge": "future", "bridge-uvloop": "uvloop", "bridge-asyncio": "asyncio"}
            for other in (suite.baseline, "twisted-asyncio", same_loop[ours]):
                if other in row and row[other] and other != ours:
                    a, b = row[ours], row[other]
                    ratios[f"{ours} vs {other}"] = (b / a) if lower_better else (a / b)
        out[bench] = ratios
    return out


def machine() -> dict[str, str]:
    """Describe the machine and software the numbers come from."""
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(dist: str) -> str:
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as get

        try:
            return get(dist)
        except PackageNotFoundError:
            return "not installed"

    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{cpu} ({os.cpu_count()} logical CPUs)",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": ", ".join(
            f"{d} {version(d)}" for d in ("bridge", "twisted", "uvloop", "pyperf")
        ),
        "load": f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
    }


def markdown(report: dict[str, Any]) -> str:
    """Render the whole report as markdown."""
    info = report["machine"]
    lines = [
        "# bridge benchmark results",
        "",
        f"- date: {info['date']}; mode: {report['mode']}",
        f"- machine: {info['cpu']}, {info['os']}, load average {info['load']}",
        f"- Python {info['python']}; {info['versions']}",
        f"- command: `{report['command']}`",
        "",
        "Times are per operation (lower is better); rates are per second (higher is better). "
        "A factor `x` in the last column is how many times faster bridge is (> 1: bridge wins).",
        "",
    ]
    for name, data in report["suites"].items():
        if "error" in data:
            lines += [f"## {name}", "", f"not run: {data['error']}", ""]
            continue
        suite = next(s for s in SUITES if s.name == name)
        impls = sorted({impl for row in data["values"].values() for impl in row}, key=_impl_key)
        ratios = speedups(suite, data)
        lines += [f"## {name}", ""]
        lines.append("| benchmark | " + " | ".join(impls) + " | bridge speed-up |")
        lines.append("|---" * (len(impls) + 2) + "|")
        for bench, row in data["values"].items():
            cells = []
            for impl in impls:
                value = row.get(impl)
                if value is None:
                    cells.append("")
                elif data["unit"] == "s":
                    cells.append(_format_time(value))
                else:
                    cells.append(_format_rate(bench, value))
            factors = ", ".join(f"{k}: {v:.2f}x" for k, v in ratios.get(bench, {}).items())
            lines.append(f"| {bench} | " + " | ".join(cells) + f" | {factors} |")
        lines.append("")
    return "\n".join(lines)


def _impl_key(impl: str) -> tuple[int, str]:
    order = ["bridge", "bridge-uvloop", "bridge-asyncio", "uvloop", "asyncio", "future"]
    return (order.index(impl) if impl in order else len(order), impl)


def chart(report: dict[str, Any], path: Path) -> bool:
    """Draw bridge's speed-up over Twisted per benchmark as a horizontal bar chart (PNG)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    labels: list[str] = []
    factors: list[float] = []
    for name, data in report["suites"].items():
        if "error" in data:
            continue
        suite = next(s for s in SUITES if s.name == name)
        for bench, ratios in speedups(suite, data).items():
            for ours in BRIDGE_IMPLS:
                key = f"{ours} vs {suite.baseline}"
                if key in ratios:
                    labels.append(f"{name}: {bench} ({ours})")
                    factors.append(ratios[key])
                    break
    if not factors:
        return False
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(factors) + 1.5))
    colors = ["#2a9d8f" if f >= 1 else "#e76f51" for f in factors]
    ax.barh(range(len(factors)), factors, color=colors)
    ax.set_yticks(range(len(factors)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("speed-up of bridge over Twisted (log scale; > 1 is faster)")
    ax.set_title(f"bridge vs Twisted ({report['mode']} run, {report['machine']['date']})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> int:
    """Run the suites and write the report; return the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--_measure"]:
        _measure_in_process(argv[1], argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="rough numbers in under 2 minutes")
    parser.add_argument(
        "--only", help="comma-separated suites: " + ",".join(s.name for s in SUITES)
    )
    parser.add_argument("--output", type=Path, default=None, help="folder for the report")
    args = parser.parse_args(argv)
    selected = args.only.split(",") if args.only else [s.name for s in SUITES]
    unknown = set(selected) - {s.name for s in SUITES}
    if unknown:
        parser.error(f"unknown suite(s) {sorted(unknown)}")
    global RESULTS
    if args.output is None:
        args.output = RESULTS
    RESULTS = args.output
    args.output.mkdir(parents=True, exist_ok=True)

    def log(text: str) -> None:
        print(text, flush=True)

    started = time.monotonic()
    report: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "command": " ".join(["python benchmarks/run.py", *argv]),
        "machine": machine(),
        "suites": {},
    }
    for suite in SUITES:
        if suite.name not in selected:
            continue
        if not (HERE / suite.script).exists():
            report["suites"][suite.name] = {"error": f"{suite.script} does not exist yet"}
            log(f"  {suite.name}: skipped ({suite.script} missing)")
            continue
        try:
            if suite.rates:
                report["suites"][suite.name] = run_rate_suite(suite, args.quick, log)
            else:
                report["suites"][suite.name] = run_time_suite(suite, args.quick, log)
        except (RuntimeError, subprocess.TimeoutExpired, OSError, ValueError) as exc:
            report["suites"][suite.name] = {"error": str(exc).splitlines()[0][:300]}
            log(f"  {suite.name}: FAILED: {exc}")
    (args.output / "results.json").write_text(json.dumps(report, indent=2))
    text = markdown(report)
    (args.output / "results.md").write_text(text + "\n")
    drew = chart(report, args.output / "chart.png")
    print(text)
    print(f"\nwrote {args.output / 'results.md'}, results.json" + (", chart.png" if drew else ""))
    print(f"total {time.monotonic() - started:.0f} s")
    failed = [name for name, data in report["suites"].items() if "error" in data]
    return 1 if failed and len(failed) == len(report["suites"]) else 0


if __name__ == "__main__":
    sys.exit(main())
