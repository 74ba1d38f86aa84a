"""Scheduling helpers from ``twisted.internet.task``: LoopingCall, deferLater, Clock, react...

Nothing here touches the event loop directly: everything goes through an ``IReactorTime``
provider (the default reactor, looked up at call time, or a :class:`Clock` in tests).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Generic, NoReturn, TypeVar

from zope.interface import implementer

from bridge._delayed import DelayedCall
from bridge.defer import Deferred, maybeDeferred
from bridge.failure import Failure
from bridge.interfaces import IReactorTime

__all__ = [
    "Clock",
    "CooperativeTask",
    "Cooperator",
    "LoopingCall",
    "NotPaused",
    "SchedulerError",
    "SchedulerStopped",
    "TaskDone",
    "TaskFailed",
    "TaskFinished",
    "TaskStopped",
    "coiterate",
    "cooperate",
    "deferLater",
    "react",
]

T = TypeVar("T")
_I = TypeVar("_I")


def _default_reactor() -> Any:
    from bridge import _runtime

    return _runtime.get_reactor()


# -- Clock -----------------------------------------------------------------------------------


@implementer(IReactorTime)
class Clock:
    """A deterministic IReactorTime for tests: time moves only when :meth:`advance` says so.

    :ivar rightNow: the current time, in seconds (starts at 0.0).
    :ivar calls: the pending DelayedCalls, earliest first.
    """

    def __init__(self) -> None:
        """Make a clock at time 0 with nothing scheduled."""
        self.rightNow = 0.0
        self.calls: list[DelayedCall] = []

    def seconds(self) -> float:
        """Return the current time of this clock."""
        return self.rightNow

    def _sort(self) -> None:
        # A stable sort: calls due at the same time keep the order they were scheduled in.
        self.calls.sort(key=DelayedCall.getTime)

    def _cancelled(self, call: DelayedCall) -> None:
        self.calls.remove(call)

    def _moved(self, call: DelayedCall) -> None:
        # Like Twisted's Clock: the calls are re-sorted at the next callLater or advance,
        # which decides where a reset call goes among calls due at the same time.
        pass

    def callLater(
        self, delay: float, callable: Callable[..., object], *args: object, **kw: object
    ) -> DelayedCall:
        """Schedule ``callable(*args, **kw)`` *delay* seconds from this clock's now."""
        call = DelayedCall(
            self.rightNow + delay, callable, args, kw, self._cancelled, self._moved, self.seconds
        )
        self.calls.append(call)
        self._sort()
        return call

    def getDelayedCalls(self) -> list[DelayedCall]:
        """Return the pending calls, earliest first."""
        return self.calls

    def advance(self, amount: float) -> None:
        """Move time forward by *amount* seconds and run every call that became due.

        Calls run in time order; calls they schedule that are due by the new time run too.
        An exception from a call propagates to the caller of advance().
        """
        self.rightNow += amount
        self._sort()
        calls = self.calls
        while calls and calls[0].time <= self.rightNow:
            call = calls.pop(0)
            call._run()
            self._sort()

    def pump(self, timings: Iterable[float]) -> None:
        """Advance the clock by each amount in *timings* in turn."""
        for amount in timings:
            self.advance(amount)


# -- deferLater ------------------------------------------------------------------------------


def deferLater(
    clock: Any,
    delay: float,
    callable: Callable[..., T] | None = None,
    *args: object,
    **kw: object,
) -> Deferred[T]:
    """Return a Deferred that fires with ``callable(*args, **kw)`` after *delay* seconds.

    Without *callable* it fires with None. Cancelling the Deferred cancels the call.

    :param clock: an IReactorTime provider (a reactor or a :class:`Clock`).
    """

    def cancel(_: Deferred[T]) -> None:
        delayed.cancel()

    d: Deferred[Any] = Deferred(cancel)
    delayed = clock.callLater(delay, d.callback, None)
    if callable is not None:
        d.addCallback(lambda _: callable(*args, **kw))
    return d


# -- LoopingCall -----------------------------------------------------------------------------


#: A LoopingCall call that runs less than this after its due time runs "on time" (see
#: LoopingCall._now): about two ticks of uvloop's millisecond clock.
_ON_TIME = 0.002


