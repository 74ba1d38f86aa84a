"""Drive coroutines and generators as Deferreds; adapt asyncio Futures both ways.

Private module; the public names are re-exported by :mod:`bridge.defer` and
:mod:`bridge.aio`.

How a coroutine given to ``ensureDeferred`` runs:

* With a running asyncio loop on Python 3.12+, it becomes an eagerly started
  :class:`asyncio.Task`: the first step runs inside ``ensureDeferred``, so a coroutine
  whose awaits are all satisfied returns a fired Deferred, and everything asyncio offers
  (``current_task()``, ``asyncio.timeout``, sleeping, awaiting Futures) works.
* With a running loop on 3.10/3.11 (no eager start), bridge creates the Task, makes it
  the current task, and takes the first step itself; the Task (same context) takes over
  at the first await that has to wait.
* Without a running loop it is driven like Twisted does: awaiting a Deferred resumes the
  coroutine synchronously when the Deferred fires. If it awaits an asyncio Future, it is
  handed to a Task on that Future's loop.

In every case the Deferred fires from inside the coroutine's last step (no extra loop
turn), and cancelling it cancels what the coroutine waits on and fails it at once with
:class:`~bridge.defer.CancelledError`.
"""

from __future__ import annotations

import asyncio
import functools
import sys
import types
from asyncio import events as _events
from collections.abc import Callable, Coroutine, Generator
from contextvars import Context, copy_context
from typing import Any, NoReturn, ParamSpec, TypeVar

from bridge import log as _log
from bridge._defer_core import (
    _CONTINUE,
    _DEFERRED_TYPES,
    _NO_RESULT,
    CancelledError,
    Deferred,
)
from bridge.failure import Failure

__all__ = [
    "NotACoroutineError",
    "as_future",
    "ensureDeferred",
    "from_coroutine",
    "from_future",
    "inlineCallbacks",
    "returnValue",
]

T = TypeVar("T")
P = ParamSpec("P")

_get_running_loop = _events._get_running_loop
_current_task = asyncio.current_task
_enter_task = asyncio.tasks._enter_task
_leave_task = asyncio.tasks._leave_task
_EAGER = sys.version_info >= (3, 12)
_CONTEXT_KW = sys.version_info >= (3, 11)


class NotACoroutineError(TypeError):
    """Raised by ensureDeferred/fromCoroutine when given something that is not a coroutine."""


NotACoroutineError.__module__ = "bridge.defer"  # its public home, as tracebacks show it


class _DefGen_Return(BaseException):
    def __init__(self, value: object) -> None:
        self.value = value


def returnValue(val: object) -> NoReturn:
    """Return *val* from an :func:`inlineCallbacks` generator (a plain ``return`` works too)."""
    raise _DefGen_Return(val)


def _is_cancellation(failure: Failure) -> bool:
    return failure.check(CancelledError, asyncio.CancelledError) is not None


# -- asyncio Future -> Deferred ----------------------------------------------------------


def from_future(future: asyncio.Future[T]) -> Deferred[T]:
    """Return a Deferred that fires with *future*'s outcome (see ``Deferred.fromFuture``)."""

    def cancel(d: Deferred[T]) -> None:
        future.cancel()

    d: Deferred[T] = Deferred(cancel)

    def adapt(f: asyncio.Future[T]) -> None:
        if f.cancelled():
            if not d.called:
                d.errback(Failure(CancelledError()))
            return
        exc = f.exception()  # also marks it retrieved
        if d.called:
            if exc is not None and not isinstance(exc, asyncio.CancelledError):
                _log.err(exc, f"{f!r} failed after its Deferred was cancelled")
            return
        if exc is not None:
            d.errback(Failure(exc))
        else:
            d.callback(f.result())

    if future.done():
        adapt(future)
    else:
        future.add_done_callback(adapt)
    return d


# -- Deferred -> asyncio Future ----------------------------------------------------------


