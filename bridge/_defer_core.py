"""The Deferred class itself: callback chains, chaining, pause, cancel, await.

Private module; import the public names from :mod:`bridge.defer`.

Design notes (why the code looks the way it does):

* Callbacks are stored as flat 6-tuples ``(callback, args, kwargs, errback, args, kwargs)``
  with ``None`` for a missing side, so ``addCallback`` allocates exactly one tuple.
* Chains of Deferreds (a callback returning a Deferred) run iteratively, with an explicit
  stack of Deferreds, the way Twisted does it, so 100,000 nested Deferreds do not hit the
  recursion limit.
* A failure left at the end of a chain is watched by a tiny ``_Unhandled`` object whose
  ``__del__`` reports it; healthy Deferreds never allocate one.
* ``await d`` yields a small ``_Waiter`` that speaks the subset of the Future protocol an
  asyncio Task needs (``_asyncio_future_blocking``, ``get_loop``, ``add_done_callback``,
  ``result``, ``cancel``), so awaiting costs no Future; a Deferred that already has its
  result is awaited without yielding at all.
"""

from __future__ import annotations

import asyncio
import traceback
import types
from asyncio import events as _events
from collections.abc import Callable, Generator
from contextvars import Context
from typing import Any, ClassVar, Concatenate, Generic, ParamSpec, TypeVar, cast

from bridge import log as _log
from bridge.failure import Failure

__all__ = [
    "AlreadyCalledError",
    "CancelledError",
    "Deferred",
    "TimeoutError",
    "add_unhandled_error_observer",
    "fail",
    "getDebugging",
    "maybeDeferred",
    "remove_unhandled_error_observer",
    "setDebugging",
    "succeed",
]

T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")

_get_running_loop = _events._get_running_loop


class AlreadyCalledError(Exception):
    """Raised when a Deferred that already has a result is fired again."""


class CancelledError(Exception):
    """The failure of a Deferred that was cancelled (an ``Exception``, unlike asyncio's)."""


class TimeoutError(Exception):
    """The failure of a Deferred cancelled by :meth:`Deferred.addTimeout`."""


class _Sentinel:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


_CONTINUE: Any = _Sentinel("continue chain")
_NO_RESULT: Any = _Sentinel("no result")
_CANCEL_ABSORBED: Any = _Sentinel("cancellation absorbed")

# Classes whose instances are Deferreds (kept by __init_subclass__): a set membership test on
# type(x) is much cheaper than isinstance() when x is not a Deferred, the common case.
_DEFERRED_TYPES: set[type] = set()

_unhandled_observers: list[Callable[[Failure, str], None]] = []


def add_unhandled_error_observer(observer: Callable[[Failure, str], None]) -> None:
    """Call *observer(failure, text)* whenever an unhandled failure in a Deferred is reported.

    Reports happen when a Deferred holding a failure is garbage-collected, right after the
    failure is logged. Test frameworks use this to attribute the error to the running test.
    """
    _unhandled_observers.append(observer)


def remove_unhandled_error_observer(observer: Callable[[Failure, str], None]) -> None:
    """Stop calling an observer added with :func:`add_unhandled_error_observer`."""
    _unhandled_observers.remove(observer)


class _Unhandled:
    """Report a failure nobody consumed when the Deferred holding it is collected."""

    __slots__ = ("creator", "failure", "invoker")

    def __init__(self, failure: Failure | None) -> None:
        self.failure = failure
        self.creator: list[str] | None = None
        self.invoker: list[str] | None = None

    def debug_text(self) -> str:
        parts = []
        if self.creator is not None:
            parts.append(" C: Deferred was created:\n C:" + "".join(self.creator).rstrip())
        if self.invoker is not None:
            parts.append(" I: First Invoker was:\n I:" + "".join(self.invoker).rstrip())
        return "\n".join(parts)

    def __del__(self) -> None:
        failure = self.failure
        if failure is None:
            return
        self.failure = None  # exactly once, even if resurrected
        why = "Unhandled error in Deferred:"
        extra = self.debug_text()
        if extra:
            why += "\n" + extra
        try:
            _log.err(failure, why)
            for observer in list(_unhandled_observers):
                observer(failure, why)
        except Exception:  # a finalizer must not raise
            traceback.print_exc()


