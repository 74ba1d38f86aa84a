"""Twisted's ``log.msg``/``log.err`` on top of the stdlib :mod:`logging` module.

Everything is logged on the logger named ``"bridge"`` (:data:`logger`). Errors that nobody
else can receive (exceptions raised by callbacks the reactor runs, failures left unhandled
in a garbage-collected Deferred) go through :func:`err`, which logs at ERROR level with the
traceback. Each record logged by :func:`err` carries the :class:`~bridge.failure.Failure`
as ``record.failure``, so a test harness can attribute it (see
``docs/deferreds-and-coroutines.md``).
"""

from __future__ import annotations

import contextvars
import io
import logging
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from types import MappingProxyType
from typing import IO, Any, NoReturn

from zope.interface import Interface

from bridge.failure import Failure

__all__ = [
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
]

#: A Twisted-style log event.
EventDict = dict[str, Any]
_Observer = Callable[[EventDict], None]


class ILogContext:
    """The key of the default log context (``{"system": "-"}``), as in Twisted.

    bridge keeps the log context in a :class:`contextvars.ContextVar`; this class only names
    it for code that refers to it.
    """


# The keys every event starts with; callWithContext() layers more on top, for its call only.
_context: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "bridge.log context", default=MappingProxyType({"system": "-"})
)


def _safe_str(obj: object) -> str:
    # Twisted's reflect.safe_str: bytes are decoded as UTF-8 when they can be, and a
    # failing __str__ does not lose the message.
    if isinstance(obj, bytes):
        try:
            return obj.decode("utf-8")
        except UnicodeDecodeError:
            pass
    try:
        return str(obj)
    except Exception as exc:
        return f"<{type(obj).__name__} instance with unprintable str: {exc!r}>"


def _new_event(message: tuple[object, ...], kw: dict[str, Any]) -> EventDict:
    event = dict(_context.get())
    event.update(kw)
    event["message"] = message
    event["time"] = time.time()
    event.setdefault("isError", 0)
    return event


class ILogObserver(Interface):
    """A callable that receives Twisted-style log events (dicts)."""

    def __call__(eventDict: dict[str, Any]) -> None:  # noqa: N805 (zope interface method)
        """Handle one log event: ``message``, ``isError``, ``system``, ``time``, ..."""


class LogPublisher:
    """Hand every Twisted-style log event to a list of observers.

    :data:`theLogPublisher` is the global one, behind :func:`msg` and :func:`addObserver`;
    other instances publish only to their own observers.
    """

    #: Twisted's thread-safety marker (its methods that take the log lock).
    synchronized = ["msg"]

    def __init__(
        self,
        observerPublisher: object = None,
        publishPublisher: object = None,
        logBeginner: object = None,
        warningsModule: object = None,
    ) -> None:
        """Make a publisher with no observers.

        The parameters are Twisted's ``twisted.logger`` plumbing, accepted and unused
        (``twisted.logger`` is not provided).
        """
        self.observers: list[_Observer] = []

    def addObserver(self, other: _Observer) -> None:
        """Call *other(event)* for every event published from now on."""
        self.observers.append(other)

    def removeObserver(self, other: _Observer) -> None:
        """Stop calling *other*; do nothing if it was not added."""
        if other in self.observers:
            self.observers.remove(other)

    def msg(self, *message: object, **kw: object) -> None:
        """Publish an event made of *message* and the keywords *kw* to the observers.

        The event also holds the current log context (``system``), ``time`` and
        ``isError`` (0 unless given).
        """
        if self is theLogPublisher:
            msg(*message, **kw)
        else:
            self._publish(_new_event(message, kw))

    def showwarning(
        self,
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: IO[str] | None = None,
        line: str | None = None,
    ) -> None:
        """Log a warning, as :func:`showwarning` does."""
        showwarning(message, category, filename, lineno, file, line)

    def _publish(self, event: EventDict) -> None:
        for observer in list(self.observers):
            try:
                observer(event)
            except Exception:
                logger.exception("log observer %r raised", observer)


