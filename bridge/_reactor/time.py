"""The reactor's timed calls: ``callLater`` on top of one ``loop.call_at`` timer.

bridge keeps its own timer queue and keeps a single asyncio timer armed for the earliest
call. That gives two guarantees the loop alone does not: calls due at the same time run in
the order they were scheduled (asyncio's timer heap is not stable, and uvloop's millisecond
clock makes equal deadlines common), and an exception in a call is logged through
``bridge.log`` while the following calls still run.

Cost matters here (``callLater`` is a hot path). A new call is only appended to the list
:attr:`Timers.new`; when the loop timer fires, the calls that are due are sorted once (floats
compare fast) and run, and only the others enter a heap of ``(time, sequence, DelayedCall)``
tuples. A call cancelled before then never touches the heap.

A call's ``_seq`` says where it waits. In ``new`` it is the current :attr:`Timers.epoch` (a
negative number, lowered each time ``new`` is emptied): the list's order is the scheduling
order, so ``callLater`` needs no counter. A call entering the heap gets the next sequence
number (0 and up) and its heap entry is live while the call's ``_seq`` still equals it;
``reset``/``delay`` move a call back into ``new`` (a later scheduling), leaving a dead entry
behind (dead entries in ``new`` are removed when it is emptied). All live heap entries were
scheduled before everything in ``new``, so a stable sort by time alone orders a due batch.
"""

from __future__ import annotations

import contextvars
import time
from asyncio import AbstractEventLoop, BaseEventLoop, TimerHandle
from collections.abc import Callable, Mapping
from heapq import heapify, heappop, heappush
from operator import attrgetter, itemgetter
from types import MappingProxyType
from typing import Protocol

from bridge._delayed import CALLED, CANCELLED, DelayedCall
from bridge._reactor._log import log_error
from bridge.compat import clock_resolution

__all__ = [
    "ReactorCall",
    "Timers",
    "check_call_later",
    "not_callable_message",
    "reactor_call_later",
]

_INF = float("inf")
# Below this many dead entries, never compact (Twisted's reactor uses the same figure).
_COMPACT_MIN = 50
_copy_context = contextvars.copy_context
_new_context = contextvars.Context
#: The ``kw`` of calls scheduled without keyword arguments.
NO_KEYWORDS: Mapping[str, object] = MappingProxyType({})
_is_callable = callable
_time_of = attrgetter("time")
_seq_of_entry = itemgetter(1)

_Entry = tuple[float, int, DelayedCall]


class ReactorCall(DelayedCall):
    """The DelayedCall the reactor makes: same API, cheaper to create and to cancel.

    Instead of three callbacks it keeps its :class:`Timers` (in ``_owner``). A call scheduled
    from a context without variables keeps no copy of it (``_ctx`` is None) and runs in a
    fresh empty context, which is the same thing: one object less per pending call for
    the garbage collector to visit.
    """

    __slots__ = ()

    # Made by reactor_call_later only, which sets every slot itself: ReactorCall() then
    # costs no Python frame (object's own __init__, not DelayedCall's).
    __init__ = object.__init__

    def cancel(self) -> None:
        """Unschedule the call.

        :raises AlreadyCancelled: if it was already cancelled.
        :raises AlreadyCalled: if it has already run.
        """
        seq = self._seq
        if seq == CALLED or seq == CANCELLED:  # noqa: SIM109 (two int compares are cheaper)
            self._check_active("cancel")
        self._seq = CANCELLED
        self._ctx = None  # a cancelled call never runs: let its context go now
        # Timers._cancelled inlined (hot path: timeouts are mostly cancelled).
        timers = self._owner
        timers._garbage += 1
        if timers._garbage > timers._compact_at:
            timers._maybe_compact()

    def _run(self) -> None:
        ctx = self._ctx
        if ctx is None:
            ctx = _new_context()
        self._seq = CALLED
        if self.kw:
            ctx.run(self.func, *self.args, **self.kw)
        else:
            ctx.run(self.func, *self.args)

    @property
    def seconds(self) -> Callable[[], float]:
        """The reactor's clock (``loop.time``)."""
        return self._owner.seconds  # type: ignore[no-any-return]

    @property
    def canceller(self) -> Callable[[DelayedCall], object]:
        """Called with this DelayedCall when it is cancelled."""
        return self._owner.cancel_cb  # type: ignore[no-any-return]

    @property
    def resetter(self) -> Callable[[DelayedCall], object]:
        """Called with this DelayedCall when its time changes."""
        return self._owner.reset_cb  # type: ignore[no-any-return]


