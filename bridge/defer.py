"""Deferred, Twisted's callback-chain promise, and everything built on it.

Import everything from here: ``from bridge.defer import Deferred, inlineCallbacks``.
The implementation lives in private modules (``_defer_core`` for the Deferred engine,
``_inline`` for coroutines, generators and asyncio Futures).
"""

from __future__ import annotations

from bridge._defer_core import (
    AlreadyCalledError,
    CancelledError,
    Deferred,
    TimeoutError,
    add_unhandled_error_observer,
    fail,
    getDebugging,
    maybeDeferred,
    remove_unhandled_error_observer,
    setDebugging,
    succeed,
)

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
