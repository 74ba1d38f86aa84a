"""The reactor's timed calls: ``callLater`` on top of one ``loop.call_at`` timer.

bridge keeps its own heap of ``(time, sequence, DelayedCall)`` entries and keeps a single
asyncio timer armed for the earliest one. That gives two guarantees the loop alone does not:
calls due at the same time run in the order they were scheduled (asyncio's timer heap is not
stable, and uvloop's millisecond clock makes equal deadlines common), and an exception in a
call is logged through ``bridge.log`` while the following calls still run.

Cost matters here (``callLater`` is a hot path): tuples compare in C; a new call is only
appended to a list, and enters the heap when the timer fires (all at once, with
``heapify`` when there are many), so a call cancelled before then never touches the heap.
"""

from __future__ import annotations

import contextvars
from asyncio import AbstractEventLoop, TimerHandle
from collections.abc import Callable, Mapping
from heapq import heapify, heappop, heappush
from operator import itemgetter

from bridge._delayed import DelayedCall
from bridge._reactor._log import log_error
from bridge.compat import clock_resolution

__all__ = ["Timers", "not_callable_message"]

_INF = float("inf")
_copy_context = contextvars.copy_context

_Entry = tuple[float, int, DelayedCall]


class Timers:
    """The timer queue of one reactor, driven by one asyncio timer at a time.

    ``AsyncioReactor.callLater`` fills :attr:`new` directly (it is inlined there); everything
    else goes through the methods here.
    """

    __slots__ = (
        "_due",
        "_garbage",
        "_handle",
        "_loop",
        "_resolution",
        "cancel_cb",
        "handle_when",
        "heap",
        "new",
        "next_seq",
        "reset_cb",
        "seconds",
    )

    def __init__(self, loop: AbstractEventLoop) -> None:
        self._loop = loop
        self.seconds = loop.time
        self.heap: list[_Entry] = []
        # Entries scheduled since the timer last fired; they join the heap when it fires.
        self.new: list[_Entry] = []
        self.next_seq = 0
        # Entries (in heap or new) that will not run: cancelled, or superseded by reset().
        self._garbage = 0
        self._handle: TimerHandle | None = None
        # When the armed loop timer fires: inf when none is armed, -inf while a batch runs.
        self.handle_when = _INF
        self._resolution = clock_resolution(loop)
        # The batch of due entries being run by _fire (still pending until each has run).
        self._due: list[_Entry] | tuple[()] = ()
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
        check_call_later(delay, f)
        when = self.seconds() + delay
        dc = DelayedCall(when, f, args, kw, self.cancel_cb, self.reset_cb, self.seconds)
        dc._ctx = _copy_context()
        seq = self.next_seq
        self.next_seq = seq + 1
        dc._seq = seq
        self.new.append((when, seq, dc))
        if when < self.handle_when:
            self.arm(when)
        return dc

    def delayed_calls(self) -> list[DelayedCall]:
        """Return the pending calls, earliest first."""
        entries = [*self.heap, *self.new, *self._due]
        live = [e for e in entries if e[2]._seq == e[1] and not (e[2].cancelled or e[2].called)]
        live.sort()
        return [e[2] for e in live]

    def clear(self) -> None:
        """Forget every pending call and disarm the loop timer."""
        for _, seq, dc in [*self.heap, *self.new, *self._due]:
            if dc._seq == seq and not dc.called:
                dc.cancelled = 1
        self.heap.clear()
        self.new.clear()
        self._garbage = 0
        self._disarm()

    # -- callbacks from DelayedCall ---------------------------------------------------------

    def _cancelled(self, dc: DelayedCall) -> None:
        garbage = self._garbage = self._garbage + 1
        if garbage > 50 and garbage * 2 > len(self.heap) + len(self.new):
            self._compact()

    def _compact(self) -> None:
        heap = self.heap
        heap[:] = [e for e in heap if e[2]._seq == e[1] and not e[2].cancelled]
        heapify(heap)
        new = self.new
        new[:] = [e for e in new if e[2]._seq == e[1] and not e[2].cancelled]
        self._garbage = 0
        if not heap and not new:
            self._disarm()

    def _moved(self, dc: DelayedCall) -> None:
        # The old entry stays behind as garbage; the sequence number tells them apart.
        self._garbage += 1
        seq = self.next_seq
        self.next_seq = seq + 1
        dc._seq = seq
        when = dc.time
        self.new.append((when, seq, dc))
        if when < self.handle_when:
            self.arm(when)

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

    def _merge_new(self) -> None:
        new = self.new
        if not new:
            return
        heap = self.heap
        live = [e for e in new if e[2]._seq == e[1] and not e[2].cancelled]
        self._garbage -= len(new) - len(live)
        new.clear()
        if len(live) > len(heap):
            heap.extend(live)
            heapify(heap)
        else:
            for entry in live:
                heappush(heap, entry)

    def _rearm(self) -> None:
        self._merge_new()
        heap = self.heap
        while heap:
            when, seq, dc = heap[0]
            if dc._seq == seq and not dc.cancelled:
                if self._handle is None or self.handle_when != when:
                    self.arm(when)
                return
            heappop(heap)
            self._garbage -= 1
        self._disarm()

    def _take_due(self, end: float) -> list[_Entry]:
        """Remove and return the entries due by *end*, in (time, sequence) order."""
        heap = self.heap
        new = self.new
        due: list[_Entry] = []
        while heap and heap[0][0] <= end:
            due.append(heappop(heap))
        if new:
            fresh = [e for e in new if e[0] <= end]
            if len(fresh) == len(new):
                later: list[_Entry] = []
            else:
                later = [e for e in new if e[0] > end]
            new.clear()
            if later:
                if len(later) > len(heap):
                    heap.extend(later)
                    heapify(heap)
                else:
                    for entry in later:
                        heappush(heap, entry)
            if fresh:
                # Every heap entry is older (smaller sequence) than every new one, and new
                # is in sequence order, so a stable sort on time alone gives (time, seq)
                # order. Sorting floats beats a heappop per call by far.
                due.extend(fresh)
                due.sort(key=_time_of)
        return due

    def _fire(self) -> None:
        self._handle = None
        # -inf: calls scheduled by this batch don't arm the timer one by one; the finally
        # clause below arms it once for whatever is earliest afterwards.
        self.handle_when = -_INF
        due = self._due = self._take_due(self.seconds() + self._resolution)
        # Calls scheduled while this batch runs land in self.new and wait for the next loop
        # iteration, even when the (cached, millisecond) uvloop clock says they are due:
        # I/O gets its turn.
        finished = False
        try:
            for _, seq, dc in due:
                if dc._seq != seq or dc.cancelled:
                    self._garbage -= 1
                    continue
                # DelayedCall._run inlined: this loop is the hot path of every timed call.
                dc.called = 1
                try:
                    if dc.kw:
                        dc._ctx.run(dc.func, *dc.args, **dc.kw)  # type: ignore[union-attr]
                    else:
                        dc._ctx.run(dc.func, *dc.args)  # type: ignore[union-attr]
                except Exception:
                    log_error(f"Unhandled error in {dc!r}")
            finished = True
        finally:
            self._due = ()
            if not finished:
                # KeyboardInterrupt or SystemExit escaped a call: keep the calls not run yet.
                self.new.extend(e for e in due if not e[2].called and e[2]._seq == e[1])
            if self._handle is None:
                self.handle_when = _INF
            self._rearm()


_time_of = itemgetter(0)


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
