"""bridge.log: msg/err on the stdlib "bridge" logger, observers."""

from __future__ import annotations

import gc
import io
import logging
import re
from typing import Any

import pytest

from bridge import log
from bridge.defer import fail
from bridge.failure import Failure


def test_msg_logs_info_joined(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="bridge"):
        log.msg("hello", 3)
    assert caplog.records[0].name == "bridge"
    assert caplog.records[0].levelno == logging.INFO
    assert caplog.records[0].getMessage() == "hello 3"


def test_msg_is_error(caplog: pytest.LogCaptureFixture) -> None:
    log.msg("bad", isError=True)
    assert caplog.records[0].levelno == logging.ERROR


def test_err_logs_traceback_and_why(caplog: pytest.LogCaptureFixture) -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        log.err(None, "while testing")
    record = caplog.records[0]
    assert record.levelno == logging.ERROR
    assert "while testing" in record.getMessage()
    assert "ValueError: boom" in record.getMessage()
    assert "test_err_logs_traceback_and_why" in record.getMessage()
    assert isinstance(record.failure, Failure)  # type: ignore[attr-defined]


def test_err_accepts_exception_and_failure(caplog: pytest.LogCaptureFixture) -> None:
    log.err(KeyError("k"))
    log.err(Failure(OSError("o")), "why")
    assert "KeyError" in caplog.records[0].getMessage()
    assert "OSError: o" in caplog.records[1].getMessage()


def test_observers_see_err_and_gc_reports() -> None:
    seen: list[tuple[Failure, str | None]] = []

    def observer(f: Failure, why: str | None) -> None:
        seen.append((f, why))

    log.add_observer(observer)
    try:
        log.err(RuntimeError("direct"))
        d = fail(ZeroDivisionError())
        del d
        gc.collect()
    finally:
        log.remove_observer(observer)
    assert [f.type for f, _ in seen] == [RuntimeError, ZeroDivisionError]
    assert seen[1][1] is not None and seen[1][1].startswith("Unhandled error in Deferred")


def test_raising_observer_does_not_break_err(caplog: pytest.LogCaptureFixture) -> None:
    def bad(f: Failure, why: str | None) -> None:
        raise RuntimeError("observer broke")

    log.add_observer(bad)
    try:
        log.err(ValueError("v"))
    finally:
        log.remove_observer(bad)
    assert "observer broke" in caplog.text
    assert "ValueError: v" in caplog.text


def test_start_logging_writes_to_stream() -> None:
    stream = io.StringIO()
    handler = log.startLogging(stream, setStdout=False)
    try:
        log.msg("to the stream")
    finally:
        logging.getLogger("bridge").removeHandler(handler)
    assert "to the stream" in stream.getvalue()


def test_twisted_style_event_observers() -> None:
    events: list[dict[str, object]] = []
    log.addObserver(events.append)
    try:
        log.msg("hello", "world", system="test")
        log.err(ValueError("v"), "why")
    finally:
        log.removeObserver(events.append)
    assert events[0]["message"] == ("hello", "world")
    assert events[0]["isError"] == 0 and events[0]["system"] == "test"
    assert events[1]["isError"] == 1 and events[1]["why"] == "why"
    assert isinstance(events[1]["failure"], Failure)


def test_start_logging_says_log_opened() -> None:
    stream = io.StringIO()
    handler = log.startLogging(stream, setStdout=False)
    logging.getLogger("bridge").removeHandler(handler)
    assert "Log opened." in stream.getvalue()


def test_text_from_event_dict_joins_message_parts_or_formats() -> None:
    assert log.textFromEventDict({"message": ("a", 1)}) == "a 1"
    assert log.textFromEventDict({"message": (), "format": "x=%(x)s", "x": 3}) == "x=3"
    assert log.textFromEventDict({"message": ()}) is None
    try:
        raise ValueError("boom")
    except ValueError:
        f = Failure()
    text = log.textFromEventDict({"message": (), "isError": 1, "failure": f, "why": "oops"})
    assert text is not None
    assert text.startswith("oops\n")
    assert "ValueError: boom" in text


def test_file_log_observer_writes_time_system_and_text() -> None:
    out = io.StringIO()
    observer = log.FileLogObserver(out)
    observer.timeFormat = "T"
    observer.start()
    try:
        log.msg("hello", "world")
    finally:
        observer.stop()
    log.msg("not seen")
    assert out.getvalue() == "T [-] hello world\n"