#: The publisher :func:`addObserver` and :func:`msg` use.
theLogPublisher = LogPublisher()  # noqa: N816 (Twisted's name)
_event_observers = theLogPublisher.observers


def addObserver(other: _Observer) -> None:
    """Call *other(event)* for every :func:`msg` and :func:`err`, Twisted style.

    *event* is a dict with ``message`` (a tuple), ``isError`` (0 or 1), ``system``,
    ``time`` and, for errors, ``failure`` and ``why``. Prefer :func:`add_observer` or a
    :class:`logging.Handler` in new code.
    """
    theLogPublisher.addObserver(other)


def removeObserver(other: _Observer) -> None:
    """Stop calling an observer added with :func:`addObserver`."""
    theLogPublisher.removeObserver(other)


logger = logging.getLogger("bridge")
# Where msg/err log: the "bridge" logger, or the one a started PythonLoggingObserver names.
_sink: list[logging.Logger] = [logger]
# The level of error events on the sink: ERROR on "bridge"; CRITICAL once a
# PythonLoggingObserver is started, the level Twisted's observer gives them.
_error_level = [logging.ERROR]
_STDLIB_LEVELS: dict[object, int] = {}
for _stdlib_level in (
    logging.DEBUG,
    logging.INFO,
    logging.WARNING,
    logging.ERROR,
    logging.CRITICAL,
):
    _STDLIB_LEVELS[_stdlib_level] = _STDLIB_LEVELS[logging.getLevelName(_stdlib_level)] = (
        _stdlib_level
    )


def _level(kw: Mapping[str, object]) -> int:
    # Twisted's rule: an explicit stdlib ``logLevel`` (a number or a name) wins; an unknown
    # one logs at INFO; else errors log at the error level and the rest at INFO.
    if "logLevel" in kw:
        return _STDLIB_LEVELS.get(kw["logLevel"], logging.INFO)
    return _error_level[0] if kw.get("isError") else logging.INFO


