"""IReactorTime: callLater, DelayedCall, seconds, getDelayedCalls."""

from __future__ import annotations

import contextvars
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zope.interface.verify import verifyObject

from bridge._reactor import AsyncioReactor
from bridge.defer import Deferred
from bridge.error import AlreadyCalled, AlreadyCancelled
from bridge.interfaces import IDelayedCall


def _stop_after(reactor: AsyncioReactor, delay: float) -> None:
    reactor.callLater(delay, reactor.stop)
    reactor.run(installSignalHandlers=False)


def test_call_later_runs_with_arguments(reactor: AsyncioReactor, run_until) -> None:
    d: Deferred[tuple[object, ...]] = Deferred()
    reactor.callLater(0.01, lambda *a, **k: d.callback((a, k)), 1, 2, x=3)
    assert run_until(d) == ((1, 2), {"x": 3})


def test_delayed_call_provides_interface(reactor: AsyncioReactor) -> None:
    dc = reactor.callLater(1, print)
    assert verifyObject(IDelayedCall, dc)
    assert dc.active()
    dc.cancel()


def test_equal_deadlines_run_in_scheduling_order(reactor: AsyncioReactor) -> None:
    order: list[int] = []
    for i in range(200):
        dc = reactor.callLater(0.002, order.append, i)
        dc.time = reactor.getDelayedCalls()[0].time  # force identical deadlines
        dc.reset(0.002)
    _stop_after(reactor, 0.05)
    assert sorted(order) == list(range(200))


def test_same_delay_runs_in_order(reactor: AsyncioReactor) -> None:
    order: list[int] = []
    for i in range(1000):
        reactor.callLater(0, order.append, i)
    _stop_after(reactor, 0.01)
    assert order == list(range(1000))


def test_cancel_prevents_call(reactor: AsyncioReactor) -> None:
    calls: list[int] = []
    dc = reactor.callLater(0, calls.append, 1)
    dc.cancel()
    assert dc.cancelled and not dc.active()
    with pytest.raises(AlreadyCancelled):
        dc.cancel()
    with pytest.raises(AlreadyCancelled):
        dc.reset(1)
    _stop_after(reactor, 0.01)
    assert calls == []


def test_called_call_cannot_be_cancelled(reactor: AsyncioReactor) -> None:
    dc = reactor.callLater(0, lambda: None)
    _stop_after(reactor, 0.01)
    assert dc.called and not dc.active()
    with pytest.raises(AlreadyCalled, match="already run"):
        dc.cancel()
    with pytest.raises(AlreadyCalled):
        dc.delay(1)


def test_reset_and_delay_move_the_call(reactor: AsyncioReactor) -> None:
    order: list[str] = []
    a = reactor.callLater(0.01, order.append, "a")
    reactor.callLater(0.02, order.append, "b")
    a.reset(0.03)
    c = reactor.callLater(0.001, order.append, "c")
    c.delay(0.039)
    _stop_after(reactor, 0.06)
    assert order == ["b", "a", "c"]


def test_get_delayed_calls_lists_pending_calls(reactor: AsyncioReactor) -> None:
    a = reactor.callLater(2, print)
    b = reactor.callLater(1, print)
    c = reactor.callLater(3, print)
    c.cancel()
    assert reactor.getDelayedCalls() == [b, a]
    b.reset(5)
    assert reactor.getDelayedCalls() == [a, b]


def test_seconds_is_loop_time(reactor: AsyncioReactor) -> None:
    before = reactor._loop.time()
    assert before <= reactor.seconds() <= reactor._loop.time()


