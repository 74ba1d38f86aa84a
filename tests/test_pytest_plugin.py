"""bridge's pytest plugin, tested in isolated temporary projects (pytester, in a subprocess).

Plugin autoloading is disabled in those runs so the project's own conftest and any installed
entry point stay out of the way; each run loads pytest-asyncio and bridge's plugin by name.
"""

from __future__ import annotations

import importlib.util
import textwrap

import pytest

pytest_plugins = ["pytester"]

# Each test runs pytest in a subprocess: allow for a slow, shared CI machine.
pytestmark = pytest.mark.timeout(240)

HAVE_UVLOOP = importlib.util.find_spec("uvloop") is not None


@pytest.fixture
def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.delenv("BRIDGE_LOOP", raising=False)

    def run_pytest(ini: str = "", **files: str) -> pytest.RunResult:
        pytester.makeini(
            "[pytest]\nasyncio_default_fixture_loop_scope = function\n" + textwrap.dedent(ini)
        )
        pytester.makepyfile(**{name: textwrap.dedent(code) for name, code in files.items()})
        return pytester.runpytest_subprocess(
            "-p",
            "pytest_asyncio.plugin",
            "-p",
            "bridge._pytest_plugin",
            "-p",
            "no:cacheprovider",
            "-rfEsx",
        )

    return run_pytest


def test_sync_reactor_fixture_and_run_until(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        test_sync="""
        import bridge
        from bridge import _runtime, task

        def test_reactor_is_the_default(reactor, run_until):
            assert bridge.reactor is reactor
            assert run_until(task.deferLater(reactor, 0.01, lambda: 42)) == 42

        def test_fresh_reactor_each_time(reactor):
            assert reactor.getDelayedCalls() == []
            reactor.callLater(10, lambda: None)

        def test_after_previous_test(reactor):
            assert reactor.getDelayedCalls() == []

        def test_clock(clock):
            calls = []
            clock.callLater(5, calls.append, "x")
            clock.advance(5)
            assert calls == ["x"]

        def test_run_until_raises_the_failure(reactor, run_until):
            import pytest
            from bridge import defer
            with pytest.raises(ValueError, match="nope"):
                run_until(defer.fail(ValueError("nope")))
        """
    )
    result.assert_outcomes(passed=5)


def test_test_returning_deferred_is_waited_for(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        ini="bridge_timeout = 0.5\n",
        test_deferreds="""
        from bridge import defer, task

        @defer.inlineCallbacks
        def test_inline_callbacks(reactor):
            value = yield task.deferLater(reactor, 0.01, lambda: 3)
            assert value == 3

        def test_returns_deferred(reactor):
            return task.deferLater(reactor, 0.01, lambda: None)

        def test_returns_failing_deferred(reactor):
            def boom():
                raise KeyError("late")
            return task.deferLater(reactor, 0.01, boom)

        def test_never_fires():
            return defer.Deferred()

        @defer.inlineCallbacks
        def test_assertion_inside(reactor):
            yield task.deferLater(reactor, 0.01, lambda: None)
            assert 1 == 2
        """,
    )
    result.assert_outcomes(passed=2, failed=3)
    result.stdout.fnmatch_lines(["FAILED*test_returns_failing_deferred*KeyError*"])
    result.stdout.fnmatch_lines(["FAILED*test_never_fires*TimeoutError*"])
    result.stdout.fnmatch_lines(["E*TimeoutError: <Deferred at 0x*> had no result after 0.5 s"])
    result.stdout.fnmatch_lines(["FAILED*test_assertion_inside*assert 1 == 2*"])


ASYNC_TESTS = """
import asyncio
import pytest
import pytest_asyncio
from bridge import defer, task

@pytest_asyncio.fixture
async def loop_of_fixture():
    return asyncio.get_running_loop()

@pytest.mark.asyncio
async def test_reactor_on_the_test_loop(reactor, loop_of_fixture):
    loop = asyncio.get_running_loop()
    assert reactor._loop is loop
    assert loop_of_fixture is loop
    assert await task.deferLater(reactor, 0.01, lambda: "ok") == "ok"
    assert reactor.running

@pytest.mark.asyncio(loop_scope="module")
async def test_module_loop_one(reactor):
    global FIRST_LOOP
    FIRST_LOOP = asyncio.get_running_loop()
    assert reactor._loop is FIRST_LOOP

@pytest.mark.asyncio(loop_scope="module")
async def test_module_loop_two(reactor):
    assert asyncio.get_running_loop() is FIRST_LOOP
    assert reactor._loop is FIRST_LOOP
    d = defer.Deferred()
    reactor.callLater(0.01, d.callback, 5)
    assert await d == 5
"""


