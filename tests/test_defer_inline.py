"""inlineCallbacks and ensureDeferred without a running loop (Twisted's trampoline)."""

from __future__ import annotations

import contextvars
from collections.abc import Generator
from typing import Any

import pytest

from bridge.defer import (
    CancelledError,
    Deferred,
    NotACoroutineError,
    ensureDeferred,
    fail,
    inlineCallbacks,
    maybeDeferred,
    returnValue,
    succeed,
)
from tests.helpers import assert_no_result, failure_result_of, success_result_of

var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")


def test_inline_callbacks_returns_value_synchronously_when_all_fired() -> None:
    @inlineCallbacks
    def work() -> Generator[Any, Any, int]:
        a = yield succeed(1)
        b = yield succeed(2)
        c = yield 3  # non-Deferreds come straight back
        return a + b + c

    assert success_result_of(work()) == 6


def test_inline_callbacks_waits_for_pending_deferred() -> None:
    d: Deferred[int] = Deferred()

    @inlineCallbacks
    def work() -> Generator[Any, Any, int]:
        x = yield d
        return x * 2

    result = work()
    assert_no_result(result)
    d.callback(21)
    assert success_result_of(result) == 42
    assert d.result is None  # consumed, as in Twisted


def test_inline_callbacks_failure_raised_into_generator() -> None:
    @inlineCallbacks
    def work() -> Generator[Any, Any, str]:
        try:
            yield fail(KeyError("k"))
        except KeyError:
            return "caught"
        return "not caught"

    assert success_result_of(work()) == "caught"


def test_inline_callbacks_uncaught_exception_fails() -> None:
    @inlineCallbacks
    def work() -> Generator[Any, Any, None]:
        yield succeed(None)
        raise ValueError("bad")

    failure_result_of(work(), ValueError)


def test_return_value_still_supported() -> None:
    @inlineCallbacks
    def work() -> Generator[Any, Any, None]:
        yield succeed(None)
        returnValue(5)

    assert success_result_of(work()) == 5  # type: ignore[func-returns-value]


def test_inline_callbacks_requires_generator() -> None:
    @inlineCallbacks  # type: ignore[arg-type]
    def not_gen() -> int:
        return 1

    with pytest.raises(TypeError, match="generator"):
        not_gen()


def test_inline_callbacks_long_loop_of_fired_deferreds_does_not_recurse() -> None:
    @inlineCallbacks
    def work() -> Generator[Any, Any, int]:
        total = 0
        for i in range(50_000):
            total += yield succeed(i)
        return total

    assert success_result_of(work()) == sum(range(50_000))


def test_inline_callbacks_cancel_cancels_waited_deferred() -> None:
    inner: Deferred[int] = Deferred()

    @inlineCallbacks
    def work() -> Generator[Any, Any, int]:
        x = yield inner
        return x

    outer = work()
    outer.cancel()
    failure_result_of(outer, CancelledError)


def test_inline_callbacks_cancellation_can_be_caught() -> None:
    first: Deferred[int] = Deferred()
    second: Deferred[int] = Deferred()

    @inlineCallbacks
    def work() -> Generator[Any, Any, int]:
        try:
            yield first
        except CancelledError:
            x = yield second
            return x
        return 0

    outer = work()
    outer.cancel()
    assert_no_result(outer)
    second.callback(9)
    assert success_result_of(outer) == 9


def test_inline_callbacks_keeps_context() -> None:
    d: Deferred[None] = Deferred()

    @inlineCallbacks
    def work() -> Generator[Any, Any, str]:
        var.set("inside")
        yield d
        return var.get()

    result = work()
    assert var.get() == "unset"
    d.callback(None)
    assert success_result_of(result) == "inside"
    assert var.get() == "unset"


def test_inline_callbacks_yielding_coroutine_runs_it() -> None:
    async def co() -> int:
        return await succeed(4)

    @inlineCallbacks
    def work() -> Generator[Any, Any, int]:
        x = yield co()
        return x

    assert success_result_of(work()) == 4


def test_ensure_deferred_synchronous_when_nothing_waits() -> None:
    async def co() -> int:
        a = await succeed(1)
        b = await succeed(2)
        return a + b

    assert success_result_of(ensureDeferred(co())) == 3


def test_ensure_deferred_resumes_synchronously_when_deferred_fires() -> None:
    d: Deferred[int] = Deferred()

    async def co() -> int:
        return (await d) + 1

    result = ensureDeferred(co())
    assert_no_result(result)
    d.callback(1)
    assert success_result_of(result) == 2
    assert d.result is None


def test_ensure_deferred_failure() -> None:
    async def co() -> None:
        await fail(ZeroDivisionError())

    failure_result_of(ensureDeferred(co()), ZeroDivisionError)


def test_ensure_deferred_passes_deferred_through_and_rejects_others() -> None:
    d = succeed(1)
    assert ensureDeferred(d) is d

    async def co() -> None:
        return None

    with pytest.raises(NotACoroutineError, match="call the function first"):
        ensureDeferred(co)


def test_from_coroutine_same_as_ensure_deferred() -> None:
    async def co() -> int:
        return 5

    assert success_result_of(Deferred.fromCoroutine(co())) == 5


def test_ensure_deferred_cancel_fails_at_once_and_coroutine_sees_cancelled_error() -> None:
    inner: Deferred[int] = Deferred()
    seen: list[str] = []

    async def co() -> int:
        try:
            return await inner
        except CancelledError:
            seen.append("cancelled")
            raise

    result = ensureDeferred(co())
    result.cancel()
    failure_result_of(result, CancelledError)
    assert seen == ["cancelled"]


def test_ensure_deferred_cancel_fails_even_if_coroutine_keeps_waiting() -> None:
    inner: Deferred[int] = Deferred()
    later: Deferred[int] = Deferred()

    async def co() -> int:
        try:
            return await inner
        except CancelledError:
            return await later

    result = ensureDeferred(co())
    result.cancel()
    failure_result_of(result, CancelledError)
    later.callback(1)  # the late result is dropped


def test_ensure_deferred_keeps_context() -> None:
    d: Deferred[None] = Deferred()

    async def co() -> str:
        var.set("co")
        await d
        return var.get()

    result = ensureDeferred(co())
    assert var.get() == "unset"
    d.callback(None)
    assert success_result_of(result) == "co"


def test_ensure_deferred_deep_chain_of_awaits() -> None:
    async def co() -> int:
        total = 0
        for i in range(20_000):
            total += await succeed(i)
        return total

    assert success_result_of(ensureDeferred(co())) == sum(range(20_000))


def test_maybe_deferred_of_coroutine_function() -> None:
    async def co(x: int) -> int:
        return x + 1

    assert success_result_of(maybeDeferred(co, 1)) == 2


def test_await_without_loop_of_asyncio_sleep_is_a_clear_error() -> None:
    import asyncio

    async def co() -> None:
        await asyncio.sleep(0)

    f = failure_result_of(ensureDeferred(co()), RuntimeError)
    assert "running loop" in f.getErrorMessage()


def test_returning_a_deferred_fails_the_result_not_the_caller() -> None:
    @inlineCallbacks
    def gen() -> Generator[Any, Any, Any]:
        yield None
        return succeed("x")

    async def co() -> Any:
        return succeed("x")

    for d in (gen(), ensureDeferred(co())):
        f = failure_result_of(d, TypeError)
        assert "return await d" in f.getErrorMessage()
