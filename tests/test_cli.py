"""``python -m bridge``: run Twisted-style scripts, --version, --help, exit codes."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import bridge
from bridge.__main__ import main


def bridge_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        check=False,
    )


def write(path: Path, code: str) -> Path:
    path.write_text(textwrap.dedent(code))
    return path


def test_version() -> None:
    result = bridge_cli("--version")
    assert result.returncode == 0
    assert result.stdout.startswith(f"bridge {bridge.__version__} (Python ")


def test_help_lists_run() -> None:
    result = bridge_cli("--help")
    assert result.returncode == 0
    assert "run       run a Twisted-style script on bridge" in result.stdout
    run_help = bridge_cli("run", "--help")
    assert run_help.returncode == 0
    assert "--loop {asyncio,uvloop}" in run_help.stdout


def test_no_command_prints_usage_and_exits_2() -> None:
    result = bridge_cli()
    assert result.returncode == 2
    assert "usage: bridge" in result.stderr


def test_missing_script_exits_2_with_a_message(tmp_path: Path) -> None:
    result = bridge_cli("run", str(tmp_path / "nope.py"))
    assert result.returncode == 2
    assert "bridge: error: run: can't open script" in result.stderr
    assert "nope.py': no such file" in result.stderr


def test_directory_is_not_a_script(tmp_path: Path) -> None:
    result = bridge_cli("run", str(tmp_path))
    assert result.returncode == 2
    assert "is a directory" in result.stderr


def test_bad_loop_is_a_usage_error(tmp_path: Path) -> None:
    script = write(tmp_path / "s.py", "print('hi')\n")
    result = bridge_cli("run", "--loop", "trio", str(script))
    assert result.returncode == 2
    assert "invalid choice: 'trio'" in result.stderr


def test_missing_module_exits_2() -> None:
    result = bridge_cli("run", "-m", "no_such_module_for_bridge")
    assert result.returncode == 2
    assert "no module named 'no_such_module_for_bridge'" in result.stderr


def test_script_runs_as_main_with_its_arguments(tmp_path: Path) -> None:
    write(tmp_path / "helper.py", "VALUE = 'from the script folder'\n")
    script = write(
        tmp_path / "prog.py",
        """
        import sys
        import helper
        print(__name__, sys.argv, helper.VALUE)
        """,
    )
    result = bridge_cli("run", str(script), "a", "--loop", "b", cwd=tmp_path.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"__main__ {[str(script), 'a', '--loop', 'b']} from the script folder"
    )


def test_exit_status_of_the_script_is_kept(tmp_path: Path) -> None:
    script = write(tmp_path / "exit3.py", "import sys\nsys.exit(3)\n")
    assert bridge_cli("run", str(script)).returncode == 3


def test_uncaught_exception_exits_1_with_traceback(tmp_path: Path) -> None:
    script = write(tmp_path / "boom.py", "raise ValueError('boom')\n")
    result = bridge_cli("run", str(script))
    assert result.returncode == 1
    assert "ValueError: boom" in result.stderr


TWISTED_SCRIPT = """
    import sys
    from twisted.internet import reactor, defer
    from twisted.internet.error import ReactorNotRunning

    def tick(d):
        d.callback("tock")

    d = defer.Deferred()
    d.addCallback(lambda v: print("got", v))
    d.addCallback(lambda _: reactor.stop())
    reactor.callLater(0.01, tick, d)
    reactor.run()
    loop = reactor._loop
    print("loop", type(loop).__module__, "reactor", type(reactor).__module__)
"""


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_unmodified_twisted_script_runs_on_the_chosen_loop(tmp_path: Path, loop: str) -> None:
    if loop == "uvloop" and importlib.util.find_spec("uvloop") is None:
        pytest.skip("uvloop not installed")
    script = write(tmp_path / "tw.py", TWISTED_SCRIPT)
    result = bridge_cli("run", "--loop", loop, str(script))
    assert result.returncode == 0, result.stderr
    assert "got tock" in result.stdout
    expected_module = "uvloop" if loop == "uvloop" else "asyncio.unix_events"
    assert f"loop {expected_module} reactor bridge._reactor" in result.stdout


def test_guest_mode_script_gets_the_chosen_loop(tmp_path: Path) -> None:
    if importlib.util.find_spec("uvloop") is None:
        pytest.skip("uvloop not installed")
    script = write(
        tmp_path / "guest.py",
        """
        import asyncio
        from twisted.internet import defer

        async def main():
            # Guest mode: the reactor is first used inside the running loop and binds to it.
            from twisted.internet import reactor

            d = defer.Deferred()
            reactor.callLater(0.01, d.callback, 7)
            loop = asyncio.get_running_loop()
            print("value", await d, type(loop).__module__, reactor._loop is loop)

        asyncio.run(main())
        """,
    )
    result = bridge_cli("run", "--loop", "uvloop", str(script))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["value", "7", "uvloop", "True"]


def test_unprovided_twisted_import_fails_with_porting_pointer(tmp_path: Path) -> None:
    script = write(tmp_path / "web.py", "from twisted.web import server\n")
    result = bridge_cli("run", str(script))
    assert result.returncode == 1
    assert "bridge does not provide twisted.web" in result.stderr
    assert "docs/porting.md" in result.stderr


def test_no_twisted_aliases_leaves_twisted_alone(tmp_path: Path) -> None:
    if importlib.util.find_spec("twisted") is None:
        pytest.skip("Twisted is not installed")
    script = write(tmp_path / "real.py", "import twisted.internet.defer as d\nprint(d.__file__)\n")
    result = bridge_cli("run", "--no-twisted-aliases", str(script))
    assert result.returncode == 0, result.stderr
    assert "site-packages" in result.stdout


def test_run_module(tmp_path: Path) -> None:
    package = tmp_path / "pkg_for_bridge_cli"
    package.mkdir()
    write(package / "__init__.py", "")
    write(package / "tool.py", "import sys\nprint('tool', __name__, sys.argv[1:])\n")
    result = bridge_cli("run", "-m", "pkg_for_bridge_cli.tool", "x", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "tool __main__ ['x']"


def test_main_returns_2_for_missing_script_in_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(tmp_path / "missing.py")]) == 2
    assert "can't open script" in capsys.readouterr().err
