"""bridge.install(), the lazy bridge.reactor and the reactor registry."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator

import pytest
import uvloop

import bridge
from bridge import _runtime
from bridge._reactor import AsyncioReactor
from bridge.error import ReactorAlreadyInstalledError


@pytest.fixture
def clean_registry() -> Iterator[list[AsyncioReactor]]:
    """No reactor installed before; everything the test installs is torn down after."""
    _runtime.uninstall()
    made: list[AsyncioReactor] = []
    yield made
    installed = _runtime._reactor
    if installed is not None:
        made.append(installed)
    for reactor in made:
        _runtime.teardown_reactor(reactor)
        reactor._loop.close()
    _runtime.uninstall()
    asyncio.set_event_loop(None)  # install() may have made its loop the current one


def test_install_default_backend_is_asyncio(
    clean_registry: list[AsyncioReactor], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BRIDGE_LOOP", raising=False)
    reactor = bridge.install()
    assert not isinstance(reactor._loop, uvloop.Loop)
    assert isinstance(reactor._loop, asyncio.AbstractEventLoop)
    assert bridge.reactor is reactor


def test_install_makes_its_new_loop_the_current_one(
    clean_registry: list[AsyncioReactor], monkeypatch: pytest.MonkeyPatch
) -> None:
    # As Twisted's asyncioreactor (which runs on get_event_loop()): Futures made on the
    # current loop after install() belong to the reactor's loop.
    monkeypatch.delenv("BRIDGE_LOOP", raising=False)
    asyncio.set_event_loop(None)
    reactor = bridge.install()
    assert asyncio.get_event_loop_policy().get_event_loop() is reactor._loop


def test_install_uses_a_current_loop_of_the_right_kind(
    clean_registry: list[AsyncioReactor], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BRIDGE_LOOP", raising=False)
    mine = asyncio.new_event_loop()
    asyncio.set_event_loop(mine)
    first = bridge.install()
    clean_registry.append(first)  # torn down, and its loop closed, by the fixture
    assert first._loop is mine
    _runtime.uninstall()
    # A current loop of the other kind is left alone: the backend asked for wins.
    reactor = bridge.install(backend="uvloop")
    assert isinstance(reactor._loop, uvloop.Loop)
    assert asyncio.get_event_loop_policy().get_event_loop() is reactor._loop


def test_install_backend_uvloop(clean_registry: list[AsyncioReactor]) -> None:
    reactor = bridge.install(backend="uvloop")
    assert isinstance(reactor._loop, uvloop.Loop)


def test_bridge_loop_environment_variable(
    clean_registry: list[AsyncioReactor], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIDGE_LOOP", "uvloop")
    assert isinstance(bridge.reactor._loop, uvloop.Loop)


def test_bad_backend_name(
    clean_registry: list[AsyncioReactor], monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ValueError, match="'tokio' is not a loop backend"):
        bridge.install(backend="tokio")
    monkeypatch.setenv("BRIDGE_LOOP", "trio")
    with pytest.raises(ValueError, match="BRIDGE_LOOP='trio'"):
        bridge.install()
    assert not _runtime.is_installed()


def test_install_on_given_loop(clean_registry: list[AsyncioReactor]) -> None:
    loop = asyncio.new_event_loop()
    reactor = bridge.install(loop)
    assert reactor._loop is loop


def test_install_twice_raises(clean_registry: list[AsyncioReactor]) -> None:
    bridge.install()
    with pytest.raises(ReactorAlreadyInstalledError, match="already installed"):
        bridge.install()


def test_wrong_kind_of_loop(clean_registry: list[AsyncioReactor]) -> None:
    loop = asyncio.new_event_loop()
    try:
        with pytest.raises(TypeError, match="stdlib asyncio loop"):
            bridge.install(loop, backend="uvloop")
    finally:
        loop.close()
    with pytest.raises(TypeError, match="needs an asyncio event loop"):
        bridge.install(object())  # type: ignore[arg-type]
    assert not _runtime.is_installed()


def test_uvloop_missing_says_how_to_install(
    clean_registry: list[AsyncioReactor], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)
    with pytest.raises(ImportError, match=r"pip install 'bridge\[uvloop\]'"):
        bridge.install(backend="uvloop")


def test_is_installed_does_not_create(clean_registry: list[AsyncioReactor]) -> None:
    assert not _runtime.is_installed()
    assert not _runtime.is_installed()
    assert _runtime._reactor is None


def test_unknown_attribute() -> None:
    with pytest.raises(AttributeError, match="no attribute 'reactr'"):
        bridge.reactr  # type: ignore[attr-defined]  # noqa: B018


def test_reactor_fixture_installs_a_fresh_default(reactor: AsyncioReactor) -> None:
    assert bridge.reactor is reactor
    assert not reactor.running
    assert reactor.getDelayedCalls() == []
    reactor.callLater(100, print)  # torn down by the fixture; the next test must not see it


def test_reactor_fixture_gives_no_leftovers(reactor: AsyncioReactor) -> None:
    assert reactor.getDelayedCalls() == []
    assert reactor.getReaders() == [] and reactor.getWriters() == []


def test_importing_bridge_creates_no_reactor_or_loop() -> None:
    code = (
        "import bridge, bridge.task, bridge.threads, bridge._runtime as r, asyncio\n"
        "assert not r.is_installed()\n"
        "from bridge import reactor\n"
        "assert r.is_installed() and reactor is bridge.reactor\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == "ok", out.stderr


def test_reactor_from_another_loop_warns_inside_a_running_loop(
    clean_registry: list[AsyncioReactor],
) -> None:
    reactor = bridge.install()  # made outside any running loop: its own, idle loop

    async def main() -> AsyncioReactor:
        with pytest.warns(RuntimeWarning, match="bound to another event loop"):
            return bridge.reactor

    other = asyncio.new_event_loop()
    try:
        assert other.run_until_complete(main()) is reactor
    finally:
        other.close()
