"""Twisted's ``log.msg``/``log.err`` on top of the stdlib :mod:`logging` module.

Everything is logged on the logger named ``"bridge"`` (:data:`logger`). Errors that nobody
else can receive (exceptions raised by callbacks the reactor runs, failures left unhandled
in a garbage-collected Deferred) go through :func:`err`, which logs at ERROR level with the
traceback. Each record logged by :func:`err` carries the :class:`~bridge.failure.Failure`
as ``record.failure``, so a test harness can attribute it (see
``docs/deferreds-and-coroutines.md``).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import IO, Any

from bridge.failure import Failure

__all__ = [
    "addObserver",
    "add_observer",
    "deferr",
    "err",
    "logger",
    "msg",
    "removeObserver",
    "remove_observer",
    "startLogging",
]

_event_observers: list[Callable[[dict[str, Any]], None]] = []


def addObserver(observer: Callable[[dict[str, Any]], None]) -> None:
    """Call *observer(event)* for every :func:`msg` and :func:`err`, Twisted style.

    *event* is a dict with ``message`` (a tuple), ``isError`` (0 or 1), ``system``,
    ``time`` and, for errors, ``failure`` and ``why``. Prefer :func:`add_observer` or a
    :class:`logging.Handler` in new code.
    """
    _event_observers.append(observer)


def removeObserver(observer: Callable[[dict[str, Any]], None]) -> None:
    """Stop calling an observer added with :func:`addObserver`."""
    _event_observers.remove(observer)


def _emit_event(event: dict[str, Any]) -> None:
    event.setdefault("system", "-")
    event.setdefault("time", time.time())
    for observer in list(_event_observers):
        try:
            observer(event)
        except Exception:
            logger.exception("log observer %r raised", observer)


logger = logging.getLogger("bridge")

_observers: list[Callable[[Failure, str | None], None]] = []


def add_observer(observer: Callable[[Failure, str | None], None]) -> None:
    """Call *observer(failure, why)* for every error logged by :func:`err`.

    That includes unhandled failures of garbage-collected Deferreds (``why`` then starts
    with ``"Unhandled error in Deferred"``). Observers run synchronously inside
    :func:`err`, before the log record is emitted; an observer that raises is logged and
    otherwise ignored. Test frameworks use this to fail the test that caused an error.
    """
    _observers.append(observer)


def remove_observer(observer: Callable[[Failure, str | None], None]) -> None:
    """Stop calling an observer added with :func:`add_observer`."""
    _observers.remove(observer)


def msg(*message: object, **kw: object) -> None:
    """Log *message* (its parts joined by spaces) at INFO level on the ``bridge`` logger.

    :param message: the parts of the message; they are converted with ``str``.
    :param kw: ``isError=True`` logs at ERROR level; other keywords are ignored, except
        ``format``, a %-format applied to the keywords when no message parts are given.
    """
    if _event_observers:
        _emit_event({**kw, "message": message, "isError": 1 if kw.get("isError") else 0})
    level = logging.ERROR if kw.get("isError") else logging.INFO
    if not logger.isEnabledFor(level):
        return
    if message:
        text = " ".join(str(m) for m in message)
    elif isinstance(kw.get("format"), str):
        text = str(kw["format"]) % kw
    else:
        text = ""
    logger.log(level, "%s", text)


def err(_stuff: object = None, _why: str | None = None, **kw: object) -> None:
    """Log an error with its traceback at ERROR level on the ``bridge`` logger.

    :param _stuff: a :class:`~bridge.failure.Failure`, an exception, or ``None`` for the
        exception currently being handled.
    :param _why: a description of what was going on, logged before the traceback.
    """
    if _stuff is None:
        failure = Failure()
    elif isinstance(_stuff, Failure):
        failure = _stuff
    elif isinstance(_stuff, BaseException):
        failure = Failure(_stuff)
    else:
        logger.error("%s", _why or repr(_stuff))
        return
    if _event_observers:
        _emit_event({**kw, "message": (), "isError": 1, "failure": failure, "why": _why})
    for observer in list(_observers):
        try:
            observer(failure, _why)
        except Exception:
            logger.exception("log observer %r raised", observer)
    text = _why or "Unhandled Error"
    logger.error(
        "%s\n%s",
        text,
        failure.getTraceback().rstrip("\n"),
        extra={"failure": failure, "why": _why},
    )


deferr = err


class _StreamFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s [%(name)s] %(message)s")


def startLogging(file: IO[str] | None = None, setStdout: bool = True) -> logging.Handler:
    """Send the ``bridge`` logger's records (INFO and up) to *file*.

    :param file: the stream to write to; ``sys.stdout`` by default.
    :param setStdout: accepted for Twisted compatibility; ``sys.stdout`` is never replaced.
    :returns: the installed :class:`logging.StreamHandler` (remove it to stop).

    Logs "Log opened." first, as Twisted does.
    """
    handler = logging.StreamHandler(file if file is not None else sys.stdout)
    handler.setFormatter(_StreamFormatter())
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    msg("Log opened.")
    return handler
