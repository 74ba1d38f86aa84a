"""Threads for the reactor: ``callFromThread`` and the lazily started thread pool.

``callFromThread`` is ``loop.call_soon_threadsafe``: it wakes the loop at once (self-pipe on
the stdlib loop, ``uv_async_send`` on uvloop), keeps FIFO order per calling thread, and runs
the call in the caller's :mod:`contextvars` context. :class:`ThreadPool` mirrors Twisted's
``twisted.python.threadpool.ThreadPool`` on plain :mod:`threading` workers.
"""

from __future__ import annotations

import contextvars
import threading
from asyncio import AbstractEventLoop
from collections import deque
from collections.abc import Callable

from bridge._reactor._log import log_error
from bridge.failure import _hinted

__all__ = ["FromThreads", "ThreadPool", "WorkerStop"]

#: Twisted's sentinel that tells a worker thread to exit (``twisted.python.threadpool``).
WorkerStop = object()


class FromThreads:
    """The queue behind ``callFromThread``: calls from any thread, run in the loop's thread.

    A call is appended to a deque (atomic under the GIL) with the caller's context; only the
    first call after a drain wakes the loop (``call_soon_threadsafe``), so a burst of calls
    costs one wake-up (one self-pipe write on the stdlib loop) instead of one each. Calls
    from one thread keep their order.
    """

    __slots__ = ("_loop", "queue", "wake_pending")

    def __init__(self, loop: AbstractEventLoop) -> None:
        self._loop = loop
        self.queue: deque[tuple[contextvars.Context, Callable[..., object], tuple[object, ...]]]
        self.queue = deque()
        self.wake_pending = False

    def wake(self) -> None:
        """Schedule a drain of the queue in the loop's thread (from any thread)."""
        self.wake_pending = True
        try:
            self._loop.call_soon_threadsafe(self._drain)
        except RuntimeError:
            # The loop is closed: like Twisted after the reactor stopped, calls never run.
            if not self._loop.is_closed():
                raise

    def _drain(self) -> None:
        # Clear the flag before looking at the queue: a call appended from now on either
        # is seen below or wakes the loop again itself.
        self.wake_pending = False
        queue = self.queue
        popleft = queue.popleft
        try:
            # Only the calls present now: later ones wait for the next loop iteration.
            for _ in range(len(queue)):
                ctx, f, args = popleft()
                try:
                    ctx.run(f, *args)
                except Exception:
                    log_error(f"Unhandled error in callFromThread({f!r})")
        finally:
            if queue and not self.wake_pending:
                self.wake_pending = True
                self._loop.call_soon(self._drain)


_STOP = WorkerStop


class _Backlog:
    """A read-only view of a pool's pending work, with ``Queue.qsize()``."""

    __slots__ = ("_pool",)

    def __init__(self, pool: ThreadPool) -> None:
        self._pool = pool

    def qsize(self) -> int:
        """Return how many calls wait for a worker."""
        with self._pool._lock:
            return sum(1 for item in self._pool._work if item is not _STOP)


def _check_bounds(minthreads: int, maxthreads: int) -> None:
    # Twisted's exceptions and texts (AssertionError), bridge's explanation as a note.
    hint = f"thread pool bounds ({minthreads}, {maxthreads}): need 0 <= minthreads <= maxthreads"
    if minthreads < 0:
        raise _hinted(AssertionError("minimum is negative"), hint)
    if minthreads > maxthreads:
        raise _hinted(AssertionError("minimum is greater than maximum"), hint)