def test_python_logging_observer_moves_records_to_its_logger(
    caplog: pytest.LogCaptureFixture,
) -> None:
    observer = log.PythonLoggingObserver()
    caplog.set_level(logging.INFO)
    observer.start()
    try:
        log.msg("routed")
    finally:
        observer.stop()
    log.msg("back")
    names = [(r.name, r.getMessage()) for r in caplog.records]
    assert ("twisted", "routed") in names
    assert ("bridge", "back") in names
    assert ("bridge", "routed") not in names


def test_start_logging_with_observer_logs_log_opened() -> None:
    events: list[dict[str, object]] = []
    log.startLoggingWithObserver(events.append)
    try:
        log.msg("x")
    finally:
        log.removeObserver(events.append)
    assert [e["message"] for e in events] == [("Log opened.",), ("x",)]


def test_logerr_logs_each_written_line_as_an_error() -> None:
    events: list[dict[str, object]] = []
    log.addObserver(events.append)
    try:
        log.logerr.write("one\ntw")
        log.logerr.write("o\n")
    finally:
        log.removeObserver(events.append)
    assert [(e["message"], e["isError"]) for e in events] == [(("one",), 1), (("two",), 1)]


def test_call_with_logger_logs_the_exception_and_returns_none(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def boom() -> None:
        raise KeyError("k")

    assert log.callWithLogger(log.Logger(), boom) is None
    assert "KeyError" in caplog.text
    assert log.callWithContext({"system": "s"}, lambda: 5) == 5


def _observed(f: object) -> list[dict[str, object]]:
    events: list[dict[str, object]] = []
    log.addObserver(events.append)
    try:
        f()  # type: ignore[operator]
    finally:
        log.removeObserver(events.append)
    return events


def test_call_with_context_sets_the_system_of_events_inside_only() -> None:
    def inner() -> None:
        log.msg("inside")
        log.msg("named", system="own")
        log.callWithContext({"extra": 1}, log.msg, "nested")

    events = _observed(lambda: (log.callWithContext({"system": "ctx"}, inner), log.msg("out")))
    assert [(e["message"], e["system"]) for e in events] == [
        (("inside",), "ctx"),
        (("named",), "own"),
        (("nested",), "ctx"),
        (("out",), "-"),
    ]
    assert events[2]["extra"] == 1 and "extra" not in events[3]


def test_call_with_logger_uses_log_prefix_as_system() -> None:
    class Named(log.Logger):
        def logPrefix(self) -> str:
            return "Echo,0,127.0.0.1"

    def boom() -> None:
        log.msg("before")
        raise ValueError("v")

    events = _observed(lambda: log.callWithLogger(Named(), boom))
    assert [(e["system"], e["isError"]) for e in events] == [
        ("Echo,0,127.0.0.1", 0),
        ("Echo,0,127.0.0.1", 1),
    ]

    class Buggy:
        def logPrefix(self) -> str:
            raise RuntimeError("no prefix")

    events = _observed(lambda: log.callWithLogger(Buggy(), log.msg, "x"))
    assert [e["system"] for e in events] == ["(buggy logPrefix method)"] * 2


def test_msg_decodes_bytes_and_keeps_is_error_as_given() -> None:
    events = _observed(lambda: log.msg("got", b"hi", isError=True))
    assert log.textFromEventDict(events[0]) == "got hi"
    assert events[0]["isError"] is True


def test_err_of_a_non_exception_logs_its_repr() -> None:
    events = _observed(lambda: log.err("just text", "why"))
    assert events[0]["message"] == ("'just text'",)
    assert events[0]["why"] == "why" and events[0]["isError"] == 1


def test_other_publishers_have_their_own_observers() -> None:
    publisher = log.LogPublisher()
    mine: list[dict[str, object]] = []
    publisher.addObserver(mine.append)
    events = _observed(lambda: publisher.msg("private", system="p"))
    assert events == []
    assert [(e["message"], e["system"], e["isError"]) for e in mine] == [(("private",), "p", 0)]
    assert log.theLogPublisher.msg is not None and log.LogPublisher.synchronized == ["msg"]


def test_start_logging_lines_look_like_twisteds() -> None:
    from twisted.python import log as tlog

    ours = io.StringIO()
    handler = log.startLogging(ours, setStdout=False)
    try:
        log.callWithContext({"system": "sys"}, log.msg, "two\nlines")
    finally:
        logging.getLogger("bridge").removeHandler(handler)
    theirs = io.StringIO()
    observer = tlog.FileLogObserver(theirs)
    tlog.addObserver(observer.emit)
    try:
        tlog.msg("Log opened.")
        tlog.callWithContext({"system": "sys"}, tlog.msg, "two\nlines")
    finally:
        tlog.removeObserver(observer.emit)
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d{4} "
    assert re.sub(stamp, "T ", ours.getvalue()) == re.sub(stamp, "T ", theirs.getvalue())
    assert re.sub(stamp, "T ", ours.getvalue()) == "T [-] Log opened.\nT [sys] two\n\tlines\n"


def test_file_log_observer_time_matches_twisted() -> None:
    from twisted.python import log as tlog

    ours, theirs = log.FileLogObserver(io.StringIO()), tlog.FileLogObserver(io.StringIO())
    for when in (0.0, 1_700_000_000.5, 1_720_000_000.0):
        assert ours.getTimezoneOffset(when) == theirs.getTimezoneOffset(when)
        assert ours.formatTime(when) == theirs.formatTime(when)
    ours.timeFormat = theirs.timeFormat = "%H:%M:%S.%f"
    assert ours.formatTime(12.25) == theirs.formatTime(12.25)


def test_stdio_onna_stick_and_null_file() -> None:
    stick = log.StdioOnnaStick(isError=0)
    events = _observed(lambda: (stick.write("a\nb"), stick.writelines(["c"]), stick.write("\n")))
    assert [(e["message"], e["printed"]) for e in events] == [(("a",), 1), (("c",), 1), (("b",), 1)]
    with pytest.raises(OSError, match="can't read"):
        stick.read()
    with pytest.raises(io.UnsupportedOperation):
        stick.fileno()
    null = log.NullFile()
    null.write("gone")
    assert null.read() is None


def test_discard_logs_replaces_logfile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(log, "logfile", log.logfile)
    log.discardLogs()
    assert isinstance(log.logfile, log.NullFile)


def test_default_observer_writes_only_errors() -> None:
    observer = log.DefaultObserver()
    observer.stderr = io.StringIO()
    observer.start()
    try:
        log.msg("quiet")
        log.err(ValueError("loud"), "why")
    finally:
        observer.stop()
    text = observer.stderr.getvalue()
    assert "quiet" not in text and text.startswith("why\n") and "ValueError: loud" in text


def test_unhandled_in_deferred_is_laid_out_as_twisted_does() -> None:
    # Twisted 26 with startLogging, for a collected Deferred holding KeyError('lost'):
    #   [-] Unhandled error in Deferred:
    #   [-] Unhandled Error
    #   	Traceback (most recent call last):
    #   	Failure: builtins.KeyError: 'lost'
    #   	(a line holding just a tab)
    seen: list[tuple[Failure, str | None]] = []
    stream = io.StringIO()
    handler = log.startLogging(stream, setStdout=False)

    def observer(f: Failure, why: str | None) -> None:
        seen.append((f, why))

    log.add_observer(observer)
    failure = Failure(KeyError("lost"))
    try:
        events = _observed(lambda: log._unhandled_in_deferred(failure))
    finally:
        logging.getLogger("bridge").removeHandler(handler)
        log.remove_observer(observer)
    lines = [re.sub(r"^\S+ \S+ ", "", line) for line in stream.getvalue().split("\n")]
    assert lines[1:] == [
        "[-] Unhandled error in Deferred:",
        "[-] Unhandled Error",
        "\tTraceback (most recent call last):",
        "\tFailure: builtins.KeyError: 'lost'",
        "\t",
        "",
    ]
    assert [(e["message"], e["isError"], e.get("failure")) for e in events] == [
        (("Unhandled error in Deferred:",), True, None),
        ((), 1, failure),
    ]
    assert seen == [(failure, "Unhandled error in Deferred:")]


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: list[tuple[str, str]] = []
        self.exc_types: list[type[BaseException] | None] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append((record.levelname, record.getMessage()))
        self.exc_types.append(record.exc_info[0] if record.exc_info else None)


def _python_logging_records(log_module: Any, name: str) -> list[tuple[str, str]]:
    target = logging.getLogger(name)
    handler = _Records()
    target.addHandler(handler)
    old_level, target.level = target.level, logging.DEBUG
    observer = log_module.PythonLoggingObserver(name)
    observer.start()
    try:
        log_module.msg("hello", "world")
        log_module.msg("debug level", logLevel=logging.DEBUG)
        log_module.msg("by name", logLevel="WARNING")
        log_module.msg("unknown level", logLevel=15)
        log_module.msg("an error", isError=True)
        log_module.err(ValueError("boom"), "why text")
        log_module.err(ValueError("quiet"), "warned", logLevel=logging.WARNING)
    finally:
        observer.stop()
        target.removeHandler(handler)
        target.level = old_level
    return handler.seen


def test_python_logging_observer_levels_and_text_match_twisted() -> None:
    from twisted.python import log as tlog

    ours = _python_logging_records(log, "bridge.test.ours")
    assert ours == _python_logging_records(tlog, "bridge.test.theirs")
    assert ours[4] == ("CRITICAL", "an error")


def test_unhandled_in_deferred_under_python_logging_observer_matches_twisted() -> None:
    # Twisted 26, with PythonLoggingObserver started, logs a collected failed Deferred as
    # two CRITICAL records: the message, then an empty one with the exception as exc_info.
    target = logging.getLogger("bridge.test.unhandled")
    handler = _Records()
    target.addHandler(handler)
    observer = log.PythonLoggingObserver("bridge.test.unhandled")
    observer.start()
    try:
        log._unhandled_in_deferred(Failure(KeyError("lost")))
    finally:
        observer.stop()
        target.removeHandler(handler)
    assert handler.seen == [("CRITICAL", "Unhandled error in Deferred:"), ("CRITICAL", "")]
    assert handler.exc_types == [None, KeyError]


def test_start_logging_redirects_stdio_and_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import warnings

    monkeypatch.setattr(sys, "stdout", sys.stdout)
    monkeypatch.setattr(sys, "stderr", sys.stderr)
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)
    stream = io.StringIO()
    handler = log.startLogging(stream)
    try:
        assert isinstance(sys.stdout, log.StdioOnnaStick)
        print("hello", "print")
        sys.stdout.write("partial ")
        sys.stdout.write("line\n")
        sys.stderr.write("to stderr\n")
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.showwarning = log.showwarning
            warnings.warn_explicit("careful", UserWarning, "/src/mod.py", 9)
        assert log.startLogging(sys.stdout) is None  # already redirected: nothing done
    finally:
        logging.getLogger("bridge").removeHandler(handler)  # type: ignore[arg-type]
    lines = [re.sub(r"^\S+ \S+ ", "", line) for line in stream.getvalue().splitlines()]
    assert lines == [
        "[-] Log opened.",
        "[-] hello print",
        "[-] partial line",
        "[-] to stderr",
        "[-] /src/mod.py:9: builtins.UserWarning: careful",
    ]


