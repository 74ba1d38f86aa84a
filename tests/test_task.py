"""bridge.task: Clock, LoopingCall, deferLater, react, Cooperator (unit tests on Clock)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zope.interface.verify import verifyObject

from bridge import task
from bridge.defer import CancelledError, Deferred
from bridge.error import AlreadyCalled, AlreadyCancelled
from bridge.interfaces import IReactorTime
from tests.helpers import assert_no_result, failure_result_of, success_result_of

# -- Clock -----------------------------------------------------------------------------------


def test_clock_provides_ireactortime() -> None:
    assert verifyObject(IReactorTime, task.Clock())


def test_clock_runs_calls_in_time_then_scheduling_order() -> None:
    clock = task.Clock()
    order: list[str] = []
    clock.callLater(2, order.append, "c")
    clock.callLater(1, order.append, "a")
    clock.callLater(1, order.append, "b")
    clock.advance(0.5)
    assert order == []
    clock.advance(0.5)
    assert order == ["a", "b"]
    clock.advance(5)
    assert order == ["a", "b", "c"]
    assert clock.seconds() == 6


def test_clock_runs_calls_scheduled_by_due_calls_when_due() -> None:
    clock = task.Clock()
    order: list[str] = []
    clock.callLater(1, lambda: clock.callLater(0, order.append, "nested"))
    clock.callLater(1, order.append, "second")
    clock.advance(1)
    assert order == ["second", "nested"]


def test_clock_cancel_reset_delay() -> None:
    clock = task.Clock()
    calls: list[str] = []
    a = clock.callLater(1, calls.append, "a")
    b = clock.callLater(2, calls.append, "b")
    a.reset(3)
    b.delay(2)
    assert clock.getDelayedCalls() == [a, b]
    a.cancel()
    assert clock.getDelayedCalls() == [b]
    with pytest.raises(AlreadyCancelled):
        a.cancel()
    clock.advance(4)
    assert calls == ["b"]
    with pytest.raises(AlreadyCalled):
        b.reset(1)


def test_clock_advance_propagates_exceptions() -> None:
    clock = task.Clock()
    clock.callLater(1, lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        clock.advance(1)


def test_clock_pump() -> None:
    clock = task.Clock()
    seen: list[float] = []
    for t in (1, 2, 3):
        clock.callLater(t, lambda: seen.append(clock.seconds()))
    clock.pump([1, 1, 1])
    assert seen == [1, 2, 3]


# -- deferLater ------------------------------------------------------------------------------


def test_defer_later_fires_with_result() -> None:
    clock = task.Clock()
    d = task.deferLater(clock, 3, lambda x: x * 2, 21)
    clock.advance(2)
    assert_no_result(d)
    clock.advance(1)
    assert success_result_of(d) == 42


def test_defer_later_without_callable_fires_none() -> None:
    clock = task.Clock()
    d = task.deferLater(clock, 1)
    clock.advance(1)
    assert success_result_of(d) is None


def test_defer_later_cancel_cancels_call() -> None:
    clock = task.Clock()
    called: list[int] = []
    d = task.deferLater(clock, 1, called.append, 1)
    d.cancel()
    failure_result_of(d, CancelledError)
    assert clock.getDelayedCalls() == []
    clock.advance(2)
    assert called == []


# -- LoopingCall -----------------------------------------------------------------------------


def _looping(clock: task.Clock, f: Any, *a: Any) -> task.LoopingCall:
    lc = task.LoopingCall(f, *a)
    lc.clock = clock
    return lc


def test_looping_call_runs_every_interval_and_stop_fires_deferred() -> None:
    clock = task.Clock()
    calls: list[float] = []
    lc = _looping(clock, lambda: calls.append(clock.seconds()))
    d = lc.start(1)
    assert calls == [0]
    clock.pump([1, 1, 1])
    assert calls == [0, 1, 2, 3]
    lc.stop()
    assert success_result_of(d) is lc
    assert not lc.running


def test_looping_call_now_false_waits_one_interval() -> None:
    clock = task.Clock()
    calls: list[float] = []
    lc = _looping(clock, lambda: calls.append(clock.seconds()))
    lc.start(2, now=False)
    assert calls == []
    clock.advance(2)
    assert calls == [2]
    lc.stop()


def test_looping_call_skips_missed_intervals() -> None:
    clock = task.Clock()
    calls: list[float] = []
    lc = _looping(clock, lambda: calls.append(clock.seconds()))
    lc.start(1)
    clock.advance(3.5)
    assert calls == [0, 3.5]
    clock.advance(0.5)
    assert calls == [0, 3.5, 4]
    lc.stop()


def test_looping_call_with_count_reports_skipped_intervals() -> None:
    clock = task.Clock()
    counts: list[int] = []
    lc = task.LoopingCall.withCount(counts.append)
    lc.clock = clock
    lc.start(1)
    clock.advance(1)
    clock.advance(3)
    clock.advance(1)
    assert counts == [1, 1, 3, 1]
    lc.stop()


def test_looping_call_failure_stops_and_errbacks() -> None:
    clock = task.Clock()

    def boom() -> None:
        raise ValueError("bad tick")

    lc = _looping(clock, boom)
    d = lc.start(1)
    failure_result_of(d, ValueError)
    assert not lc.running
    assert clock.getDelayedCalls() == []


def test_looping_call_waits_for_returned_deferred() -> None:
    clock = task.Clock()
    pending: list[Deferred[None]] = []

    def tick() -> Deferred[None]:
        d: Deferred[None] = Deferred()
        pending.append(d)
        return d

    lc = _looping(clock, tick)
    done = lc.start(1)
    clock.advance(5)
    assert len(pending) == 1
    lc.stop()
    assert_no_result(done)
    pending[0].callback(None)
    assert success_result_of(done) is lc


def test_looping_call_misuse_raises() -> None:
    clock = task.Clock()
    lc = _looping(clock, lambda: None)
    with pytest.raises(AssertionError, match="not running"):
        lc.stop()
    with pytest.raises(ValueError, match="interval"):
        lc.start(-1)
    lc.start(1)
    with pytest.raises(AssertionError, match="already running"):
        lc.start(1)
    lc.stop()


def test_looping_call_reset_restarts_interval() -> None:
    clock = task.Clock()
    calls: list[float] = []
    lc = _looping(clock, lambda: calls.append(clock.seconds()))
    lc.start(2)
    clock.advance(1.5)
    lc.reset()
    clock.advance(1.5)
    assert calls == [0]
    clock.advance(0.5)
    assert calls == [0, 3.5]
    lc.stop()


def test_looping_call_interval_zero_runs_each_iteration() -> None:
    clock = task.Clock()
    calls: list[int] = []
    lc = _looping(clock, lambda: calls.append(1) if len(calls) < 3 else lc.stop())
    d = lc.start(0)
    for _ in range(5):
        clock.advance(0)
    assert calls == [1, 1, 1]
    success_result_of(d)


def test_looping_call_repr_matches_twisted() -> None:
    from twisted.internet import task as ttask

    class C:
        def m(self) -> None:
            pass

    for f, a, kw in ((print, ("x",), {}), (C().m, (), {"k": 2}), (lambda: None, (1,), {})):
        ours, theirs = task.LoopingCall(f, *a, **kw), ttask.LoopingCall(f, *a, **kw)
        assert repr(ours) == repr(theirs)
        ours.clock, theirs.clock = task.Clock(), ttask.Clock()
        ours.start(2.5, now=False)
        theirs.start(2.5, now=False)
        assert repr(ours) == repr(theirs)


def _twisted_trace(
    interval: float, now: bool, steps: list[float], with_count: bool
) -> list[tuple[float, int]]:
    from twisted.internet import task as ttask

    clock = ttask.Clock()
    seen: list[tuple[float, int]] = []
    if with_count:
        lc = ttask.LoopingCall.withCount(lambda n: seen.append((clock.seconds(), n)))
    else:
        lc = ttask.LoopingCall(lambda: seen.append((clock.seconds(), 1)))
    lc.clock = clock
    lc.start(interval, now=now)
    for step in steps:
        clock.advance(step)
    lc.stop()
    return seen


def _bridge_trace(
    interval: float, now: bool, steps: list[float], with_count: bool
) -> list[tuple[float, int]]:
    clock = task.Clock()
    seen: list[tuple[float, int]] = []
    if with_count:
        lc = task.LoopingCall.withCount(lambda n: seen.append((clock.seconds(), n)))
    else:
        lc = task.LoopingCall(lambda: seen.append((clock.seconds(), 1)))
    lc.clock = clock
    lc.start(interval, now=now)
    for step in steps:
        clock.advance(step)
    lc.stop()
    return seen


@settings(max_examples=200, deadline=None)
@given(
    interval=st.sampled_from([0.5, 1.0, 2.5, 3.0]),
    now=st.booleans(),
    steps=st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0, 1.75, 3.0, 7.5]), max_size=12),
    with_count=st.booleans(),
)
def test_looping_call_matches_twisted(
    interval: float, now: bool, steps: list[float], with_count: bool
) -> None:
    """LoopingCall on a Clock calls at the same times, with the same counts, as Twisted's."""
    assert _bridge_trace(interval, now, steps, with_count) == _twisted_trace(
        interval, now, steps, with_count
    )


