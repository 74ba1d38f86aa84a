"""One small thread pool for every subprocess run of the fidelity suite.

Both test modules register their runs here; ``conftest.py`` starts all of them as soon as
collection is over, so the Twisted, asyncio and uvloop runs of every program and of the
trial sample overlap instead of queueing module by module.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

_pool: ThreadPoolExecutor | None = None
_jobs: dict[object, Future[Any]] = {}


def submit(key: object, fn: Callable[..., Any], *args: object) -> Future[Any]:
    """Start ``fn(*args)`` under *key* unless it was started already; return its Future."""
    global _pool
    if key not in _jobs:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="fidelity")
        _jobs[key] = _pool.submit(fn, *args)
    return _jobs[key]
