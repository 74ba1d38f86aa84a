"""Guest mode: the reactor inside an asyncio program that already runs the loop."""

from __future__ import annotations

import asyncio
import threading

import pytest

import bridge
from bridge import _runtime, task, threads
from bridge._reactor import AsyncioReactor
from bridge.aio import to_future
from bridge.defer import Deferred
from bridge.error import ReactorAlreadyRunning, ReactorNotRunning


@pytest.mark.asyncio
async def test_guest_reactor_is_running_on_the_test_loop(guest_reactor: AsyncioReactor) -> None:
    assert guest_reactor.running
    assert guest_reactor._loop is asyncio.get_running_loop()
    assert bridge.reactor is guest_reactor


@pytest.mark.asyncio
async def test_startup_triggers_fire_inside_the_running_loop() -> None:
    _runtime.uninstall()
    loop = asyncio.get_running_loop()
    seen: list[object] = []
    reactor = bridge.install()
    try:
        assert reactor._loop is loop
        reactor.addSystemEventTrigger("before", "startup", seen.append, "before")
        reactor.callWhenRunning(lambda: seen.append(asyncio.get_running_loop() is loop))
        assert seen == []
        await asyncio.sleep(0)
        assert seen == ["before", True]
        assert reactor.running
    finally:
        await _runtime.ateardown_reactor(reactor)


@pytest.mark.asyncio
async def test_lazy_reactor_binds_to_running_loop() -> None:
    _runtime.uninstall()
    reactor = bridge.reactor
    try:
        assert isinstance(reactor, AsyncioReactor)
        assert reactor._loop is asyncio.get_running_loop()
    finally:
        await _runtime.ateardown_reactor(reactor)


@pytest.mark.asyncio
async def test_call_later_threads_and_deferreds_work(guest_reactor: AsyncioReactor) -> None:
    assert await to_future(task.deferLater(guest_reactor, 0.01, lambda: "later")) == "later"
    name = await to_future(threads.deferToThread(lambda: threading.current_thread().name))
    assert name != threading.current_thread().name


@pytest.mark.asyncio
async def test_stop_runs_shutdown_but_leaves_the_loop_running(
    guest_reactor: AsyncioReactor,
) -> None:
    events: list[str] = []
    d: Deferred[None] = Deferred()

    def before() -> Deferred[None]:
        events.append("before")
        guest_reactor.callLater(0.01, d.callback, None)
        return d

    guest_reactor.addSystemEventTrigger("before", "shutdown", before)
    guest_reactor.addSystemEventTrigger("after", "shutdown", events.append, "after")
    guest_reactor.stop()
    await asyncio.sleep(0.05)
    assert events == ["before", "after"]
    assert not guest_reactor.running
    assert asyncio.get_running_loop().is_running()
    with pytest.raises(ReactorNotRunning):
        guest_reactor.stop()


@pytest.mark.asyncio
async def test_run_inside_running_loop_explains_guest_mode(guest_reactor: AsyncioReactor) -> None:
    with pytest.raises(ReactorAlreadyRunning, match="guest of that loop"):
        guest_reactor.run()


@pytest.mark.parametrize("backend", ["asyncio", "uvloop"])
def test_asyncio_run_program_with_guest_reactor(backend: str) -> None:
    """A whole asyncio.run() program: reactor used, stopped, and asyncio.run ends cleanly."""
    _runtime.uninstall()
    seen: list[object] = []

    async def main() -> str:
        reactor = bridge.install()
        reactor.addSystemEventTrigger("during", "shutdown", seen.append, "shutdown")
        await asyncio.sleep(0)
        result = await to_future(task.deferLater(reactor, 0.01, lambda: "ok"))
        reactor.stop()
        await asyncio.sleep(0.01)
        seen.append(reactor.running)
        return result

    loop = _runtime.new_loop(backend)
    try:
        assert loop.run_until_complete(main()) == "ok"
    finally:
        loop.close()
        _runtime.uninstall()
    assert seen == ["shutdown", False]


@pytest.mark.asyncio
async def test_stop_right_after_install_runs_startup_then_shutdown() -> None:
    _runtime.uninstall()
    events: list[str] = []
    reactor = bridge.install()
    try:
        reactor.addSystemEventTrigger("during", "startup", events.append, "startup")
        reactor.addSystemEventTrigger("during", "shutdown", events.append, "shutdown")
        reactor.stop()
        await asyncio.sleep(0.01)
        assert events == ["startup", "shutdown"]
        assert not reactor.running
    finally:
        await _runtime.ateardown_reactor(reactor)


@pytest.mark.asyncio
async def test_start_running_in_guest_mode_is_harmless_once(guest_reactor: AsyncioReactor) -> None:
    """Code written for Twisted's asyncio reactor calls startRunning(); the guest already runs."""
    assert guest_reactor.running
    guest_reactor.startRunning(installSignalHandlers=False)
    assert guest_reactor.running
    with pytest.raises(ReactorAlreadyRunning):
        guest_reactor.startRunning()
