"""Threads and time: deferToThread, callInThread, callFromThread, callLater and stop.

A blocking function runs in the reactor's thread pool through ``deferToThread`` and its result
comes back as a Deferred; another runs with ``callInThread`` and reports back to the reactor
thread with ``callFromThread``. Meanwhile ``callLater`` ticks show the reactor staying
responsive. When both jobs are done, ``callLater(0, reactor.stop)`` ends the program.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

from bridge import defer, threads

TICK = 0.02


def blocking_sum(n: int) -> tuple[int, str]:
    """Pretend to be slow blocking work (a database call, a file hash)."""
    time.sleep(0.1)
    return sum(range(n)), threading.current_thread().name


def fire_and_forget(done: defer.Deferred[str]) -> None:
    """Run in a pool thread; tell the reactor thread we are finished with callFromThread."""
    from bridge import reactor

    time.sleep(0.05)
    reactor.callFromThread(done.callback, threading.current_thread().name)


def main() -> int:
    from bridge import reactor

    ticks: list[int] = []
    stopping: list[bool] = []

    def tick() -> None:
        if not stopping:
            ticks.append(len(ticks) + 1)
            reactor.callLater(TICK, tick)

    def summed(result: tuple[int, str]) -> None:
        total, thread_name = result
        print(f"deferToThread result: sum = {total} (computed in a pool thread: {thread_name})")

    def reported(thread_name: str) -> None:
        print(f"callInThread job reported back through callFromThread from {thread_name}")

    def all_done(_: Any) -> None:
        stopping.append(True)
        print(f"the reactor ticked {len(ticks)} times while the threads worked")
        print("callLater(0, reactor.stop)")
        reactor.callLater(0, reactor.stop)

    print(f"main thread: {threading.current_thread().name}")
    d1 = threads.deferToThread(blocking_sum, 1_000_000)
    d1.addCallback(summed)
    d2: defer.Deferred[str] = defer.Deferred()
    d2.addCallback(reported)
    reactor.callInThread(fire_and_forget, d2)
    reactor.callLater(0, tick)
    defer.gatherResults([d1, d2]).addCallback(all_done)
    reactor.run()
    print("reactor stopped")
    return 0 if stopping else 1


if __name__ == "__main__":
    sys.exit(main())