@settings(max_examples=100, deadline=None)
@given(
    ops=st.lists(
        st.tuples(
            st.sampled_from(["call", "cancel", "reset", "delay", "advance"]), st.integers(0, 5)
        ),
        max_size=30,
    )
)
def test_clock_matches_twisted(ops: list[tuple[str, int]]) -> None:
    """Clock runs the same calls at the same times as Twisted's Clock."""
    from twisted.internet import task as ttask

    def trace(clock: Any) -> list[tuple[float, int]]:
        seen: list[tuple[float, int]] = []
        calls: list[Any] = []
        for i, (op, n) in enumerate(ops):
            live = [c for c in calls if c.active()]
            if op == "call":
                calls.append(clock.callLater(n, lambda i=i: seen.append((clock.seconds(), i))))
            elif op == "advance":
                clock.advance(n / 2)
            elif live:
                target = live[n % len(live)]
                if op == "cancel":
                    target.cancel()
                elif op == "reset":
                    target.reset(n)
                else:
                    target.delay(n)
        clock.advance(100)
        return seen

    assert trace(task.Clock()) == trace(ttask.Clock())


# -- Cooperator ------------------------------------------------------------------------------


def _manual_cooperator() -> tuple[task.Cooperator, list[Any]]:
    scheduled: list[Any] = []
    coop = task.Cooperator(
        terminationPredicateFactory=lambda: lambda: False, scheduler=scheduled.append
    )
    return coop, scheduled