def test_stdio_onna_stick_does_not_recurse_when_logging_fails(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    import sys

    class Broken(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            sys.stderr.write("handler broke\n")

    stick = log.StdioOnnaStick(isError=1)
    monkeypatch.setattr(sys, "stderr", stick)
    broken = Broken()
    logging.getLogger("bridge").addHandler(broken)
    try:
        stick.write("a line\n")
    finally:
        logging.getLogger("bridge").removeHandler(broken)
    assert "handler broke" in capfd.readouterr().err


def test_unhandled_in_deferred_with_debug_info_is_laid_out_as_twisted_does() -> None:
    # Twisted 26 with setDebugging(True): the failure's "why" is "(debug: <stacks>)".
    stream = io.StringIO()
    handler = log.startLogging(stream, setStdout=False)
    debug = " C: Deferred was created:\n C:  File X, in make\n I: First Invoker was:\n"
    try:
        events = _observed(lambda: log._unhandled_in_deferred(Failure(KeyError("k")), debug))
    finally:
        logging.getLogger("bridge").removeHandler(handler)  # type: ignore[arg-type]
    lines = [re.sub(r"^\S+ \S+ ", "", line) for line in stream.getvalue().split("\n")]
    assert lines[1:] == [
        "[-] Unhandled error in Deferred:",
        "[-] (debug:  C: Deferred was created:",
        "\t C:  File X, in make",
        "\t I: First Invoker was:",
        "\t)",
        "\tTraceback (most recent call last):",
        "\tFailure: builtins.KeyError: 'k'",
        "\t",
        "",
    ]
    assert [e.get("why") for e in events] == [None, f"(debug: {debug})"]
