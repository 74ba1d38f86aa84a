"""The public surface of bridge.defer, bridge.failure, bridge.log and bridge.aio."""

from __future__ import annotations

import importlib

import pytest

SURFACE = {
    "bridge.defer": [
        "AlreadyCalledError",
        "AlreadyTryingToLockError",
        "CancelledError",
        "Deferred",
        "DeferredFilesystemLock",
        "DeferredList",
        "DeferredLock",
        "DeferredQueue",
        "DeferredSemaphore",
        "FAILURE",
        "FailureGroup",
        "FirstError",
        "NotACoroutineError",
        "QueueOverflow",
        "QueueUnderflow",
        "SUCCESS",
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
    ],
    "bridge.failure": [
        "DO_POST_MORTEM",
        "DefaultException",
        "EXCEPTION_CAUGHT_HERE",
        "Failure",
        "NoCurrentExceptionError",
        "count",
        "format_frames",
        "startDebugMode",
        "traceupLength",
    ],
    "bridge.log": [
        "DefaultObserver",
        "EventDict",
        "FileLogObserver",
        "ILogContext",
        "ILogObserver",
        "LogPublisher",
        "Logger",
        "NullFile",
        "PythonLoggingObserver",
        "StdioOnnaStick",
        "addObserver",
        "add_observer",
        "callWithContext",
        "callWithLogger",
        "defaultObserver",
        "deferr",
        "discardLogs",
        "err",
        "logerr",
        "logfile",
        "logger",
        "msg",
        "removeObserver",
        "remove_observer",
        "showwarning",
        "startLogging",
        "startLoggingWithObserver",
        "textFromEventDict",
        "theLogPublisher",
    ],
    "bridge.aio": [
        "async_to_deferred",
        "call_deferred",
        "deferred_to_async",
        "to_deferred",
        "to_future",
    ],
}


@pytest.mark.parametrize("module", sorted(SURFACE))
def test_all_is_pinned(module: str) -> None:
    assert sorted(importlib.import_module(module).__all__) == sorted(SURFACE[module])


@pytest.mark.parametrize("module", sorted(SURFACE))
def test_public_names_have_docstrings(module: str) -> None:
    mod = importlib.import_module(module)
    assert mod.__doc__
    for name in mod.__all__:
        obj = getattr(mod, name)
        if callable(obj):
            assert obj.__doc__, f"{module}.{name} has no docstring"


def test_deferred_methods_have_docstrings() -> None:
    from bridge.defer import Deferred

    for name in dir(Deferred):
        if name.startswith("_"):
            continue
        attr = getattr(Deferred, name)
        if callable(attr):
            assert attr.__doc__, f"Deferred.{name} has no docstring"


def test_importing_defer_does_not_import_the_reactor() -> None:
    import subprocess
    import sys

    code = "import sys, bridge.defer, bridge.aio; print('bridge._reactor' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
