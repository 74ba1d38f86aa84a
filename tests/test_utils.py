"""bridge.utils: getProcessOutput, getProcessValue, getProcessOutputAndValue, warnings helpers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

from bridge import utils
from bridge.defer import Deferred
from bridge.error import ProcessDone, ProcessTerminated

PY = sys.executable


def test_all() -> None:
    assert sorted(utils.__all__) == [
        "getProcessOutput",
        "getProcessOutputAndValue",
        "getProcessValue",
        "runWithWarningsSuppressed",
        "suppressWarnings",
    ]


def test_get_process_output_returns_stdout_whatever_the_exit_code(
    reactor: Any, run_until: Any
) -> None:
    d = utils.getProcessOutput(PY, ["-c", "print('out'); raise SystemExit(3)"], env=None)
    assert run_until(d) == b"out\n"


def test_get_process_output_uses_the_given_reactor(reactor: Any, run_until: Any) -> None:
    d = utils.getProcessOutput(PY, ["-c", "print('x')"], env=None, reactor=reactor)
    assert run_until(d) == b"x\n"


def test_stderr_fails_get_process_output_unless_errortoo(reactor: Any, run_until: Any) -> None:
    code = "import sys, time; sys.stderr.write('oops'); sys.stderr.flush(); time.sleep(0.1)"
    d = utils.getProcessOutput(PY, ["-c", code], env=None)
    with pytest.raises(IOError, match="got stderr: b'oops'") as info:
        run_until(d)
    ended = info.value.processEnded  # type: ignore[attr-defined]
    assert isinstance(ended, Deferred)
    with pytest.raises((ProcessDone, ProcessTerminated)):
        run_until(ended)


def test_errortoo_mixes_stderr_into_the_output(reactor: Any, run_until: Any) -> None:
    code = "import sys; sys.stdout.write('o'); sys.stdout.flush(); sys.stderr.write('e')"
    d = utils.getProcessOutput(PY, ["-c", code], env=None, errortoo=True)
    assert sorted(run_until(d)) == sorted(b"oe")


def test_get_process_value(reactor: Any, run_until: Any) -> None:
    assert run_until(utils.getProcessValue(PY, ["-c", "raise SystemExit(4)"], env=None)) == 4
    assert run_until(utils.getProcessValue("/bin/true")) == 0


def test_get_process_value_is_none_after_a_signal(reactor: Any, run_until: Any) -> None:
    code = "import os; os.kill(os.getpid(), 15)"
    assert run_until(utils.getProcessValue(PY, ["-c", code], env=None)) is None


def test_get_process_output_and_value(reactor: Any, run_until: Any) -> None:
    code = "import sys; sys.stdout.write('o'); sys.stderr.write('e'); sys.exit(2)"
    d = utils.getProcessOutputAndValue(PY, ["-c", code], env=None)
    assert run_until(d) == (b"o", b"e", 2)


def test_get_process_output_and_value_with_stdin(reactor: Any, run_until: Any) -> None:
    code = "import sys; sys.stdout.write(sys.stdin.read()[::-1])"
    d = utils.getProcessOutputAndValue(PY, ["-c", code], env=None, stdinBytes=b"abc")
    assert run_until(d) == (b"cba", b"", 0)


def test_get_process_output_and_value_signal_fails_with_unpackable_error(
    reactor: Any, run_until: Any
) -> None:
    code = "import os, sys; sys.stdout.write('o'); sys.stdout.flush(); os.kill(os.getpid(), 9)"
    d = utils.getProcessOutputAndValue(PY, ["-c", code], env=None)
    with pytest.raises(Exception, match="signal 9") as info:
        run_until(d)
    out, err, sig = info.value  # type: ignore[misc]
    assert (out, err, sig) == (b"o", b"", 9)
    assert info.value[2] == 9  # type: ignore[index]


def test_default_env_is_empty_and_none_inherits(
    reactor: Any, run_until: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIDGE_UTILS_VAR", "yes")
    assert run_until(utils.getProcessOutput("/usr/bin/env")) == b""
    inherited = run_until(utils.getProcessOutput("/usr/bin/env", env=None))
    assert b"BRIDGE_UTILS_VAR=yes" in inherited.split(b"\n")
    given = run_until(utils.getProcessOutput("/usr/bin/env", env={"K": "v"}))
    assert given == b"K=v\n"


def test_path(reactor: Any, run_until: Any, tmp_path: Path) -> None:
    d = utils.getProcessOutput(PY, ["-c", "import os; print(os.getcwd())"], env=None, path=tmp_path)
    assert run_until(d).strip() == os.fsencode(tmp_path.resolve())


def test_missing_executable_raises_at_once(reactor: Any) -> None:
    with pytest.raises(FileNotFoundError):
        utils.getProcessOutput("/nonexistent/tool")
    with pytest.raises(FileNotFoundError):
        utils.getProcessValue("/nonexistent/tool")


def test_args_must_be_a_sequence(reactor: Any) -> None:
    with pytest.raises(TypeError, match="sequence of arguments"):
        utils.getProcessOutput(PY, "-V")
    with pytest.raises(TypeError, match=r"args\[1\] must be bytes or str"):
        utils.getProcessOutput(PY, [3])  # type: ignore[list-item]


_TWISTED = r"""
import json, sys
from twisted.internet import reactor, utils, defer
cases = json.loads(sys.argv[1])
out = {}
@defer.inlineCallbacks
def main():
    for name, code in cases.items():
        o, e, c = yield utils.getProcessOutputAndValue(sys.executable, ["-c", code], env=None)
        v = yield utils.getProcessValue(sys.executable, ["-c", code], env=None)
        p = yield utils.getProcessOutput(sys.executable, ["-c", code], env=None, errortoo=True)
        out[name] = [o.decode(), e.decode(), c, v, sorted(p.decode())]
    reactor.stop()