def reactor_call_later(
    self: HasTimers, delay: float, callable: Callable[..., object], *args: object, **kw: object
) -> DelayedCall:
    """Call ``callable(*args, **kw)`` in *delay* seconds; return a DelayedCall.

    Calls due at the same time run in the order they were scheduled; each runs in the
    :mod:`contextvars` context of the code that scheduled it. An exception in the call is
    logged through ``bridge.log.err``.

    :raises TypeError: if *callable* is not callable (e.g. a coroutine object).
    :raises ValueError: if *delay* is negative.
    """
    # This is AsyncioReactor.callLater itself (bound as a class attribute there), and the
    # hottest path of the timers: no ReactorCall.__init__ frame, attributes set here.
    if not _is_callable(callable) or delay < 0:
        check_call_later(delay, callable)
    timers = self._timers
    dc: ReactorCall = ReactorCall()
    dc.time = when = timers.seconds() + delay
    dc.func = callable
    dc.args = args
    # Without keyword arguments, share one read-only empty mapping: the fresh dict that
    # **kw made is then freed at once instead of living (and counting towards the next
    # garbage collection) as long as the call is pending.
    dc.kw = kw or NO_KEYWORDS
    dc._owner = timers
    dc._ctx = _copy_context() or None
    dc._seq = timers.epoch
    timers.new.append(dc)
    if when < timers.handle_when:
        timers.arm(when)
    return dc


class HasTimers(Protocol):
    """What :func:`reactor_call_later` needs of its reactor (or a Timers itself)."""

    @property
    def _timers(self) -> Timers: ...