@pytest.mark.parametrize("mode", ["strict", "auto"])
def test_reactor_shares_the_pytest_asyncio_loop(run, mode: str) -> None:  # type: ignore[no-untyped-def]
    result = run(ini=f"asyncio_mode = {mode}\n", test_async=ASYNC_TESTS)
    result.assert_outcomes(passed=3)


@pytest.mark.skipif(not HAVE_UVLOOP, reason="uvloop not installed")
def test_uvloop_through_loop_factories_and_ini(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        ini="bridge_loop = uvloop\n",
        conftest="""
        import uvloop

        def pytest_asyncio_loop_factories(config, item):
            return {"uvloop": uvloop.new_event_loop}
        """,
        test_uv="""
        import asyncio
        import pytest

        @pytest.mark.asyncio
        async def test_async(reactor):
            assert type(asyncio.get_running_loop()).__module__.startswith("uvloop")
            assert reactor._loop is asyncio.get_running_loop()

        def test_sync(reactor):
            assert type(reactor._loop).__module__.startswith("uvloop")
        """,
    )
    result.assert_outcomes(passed=2)


def test_logged_errors_fail_tests_that_use_bridge_fixtures(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        test_errors="""
        import gc
        from bridge import defer, log

        def test_logged_error_fails(reactor):
            log.err(ValueError("logged"), "doing things")

        def test_unhandled_deferred_fails(reactor):
            defer.fail(ZeroDivisionError("nobody handled me"))

        def test_flushed_error_passes(reactor, logged_errors):
            log.err(ValueError("expected"), "doing things")
            log.err(KeyError("other"), "doing things")
            assert [f.type for f in logged_errors.flush(ValueError)] == [ValueError]
            assert len(logged_errors.flush()) == 1

        def test_without_bridge_fixtures_is_not_checked():
            log.err(ValueError("not my business"), "elsewhere")
        """
    )
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(["FAILED*test_logged_error_fails*1 error(s) logged*"])
    result.stdout.fnmatch_lines(["FAILED*test_unhandled_deferred_fails*"])
    result.stdout.fnmatch_lines(["*ZeroDivisionError: nobody handled me*"])


def test_logged_errors_mode_all_and_off(run, pytester: pytest.Pytester) -> None:  # type: ignore[no-untyped-def]
    code = """
    from bridge import log

    def test_plain():
        log.err(ValueError("x"), "y")
    """
    run(ini="bridge_logged_errors = all\n", test_mode=code).assert_outcomes(failed=1)
    run(ini="bridge_logged_errors = off\n", test_mode=code).assert_outcomes(passed=1)


def test_tcp_pair(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        ini="asyncio_mode = strict\n",
        test_pair="""
        import pytest
        from bridge import defer, protocol

        class Echo(protocol.Protocol):
            def dataReceived(self, data):
                self.transport.write(data)

        class Collect(protocol.Protocol):
            def __init__(self):
                self.received = b""
                self.got = defer.Deferred()
            def dataReceived(self, data):
                self.received += data
                if b"!" in self.received and not self.got.called:
                    self.got.callback(self.received)

        def test_sync_pair(tcp_pair, run_until):
            server, client = tcp_pair(Echo(), Collect())
            assert server.transport is not None
            client.transport.write(b"hello!")
            assert run_until(client.got) == b"hello!"

        @pytest.mark.asyncio
        async def test_async_pair(tcp_pair):
            server, client = await tcp_pair.connect(Echo(), Collect())
            client.transport.write(b"async!")
            assert await client.got == b"async!"
        """,
    )
    result.assert_outcomes(passed=2)


def test_default_test_loop_scope_from_ini(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        ini="asyncio_default_test_loop_scope = module\n",
        test_scope="""
        import asyncio
        import pytest

        LOOPS = []

        @pytest.mark.asyncio
        async def test_one(reactor):
            LOOPS.append(asyncio.get_running_loop())
            assert reactor._loop is LOOPS[0]

        @pytest.mark.asyncio
        async def test_two(reactor):
            assert asyncio.get_running_loop() is LOOPS[0]
            assert reactor._loop is LOOPS[0]
        """,
    )
    result.assert_outcomes(passed=2)
