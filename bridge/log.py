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

from zope.interface import Interface

from bridge.failure import Failure

__all__ = [
    "FileLogObserver",
    "ILogObserver",
    "LogPublisher",
    "Logger",
    "PythonLoggingObserver",
    "addObserver",
    "add_observer",
    "callWithContext",
    "callWithLogger",
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
]

_Observer = Callable[[dict[str, Any]], None]


class ILogObserver(Interface):
    """A callable that receives Twisted-style log events (dicts)."""

    def __call__(eventDict: dict[str, Any]) -> None:  # noqa: N805 (zope interface method)
        """Handle one log event: ``message``, ``isError``, ``system``, ``time``, ..."""


class LogPublisher:
    """Hand every Twisted-style log event to a list of observers."""

    def __init__(self) -> None:
        self.observers: list[_Observer] = []

    def addObserver(self, other: _Observer) -> None:
        """Call *other(event)* for every event published from now on."""
        self.observers.append(other)

    def removeObserver(self, other: _Observer) -> None:
        """Stop calling *other*; do nothing if it was not added."""
        if other in self.observers:
            self.observers.remove(other)

    def msg(self, *message: object, **kw: object) -> None:
        """Log *message* through :func:`msg` (this module's one publisher)."""
        msg(*message, **kw)


#: The publisher :func:`addObserver` and :func:`msg` use.
theLogPublisher = LogPublisher()  # noqa: N816 (Twisted's name)
_event_observers = theLogPublisher.observers


def addObserver(observer: _Observer) -> None:
    """Call *observer(event)* for every :func:`msg` and :func:`err`, Twisted style.

    *event* is a dict with ``message`` (a tuple), ``isError`` (0 or 1), ``system``,
    ``time`` and, for errors, ``failure`` and ``why``. Prefer :func:`add_observer` or a
    :class:`logging.Handler` in new code.
    """
    theLogPublisher.addObserver(observer)


def removeObserver(observer: _Observer) -> None:
    """Stop calling an observer added with :func:`addObserver`."""
    theLogPublisher.removeObserver(observer)


def _emit_event(event: dict[str, Any]) -> None:
    event.setdefault("system", "-")
    event.setdefault("time", time.time())
    for observer in list(_event_observers):
        try:
            observer(event)
        except Exception:
            logger.exception("log observer %r raised", observer)


