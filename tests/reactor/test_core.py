"""IReactorCore: run/stop/crash, system event triggers, callWhenRunning, resolve."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading
from typing import Any

import pytest
from zope.interface.verify import verifyObject

from bridge import _runtime
from bridge._reactor import AsyncioReactor
from bridge.defer import Deferred
from bridge.error import (
    DNSLookupError,
    ReactorAlreadyRunning,
    ReactorNotRestartable,
    ReactorNotRunning,
)
from bridge.interfaces import (
    IReactorCore,
    IReactorFDSet,
    IReactorFromThreads,
    IReactorInThreads,
    IReactorMulticast,
    IReactorProcess,
    IReactorSocket,
    IReactorSSL,
    IReactorTCP,
    IReactorThreads,
    IReactorTime,
    IReactorUDP,
    IReactorUNIX,
)


@pytest.mark.parametrize(
    "interface",
    [
        IReactorCore,
        IReactorTime,
        IReactorFDSet,
        IReactorThreads,
        IReactorFromThreads,
        IReactorInThreads,
        IReactorTCP,
        IReactorUNIX,
        IReactorUDP,
        IReactorMulticast,
        IReactorSocket,
        IReactorSSL,
        IReactorProcess,
    ],
)
def test_reactor_provides_interfaces(reactor: AsyncioReactor, interface: object) -> None:
    assert verifyObject(interface, reactor)


def test_run_fires_startup_then_stop_fires_shutdown(reactor: AsyncioReactor) -> None:
    events: list[object] = []
    reactor.addSystemEventTrigger("before", "startup", events.append, "before-startup")
    reactor.addSystemEventTrigger("during", "startup", events.append, "during-startup")
    reactor.addSystemEventTrigger("after", "startup", events.append, "after-startup")
    reactor.addSystemEventTrigger("before", "shutdown", events.append, "before-shutdown")
    reactor.addSystemEventTrigger("during", "shutdown", events.append, "during-shutdown")
    reactor.addSystemEventTrigger("after", "shutdown", events.append, "after-shutdown")
    reactor.callWhenRunning(lambda: events.append(("running", reactor.running)))
    reactor.callWhenRunning(reactor.stop)
    reactor.run(installSignalHandlers=False)
    assert events == [
        "before-startup",
        "during-startup",
        "after-startup",
        ("running", True),
        "before-shutdown",
        "during-shutdown",
        "after-shutdown",
    ]
    assert not reactor.running


def test_call_when_running_runs_inside_the_running_loop(reactor: AsyncioReactor) -> None:
    seen: list[bool] = []

    def check() -> None:
        seen.append(asyncio.get_running_loop() is reactor._loop)
        reactor.stop()

    reactor.callWhenRunning(check)
    reactor.run(installSignalHandlers=False)
    assert seen == [True]


def test_call_when_running_after_start_calls_at_once(reactor: AsyncioReactor) -> None:
    seen: list[int] = []

    def started() -> None:
        reactor.callWhenRunning(seen.append, 1)
        assert seen == [1]
        reactor.stop()

    reactor.callWhenRunning(started)
    reactor.run(installSignalHandlers=False)
    assert seen == [1]


def test_before_trigger_deferred_delays_during_phase(reactor: AsyncioReactor) -> None:
    events: list[str] = []
    d: Deferred[None] = Deferred()

    def before() -> Deferred[None]:
        events.append("before")
        reactor.callLater(0.01, events.append, "timer")
        reactor.callLater(0.02, d.callback, None)
        return d

    reactor.addSystemEventTrigger("before", "shutdown", before)
    reactor.addSystemEventTrigger("during", "shutdown", events.append, "during")
    reactor.callWhenRunning(reactor.stop)
    reactor.run(installSignalHandlers=False)
    assert events == ["before", "timer", "during"]


def test_stop_when_not_running_raises(reactor: AsyncioReactor) -> None:
    with pytest.raises(ReactorNotRunning, match="isn't running"):
        reactor.stop()


def test_stop_twice_raises(reactor: AsyncioReactor) -> None:
    errors: list[Exception] = []

    def stop_twice() -> None:
        reactor.stop()
        try:
            reactor.stop()
        except ReactorNotRunning as e:
            errors.append(e)

    reactor.callWhenRunning(stop_twice)
    reactor.run(installSignalHandlers=False)
    assert len(errors) == 1


def test_run_after_stop_is_not_restartable(reactor: AsyncioReactor) -> None:
    reactor.callWhenRunning(reactor.stop)
    reactor.run(installSignalHandlers=False)
    with pytest.raises(ReactorNotRestartable, match="runs once"):
        reactor.run(installSignalHandlers=False)


def test_crash_skips_shutdown_and_allows_run_again(reactor: AsyncioReactor) -> None:
    events: list[str] = []
    reactor.addSystemEventTrigger("before", "shutdown", events.append, "shutdown")
    reactor.callWhenRunning(reactor.crash)
    reactor.run(installSignalHandlers=False)
    assert events == []
    assert not reactor.running
    reactor.callWhenRunning(lambda: events.append("again"))
    reactor.callWhenRunning(reactor.stop)
    reactor.run(installSignalHandlers=False)
    assert events == ["again", "shutdown"]


def test_remove_system_event_trigger(reactor: AsyncioReactor) -> None:
    events: list[str] = []
    trigger = reactor.addSystemEventTrigger("during", "custom", events.append, "x")
    reactor.addSystemEventTrigger("after", "custom", events.append, "y")
    reactor.removeSystemEventTrigger(trigger)
    reactor.fireSystemEvent("custom")
    assert events == ["y"]
    with pytest.raises(ValueError, match="trigger"):
        reactor.removeSystemEventTrigger(trigger)
    with pytest.raises(ValueError, match="not a trigger ID"):
        reactor.removeSystemEventTrigger("nonsense")


def test_invalid_phase_is_a_key_error(reactor: AsyncioReactor) -> None:
    with pytest.raises(KeyError, match="invalid phase"):
        reactor.addSystemEventTrigger("sometime", "startup", print)


def test_failing_trigger_is_logged_and_others_run(
    reactor: AsyncioReactor, caplog: pytest.LogCaptureFixture
) -> None:
    events: list[str] = []

    def boom() -> None:
        raise ZeroDivisionError("trigger")

    reactor.addSystemEventTrigger("during", "custom", boom)
    reactor.addSystemEventTrigger("during", "custom", events.append, "after boom")
    reactor.fireSystemEvent("custom")
    assert events == ["after boom"]
    assert "ZeroDivisionError" in caplog.text


def test_run_in_a_non_main_thread(backend: str) -> None:
    loop = _runtime.new_loop(backend)
    reactor = AsyncioReactor(loop)
    seen: list[bool] = []

    def main() -> None:
        seen.append(reactor.running)
        reactor.callLater(0, reactor.stop)

    reactor.callWhenRunning(main)
    thread = threading.Thread(target=reactor.run)  # installSignalHandlers=True: skipped
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    assert seen == [True]
    reactor._teardown()
    loop.close()


def test_run_inside_running_loop_explains_guest_mode(reactor: AsyncioReactor, run_until) -> None:
    async def call_run() -> None:
        reactor.run()

    with pytest.raises(ReactorAlreadyRunning, match="guest"):
        run_until(call_run())


def test_resolve_localhost(reactor: AsyncioReactor, run_until) -> None:
    assert run_until(reactor.resolve("localhost")) == "127.0.0.1"


def test_resolve_ip_address_is_immediate(reactor: AsyncioReactor) -> None:
    results: list[str] = []
    reactor.resolve("10.1.2.3").addCallback(results.append)
    assert results == ["10.1.2.3"]


def test_resolve_unknown_host_fails_with_dns_lookup_error(
    reactor: AsyncioReactor, run_until
) -> None:
    with pytest.raises(DNSLookupError):
        run_until(reactor.resolve("no-such-host.invalid"))


# -- signals: run(installSignalHandlers=True) stops gracefully on SIGINT/SIGTERM ----------

SCRIPT = """
import os, signal, sys, threading, time
import bridge
from bridge import _runtime
reactor = bridge.install(backend={backend!r})
loop = reactor._loop
events = []
{setup}
def worker():
    events.append("worker")
