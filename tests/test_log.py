"""bridge.log: msg/err on the stdlib "bridge" logger, observers."""

from __future__ import annotations

import gc
import io
import logging

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
    handler = log.startLogging(stream)
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
    handler = log.startLogging(stream)
    logging.getLogger("bridge").removeHandler(handler)
    assert "Log opened." in stream.getvalue()