def _default_loop() -> asyncio.AbstractEventLoop:
    loop = _get_running_loop()
    if loop is not None:
        return loop
    from bridge import _runtime

    loop_: asyncio.AbstractEventLoop = _runtime.get_reactor()._loop
    return loop_


def as_future(d: Deferred[T], loop: asyncio.AbstractEventLoop | None) -> asyncio.Future[T]:
    """Return a Future on *loop* with *d*'s outcome (see ``Deferred.asFuture``)."""
    if loop is None:
        loop = _default_loop()
    future: asyncio.Future[T] = loop.create_future()

    def adapt(result: Any) -> None:
        if future.done():
            return None
        if isinstance(result, Failure):
            if _is_cancellation(result):
                future.cancel()
            else:
                future.set_exception(result.value)
        else:
            future.set_result(result)
        return None

    def on_future_done(f: asyncio.Future[T]) -> None:
        if f.cancelled():
            d.cancel()

    d.addBoth(adapt)
    future.add_done_callback(on_future_done)
    return future


# -- coroutines --------------------------------------------------------------------------


class _CoroutineRun:
    """The state of one coroutine run by ensureDeferred."""

    __slots__ = (
        "_entry",
        "_send",
        "context",
        "coro",
        "deferred",
        "finished",
        "pending",
        "started",
        "task",
    )

    def __init__(self, coro: Coroutine[Any, Any, Any], context: Context) -> None:
        self.coro = coro
        self.context = context
        self.deferred: Deferred[Any] = Deferred(self._cancel)
        self.pending: Any = None  # what the coroutine waits on while we drive it
        self.task: asyncio.Task[Any] | None = None
        self.started = False  # whether the Task has taken its first step
        self.finished = False  # whether the coroutine has returned or raised
        # Allocated once, reused for every await (the hot path of the trampoline).
        self._send = coro.send
        got = self._got_result
        self._entry = (got, (), None, got, (), None)

    def _cancel(self, d: Deferred[Any]) -> None:
        task = self.task
        if task is not None:
            task.cancel()
            if not self.started:
                # The Task will throw into the coroutine, but what it awaits must see it too.
                _cancel_awaitable(self.pending)
        else:
            pending = self.pending
            self.pending = None
            # Driven like Twisted, the coroutine sees bridge's CancelledError.
            _cancel_awaitable(pending)

    def finish(self, result: Any, failure: Failure | None) -> None:
        self.finished = True
        d = self.deferred
        if d.called:
            if failure is not None and not _is_cancellation(failure):
                _log.err(failure, f"{self.coro!r} failed after its Deferred was cancelled")
            return
        if failure is not None:
            d.errback(failure)
        else:
            _fire_with(d, result)

    def step(
        self, value: Any, exc: BaseException | None, loop: asyncio.AbstractEventLoop | None
    ) -> None:
        """Run the coroutine until it has to wait; Twisted's trampoline plus a Task hand-off.

        :param value: sent into the coroutine (a Failure is thrown into it instead).
        :param exc: thrown into the coroutine, when not ``None``.
        :param loop: the running loop; ``None`` drives Deferred awaits synchronously.
        """
        coro = self.coro
        context = self.context
        deferred_types = _DEFERRED_TYPES
        while True:
            try:
                if exc is not None:
                    yielded = context.run(coro.throw, exc)
                    exc = None
                elif isinstance(value, Failure):
                    yielded = context.run(coro.throw, value.value.with_traceback(value.tb))
                else:
                    yielded = context.run(self._send, value)
            except StopIteration as stop:
                self.finish(stop.value, None)
                return
            except BaseException:
                self.finish(None, Failure())
                return
            value = None
            if type(yielded) in deferred_types:
                # Deferred.__await__ yields the Deferred itself when no loop is running.
                if yielded.called and not yielded.paused and not yielded.callbacks:
                    value = yielded.result
                    if type(value) not in deferred_types:
                        yielded.result = None
                        if yielded._unhandled is not None:
                            yielded._unhandled.failure = None
                        continue
                self.pending = _NO_RESULT
                yielded.callbacks.append(self._entry)  # addBoth(self._got_result)
                if yielded.called:
                    yielded._run_callbacks()
                if self.pending is not _NO_RESULT:
                    value = self.pending
                    self.pending = None
                    continue
                # Resume synchronously when the Deferred fires, as Twisted does.
                self.pending = yielded
                return
            if loop is None and yielded is not None:
                get_loop = getattr(yielded, "get_loop", None)
                if get_loop is None:
                    exc = RuntimeError(
                        f"ensureDeferred() coroutine {coro!r} yielded {yielded!r}; "
                        "await Deferreds, asyncio Futures or coroutines only"
                    )
                    continue
                loop = get_loop()
            if loop is None:
                loop = _fallback_loop()
                if loop is None:
                    exc = RuntimeError(
                        f"ensureDeferred() coroutine {coro!r} waited on asyncio "
                        "(e.g. asyncio.sleep) without a running loop or installed reactor; "
                        "run it inside the reactor or an asyncio loop"
                    )
                    continue
            self.pending = yielded
            if self.task is None:
                self._hand_to_task(loop)
            return

    def _got_result(self, result: Any) -> None:
        if self.pending is _NO_RESULT:
            self.pending = result  # fired while we attached: step() picks it up
        else:
            self.pending = None
            self.step(result, None, None)

    def _hand_to_task(self, loop: asyncio.AbstractEventLoop) -> asyncio.Task[None]:
        """Create the Task that drives the coroutine from ``self.pending`` on."""
        runner = _run_in_task(self, _continue(self))
        # Prime it: the Task's first step then starts inside _continue, so a cancellation
        # before that step still reaches the user's coroutine.
        runner.send(None)
        if _CONTEXT_KW:
            task = loop.create_task(runner, context=self.context)  # type: ignore[call-arg]
        else:
            task = self.context.run(loop.create_task, runner)
        self.task = task
        return task


