"""bridge.failure.Failure: capture, inspection, formatting, pickling."""

from __future__ import annotations

import io
import pickle
import sys

import pytest

from bridge.failure import Failure, NoCurrentExceptionError


def _raise_value_error() -> Failure:
    try:
        raise ValueError("bad value")
    except ValueError:
        return Failure()


def test_captures_current_exception() -> None:
    f = _raise_value_error()
    assert f.type is ValueError
    assert isinstance(f.value, ValueError)
    assert f.tb is not None
    assert f.getErrorMessage() == "bad value"


def test_without_exception_raises() -> None:
    with pytest.raises(NoCurrentExceptionError):
        Failure()


def test_wraps_given_exception_and_class() -> None:
    assert Failure(KeyError("k")).type is KeyError
    assert Failure(KeyError).type is KeyError


def test_check_by_class_and_name() -> None:
    f = Failure(KeyError("k"))
    assert f.check(ValueError, LookupError) is LookupError
    assert f.check("builtins.KeyError") == "builtins.KeyError"
    assert f.check(ValueError) is None


def test_trap_reraises_original_when_nothing_matches() -> None:
    f = _raise_value_error()
    assert f.trap(ValueError) is ValueError
    with pytest.raises(ValueError, match="bad value"):
        f.trap(KeyError)


def test_raise_exception_keeps_original_traceback() -> None:
    f = _raise_value_error()
    with pytest.raises(ValueError) as info:
        f.raiseException()
    names = [entry.name for entry in info.traceback]
    assert "_raise_value_error" in names


def test_get_traceback_mentions_frames_and_message() -> None:
    text = _raise_value_error().getTraceback()
    assert "Traceback (most recent call last)" in text
    assert "_raise_value_error" in text
    assert "ValueError: bad value" in text
    assert Failure(ValueError("x")).getTraceback() == (
        "Traceback (most recent call last):\nFailure: builtins.ValueError: x\n"
    )
    assert text.endswith("builtins.ValueError: bad value\n")


def test_clean_failure_drops_tb_but_keeps_text() -> None:
    f = _raise_value_error()
    f.cleanFailure()
    assert f.tb is None
    text = f.getTraceback()
    assert "_raise_value_error" in text and "ValueError: bad value" in text


def test_chained_exception_in_traceback() -> None:
    try:
        try:
            raise KeyError("inner")
        except KeyError as e:
            raise ValueError("outer") from e
    except ValueError:
        f = Failure()
    text = f.getTraceback()
    assert "KeyError: 'inner'" in text and "ValueError: outer" in text
    f.cleanFailure()
    assert "KeyError: 'inner'" in f.getTraceback()


@pytest.mark.skipif(sys.version_info < (3, 11), reason="ExceptionGroup is 3.11+")
def test_exception_group() -> None:
    group = ExceptionGroup("many", [ValueError("a"), KeyError("b")])  # noqa: F821
    f = Failure(group)
    assert f.check(ExceptionGroup)  # noqa: F821
    assert "ValueError: a" in f.getTraceback()


def test_pickle_round_trip() -> None:
    f = _raise_value_error()
    g = pickle.loads(pickle.dumps(f))
    assert g.type is ValueError
    assert g.getErrorMessage() == "bad value"
    assert g.tb is None
    assert "_raise_value_error" in g.getTraceback()


def test_repr_and_brief() -> None:
    f = Failure(ValueError("x"))
    assert repr(f) == "<bridge.failure.Failure builtins.ValueError: x>"
    assert f.getBriefTraceback() == (
        "Traceback (failure with no frames): <class 'ValueError'>: x\n"
    )
    assert str(f) == f"[Failure instance: {f.getBriefTraceback()}]"
    out = io.StringIO()
    f.printTraceback(out)
    assert "ValueError: x" in out.getvalue()


def test_frames_and_parents() -> None:
    f = _raise_value_error()
    assert f.frames[-1][0] == "_raise_value_error"
    assert "builtins.Exception" in f.parents