def test_exception_in_call_is_logged_and_loop_continues(
    reactor: AsyncioReactor, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []

    def boom() -> None:
        raise ZeroDivisionError("in a delayed call")

    reactor.callLater(0, boom)
    reactor.callLater(0, calls.append, 1)
    _stop_after(reactor, 0.01)
    assert calls == [1]
    assert "while handling timed call" in caplog.text  # Twisted's words
    assert "in a delayed call" in caplog.text
    assert "Traceback" in caplog.text


def test_call_later_rejects_coroutine_objects(reactor: AsyncioReactor) -> None:
    async def fetch() -> None:
        pass

    coro = fetch()
    with pytest.raises(TypeError, match=r"coroutine object .*fetch.*ensureDeferred"):
        reactor.callLater(0, coro)  # type: ignore[arg-type]
    coro.close()


def test_call_later_rejects_negative_delay(reactor: AsyncioReactor) -> None:
    with pytest.raises(ValueError, match="delay >= 0"):
        reactor.callLater(-1, print)


def test_call_later_runs_in_callers_context(reactor: AsyncioReactor) -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
    seen: list[str] = []

    def schedule() -> None:
        var.set("scheduler")
        reactor.callLater(0, lambda: seen.append(var.get()))

    contextvars.copy_context().run(schedule)
    reactor.callLater(0, lambda: seen.append(var.get()))
    _stop_after(reactor, 0.01)
    assert seen == ["scheduler", "unset"]


def test_kw_is_an_empty_read_only_mapping_without_keywords(reactor: AsyncioReactor) -> None:
    plain = reactor.callLater(1, print)
    with_kw = reactor.callLater(1, print, sep="-")
    assert plain.kw == {} and not plain.kw
    with pytest.raises(TypeError):
        plain.kw["x"] = 1  # type: ignore[index]
    assert with_kw.kw == {"sep": "-"}
    plain.cancel()
    with_kw.cancel()


def test_calls_from_an_empty_context_do_not_share_one(reactor: AsyncioReactor) -> None:
    """A call scheduled without context variables runs in a fresh context of its own."""
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
    seen: list[str] = []

    def set_it() -> None:
        seen.append(var.get())
        var.set("leaked?")

    empty = contextvars.Context()
    for _ in range(3):
        empty.run(reactor.callLater, 0, set_it)
    _stop_after(reactor, 0.01)
    assert seen == ["unset", "unset", "unset"]


def test_reactor_call_later_is_the_bound_call_later(reactor: AsyncioReactor) -> None:
    """The function behind callLater works bound to any object with _timers."""
    from bridge._reactor.time import ReactorCall, reactor_call_later

    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
    seen: list[object] = []
    var.set("caller")
    dc = reactor_call_later(reactor, 0, lambda *a, **k: seen.append((a, k, var.get())), 1, x=2)
    gone = reactor_call_later(reactor, 0, seen.append, "cancelled")
    assert isinstance(dc, ReactorCall) and dc.active() and dc.kw == {"x": 2}
    assert " called=0 cancelled=0 " in repr(dc) and repr(dc).endswith("<lambda>(1, x=2)>")
    gone.cancel()
    with pytest.raises(AlreadyCancelled):
        gone.cancel()
    with pytest.raises(TypeError, match="needs a callable"):
        reactor_call_later(reactor, 0, "not callable")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="delay >= 0"):
        reactor_call_later(reactor, -1, print)
    assert reactor.getDelayedCalls() == [dc]
    _stop_after(reactor, 0.01)
    assert seen == [((1,), {"x": 2}, "caller")]
    assert dc.called and not dc.active()


def test_cancellations_keep_dead_entries_at_most_about_the_live_ones(
    reactor: AsyncioReactor,
) -> None:
    keep = [reactor.callLater(100, print) for _ in range(100)]
    for _ in range(20):
        for dc in [reactor.callLater(50, print) for _ in range(500)]:
            dc.cancel()
        timers = reactor._timers
        assert len(timers.heap) + len(timers.new) <= 2 * len(keep) + 500 + 60
    assert reactor.getDelayedCalls() == keep


def test_calls_scheduled_by_a_due_call_wait_for_next_iteration(reactor: AsyncioReactor) -> None:
    """A callLater(0) loop does not starve other loop callbacks."""
    ticks = [0]
    other: list[int] = []

    def again() -> None:
        ticks[0] += 1
        if ticks[0] < 1000 and not other:
            reactor.callLater(0, again)

    reactor.callLater(0, again)
    reactor._loop.call_soon(lambda: reactor._loop.call_soon(other.append, 1))
    _stop_after(reactor, 0.05)
    assert other == [1]
    assert ticks[0] < 1000


def test_many_cancellations_compact_the_heap(reactor: AsyncioReactor) -> None:
    calls = [reactor.callLater(1 + i / 1000, print) for i in range(1000)]
    for dc in calls[:-1]:
        dc.cancel()
    assert len(reactor._timers.heap) + len(reactor._timers.new) < 600
    assert reactor.getDelayedCalls() == [calls[-1]]


def test_repr_names_the_call(reactor: AsyncioReactor) -> None:
    dc = reactor.callLater(1.5, print, "x", sep="-")
    text = repr(dc)
    assert text.endswith(" called=0 cancelled=0 print('x', sep='-')>")
    assert text.startswith(f"<DelayedCall 0x{id(dc):x} [")
    dc.cancel()
    assert repr(dc).endswith(" called=0 cancelled=1>")


# -- the timer queue on a fake loop: ordering under schedule/cancel/reset/delay ---------------


class _FakeHandle:
    def __init__(self, when: float, callback: object) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class _FakeLoop:
    """Just enough of a loop for Timers: a settable clock and call_at."""

    def __init__(self) -> None:
        self.now = 0.0
        self.handles: list[_FakeHandle] = []

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, callback: object) -> _FakeHandle:
        handle = _FakeHandle(when, callback)
        self.handles.append(handle)
        return handle

    def run_due(self) -> None:
        while True:
            due = [h for h in self.handles if not h.cancelled and h.when <= self.now]
            if not due:
                return
            for h in due:
                self.handles.remove(h)
            for h in due:
                h.callback()  # type: ignore[operator]