_PRIMING = object()


@types.coroutine
def _continue(run: _CoroutineRun) -> Generator[Any, Any, Any]:
    """Yield what the coroutine is waiting on to the Task, then delegate to the coroutine."""
    coro = run.coro
    exc: BaseException | None = None
    try:
        yield _PRIMING
    except BaseException as e:
        exc = e
    run.started = True
    if run.finished:
        return None  # it finished during the synchronous first step
    yielded = run.pending
    run.pending = None
    send: Callable[[Any], Any] = coro.send
    throw: Callable[[BaseException], Any] = coro.throw
    if not _CONTEXT_KW:
        # Python 3.10's Task runs in its own copy of the context: step in ours.
        context = run.context
        send = functools.partial(context.run, coro.send)  # type: ignore[call-arg]
        throw = functools.partial(context.run, coro.throw)  # type: ignore[arg-type]
    while True:
        if exc is None:
            try:
                value = yield yielded
            except BaseException as e:
                exc = e
            else:
                try:
                    yielded = send(value)
                except StopIteration as stop:
                    return stop.value
                continue
        try:
            err, exc = exc, None
            yielded = throw(err)
        except StopIteration as stop:
            return stop.value


async def _run_in_task(run: _CoroutineRun, awaitable: Any) -> None:
    try:
        result = await awaitable
    except asyncio.CancelledError:
        run.finish(None, Failure(CancelledError()))
        raise
    except BaseException:
        run.finish(None, Failure())
    else:
        run.finish(result, None)


