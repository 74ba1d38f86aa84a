"""Deferred chain semantics: callbacks, errbacks, chaining, pause, cancel, timeouts."""

from __future__ import annotations

import gc
import itertools
import logging
import sys
from typing import Any

import pytest

from bridge import defer
from bridge.defer import (
    AlreadyCalledError,
    CancelledError,
    Deferred,
    fail,
    maybeDeferred,
    succeed,
)
from bridge.failure import Failure
from bridge.task import Clock
from tests.helpers import assert_no_result, failure_result_of, success_result_of


def test_callbacks_run_in_order_with_results_threaded() -> None:
    d: Deferred[int] = Deferred()
    seen: list[Any] = []
    d.addCallback(lambda r: seen.append(("a", r)) or r + 1)
    d.addCallback(lambda r, k: seen.append(("b", r, k)) or r * 10, 7)
    d.callback(1)
    assert seen == [("a", 1), ("b", 2, 7)]
    assert success_result_of(d) == 20


def test_callback_added_after_firing_runs_immediately() -> None:
    d = succeed(3)
    seen: list[int] = []
    d.addCallback(seen.append)
    assert seen == [3]
    assert d.called


def test_exception_in_callback_skips_to_next_errback() -> None:
    d: Deferred[int] = Deferred()
    seen: list[str] = []
    d.addCallback(lambda _: 1 / 0)
    d.addCallback(lambda _: seen.append("skipped"))
    d.addErrback(lambda f: seen.append(f.type.__name__) or "recovered")
    d.addCallback(lambda r: seen.append(r))
    d.callback(None)
    assert seen == ["ZeroDivisionError", "recovered"]


def test_errback_returning_failure_continues_failure() -> None:
    d = fail(ValueError("x"))
    d.addErrback(lambda f: f)
    f = failure_result_of(d, ValueError)
    assert f.getErrorMessage() == "x"


def test_add_callbacks_keywords_and_args() -> None:
    d: Deferred[int] = Deferred()
    d.addCallbacks(
        lambda r, a, b=0: (r, a, b),
        lambda f: None,
        callbackArgs=(2,),
        callbackKeywords={"b": 3},
    )
    d.callback(1)
    assert success_result_of(d) == (1, 2, 3)


def test_add_both_sees_success_and_failure() -> None:
    seen: list[Any] = []
    succeed(1).addBoth(seen.append)
    fail(KeyError("k")).addBoth(seen.append)
    assert seen[0] == 1
    assert isinstance(seen[1], Failure)


def test_firing_twice_raises_already_called() -> None:
    d = succeed(1)
    with pytest.raises(AlreadyCalledError) as info:
        d.callback(2)
    # Twisted's exception carries nothing without debugging; the hint is a note (3.11+),
    # which tracebacks show but str() does not.
    assert str(info.value) == "" and info.value.args == ()
    if sys.version_info >= (3, 11):
        assert "fires once" in info.value.__notes__[0]
    with pytest.raises(AlreadyCalledError):
        d.errback(ValueError())


def test_already_called_names_first_firing_when_debugging() -> None:
    defer.setDebugging(True)
    try:
        d: Deferred[int] = Deferred()
        d.callback(1)
        with pytest.raises(AlreadyCalledError, match="First Invoker was") as info:
            d.callback(2)
        text = str(info.value)
        assert "test_already_called_names_first_firing_when_debugging" in text
        # Twisted's layout: every stack line prefixed, and no frame of bridge's own.
        assert text.startswith("\n C: Deferred was created:\n C:  File ")
        assert text.endswith("\n")
        assert "_defer_core" not in text
        lines = text.splitlines()[1:]
        assert all(line.startswith((" C:", " I:")) for line in lines)
    finally:
        defer.setDebugging(False)
    assert not defer.getDebugging()


def test_callback_with_a_deferred_is_refused() -> None:
    with pytest.raises(AssertionError, match="cannot be"):
        Deferred().callback(Deferred())


