"""Run blocking code in threads and get the result as a Deferred (``twisted.internet.threads``).

Built on the reactor's thread pool (:meth:`AsyncioReactor.getThreadPool`) and on
``callFromThread`` (``loop.call_soon_threadsafe``) to hand results back to the loop thread.
"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from bridge._reactor.threads import ThreadPool, WorkerStop
from bridge.defer import Deferred, maybeDeferred
from bridge.failure import Failure

__all__ = [
    "ThreadPool",
    "WorkerStop",
    "blockingCallFromThread",
    "callMultipleInThread",
    "deferToThread",
    "deferToThreadPool",
]

T = TypeVar("T")


def _default_reactor() -> Any:
    from bridge import _runtime

    return _runtime.get_reactor()


def deferToThreadPool(
    reactor: Any, threadpool: Any, f: Callable[..., T], *args: object, **kwargs: object
) -> Deferred[T]:
    """Call ``f(*args, **kwargs)`` in a thread of *threadpool*; return a Deferred of its result.

    The Deferred fires in the reactor's thread, with the return value or the exception
    as a Failure.

    :param reactor: the reactor whose thread receives the result.
    :param threadpool: an object with ``callInThreadWithCallback`` (a :class:`ThreadPool`).
    """
    d: Deferred[T] = Deferred()

    def on_result(success: bool, result: Any) -> None:
        if success:
            reactor.callFromThread(d.callback, result)
        else:
            reactor.callFromThread(d.errback, result)

    threadpool.callInThreadWithCallback(on_result, f, *args, **kwargs)
    return d


def deferToThread(f: Callable[..., T], *args: object, **kwargs: object) -> Deferred[T]:
    """Call ``f(*args, **kwargs)`` in the default reactor's thread pool; return a Deferred."""
    reactor = _default_reactor()
    return deferToThreadPool(reactor, reactor.getThreadPool(), f, *args, **kwargs)


def _run_multiple(
    calls: list[tuple[Callable[..., object], tuple[Any, ...], dict[str, Any]]],
) -> None:
    for f, args, kwargs in calls:
        f(*args, **kwargs)


def callMultipleInThread(
    tupleList: Iterable[tuple[Callable[..., object], tuple[Any, ...], dict[str, Any]]],
) -> None:
    """Run each ``(f, args, kwargs)`` of *tupleList* in order, in one pool thread."""
    _default_reactor().callInThread(_run_multiple, list(tupleList))


def _in_loop_thread(reactor: Any) -> bool:
    try:
        return asyncio.get_running_loop() is reactor._loop
    except (RuntimeError, AttributeError):
        return False


def blockingCallFromThread(reactor: Any, f: Callable[..., Any], *a: object, **kw: object) -> Any:
    """Run ``f(*a, **kw)`` in the reactor thread, block until it has a result, return it.

    If *f* returns a Deferred (or a coroutine), wait for it to fire. Exceptions are
    re-raised in the calling thread.

    :raises RuntimeError: when called from the reactor's own thread, where it would block
        the loop forever.
    """
    if _in_loop_thread(reactor):
        raise RuntimeError(
            f"blockingCallFromThread({f!r}) called in the reactor thread: it would wait forever "
            "for the loop it blocks; call the function directly (or use maybeDeferred)"
        )
    results: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def in_reactor() -> None:
        maybeDeferred(f, *a, **kw).addBoth(results.put)

    reactor.callFromThread(in_reactor)
    result = results.get()
    if isinstance(result, Failure):
        result.raiseException()
    return result