class LoopingCall:
    """Call ``f(*a, **kw)`` every *interval* seconds.

    If a call returns a Deferred, the next one is scheduled after it fires. When calls run
    late, missed intervals are skipped: the next call is at the next interval boundary
    counted from :attr:`starttime` (use :meth:`withCount` to learn how many were missed).

    :ivar f: the function; :ivar a: and :ivar kw: its arguments.
    :ivar running: True between :meth:`start` and :meth:`stop` (or a failure).
    :ivar interval: the interval given to :meth:`start`.
    :ivar starttime: ``clock.seconds()`` when :meth:`start` was called.
    :ivar call: the DelayedCall of the next run, if one is scheduled.
    """

    def __init__(self, f: Callable[..., object], *a: object, **kw: object) -> None:
        """Prepare to call ``f(*a, **kw)`` repeatedly (nothing runs until :meth:`start`)."""
        self.f = f
        self.a = a
        self.kw = kw
        self.running = False
        self.interval: float | None = None
        self.starttime: float | None = None
        self.call: DelayedCall | Any | None = None
        self._deferred: Deferred[LoopingCall] | None = None
        self._run_at_start = False
        self._clock: Any = None
        # When the DelayedCall being run was due (see _now).
        self._due: float | None = None

    @property
    def clock(self) -> Any:
        """The IReactorTime provider used for scheduling: the default reactor unless set."""
        return self._clock if self._clock is not None else _default_reactor()

    @clock.setter
    def clock(self, value: Any) -> None:
        self._clock = value

    @property
    def deferred(self) -> Deferred[LoopingCall] | None:
        """The Deferred returned by :meth:`start`, while the loop runs."""
        return self._deferred

    @classmethod
    def withCount(cls, countCallable: Callable[[int], object]) -> LoopingCall:
        """Make a LoopingCall that calls ``countCallable(count)``.

        *count* is the number of intervals that passed since the previous call (1 when on
        time, more when intervals were skipped). With an interval of 0 it is always 1.
        """
        last_time: list[float | None] = [None]

        def counter() -> object:
            now = self._now()
            interval = self.interval
            if not interval:
                last_time[0] = now
                return countCallable(1)
            previous = last_time[0]
            if previous is None:
                assert self.starttime is not None
                previous = self.starttime
                if self._run_at_start:
                    previous -= interval
            count = self._interval_number(now) - self._interval_number(previous)
            if count > 0:
                last_time[0] = now
                return countCallable(count)
            return None

        self = cls(counter)
        return self

    def _interval_number(self, when: float) -> int:
        assert self.starttime is not None and self.interval
        return int((when - self.starttime) / self.interval)

    def start(self, interval: float, now: bool = True) -> Deferred[LoopingCall]:
        """Start calling every *interval* seconds; at once too if *now*.

        :return: a Deferred that fires with this LoopingCall once :meth:`stop` is called,
            or fails with the exception of a failed call (which stops the loop).
        :raises AssertionError: if it is already running (Twisted's class).
        :raises ValueError: if *interval* is negative.
        """
        if self.running:
            raise AssertionError(f"start() on {self!r}: this LoopingCall is already running")
        if interval < 0:
            raise ValueError(f"start({interval!r}) on {self!r}: interval must be >= 0")
        self.running = True
        d: Deferred[LoopingCall] = Deferred()
        self._deferred = d
        self.starttime = self.clock.seconds()
        self.interval = interval
        self._run_at_start = now
        if now:
            self()
        else:
            self._schedule_from(self.starttime)
        return d

    def stop(self) -> None:
        """Stop calling; the Deferred from :meth:`start` fires with this LoopingCall.

        If a call's Deferred is still pending, the loop stops when it fires.

        :raises AssertionError: if it is not running (Twisted's class).
        """
        if not self.running:
            raise AssertionError(f"stop() on {self!r}: this LoopingCall is not running")
        self.running = False
        if self.call is not None:
            self.call.cancel()
            self.call = None
            d, self._deferred = self._deferred, None
            if d is not None:
                d.callback(self)

    def reset(self) -> None:
        """Restart the interval count from now: the next call is one interval away.

        :raises AssertionError: if it is not running (Twisted's class).
        """
        if not self.running:
            raise AssertionError(f"reset() on {self!r}: this LoopingCall is not running")
        if self.call is not None:
            self.call.cancel()
            self.call = None
            self.starttime = self.clock.seconds()
            self._schedule_from(self.starttime)

    def __call__(self) -> None:
        """Run one call now and schedule the next (used by the scheduled DelayedCall)."""
        call = self.call
        self._due = call.getTime() if call is not None else None
        self.call = None
        d = maybeDeferred(self.f, *self.a, **self.kw)
        d.addCallbacks(self._call_done, self._call_failed)

    def _now(self) -> float:
        """The time the interval arithmetic uses: ``clock.seconds()``, except on time.

        A call that a real reactor runs at its due time, as far as the clock can tell (on
        uvloop's millisecond clock it may even read a hair early), counts as running just
        after it: Twisted's arithmetic truncates, and a reading a float's rounding below
        the boundary would lose that interval and reschedule at once. Twisted's own
        reactors are never on time to the bit, so their results are what this gives; a
        task.Clock is exact, and gets Twisted's arithmetic unchanged.
        """
        now: float = self.clock.seconds()
        due = self._due
        if due is not None and now < due + _ON_TIME and not isinstance(self.clock, Clock):
            return due + (self.interval or 0.0) * 1e-6
        return now

    def _call_done(self, _: object) -> None:
        if self.running:
            self._schedule_from(self._now())
        else:
            d, self._deferred = self._deferred, None
            if d is not None:
                d.callback(self)

    def _call_failed(self, failure: Failure) -> None:
        self.running = False
        d, self._deferred = self._deferred, None
        if d is not None:
            d.errback(failure)

    def _schedule_from(self, when: float) -> None:
        self.call = self.clock.callLater(self._delay_from(when), self)

    def _delay_from(self, when: float) -> float:
        interval = self.interval
        if not interval:
            return 0
        assert self.starttime is not None
        # Where are we within the current interval (counted from starttime)? The next call
        # is at the end of it, so intervals that already passed are skipped.
        remaining = interval - (when - self.starttime) % interval
        # At large times a tiny remainder can vanish when added to *when*: then we are at a
        # boundary, and the next call is one whole interval later.
        if when + remaining == when:
            return interval
        return remaining

    def __repr__(self) -> str:
        # Twisted's layout: LoopingCall<interval>(name, *args, **kwargs).
        func = getattr(self.f, "__qualname__", None) or getattr(self.f, "__name__", None)
        return f"LoopingCall<{self.interval!r}>({func or repr(self.f)}, *{self.a!r}, **{self.kw!r})"