def test_non_callable_rejected() -> None:
    with pytest.raises(TypeError, match="callable"):
        Deferred().addCallback(3)  # type: ignore[arg-type]


def test_returned_deferred_pauses_outer_chain() -> None:
    inner: Deferred[int] = Deferred()
    outer: Deferred[int] = Deferred()
    outer.addCallback(lambda _: inner)
    outer.addCallback(lambda r: r + 1)
    outer.callback(None)
    assert_no_result(outer)
    assert "waiting on Deferred" in repr(outer)
    inner.callback(41)
    assert success_result_of(outer) == 42
    assert inner.result is None


def test_returned_fired_deferred_result_is_taken_over() -> None:
    inner = succeed(5)
    outer = succeed(None).addCallback(lambda _: inner)
    assert success_result_of(outer) == 5
    assert inner.result is None


def test_returned_failed_deferred_is_not_reported_unhandled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def run() -> None:
        inner = fail(ValueError("inner"))
        outer = succeed(None).addCallback(lambda _: inner)
        outer.addErrback(lambda f: None)

    run()
    gc.collect()
    assert "Unhandled error" not in caplog.text


def test_deep_nesting_is_iterative() -> None:
    depth = 100_000
    first: Deferred[int] = Deferred()
    leaves = [Deferred[int]() for _ in range(depth)]
    current: Deferred[Any] = first
    for nxt in leaves:
        current.addCallback(lambda _, n=nxt: n)
        current = nxt
    first.callback(0)
    for leaf in reversed(leaves):
        leaf.callback(1) if not leaf.called else None
    assert success_result_of(first) == 1


def test_deep_chain_of_fired_inner_deferreds() -> None:
    d: Deferred[int] = Deferred()
    for _ in range(100_000):
        d.addCallback(lambda r: succeed(r + 1))
    d.callback(0)
    assert success_result_of(d) == 100_000


def test_deep_pending_chain_resolves_without_recursion() -> None:
    depth = 100_000
    ds = [Deferred[int]() for _ in range(depth)]
    for a, b in itertools.pairwise(ds):
        a.addCallback(lambda _, b=b: b)
    for d in ds[:-1]:
        d.callback(0)
    ds[-1].callback(7)
    assert success_result_of(ds[0]) == 7


def test_pause_holds_callbacks_until_unpause() -> None:
    d: Deferred[int] = Deferred()
    seen: list[int] = []
    d.pause()
    d.addCallback(seen.append)
    d.callback(1)
    assert seen == []
    d.pause()
    d.unpause()
    assert seen == []
    d.unpause()
    assert seen == [1]


def test_cancel_without_canceller_fails_and_swallows_late_result() -> None:
    d: Deferred[int] = Deferred()
    d.cancel()
    failure_result_of(d, CancelledError)
    d.callback(1)  # the operation completed anyway: ignored once
    with pytest.raises(AlreadyCalledError):
        d.callback(2)


def test_canceller_that_fires_wins() -> None:
    d: Deferred[str] = Deferred(lambda d: d.callback("cancelled nicely"))
    d.cancel()
    assert success_result_of(d) == "cancelled nicely"


def test_canceller_that_does_not_fire_gives_cancelled_error() -> None:
    calls: list[Deferred[Any]] = []
    d: Deferred[int] = Deferred(calls.append)
    d.cancel()
    assert calls == [d]
    failure_result_of(d, CancelledError)
    with pytest.raises(AlreadyCalledError):
        d.callback(1)


def test_raising_canceller_still_fails_the_deferred(caplog: pytest.LogCaptureFixture) -> None:
    def bad(d: Deferred[Any]) -> None:
        raise RuntimeError("canceller broke")

    d: Deferred[int] = Deferred(bad)
    with caplog.at_level(logging.ERROR, logger="bridge"):
        d.cancel()
    failure_result_of(d, CancelledError)
    assert "canceller broke" in caplog.text


