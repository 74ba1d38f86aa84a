"""Shared fixtures: a fresh reactor per test, on stdlib asyncio and on uvloop.

Integration tests take the ``reactor`` fixture. It is parametrized over ``"asyncio"`` and
``"uvloop"``, builds a fresh loop and a fresh :class:`bridge._reactor.AsyncioReactor` on it,
installs that reactor as the global default (so ``bridge.reactor``, ``task.deferLater`` and
friends use it), and afterwards shuts it down, closes the loop and uninstalls it::

    def test_call_later_fires(reactor, run_until):
        d = task.deferLater(reactor, 0.01, lambda: 42)
        assert run_until(d) == 42

``run_until(d, timeout=5)`` runs the loop until *d* (a Deferred, an asyncio future or a
coroutine) has a result and returns it; if *d* failed, it raises the failure's exception; if
nothing happened within *timeout* seconds it raises ``TimeoutError``. Running the loop this
way starts the reactor as a guest of the loop (startup triggers and ``callWhenRunning`` fire).
A test that calls ``reactor.run()`` itself needs no ``run_until``.

Async tests (pytest-asyncio, strict mode: mark them ``@pytest.mark.asyncio``) run on both
backends too, through the ``pytest_asyncio_loop_factories`` hook below; inside them, the
``guest_reactor`` fixture gives a fresh reactor bound to the running test loop (guest mode)::

    @pytest.mark.asyncio
    async def test_guest(guest_reactor):
        assert await to_future(task.deferLater(guest_reactor, 0.01, lambda: 1)) == 1

``backend`` tells which backend a ``reactor`` fixture instance uses.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

import pytest
import pytest_asyncio

from bridge import _runtime
from bridge._reactor import AsyncioReactor

BACKENDS = ["asyncio", "uvloop"]


def _uvloop_factory() -> asyncio.AbstractEventLoop:
    return _runtime.new_loop("uvloop")


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    """Run every async test on a stdlib asyncio loop and on a uvloop loop."""
    return {"asyncio": asyncio.new_event_loop, "uvloop": _uvloop_factory}


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The loop backend of this test: "asyncio" or "uvloop"."""
    return str(request.param)


@pytest.fixture
def reactor(backend: str) -> Iterator[AsyncioReactor]:
    """A fresh reactor on a fresh loop of *backend*, installed as the default for the test."""
    _runtime.uninstall()  # a test that leaked one must not break the next
    loop = _runtime.new_loop(backend)
    reactor = _runtime.install_reactor(loop)
    try:
        yield reactor
    finally:
        try:
            _runtime.teardown_reactor(reactor)
            if not loop.is_closed():
                loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            if not loop.is_closed():
                loop.close()
            _runtime.uninstall()


def _run_until(reactor: AsyncioReactor, awaitable: Any, timeout: float = 5.0) -> Any:
    loop = reactor._loop
    if hasattr(awaitable, "addCallbacks") and not asyncio.isfuture(awaitable):
        future: asyncio.Future[Any] = loop.create_future()

        def ok(result: object) -> None:
            if not future.done():
                future.set_result(result)

        def failed(failure: Any) -> None:
            if not future.done():
                future.set_exception(failure.value)

        awaitable.addCallbacks(ok, failed)
        target: Any = future
    else:
        target = awaitable
    try:
        return loop.run_until_complete(asyncio.wait_for(target, timeout))
    except asyncio.TimeoutError:
        raise TimeoutError(f"run_until(): {awaitable!r} had no result after {timeout}s") from None


@pytest.fixture
def run_until(reactor: AsyncioReactor) -> Callable[..., Any]:
    """Return ``run_until(d, timeout=5)``: run the loop until *d* fires; return/raise it."""

    def run_until(awaitable: Any, timeout: float = 5.0) -> Any:
        return _run_until(reactor, awaitable, timeout)

    return run_until


@pytest_asyncio.fixture
async def guest_reactor() -> AsyncIterator[AsyncioReactor]:
    """A fresh reactor bound to the running test loop (guest mode), default for the test."""
    _runtime.uninstall()
    reactor = _runtime.install_reactor(asyncio.get_running_loop())
    await asyncio.sleep(0)  # let it start, as it would inside any running application
    try:
        yield reactor
    finally:
        await _runtime.ateardown_reactor(reactor)
        _runtime.uninstall()
