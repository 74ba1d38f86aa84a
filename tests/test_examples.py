"""Smoke tests: every program in examples/ runs to completion, in time, with the expected output.

Each example runs in a subprocess (as a user would run it, ``python examples/x.py``) with a
timeout; a few also run through ``python -m bridge run``. Output checks are on lines that only
a working run prints.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TIMEOUT = 45

# example path -> (bridge modules it needs, lines its output must contain)
CASES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "poetry/demo.py": (
        ("bridge._reactor.tcp",),
        (
            "on uvloop.Loop",
            "Shall I compare thee to a summer's day?",
            "O Rose thou art sick.",
            '"Hope" is the thing with feathers -',
            "Got 3 of 3 poems in",
            "addReader client: 3 poems, 1320 bytes in",
            "demo finished",
        ),
    ),
    "poetry/get_poetry.py": (
        ("bridge._reactor.tcp",),
        ("Got 3 of 3 poems in", "So long lives this, and this gives life to thee."),
    ),
    "poetry/socket_reader.py": (
        ("bridge._reactor.tcp", "bridge._reactor.fd"),
        ("Task 1 finished: Connection was closed cleanly.", "Got 3 poems in"),
    ),
    "threads_demo.py": (
        ("bridge.threads",),
        (
            "deferToThread result: sum = 499999500000",
            "callInThread job reported back through callFromThread",
            "reactor stopped",
        ),
    ),
    "echo_client.py": (
        ("bridge.endpoints",),
        ("sent 'hello' -> echoed 'hello'", "3 messages echoed by 127.0.0.1:"),
    ),
    "chat_server.py": (
        ("bridge.basic", "bridge.endpoints"),
        ("<alice> hi everybody", "<bob> hello alice", "* carol left", "chat demo finished"),
    ),
    "folder_sync.py": (
        ("bridge.basic", "bridge.endpoints"),
        ("receiver answered: OK 5", "trees identical: 5 files in 6 folders"),
    ),
    "await_deferred.py": (
        ("bridge.aio", "bridge.task"),
        (
            "await an unfired Deferred: fired later",
            "await a fired Deferred: fired already",
            "await an inlineCallbacks result: 5",
            "wait_for timed out and cancelled the Deferred (canceller ran)",
            "a failed Deferred raises in the coroutine: ValueError(bad input)",
            "asyncio.gather over a Deferred and a coroutine: [2, 'slept']",
        ),
    ),
    "drive_asyncio.py": (
        ("bridge.aio", "bridge._reactor.tcp"),
        (
            "inlineCallbacks yielded an asyncio coroutine: HELLO FROM INLINECALLBACKS",
            "Deferred.fromCoroutine: FROM ENSUREDEFERRED (inside asyncio task: True)",
            "a callback chain on an asyncio coroutine: CALLBACK CHAIN!",
            "cancelling the Deferred cancelled the task: the asyncio task saw CancelledError",
        ),
    ),
    "guest_mode.py": (
        ("bridge.basic", "bridge.endpoints"),
        (
            "callWhenRunning fired inside the running loop: True",
            "reactor.running = True",
            "asyncio client got: bridge says hello to asyncio",
            "bridge client got: egdirb",
            "after reactor.stop(): reactor.running = False, asyncio app still running",
        ),
    ),
    "uvloop_switch.py": (
        ("bridge.endpoints",),
        ("on asyncio.", "TCP round trip: sent b'ping', got b'ping'"),
    ),
}


def _missing(modules: tuple[str, ...]) -> list[str]:
    missing = []
    for name in modules:
        try:
            if importlib.util.find_spec(name) is None:
                missing.append(name)
        except ModuleNotFoundError:
            missing.append(name)
    return missing


def run_example(
    path: str,
    *args: str,
    env: dict[str, str] | None = None,
    via_cli: bool = False,
    cli_options: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Run examples/<path> with *args*; via ``python -m bridge run [cli_options]`` if asked."""
    script = EXAMPLES / path
    if via_cli:
        command = [sys.executable, "-m", "bridge", "run", *cli_options, str(script), *args]
    else:
        command = [sys.executable, str(script), *args]
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    full_env.pop("BRIDGE_LOOP", None)  # the caller's shell must not choose the loop for us
    full_env.update(env or {})
    return subprocess.run(
        command,
        cwd=script.parent,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def check(result: subprocess.CompletedProcess[str], expected: tuple[str, ...]) -> None:
    report = f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    assert result.returncode == 0, report
    for line in expected:
        assert line in result.stdout, f"missing {line!r}\n{report}"
    assert "Traceback" not in result.stderr, report


@pytest.mark.parametrize("path", sorted(CASES))
def test_example_runs(path: str) -> None:
    modules, expected = CASES[path]
    if missing := _missing(modules):
        pytest.skip(f"needs {', '.join(missing)} (not landed yet)")
    check(run_example(path), expected)


@pytest.mark.skipif(importlib.util.find_spec("uvloop") is None, reason="uvloop not installed")
@pytest.mark.parametrize("path", ["echo_client.py", "threads_demo.py", "await_deferred.py"])
def test_example_runs_on_uvloop(path: str) -> None:
    modules, expected = CASES[path]
    if missing := _missing(modules):
        pytest.skip(f"needs {', '.join(missing)} (not landed yet)")
    check(run_example(path, env={"BRIDGE_LOOP": "uvloop"}), expected)


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_uvloop_switch_flag(loop: str) -> None:
    if missing := _missing(CASES["uvloop_switch.py"][0]):
        pytest.skip(f"needs {', '.join(missing)} (not landed yet)")
    if loop == "uvloop" and importlib.util.find_spec("uvloop") is None:
        pytest.skip("uvloop not installed")
    check(run_example("uvloop_switch.py", "--loop", loop), (f"on {loop}.",))


@pytest.mark.parametrize("path", sorted(CASES))
def test_example_runs_under_bridge_run(path: str) -> None:
    modules, expected = CASES[path]
    if missing := _missing((*modules, "bridge.__main__")):
        pytest.skip(f"needs {', '.join(missing)} (not landed yet)")
    check(run_example(path, via_cli=True), expected)


def test_echo_server_serves_until_sigterm() -> None:
    if missing := _missing(CASES["echo_client.py"][0]):
        pytest.skip(f"needs {', '.join(missing)} (not landed yet)")
    server = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "echo_server.py")],
        cwd=EXAMPLES,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        assert first.startswith("echo server listening on 127.0.0.1:"), first
        address = first.rsplit(" ", 1)[1].strip()
        client = run_example("echo_client.py", address, "one", "two")
        check(client, ("sent 'one' -> echoed 'one'", f"2 messages echoed by {address}"))
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=TIMEOUT)
    assert server.returncode == 0, err
    assert "echo server stopped" in out, (out, err)


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_unmodified_twisted_program_matches_real_twisted(loop: str) -> None:
    """examples/unmodified_twisted.py prints the same on bridge as on real Twisted."""
    if missing := _missing(("bridge.endpoints", "bridge.basic", "bridge.__main__")):
        pytest.skip(f"needs {', '.join(missing)} (not landed yet)")
    if loop == "uvloop" and importlib.util.find_spec("uvloop") is None:
        pytest.skip("uvloop not installed")
    on_bridge = run_example("unmodified_twisted.py", via_cli=True, cli_options=("--loop", loop))
    check(on_bridge, ("running on bridge._reactor.", "DeferredList: [0, 1, 4, 9]"))
    if importlib.util.find_spec("twisted") is None:
        return
    on_twisted = run_example("unmodified_twisted.py")
    check(on_twisted, ("running on twisted.internet.",))
    assert on_bridge.stdout.splitlines()[1:] == on_twisted.stdout.splitlines()[1:]
