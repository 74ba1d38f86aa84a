"""DeferredList, gatherResults, race, execute, DeferredLock/Semaphore/Queue."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

from bridge.defer import (
    CancelledError,
    Deferred,
    DeferredList,
    DeferredLock,
    DeferredQueue,
    DeferredSemaphore,
    FailureGroup,
    FirstError,
    QueueOverflow,
    QueueUnderflow,
    ensureDeferred,
    execute,
    fail,
    gatherResults,
    race,
    succeed,
)
from bridge.failure import Failure
from tests.helpers import assert_no_result, failure_result_of, success_result_of


def test_deferred_list_collects_in_order() -> None:
    a: Deferred[int] = Deferred()
    b: Deferred[int] = Deferred()
    dl = DeferredList([a, b])
    b.callback(2)
    assert_no_result(dl)
    a.callback(1)
    assert success_result_of(dl) == [(True, 1), (True, 2)]


def test_deferred_list_empty_fires_immediately() -> None:
    assert success_result_of(DeferredList([])) == []


def test_deferred_list_failure_entries_and_consume_errors() -> None:
    dl = DeferredList([succeed(1), fail(ValueError("v"))], consumeErrors=True)
    result = success_result_of(dl)
    assert result[0] == (True, 1)
    assert result[1][0] is False and isinstance(result[1][1], Failure)


def test_deferred_list_without_consume_errors_leaves_failure_in_member() -> None:
    member = fail(ValueError("v"))
    DeferredList([member])
    failure_result_of(member, ValueError)


def test_fire_on_one_callback() -> None:
    a: Deferred[int] = Deferred()
    b: Deferred[int] = Deferred()
    dl = DeferredList([a, b], fireOnOneCallback=True)
    b.callback(5)
    assert success_result_of(dl) == (5, 1)


def test_fire_on_one_errback() -> None:
    a: Deferred[int] = Deferred()
    b: Deferred[int] = Deferred()
    dl = DeferredList([a, b], fireOnOneErrback=True, consumeErrors=True)
    b.errback(KeyError("k"))
    f = failure_result_of(dl, FirstError)
    assert f.value.index == 1  # type: ignore[attr-defined]
    assert f.value.subFailure.check(KeyError)  # type: ignore[attr-defined]


def test_deferred_list_cancel_cancels_members() -> None:
    a: Deferred[int] = Deferred()
    b: Deferred[int] = Deferred()
    dl = DeferredList([a, b], consumeErrors=True)
    dl.cancel()
    result = success_result_of(dl)
    assert all(not ok and f.check(CancelledError) for ok, f in result)


def test_gather_results() -> None:
    assert success_result_of(gatherResults([succeed(1), succeed(2)])) == [1, 2]
    f = failure_result_of(gatherResults([succeed(1), fail(OSError())], consumeErrors=True))
    assert f.check(FirstError)


def test_gather_results_cancel() -> None:
    a: Deferred[int] = Deferred()
    d = gatherResults([a], consumeErrors=True)
    d.cancel()
    failure_result_of(d, FirstError)


def test_race_first_success_wins_and_cancels_others() -> None:
    a: Deferred[int] = Deferred()
    b: Deferred[int] = Deferred()
    d = race([a, b])
    b.callback(2)
    assert success_result_of(d) == (1, 2)
    assert a.called


def test_race_cancels_losers_before_passing_on_the_winner() -> None:
    events: list[str] = []
    loser: Deferred[int] = Deferred(lambda _: events.append("loser cancelled"))
    first: Deferred[int] = Deferred()
    d = race([loser, first])
    d.addCallback(lambda r: events.append(f"winner {r}"))
    first.callback(5)
    assert events == ["loser cancelled", "winner (1, 5)"]
    assert success_result_of(d) is None


def test_race_all_fail() -> None:
    d = race([fail(ValueError()), fail(KeyError())])
    f = failure_result_of(d, FailureGroup)
    assert len(f.value.failures) == 2  # type: ignore[attr-defined]
    assert repr(f.value) == "FailureGroup()"  # as Twisted's: no exception arguments


def test_execute() -> None:
    assert success_result_of(execute(lambda: 1)) == 1
    failure_result_of(execute(lambda: 1 / 0), ZeroDivisionError)


def test_lock_serialises() -> None:
    lock = DeferredLock()
    first = lock.acquire()
    assert success_result_of(first) is lock
    second = lock.acquire()
    assert_no_result(second)
    lock.release()
    assert success_result_of(second) is lock
    lock.release()
    assert not lock.locked
    with pytest.raises(AssertionError, match="unlocked"):
        lock.release()


def test_waiting_lists_pending_acquires() -> None:
    lock = DeferredLock()
    lock.acquire()
    second = lock.acquire()
    assert list(lock.waiting) == [second]
    sem = DeferredSemaphore(1)
    sem.acquire()
    third = sem.acquire()
    assert list(sem.waiting) == [third]
    sem.release()
    assert list(sem.waiting) == []
    sem.release()
    with pytest.raises(AssertionError, match="too many tokens"):
        sem.release()


def test_lock_cancelled_acquire_leaves_queue() -> None:
    lock = DeferredLock()
    lock.acquire()
    waiting = lock.acquire()
    waiting.cancel()
    failure_result_of(waiting, CancelledError)
    lock.release()
    assert not lock.locked


def test_lock_run_releases_after_deferred() -> None:
    lock = DeferredLock()
    inner: Deferred[int] = Deferred()
    d = lock.run(lambda: inner)
    assert lock.locked
    inner.callback(3)
    assert success_result_of(d) == 3
    assert not lock.locked


def test_lock_async_with() -> None:
    lock = DeferredLock()
    seen: list[bool] = []

    async def co() -> None:
        async with lock:
            seen.append(lock.locked)

    success_result_of(ensureDeferred(co()))
    assert seen == [True] and not lock.locked


def test_semaphore_tokens() -> None:
    sem = DeferredSemaphore(2)
    a, b, c = sem.acquire(), sem.acquire(), sem.acquire()
    success_result_of(a)
    success_result_of(b)
    assert_no_result(c)
    sem.release()
    success_result_of(c)
    assert sem.tokens == 0
    with pytest.raises(ValueError):
        DeferredSemaphore(0)


def test_queue_put_get() -> None:
    q: DeferredQueue[int] = DeferredQueue()
    got = q.get()
    assert_no_result(got)
    q.put(1)
    assert success_result_of(got) == 1
    q.put(2)
    assert success_result_of(q.get()) == 2


def test_queue_overflow_and_underflow() -> None:
    q: DeferredQueue[int] = DeferredQueue(size=1, backlog=1)
    q.put(1)
    with pytest.raises(QueueOverflow):
        q.put(2)
    q.get()
    q.get()
    with pytest.raises(QueueUnderflow):
        q.get()


def test_queue_cancelled_get_leaves_waiting() -> None:
    q: DeferredQueue[Any] = DeferredQueue()
    d = q.get()
    d.cancel()
    failure_result_of(d, CancelledError)
    assert q.waiting == []
    gc.collect()


def test_add_timeout_error_carries_twisteds_args() -> None:
    """addTimeout's TimeoutError has args (timeout, "Deferred"), as Twisted's."""
    from bridge import defer, task

    clock = task.Clock()
    d: defer.Deferred[None] = defer.Deferred()
    d.addTimeout(2.5, clock)
    clock.advance(2.5)
    err = d.result
    d.addErrback(lambda f: None)
    assert err.value.args == (2.5, "Deferred")


def test_log_error_logs_and_passes_the_failure_on(caplog: pytest.LogCaptureFixture) -> None:
    from bridge import defer

    d = defer.fail(ValueError("x")).addErrback(defer.logError)
    f = d.result
    d.addErrback(lambda _: None)
    assert f.check(ValueError)
    assert "ValueError: x" in caplog.text


def test_deferred_filesystem_lock_waits_then_takes_the_lock(tmp_path: Path) -> None:
    """deferUntilLocked retries every second until the holder unlocks."""
    from bridge import defer, task

    clock = task.Clock()
    path = str(tmp_path / "lock")
    holder = defer.DeferredFilesystemLock(path, scheduler=clock)
    assert holder.lock()
    waiter = defer.DeferredFilesystemLock(path, scheduler=clock)
    d = waiter.deferUntilLocked()
    assert_no_result(d)
    again = waiter.deferUntilLocked()
    failure_result_of(again, defer.AlreadyTryingToLockError)
    holder.unlock()
    clock.advance(1)
    assert success_result_of(d) is None
    assert waiter.locked
    waiter.unlock()
    with pytest.raises(ValueError, match="not held"):
        waiter.unlock()


def test_deferred_filesystem_lock_times_out(tmp_path: Path) -> None:
    from bridge import defer, task

    clock = task.Clock()
    path = str(tmp_path / "lock")
    holder = defer.DeferredFilesystemLock(path, scheduler=clock)
    assert holder.lock()
    d = defer.DeferredFilesystemLock(path, scheduler=clock).deferUntilLocked(timeout=2.5)
    clock.advance(1)
    clock.advance(1)
    assert_no_result(d)
    clock.advance(1)
    failure_result_of(d, defer.TimeoutError)
    assert clock.getDelayedCalls() == []
    holder.unlock()


def test_deferred_filesystem_lock_cancel_stops_retrying(tmp_path: Path) -> None:
    from bridge import defer, task

    clock = task.Clock()
    path = str(tmp_path / "lock")
    holder = defer.DeferredFilesystemLock(path, scheduler=clock)
    assert holder.lock()
    d = defer.DeferredFilesystemLock(path, scheduler=clock).deferUntilLocked()
    d.cancel()
    failure_result_of(d, defer.CancelledError)
    assert clock.getDelayedCalls() == []
    holder.unlock()


def test_misuse_errors_say_what_twisteds_say() -> None:
    """str() of each misuse error is Twisted 26's; bridge's explanation is a note (3.11+)."""
    from twisted.internet import defer as tdefer
    from twisted.python import failure as tfailure

    from bridge import defer as bdefer
    from bridge import failure as bfailure

    def text(case: Any, m: Any, fm: Any) -> tuple[str, str]:
        try:
            case(m, fm)
        except BaseException as e:
            return type(e).__name__, str(e)
        raise AssertionError("nothing raised")

    cases = [
        lambda m, fm: m.DeferredLock().release(),
        lambda m, fm: m.DeferredSemaphore(1).release(),
        lambda m, fm: [q := m.DeferredQueue(size=0), q.put(1)],
        lambda m, fm: [q := m.DeferredQueue(backlog=0), q.get()],
        lambda m, fm: fm.Failure(),
    ]
    for case in cases:
        assert text(case, bdefer, bfailure) == text(case, tdefer, tfailure)