def _fire_with(d: Deferred[Any], result: Any) -> None:
    """Fire *d* with a coroutine's or generator's return value."""
    if type(result) in _DEFERRED_TYPES:
        # Returning a Deferred is refused like callback(aDeferred), but as a failure of
        # *d*, not an exception raised into whoever resumed the coroutine.
        d.errback(
            TypeError(
                f"a coroutine or inlineCallbacks generator returned a Deferred ({result!r}) "
                "instead of awaiting it: write `return await d` (or `return (yield d)`)"
            )
        )
    else:
        d.callback(result)


def _cancel_awaitable(pending: Any) -> None:
    if pending is None:
        return
    cancel = getattr(pending, "cancel", None)
    if cancel is not None:
        cancel()


def _fallback_loop() -> asyncio.AbstractEventLoop | None:
    try:
        from bridge import _runtime
    except ImportError:  # pragma: no cover - the reactor layer is always shipped
        return None
    if not _runtime.is_installed():
        return None
    loop: asyncio.AbstractEventLoop = _runtime.get_reactor()._loop
    return loop


def _check_coroutine(coro: object) -> None:
    if not isinstance(coro, (Coroutine, types.GeneratorType)):
        hint = ""
        if callable(coro):
            hint = "; call the function first: ensureDeferred(f()) not ensureDeferred(f)"
        raise NotACoroutineError(f"{coro!r} is not a coroutine or a Deferred{hint}")


def from_coroutine(coro: Coroutine[Any, Any, T]) -> Deferred[T]:
    """Run *coro* and return a Deferred of its result (see ``ensureDeferred``)."""
    if type(coro) is not types.CoroutineType:
        _check_coroutine(coro)
    loop = _get_running_loop()
    context = copy_context()
    if loop is not None and _EAGER:
        return _eager_task(coro, loop, context)
    run = _CoroutineRun(coro, context)
    if loop is None:
        run.step(None, None, None)
        return run.deferred
    # Python 3.10/3.11: no eager tasks. Create the Task now and make it the current task
    # while we take the first step ourselves, so current_task() and asyncio.timeout() see
    # the coroutine's own Task; it takes over at the first await that has to wait.
    task = run._hand_to_task(loop)
    previous = _current_task(loop)
    if previous is not None:
        _leave_task(loop, previous)
    _enter_task(loop, task)
    try:
        run.step(None, None, loop)
    finally:
        _leave_task(loop, task)
        if previous is not None:
            _enter_task(loop, previous)
    if run.finished:
        # Its one remaining step is a no-op; don't warn if the loop closes before it.
        task._log_destroy_pending = False  # type: ignore[attr-defined]
    return run.deferred


def _eager_task(
    coro: Coroutine[Any, Any, T], loop: asyncio.AbstractEventLoop, context: Context
) -> Deferred[T]:
    run = _CoroutineRun(coro, context)
    run.started = True
    run.task = asyncio.Task(  # type: ignore[call-arg]
        _run_in_task(run, coro), loop=loop, context=context, eager_start=True
    )
    return run.deferred


def ensureDeferred(coro: object) -> Deferred[Any]:
    """Return *coro* as a Deferred: a Deferred as is, a coroutine run to completion.

    :raises NotACoroutineError: for anything else.
    """
    if type(coro) in _DEFERRED_TYPES:
        return coro  # type: ignore[return-value]
    return from_coroutine(coro)  # type: ignore[arg-type]


# -- inlineCallbacks ---------------------------------------------------------------------