def _run(scheduled: list[Any]) -> None:
    while scheduled:
        scheduled.pop(0)()


def test_coiterate_round_robin_and_result() -> None:
    order: list[str] = []

    def gen(name: str, n: int) -> Iterator[None]:
        for i in range(n):
            order.append(f"{name}{i}")
            yield None

    coop, scheduled = _manual_cooperator()
    it_a = gen("a", 2)
    d1 = coop.coiterate(it_a)
    d2 = coop.coiterate(gen("b", 3))
    _run(scheduled)
    assert order == ["a0", "b0", "a1", "b1", "b2"]
    assert success_result_of(d1) is it_a
    success_result_of(d2)


def test_cooperate_pauses_on_yielded_deferred() -> None:
    coop, scheduled = _manual_cooperator()
    waiting: Deferred[None] = Deferred()
    steps: list[int] = []

    def gen() -> Iterator[object]:
        steps.append(1)
        yield waiting
        steps.append(2)

    t = coop.cooperate(gen())
    done = t.whenDone()
    _run(scheduled)
    assert steps == [1]
    assert_no_result(done)
    waiting.callback(None)
    _run(scheduled)
    assert steps == [1, 2]
    success_result_of(done)


def test_cooperative_task_pause_resume_stop() -> None:
    coop, scheduled = _manual_cooperator()
    t = coop.cooperate(iter(range(100)))
    t.pause()
    _run(scheduled)
    with pytest.raises(task.NotPaused):
        t.resume()
        t.resume()
    t.stop()
    failure_result_of(t.whenDone(), task.TaskStopped)
    with pytest.raises(task.TaskStopped):
        t.stop()


def test_cooperative_task_failure() -> None:
    coop, scheduled = _manual_cooperator()

    def gen() -> Iterator[None]:
        yield None
        raise KeyError("in task")

    t = coop.cooperate(gen())
    d = t.whenDone()
    _run(scheduled)
    failure_result_of(d, KeyError)
    with pytest.raises(task.TaskFailed):
        t.pause()


def test_cooperator_stop_fails_tasks() -> None:
    coop, _ = _manual_cooperator()
    d = coop.coiterate(iter(range(10)))
    coop.stop()
    failure_result_of(d, task.SchedulerStopped)
    assert not coop.running
    late = coop.coiterate(iter(range(10)))
    failure_result_of(late, task.SchedulerStopped)


def test_cooperator_not_started_waits() -> None:
    scheduled: list[Any] = []
    coop = task.Cooperator(scheduler=scheduled.append, started=False)
    d = coop.coiterate(iter(range(3)))
    assert scheduled == []
    coop.start()
    _run(scheduled)
    success_result_of(d)