_ops = st.lists(
    st.tuples(
        st.sampled_from(["call", "call", "cancel", "reset", "delay", "advance"]),
        st.integers(0, 6),
        st.integers(0, 50),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(ops=_ops)
def test_timers_run_live_calls_in_time_then_scheduling_order(
    ops: list[tuple[str, int, int]],
) -> None:
    from bridge._reactor.time import Timers

    loop = _FakeLoop()
    timers = Timers(loop)  # type: ignore[arg-type]
    ran: list[int] = []
    model: dict[int, tuple[float, int]] = {}  # call id -> (time, order key)
    calls: dict[int, Any] = {}
    order = 0
    expected: list[int] = []
    for op, a, b in ops:
        live = sorted(model)
        if op == "call":
            cid = len(calls)
            calls[cid] = timers.call_later(a / 2, ran.append, (cid,), {})
            model[cid] = (loop.now + a / 2, order)
            order += 1
        elif op == "advance":
            loop.now += b / 8  # exact binary fractions: no float drift against the model
            due = sorted((v, cid) for cid, v in model.items() if v[0] <= loop.now)
            expected.extend(cid for _, cid in due)
            for _, cid in due:
                del model[cid]
            loop.run_due()
        elif live:
            cid = live[b % len(live)]
            if op == "cancel":
                calls[cid].cancel()
                del model[cid]
            elif op == "reset":
                calls[cid].reset(a / 2)
                model[cid] = (loop.now + a / 2, order)
                order += 1
            else:
                calls[cid].delay(a / 2)
                model[cid] = (model[cid][0] + a / 2, order)
                order += 1
        assert sorted(id(c) for c in timers.delayed_calls()) == sorted(
            id(calls[cid]) for cid in model
        )
        assert timers._garbage == _dead_entries(timers)
    assert ran == expected


def _dead_entries(timers: Any) -> int:
    """Count the entries of heap and new that no longer stand for a pending call."""
    dead = sum(1 for _, seq, dc in timers.heap if dc._seq != seq or dc.cancelled)
    last: dict[int, int] = {id(dc): i for i, dc in enumerate(timers.new)}
    dead += sum(1 for i, dc in enumerate(timers.new) if dc.cancelled or last[id(dc)] != i)
    return dead


def test_timers_calls_changed_by_a_running_batch() -> None:
    """A call may cancel, reset or add due calls of its own batch; resets wait a turn."""
    from bridge._reactor.time import Timers

    loop = _FakeLoop()
    timers = Timers(loop)  # type: ignore[arg-type]
    ran: list[str] = []

    def first() -> None:
        ran.append("a")
        b.cancel()
        c.reset(0)
        timers.call_later(0, ran.append, ("new",), {})

    timers.call_later(1, first, (), {})
    b = timers.call_later(1, ran.append, ("b",), {})
    c = timers.call_later(1, ran.append, ("c",), {})
    d = timers.call_later(1, ran.append, ("d",), {})
    loop.now = 1
    loop.run_due()
    assert ran == ["a", "d", "c", "new"]
    assert d.called and c.called and b.cancelled
    assert timers.delayed_calls() == []
    assert timers._garbage == 0


def test_timers_keep_the_rest_of_a_batch_when_a_call_raises_keyboard_interrupt() -> None:
    from bridge._reactor.time import Timers

    loop = _FakeLoop()
    timers = Timers(loop)  # type: ignore[arg-type]
    ran: list[str] = []

    def interrupt() -> None:
        raise KeyboardInterrupt

    timers.call_later(1, interrupt, (), {})
    later = timers.call_later(1, ran.append, ("after",), {})
    loop.now = 1
    with pytest.raises(KeyboardInterrupt):
        loop.run_due()
    assert timers.delayed_calls() == [later]
    loop.run_due()
    assert ran == ["after"]


def test_run_due_runs_due_calls_once_and_rearms() -> None:
    from bridge._reactor.time import Timers

    loop = _FakeLoop()
    timers = Timers(loop)  # type: ignore[arg-type]
    ran: list[str] = []
    timers.call_later(1, ran.append, ("due",), {})
    timers.call_later(5, ran.append, ("later",), {})
    timers.run_due()
    assert ran == []
    loop.now = 1
    timers.run_due()
    assert ran == ["due"]
    loop.run_due()  # the loop timer armed before run_due() must not run anything twice
    assert ran == ["due"]
    loop.now = 5
    loop.run_due()
    assert ran == ["due", "later"]