def _traceback_text(failure: Failure) -> str:
    text = failure.getTraceback()
    # Twisted's text ends with a newline (a blank line under the message); on bridge's own
    # logger the record ends with the traceback.
    return text.rstrip("\n") if _sink[0] is logger else text


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

    :param message: the parts of the message; they are converted with ``str`` (bytes are
        decoded as UTF-8), as Twisted does.
    :param kw: fields of the event observers receive. ``isError=True`` logs at ERROR
        level (CRITICAL once a :class:`PythonLoggingObserver` is started, as in Twisted);
        ``logLevel`` (a stdlib level or its name) overrides both; ``system`` names the log
        system (default: the current log context's, see :func:`callWithContext`);
        ``format`` is a %-format applied to the event when no message parts are given.
    """
    if _event_observers:
        theLogPublisher._publish(_new_event(message, kw))
    level = _level(kw)
    sink = _sink[0]
    if not sink.isEnabledFor(level):
        return
    if message:
        text = " ".join(map(_safe_str, message))
    elif isinstance(kw.get("format"), str):
        text = _safe_format(str(kw["format"]), {**_context.get(), **kw})
    else:
        text = ""
    system = kw.get("system", _context.get().get("system", "-"))
    sink.log(level, "%s", text, extra={"system": system})


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
    elif isinstance(_stuff, Exception):
        failure = Failure(_stuff)
    else:
        # As Twisted: anything else is logged as an error message, its repr.
        msg(repr(_stuff), why=_why, isError=1, **kw)
        return
    if _event_observers:
        event = _new_event((), {**kw, "failure": failure, "why": _why, "isError": 1})
        theLogPublisher._publish(event)
    _notify(failure, _why)
    system = kw.get("system", _context.get().get("system", "-"))
    _sink[0].log(
        _level({"isError": 1, **kw}),
        "%s\n%s",
        _safe_str(_why) if _why else "Unhandled Error",
        _traceback_text(failure),
        extra={"failure": failure, "why": _why, "system": system},
    )


def _notify(failure: Failure, why: str | None) -> None:
    for observer in list(_observers):
        try:
            observer(failure, why)
        except Exception:
            logger.exception("log observer %r raised", observer)


def _unhandled_in_deferred(failure: Failure, debug_info: str = "") -> None:
    """Report the unhandled failure of a garbage-collected Deferred, laid out as Twisted does.

    Twisted-style observers (:func:`addObserver`) get Twisted's two events: the error
    message ``"Unhandled error in Deferred:"``, then the failure, whose ``why`` is
    ``"(debug: " + debug_info + ")"`` when there is *debug_info* (the creator and invoker
    stacks, when debugging is on) and None otherwise. The stdlib
    :mod:`logging` module gets one ERROR record, that message and the traceback, with
    ``record.failure``; :func:`startLogging` prints it as Twisted's two lines. Under a
    started :class:`PythonLoggingObserver`, it gets Twisted's two CRITICAL records.
    :func:`add_observer` observers are called once, with that message as ``why``.
    """
    head = "Unhandled error in Deferred:"
    failure_why = f"(debug: {debug_info})" if debug_info else None
    why = f"{head}\n{debug_info}" if debug_info else head
    system = _context.get().get("system", "-")
    if _event_observers:
        theLogPublisher._publish(_new_event((head,), {"isError": True}))
        event = {"failure": failure, "why": failure_why, "isError": 1}
        theLogPublisher._publish(_new_event((), event))
    _notify(failure, why)
    sink, level = _sink[0], _error_level[0]
    if sink is not logger:
        # A started PythonLoggingObserver: Twisted's two records, the message and then an
        # empty one carrying the exception (Twisted reports this as a new-style failure).
        sink.log(level, "%s", head, extra={"system": system})
        exc_info = (failure.type, failure.value, failure.getTracebackObject())
        extra = {"failure": failure, "why": failure_why, "system": system}
        sink.log(level, failure_why or "", exc_info=exc_info, extra=extra)
        return
    sink.log(
        level,
        "%s\n%s",
        f"{head}\n{failure_why}" if failure_why else head,
        _traceback_text(failure),
        extra={
            "failure": failure,
            "why": why,
            "system": system,
            "twisted_split": (head, failure_why),
        },
    )


deferr = err


def _format_time(when: float, west_offset: int) -> str:
    # Twisted's FileLogObserver layout: local time and its UTC offset, "2026-11-27
    # 04:40:00+0100" (*west_offset* is getTimezoneOffset's: seconds west of UTC).
    offset = -west_offset
    sign = "-" if offset < 0 else "+"
    hours, minutes = abs(int(offset / 3600)), abs(int(offset / 60 % 60))
    return f"{datetime.fromtimestamp(when):%Y-%m-%d %H:%M:%S}{sign}{hours:02d}{minutes:02d}"


def _timezone_offset(when: float) -> int:
    utc = datetime.fromtimestamp(when, timezone.utc).replace(tzinfo=None)
    offset = utc - datetime.fromtimestamp(when)
    return offset.days * 86400 + offset.seconds


class _StreamFormatter(logging.Formatter):
    """Format records as Twisted's FileLogObserver does: ``time [system] text``.

    Continuation lines of a message (a traceback) start with a tab, as in Twisted.
    """

    def format(self, record: logging.LogRecord) -> str:
        failure = getattr(record, "failure", None)
        why = getattr(record, "why", None)
        system = getattr(record, "system", None) or "-"
        head = f"{_format_time(record.created, _timezone_offset(record.created))} [{system}] "
        if isinstance(failure, Failure):
            # An err() record: the text observers get, traceback unstripped (as Twisted's).
            text = f"{_safe_str(why) if why else 'Unhandled Error'}\n{failure.getTraceback()}"
            split = getattr(record, "twisted_split", None)
            if split is not None:
                # An unhandled Deferred failure: Twisted logs the message and the failure as
                # two entries, so two lines start with a time stamp.
                first, failure_why = split
                text = f"{failure_why or 'Unhandled Error'}\n{failure.getTraceback()}"
                return f"{head}{first}\n{head}" + text.replace("\n", "\n\t")
        else:
            text = record.getMessage()
        if record.exc_info:
            text = f"{text}\n{self.formatException(record.exc_info)}"
        return head + text.replace("\n", "\n\t")


def startLogging(file: IO[str] | None = None, setStdout: bool = True) -> logging.Handler | None:
    """Send the ``bridge`` logger's records (INFO and up) to *file*.

    Lines look like Twisted's: ``2026-11-27 04:40:00+0000 [system] text``. Logs
    "Log opened." first, as Twisted does, and from then on logs warnings
    (:func:`showwarning`).

    :param file: the stream to write to; ``sys.stdout`` by default.
    :param setStdout: also replace ``sys.stdout`` and ``sys.stderr`` with
        :class:`StdioOnnaStick` files, so that ``print()`` output becomes log lines (stderr
        lines as errors), as Twisted does.
    :returns: the installed :class:`logging.StreamHandler` (remove it to stop), or None
        when *file* is itself a redirected ``sys.stdout`` (nothing is done then).
    """
    if isinstance(file, StdioOnnaStick):
        return None
    handler = logging.StreamHandler(file if file is not None else sys.stdout)
    handler.setFormatter(_StreamFormatter())
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    msg("Log opened.")
    _begin(setStdout)
    return handler


def _begin(redirect_stdio: bool) -> None:
    # What Twisted's log beginner does once logging starts: warnings go to the log and,
    # if asked, sys.stdout/sys.stderr too.
    warnings.showwarning = showwarning
    if redirect_stdio:
        sys.stdout = StdioOnnaStick(0, getattr(sys.stdout, "encoding", None))
        sys.stderr = StdioOnnaStick(1, getattr(sys.stderr, "encoding", None))


def textFromEventDict(eventDict: dict[str, Any]) -> str | None:
    """Return the text of a Twisted-style log event, or None when it has none.

    The message parts joined by spaces; for an error event without message parts, *why*
    (or "Unhandled Error") and the failure's traceback; else ``format % eventDict``.
    """
    message = eventDict.get("message", ())
    if message:
        return " ".join(map(_safe_str, message))
    if eventDict.get("isError") and "failure" in eventDict:
        why = eventDict.get("why")
        why = _safe_str(why) if why else "Unhandled Error"
        try:
            tb = eventDict["failure"].getTraceback()
        except Exception as exc:
            tb = f"(unable to obtain traceback): {exc}"
        return f"{why}\n{tb}"
    if "format" in eventDict:
        return _safe_format(eventDict["format"], eventDict)
    return None


def _safe_format(fmt: object, values: dict[str, Any]) -> str:
    try:
        return str(fmt % values)  # type: ignore[operator]
    except Exception:
        try:
            return (
                f"Invalid format string or unformattable object in log message: {fmt!r}, {values}"
            )
        except Exception:
            return f"UNFORMATTABLE OBJECT WRITTEN TO LOG with fmt {fmt!r}, MESSAGE LOST"


class FileLogObserver:
    """Write Twisted-style log events to a text file: ``time [system] text``."""

    timeFormat: str | None = None

    def __init__(self, f: IO[str]) -> None:
        self.write = f.write
        self.flush = f.flush

    def getTimezoneOffset(self, when: float) -> int:
        """Return the local time zone's offset from UTC at *when*, in seconds (west > 0)."""
        return _timezone_offset(when)

    def formatTime(self, when: float) -> str:
        """Format a ``time.time()`` value as local time for the log line.

        ``timeFormat`` (a :meth:`datetime.strftime` format) when set, else
        ``2026-11-27 04:40:00+0100`` (the UTC offset from :meth:`getTimezoneOffset`).
        """
        if self.timeFormat is not None:
            return datetime.fromtimestamp(when).strftime(self.timeFormat)
        return _format_time(when, self.getTimezoneOffset(when))

    def emit(self, eventDict: dict[str, Any]) -> None:
        """Write one event (events without text are skipped)."""
        text = textFromEventDict(eventDict)
        if text is None:
            return
        when = self.formatTime(float(eventDict.get("time", time.time())))
        system = eventDict.get("system", "-")
        body = text.replace("\n", "\n\t")
        self.write(f"{when} [{_safe_str(system)}] {body}\n")
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

    Levels are Twisted's: an event's stdlib ``logLevel`` (``log.msg("x",
    logLevel=logging.DEBUG)``), else CRITICAL for errors and INFO for the rest.
    """

    def __init__(self, loggerName: str = "twisted") -> None:
        self._newLog = logging.getLogger(loggerName)

    def emit(self, eventDict: dict[str, Any]) -> None:
        """Log one event dict at its ``logLevel`` (CRITICAL for errors, INFO otherwise)."""
        text = textFromEventDict(eventDict)
        if text is None:
            return
        level = _level(eventDict)
        if "logLevel" not in eventDict and eventDict.get("isError"):
            level = logging.CRITICAL
        self._newLog.log(level, "%s", text)

    def start(self) -> None:
        """Send bridge's log records to this observer's logger from now on."""
        _sink[0] = self._newLog
        _error_level[0] = logging.CRITICAL

    def stop(self) -> None:
        """Send bridge's log records to the ``"bridge"`` logger again."""
        if _sink[0] is self._newLog:
            _sink[0] = logger
            _error_level[0] = logging.ERROR


def startLoggingWithObserver(observer: _Observer, setStdout: bool = True) -> None:
    """Add *observer* (:func:`addObserver`) and log "Log opened.", as :func:`startLogging`.

    :param setStdout: also send ``sys.stdout``/``sys.stderr`` output to the log.
    """
    addObserver(observer)
    msg("Log opened.")
    _begin(setStdout)


class NullFile:
    """A file-like object that discards everything written to it."""

    softspace = 0

    def read(self) -> None:
        """Do nothing (there is nothing to read)."""

    def write(self, bytes: object) -> None:
        """Discard *bytes*."""

    def flush(self) -> None:
        """Do nothing."""

    def close(self) -> None:
        """Do nothing."""


class StdioOnnaStick:
    """A write-only text file whose lines become log messages (``printed=1``).

    Each complete line written is logged with :func:`msg`; with *isError* true, as an
    error. :func:`startLogging` puts these in place of ``sys.stdout``/``sys.stderr``. A
    write made while this thread is already logging one (a failing log handler reporting
    on ``sys.stderr``) goes to ``sys.__stderr__`` instead, so it cannot recurse.

    :ivar isError: whether lines are logged as errors.
    :ivar buf: the unfinished last line.
    """

    closed = 0
    softspace = 0
    mode = "wb"
    name = "<stdio (log)>"

    def __init__(self, isError: int = 0, encoding: str | None = None) -> None:
        """Make a log file; *encoding* defaults to ``sys.getdefaultencoding()``."""
        self.isError = isError
        self.encoding = encoding if encoding is not None else sys.getdefaultencoding()
        self.buf = ""

    def close(self) -> None:
        """Do nothing (the log stays open)."""

    def fileno(self) -> NoReturn:
        """Raise :class:`io.UnsupportedOperation`: there is no file descriptor."""
        raise io.UnsupportedOperation("StdioOnnaStick has no file descriptor.")

    def flush(self) -> None:
        """Do nothing (an unfinished line stays buffered until its newline)."""

    def read(self, *args: object) -> NoReturn:
        """Raise :class:`OSError`: the log cannot be read."""
        raise OSError("can't read from the log!")

    readline = readlines = seek = tell = read

    def isatty(self) -> bool:
        """Return False."""
        return False

    def write(self, data: str) -> None:
        """Log each complete line of ``buf + data``; keep the rest in :attr:`buf`."""
        if getattr(_writing, "active", False):
            if sys.__stderr__ is not None:
                sys.__stderr__.write(data)
            return
        lines = (self.buf + data).split("\n")
        self.buf = lines.pop()
        self._log(lines)

    def writelines(self, lines: Iterable[str]) -> None:
        """Log each item of *lines* as one message."""
        if getattr(_writing, "active", False):
            if sys.__stderr__ is not None:
                sys.__stderr__.writelines(lines)
            return
        self._log(lines)

    def _log(self, lines: Iterable[str]) -> None:
        _writing.active = True
        try:
            for line in lines:
                msg(line, printed=1, isError=self.isError)
        finally:
            _writing.active = False


# Set while a StdioOnnaStick logs on this thread (see StdioOnnaStick.write).
_writing = threading.local()


#: File-like objects whose written lines are logged (``logerr`` as errors), as Twisted's.
logfile: StdioOnnaStick | NullFile = StdioOnnaStick(isError=0)
logerr = StdioOnnaStick(isError=1)


def discardLogs() -> None:
    """Make the module's :data:`logfile` a :class:`NullFile`, as Twisted does.

    It only affects code that writes to ``log.logfile`` itself.
    """
    global logfile
    logfile = NullFile()


def callWithContext(ctx: dict[str, Any], func: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    """Call ``func(*args, **kw)`` with *ctx* added to the log context; return its result.

    Events logged during the call start from the current context updated with *ctx*, so
    ``callWithContext({"system": "worker"}, f)`` gives everything *f* logs that ``system``
    (unless an event names its own). The context is a :class:`contextvars.ContextVar`:
    it also reaches coroutines and calls scheduled during the call.
    """
    token = _context.set({**_context.get(), **ctx})
    try:
        return func(*args, **kw)
    finally:
        _context.reset(token)


def callWithLogger(logger: Any, func: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    """Call ``func(*args, **kw)`` with ``logger.logPrefix()`` as the log ``system``.

    An exception *func* raises is logged (:func:`err`, with that system) and None is
    returned; a failing ``logPrefix()`` is logged too, and the system is then
    ``"(buggy logPrefix method)"``.
    """
    try:
        prefix = logger.logPrefix()
    except KeyboardInterrupt:
        raise
    except BaseException:
        prefix = "(buggy logPrefix method)"
        err(system=prefix)
    try:
        return callWithContext({"system": prefix}, func, *args, **kw)
    except KeyboardInterrupt:
        raise
    except BaseException:
        err(system=prefix)
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
    """Log a warning, as Twisted does once logging started; with a *file*, write it there.

    The log line reads ``path.py:12: builtins.UserWarning: the message`` (logged at
    WARNING level); with *file*, the standard :func:`warnings.showwarning` writes it.
    """
    if file is not None:
        _original_showwarning(message, category, filename, lineno, file, line)  # type: ignore[arg-type]
        return
    kind = f"{category.__module__}.{category.__qualname__}"
    msg(f"{filename}:{lineno}: {kind}: {message}", logLevel=logging.WARNING)


_original_showwarning = warnings.showwarning


class DefaultObserver:
    """Write the text of error events to :attr:`stderr` and ignore the rest.

    Twisted's default observer until ``startLogging``; here it observes only once
    :meth:`start` is called (bridge's default output is the stdlib ``logging`` module).
    """

    stderr: IO[str] = sys.stderr

    def emit(self, eventDict: EventDict) -> None:
        """Write an error event's text (:func:`textFromEventDict`) to :attr:`stderr`."""
        if eventDict["isError"]:
            text = textFromEventDict(eventDict)
            if text is not None:
                self.stderr.write(text)
            self.stderr.flush()

    def start(self) -> None:
        """Start receiving events (:func:`addObserver`)."""
        addObserver(self.emit)

    def stop(self) -> None:
        """Stop receiving events."""
        removeObserver(self.emit)


#: A :class:`DefaultObserver`, not started.
defaultObserver = DefaultObserver()  # noqa: N816 (Twisted's name)