# -- react -----------------------------------------------------------------------------------


def react(
    main: Callable[..., object], argv: Sequence[object] = (), _reactor: Any = None
) -> NoReturn:
    """Run ``main(reactor, *argv)`` on a running reactor, stop it when that is done, and exit.

    ``main`` is called once the reactor runs (inside the event loop).

    *main* may return a Deferred, a coroutine or a plain value. The process exits with
    status 0 on success, the code of a ``SystemExit`` raised by *main*, or 1 after logging
    any other failure.
    """
    reactor = _default_reactor() if _reactor is None else _reactor
    codes: list[str | int | None] = [0]
    stopping = [False]

    def finish(result: object, stop_reactor: bool) -> None:
        if stop_reactor:
            from bridge.error import ReactorNotRunning

            with contextlib.suppress(ReactorNotRunning):  # something else stopped it first
                reactor.stop()
        if isinstance(result, Failure):
            if isinstance(result.value, SystemExit):
                codes[0] = result.value.code
            else:
                from bridge import log

                log.err(result, "main function encountered error")
                codes[0] = 1

    def done(result: object) -> None:
        if stopping[0]:
            finish(result, False)
        else:
            reactor.callWhenRunning(finish, result, True)

    def shutting_down() -> None:
        stopping[0] = True

    reactor.addSystemEventTrigger("before", "shutdown", shutting_down)

    def start() -> None:
        maybeDeferred(main, reactor, *argv).addBoth(done)

    # Unlike Twisted, main runs once the reactor runs: inside the loop, so asyncio code in
    # it (asyncio.get_running_loop(), tasks) works from its first line.
    reactor.callWhenRunning(start)
    reactor.run()
    sys.exit(codes[0])