class ThreadPool:
    """A pool of worker threads, started on demand between *minthreads* and *maxthreads*.

    :ivar min: the number of threads kept once started.
    :ivar max: the most threads ever running at once.
    :ivar name: the prefix of worker thread names.
    :ivar started: True between :meth:`start` and :meth:`stop`.
    :ivar joined: True once :meth:`stop` has joined every worker.
    """

    #: The class used to make worker threads (Twisted's hook; called like ``threading.Thread``).
    threadFactory = threading.Thread
    #: Return the calling thread (Twisted's spelling of ``threading.current_thread``).
    currentThread = staticmethod(threading.current_thread)

    def __init__(self, minthreads: int = 5, maxthreads: int = 20, name: str | None = None) -> None:
        """Make a pool of at least *minthreads* and at most *maxthreads* workers (not started)."""
        _check_bounds(minthreads, maxthreads)
        self.min = minthreads
        self.max = maxthreads
        self.name = name
        self.started = False
        self.joined = False
        self._lock = threading.Lock()
        self._work: deque[object] = deque()
        self._wakeup = threading.Condition(self._lock)
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._busy = 0

    @property
    def threads(self) -> list[threading.Thread]:
        """The worker threads currently alive."""
        return list(self._threads)

    # -- Twisted's introspection helpers (legacy there, kept for code that reads them) --------

    @property
    def workers(self) -> int:
        """The number of worker threads (idle and busy)."""
        return len(self._threads)

    @property
    def working(self) -> list[None]:
        """One ``None`` per busy worker (Twisted's legacy shape)."""
        return [None] * self._busy

    @property
    def waiters(self) -> list[None]:
        """One ``None`` per idle worker (Twisted's legacy shape)."""
        return [None] * self._idle

    @property
    def q(self) -> _Backlog:
        """The queue of work not started yet: ``q.qsize()`` is its length."""
        return _Backlog(self)

    def startAWorker(self) -> None:
        """Start one more worker thread now (within *max* or not, as in Twisted)."""
        with self._lock:
            self._spawn()

    def stopAWorker(self) -> None:
        """Make one worker thread exit once it is idle."""
        with self._lock:
            if self._threads:
                self._work.appendleft(_STOP)
                self._wakeup.notify()

    def dumpStats(self) -> None:
        """Log the idle workers, the busy workers and all threads (``bridge.log.msg``)."""
        from bridge import log

        log.msg(f"waiters: {self.waiters}")
        log.msg(f"workers: {self.working}")
        log.msg(f"total: {self.threads}")

    def start(self) -> None:
        """Start the pool; *min* workers start now, more as work arrives."""
        with self._lock:
            self.joined = False
            self.started = True
            wanted = max(self.min, min(self.max, len(self._work)))
            for _ in range(wanted - len(self._threads)):
                self._spawn()

    def _spawn(self) -> None:
        # Called with the lock held.
        index = len(self._threads) + 1
        name = f"{self.name or 'bridge.threadpool'}-{index}"
        thread = self.threadFactory(target=self._worker, name=name)
        thread.daemon = True
        self._threads.append(thread)
        thread.start()

    def callInThread(self, func: Callable[..., object], *args: object, **kw: object) -> None:
        """Run ``func(*args, **kw)`` in a worker thread."""
        self.callInThreadWithCallback(None, func, *args, **kw)

    def callInThreadWithCallback(
        self,
        onResult: Callable[[bool, object], object] | None,
        func: Callable[..., object],
        *args: object,
        **kw: object,
    ) -> None:
        """Run ``func(*args, **kw)`` in a worker, then ``onResult(success, result)`` there.

        *result* is the return value, or a Failure when *success* is False.
        """
        if self.joined:
            return  # as Twisted's: work given to a stopped pool is dropped
        ctx = contextvars.copy_context()
        with self._lock:
            self._work.append((ctx, onResult, func, args, kw))
            if self.started:
                if self._idle:
                    self._wakeup.notify()
                elif len(self._threads) < self.max:
                    self._spawn()

    def _worker(self) -> None:
        current = threading.current_thread()
        while True:
            with self._lock:
                self._idle += 1
                while not self._work:
                    self._wakeup.wait()
                self._idle -= 1
                item = self._work.popleft()
                if item is _STOP:
                    self._threads.remove(current)
                    return
                self._busy += 1
            try:
                self._run(item)
            finally:
                with self._lock:
                    self._busy -= 1

    @staticmethod
    def _run(item: object) -> None:
        ctx: contextvars.Context
        on_result: Callable[[bool, object], object] | None
        func: Callable[..., object]
        args: tuple[object, ...]
        kw: dict[str, object]
        ctx, on_result, func, args, kw = item  # type: ignore[misc]
        result: object
        try:
            result = ctx.run(func, *args, **kw)
            success = True
        except BaseException:
            from bridge.failure import Failure

            result = Failure()
            success = False
            if on_result is None:
                log_error(f"Unhandled error in thread pool call {func!r}")
        if on_result is not None:
            try:
                on_result(success, result)
            except Exception:
                log_error(f"Unhandled error in thread pool result callback {on_result!r}")

    def adjustPoolsize(self, minthreads: int | None = None, maxthreads: int | None = None) -> None:
        """Change the pool's bounds; extra idle workers exit, missing ones start."""
        minthreads = self.min if minthreads is None else minthreads
        maxthreads = self.max if maxthreads is None else maxthreads
        _check_bounds(minthreads, maxthreads)
        with self._lock:
            self.min, self.max = minthreads, maxthreads
            if not self.started:
                return
            excess = len(self._threads) - self.max
            for _ in range(max(0, excess)):
                self._work.appendleft(_STOP)
                self._wakeup.notify()
            for _ in range(self.min - len(self._threads)):
                self._spawn()

    def stop(self) -> None:
        """Let queued work finish, then end and join every worker."""
        with self._lock:
            self.started = False
            threads = list(self._threads)
            for _ in threads:
                self._work.append(_STOP)
            self._wakeup.notify_all()
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join()
        self.joined = True

    def __repr__(self) -> str:
        return (
            f"<ThreadPool {self.name or ''} min={self.min} max={self.max} "
            f"threads={len(self._threads)} started={self.started}>"
        )