def test_cancel_after_fire_is_noop() -> None:
    d = succeed(1)
    d.cancel()
    assert success_result_of(d) == 1


def test_cancel_forwards_to_chained_deferred() -> None:
    inner: Deferred[int] = Deferred()
    outer = succeed(None).addCallback(lambda _: inner)
    outer.cancel()
    assert inner.called  # its CancelledError moved on to outer
    failure_result_of(outer, CancelledError)


def test_chain_deferred_fires_other() -> None:
    a: Deferred[int] = Deferred()
    b: Deferred[int] = Deferred()
    a.chainDeferred(b)
    a.callback(3)
    assert success_result_of(b) == 3
    assert success_result_of(a) is None


def test_timeout_fires_timeout_error() -> None:
    clock = Clock()
    d: Deferred[int] = Deferred()
    d.addTimeout(5, clock)
    clock.advance(4.9)
    assert_no_result(d)
    clock.advance(0.2)
    failure_result_of(d, defer.TimeoutError)


def test_timeout_cancelled_when_result_arrives() -> None:
    clock = Clock()
    d: Deferred[int] = Deferred()
    d.addTimeout(5, clock)
    d.callback(1)
    assert clock.calls == []
    assert success_result_of(d) == 1


def test_timeout_custom_on_timeout_cancel() -> None:
    clock = Clock()
    d: Deferred[int] = Deferred()
    d.addTimeout(1, clock, onTimeoutCancel=lambda r, t: ("late", t))
    clock.advance(1)
    assert success_result_of(d) == ("late", 1)


def test_timeout_leaves_non_timeout_cancellation_alone() -> None:
    clock = Clock()
    d: Deferred[int] = Deferred()
    d.addTimeout(1, clock)
    d.cancel()
    failure_result_of(d, CancelledError)


def test_timeout_canceller_result_passes_through() -> None:
    clock = Clock()
    d: Deferred[str] = Deferred(lambda d: d.callback("from canceller"))
    d.addTimeout(1, clock)
    clock.advance(1)
    assert success_result_of(d) == "from canceller"


def test_maybe_deferred_variants() -> None:
    assert success_result_of(maybeDeferred(lambda: 3)) == 3
    failure_result_of(maybeDeferred(lambda: 1 / 0), ZeroDivisionError)
    d = succeed(4)
    assert maybeDeferred(lambda: d) is d
    failure_result_of(maybeDeferred(lambda: Failure(KeyError())), KeyError)


def test_repr_shows_state() -> None:
    d: Deferred[int] = Deferred()
    assert repr(d).startswith("<Deferred at 0x") and "result" not in repr(d)
    d.callback(42)
    assert repr(d).endswith("current result: 42>")


def test_result_attribute_absent_until_fired() -> None:
    d: Deferred[int] = Deferred()
    assert not hasattr(d, "result")
    assert not d.called


def test_unhandled_failure_logged_once_at_gc(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[Failure] = []

    def observer(f: Failure, why: str) -> None:
        seen.append(f)

    defer.add_unhandled_error_observer(observer)
    try:
        with caplog.at_level(logging.ERROR, logger="bridge"):
            d = fail(ValueError("lost"))
            del d
            gc.collect()
            gc.collect()
    finally:
        defer.remove_unhandled_error_observer(observer)
    assert caplog.text.count("Unhandled error in Deferred") == 1
    assert "ValueError: lost" in caplog.text
    assert len(seen) == 1
    assert caplog.records[0].failure is seen[0]  # type: ignore[attr-defined]


def test_handled_failure_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    d = fail(ValueError("fine"))
    d.addErrback(lambda f: None)
    del d
    gc.collect()
    assert "Unhandled" not in caplog.text


def test_coroutine_returned_from_callback_is_a_teaching_error() -> None:
    async def work(r: int) -> int:
        return r

    d = succeed(1).addCallback(work)
    f = failure_result_of(d, TypeError)
    assert "ensureDeferred" in f.getErrorMessage()