# -- Cooperator ------------------------------------------------------------------------------


class SchedulerError(Exception):
    """A CooperativeTask operation that is impossible in the task's state."""


class SchedulerStopped(SchedulerError):
    """The Cooperator running a task was stopped."""


class TaskFinished(SchedulerError):
    """The task has already finished (base of TaskDone, TaskStopped, TaskFailed)."""


class TaskDone(TaskFinished):
    """The task's iterator was exhausted."""


class TaskStopped(TaskFinished):
    """The task was stopped with ``stop()``."""


class TaskFailed(TaskFinished):
    """The task's iterator raised an exception."""


class NotPaused(SchedulerError):
    """``resume()`` on a task that is not paused."""


_MAX_SLICE = 0.01
_EPSILON = 0.00000001


def _time_slice() -> Callable[[], bool]:
    """Return a predicate that turns True once a time slice of 10 ms has passed."""
    end = time.monotonic() + _MAX_SLICE
    return lambda: time.monotonic() >= end


def _default_scheduler(tick: Callable[[], None]) -> Any:
    return _default_reactor().callLater(_EPSILON, tick)


class CooperativeTask(Generic[_I]):
    """One iterator run by a :class:`Cooperator`, one ``next()`` at a time.

    An iterator that yields a Deferred is paused until the Deferred fires.
    """

    def __init__(self, iterator: Iterator[_I], cooperator: Cooperator) -> None:
        """Run *iterator* on *cooperator* (scheduled at once)."""
        self._iterator = iterator
        self._cooperator = cooperator
        self._deferreds: list[Deferred[Iterator[_I]]] = []
        self._pause_count = 0
        self._completion_state: SchedulerError | None = None
        self._completion_result: object = None
        cooperator._add_task(self)

    def whenDone(self) -> Deferred[Iterator[_I]]:
        """Return a Deferred firing with the iterator when it is exhausted.

        It fails with TaskStopped, SchedulerStopped or the iterator's own exception.
        """
        d: Deferred[Iterator[_I]] = Deferred()
        if self._completion_state is None:
            self._deferreds.append(d)
        else:
            d.callback(self._completion_result)  # type: ignore[arg-type]
        return d

    def pause(self) -> None:
        """Stop iterating until a matching :meth:`resume`; pauses nest."""
        self._check_finished()
        self._pause_count += 1
        if self._pause_count == 1:
            self._cooperator._remove_task(self)

    def resume(self) -> None:
        """Undo one :meth:`pause`.

        :raises NotPaused: if the task is not paused.
        """
        if self._pause_count == 0:
            raise NotPaused(f"resume() on {self!r}: the task is not paused")
        self._pause_count -= 1
        if self._pause_count == 0 and self._completion_state is None:
            self._cooperator._add_task(self)

    def stop(self) -> None:
        """Stop the task; its whenDone() Deferreds fail with TaskStopped.

        :raises TaskFinished: (a subclass) if the task has already finished.
        """
        self._check_finished()
        self._complete(TaskStopped(), Failure(TaskStopped()))

    def _check_finished(self) -> None:
        if self._completion_state is not None:
            raise self._completion_state

    def _complete(self, state: SchedulerError, result: object) -> None:
        self._completion_state = state
        self._completion_result = result
        if not self._pause_count:
            self._cooperator._remove_task(self)
        deferreds, self._deferreds = self._deferreds, []
        for d in deferreds:
            d.callback(result)  # type: ignore[arg-type]  # a Failure result errbacks

    def _one_work_unit(self) -> None:
        try:
            result = next(self._iterator)
        except StopIteration:
            self._complete(TaskDone(), self._iterator)
            return
        except Exception:
            self._complete(TaskFailed(), Failure())
            return
        if isinstance(result, Deferred):
            self.pause()

            def failed(failure: Failure) -> None:
                self._complete(TaskFailed(), failure)

            result.addCallbacks(lambda _: self.resume(), failed)


