"""IReactorThreads: callFromThread, callInThread, the thread pool's life cycle."""

from __future__ import annotations

import contextvars
import threading
from typing import Any

import pytest

from bridge._reactor import AsyncioReactor, ThreadPool
from bridge.defer import Deferred


def test_call_from_thread_16_threads_10000_calls_each_in_order(
    reactor: AsyncioReactor, run_until: Any
) -> None:
    threads_n, calls_n = 16, 10_000
    received: dict[int, list[int]] = {t: [] for t in range(threads_n)}
    done: Deferred[None] = Deferred()
    remaining = [threads_n * calls_n]

    def receive(t: int, i: int) -> None:
        received[t].append(i)
        remaining[0] -= 1
        if remaining[0] == 0:
            done.callback(None)

    def produce(t: int) -> None:
        call = reactor.callFromThread
        for i in range(calls_n):
            call(receive, t, i)

    threads = [threading.Thread(target=produce, args=(t,)) for t in range(threads_n)]
    for thread in threads:
        thread.start()
    run_until(done, timeout=60)
    for thread in threads:
        thread.join()
    for t in range(threads_n):
        assert received[t] == list(range(calls_n))


def test_call_from_thread_wakes_an_idle_loop(reactor: AsyncioReactor, run_until: Any) -> None:
    d: Deferred[str] = Deferred()
    reactor.callLater(30, lambda: None)  # the loop would otherwise sleep 30 s
    timer = threading.Timer(0.01, reactor.callFromThread, (d.callback, "woken"))
    timer.start()
    assert run_until(d, timeout=5) == "woken"
    timer.join()


def test_call_from_thread_passes_keywords_and_context(
    reactor: AsyncioReactor, run_until: Any
) -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="loop")
    d: Deferred[tuple[str, str]] = Deferred()

    def in_thread() -> None:
        var.set("thread")
        reactor.callFromThread(lambda *, tag: d.callback((tag, var.get())), tag="kw")

    threading.Thread(target=in_thread).start()
    assert run_until(d) == ("kw", "thread")


def test_call_from_thread_error_is_logged(
    reactor: AsyncioReactor, run_until: Any, caplog: pytest.LogCaptureFixture
) -> None:
    d: Deferred[None] = Deferred()

    def boom() -> None:
        raise KeyError("from thread")

    reactor.callFromThread(boom)
    reactor.callFromThread(d.callback, None)
    run_until(d)
    assert "from thread" in caplog.text


def test_call_in_thread_runs_in_another_thread(reactor: AsyncioReactor, run_until: Any) -> None:
    d: Deferred[bool] = Deferred()
    main = threading.get_ident()
    reactor.callInThread(lambda: reactor.callFromThread(d.callback, threading.get_ident() != main))
    assert run_until(d) is True


def test_pool_starts_lazily_and_is_joined_at_shutdown(reactor: AsyncioReactor) -> None:
    assert reactor._pool is None
    workers: list[threading.Thread] = []

    def work() -> None:
        workers.append(threading.current_thread())
        reactor.callFromThread(reactor.stop)

    reactor.callInThread(work)
    pool = reactor.getThreadPool()
    assert not pool.started
    reactor.run(installSignalHandlers=False)
    assert pool.joined
    assert workers and not workers[0].is_alive()


def test_suggest_thread_pool_size(reactor: AsyncioReactor) -> None:
    reactor.suggestThreadPoolSize(3)
    assert reactor.getThreadPool().max == 3
    reactor.suggestThreadPoolSize(7)
    assert reactor.getThreadPool().max == 7


def test_thread_pool_bounds_and_results() -> None:
    pool = ThreadPool(1, 2, "t")
    results: list[tuple[bool, object]] = []
    finished = threading.Event()
    pool.callInThreadWithCallback(lambda ok, r: results.append((ok, r)), lambda: 1 + 1)

    def fail() -> None:
        raise ValueError("pool")

    pool.callInThreadWithCallback(lambda ok, r: (results.append((ok, r)), finished.set()), fail)
    pool.start()
    assert finished.wait(5)
    pool.stop()
    assert results[0] == (True, 2)
    ok, failure = results[1]
    assert not ok and failure.check(ValueError)  # type: ignore[attr-defined]
    assert pool.threads == []
    # As Twisted's: work given to a stopped pool is dropped; bad bounds are AssertionErrors.
    ran: list[int] = []
    pool.callInThread(ran.append, 1)
    assert ran == [] and pool.threads == []
    with pytest.raises(AssertionError, match="minimum is greater than maximum"):
        ThreadPool(3, 2)
    with pytest.raises(AssertionError, match="minimum is negative"):
        ThreadPool(-1, 2)
    with pytest.raises(AssertionError, match="minimum is negative"):
        pool.adjustPoolsize(-1, 3)


def test_thread_pool_runs_work_concurrently_up_to_max() -> None:
    pool = ThreadPool(0, 4)
    barrier = threading.Barrier(4, timeout=5)
    passed: list[int] = []
    for _ in range(4):
        pool.callInThread(lambda: passed.append(barrier.wait()))
    pool.start()
    pool.stop()
    assert sorted(passed) == [0, 1, 2, 3]


def test_call_from_thread_after_loop_closed_is_dropped(backend: str) -> None:
    from bridge import _runtime

    loop = _runtime.new_loop(backend)
    reactor = AsyncioReactor(loop)
    reactor._teardown()
    loop.close()
    reactor.callFromThread(print, "never")  # no error, like Twisted after the reactor stopped


def test_guest_reactor_on_a_loop_running_in_another_thread(backend: str) -> None:
    from bridge import _runtime

    loop = _runtime.new_loop(backend)
    thread = threading.Thread(target=loop.run_forever)
    thread.start()
    try:
        reactor = AsyncioReactor(loop)
        started = threading.Event()
        reactor.callFromThread(reactor.callWhenRunning, started.set)
        assert started.wait(5)
        assert reactor.running
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        reactor._teardown()
        loop.close()


def test_thread_pool_twisted_introspection() -> None:
    """workers/working/waiters/q/startAWorker/stopAWorker/dumpStats, as Twisted's pool."""
    import time

    from bridge._reactor.threads import ThreadPool as Pool

    pool = Pool(1, 3, "introspect")
    pool.start()
    try:
        deadline = time.monotonic() + 5
        while pool.waiters != [None] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert (pool.workers, pool.working, pool.waiters, pool.q.qsize()) == (1, [], [None], 0)
        assert pool.threadFactory is threading.Thread
        assert pool.currentThread() is threading.current_thread()
        pool.startAWorker()
        assert pool.workers == 2
        pool.stopAWorker()
        while pool.workers != 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert pool.workers == 1
        pool.dumpStats()
    finally:
        pool.stop()
    assert pool.workers == 0