class Timers:
    """The timer queue of one reactor, driven by one asyncio timer at a time.

    ``AsyncioReactor.callLater`` appends to :attr:`new` directly (the method is inlined
    there); everything else goes through the methods here.
    """

    __slots__ = (
        "_compact_at",
        "_due",
        "_dups",
        "_garbage",
        "_handle",
        "_loop",
        "_resolution",
        "cancel_cb",
        "epoch",
        "handle_when",
        "heap",
        "new",
        "next_seq",
        "reset_cb",
        "seconds",
    )

    def __init__(self, loop: AbstractEventLoop) -> None:
        self._loop = loop
        # The stdlib loop's time() is time.monotonic() behind a Python method: call the
        # clock directly (one frame less per callLater) unless a subclass overrides time().
        if type(loop).time is BaseEventLoop.time:
            self.seconds: Callable[[], float] = time.monotonic
        else:
            self.seconds = loop.time
        self.heap: list[_Entry] = []
        # Calls scheduled since the timer last fired, in scheduling order.
        self.new: list[DelayedCall] = []
        # Sequence number of the next call to enter the heap.
        self.next_seq = 0
        # The _seq of the calls waiting in new.
        self.epoch = -3  # below CALLED and CANCELLED, and falling
        # How many calls were moved while waiting in new (so appear there twice).
        self._dups = 0
        # Dead entries (in heap, new or the running batch): cancelled or superseded by reset.
        self._garbage = 0
        # Cancelling checks whether to compact only once _garbage passes this mark.
        self._compact_at = _COMPACT_MIN
        self._handle: TimerHandle | None = None
        # When the armed loop timer fires: inf when none is armed, -inf while a batch runs.
        self.handle_when = _INF
        self._resolution = clock_resolution(loop)
        # The batch of due calls being run by _fire (each still pending until it has run).
        self._due: list[DelayedCall] = []
        self.cancel_cb = self._cancelled
        self.reset_cb = self._moved

    def call_later(
        self,
        delay: float,
        f: Callable[..., object],
        args: tuple[object, ...],
        kw: Mapping[str, object],
    ) -> DelayedCall:
        """Schedule ``f(*args, **kw)`` in *delay* seconds; return its DelayedCall."""
        return reactor_call_later(self, delay, f, *args, **kw)

    @property
    def _timers(self) -> Timers:
        # So that reactor_call_later(timers, ...) works as reactor_call_later(reactor, ...).
        return self

    def _pending(self) -> list[DelayedCall]:
        """Return the pending calls in scheduling order."""
        entries = sorted(self.heap, key=_seq_of_entry)
        calls = [dc for _, seq, dc in entries if dc._seq == seq]
        epoch = self.epoch
        # (not run, not cancelled, not moved back to new)
        calls.extend(dc for dc in self._due if dc._seq not in (CALLED, CANCELLED, epoch))
        calls.extend(dc for dc in self._last_of_each(self.new) if dc._seq == epoch)
        return calls

    def delayed_calls(self) -> list[DelayedCall]:
        """Return the pending calls, earliest first."""
        calls = self._pending()
        calls.sort(key=_time_of)
        return calls

    def _last_of_each(self, calls: list[DelayedCall]) -> list[DelayedCall]:
        """Return *calls* without the earlier entries of calls moved while in ``new``."""
        if not self._dups:
            return calls
        seen: set[DelayedCall] = set()
        kept = []
        for dc in reversed(calls):
            if dc not in seen:
                seen.add(dc)
                kept.append(dc)
        kept.reverse()
        return kept

    def clear(self) -> None:
        """Forget every pending call and disarm the loop timer."""
        for dc in self._pending():
            dc._seq = CANCELLED
        self.heap.clear()
        self.new.clear()
        self._garbage = 0
        self._compact_at = _COMPACT_MIN
        self._disarm()

    # -- callbacks from DelayedCall ---------------------------------------------------------

    def _cancelled(self, dc: DelayedCall) -> None:
        self._garbage += 1
        if self._garbage > self._compact_at:
            self._maybe_compact()

    def _maybe_compact(self) -> None:
        """Compact once dead entries are the majority; else raise the mark to check again.

        The mark is the number of live entries: dead ones cannot be the majority before
        there are more of them than that (amortised O(1) per cancel, no len() per cancel).
        """
        if self._garbage * 2 > len(self.heap) + len(self.new):
            self._compact()
        self._compact_at = max(_COMPACT_MIN, len(self.heap) + len(self.new) - self._garbage)

    def _compact(self) -> None:
        heap = self.heap
        heap[:] = [e for e in heap if e[2]._seq == e[1]]
        heapify(heap)
        new = self.new
        epoch = self.epoch
        new[:] = [dc for dc in self._last_of_each(new) if dc._seq == epoch]
        self._dups = 0
        self._garbage = 0
        if not heap and not new:
            self._disarm()

    def _moved(self, dc: DelayedCall) -> None:
        # A reset or delay schedules the call anew: it goes to the end of new, and its
        # entry in the heap, the running batch or new itself is dead.
        epoch = self.epoch
        if dc._seq == epoch:
            self._dups += 1
        else:
            dc._seq = epoch
        self._garbage += 1
        self.new.append(dc)
        if dc.time < self.handle_when:
            self.arm(dc.time)
        if self._garbage > self._compact_at:
            self._maybe_compact()

    # -- the loop timer ---------------------------------------------------------------------

    def arm(self, when: float) -> None:
        """Make the loop timer fire at *when* (replacing the armed one)."""
        handle = self._handle
        if handle is not None:
            handle.cancel()
        self._handle = self._loop.call_at(when, self._fire)
        self.handle_when = when

    def _disarm(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self.handle_when = _INF

    def _push(self, calls: list[DelayedCall]) -> None:
        """Give *calls* sequence numbers (in their order) and put them in the heap."""
        heap = self.heap
        seq = self.next_seq
        entries = []
        for dc in calls:
            dc._seq = seq
            entries.append((dc.time, seq, dc))
            seq += 1
        self.next_seq = seq
        if len(entries) > len(heap):
            heap.extend(entries)
            heapify(heap)
        else:
            for entry in entries:
                heappush(heap, entry)

    def _split_new(self, end: float) -> list[DelayedCall]:
        """Move ``new`` out: calls due by *end* are returned, the others go to the heap."""
        new = self.new
        epoch = self.epoch
        self.epoch = epoch - 1
        if not new:
            return []
        live = [dc for dc in self._last_of_each(new) if dc._seq == epoch]
        self._garbage -= len(new) - len(live)
        self._dups = 0
        new.clear()
        due = [dc for dc in live if dc.time <= end]
        if len(due) != len(live):
            self._push([dc for dc in live if dc.time > end])
        return due

    def _take_due(self, end: float) -> list[DelayedCall]:
        """Remove and return the live calls due by *end*, in (time, scheduling) order."""
        heap = self.heap
        due: list[DelayedCall] = []
        while heap and heap[0][0] <= end:
            _, seq, dc = heappop(heap)
            if dc._seq == seq:
                due.append(dc)
            else:
                self._garbage -= 1
        fresh = self._split_new(end)
        if fresh:
            # Heap calls, in (time, sequence) order, were all scheduled before the ones
            # from new, which are in scheduling order: a stable sort by time is enough.
            due.extend(fresh)
            due.sort(key=_time_of)
        return due

    def _rearm(self) -> None:
        self._push(self._split_new(-_INF))
        heap = self.heap
        # Fired calls left: the compaction mark follows the queue down (see _maybe_compact).
        self._compact_at = max(_COMPACT_MIN, len(heap) - self._garbage)
        while heap:
            when, seq, dc = heap[0]
            if dc._seq == seq:
                if self._handle is None or self.handle_when != when:
                    self.arm(when)
                return
            heappop(heap)
            self._garbage -= 1
        self._disarm()

    def run_due(self) -> None:
        """Run the calls due now and re-arm the loop timer (for ``runUntilCurrent``).

        Does nothing inside a running batch: those calls are being run already.
        """
        if self.handle_when == -_INF:
            return
        if self._handle is not None:
            self._handle.cancel()  # the armed loop timer must not fire a second batch
            self._handle = None
        self._fire()

    def _fire(self) -> None:
        self._handle = None
        # -inf: calls scheduled by this batch don't arm the timer one by one; the finally
        # clause below arms it once for whatever is earliest afterwards.
        self.handle_when = -_INF
        due = self._due = self._take_due(self.seconds() + self._resolution)
        # Calls scheduled while this batch runs wait in new for the next loop iteration,
        # even when the (cached, millisecond) uvloop clock says they are due: I/O gets its
        # turn. A call of the batch that was reset meanwhile is back in new (its _seq is
        # the new epoch): it waits there too.
        epoch = self.epoch
        finished = False
        try:
            for dc in due:
                seq = dc._seq
                if seq == epoch or seq == CANCELLED:  # noqa: SIM109 (no tuple per call)
                    self._garbage -= 1
                    continue
                # DelayedCall._run inlined: this loop is the hot path of every timed call.
                dc._seq = CALLED
                ctx = dc._ctx
                if ctx is None:  # scheduled from a context without variables
                    ctx = _new_context()
                try:
                    if dc.kw:
                        ctx.run(dc.func, *dc.args, **dc.kw)
                    else:
                        ctx.run(dc.func, *dc.args)
                except Exception:
                    log_error("while handling timed call")  # Twisted's words
            finished = True
        finally:
            self._due = []
            if not finished:
                # KeyboardInterrupt or SystemExit escaped a call: keep the calls not run yet.
                # (then count the dead entries afresh: some of the batch was not visited)
                self._push([dc for dc in due if dc._seq not in (CALLED, CANCELLED, epoch)])
                self._compact()
            if self._handle is None:
                self.handle_when = _INF
            self._rearm()


def check_call_later(delay: float, f: object) -> None:
    """Raise the error ``callLater(delay, f)`` deserves, if any."""
    if not callable(f):
        raise TypeError(not_callable_message(f))
    if delay < 0:
        raise ValueError(f"callLater() needs a delay >= 0 seconds, got {delay!r}")


def not_callable_message(f: object) -> str:
    """Explain why *f* cannot be scheduled (with a hint for coroutine objects)."""
    if hasattr(f, "__await__") or hasattr(f, "cr_frame"):
        name = getattr(f, "__qualname__", type(f).__name__)
        return (
            f"callLater() needs a callable, got coroutine object {name}(); "
            f"try callLater(delay, ensureDeferred, {name}())"
        )
    return f"callLater() needs a callable, got {type(f).__name__} {f!r}"