reactor.callWhenRunning(main)
reactor.run()
print(json.dumps(out))
"""

_CASES = {
    "plain": "print('hello')",
    "both": "import sys; sys.stdout.write('a'); sys.stderr.write('b'); sys.exit(5)",
    "silent": "pass",
}


def test_same_results_as_real_twisted(reactor: Any, run_until: Any) -> None:
    pytest.importorskip("twisted")
    completed = subprocess.run(
        [PY, "-c", _TWISTED, json.dumps(_CASES)], capture_output=True, timeout=60, check=True
    )
    theirs = json.loads(completed.stdout)
    for name, code in _CASES.items():
        o, e, c = run_until(utils.getProcessOutputAndValue(PY, ["-c", code], env=None))
        v = run_until(utils.getProcessValue(PY, ["-c", code], env=None))
        p = run_until(utils.getProcessOutput(PY, ["-c", code], env=None, errortoo=True))
        assert [o.decode(), e.decode(), c, v, sorted(p.decode())] == theirs[name], name


# -- warnings -----------------------------------------------------------------------------------


def _warn() -> str:
    warnings.warn("noisy", DeprecationWarning, stacklevel=1)
    return "done"


def test_run_with_warnings_suppressed() -> None:
    suppressed = [(("ignore",), {"category": DeprecationWarning})]
    before = list(warnings.filters)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert utils.runWithWarningsSuppressed(suppressed, _warn) == "done"
        assert caught == []
        _warn()
        assert len(caught) == 1
    assert warnings.filters == before


def test_run_with_warnings_suppressed_until_the_deferred_fires() -> None:
    suppressed = [(("ignore",), {"message": "noisy"})]
    d: Deferred[None] = Deferred()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert utils.runWithWarningsSuppressed(suppressed, lambda: d) is d
        _warn()
        assert caught == []
        d.callback(None)
        _warn()
        assert len(caught) == 1


def test_run_with_warnings_suppressed_removes_filters_on_error() -> None:
    before = list(warnings.filters)

    def boom() -> None:
        raise ValueError("x")

    with pytest.raises(ValueError):
        utils.runWithWarningsSuppressed([(("ignore",), {})], boom)
    assert warnings.filters == before


def test_suppress_warnings_decorator() -> None:
    quiet = utils.suppressWarnings(_warn, (("ignore",), {"category": DeprecationWarning}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert quiet() == "done"
        assert caught == []
    assert quiet.__name__ == "_warn"
