"""bridge.threads: deferToThread(Pool), blockingCallFromThread, callMultipleInThread."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from bridge import threads
from bridge._reactor import AsyncioReactor, ThreadPool
from bridge.defer import Deferred, succeed


def test_defer_to_thread_returns_result(reactor: AsyncioReactor, run_until: Any) -> None:
    d = threads.deferToThread(lambda a, b=0: (a + b, threading.current_thread().name), 1, b=2)
    value, name = run_until(d)
    assert value == 3
    assert name.startswith("bridge.reactor")


def test_defer_to_thread_failure(reactor: AsyncioReactor, run_until: Any) -> None:
    def boom() -> None:
        raise OSError("disk on fire")

    with pytest.raises(OSError, match="disk on fire"):
        run_until(threads.deferToThread(boom))


def test_defer_to_thread_pool(reactor: AsyncioReactor, run_until: Any) -> None:
    pool = ThreadPool(0, 1, "custom")
    pool.start()
    try:
        d = threads.deferToThreadPool(reactor, pool, lambda: threading.current_thread().name)
        assert run_until(d).startswith("custom")
    finally:
        pool.stop()


def test_call_multiple_in_thread_runs_in_order_in_one_thread(
    reactor: AsyncioReactor, run_until: Any
) -> None:
    seen: list[tuple[str, int]] = []
    done: Deferred[None] = Deferred()

    def record(tag: str) -> None:
        seen.append((tag, threading.get_ident()))

    threads.callMultipleInThread(
        [
            (record, ("a",), {}),
            (record, (), {"tag": "b"}),
            (reactor.callFromThread, (done.callback, None), {}),
        ]
    )
    run_until(done)
    assert [tag for tag, _ in seen] == ["a", "b"]
    assert seen[0][1] == seen[1][1] != threading.get_ident()


def test_blocking_call_from_thread_returns_and_waits_for_deferreds(
    reactor: AsyncioReactor, run_until: Any
) -> None:
    def worker() -> tuple[int, int]:
        plain = threads.blockingCallFromThread(reactor, lambda: 1)
        later = threads.blockingCallFromThread(
            reactor, lambda: succeed(None).addCallback(lambda _: 2)
        )
        return plain, later

    assert run_until(threads.deferToThread(worker)) == (1, 2)


def test_blocking_call_from_thread_reraises(reactor: AsyncioReactor, run_until: Any) -> None:
    def fails() -> None:
        raise LookupError("in reactor")

    def worker() -> str:
        try:
            threads.blockingCallFromThread(reactor, fails)
        except LookupError as e:
            return str(e)
        return "no error"

    assert run_until(threads.deferToThread(worker)) == "in reactor"


def test_blocking_call_from_reactor_thread_is_refused(
    reactor: AsyncioReactor, run_until: Any
) -> None:
    async def in_loop() -> None:
        threads.blockingCallFromThread(reactor, lambda: None)

    with pytest.raises(RuntimeError, match="reactor thread"):
        run_until(in_loop())