reactor.callInThread(worker)
reactor.addSystemEventTrigger("before", "shutdown", events.append, "shutdown")
reactor.callWhenRunning(reactor.callLater, 0.05, os.kill, os.getpid(), signal.{sig})
reactor.run({run_args})
alive = [t.name for t in threading.enumerate() if t.name.startswith("bridge.")]
print(events, alive, signal.getsignal(signal.SIGINT) is signal.default_int_handler)
"""


def _run(backend: str, sig: str, setup: str = "", run_args: str = "") -> str:
    code = SCRIPT.format(backend=backend, sig=sig, setup=textwrap.dedent(setup), run_args=run_args)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.mark.parametrize("backend", ["asyncio", "uvloop"])
@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_signal_stops_gracefully_and_joins_threads(backend: str, sig: str) -> None:
    assert _run(backend, sig) == "['worker', 'shutdown'] [] True"


@pytest.mark.parametrize("backend", ["asyncio", "uvloop"])
def test_application_signal_handler_is_left_alone(backend: str) -> None:
    setup = """
    def app_handler():
        events.append("app")
        reactor.stop()
    loop.add_signal_handler(signal.SIGTERM, app_handler)
    """
    assert _run(backend, "SIGTERM", setup) == "['worker', 'app', 'shutdown'] [] True"


@pytest.mark.parametrize("backend", ["asyncio", "uvloop"])
def test_without_signal_handlers_sigint_is_keyboard_interrupt(backend: str) -> None:
    setup = ""
    code = SCRIPT.format(
        backend=backend, sig="SIGINT", setup=textwrap.dedent(setup), run_args="False"
    )
    code = code.replace(
        "reactor.run(False)",
        "try:\n    reactor.run(False)\n"
        "except KeyboardInterrupt:\n    print('KeyboardInterrupt', events); sys.exit(0)",
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert proc.stdout.strip().startswith("KeyboardInterrupt ['worker']"), proc.stderr


def test_iterate_runs_one_pass_of_the_loop(reactor: AsyncioReactor) -> None:
    calls: list[int] = []
    reactor.callLater(0, calls.append, 1)
    reactor.iterate(0.05)
    assert calls == [1]
    reactor.callLater(0.02, calls.append, 2)
    reactor.iterate(0.1)
    assert calls == [1, 2]


def test_resolve_times_out_with_dns_lookup_error() -> None:
    loop = asyncio.new_event_loop()
    reactor = AsyncioReactor(loop)

    async def slow_getaddrinfo(*args: object, **kw: object) -> list[Any]:
        await asyncio.sleep(10)
        return []

    loop.getaddrinfo = slow_getaddrinfo  # type: ignore[method-assign]
    try:
        d = reactor.resolve("example.invalid", timeout=(0.01, 0.02))
        future: asyncio.Future[Any] = loop.create_future()
        d.addErrback(lambda f: future.set_result(f))
        failure = loop.run_until_complete(asyncio.wait_for(future, 5))
        assert failure.check(DNSLookupError) is not None
        assert "timed out" in str(failure.value)
    finally:
        reactor._teardown()
        loop.run_until_complete(asyncio.sleep(0))
        loop.close()


def test_resolve_cancel(reactor: AsyncioReactor, run_until: Any) -> None:
    from bridge.defer import CancelledError

    d = reactor.resolve("localhost")
    d.cancel()
    with pytest.raises(CancelledError):
        run_until(d)


def test_teardown_hooks_run_first_and_errors_are_logged(
    backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    loop = _runtime.new_loop(backend)
    reactor = AsyncioReactor(loop)
    seen: list[object] = []

    def boom() -> None:
        raise RuntimeError("hook broke")

    reactor._teardown_hooks.append(lambda: seen.append(len(reactor.getDelayedCalls())))
    reactor._teardown_hooks.append(boom)
    reactor._teardown_hooks.append(lambda: seen.append("last"))
    reactor.callLater(10, print)
    reactor._teardown()
    loop.close()
    assert seen == [1, "last"]
    assert "hook broke" in caplog.text


# -- differential: the life cycle against real Twisted's reactor ------------------------------

LIFECYCLE_SCRIPT = """
import sys
impl = sys.argv[1]
if impl == "twisted":
    from twisted.internet import epollreactor
    epollreactor.install()
    from twisted.internet import reactor
    from twisted.internet.defer import Deferred
