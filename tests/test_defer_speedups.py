"""The optional C await path (bridge/_cdefer.c) and the pure-Python one behave the same.

Async tests run on both loops (the ``pytest_asyncio_loop_factories`` hook in conftest).
``test_pure_python_fallback_passes_the_deferred_suites`` runs the Deferred test modules again
in a child process with ``BRIDGE_NO_SPEEDUPS=1``, so both implementations are exercised.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bridge import _defer_core
from bridge.defer import CancelledError, Deferred, fail, succeed

ROOT = Path(__file__).resolve().parent.parent


def test_speedups_are_built_when_a_compiler_is_present() -> None:
    if os.environ.get("BRIDGE_NO_SPEEDUPS"):
        assert not _defer_core.HAVE_SPEEDUPS
        return
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("no C compiler here: bridge runs pure Python")
    assert _defer_core.HAVE_SPEEDUPS, "bridge/_cdefer.c was not built by `pip install -e .`"


def test_fired_await_iterator_protocol() -> None:
    # Values that StopIteration would mangle if passed naively come back unchanged.
    for value in ((1, 2), (), ValueError("as a value"), None, StopIteration(3)):
        it = succeed(value).__await__()
        assert iter(it) is it
        with pytest.raises(StopIteration) as info:
            next(it)
        assert info.value.value is value
        with pytest.raises(StopIteration):
            next(it)  # exhausted, like a finished generator


def test_fired_await_send_throw_close() -> None:
    it = succeed("x").__await__()
    with pytest.raises(StopIteration) as info:
        it.send(None)
    assert info.value.value == "x"
    it = succeed("x").__await__()
    with pytest.raises(KeyError):
        it.throw(KeyError("thrown"))
    it = succeed("x").__await__()
    it.close()


def test_fired_failure_raises_and_counts_as_handled() -> None:
    d: Deferred[Any] = fail(ZeroDivisionError("boom"))

    async def main() -> None:
        await d

    coro = main()
    with pytest.raises(ZeroDivisionError, match="boom"):
        coro.send(None)
    assert d._unhandled is None or d._unhandled.failure is None


def test_paused_or_running_deferred_is_not_treated_as_final() -> None:
    d: Deferred[int] = Deferred()
    inner: Deferred[int] = Deferred()
    d.addCallback(lambda _: inner)
    d.callback(0)  # d now waits on inner: called, but paused

    results: list[int] = []

    async def main() -> None:
        results.append(await d)

    dd = Deferred.fromCoroutine(main())
    assert results == []
    inner.callback(7)
    assert results == [7]
    assert dd.called


@pytest.mark.asyncio
async def test_await_fired_in_task_does_not_yield() -> None:
    loop = asyncio.get_running_loop()
    ran: list[str] = []
    loop.call_soon(ran.append, "loop turn")
    assert await succeed(5) == 5
    assert ran == []  # no loop turn happened


@pytest.mark.asyncio
async def test_await_unfired_in_task() -> None:
    loop = asyncio.get_running_loop()
    d: Deferred[tuple[int, int]] = Deferred()
    loop.call_soon(d.callback, (1, 2))
    assert await d == (1, 2)
    assert d.result is None  # the awaiting Task took the result


@pytest.mark.asyncio
async def test_await_unfired_failure_in_task() -> None:
    loop = asyncio.get_running_loop()
    d: Deferred[int] = Deferred()
    loop.call_soon(d.errback, KeyError("late"))
    with pytest.raises(KeyError, match="late"):
        await d


@pytest.mark.asyncio
async def test_cancelling_the_task_cancels_the_deferred() -> None:
    cancelled: list[Deferred[Any]] = []
    d: Deferred[int] = Deferred(cancelled.append)
    task = asyncio.ensure_future(_await(d))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled == [d]
    assert d.called and d.result is None  # the failure went to the cancelled Task


@pytest.mark.asyncio
async def test_canceller_that_fires_gives_the_task_its_result() -> None:
    d: Deferred[str] = Deferred(lambda d: d.callback("rescued"))
    task = asyncio.ensure_future(_await(d))
    await asyncio.sleep(0)
    task.cancel()
    assert await task == "rescued"


@pytest.mark.asyncio
async def test_other_exception_thrown_while_waiting_propagates() -> None:
    d: Deferred[int] = Deferred()

    async def waiter() -> int:
        return await d

    coro = waiter()
    yielded = coro.send(None)  # suspended on the loop Future
    assert isinstance(yielded, asyncio.Future)
    with pytest.raises(RuntimeError, match="thrown in"):
        coro.throw(RuntimeError("thrown in"))
    yielded.cancel()


@pytest.mark.asyncio
async def test_result_arriving_after_task_cancel_stays_in_the_deferred() -> None:
    d: Deferred[str] = Deferred(lambda d: None)  # canceller that does nothing
    task = asyncio.ensure_future(_await(d))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The canceller did not fire it: Twisted's rule, the Deferred failed with CancelledError.
    assert d.called
    d.addErrback(lambda f: f.trap(CancelledError))


async def _await(d: Deferred[Any]) -> Any:
    return await d


@pytest.mark.skipif(
    bool(os.environ.get("BRIDGE_NO_SPEEDUPS")), reason="already running without speed-ups"
)
def test_pure_python_fallback_passes_the_deferred_suites() -> None:
    env = {**os.environ, "BRIDGE_NO_SPEEDUPS": "1"}
    tests = [
        "tests/test_defer_speedups.py",
        "tests/test_defer.py",
        "tests/test_defer_inline.py",
        "tests/test_aio.py",
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
