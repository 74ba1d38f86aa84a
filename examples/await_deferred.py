"""Await Deferreds from asyncio code.

An ordinary ``asyncio.run(main())`` program uses bridge in guest mode: the reactor binds to the
running loop, so ``callLater``, ``deferLater``, ``inlineCallbacks`` and Twisted-style libraries
work inside it without ``reactor.run()``. This shows:

* ``await d`` on a Deferred that fires later, and on one that has already fired;
* awaiting an ``inlineCallbacks`` function's result;
* ``asyncio.wait_for`` timing out a Deferred, which cancels it (its canceller runs);
* an error travelling from an errback into an ``except`` block;
* ``bridge.aio.to_future`` for APIs that want a real ``asyncio.Future`` (``asyncio.gather``).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Generator
from typing import Any

from bridge import aio, defer, task


@defer.inlineCallbacks
def add_slowly(a: int, b: int) -> Generator[Any, Any, int]:
    """Twisted-style code: wait for the reactor's clock, then return a result."""
    from bridge import reactor

    yield task.deferLater(reactor, 0.01, lambda: None)
    return a + b


async def main() -> int:
    from bridge import reactor  # inside a running loop: guest mode on that loop

    later = task.deferLater(reactor, 0.02, lambda: "fired later")
    print(f"await an unfired Deferred: {await later}")
    print(f"await a fired Deferred: {await defer.succeed('fired already')}")
    print(f"await an inlineCallbacks result: {await add_slowly(2, 3)}")

    cancelled: list[str] = []
    never: defer.Deferred[str] = defer.Deferred(lambda d: cancelled.append("canceller ran"))
    try:
        await asyncio.wait_for(aio.to_future(never), timeout=0.05)
    except asyncio.TimeoutError:
        print(f"wait_for timed out and cancelled the Deferred ({', '.join(cancelled)})")

    try:
        await defer.fail(ValueError("bad input"))
    except ValueError as exc:
        print(f"a failed Deferred raises in the coroutine: ValueError({exc})")

    results = await asyncio.gather(aio.to_future(add_slowly(1, 1)), asyncio.sleep(0.01, "slept"))
    print(f"asyncio.gather over a Deferred and a coroutine: {results}")
    return 0 if cancelled else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