def test_throw_into_generator() -> None:
    def gen():  # type: ignore[no-untyped-def]
        try:
            yield 1
        except ValueError:
            yield "caught"

    g = gen()
    next(g)
    assert _raise_value_error().throwExceptionIntoGenerator(g) == "caught"


def _raise_from(exc_factory: object) -> None:
    raise exc_factory()  # type: ignore[operator]


def test_formats_match_twisted() -> None:
    from twisted.python.failure import Failure as TFailure

    try:
        _raise_from(lambda: RuntimeError("explicit"))
    except RuntimeError:
        ours, theirs = Failure(), TFailure()
    assert str(ours) == str(theirs)
    assert ours.getBriefTraceback() == theirs.getBriefTraceback()
    assert ours.getTraceback().splitlines()[-1] == theirs.getTraceback().splitlines()[-1]
    assert [line for line in ours.getTraceback().splitlines() if "File" in line] == [
        line for line in theirs.getTraceback().splitlines() if "File" in line
    ]
    assert str(Failure(ValueError("d"))) == str(TFailure(ValueError("d")))
    assert Failure(ValueError("d")).getTraceback() == TFailure(ValueError("d")).getTraceback()


def test_count_numbers_failures_and_pickled_marks_copies() -> None:
    from bridge import failure

    f = Failure(ValueError("x"))
    assert f.count == failure.count
    assert Failure(ValueError("y")).count == f.count + 1
    assert f.pickled == 0
    g = pickle.loads(pickle.dumps(f))
    assert (g.pickled, g.count) == (1, f.count)


def test_failure_of_a_failure_copies_it() -> None:
    f = _raise_value_error()
    g = Failure(f)
    assert (g.type, g.value, g.tb) == (f.type, f.value, f.tb)
    assert g.count == f.count + 1
    assert g.getTraceback() == f.getTraceback()


def test_format_frames_matches_twisted() -> None:
    from twisted.python import failure as tfailure

    from bridge import failure

    frames = _raise_value_error().frames
    frames_with_vars = [(*frame[:3], [("a", 1)], [("g", "x")]) for frame in frames]
    for detail in ("default", "brief", "verbose-vars-not-captured"):
        ours: list[str] = []
        theirs: list[str] = []
        failure.format_frames(frames, ours.append, detail)
        tfailure.format_frames(frames, theirs.append, detail)  # type: ignore[no-untyped-call]
        assert ours == theirs, detail
    ours, theirs = [], []
    failure.format_frames(frames_with_vars, ours.append, "verbose")
    tfailure.format_frames(frames_with_vars, theirs.append, "verbose")  # type: ignore[no-untyped-call]
    assert ours == theirs
    with pytest.raises(ValueError, match="detail"):
        failure.format_frames(frames, ours.append, "loud")


def test_module_constants_match_twisted() -> None:
    from twisted.python import failure as tfailure

    from bridge import failure

    for name in ("traceupLength", "EXCEPTION_CAUGHT_HERE", "DO_POST_MORTEM"):
        assert getattr(failure, name) == getattr(tfailure, name)


class _BadStr(Exception):
    def __str__(self) -> str:
        raise RuntimeError("bad str")


def test_error_message_is_safe_str_as_twisteds() -> None:
    from twisted.python.failure import Failure as TFailure

    for exc in (ValueError(), ValueError("x"), KeyError("k"), ValueError(b"\xff")):
        assert Failure(exc).getErrorMessage() == TFailure(exc).getErrorMessage()
        assert repr(Failure(exc)).split(" ", 1)[1] == repr(TFailure(exc)).split(" ", 1)[1]
    bad = _BadStr()
    ours, theirs = Failure(bad).getErrorMessage(), TFailure(bad).getErrorMessage()
    for text in (ours, theirs):
        assert text.startswith(f"<_BadStr instance at 0x{id(bad):x} with str error:\n Traceback")
        assert text.endswith("RuntimeError: bad str\n>")
    assert str(Failure(bad)).startswith("[Failure instance: Traceback (failure with no frames): ")
    assert (
        Failure(bad).getTraceback().splitlines()[-1]
        == TFailure(bad).getTraceback().splitlines()[-1]
    )
