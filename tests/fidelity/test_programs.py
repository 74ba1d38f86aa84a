"""Differential fidelity tests: typical Twisted programs, run unchanged on Twisted and on bridge.

Each program in ``programs/`` imports only ``twisted.*`` names, is deterministic, finishes
in seconds and prints what it observes. It runs once under the real Twisted installed in the
venv (the reference) and under ``python -m bridge run`` on stdlib asyncio and on uvloop; the
standard outputs must be identical after normalising what genuinely varies from run to run
(object addresses, ephemeral ports). All runs start together in a small thread pool
(``_runner.py``), so the suite costs about as much as its slowest program.

A program that shows a known divergence is marked ``xfail(strict=True)`` with the divergence
as reason: the gap stays recorded, and the mark fails the suite once the divergence is fixed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fidelity import _runner

HERE = Path(__file__).resolve().parent
PROGRAMS = HERE / "programs"
ROOT = HERE.parent.parent
PYTHON = sys.executable
TIMEOUT = 45.0

#: program name -> divergence (xfail reason) or None.
KNOWN: dict[str, str | None] = {
    "asyncioreactor_interop": None,
    "defer_basics": None,
    "inline_lists": None,
    "failure_format": None,
    "tcp_protocols": None,
    "reactor_time": None,
    "threads_process": None,
    "endpoints_sync": None,
    "memory_testing": None,
    "logging_observers": None,
    "log_opened": None,
    "errors_addresses": None,
    "react_exit": None,
    "udp_unix_coop": None,
    "defer_edges": None,
    "protocol_errors": None,
    "endpoints_more": None,
    "threads_more": None,
    "process_more": None,
    "reconnect_restart": None,
    "clock_semantics": None,
    "interfaces_provided": None,
    "loopingcall_misuse": None,
    "public_names": None,
    "timeout_args": None,
    "connection_made_error": None,
    "inline_return_deferred": None,
    "transport_details": None,
    "main_constants": None,
    "delayedcall_str": None,
    "refused_message": None,
    "unix_datagram": None,
    "name_resolution": None,
    "halfclose_producers": None,
    "connect_failures": None,
    "reactor_loop_api": None,
    "log_systems": None,
    "udp_more": None,
    "tls_howto": None,
    "defer_reference": None,
    "inline_cancel_timeout": None,
    "coroutine_cancel": None,
    "failure_api": None,
    "log_legacy": None,
    "task_howto": None,
    "threads_howto": None,
    "log_stdio": None,
    "clock_driven_protocol": None,
    "doc_echo_examples": None,
    "doc_simple_echo": None,
    "doc_chat_server": None,
    "doc_udp_echo": None,
    "doc_process_listings": None,
    "doc_udp_listings": None,
    "doc_starttls": (
        "a client whose certificate check fails after STARTTLS (the examples' name has no "
        "subjectAltName): Twisted finishes the handshake, logs the error and aborts later, so "
        "the server still receives the client's data and sees ConnectionDone; bridge's stdlib "
        "handshake fails at once, the server sees ConnectionLost and no data"
    ),
    "doc_streaming": (
        "with startLogging's stdout redirect, print() in a protocol callback is logged with the "
        "callback's log context system under bridge ([ServeRandom,0,127.0.0.1]); Twisted 26 "
        "logs it as [-] (reported to defer-fidelity, bridge/log.py)"
    ),
}

#: program name -> documented deliberate difference: the program is not compared.
DELIBERATE: dict[str, str] = {
    "inline_return_deferred": (
        "deliberate (docs/deferreds-and-coroutines.md): callback(aDeferred) raises AssertionError "
        "and a coroutine/inlineCallbacks returning a Deferred fails with TypeError; Twisted 26 "
        "passes the Deferred on as the value"
    ),
}

VARIANTS = ("asyncio", "uvloop")
#: Programs also run through ``bridge.compat.install()`` in a plain interpreter (no CLI).
COMPAT_PROGRAMS = ("defer_basics", "tcp_protocols", "reactor_time", "memory_testing")

_COMPAT_MAIN = (
    "import runpy, sys, bridge.compat; bridge.compat.install(); "
    "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)

_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
# Under the twisted.* aliases the classes *are* bridge's, so their dotted names differ: not a
# behaviour difference (docs/porting.md, "Import names").
_MODULES = (
    ("bridge.failure.", "twisted.python.failure."),
    ("bridge.error.", "twisted.internet.error."),
    ("bridge.defer.", "twisted.internet.defer."),
    ("bridge.protocol.", "twisted.internet.protocol."),
)
_PORT = re.compile(r"(port=|PORT:|127\.0\.0\.1:)\d+")


def normalise(text: str) -> str:
    """Replace object addresses and ephemeral ports, which differ from run to run."""
    text = _ADDRESS.sub("0xADDR", text)
    for ours, theirs in _MODULES:
        text = text.replace(ours, theirs)
    return _PORT.sub(r"\g<1>N", text)


def _command(name: str, variant: str) -> list[str]:
    script = str(PROGRAMS / f"{name}.py")
    if variant == "twisted":
        return [PYTHON, script]
    if variant == "compat":
        return [PYTHON, "-c", _COMPAT_MAIN, script]
    return [PYTHON, "-m", "bridge", "run", "--loop", variant, script]


def _run(name: str, variant: str) -> tuple[int, str, str]:
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1")
    env.pop("BRIDGE_LOOP", None)
    try:
        proc = subprocess.run(
            _command(name, variant),
            cwd=str(PROGRAMS),
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return -999, out, f"timed out after {TIMEOUT}s"
    return proc.returncode, proc.stdout, proc.stderr


def _variants(name: str) -> tuple[str, ...]:
    return (*VARIANTS, "compat") if name in COMPAT_PROGRAMS else VARIANTS


def schedule() -> None:
    """Start every run of every program (conftest.py calls this after collection)."""
    for prog in KNOWN:
        if prog in DELIBERATE:
            continue
        for var in ("twisted", *_variants(prog)):
            _runner.submit(("program", prog, var), _run, prog, var)


def _result(name: str, variant: str) -> tuple[int, str, str]:
    result: tuple[int, str, str] = _runner.submit(
        ("program", name, variant), _run, name, variant
    ).result()
    return result


def _params() -> list[object]:
    params = []
    for name, reason in KNOWN.items():
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        if name in DELIBERATE:
            marks = [pytest.mark.skip(reason=DELIBERATE[name])]
        for variant in _variants(name):
            params.append(pytest.param(name, variant, marks=marks, id=f"{name}-{variant}"))
    return params


@pytest.mark.timeout(TIMEOUT * 4)
@pytest.mark.parametrize(("name", "variant"), _params())
def test_program_matches_twisted(name: str, variant: str) -> None:
    ref_rc, ref_out, ref_err = _result(name, "twisted")
    assert ref_rc == 0, f"reference run under Twisted failed ({ref_rc}):\n{ref_err}"
    assert ref_out.strip(), "the reference run printed nothing"
    rc, out, err = _result(name, variant)
    assert normalise(out) == normalise(ref_out), f"stderr under bridge:\n{err}"
    assert rc == ref_rc, f"exit status {rc} != {ref_rc}; stderr under bridge:\n{err}"


def test_normalise_hides_only_varying_things() -> None:
    line = "<Deferred at 0x7f00aa> IPv4Address(type='TCP', host='127.0.0.1', port=4321)"
    assert normalise(line) == (
        "<Deferred at 0xADDR> IPv4Address(type='TCP', host='127.0.0.1', port=N)"
    )
    assert normalise("value 4321") == "value 4321"
    assert normalise("<bridge.failure.Failure builtins.KeyError: 'k'>") == (
        "<twisted.python.failure.Failure builtins.KeyError: 'k'>"
    )
