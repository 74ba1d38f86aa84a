"""Deferreds and asyncio, both ways, on the stdlib loop and on uvloop."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import sys
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest
import uvloop

from bridge import aio
from bridge.defer import (
    CancelledError,
    Deferred,
    TimeoutError,
    ensureDeferred,
    fail,
    maybeDeferred,
    succeed,
)
from bridge.task import Clock
from tests.helpers import assert_no_result, failure_result_of, success_result_of

T = TypeVar("T")

var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")


@pytest.fixture(params=["asyncio", "uvloop"])
def loop(request: pytest.FixtureRequest) -> Iterator[asyncio.AbstractEventLoop]:
    new = asyncio.new_event_loop() if request.param == "asyncio" else uvloop.new_event_loop()
    try:
        yield new
    finally:
        new.run_until_complete(new.shutdown_asyncgens())
        new.close()


Run = Callable[[Coroutine[Any, Any, T]], T]


def run(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T]) -> T:
    return loop.run_until_complete(asyncio.wait_for(coro, 10))


# -- await d in a plain asyncio task -------------------------------------------------------


def test_await_fired_deferred_does_not_yield() -> None:
    async def co() -> int:
        return await succeed(5)

    c = co()
    with pytest.raises(StopIteration) as info:
        c.send(None)
    assert info.value.value == 5


def test_await_unfired_deferred_in_task(loop: asyncio.AbstractEventLoop) -> None:
    async def main() -> int:
        d: Deferred[int] = Deferred()
        loop.call_soon(d.callback, 7)
        return await d

    assert run(loop, main()) == 7


def test_await_deferred_through_chain(loop: asyncio.AbstractEventLoop) -> None:
    async def main() -> int:
        inner: Deferred[int] = Deferred()
        outer = succeed(None).addCallback(lambda _: inner).addCallback(lambda r: r + 1)
        loop.call_soon(inner.callback, 1)
        return await outer

    assert run(loop, main()) == 2


def test_await_failed_deferred_raises_and_is_handled(
    loop: asyncio.AbstractEventLoop, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> str:
        d: Deferred[int] = Deferred()
        loop.call_soon(d.errback, KeyError("k"))
        with contextlib.suppress(KeyError):
            await d
        try:
            await fail(ValueError("v"))
        except ValueError:
            return "ok"
        return "no"

    assert run(loop, main()) == "ok"
    gc.collect()
    assert "Unhandled" not in caplog.text


def test_cancelling_task_cancels_awaited_deferred(loop: asyncio.AbstractEventLoop) -> None:
    cancelled: list[Deferred[Any]] = []

    async def main() -> bool:
        d: Deferred[int] = Deferred(cancelled.append)

        async def waiter() -> int:
            return await d

        task = loop.create_task(waiter())
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert d.called  # its CancelledError was consumed by the await
        return task.cancelled()

    assert run(loop, main()) is True
    assert len(cancelled) == 1


def test_task_cancel_with_raising_canceller_does_not_hang(
    loop: asyncio.AbstractEventLoop,
) -> None:
    def bad(d: Deferred[Any]) -> None:
        raise RuntimeError("canceller broke")

    async def main() -> bool:
        d: Deferred[int] = Deferred(bad)
        task = loop.create_task(_await(d))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return task.cancelled()

    assert run(loop, main())


def test_canceller_result_reaches_cancelled_task(loop: asyncio.AbstractEventLoop) -> None:
    async def main() -> str:
        d: Deferred[str] = Deferred(lambda d: d.callback("graceful"))
        task = loop.create_task(_await(d))
        await asyncio.sleep(0)
        task.cancel()
        return await task

    assert run(loop, main()) == "graceful"


def test_deferred_cancelled_elsewhere_raises_bridge_cancelled_error(
    loop: asyncio.AbstractEventLoop,
) -> None:
    async def main() -> str:
        d: Deferred[int] = Deferred()
        loop.call_soon(d.cancel)
        try:
            await d
        except CancelledError:
            return "bridge CancelledError"
        return "no"

    assert run(loop, main()) == "bridge CancelledError"


async def _await(d: Deferred[T]) -> T:
    return await d


# -- ensureDeferred with a running loop ---------------------------------------------------


def test_ensure_deferred_fired_synchronously_when_nothing_waits(
    loop: asyncio.AbstractEventLoop,
) -> None:
    async def inner() -> int:
        return await succeed(1) + await succeed(2)

    async def main() -> int:
        d = ensureDeferred(inner())
        return success_result_of(d)

    assert run(loop, main()) == 3


def test_ensure_deferred_coroutine_uses_asyncio_freely(loop: asyncio.AbstractEventLoop) -> None:
    async def work() -> tuple[bool, int]:
        await asyncio.sleep(0.001)
        fut = loop.create_future()
        loop.call_soon(fut.set_result, 4)
        value = await fut
        task = asyncio.current_task()
        value += await asyncio.ensure_future(asyncio.sleep(0, 1))
        d: Deferred[int] = Deferred()
        loop.call_soon(d.callback, 10)
        value += await d
        return task is not None, value

    async def main() -> tuple[bool, int]:
        return await ensureDeferred(work())

    assert run(loop, main()) == (True, 15)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.timeout is 3.11+")
def test_ensure_deferred_coroutine_can_use_asyncio_timeout(
    loop: asyncio.AbstractEventLoop,
) -> None:
    async def work() -> str:
        await asyncio.sleep(0)
        try:
            async with asyncio.timeout(0.01):  # type: ignore[attr-defined]
                await Deferred()
        except asyncio.TimeoutError:
            return "timed out"
        return "no"

    async def main() -> str:
        return await ensureDeferred(work())

    assert run(loop, main()) == "timed out"


def test_ensure_deferred_cancel_fails_at_once(loop: asyncio.AbstractEventLoop) -> None:
    seen: list[str] = []

    async def work() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            seen.append("coroutine saw cancel")
            raise

    async def main() -> None:
        d = ensureDeferred(work())
        await asyncio.sleep(0)
        d.cancel()
        failure_result_of(d, CancelledError)
        await asyncio.sleep(0.01)

    run(loop, main())
    assert seen == ["coroutine saw cancel"]


def test_ensure_deferred_cancel_before_task_first_ran_times_out(
    loop: asyncio.AbstractEventLoop,
) -> None:
    seen: list[str] = []

    async def work() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    async def main() -> None:
        clock = Clock()
        d = ensureDeferred(work())
        d.addTimeout(1, clock)
        clock.advance(1)  # cancels before the loop ever ran the task
        failure_result_of(d, TimeoutError)
        for _ in range(3):
            await asyncio.sleep(0)

    run(loop, main())
    assert seen == ["cancelled"]


def test_ensure_deferred_cancel_cancels_awaited_deferred(
    loop: asyncio.AbstractEventLoop,
) -> None:
    cancelled: list[Deferred[Any]] = []

    async def work() -> int:
        return await Deferred(cancelled.append)

    async def main() -> None:
        d = ensureDeferred(work())
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        d.cancel()
        failure_result_of(d, CancelledError)
        await asyncio.sleep(0.01)

    run(loop, main())
    assert len(cancelled) == 1


def test_ensure_deferred_keeps_context_in_task(loop: asyncio.AbstractEventLoop) -> None:
    async def work() -> str:
        var.set("co")
        await asyncio.sleep(0)
        return var.get()

    async def main() -> tuple[str, str]:
        value = await ensureDeferred(work())
        return value, var.get()

    assert run(loop, main()) == ("co", "unset")


def test_ensure_deferred_failure_in_task(loop: asyncio.AbstractEventLoop) -> None:
    async def work() -> None:
        await asyncio.sleep(0)
        raise ValueError("late")

    async def main() -> None:
        d = ensureDeferred(work())
        with pytest.raises(ValueError, match="late"):
            await d

    run(loop, main())


def test_maybe_deferred_of_coroutine_function_in_loop(loop: asyncio.AbstractEventLoop) -> None:
    async def work(x: int) -> int:
        await asyncio.sleep(0)
        return x * 2

    async def main() -> int:
        return await maybeDeferred(work, 21)

    assert run(loop, main()) == 42


# -- Future -> Deferred -------------------------------------------------------------------


def test_from_future_result_and_exception(loop: asyncio.AbstractEventLoop) -> None:
    async def main() -> None:
        fut: asyncio.Future[int] = loop.create_future()
        d = Deferred.fromFuture(fut)
        assert_no_result(d)
        fut.set_result(3)
        await asyncio.sleep(0)
        assert success_result_of(d) == 3
        bad: asyncio.Future[int] = loop.create_future()
        bad.set_exception(KeyError("k"))
        failure_result_of(Deferred.fromFuture(bad), KeyError)

    run(loop, main())


def test_from_future_cancel_fails_at_once_and_cancels_future(
    loop: asyncio.AbstractEventLoop,
) -> None:
    async def main() -> None:
        fut: asyncio.Future[int] = loop.create_future()
        d = Deferred.fromFuture(fut)
        d.cancel()
        failure_result_of(d, CancelledError)
        assert fut.cancelled()
        await asyncio.sleep(0)

    run(loop, main())


def test_from_future_add_timeout_gives_timeout_error(loop: asyncio.AbstractEventLoop) -> None:
    async def main() -> None:
        clock = Clock()
        task = loop.create_task(asyncio.sleep(10))
        d = Deferred.fromFuture(task).addTimeout(1, clock)
        clock.advance(1)  # before the task first ran
        failure_result_of(d, TimeoutError)
        await asyncio.sleep(0)
        assert task.cancelled()

    run(loop, main())


def test_from_future_cancelled_externally(loop: asyncio.AbstractEventLoop) -> None:
    async def main() -> None:
        fut: asyncio.Future[int] = loop.create_future()
        d = Deferred.fromFuture(fut)
        fut.cancel()
        await asyncio.sleep(0)
        assert d.called
        failure_result_of(d, CancelledError)  # consumed: not reported as unhandled

    run(loop, main())


# -- Deferred -> Future -------------------------------------------------------------------


def test_as_future_result(loop: asyncio.AbstractEventLoop) -> None:
    async def main() -> int:
        d: Deferred[int] = Deferred()
        fut = d.asFuture(loop)
        loop.call_soon(d.callback, 8)
        return await fut  # type: ignore[no-any-return]

    assert run(loop, main()) == 8


def test_as_future_exception(loop: asyncio.AbstractEventLoop) -> None:
    async def main() -> None:
        fut = fail(OSError("o")).asFuture(loop)
        with pytest.raises(OSError):
            await fut

    run(loop, main())


def test_cancelled_deferred_leaves_future_cancelled(loop: asyncio.AbstractEventLoop) -> None:
    async def main() -> bool:
        d: Deferred[int] = Deferred()
        fut = aio.to_future(d)
        d.cancel()
        return fut.cancelled()  # type: ignore[no-any-return]

    assert run(loop, main())


def test_cancelled_future_cancels_deferred(loop: asyncio.AbstractEventLoop) -> None:
    cancelled: list[Deferred[Any]] = []

    async def main() -> None:
        d: Deferred[int] = Deferred(cancelled.append)
        fut = aio.to_future(d, loop)
        fut.cancel()
        await asyncio.sleep(0)
        assert d.called

    run(loop, main())
    assert len(cancelled) == 1


# -- bridge.aio helpers -------------------------------------------------------------------


def test_to_deferred_of_everything(loop: asyncio.AbstractEventLoop) -> None:
    class Custom:
        def __await__(self) -> Any:
            return asyncio.sleep(0, "custom").__await__()

    async def co() -> str:
        await asyncio.sleep(0)
        return "co"

    async def main() -> list[Any]:
        d = succeed(1)
        assert aio.to_deferred(d) is d
        fut = loop.create_future()
        fut.set_result("fut")
        task = loop.create_task(co())
        return [
            await aio.to_deferred(co()),
            await aio.to_deferred(fut),
            await aio.to_deferred(task),
            await aio.to_deferred(Custom()),
        ]

    assert run(loop, main()) == ["co", "fut", "co", "custom"]
    with pytest.raises(TypeError, match="awaitable"):
        aio.to_deferred(3)  # type: ignore[arg-type]


def test_call_deferred_and_wrappers(loop: asyncio.AbstractEventLoop) -> None:
    def deferred_fn(x: int) -> Deferred[int]:
        d: Deferred[int] = Deferred()
        loop.call_soon(d.callback, x + 1)
        return d

    async def async_fn(x: int) -> int:
        await asyncio.sleep(0)
        return x * 10

    async def main() -> tuple[int, int, int]:
        a = await aio.call_deferred(deferred_fn, 1)
        b = await aio.deferred_to_async(deferred_fn)(2)
        c = await aio.async_to_deferred(async_fn)(3)
        return a, b, c

    assert run(loop, main()) == (2, 3, 30)


def test_to_future_without_running_loop_uses_given_loop(loop: asyncio.AbstractEventLoop) -> None:
    d: Deferred[int] = Deferred()
    fut = aio.to_future(d, loop)
    d.callback(5)
    assert loop.run_until_complete(fut) == 5


def test_current_task_is_the_coroutines_own_from_the_first_step(
    loop: asyncio.AbstractEventLoop,
) -> None:
    async def work() -> asyncio.Task[Any] | None:
        return asyncio.current_task()

    async def main() -> None:
        outer = asyncio.current_task()
        inner = success_result_of(ensureDeferred(work()))
        assert inner is not None and inner is not outer
        assert asyncio.current_task() is outer

    run(loop, main())


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.timeout is 3.11+")
def test_asyncio_timeout_in_first_step_targets_the_coroutine(
    loop: asyncio.AbstractEventLoop,
) -> None:
    async def work() -> str:
        try:
            async with asyncio.timeout(0.01):  # type: ignore[attr-defined]
                await asyncio.sleep(10)
        except asyncio.TimeoutError:
            return "timed out"
        return "no"

    async def main() -> tuple[str, bool]:
        d = ensureDeferred(work())
        value = await d
        await asyncio.sleep(0.02)
        return value, asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]

    assert run(loop, main()) == ("timed out", True)
