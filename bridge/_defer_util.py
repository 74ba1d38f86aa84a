"""Deferred combinators and concurrency primitives built on :class:`Deferred`.

Private module; import the public names from :mod:`bridge.defer`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from types import TracebackType
from typing import Any, Generic, ParamSpec, TypeVar

from bridge import log as _log
from bridge._defer_core import Deferred, fail, maybeDeferred, succeed
from bridge.failure import Failure, _hinted

__all__ = [
    "AlreadyTryingToLockError",
    "DeferredList",
    "DeferredLock",
    "DeferredQueue",
    "DeferredSemaphore",
    "FailureGroup",
    "FirstError",
    "QueueOverflow",
    "QueueUnderflow",
    "execute",
    "gatherResults",
    "passthru",
    "race",
]

T = TypeVar("T")
P = ParamSpec("P")


class FirstError(Exception):
    """The failure of a DeferredList with ``fireOnOneErrback`` (and of gatherResults).

    :ivar subFailure: the :class:`~bridge.failure.Failure` that occurred first.
    :ivar index: the position of the failed Deferred in the list.
    """

    def __init__(self, failure: Failure, index: int) -> None:
        super().__init__(failure, index)
        self.subFailure = failure
        self.index = index

    def __repr__(self) -> str:
        return f"FirstError[#{self.index}, {self.subFailure.value!r}]"

    def __str__(self) -> str:
        return f"FirstError[#{self.index}, {self.subFailure}]"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FirstError):
            return (self.index, self.subFailure.value) == (other.index, other.subFailure.value)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.index)


class FailureGroup(Exception):
    """The failure of :func:`race` when every Deferred failed; ``failures`` lists them."""

    def __init__(self, failures: Sequence[Failure]) -> None:
        # No exception arguments, as Twisted's: repr() is "FailureGroup()".
        super().__init__()
        self.failures = list(failures)


class AlreadyTryingToLockError(Exception):
    """Raised by Twisted's DeferredFilesystemLock; kept for API compatibility."""


class QueueOverflow(Exception):
    """Raised by :meth:`DeferredQueue.put` when the queue is full."""


class QueueUnderflow(Exception):
    """Raised by :meth:`DeferredQueue.get` when too many getters already wait."""


def passthru(arg: T) -> T:
    """Return *arg* unchanged (a do-nothing callback)."""
    return arg


