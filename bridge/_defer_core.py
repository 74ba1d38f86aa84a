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
* ``await d`` on a Deferred that already has its result returns it without yielding (no
  loop turn). Otherwise, inside an asyncio Task it waits on a plain ``loop.create_future()``
  the Deferred's chain resolves: the C Task handles a native Future on its fast path, which
  measured faster than yielding a Python object that mimics the Future protocol (the
  ``_asyncio_future_blocking`` duck-typing route). Without a running loop it yields the
  Deferred itself to ``ensureDeferred``'s trampoline, as Twisted does.
* ``await`` is the hot path of asyncio users, and a Python ``__await__`` costs a generator
  per await, several times a C Future's. So when ``bridge/_cdefer.c`` is built (at install,
  when a compiler is present) Deferred's base class is its ``DeferredBase``: it holds
  ``callbacks``/``called``/``paused``/``result`` as C members and answers ``await`` in C
  (a fired result comes back through ``am_send`` with no frame; an unfired Deferred in a
  Task waits on the same loop Future as above). Everything else stays in Python, and the
  pure-Python path (``BRIDGE_NO_SPEEDUPS=1``) remains the reference the tests run too.
"""

from __future__ import annotations

import asyncio
import os
import sys
import traceback
import types
from asyncio import events as _events
from collections.abc import Callable, Generator
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Concatenate,
    Generic,
    ParamSpec,
    TypeVar,
    cast,
    overload,
)

from bridge import log as _log
from bridge.failure import Failure, _hinted

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


class _PyDeferredBase:
    """Pure-Python stand-in for the C ``DeferredBase`` (used when it is not built)."""

    __slots__ = ("_canceller", "_running", "_unhandled", "callbacks", "called", "paused", "result")


def _load_speedups() -> type:
    """Return the C base class of Deferred, or the pure-Python one.

    The C one (``bridge/_cdefer.c``, built at install time when a compiler is present) only
    speeds up ``await`` of a Deferred that already has its result; behaviour is the same.
    ``BRIDGE_NO_SPEEDUPS=1`` in the environment picks the pure-Python one.
    """
    if os.environ.get("BRIDGE_NO_SPEEDUPS"):
        return _PyDeferredBase
    try:
        import bridge._cdefer as _cdefer
    except ImportError:
        return _PyDeferredBase
    return _cdefer.DeferredBase


if TYPE_CHECKING:
    _DeferredBase = _PyDeferredBase
else:
    _DeferredBase = _load_speedups()
#: True when the C speed-ups are in use.
HAVE_SPEEDUPS: bool = _DeferredBase is not _PyDeferredBase
_new_deferred = _DeferredBase.__new__
_CoroutineType = types.CoroutineType


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
_SUPPRESS_ONE: Any = _Sentinel("ignore one late result")

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


def _user_stack() -> list[str]:
    """The formatted stack of the code calling into this module (for setDebugging).

    Frames of this module at the top are left out, and so are the frames of ``python -m
    bridge run`` (runpy, bridge.__main__) at the bottom, so stacks read as under Twisted.
    """
    stack = traceback.extract_stack()
    while stack and stack[-1].filename == __file__:
        stack.pop()
    start = 0
    for index, frame in enumerate(stack):
        if frame.filename.endswith(("runpy.py", "<frozen runpy>")) or frame.filename.endswith(
            os.path.join("bridge", "__main__.py")
        ):
            start = index + 1
    return traceback.format_list(stack[start:])


class _Unhandled:
    """Report a failure nobody consumed when the Deferred holding it is collected."""

    __slots__ = ("creator", "failure", "invoker")

    def __init__(self, failure: Failure | None) -> None:
        self.failure = failure
        self.creator: list[str] | None = None
        self.invoker: list[str] | None = None

    def debug_text(self) -> str:
        # Twisted's layout: every line of each stack prefixed, a newline after each part.
        text = ""
        if self.creator is not None:
            stack = "".join(self.creator).rstrip().replace("\n", "\n C:")
            text += " C: Deferred was created:\n C:" + stack + "\n"
        if self.invoker is not None:
            stack = "".join(self.invoker).rstrip().replace("\n", "\n I:")
            text += " I: First Invoker was:\n I:" + stack + "\n"
        return text

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
            _log._unhandled_in_deferred(failure, extra)
            for observer in list(_unhandled_observers):
                observer(failure, why)
        except Exception:  # a finalizer must not raise
            traceback.print_exc()


class Deferred(_DeferredBase, Generic[T]):
    """Hold a callback chain that runs when a result, or a failure, becomes available.

    :param canceller: called with the Deferred by :meth:`cancel`; if it does not fire the
        Deferred, the Deferred fails with :class:`CancelledError` anyway.

    ``Deferred`` is awaitable from any asyncio Task (stdlib loop or uvloop) as well as from
    coroutines run by :func:`bridge.defer.ensureDeferred`.
    """

    # The other attributes are slots of the base class (C members with the speed-ups).
    __slots__ = ("__weakref__",)

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
        self._running = False
        self._unhandled: _Unhandled | None = None
        if Deferred.debug:
            self._unhandled = _Unhandled(None)
            self._unhandled.creator = _user_stack()

    def _init_debug(self) -> None:
        # The C __init__ calls this when debugging is on: record where we were created.
        self._unhandled = _Unhandled(None)
        self._unhandled.creator = _user_stack()

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

    @overload
    def addCallback(
        self,
        callback: Callable[Concatenate[T, P], Deferred[R]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> Deferred[R]: ...

    @overload
    def addCallback(
        self,
        callback: Callable[Concatenate[T, P], R],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> Deferred[R]: ...

    def addCallback(
        self,
        callback: Callable[Concatenate[T, P], Any],
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
        return self  # type: ignore[return-value]

    @overload
    def addErrback(
        self,
        errback: Callable[Concatenate[Failure, P], Deferred[R]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> Deferred[T | R]: ...

    @overload
    def addErrback(
        self,
        errback: Callable[Concatenate[Failure, P], R],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> Deferred[T | R]: ...

    def addErrback(
        self,
        errback: Callable[Concatenate[Failure, P], Any],
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
        return self  # type: ignore[return-value]

    @overload
    def addBoth(
        self,
        callback: Callable[Concatenate[Any, P], Deferred[R]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> Deferred[R]: ...

    @overload
    def addBoth(
        self,
        callback: Callable[Concatenate[Any, P], R],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> Deferred[R]: ...

    def addBoth(
        self,
        callback: Callable[Concatenate[Any, P], Any],
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
        return self  # type: ignore[return-value]

    def chainDeferred(self, d: Deferred[T]) -> Deferred[None]:
        """Fire *d* with this Deferred's result (or failure) when it arrives.

        This Deferred's result becomes ``None``. Cancelling *d* does not cancel this
        Deferred (as in Twisted); use a callback returning a Deferred for that.

        :returns: this Deferred.
        """
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
            self._deferred_as_result(result)
        if self.called:
            self._already_called("callback")
            return
        if Deferred.debug:
            self._record_invoker()
        self.called = True
        self._canceller = None
        self.result = result
        self._run_callbacks()

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

    def _deferred_as_result(self, result: Any) -> None:
        raise AssertionError(
            f"callback() on {self!r} with a Deferred ({result!r}): a Deferred cannot be "
            "the result of another; return it from a callback to chain them instead"
        )

    def _already_called(self, how: str) -> None:
        if self._canceller is _SUPPRESS_ONE:
            # cancel() without a canceller: the abandoned operation's one result is ignored.
            self._canceller = None
            return
        info = self._unhandled
        if Deferred.debug and info is not None:
            # Twisted's exact message: the two stacks, or nothing at all.
            error = AlreadyCalledError("\n" + info.debug_text())
        else:
            error = AlreadyCalledError()
        raise _hinted(
            error,
            f"{how}() on {self!r}: a Deferred fires once and it was already fired"
            + ("" if Deferred.debug else " (setDebugging(True) records where)"),
        )

    def _record_invoker(self) -> None:
        if self._unhandled is None:
            self._unhandled = _Unhandled(None)
        self._unhandled.invoker = _user_stack()

    def _fire(self, result: Any) -> None:
        if Deferred.debug:
            self._record_invoker()
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
            if canceller is not None:
                try:
                    canceller(self)
                except Exception:
                    _log.err(None, f"Canceller of {self!r} raised")
            if not self.called:
                self._fire(Failure(CancelledError()))
                if canceller is None:
                    # Nobody could stop the operation: swallow the one result it will
                    # still deliver (after firing, _canceller is free to hold this mark).
                    self._canceller = _SUPPRESS_ONE
        elif type(self.result) in _DEFERRED_TYPES:
            self.result.cancel()

    # -- the engine -----------------------------------------------------------------------

    def _run_callbacks(self) -> None:
        # The C base class has a twin of this method (base_run_callbacks in _cdefer.c) that
        # replaces it when the speed-ups are built: keep the two in step.
        if self._running:
            # Already running further up the stack: that loop will see new callbacks.
            return
        # Chaining is iterative: `below` holds the Deferreds whose chains resume after
        # `current` finishes (Twisted's design), so nesting depth never grows the C stack.
        current = self
        below: list[Deferred[Any]] | None = None
        deferred_types = _DEFERRED_TYPES
        while True:
            if current.paused:
                return
            finished = True
            cbs = current.callbacks
            result = current.result
            i = 0
            # _running stays set while this Deferred's callbacks run, so a callback that
            # adds callbacks to it does not start a nested loop: iterating the list (which
            # sees appended items) picks them up.
            current._running = True
            for item in cbs:
                i += 1
                if isinstance(result, Failure):
                    fn = item[3]
                    if fn is None:
                        continue
                    args = item[4]
                    kw = item[5]
                else:
                    fn = item[0]
                    if fn is None:
                        continue
                    args = item[1]
                    kw = item[2]
                if fn is _CONTINUE:
                    # The Deferred waiting on us resumes with our result; ours becomes None.
                    args.result = result
                    result = None
                    if current._unhandled is not None:
                        current._unhandled.failure = None
                    args.paused -= 1
                    finished = False
                    break
                try:
                    if kw is not None:
                        result = fn(result, *args, **kw)
                    elif args:
                        result = fn(result, *args)
                    else:
                        result = fn(result)
                except BaseException:
                    result = Failure()
                rtype = type(result)
                if rtype in deferred_types:
                    if not result.called or result.paused or type(result.result) in deferred_types:
                        # Wait for the inner Deferred; it resumes us through _CONTINUE.
                        current.paused += 1
                        result.callbacks.append(
                            (_CONTINUE, current, None, _CONTINUE, current, None)
                        )
                        args = None
                        finished = False
                        break
                    # The inner Deferred already has its result: take it over.
                    inner = result
                    result = inner.result
                    inner.result = None
                    if inner._unhandled is not None:
                        inner._unhandled.failure = None
                elif rtype is _CoroutineType:
                    result = _coroutine_misuse(fn, result)
            current._running = False
            current.result = result
            if i:
                del cbs[:i]
            if finished:
                if isinstance(result, Failure):
                    if current._unhandled is None:
                        current._unhandled = _Unhandled(result)
                    else:
                        current._unhandled.failure = result
                elif current._unhandled is not None:
                    current._unhandled.failure = None
                if not below:
                    return
                current = below.pop()
            elif args is not None:
                # Continue with the Deferred that was waiting on this one.
                if below is None:
                    below = [current]
                else:
                    below.append(current)
                current = args

    # -- asyncio interoperation -----------------------------------------------------------

    def _await_slow(self) -> Generator[Any, Any, T]:
        # `await d` (pure Python), and the C base class's fallback for the cases it leaves
        # to Python. Fired, not paused (so not waiting on another Deferred) and not running
        # callbacks: the result is final; return it without yielding.
        if self.called and not self.paused and not self.callbacks:
            result = self.result
            if isinstance(result, Failure):
                if self._unhandled is not None:
                    self._unhandled.failure = None
                raise result.value.with_traceback(result.tb)
            value: T = result
            return value
        loop = _get_running_loop()
        if loop is None:
            # No loop: ensureDeferred's trampoline drives us, sends the result (or throws
            # the failure) back in, and resumes synchronously when we fire, as in Twisted.
            sent: T = yield self
            return sent
        # Inside a Task: wait on a plain asyncio Future, which the C Task handles on its
        # fast path (measured faster than yielding a Python object with the Future protocol).
        future = loop.create_future()
        args = (future,)
        entry = (_set_future, args, None, _set_future, args, None)
        self.callbacks.append(entry)
        if self.called:
            self._run_callbacks()
        if not future.done():
            future._asyncio_future_blocking = True
            try:
                yield future
            except asyncio.CancelledError:
                if not future.cancelled():
                    raise
                return self._cancelled_while_awaited(entry)  # type: ignore[no-any-return]
        result = future.result()
        if isinstance(result, Failure):
            raise result.value.with_traceback(result.tb)
        return result  # type: ignore[no-any-return]

    def _await_thrown(self, future: Any, entry: tuple[Any, ...], error: BaseException) -> Any:
        """Called by the C await when the waiting Task throws *error* into it."""
        if isinstance(error, asyncio.CancelledError) and future.cancelled():
            return self._cancelled_while_awaited(entry, error)
        raise error

    def _raise_failure(self, failure: Failure) -> None:
        """Called by the C await: raise the failure the awaited Deferred ended with."""
        raise failure.value.with_traceback(failure.tb)

    def _cancelled_while_awaited(
        self, entry: tuple[Any, ...], error: BaseException | None = None
    ) -> Any:
        """The awaiting Task was cancelled: cancel this Deferred and see what it says."""
        if error is None:
            error = sys.exc_info()[1]
        callbacks = self.callbacks
        for index, item in enumerate(callbacks):
            if item is entry:  # identity: never call user objects' __eq__
                del callbacks[index]
                self.cancel()
                break
        if self.called and not self.paused and not self.callbacks:
            result = self.result
            if type(result) not in _DEFERRED_TYPES:
                self.result = None
                if self._unhandled is not None:
                    self._unhandled.failure = None
                if isinstance(result, Failure):
                    if result.check(CancelledError):
                        raise error from result.value  # type: ignore[misc]
                    raise result.value.with_traceback(result.tb)
                return result
        raise error  # type: ignore[misc]

    if TYPE_CHECKING:

        def __await__(self) -> Generator[Any, Any, T]: ...

    elif not HAVE_SPEEDUPS:
        __await__ = _await_slow
    __iter__ = _await_slow

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
        if self.called and type(self.result) in _DEFERRED_TYPES:
            state = f" waiting on Deferred at 0x{id(self.result):x}"
        elif self.called:
            state = f" current result: {self.result!r}"
        else:
            state = ""
        return f"<{cname} at 0x{id(self):x}{state}>"

    __str__ = __repr__


_DEFERRED_TYPES.add(Deferred)
for _cls in (AlreadyCalledError, CancelledError, TimeoutError, Deferred):
    _cls.__module__ = "bridge.defer"


def _set_future(result: Any, future: asyncio.Future[Any]) -> Any:
    if future.done():
        # The awaiting Task was cancelled meanwhile: leave the result in the Deferred.
        return result
    future.set_result(result)
    return None


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
        raise TimeoutError(timeout, "Deferred")  # Twisted's args: code reads e.args[0]
    return value


def succeed(result: T) -> Deferred[T]:
    """Return a Deferred that has already fired with *result*.

    :param result: the value passed to the first callback.
    """
    if Deferred.debug:
        d: Deferred[T] = Deferred()
        d.callback(result)
        return d
    # Hot path (every `return succeed(x)`): fill the slots directly, skipping __init__
    # (with the speed-ups, DeferredBase.__new__ already set the fresh values).
    d = _new_deferred(Deferred)
    if not HAVE_SPEEDUPS:
        d.callbacks = []
        d.paused = 0
        d._canceller = None
        d._running = False
        d._unhandled = None
    d.called = True
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


def _install_speedups() -> None:
    """Hand the C base class what it needs, and let its methods replace the Python twins."""
    if not HAVE_SPEEDUPS:
        return
    import bridge._cdefer as _cdefer

    _cdefer._setup(
        Failure, _get_running_loop, _DEFERRED_TYPES, _CONTINUE, _Unhandled, _coroutine_misuse
    )
    # The C callback and chain runner take over; the Python ones above stay the reference
    # (and the pure-Python implementation). The C __init__ keeps the signature.
    del Deferred._run_callbacks
    del Deferred.callback
    del Deferred.__init__


_install_speedups()
