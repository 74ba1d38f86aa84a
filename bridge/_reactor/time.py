"""The reactor's timed calls: ``callLater`` on top of one ``loop.call_at`` timer.

bridge keeps its own heap of ``(time, sequence, DelayedCall)`` entries and keeps a single
asyncio timer armed for the earliest one. That gives two guarantees the loop alone does not:
calls due at the same time run in the order they were scheduled (asyncio's timer heap is not
stable, and uvloop's millisecond clock makes equal deadlines common), and an exception in a
call is logged through ``bridge.log`` while the following calls still run. Tuples compare in
C, which keeps ``callLater`` cheap.
"""

from __future__ import annotations

import contextvars
from asyncio import AbstractEventLoop, TimerHandle
from collections.abc import Callable, Mapping
from heapq import heapify, heappop, heappush

from bridge._delayed import DelayedCall
from bridge._reactor._log import log_error
from bridge.compat import clock_resolution

__all__ = ["Timers"]

_INF = float("inf")
_copy_context = contextvars.copy_context


class Timers:
    """The timer queue of one reactor, driven by one asyncio timer at a time."""

    __slots__ = (
        "_cancel_cb",
        "_garbage",
        "_handle",
        "_handle_when",
        "_heap",
        "_loop",
        "_next_seq",
        "_reset_cb",
        "_resolution",
        "_seconds",
    )

    def __init__(self, loop: AbstractEventLoop) -> None:
        self._loop = loop
        self._seconds = loop.time
        self._heap: list[tuple[float, int, DelayedCall]] = []
        self._next_seq = 0
        # Entries in the heap that no longer run (cancelled, or superseded by reset()).
        self._garbage = 0
        self._handle: TimerHandle | None = None
        self._handle_when = _INF
        self._resolution = clock_resolution(loop)
        self._cancel_cb = self._cancelled
        self._reset_cb = self._moved

    def call_later(
        self,
        delay: float,
        f: Callable[..., object],
        args: tuple[object, ...],
        kw: Mapping[str, object],
    ) -> DelayedCall:
        """Schedule ``f(*args, **kw)`` in *delay* seconds; return its DelayedCall."""
        if not callable(f):
            raise TypeError(_not_callable_message(f))
        if delay < 0:
            raise ValueError(f"callLater() needs a delay >= 0 seconds, got {delay!r}")
        when = self._seconds() + delay
        dc = DelayedCall(when, f, args, kw, self._cancel_cb, self._reset_cb, self._seconds)
        dc._ctx = _copy_context()
        seq = self._next_seq
        self._next_seq = seq + 1
        dc._seq = seq
        heappush(self._heap, (when, seq, dc))
        if when < self._handle_when:
            self._arm(when)
        return dc

    def delayed_calls(self) -> list[DelayedCall]:
        """Return the pending calls, earliest first."""
        live = [e for e in self._heap if e[2]._seq == e[1] and not e[2].cancelled]
        live.sort()
        return [e[2] for e in live]

    def clear(self) -> None:
        """Forget every pending call and disarm the loop timer."""
        for _, seq, dc in self._heap:
            if dc._seq == seq:
                dc.cancelled = 1
        self._heap.clear()
        self._garbage = 0
        self._disarm()

    # -- callbacks from DelayedCall ---------------------------------------------------------

    def _cancelled(self, dc: DelayedCall) -> None:
        self._garbage += 1
        heap = self._heap
        if self._garbage > 50 and self._garbage * 2 > len(heap):
            heap[:] = [e for e in heap if e[2]._seq == e[1] and not e[2].cancelled]
            heapify(heap)
            self._garbage = 0
            if not heap:
                self._disarm()

    def _moved(self, dc: DelayedCall) -> None:
        # The old entry stays in the heap as garbage; the sequence number tells them apart.
        self._garbage += 1
        seq = self._next_seq
        self._next_seq = seq + 1
        dc._seq = seq
        when = dc.time
        heappush(self._heap, (when, seq, dc))
        if when < self._handle_when:
            self._arm(when)

    # -- the loop timer ---------------------------------------------------------------------

    def _arm(self, when: float) -> None:
        handle = self._handle
        if handle is not None:
            handle.cancel()
        self._handle = self._loop.call_at(when, self._fire)
        self._handle_when = when

    def _disarm(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._handle_when = _INF

    def _rearm(self) -> None:
        heap = self._heap
        while heap:
            when, seq, dc = heap[0]
            if dc._seq == seq and not dc.cancelled:
                if self._handle is None or self._handle_when != when:
                    self._arm(when)
                return
            heappop(heap)
            self._garbage -= 1
        self._disarm()

    def _fire(self) -> None:
        self._handle = None
        # -inf: calls scheduled by this batch don't arm the timer one by one; the finally
        # clause below arms it once for whatever is earliest afterwards.
        self._handle_when = -_INF
        heap = self._heap
        end = self._seconds() + self._resolution
        # Calls scheduled while this batch runs wait for the next loop iteration, even when
        # the (cached, millisecond) uvloop clock says they are due: I/O gets its turn.
        limit = self._next_seq
        try:
            while heap:
                when, seq, dc = heap[0]
                if when > end or seq >= limit:
                    break
                heappop(heap)
                if dc._seq != seq or dc.cancelled:
                    self._garbage -= 1
                    continue
                try:
                    dc._run()
                except Exception:
                    log_error(f"Unhandled error in {dc!r}")
        finally:
            self._handle_when = _INF if self._handle is None else self._handle_when
            self._rearm()


def _not_callable_message(f: object) -> str:
    if hasattr(f, "__await__") or hasattr(f, "cr_frame"):
        name = getattr(f, "__qualname__", type(f).__name__)
        return (
            f"callLater() needs a callable, got coroutine object {name}(); "
            f"try callLater(delay, ensureDeferred, {name}())"
        )
    return f"callLater() needs a callable, got {type(f).__name__} {f!r}"