logger = logging.getLogger("bridge")
# Where msg/err log: the "bridge" logger, or the one a started PythonLoggingObserver names.
_sink: list[logging.Logger] = [logger]

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
    sink = _sink[0]
    if not sink.isEnabledFor(level):
        return
    if message:
        text = " ".join(str(m) for m in message)
    elif isinstance(kw.get("format"), str):
        text = str(kw["format"]) % kw
    else:
        text = ""
    sink.log(level, "%s", text)


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
        _sink[0].error("%s", _why or repr(_stuff))
        return
    if _event_observers:
        _emit_event({**kw, "message": (), "isError": 1, "failure": failure, "why": _why})
    for observer in list(_observers):
        try:
            observer(failure, _why)
        except Exception:
            logger.exception("log observer %r raised", observer)
    text = _why or "Unhandled Error"
    _sink[0].error(
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


def textFromEventDict(eventDict: dict[str, Any]) -> str | None:
    """Return the text of a Twisted-style log event, or None when it has none.

    The message parts joined by spaces; for an error event without message parts, *why*
    (or "Unhandled Error") and the failure's traceback; else ``format % eventDict``.
    """
    message = eventDict.get("message", ())
    if message:
        return " ".join(str(m) for m in message)
    if eventDict.get("isError") and "failure" in eventDict:
        why = eventDict.get("why") or "Unhandled Error"
        failure = eventDict["failure"]
        tb = failure.getTraceback() if isinstance(failure, Failure) else str(failure)
        return f"{why}\n{tb}"
    fmt = eventDict.get("format")
    if isinstance(fmt, str):
        try:
            return fmt % eventDict
        except (KeyError, TypeError, ValueError) as exc:
            return f"Invalid format string or unformattable object in log message: {exc!r}"
    return None


class FileLogObserver:
    """Write Twisted-style log events to a text file: ``time [system] text``."""

    timeFormat: str | None = None

    def __init__(self, f: IO[str]) -> None:
        self.write = f.write
        self.flush = f.flush

    def formatTime(self, when: float) -> str:
        """Format a ``time.time()`` value for the log line (``timeFormat``, else ISO-like)."""
        if self.timeFormat is not None:
            return time.strftime(self.timeFormat, time.localtime(when))
        return time.strftime("%Y-%m-%d %H:%M:%S%z", time.localtime(when))

    def emit(self, eventDict: dict[str, Any]) -> None:
        """Write one event (events without text are skipped)."""
        text = textFromEventDict(eventDict)
        if text is None:
            return
        when = self.formatTime(float(eventDict.get("time", time.time())))
        system = eventDict.get("system", "-")
        body = text.replace("\n", "\n\t")
        self.write(f"{when} [{system}] {body}\n")
        self.flush()

    def start(self) -> None:
        """Start receiving events (:func:`addObserver`)."""
        addObserver(self.emit)

    def stop(self) -> None:
        """Stop receiving events."""
        removeObserver(self.emit)


class PythonLoggingObserver:
    """Route Twisted-style logging into the stdlib :mod:`logging` module.

    bridge's :func:`msg` and :func:`err` already log through :mod:`logging` (logger
    ``"bridge"``). :meth:`start` makes them log on *loggerName* instead (``"twisted"`` by
    default, as Twisted's observer does), so a program's logging configuration for that
    name applies and no record is logged twice. :meth:`emit` logs one event dict directly.
    """

    def __init__(self, loggerName: str = "twisted") -> None:
        self._newLog = logging.getLogger(loggerName)

    def emit(self, eventDict: dict[str, Any]) -> None:
        """Log one event dict at its ``logLevel`` (ERROR for errors, INFO otherwise)."""
        text = textFromEventDict(eventDict)
        if text is None:
            return
        level = eventDict.get("logLevel")
        if not isinstance(level, int):
            level = logging.ERROR if eventDict.get("isError") else logging.INFO
        self._newLog.log(level, "%s", text)

    def start(self) -> None:
        """Send bridge's log records to this observer's logger from now on."""
        _sink[0] = self._newLog

    def stop(self) -> None:
        """Send bridge's log records to the ``"bridge"`` logger again."""
        if _sink[0] is self._newLog:
            _sink[0] = logger


def startLoggingWithObserver(observer: _Observer, setStdout: bool = True) -> None:
    """Add *observer* (:func:`addObserver`) and log "Log opened.".

    :param setStdout: accepted for Twisted compatibility; ``sys.stdout`` is never replaced.
    """
    addObserver(observer)
    msg("Log opened.")


def discardLogs() -> None:
    """Do nothing: bridge never redirects ``sys.stdout``/``sys.stderr`` into the log."""


class _LogFile:
    """A write-only text file whose lines become log messages."""

    softspace = 0

    def __init__(self, isError: bool) -> None:
        self._isError = isError
        self._buf = ""

    def write(self, data: str) -> int:
        lines = (self._buf + data).split("\n")
        self._buf = lines.pop()
        for line in lines:
            msg(line, isError=self._isError, printed=1)
        return len(data)

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


#: File-like objects whose written lines are logged (``logerr`` as errors), as Twisted's.
logfile = _LogFile(isError=False)
logerr = _LogFile(isError=True)


def callWithContext(ctx: dict[str, Any], func: Callable[..., Any], *a: Any, **kw: Any) -> Any:
    """Call ``func(*a, **kw)`` and return its result (log contexts are not kept)."""
    return func(*a, **kw)


def callWithLogger(logger: object, func: Callable[..., Any], *a: Any, **kw: Any) -> Any:
    """Call ``func(*a, **kw)``; log an exception it raises (:func:`err`) and return None."""
    try:
        return func(*a, **kw)
    except Exception:
        err()
        return None


class Logger:
    """Twisted's legacy base for objects that name their log system (:meth:`logPrefix`)."""

    def logPrefix(self) -> str:
        """Return the system name for log lines (``"-"``); subclasses override it."""
        return "-"


def showwarning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: IO[str] | None = None,
    line: str | None = None,
) -> None:
    """Log a warning (a drop-in for :func:`warnings.showwarning`), or write it to *file*."""
    import warnings

    text = warnings.formatwarning(message, category, filename, lineno, line)
    if file is not None:
        file.write(text)
    else:
        msg(text.rstrip("\n"), warning=message, category=category.__name__)