def execute(callable: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Deferred[T]:
    """Call *callable* and return a fired Deferred with its result or its exception."""
    try:
        result = callable(*args, **kwargs)
    except BaseException:
        return fail(Failure())
    return succeed(result)


class DeferredList(Deferred[list[tuple[bool, Any]]]):
    """Fire when all (or, optionally, the first of) several Deferreds have fired.

    The result is a list of ``(success, result)`` pairs in the order of *deferredList*.

    :param fireOnOneCallback: fire with ``(result, index)`` on the first success.
    :param fireOnOneErrback: fail with :class:`FirstError` on the first failure.
    :param consumeErrors: stop failures from continuing down the member Deferreds' chains
        (so they are not reported as unhandled).

    Cancelling a DeferredList cancels every member that has no result yet.
    """

    __slots__ = (
        "_deferred_list",
        "consumeErrors",
        "finishedCount",
        "fireOnOneCallback",
        "fireOnOneErrback",
        "resultList",
    )

    def __init__(
        self,
        deferredList: Iterable[Deferred[Any]],
        fireOnOneCallback: bool = False,
        fireOnOneErrback: bool = False,
        consumeErrors: bool = False,
    ) -> None:
        self._deferred_list = list(deferredList)
        self.resultList: list[Any] = [None] * len(self._deferred_list)
        self.finishedCount = 0
        self.fireOnOneCallback = fireOnOneCallback
        self.fireOnOneErrback = fireOnOneErrback
        self.consumeErrors = consumeErrors
        super().__init__()
        if not self._deferred_list and not fireOnOneCallback:
            self.callback([])
        for index, deferred in enumerate(self._deferred_list):
            deferred.addCallbacks(
                self._cb_deferred,
                self._cb_deferred,
                callbackArgs=(index, True),
                errbackArgs=(index, False),
            )

    def _cb_deferred(self, result: Any, index: int, succeeded: bool) -> Any:
        self.resultList[index] = (succeeded, result)
        self.finishedCount += 1
        if not self.called:
            if succeeded and self.fireOnOneCallback:
                self.callback((result, index))  # type: ignore[arg-type]
            elif not succeeded and self.fireOnOneErrback:
                self.errback(Failure(FirstError(result, index)))
            elif self.finishedCount == len(self.resultList):
                self.callback(self.resultList)
        if not succeeded and self.consumeErrors:
            return None
        return result

    def cancel(self) -> None:
        """Cancel every member Deferred that has not fired yet."""
        if self.called:
            return
        for deferred in self._deferred_list:
            try:
                deferred.cancel()
            except Exception:
                _log.err(None, "Exception raised from user supplied canceller")


def gatherResults(
    deferredList: Iterable[Deferred[T]], consumeErrors: bool = False
) -> Deferred[list[T]]:
    """Return a Deferred of the list of results, failing with :class:`FirstError` early.

    Cancelling it cancels every member that has not fired yet.
    """
    d = DeferredList(deferredList, fireOnOneErrback=True, consumeErrors=consumeErrors)
    return d.addCallback(lambda results: [value for _, value in results])


def race(ds: Sequence[Deferred[T]]) -> Deferred[tuple[int, T]]:
    """Return a Deferred of ``(index, result)`` for the first of *ds* to succeed.

    The others are cancelled at that point. If all fail, it fails with
    :class:`FailureGroup`.
    """
    ds = list(ds)
    failures: list[Failure | None] = [None] * len(ds)
    remaining = [len(ds)]

    def cancel(_: Deferred[Any]) -> None:
        for d in ds:
            d.cancel()

    winner: Deferred[tuple[int, T]] = Deferred(cancel)

    won = [False]

    def succeeded(result: T, index: int) -> None:
        remaining[0] -= 1
        if won[0]:
            return None
        won[0] = True
        # As Twisted: the losers are cancelled before the winner's result is passed on.
        for other in ds:
            if other is not ds[index]:
                other.cancel()
        winner.callback((index, result))
        return None

    def failed(failure: Failure, index: int) -> None:
        remaining[0] -= 1
        failures[index] = failure
        if not remaining[0] and not won[0]:
            winner.errback(FailureGroup([f for f in failures if f is not None]))
        return None

    if not ds:
        winner.errback(FailureGroup([]))
    for index, d in enumerate(ds):
        d.addCallbacks(succeeded, failed, callbackArgs=(index,), errbackArgs=(index,))
    return winner


class _ConcurrencyPrimitive:
    _waiting: deque[Deferred[Any]]

    @property
    def waiting(self) -> deque[Deferred[Any]]:
        """The Deferreds of pending :meth:`acquire` calls, oldest first (Twisted's ``waiting``)."""
        return self._waiting

    def _release_and_return(self, result: T) -> T:
        self.release()
        return result

    def acquire(self) -> Deferred[Any]:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError

    def _cancel_acquire(self, d: Deferred[Any]) -> None:
        self._waiting.remove(d)

    def run(self, f: Callable[P, Any], *args: P.args, **kwargs: P.kwargs) -> Deferred[Any]:
        """Acquire, call *f* (through maybeDeferred), and release when its Deferred fires."""

        def execute(_: object) -> Deferred[Any]:
            d = maybeDeferred(f, *args, **kwargs)
            d.addBoth(self._release_and_return)
            return d

        return self.acquire().addCallback(execute)

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


class DeferredLock(_ConcurrencyPrimitive):
    """A lock for Deferred-based code: :meth:`acquire` returns a Deferred.

    Usable as ``async with lock:`` in coroutines.
    """

    def __init__(self) -> None:
        self.locked = False
        self._waiting = deque()

    def acquire(self) -> Deferred[DeferredLock]:
        """Return a Deferred that fires with this lock once it is held.

        Cancelling the Deferred before it fires gives up the place in the queue.
        """
        d: Deferred[DeferredLock] = Deferred(self._cancel_acquire)
        if self.locked:
            self._waiting.append(d)
        else:
            self.locked = True
            d.callback(self)
        return d

    def release(self) -> None:
        """Release the lock, handing it to the next waiter if any."""
        if not self.locked:
            # AssertionError: the class Twisted's DeferredLock raises here.
            raise _hinted(
                AssertionError("Tried to release an unlocked lock"),
                f"release() of unlocked {self!r}: acquire it first",
            )
        if self._waiting:
            self._waiting.popleft().callback(self)
        else:
            self.locked = False

    def __repr__(self) -> str:
        state = "locked" if self.locked else "unlocked"
        return f"<DeferredLock {state}, {len(self._waiting)} waiting>"


class DeferredSemaphore(_ConcurrencyPrimitive):
    """A semaphore for Deferred-based code, with *tokens* concurrent holders.

    :param tokens: the maximum number of concurrent holders (at least 1).
    """

    def __init__(self, tokens: int) -> None:
        if tokens < 1:
            raise ValueError("DeferredSemaphore requires tokens >= 1")
        self.tokens = tokens
        self.limit = tokens
        self._waiting = deque()

    def acquire(self) -> Deferred[DeferredSemaphore]:
        """Return a Deferred that fires with this semaphore once a token is held."""
        d: Deferred[DeferredSemaphore] = Deferred(self._cancel_acquire)
        if self.tokens:
            self.tokens -= 1
            d.callback(self)
        else:
            self._waiting.append(d)
        return d

    def release(self) -> None:
        """Give a token back, handing it to the next waiter if any."""
        if self.tokens >= self.limit:
            # AssertionError: the class Twisted's DeferredSemaphore raises here.
            raise _hinted(
                AssertionError("Someone released me too many times: too many tokens!"),
                f"release() of {self!r} beyond its limit of {self.limit}",
            )
        self.tokens += 1
        if self._waiting:
            self.tokens -= 1
            self._waiting.popleft().callback(self)

    def __repr__(self) -> str:
        return f"<DeferredSemaphore {self.tokens}/{self.limit} free, {len(self._waiting)} waiting>"


class DeferredQueue(Generic[T]):
    """A queue whose :meth:`get` returns a Deferred.

    :param size: the maximum number of queued objects (``None``: unbounded).
    :param backlog: the maximum number of waiting getters (``None``: unbounded).
    """

    def __init__(self, size: int | None = None, backlog: int | None = None) -> None:
        self.size = size
        self.backlog = backlog
        self.waiting: list[Deferred[T]] = []
        self.pending: list[T] = []

    def _cancel_get(self, d: Deferred[T]) -> None:
        self.waiting.remove(d)

    def put(self, obj: T) -> None:
        """Give *obj* to the oldest waiting getter, or queue it.

        :raises QueueOverflow: when *size* objects are already queued.
        """
        if self.waiting:
            self.waiting.pop(0).callback(obj)
        elif self.size is None or len(self.pending) < self.size:
            self.pending.append(obj)
        else:
            raise _hinted(QueueOverflow(), f"put() on a full DeferredQueue (size {self.size})")

    def get(self) -> Deferred[T]:
        """Return a Deferred of the next object; cancelling it leaves the queue.

        :raises QueueUnderflow: when *backlog* getters are already waiting.
        """
        if self.pending:
            return succeed(self.pending.pop(0))
        if self.backlog is None or len(self.waiting) < self.backlog:
            d: Deferred[T] = Deferred(self._cancel_get)
            self.waiting.append(d)
            return d
        raise _hinted(
            QueueUnderflow(), f"get() on a DeferredQueue with {self.backlog} getters waiting"
        )


class DeferredFilesystemLock:
    """A filesystem lock (Twisted's ``FilesystemLock`` convention) you can wait for.

    The lock is a symbolic link at *name* whose target is the owner's process id, so bridge
    and Twisted processes see each other's locks; a lock left by a dead process is stale
    and is taken over (:attr:`clean` is then False).

    :ivar name: the lock's path.
    :ivar locked: True while this object holds the lock.
    :ivar clean: False if taking the lock had to remove a stale one.
    """

    _interval: float = 1

    def __init__(self, name: str, scheduler: Any = None) -> None:
        # The PID-lock code lives with the UNIX sockets that need it; import it lazily
        # (layering: defer sits below _reactor).
        from bridge._reactor._lockfile import PIDLock

        self.name = name
        self._lock = PIDLock(name)
        self._scheduler = scheduler
        self._trying: Deferred[None] | None = None
        self._cancel_pending: list[Any] = []

    @property
    def locked(self) -> bool:
        """True while this object holds the lock."""
        return self._lock.locked

    @property
    def clean(self) -> bool:
        """False if taking the lock had to remove a stale lock left by a dead process."""
        return self._lock.clean

    def lock(self) -> bool:
        """Take the lock now; return False if a live process (this one too) holds it."""
        return self._lock.lock()

    def unlock(self) -> None:
        """Release the lock.

        :raises ValueError: if this object does not hold it.
        """
        if not self._lock.locked:
            raise ValueError(f"unlock() on {self.name!r}: this lock is not held by this object")
        self._lock.unlock()

    def deferUntilLocked(self, timeout: float | None = None) -> Deferred[None]:
        """Return a Deferred that fires once the lock is taken, trying every second.

        :param timeout: give up after this many seconds: the Deferred fails with
            :class:`~bridge.defer.TimeoutError`.
        :raises AlreadyTryingToLockError: (as a failed Deferred) if a previous call is
            still waiting.
        """
        if self._trying is not None:
            return fail(
                AlreadyTryingToLockError(
                    f"deferUntilLocked() on {self.name!r}: already waiting for this lock"
                )
            )
        scheduler = self._scheduler
        if scheduler is None:
            from bridge import _runtime

            scheduler = _runtime.get_reactor()
        d: Deferred[None] = Deferred(lambda _: self._give_up(None))
        self._trying = d
        started = scheduler.seconds()
        pending = self._cancel_pending

        def attempt() -> None:
            pending.clear()
            if self._trying is not d:
                return
            if self.lock():
                self._trying = None
                d.callback(None)
            elif timeout is not None and scheduler.seconds() - started >= timeout:
                self._trying = None
                from bridge._defer_core import TimeoutError as DeferredTimeoutError

                d.errback(DeferredTimeoutError(f"Timed out acquiring lock {self.name!r}"))
            else:
                pending.append(scheduler.callLater(self._interval, attempt))

        attempt()
        return d

    def _give_up(self, _: object) -> None:
        self._trying = None
        for call in self._cancel_pending:
            if call.active():
                call.cancel()
        self._cancel_pending.clear()


# Public as bridge.defer's: tracebacks and reprs name the module programs import them from.
for _cls in (
    AlreadyTryingToLockError,
    DeferredFilesystemLock,
    DeferredList,
    DeferredLock,
    DeferredQueue,
    DeferredSemaphore,
    FailureGroup,
    FirstError,
    QueueOverflow,
    QueueUnderflow,
):
    _cls.__module__ = "bridge.defer"
