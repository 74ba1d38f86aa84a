"""bridge.compat.install(): twisted.* import names resolve to bridge.

Each test runs in a fresh interpreter, because the aliases live in ``sys.modules`` and the
real Twisted (installed for interop tests) must not be imported first.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap

import pytest

from bridge import compat


def run_py(code: str, expect_ok: bool = True) -> str:
    """Run *code* in a new interpreter; return stdout (and check the exit status)."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if expect_ok:
        assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


def _available(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


@pytest.mark.parametrize("twisted_name", sorted(compat.TWISTED_ALIASES))
def test_alias_is_the_bridge_module(twisted_name: str) -> None:
    target = compat.TWISTED_ALIASES[twisted_name]
    if not _available(target):
        pytest.skip(f"{target} has not landed yet")
    package, _, leaf = twisted_name.rpartition(".")
    out = run_py(
        f"""
        import importlib
        from bridge import compat
        compat.install()
        import {twisted_name} as via_import
        from {package} import {leaf} as via_from
        target = importlib.import_module({target!r})
        print(via_import is target, via_from is target, target.__name__, target.__spec__.name)
        """
    )
    assert out.split() == ["True", "True", target, target]


def test_reactor_is_the_bridge_singleton() -> None:
    out = run_py(
        """
        from bridge import compat
        compat.install()
        from twisted.internet import reactor
        import twisted.internet.reactor
        import sys, bridge
        print(reactor is bridge.reactor, sys.modules["twisted.internet.reactor"] is reactor)
        print("__spec__" in vars(reactor))
        """
    )
    assert out.split() == ["True", "True", "False"]


def test_reactor_is_not_created_by_importing_the_package() -> None:
    out = run_py(
        """
        from bridge import compat, _runtime
        compat.install()
        import twisted.internet
        from twisted.internet import defer
        print(_runtime.is_installed())
        """
    )
    assert out.split() == ["False"]


def test_zope_interfaces_work_through_the_aliases() -> None:
    out = run_py(
        """
        from bridge import compat
        compat.install()
        from twisted.internet import reactor
        from twisted.internet.interfaces import IReactorTime, IReactorCore
        from zope.interface.verify import verifyObject
        print(IReactorTime.providedBy(reactor), verifyObject(IReactorCore, reactor))
        """
    )
    assert out.split() == ["True", "True"]


@pytest.mark.parametrize(
    "statement",
    [
        "import twisted.web.server",
        "from twisted.internet import gireactor",
        "from twisted.names import client",
        "import twisted.conch",
    ],
)
def test_unprovided_name_gets_an_import_error_pointing_at_the_porting_guide(
    statement: str,
) -> None:
    out = run_py(
        f"""
        from bridge import compat
        compat.install()
        try:
            {statement}
        except ImportError as exc:
            print("ImportError:", exc)
        """
    )
    assert "ImportError: No module named 'twisted." in out
    assert "bridge does not provide twisted." in out
    assert "docs/porting.md" in out


def test_missing_stand_in_module_is_named() -> None:
    out = run_py(
        """
        from bridge import compat
        compat.TWISTED_ALIASES["twisted.internet.gtk3reactor"] = "bridge._no_such_module"
        compat.install()
        try:
            import twisted.internet.gtk3reactor
        except ImportError as exc:
            print(exc)
        """
    )
    assert "its stand-in bridge._no_such_module is missing" in out


def test_refuses_when_real_twisted_is_imported() -> None:
    if not _available("twisted"):
        pytest.skip("Twisted is not installed")
    out = run_py(
        """
        import twisted.internet.defer
        from bridge import compat
        try:
            compat.install()
        except RuntimeError as exc:
            print("RuntimeError:", exc)
        print(compat.installed())
        """
    )
    assert "RuntimeError: bridge.compat.install(): the real Twisted is imported already" in out
    assert out.split()[-1] == "False"


def test_does_nothing_unless_called() -> None:
    if not _available("twisted"):
        pytest.skip("Twisted is not installed")
    out = run_py(
        """
        import sys
        import bridge, bridge.compat
        print(any(n == "twisted" or n.startswith("twisted.") for n in sys.modules))
        import twisted.internet.defer
        print(twisted.internet.defer.__name__, "site-packages" in twisted.__file__)
        """
    )
    assert out.split() == ["False", "twisted.internet.defer", "True"]


def test_install_twice_is_a_no_op_and_uninstall_restores() -> None:
    out = run_py(
        """
        import sys
        from bridge import compat
        compat.install()
        compat.install()
        print(sum(type(f).__name__ == "_TwistedAliasFinder" for f in sys.meta_path))
        import twisted.internet.error
        compat.uninstall()
        print(compat.installed(), "twisted.internet.error" in sys.modules)
        print(sum(type(f).__name__ == "_TwistedAliasFinder" for f in sys.meta_path))
        """
    )
    assert out.split() == ["1", "False", "False", "0"]


def test_main_module_provides_connection_constants_and_install_reactor() -> None:
    out = run_py(
        """
        import asyncio
        import bridge
        from bridge import compat
        compat.install()
        from twisted.internet.main import CONNECTION_DONE, CONNECTION_LOST, installReactor
        from twisted.internet import error
        # Exception instances, as in Twisted (not Failures).
        print(type(CONNECTION_DONE) is error.ConnectionDone)
        print(type(CONNECTION_LOST) is error.ConnectionLost)
        from bridge._reactor import AsyncioReactor
        loop = asyncio.new_event_loop()
        mine = AsyncioReactor(loop)
        installReactor(mine)
        from twisted.internet import reactor
        print(reactor is mine, bridge.reactor is mine)
        try:
            installReactor(AsyncioReactor(loop))
        except error.ReactorAlreadyInstalledError as exc:
            print("already")
        try:
            installReactor(object())
        except TypeError as exc:
            print("TypeError")
        loop.close()
        """
    )
    assert out.split() == ["True", "True", "True", "True", "already", "TypeError"]


def test_main_constants_match_twisted() -> None:
    if not _available("twisted"):
        pytest.skip("Twisted is not installed")
    code = """
        from twisted.internet import main
        print(repr(main.CONNECTION_DONE), str(main.CONNECTION_DONE))
        print(repr(main.CONNECTION_LOST), str(main.CONNECTION_LOST))
        """
    twisted_out = run_py(code)
    bridge_out = run_py("from bridge import compat\ncompat.install()\n" + textwrap.dedent(code))
    assert bridge_out == twisted_out


def test_asyncioreactor_install_uses_the_given_loop() -> None:
    out = run_py(
        """
        import asyncio
        from bridge import compat
        compat.install()
        from twisted.internet import asyncioreactor
        loop = asyncio.new_event_loop()
        asyncioreactor.install(loop)
        from twisted.internet import reactor
        print(reactor._loop is loop, isinstance(reactor, asyncioreactor.AsyncioSelectorReactor))
        loop.close()
        """
    )
    assert out.split() == ["True", "True"]


def test_twisted_style_program_runs_unchanged() -> None:
    import bridge.defer

    if not hasattr(bridge.defer, "inlineCallbacks"):
        pytest.skip("bridge.defer.inlineCallbacks has not landed yet")
    out = run_py(
        """
        from bridge import compat
        compat.install()
        from twisted.internet import reactor, defer
        from twisted.python.failure import Failure

        @defer.inlineCallbacks
        def main():
            later = defer.Deferred()
            reactor.callLater(0.01, later.callback, 21)
            value = yield later
            print("value", value * 2)
            try:
                yield defer.fail(ValueError("boom"))
            except ValueError as exc:
                print("caught", exc)
            reactor.stop()

        reactor.callWhenRunning(main)
        reactor.run()
        print("done")
        """
    )
    assert "value 42" in out
    assert "caught boom" in out
    assert out.rstrip().endswith("done")