else:
    import bridge
    reactor = bridge.install(backend=impl)
    from bridge.defer import Deferred

events = []
log = events.append
reactor.addSystemEventTrigger("before", "startup", log, "before-startup")
reactor.addSystemEventTrigger("during", "startup", log, "during-startup")
reactor.addSystemEventTrigger("after", "startup", log, "after-startup")
reactor.callWhenRunning(log, "when-running")
removed = reactor.addSystemEventTrigger("before", "shutdown", log, "removed")
reactor.removeSystemEventTrigger(removed)

def before_shutdown():
    log("before-shutdown")
    d = Deferred()
    reactor.callLater(0.05, d.callback, None)
    reactor.callLater(0.01, log, "timer while shutdown waits")
    return d

reactor.addSystemEventTrigger("before", "shutdown", before_shutdown)
reactor.addSystemEventTrigger("during", "shutdown", log, "during-shutdown")
reactor.addSystemEventTrigger("after", "shutdown", lambda: log(("after-shutdown", reactor.running)))

def adder():
    log("custom-before")
    reactor.addSystemEventTrigger("during", "custom", log, "added while firing")

reactor.addSystemEventTrigger("before", "custom", adder)
reactor.addSystemEventTrigger("during", "custom", log, "custom-during")

def started():
    log(("running", reactor.running))
    reactor.callWhenRunning(log, "when-running, already running")
    reactor.fireSystemEvent("custom")
    reactor.fireSystemEvent("custom")
    reactor.callLater(0, log, "later 0")
    reactor.callLater(0.02, reactor.stop)

