"""Deferred, Twisted's callback-chain promise, and everything built on it.

Import everything from here: ``from bridge.defer import Deferred, inlineCallbacks``.
The implementation lives in private modules: ``_defer_core`` (the Deferred engine),
``_inline`` (coroutines, generators and asyncio Futures), ``_defer_util`` (combinators and
locks). A Deferred is awaitable in any asyncio Task, on the stdlib loop and on uvloop.
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
from bridge._defer_util import (
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
    execute,
    gatherResults,
    passthru,
    race,
)
from bridge._inline import NotACoroutineError, ensureDeferred, inlineCallbacks, returnValue
from bridge.failure import Failure

__all__ = [
    "FAILURE",
    "SUCCESS",
    "AlreadyCalledError",
    "AlreadyTryingToLockError",
    "CancelledError",
    "Deferred",
    "DeferredFilesystemLock",
    "DeferredList",
    "DeferredLock",
    "DeferredQueue",
    "DeferredSemaphore",
    "FailureGroup",
    "FirstError",
    "NotACoroutineError",
    "QueueOverflow",
    "QueueUnderflow",
    "TimeoutError",
    "add_unhandled_error_observer",
    "ensureDeferred",
    "execute",
    "fail",
    "gatherResults",
    "getDebugging",
    "inlineCallbacks",
    "logError",
    "maybeDeferred",
    "passthru",
    "race",
    "remove_unhandled_error_observer",
    "returnValue",
    "setDebugging",
    "succeed",
]

#: The first item of a successful ``(success, result)`` pair in a DeferredList's result.
SUCCESS = True
#: The first item of a failed ``(success, failure)`` pair in a DeferredList's result.
FAILURE = False


def logError(err: Failure) -> Failure:
    """Log *err* with its traceback (:func:`bridge.log.err`) and return it, as an errback.

    ``d.addErrback(logError)`` logs the failure and passes it on down the chain.
    """
    from bridge import log

    log.err(err)
    return err
