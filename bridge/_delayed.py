"""DelayedCall: one scheduled call, shared by the reactor's timers and :class:`bridge.task.Clock`.

A DelayedCall does not schedule itself: its owner (the reactor's timer queue or a Clock)
passes a *cancel* and a *reset* callback, exactly like Twisted's constructor, and is told
through them when the call is cancelled or moved.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Mapping
from typing import Any

from zope.interface import implementer

from bridge.error import AlreadyCalled, AlreadyCancelled
from bridge.interfaces import IDelayedCall

__all__ = ["CALLED", "CANCELLED", "DelayedCall"]

#: ``_seq`` of a call that has run (or is running) and of a cancelled one. Any other value
#: means pending; the reactor's timers use the rest of the range (see bridge._reactor.time).
CALLED = -1
CANCELLED = -2


def _describe_callable(func: object) -> str:
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None)
    if name is None:
        return _safe_repr(func)
    return str(name)


@implementer(IDelayedCall)
class DelayedCall:
    """A call scheduled to run at :attr:`time`, as returned by ``callLater``.

    :ivar time: when the call runs, in the owner's ``seconds()`` clock.
    :ivar func: the callable; :ivar args: and :ivar kw: its arguments.
    :ivar called: 1 once the call has started running, else 0 (read-only).
    :ivar cancelled: 1 once :meth:`cancel` has been called, else 0 (read-only).
    """

    # Few slots on purpose: the reactor makes one of these per callLater, and the garbage
    # collector visits every slot of every pending call. The owner's three callbacks share
    # one slot (``_owner``); the reactor's subclass keeps its timer queue there instead.
    __slots__ = (
        "__weakref__",
        "_ctx",
        "_owner",
        "_seq",
        "args",
        "func",
        "kw",
        "time",
    )

    _owner: Any  # (cancel, reset, seconds) here; the reactor's subclass keeps its Timers

    #: Kept for compatibility with code that sets ``DelayedCall.debug``; bridge records no
    #: creation stack.
    debug = False

    def __init__(
        self,
        time: float,
        func: Callable[..., object],
        args: tuple[object, ...],
        kw: Mapping[str, object] | None,
        cancel: Callable[[DelayedCall], object],
        reset: Callable[[DelayedCall], object],
        seconds: Callable[[], float] | None = None,
    ) -> None:
        """Describe a call of ``func(*args, **kw)`` due at *time*.

        :param cancel: called with this DelayedCall when it is cancelled.
        :param reset: called with this DelayedCall when its time changes.
        :param seconds: the owner's clock, used by :meth:`reset`.
        """
        self.time = time
        self.func = func
        self.args = args
        self.kw = kw
        self._owner = (cancel, reset, seconds)
        self._ctx: contextvars.Context | None = None
        self._seq = 0

    # called and cancelled are read from _seq, the one state slot (one store less per
    # callLater, one slot less for the garbage collector to visit).

    @property
    def called(self) -> int:
        """1 once the call has started running, else 0."""
        return 1 if self._seq == CALLED else 0

    @property
    def cancelled(self) -> int:
        """1 once :meth:`cancel` has been called, else 0."""
        return 1 if self._seq == CANCELLED else 0

    @property
    def canceller(self) -> Callable[[DelayedCall], object]:
        """Called with this DelayedCall when it is cancelled."""
        return self._owner[0]  # type: ignore[no-any-return]

    @property
    def resetter(self) -> Callable[[DelayedCall], object]:
        """Called with this DelayedCall when its time changes."""
        return self._owner[1]  # type: ignore[no-any-return]

    @property
    def seconds(self) -> Callable[[], float] | None:
        """The owner's clock, used by :meth:`reset` (None if it was not given)."""
        return self._owner[2]  # type: ignore[no-any-return]

    def getTime(self) -> float:
        """Return the time at which this call will run."""
        return self.time

    def active(self) -> bool:
        """Return True while the call has neither run nor been cancelled."""
        seq = self._seq
        return seq != CALLED and seq != CANCELLED

    def _check_active(self, operation: str) -> None:
        if self._seq == CANCELLED:
            raise AlreadyCancelled(
                f"{operation}() on {self!r}: the call was already cancelled; check active() first"
            )
        if self._seq == CALLED:
            raise AlreadyCalled(
                f"{operation}() on {self!r}: the call has already run; check active() first"
            )

    def cancel(self) -> None:
        """Unschedule the call.

        :raises AlreadyCancelled: if it was already cancelled.
        :raises AlreadyCalled: if it has already run.
        """
        self._check_active("cancel")
        self._seq = CANCELLED
        self.canceller(self)

    def reset(self, secondsFromNow: float) -> None:
        """Reschedule the call to run *secondsFromNow* seconds from now.

        :raises AlreadyCancelled: if it was cancelled.
        :raises AlreadyCalled: if it has already run.
        """
        self._check_active("reset")
        seconds = self.seconds
        if seconds is None:
            raise RuntimeError(f"reset() on {self!r}: this DelayedCall was created without a clock")
        self.time = seconds() + secondsFromNow
        self.resetter(self)

    def delay(self, secondsLater: float) -> None:
        """Postpone the call by *secondsLater* seconds (a negative value brings it forward).

        :raises AlreadyCancelled: if it was cancelled.
        :raises AlreadyCalled: if it has already run.
        """
        self._check_active("delay")
        self.time += secondsLater
        self.resetter(self)

    def _run(self) -> None:
        """Run the call in the context captured when it was scheduled (if any)."""
        self._seq = CALLED
        ctx = self._ctx
        kw = self.kw
        if ctx is None:
            if kw:
                self.func(*self.args, **kw)
            else:
                self.func(*self.args)
        elif kw:
            ctx.run(self.func, *self.args, **kw)
        else:
            ctx.run(self.func, *self.args)

    def __lt__(self, other: DelayedCall) -> bool:
        return self.time < other.time

    def __le__(self, other: DelayedCall) -> bool:
        return self.time <= other.time

    def __repr__(self) -> str:
        # Twisted's layout, which logs and dirty-reactor reports show and tools grep for:
        # <DelayedCall 0x... [3.0s] called=0 cancelled=0 work('x', y=2)>; a cancelled call
        # shows no function (Twisted drops it on cancel).
        try:
            when = f"{self.time - self.seconds()}s" if self.seconds is not None else "?s"
        except Exception:  # a clock that fails must not break repr()
            when = "?s"
        text = (
            f"<DelayedCall 0x{id(self):x} [{when}] called={self.called} cancelled={self.cancelled}"
        )
        if not self.cancelled:
            args = [_safe_repr(a) for a in self.args]
            if self.kw:
                args.extend(f"{k}={_safe_repr(v)}" for k, v in self.kw.items())
            text += f" {_describe_callable(self.func)}({', '.join(args)})"
        return text + ">"

    __str__ = __repr__


def _safe_repr(value: object) -> str:
    try:
        return repr(value)
    except Exception as exc:  # same idea as Twisted's reflect.safe_repr
        return f"<{type(value).__name__} instance at 0x{id(value):x} with repr error {exc!r}>"