class Cooperator:
    """Run many iterators in small slices, round-robin, without blocking the loop.

    :param terminationPredicateFactory: returns a predicate that says when a time slice is
        over (default: after 10 ms).
    :param scheduler: ``scheduler(f)`` arranges for ``f()`` to run soon (default: the
        default reactor's ``callLater``).
    :param started: start at once (else call :meth:`start`).
    """

    def __init__(
        self,
        terminationPredicateFactory: Callable[[], Callable[[], bool]] = _time_slice,
        scheduler: Callable[[Callable[[], None]], Any] = _default_scheduler,
        started: bool = True,
    ) -> None:
        """Make a Cooperator; see the class docstring for the parameters."""
        self._tasks: list[CooperativeTask[Any]] = []
        self._metarator: Iterator[CooperativeTask[Any]] = iter(())
        self._termination_factory = terminationPredicateFactory
        self._scheduler = scheduler
        self._delayed_call: Any = None
        self._stopped = False
        self._started = started

    def coiterate(
        self, iterator: Iterator[_I], doneDeferred: Deferred[Iterator[_I]] | None = None
    ) -> Deferred[Iterator[_I]]:
        """Run *iterator*; return a Deferred that fires with it once it is exhausted."""
        done: Deferred[Iterator[_I]] = Deferred() if doneDeferred is None else doneDeferred
        CooperativeTask(iterator, self).whenDone().chainDeferred(done)
        return done

    def cooperate(self, iterator: Iterator[_I]) -> CooperativeTask[_I]:
        """Run *iterator*; return its CooperativeTask (to pause, resume or stop it)."""
        return CooperativeTask(iterator, self)

    @property
    def running(self) -> bool:
        """True once started and until stopped."""
        return self._started and not self._stopped

    def start(self) -> None:
        """Begin running the tasks."""
        self._stopped = False
        self._started = True
        self._reschedule()

    def stop(self) -> None:
        """Stop: every task's whenDone() Deferreds fail with SchedulerStopped."""
        self._stopped = True
        for task in list(self._tasks):
            task._complete(SchedulerStopped(), Failure(SchedulerStopped()))
        self._tasks = []
        if self._delayed_call is not None:
            cancel = getattr(self._delayed_call, "cancel", None)
            active = getattr(self._delayed_call, "active", lambda: True)
            if cancel is not None and active():
                cancel()
            self._delayed_call = None

    def _add_task(self, task: CooperativeTask[Any]) -> None:
        if self._stopped:
            self._tasks.append(task)
            task._complete(SchedulerStopped(), Failure(SchedulerStopped()))
            return
        self._tasks.append(task)
        self._reschedule()

    def _remove_task(self, task: CooperativeTask[Any]) -> None:
        if task in self._tasks:
            self._tasks.remove(task)
        if not self._tasks and self._delayed_call is not None:
            cancel = getattr(self._delayed_call, "cancel", None)
            active = getattr(self._delayed_call, "active", lambda: True)
            if cancel is not None and active():
                cancel()
            self._delayed_call = None

    def _tasks_while_not_stopped(self) -> Iterator[CooperativeTask[Any]]:
        # Round-robin over the live task list, resuming where the previous tick stopped.
        # Iterating the list itself (not a copy) gives the order Twisted's Cooperator gives:
        # a task that finishes or pauses leaves the list, and the round goes on from its
        # position, so the task after it waits for the next round.
        terminate = self._termination_factory()
        while self._tasks:
            for task in self._metarator:
                yield task
                if terminate():
                    return
            self._metarator = iter(self._tasks)

    def _tick(self) -> None:
        self._delayed_call = None
        for task in self._tasks_while_not_stopped():
            task._one_work_unit()
        self._reschedule()

    def _reschedule(self) -> None:
        if not self._started or self._stopped or not self._tasks:
            return
        pending = self._delayed_call
        if pending is not None:
            active = getattr(pending, "active", None)
            if active is None or active():
                return
        self._delayed_call = self._scheduler(self._tick)


_the_cooperator = Cooperator()


def coiterate(iterator: Iterator[_I]) -> Deferred[Iterator[_I]]:
    """Run *iterator* on the global Cooperator; return a Deferred firing when it is done."""
    return _the_cooperator.coiterate(iterator)


def cooperate(iterator: Iterator[_I]) -> CooperativeTask[_I]:
    """Run *iterator* on the global Cooperator; return its CooperativeTask."""
    return _the_cooperator.cooperate(iterator)