class _InlineRun:
    """The state of one inlineCallbacks generator."""

    __slots__ = (
        "_entry",
        "_send",
        "context",
        "deferred",
        "gen",
        "sync_result",
        "waiting",
        "waiting_on",
    )

    def __init__(self, gen: Generator[Any, Any, Any], context: Context) -> None:
        self.gen = gen
        self.context = context
        self.deferred: Deferred[Any] = Deferred(self._cancel)
        self.waiting_on: Deferred[Any] | None = None
        self.waiting = False
        self.sync_result: Any = _NO_RESULT
        self._send = gen.send
        got = self.got_result
        self._entry = (got, (), None, got, (), None)

    def _cancel(self, d: Deferred[Any]) -> None:
        waiting_on = self.waiting_on
        if waiting_on is None:
            return
        waiting_on.cancel()
        if not d.called:
            # The generator caught the cancellation and waits on something else. As in
            # Twisted, the Deferred now waits on a fresh one that gets the generator's
            # outcome (and can itself be cancelled again).
            inner: Deferred[Any] = Deferred(self._cancel)
            self.deferred = inner
            d.called = True
            d._canceller = None
            d.result = inner
            d.paused += 1
            inner.callbacks.append((_CONTINUE, d, None, _CONTINUE, d, None))

    def got_result(self, result: Any) -> None:
        if self.waiting:
            self.waiting = False
            self.waiting_on = None
            self.step(result)
        else:
            self.sync_result = result

    def step(self, value: Any) -> None:
        gen = self.gen
        context = self.context
        deferred_types = _DEFERRED_TYPES
        while True:
            try:
                if isinstance(value, Failure):
                    yielded = context.run(value.throwExceptionIntoGenerator, gen)
                else:
                    yielded = context.run(self._send, value)
            except StopIteration as stop:
                self._finish(stop.value, None)
                return
            except _DefGen_Return as ret:
                self._finish(ret.value, None)
                return
            except BaseException:
                self._finish(None, Failure())
                return
            if type(yielded) not in deferred_types:
                if type(yielded) is types.CoroutineType or isinstance(yielded, asyncio.Future):
                    yielded = _to_deferred(yielded)
                else:
                    value = yielded
                    continue
            if yielded.called and not yielded.paused and not yielded.callbacks:
                result = yielded.result
                if type(result) not in deferred_types:
                    # Already fired: take the result over without touching the chain.
                    yielded.result = None
                    if yielded._unhandled is not None:
                        yielded._unhandled.failure = None
                    value = result
                    continue
            self.sync_result = _NO_RESULT
            yielded.callbacks.append(self._entry)  # addBoth(self.got_result)
            if yielded.called:
                yielded._run_callbacks()
            if self.sync_result is not _NO_RESULT:
                value = self.sync_result
                self.sync_result = _NO_RESULT
                continue
            self.waiting = True
            self.waiting_on = yielded
            return

    def _finish(self, result: Any, failure: Failure | None) -> None:
        d = self.deferred
        if d.called:
            if failure is not None and not _is_cancellation(failure):
                _log.err(failure, "inlineCallbacks generator failed after cancellation")
            return
        if failure is not None:
            d.errback(failure)
        else:
            _fire_with(d, result)


def _to_deferred(awaitable: Any) -> Deferred[Any]:
    if isinstance(awaitable, asyncio.Future):
        return from_future(awaitable)
    return from_coroutine(awaitable)


def inlineCallbacks(
    f: Callable[P, Generator[Any, Any, T]],
) -> Callable[P, Deferred[T]]:
    """Decorate a generator function so it returns a Deferred and may ``yield`` Deferreds.

    Each ``yield d`` suspends the generator until *d* fires and gives back its result (or
    raises its failure). The generator's ``return`` value (or :func:`returnValue`) fires
    the returned Deferred. Cancelling that Deferred cancels the Deferred being waited on.
    """

    @functools.wraps(f)
    def unwind(*args: P.args, **kwargs: P.kwargs) -> Deferred[T]:
        try:
            gen = f(*args, **kwargs)
        except _DefGen_Return:
            raise TypeError(
                f"inlineCallbacks requires {f!r} to produce a generator; it called "
                "returnValue() before yielding (use a plain return)"
            ) from None
        if not isinstance(gen, types.GeneratorType):
            raise TypeError(
                f"inlineCallbacks requires {f!r} to produce a generator; instead it "
                f"returned {gen!r}"
            )
        run = _InlineRun(gen, copy_context())
        run.step(None)
        return run.deferred

    return unwind