def test_global_coiterate_on_reactor(reactor: Any, run_until: Any) -> None:
    items = iter(range(1000))
    assert run_until(task.coiterate(items)) is items


def test_looping_call_on_reactor(reactor: Any, run_until: Any) -> None:
    counts: list[int] = []
    lc = task.LoopingCall(counts.append, 1)
    d = lc.start(0.001)
    reactor.callLater(0.05, lc.stop)
    assert run_until(d) is lc
    assert len(counts) >= 2


def test_defer_later_on_reactor(reactor: Any, run_until: Any) -> None:
    assert run_until(task.deferLater(reactor, 0.01, lambda: "done")) == "done"


# -- react -----------------------------------------------------------------------------------


def _react(body: str, backend: str = "asyncio") -> subprocess.CompletedProcess[str]:
    script = textwrap.dedent(
        """
        import bridge
        bridge.install(backend={backend!r})
        from bridge import task, defer
        {body}
        """
    ).format(backend=backend, body=textwrap.dedent(body))
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, cwd="."
    )


@pytest.mark.parametrize("backend", ["asyncio", "uvloop"])
def test_react_exits_zero_after_main_fires(backend: str) -> None:
    proc = _react(
        """
        def main(reactor, word):
            print("hello", word, reactor.running)
            return task.deferLater(reactor, 0.01, lambda: None)
        task.react(main, ["world"])
        """,
        backend,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "hello world True"


def test_react_exits_with_system_exit_code() -> None:
    proc = _react(
        """
        async def main(reactor):
            raise SystemExit(7)
        task.react(main)
        """
    )
    assert proc.returncode == 7, proc.stderr


def test_react_logs_failure_and_exits_one() -> None:
    proc = _react(
        """
        def main(reactor):
            return defer.fail(ValueError("main broke"))
        task.react(main)
        """
    )
    assert proc.returncode == 1
    assert "main broke" in proc.stderr


def test_delayed_call_str_matches_twisted() -> None:
    from twisted.internet import task as ttask

    def work(*a: object, **kw: object) -> None:
        pass

    def texts(clock: Any) -> list[str]:
        dc = clock.callLater(5, work, "x", y=2)
        out = [str(dc)]
        clock.advance(2)
        out.append(str(dc))
        dc.cancel()
        out.append(str(dc))
        done = clock.callLater(0, work, 1)
        clock.advance(0)
        out.append(str(done))
        return [t.split(" ", 2)[2] for t in out]  # drop "<DelayedCall 0x..."

    assert texts(task.Clock()) == texts(ttask.Clock())


def _cooperator_trace(task_module: Any, defer_module: Any, ticks_per_slice: int) -> list[str]:
    """Run the same mix of tasks on a Cooperator driven by a Clock; record what happens."""
    clock = task_module.Clock()
    events: list[str] = []
    budget = [0]

    def predicate_factory() -> Any:
        budget[0] = ticks_per_slice
        return lambda: (budget.__setitem__(0, budget[0] - 1), budget[0] <= 0)[1]

    coop = task_module.Cooperator(
        terminationPredicateFactory=predicate_factory,
        scheduler=lambda f: clock.callLater(0, f),
    )
    gate = defer_module.Deferred()

    def work(name: str, n: int) -> Iterator[object]:
        for i in range(n):
            events.append(f"{name}{i}")
            yield None

    def waits() -> Iterator[object]:
        events.append("w-before")
        yield gate
        events.append("w-after")

    def fails() -> Iterator[object]:
        yield None
        raise ValueError("x")

    for name, iterator in (
        ("a", work("a", 4)),
        ("b", work("b", 2)),
        ("w", waits()),
        ("f", fails()),
    ):
        d = coop.cooperate(iterator).whenDone()
        d.addCallbacks(
            lambda _, name=name: events.append(f"{name} done"),
            lambda f, name=name: events.append(f"{name} failed {f.type.__name__}"),
        )
    for step in range(8):
        if step == 3:
            gate.callback(None)
        clock.advance(0)
        events.append("|")
    return events


@pytest.mark.parametrize("ticks_per_slice", [1, 2, 3, 100])
def test_cooperator_order_matches_twisted(ticks_per_slice: int) -> None:
    from twisted.internet import defer as tdefer
    from twisted.internet import task as ttask

    from bridge import defer

    ours = _cooperator_trace(task, defer, ticks_per_slice)
    assert ours == _cooperator_trace(ttask, tdefer, ticks_per_slice)