reactor.callWhenRunning(started)
reactor.run(installSignalHandlers=False)
log("run returned")
print(events)
"""


def _lifecycle_events(impl: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", LIFECYCLE_SCRIPT, impl], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.mark.parametrize("backend", ["asyncio", "uvloop"])
def test_life_cycle_matches_twisted(backend: str) -> None:
    """Startup/shutdown/custom events, callWhenRunning and stop() happen as in Twisted."""
    assert _lifecycle_events(backend) == _lifecycle_events("twisted")


# -- Twisted's loop-driving API: startRunning, mainLoop, runUntilCurrent, doIteration ---------


def test_start_running_then_main_loop(reactor: AsyncioReactor) -> None:
    events: list[str] = []
    reactor.addSystemEventTrigger("after", "startup", events.append, "started")
    reactor.startRunning(installSignalHandlers=False)
    assert events == ["started"] and reactor.running
    with pytest.raises(ReactorAlreadyRunning):
        reactor.startRunning()
    reactor.callLater(0, reactor.stop)
    reactor.mainLoop()
    assert not reactor.running
    with pytest.raises(ReactorNotRestartable):
        reactor.startRunning()


def test_main_loop_without_start_returns(reactor: AsyncioReactor) -> None:
    reactor.mainLoop()  # as Twisted's: nothing started, nothing to run


def test_run_until_current_and_timeout_drive_an_idle_loop(reactor: AsyncioReactor) -> None:
    calls: list[str] = []
    assert reactor.timeout() is None
    reactor.callLater(0, calls.append, "now")
    later = reactor.callLater(100, calls.append, "later")
    reactor.callFromThread(calls.append, "thread")
    reactor.runUntilCurrent()
    assert calls == ["thread", "now"]
    timeout = reactor.timeout()
    assert timeout is not None and 99 < timeout <= 100
    later.cancel()
    reactor.doIteration(0)
    reactor.doIteration(None)
    assert calls == ["thread", "now"]


def test_do_iteration_refuses_a_running_loop(reactor: AsyncioReactor) -> None:
    errors: list[BaseException] = []

    def inside() -> None:
        try:
            reactor.doIteration(0)
        except RuntimeError as exc:
            errors.append(exc)

    reactor.callLater(0, inside)
    reactor.iterate(0.01)
    assert len(errors) == 1


def test_disconnect_all_drops_connections_and_readers(
    reactor: AsyncioReactor, run_until: Any
) -> None:
    import socket

    from bridge import error, protocol

    lost: Deferred[Any] = Deferred()

    class Server(protocol.Protocol):
        def connectionMade(self) -> None:
            reactor.callLater(0, reactor.disconnectAll)

        def connectionLost(self, reason: Any) -> None:
            lost.callback([reason])

    a, b = socket.socketpair()

    class Reader:
        closed: list[Any] = []

        def fileno(self) -> int:
            return a.fileno()

        def doRead(self) -> None:
            pass

        def connectionLost(self, reason: Any) -> None:
            self.closed.append(reason)

        def logPrefix(self) -> str:
            return "Reader"

    reader = Reader()
    reactor.addReader(reader)
    port = reactor.listenTCP(0, protocol.Factory.forProtocol(Server), interface="127.0.0.1")
    reactor.connectTCP(
        "127.0.0.1", port.getHost().port, protocol.ClientFactory.forProtocol(protocol.Protocol)
    )
    [reason] = run_until(lost)
    assert reason.check(error.ConnectionLost)
    assert not port.connected
    assert len(reader.closed) == 1 and reader not in reactor.getReaders()
    a.close()
    b.close()


def test_sig_int_logs_and_stops(reactor: AsyncioReactor, caplog: pytest.LogCaptureFixture) -> None:
    import signal

    reactor.callWhenRunning(reactor.sigInt, signal.SIGINT)
    with caplog.at_level("INFO", logger="bridge"):
        reactor.run(installSignalHandlers=False)
    assert "Received SIGINT, shutting down." in caplog.text
    assert reactor._exitSignal == signal.SIGINT
    assert not reactor.running


def test_threadpool_attribute_and_wake_up(reactor: AsyncioReactor) -> None:
    assert reactor.threadpool is None and reactor.usingThreads
    pool = reactor.getThreadPool()
    assert reactor.threadpool is pool
    thread = threading.Thread(target=reactor.wakeUp)
    thread.start()
    thread.join()
    reactor.iterate(0)


def test_iterate_does_not_start_the_reactor(reactor: AsyncioReactor) -> None:
    events: list[str] = []
    reactor.callWhenRunning(events.append, "running")
    reactor.iterate(0)
    reactor.doIteration(0)
    assert not reactor.running and events == []
    reactor.callWhenRunning(reactor.stop)
    reactor.run(installSignalHandlers=False)
    assert events == ["running"]