class Deferred(Generic[T]):
    """Hold a callback chain that runs when a result, or a failure, becomes available.

    :param canceller: called with the Deferred by :meth:`cancel`; if it does not fire the
        Deferred, the Deferred fails with :class:`CancelledError` anyway.

    ``Deferred`` is awaitable from any asyncio Task (stdlib loop or uvloop) as well as from
    coroutines run by :func:`bridge.defer.ensureDeferred`.
    """

    __slots__ = (
        "__weakref__",
        "_canceller",
        "_chained_to",
        "_running",
        "_suppress_already_called",
        "_unhandled",
        "callbacks",
        "called",
        "paused",
        "result",
    )

    debug: ClassVar[bool] = False
    callbacks: list[tuple[Any, ...]]
    called: bool
    paused: int
    result: Any

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _DEFERRED_TYPES.add(cls)

    def __init__(self, canceller: Callable[[Deferred[T]], None] | None = None) -> None:
        self.callbacks = []
        self.called = False
        self.paused = 0
        self._canceller = canceller
        self._suppress_already_called = False
        self._running = False
        self._chained_to: Deferred[Any] | None = None
        self._unhandled: _Unhandled | None = None
        if Deferred.debug:
            self._unhandled = _Unhandled(None)
            self._unhandled.creator = traceback.format_stack()[:-1]

    # -- adding callbacks -----------------------------------------------------------------

    def addCallbacks(
        self,
        callback: Callable[..., Any],
        errback: Callable[..., Any] | None = None,
        callbackArgs: tuple[Any, ...] = (),
        callbackKeywords: dict[str, Any] | None = None,
        errbackArgs: tuple[Any, ...] = (),
        errbackKeywords: dict[str, Any] | None = None,
    ) -> Deferred[Any]:
        """Add a callback and an errback as one step of the chain.

        :param callback: called with the result (then *callbackArgs*, *callbackKeywords*).
        :param errback: called with the :class:`~bridge.failure.Failure`; ``None`` passes
            failures through.
        :returns: this Deferred.
        """
        if not callable(callback) or (errback is not None and not callable(errback)):
            raise TypeError(f"addCallbacks() needs callables, got {callback!r} and {errback!r}")
        self.callbacks.append(
            (callback, callbackArgs, callbackKeywords, errback, errbackArgs, errbackKeywords)
        )
        if self.called:
            self._run_callbacks()
        return self

    def addCallback(
        self,
        callback: Callable[Concatenate[T, P], R | Deferred[R]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> Deferred[R]:
        """Add *callback* to the chain; failures skip it.

        :param callback: called as ``callback(result, *args, **kwargs)``; its return value
            (or the result of the Deferred it returns) becomes the new result.
        :returns: this Deferred.
        """
        if not callable(callback):
            raise TypeError(f"addCallback() needs a callable, got {callback!r}")
        self.callbacks.append((callback, args, kwargs or None, None, (), None))
        if self.called:
            self._run_callbacks()
        return cast("Deferred[R]", self)

    def addErrback(
        self,
        errback: Callable[Concatenate[Failure, P], R | Deferred[R]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> Deferred[T | R]:
        """Add *errback* to the chain; successful results skip it.

        :param errback: called as ``errback(failure, *args, **kwargs)``; returning a value
            recovers from the failure, raising (or returning a Failure) continues it.
        :returns: this Deferred.
        """
        if not callable(errback):
            raise TypeError(f"addErrback() needs a callable, got {errback!r}")
        self.callbacks.append((None, (), None, errback, args, kwargs or None))
        if self.called:
            self._run_callbacks()
        return cast("Deferred[T | R]", self)

    def addBoth(
        self,
        callback: Callable[Concatenate[Any, P], R | Deferred[R]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> Deferred[R]:
        """Add *callback* as both callback and errback of one step of the chain.

        :returns: this Deferred.
        """
        if not callable(callback):
            raise TypeError(f"addBoth() needs a callable, got {callback!r}")
        kw = kwargs or None
        self.callbacks.append((callback, args, kw, callback, args, kw))
        if self.called:
            self._run_callbacks()
        return cast("Deferred[R]", self)

    def chainDeferred(self, d: Deferred[T]) -> Deferred[None]:
        """Fire *d* with this Deferred's result (or failure) when it arrives.

        This Deferred's result becomes ``None``. Cancelling *d* does not cancel this
        Deferred (as in Twisted); use a callback returning a Deferred for that.

        :returns: this Deferred.
        """
        d._chained_to = self
        return self.addCallbacks(d.callback, d.errback)

    def addTimeout(
        self,
        timeout: float,
        clock: Any,
        onTimeoutCancel: Callable[[Any, float], Any] | None = None,
    ) -> Deferred[T]:
        """Cancel this Deferred if it has no result after *timeout* seconds.

        When the timeout cancels it, a :class:`CancelledError` failure becomes
        :class:`TimeoutError` (or whatever *onTimeoutCancel(result, timeout)* returns).

        :param clock: an ``IReactorTime`` provider (``callLater``), e.g. the reactor or
            :class:`bridge.task.Clock`.
        :returns: this Deferred.
        """
        timed_out = [False]

        def time_it_out() -> None:
            timed_out[0] = True
            self.cancel()

        delayed = clock.callLater(timeout, time_it_out)

        def convert(result: Any) -> Any:
            if timed_out[0]:
                convert_cancelled = onTimeoutCancel or _cancelled_to_timed_out
                return convert_cancelled(result, timeout)
            return result

        def cancel_timeout(result: Any) -> Any:
            if delayed.active():
                delayed.cancel()
            return result

        self.addBoth(convert)
        self.addBoth(cancel_timeout)
        return self

    # -- firing ---------------------------------------------------------------------------

    def callback(self, result: T | Failure) -> None:
        """Fire the chain with *result*.

        :raises AlreadyCalledError: if this Deferred already has a result.
        """
        if type(result) in _DEFERRED_TYPES:
            raise AssertionError(
                f"callback() on {self!r} with a Deferred ({result!r}): a Deferred cannot be "
                "the result of another; return it from a callback to chain them instead"
            )
        if self.called:
            self._already_called("callback")
            return
        self._fire(result)

    def errback(self, fail: Failure | BaseException | None = None) -> None:
        """Fire the chain with a failure.

        :param fail: a :class:`~bridge.failure.Failure` or exception; ``None`` wraps the
            exception currently being handled.
        :raises AlreadyCalledError: if this Deferred already has a result.
        """
        if not isinstance(fail, Failure):
            fail = Failure(fail)
        if self.called:
            self._already_called("errback")
            return
        self._fire(fail)

    def _already_called(self, how: str) -> None:
        if self._suppress_already_called:
            self._suppress_already_called = False
            return
        extra = ""
        info = self._unhandled
        if Deferred.debug and info is not None:
            extra = "\n" + info.debug_text()
        raise AlreadyCalledError(
            f"{how}() on {self!r}: a Deferred fires once; it was already fired"
            + (extra if extra else " (setDebugging(True) records where)")
        )

    def _fire(self, result: Any) -> None:
        if Deferred.debug:
            if self._unhandled is None:
                self._unhandled = _Unhandled(None)
            self._unhandled.invoker = traceback.format_stack()[:-3]
        self.called = True
        self._canceller = None
        self.result = result
        self._run_callbacks()

    def pause(self) -> None:
        """Stop running callbacks until a matching :meth:`unpause`."""
        self.paused += 1

    def unpause(self) -> None:
        """Undo one :meth:`pause`; run pending callbacks if the result is there."""
        self.paused -= 1
        if self.paused:
            return
        if self.called:
            self._run_callbacks()

    def cancel(self) -> None:
        """Cancel this Deferred.

        Without a result yet, the canceller runs; if it did not fire the Deferred, the
        Deferred fails with :class:`CancelledError`. If the Deferred is waiting on another
        Deferred returned by a callback, that one is cancelled instead.

        .. note:: Unlike Twisted, a canceller that raises does not leave the Deferred
           hanging: the exception is logged and the Deferred fails with CancelledError.
        """
        if not self.called:
            canceller = self._canceller
            absorbed = None
            if canceller is not None:
                try:
                    absorbed = canceller(self)
                except Exception:
                    _log.err(None, f"Canceller of {self!r} raised")
            else:
                # Nobody can stop the operation: swallow the one result it will still deliver.
                self._suppress_already_called = True
            if not self.called and absorbed is not _CANCEL_ABSORBED:
                self._fire(Failure(CancelledError()))
        elif type(self.result) in _DEFERRED_TYPES:
            self.result.cancel()

    # -- the engine -----------------------------------------------------------------------

    def _run_callbacks(self) -> None:
        if self._running:
            # Already running further up the stack: that loop will see new callbacks.
            return
        chain: list[Deferred[Any]] = [self]
        deferred_types = _DEFERRED_TYPES
        while chain:
            current = chain[-1]
            if current.paused:
                return
            finished = True
            current._chained_to = None
            cbs = current.callbacks
            i = 0
            while i < len(cbs):
                item = cbs[i]
                i += 1
                result = current.result
                if type(result) is Failure or isinstance(result, Failure):
                    fn, args, kw = item[3], item[4], item[5]
                else:
                    fn, args, kw = item[0], item[1], item[2]
                if fn is None:
                    continue
                if fn is _CONTINUE:
                    # The Deferred waiting on us resumes with our result; ours becomes None.
                    chainee: Deferred[Any] = args
                    chainee.result = result
                    current.result = None
                    if current._unhandled is not None:
                        current._unhandled.failure = None
                    chainee.paused -= 1
                    chain.append(chainee)
                    finished = False
                    break
                current._running = True
                try:
                    result = fn(result, *args) if kw is None else fn(result, *args, **kw)
                except BaseException:
                    result = Failure()
                finally:
                    current._running = False
                current.result = result
                rtype = type(result)
                if rtype in deferred_types:
                    inner_result = getattr(result, "result", _NO_RESULT)
                    if (
                        inner_result is _NO_RESULT
                        or type(inner_result) in deferred_types
                        or result.paused
                    ):
                        # Wait for the inner Deferred; it resumes us through _CONTINUE.
                        current.paused += 1
                        current._chained_to = result
                        result.callbacks.append(
                            (_CONTINUE, current, None, _CONTINUE, current, None)
                        )
                        finished = False
                        break
                    # The inner Deferred already has its result: take it over.
                    result.result = None
                    if result._unhandled is not None:
                        result._unhandled.failure = None
                    current.result = inner_result
                elif rtype is types.CoroutineType:
                    current.result = _coroutine_misuse(fn, result)
            if i:
                del cbs[:i]
            if finished:
                result = current.result
                if type(result) is Failure or isinstance(result, Failure):
                    if current._unhandled is None:
                        current._unhandled = _Unhandled(result)
                    else:
                        current._unhandled.failure = result
                elif current._unhandled is not None:
                    current._unhandled.failure = None
                chain.pop()

    # -- asyncio interoperation -----------------------------------------------------------

    def __await__(self) -> Generator[Any, None, T]:
        if self.called and not self.paused and not self.callbacks:
            result = self.result
            rtype = type(result)
            if rtype not in _DEFERRED_TYPES:
                if rtype is Failure or isinstance(result, Failure):
                    if self._unhandled is not None:
                        self._unhandled.failure = None
                    raise result.value.with_traceback(result.tb)
                value: T = result
                return value
        waiter = _Waiter(self, _get_running_loop())
        self.callbacks.append((waiter._wake, (), None, waiter._wake, (), None))
        if self.called:
            self._run_callbacks()
        if waiter._done is False:
            yield waiter
        value = waiter._take()
        return value

    __iter__ = __await__

    def asFuture(self, loop: Any) -> Any:
        """Return an :class:`asyncio.Future` on *loop* that gets this Deferred's result.

        Cancelling the Future cancels this Deferred; a Deferred failing with
        :class:`CancelledError` leaves the Future ``cancelled()``.
        """
        from bridge import _inline

        return _inline.as_future(self, loop)

    @staticmethod
    def fromFuture(future: Any) -> Deferred[Any]:
        """Return a Deferred that fires with the result of the asyncio *future*.

        Cancelling the Deferred cancels the Future and fails the Deferred at once with
        :class:`CancelledError`.
        """
        from bridge import _inline

        return _inline.from_future(future)

    @staticmethod
    def fromCoroutine(coro: Any) -> Deferred[Any]:
        """Run coroutine *coro* and return a Deferred of its result.

        See :func:`bridge.defer.ensureDeferred` for how it is driven.
        """
        from bridge import _inline

        return _inline.from_coroutine(coro)

    def __repr__(self) -> str:
        cname = type(self).__name__
        if self._chained_to is not None:
            state = f" waiting on Deferred at 0x{id(self._chained_to):x}"
        elif self.called:
            state = f" current result: {self.result!r}"
        else:
            state = ""
        return f"<{cname} at 0x{id(self):x}{state}>"

    __str__ = __repr__


_DEFERRED_TYPES.add(Deferred)
for _cls in (AlreadyCalledError, CancelledError, TimeoutError, Deferred):
    _cls.__module__ = "bridge.defer"


class _Waiter:
    """What ``await d`` yields to an asyncio Task: just enough of the Future protocol."""

    __slots__ = (
        "_asyncio_future_blocking",
        "_callbacks",
        "_cancel_requested",
        "_deferred",
        "_done",
        "_loop",
        "_value",
    )

    def __init__(self, deferred: Deferred[Any], loop: Any) -> None:
        self._deferred = deferred
        self._loop = loop
        self._done = False
        self._value: Any = None
        self._callbacks: list[tuple[Callable[[Any], None], Context | None]] | None = None
        self._cancel_requested = False
        self._asyncio_future_blocking = True

    def _wake(self, result: Any) -> None:
        self._done = True
        self._value = result
        callbacks = self._callbacks
        if callbacks:
            self._callbacks = None
            loop = self._loop
            if loop is None:
                # Driven by ensureDeferred's trampoline: resume synchronously, like Twisted.
                for fn, _ in callbacks:
                    fn(self)
                return
            for fn, context in callbacks:
                loop.call_soon(fn, self, context=context)
        # Returning None consumes the result, as Twisted's coroutine driver does.

    def _take(self) -> Any:
        value = self._value
        self._value = None
        if type(value) is Failure or isinstance(value, Failure):
            if self._cancel_requested and value.check(CancelledError):
                raise asyncio.CancelledError() from value.value
            raise value.value.with_traceback(value.tb)
        return value

    # The Future protocol, as used by asyncio.Task.
    def get_loop(self) -> Any:
        return self._loop

    def add_done_callback(
        self, fn: Callable[[Any], None], *, context: Context | None = None
    ) -> None:
        if self._done:
            self._loop.call_soon(fn, self, context=context)
        elif self._callbacks is None:
            self._callbacks = [(fn, context)]
        else:
            self._callbacks.append((fn, context))

    def remove_done_callback(self, fn: Callable[[Any], None]) -> int:
        if not self._callbacks:
            return 0
        before = len(self._callbacks)
        self._callbacks = [(f, c) for f, c in self._callbacks if f != fn]
        return before - len(self._callbacks)

    def result(self) -> None:
        # The awaiting coroutine reads the value itself from _take().
        return None

    def exception(self) -> None:
        return None

    def done(self) -> bool:
        return self._done

    def cancelled(self) -> bool:
        return False

    def cancel(self, msg: object = None) -> bool:
        if self._done:
            return False
        self._cancel_requested = True
        self._deferred.cancel()
        return True

    def __await__(self) -> Generator[Any, None, Any]:
        if not self._done:
            yield self
        return self._take()

    __iter__ = __await__

    def __repr__(self) -> str:
        return f"<bridge await of {self._deferred!r}>"


def _coroutine_misuse(fn: Any, coro: types.CoroutineType[Any, Any, Any]) -> Failure:
    name = getattr(fn, "__qualname__", repr(fn))
    coro.close()
    return Failure(
        TypeError(
            f"callback {name} returned a coroutine, which a Deferred chain cannot wait on; "
            f"wrap it: d.addCallback(lambda r: ensureDeferred({name}(r)))"
        )
    )


def _cancelled_to_timed_out(value: Any, timeout: float) -> Any:
    if isinstance(value, Failure):
        value.trap(CancelledError)
        raise TimeoutError(f"Deferred timed out after {timeout} seconds")
    return value


def succeed(result: T) -> Deferred[T]:
    """Return a Deferred that has already fired with *result*.

    :param result: the value passed to the first callback.
    """
    d: Deferred[T] = Deferred()
    d.called = True
    d._canceller = None
    d.result = result
    return d


def fail(result: Failure | BaseException | None = None) -> Deferred[Any]:
    """Return a Deferred that has already failed with *result*.

    :param result: a Failure or exception; ``None`` wraps the exception being handled.
    """
    d: Deferred[Any] = Deferred()
    d.errback(result)
    return d


def maybeDeferred(f: Callable[P, Any], *args: P.args, **kwargs: P.kwargs) -> Deferred[Any]:
    """Call *f* and return its result as a Deferred.

    A Deferred result is returned as is; a coroutine is run with ``ensureDeferred``; an
    exception becomes a failed Deferred; any other value a fired one.
    """
    try:
        result = f(*args, **kwargs)
    except BaseException:
        return fail(Failure())
    if type(result) in _DEFERRED_TYPES:
        return cast("Deferred[Any]", result)
    if isinstance(result, Failure):
        return fail(result)
    if type(result) is types.CoroutineType:
        return Deferred.fromCoroutine(result)
    return succeed(result)


def setDebugging(on: bool) -> None:
    """Record creation and firing stacks of new Deferreds (for AlreadyCalledError messages)."""
    Deferred.debug = bool(on)


def getDebugging() -> bool:
    """Return whether :func:`setDebugging` is on."""
    return Deferred.debug
