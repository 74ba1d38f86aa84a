"""bridge's pytest plugin (entry point ``pytest11: bridge``): test Twisted-style code with pytest.

Fixtures:

``reactor``
    A fresh reactor, installed as bridge's default for the test and shut down after it. In
    an async test run by pytest-asyncio it is bound to *that test's* loop (whatever its
    ``loop_scope`` and loop factory, uvloop included), so async fixtures, ``await d`` and
    Deferred-based code meet on one loop. In a sync test it gets its own loop (backend from
    the ``bridge_loop`` ini option, else ``BRIDGE_LOOP``, else asyncio).
``clock``
    A :class:`bridge.task.Clock` for deterministic time.
``run_until``
    ``run_until(d, timeout=None)``: in a sync test, run the reactor's loop until *d* (a
    Deferred, Future or coroutine) has a result; return it or raise its exception.
``tcp_pair``
    ``server, client = tcp_pair(server_protocol, client_protocol)``: a connected loopback TCP
    pair in one line (``await tcp_pair.connect(...)`` in async tests); closed after the test.
``logged_errors``
    The errors logged so far; ``logged_errors.flush(ValueError)`` takes the expected ones
    so they do not fail the test.

A sync test function may return a Deferred (for example because it is decorated with
``@inlineCallbacks``): the plugin runs the reactor's loop until it fires, at most
``bridge_timeout`` seconds (ini option, default 120), and the test fails if it fails.

Errors logged through :func:`bridge.log.err` during a test, including unhandled failures of
garbage-collected Deferreds, fail the test unless it flushed them. This applies to tests
that use one of the fixtures above or return a Deferred (ini option
``bridge_logged_errors = fixtures``, the default), to every test (``all``) or to none
(``off``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import inspect
import os
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pytest

from bridge import _runtime, log
from bridge.defer import Deferred, ensureDeferred
from bridge.failure import Failure

if TYPE_CHECKING:
    from bridge._reactor import AsyncioReactor
    from bridge.task import Clock

__all__: list[str] = []

T = TypeVar("T")

_DEFAULT_TIMEOUT = 120.0
_ERRORS_KEY = pytest.StashKey["_ErrorCollector"]()
_RETURNED_DEFERRED_KEY = pytest.StashKey[bool]()
_PLUGIN_FIXTURES = frozenset({"reactor", "clock", "run_until", "tcp_pair", "logged_errors"})


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "bridge_loop",
        "event loop for the `reactor` fixture in sync tests: asyncio or uvloop "
        "(default: $BRIDGE_LOOP, else asyncio)",
        default="",
    )
    parser.addini(
        "bridge_timeout",
        "seconds to wait for a Deferred returned by a test (default 120)",
        default=str(_DEFAULT_TIMEOUT),
    )
    parser.addini(
        "bridge_logged_errors",
        "which tests fail on errors logged through bridge.log: fixtures (tests using "
        "bridge's fixtures or returning a Deferred), all, or off",
        default="fixtures",
    )


# --- logged errors ---------------------------------------------------------------------------


class _ErrorCollector:
    """Collect (failure, why) pairs logged by :func:`bridge.log.err` during one test."""

    def __init__(self) -> None:
        self.errors: list[tuple[Failure, str | None]] = []

    def __call__(self, failure: Failure, why: str | None) -> None:
        self.errors.append((failure, why))

    def take(self) -> list[tuple[Failure, str | None]]:
        taken, self.errors = self.errors, []
        return taken


class LoggedErrors:
    """The ``logged_errors`` fixture: inspect and flush errors logged during the test."""

    def __init__(self, collector: _ErrorCollector) -> None:
        self._collector = collector

    @property
    def failures(self) -> list[Failure]:
        """The failures logged so far and not flushed (after a garbage collection)."""
        gc.collect()
        return [failure for failure, _ in self._collector.errors]

    def flush(self, *types: type[BaseException]) -> list[Failure]:
        """Remove and return the logged failures of *types* (all of them without *types*)."""
        gc.collect()
        kept, flushed = [], []
        for failure, why in self._collector.errors:
            if not types or failure.check(*types):
                flushed.append(failure)
            else:
                kept.append((failure, why))
        self._collector.errors = kept
        return flushed


def _checks_errors(item: pytest.Item) -> bool:
    mode = str(item.config.getini("bridge_logged_errors")).strip().lower()
    if mode == "off":
        return False
    if mode == "all":
        return True
    if item.stash.get(_RETURNED_DEFERRED_KEY, False):
        return True
    fixture_info = getattr(item, "_fixtureinfo", None)
    if fixture_info is None:
        return False
    for name in _PLUGIN_FIXTURES & set(getattr(item, "fixturenames", ())):
        definitions = fixture_info.name2fixturedefs.get(name, ())
        if definitions and definitions[-1].func.__module__ == __name__:
            return True
    return False


def _report(errors: list[tuple[Failure, str | None]], when: str) -> str:
    parts = [
        f"{len(errors)} error(s) logged through bridge.log during {when} (flush expected ones "
        "with the logged_errors fixture):"
    ]
    for failure, why in errors:
        parts.append(f"--- {why or 'logged error'}\n{failure.getTraceback()}")
    return "\n".join(parts)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    collector = _ErrorCollector()
    item.stash[_ERRORS_KEY] = collector
    if _checks_errors(item):
        # Deferreds leaked by earlier tests report unhandled failures when collected: let
        # that happen now, before this test starts collecting errors.
        gc.collect()
    log.add_observer(collector)
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    result = yield
    collector = item.stash.get(_ERRORS_KEY, None)
    if collector is not None and _checks_errors(item):
        gc.collect()
        errors = collector.take()
        if errors:
            pytest.fail(_report(errors, "the test"), pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    try:
        result = yield
    finally:
        collector = item.stash.get(_ERRORS_KEY, None)
        if collector is not None:
            with contextlib.suppress(ValueError):
                log.remove_observer(collector)
    if collector is not None and _checks_errors(item):
        gc.collect()
        errors = collector.take()
        if errors:
            pytest.fail(_report(errors, "teardown"), pytrace=False)
    return result


@pytest.fixture
def logged_errors(request: pytest.FixtureRequest) -> LoggedErrors:
    """Errors logged through bridge.log during this test; flush the ones you expect."""
    collector = request.node.stash.get(_ERRORS_KEY, None)
    if collector is None:  # pragma: no cover - setup hook always runs first
        collector = _ErrorCollector()
    return LoggedErrors(collector)


# --- reactor and loops -----------------------------------------------------------------------


def _timeout(config: pytest.Config) -> float:
    try:
        return float(config.getini("bridge_timeout"))
    except ValueError:
        raise pytest.UsageError(
            f"bridge_timeout = {config.getini('bridge_timeout')!r} is not a number of seconds"
        ) from None


def _asyncio_test_loop(request: pytest.FixtureRequest) -> asyncio.AbstractEventLoop | None:
    """Return the loop pytest-asyncio runs this (async) test on, or None for a sync test."""
    try:
        import pytest_asyncio
    except ImportError:
        return None
    if not pytest_asyncio.is_async_test(request.node):
        return None
    marker = request.node.get_closest_marker("asyncio")
    scope = marker.kwargs.get("loop_scope") if marker is not None else None
    if not scope:
        try:
            scope = request.config.getini("asyncio_default_test_loop_scope")
        except ValueError:  # an older pytest-asyncio without that option
            scope = None
    scope = scope or "function"
    # pytest-asyncio keeps one asyncio.Runner per loop scope, as fixture "_<scope>_scoped_runner".
    runner = request.getfixturevalue(f"_{scope}_scoped_runner")
    loop: asyncio.AbstractEventLoop = runner.get_loop()
    return loop


def _sync_test_loop(config: pytest.Config) -> asyncio.AbstractEventLoop:
    backend = str(config.getini("bridge_loop")).strip() or os.environ.get("BRIDGE_LOOP") or None
    try:
        return _runtime.new_loop(backend)
    except (ImportError, ValueError) as exc:
        raise pytest.UsageError(f"bridge_loop: {exc}") from None


@pytest.fixture
def reactor(request: pytest.FixtureRequest) -> Iterator[AsyncioReactor]:
    """A fresh reactor, default for this test, on the test's asyncio loop (or its own)."""
    loop = _asyncio_test_loop(request)
    owned = loop is None
    if loop is None:
        loop = _sync_test_loop(request.config)
    _runtime.uninstall()  # a reactor leaked by an earlier test must not block this one
    new_reactor = _runtime.install_reactor(loop)
    try:
        yield new_reactor
    finally:
        try:
            if not loop.is_closed():
                _runtime.teardown_reactor(new_reactor)
        finally:
            if owned and not loop.is_closed():
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()
            _runtime.uninstall()


@pytest.fixture
def clock() -> Clock:
    """A deterministic :class:`bridge.task.Clock` (advance it with ``clock.advance(s)``)."""
    from bridge.task import Clock

    return Clock()


def _run_until(reactor: AsyncioReactor, awaitable: object, timeout: float) -> Any:
    loop = reactor._loop
    if inspect.iscoroutine(awaitable):
        awaitable = ensureDeferred(awaitable)
    if loop.is_running():
        raise RuntimeError(
            "run_until() runs the reactor's loop, which is running already: in an async test, "
            "`await` the Deferred instead"
        )
    if isinstance(awaitable, Deferred):
        done: asyncio.Future[Any] = loop.create_future()

        def settle(result: object) -> None:
            if not done.done():
                done.set_result(result)

        awaitable.addBoth(settle)
        target: Any = done
    else:
        target = awaitable
    try:
        outcome = loop.run_until_complete(asyncio.wait_for(target, timeout))
    except asyncio.TimeoutError:
        message = f"{awaitable!r} had no result after {timeout} s"
        if isinstance(awaitable, Deferred):
            awaitable.cancel()
            awaitable.addErrback(lambda _: None)
        raise TimeoutError(message) from None
    if isinstance(outcome, Failure):
        outcome.raiseException()
    return outcome


@pytest.fixture
def run_until(reactor: AsyncioReactor, request: pytest.FixtureRequest) -> Callable[..., Any]:
    """``run_until(d, timeout=None)``: run the loop until *d* has a result; return/raise it."""
    default = _timeout(request.config)

    def run(awaitable: object, timeout: float | None = None) -> Any:
        return _run_until(reactor, awaitable, default if timeout is None else timeout)

    return run


# --- tests returning Deferreds ---------------------------------------------------------------


def _reactor_for(item: pytest.Function) -> AsyncioReactor:
    candidate = item.funcargs.get("reactor")
    if candidate is not None and hasattr(candidate, "_loop"):
        return cast("AsyncioReactor", candidate)
    return _runtime.get_reactor()


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, object, object]:
    original = pyfuncitem.obj
    if inspect.iscoroutinefunction(original) or inspect.isasyncgenfunction(original):
        return (yield)

    @functools.wraps(original)
    def wait_for_deferred(*args: Any, **kwargs: Any) -> object:
        result = original(*args, **kwargs)
        if isinstance(result, Deferred):
            pyfuncitem.stash[_RETURNED_DEFERRED_KEY] = True
            _run_until(_reactor_for(pyfuncitem), result, _timeout(pyfuncitem.config))
            return None
        return result

    pyfuncitem.obj = wait_for_deferred
    try:
        return (yield)
    finally:
        pyfuncitem.obj = original


# --- loopback pairs --------------------------------------------------------------------------


class TCPPair:
    """The ``tcp_pair`` fixture: connect two protocols over loopback TCP in one line."""

    def __init__(self, reactor: AsyncioReactor, timeout: float) -> None:
        self._reactor = reactor
        self._timeout = timeout
        self._ports: list[Any] = []
        self._protocols: list[Any] = []

    def __call__(self, server: T, client: Any, host: str = "127.0.0.1") -> tuple[T, Any]:
        """Connect *server* and *client* (protocol instances); return them once connected.

        For sync tests: runs the reactor's loop until both sides' ``connectionMade`` ran.
        """
        return _run_until(self._reactor, self.connect(server, client, host), self._timeout)  # type: ignore[no-any-return]

    def connect(self, server: T, client: Any, host: str = "127.0.0.1") -> Deferred[tuple[T, Any]]:
        """Return a Deferred of ``(server, client)`` once both are connected (async tests)."""
        from bridge.protocol import Factory

        made: list[Deferred[None]] = [_when_connected(server), _when_connected(client)]
        factory = Factory()
        factory.buildProtocol = lambda addr: server  # type: ignore[method-assign,assignment,return-value]
        port = self._reactor.listenTCP(0, factory, interface=host)
        self._ports.append(port)
        self._protocols.extend([server, client])

        from bridge.endpoints import TCP4ClientEndpoint, TCP6ClientEndpoint, connectProtocol

        endpoint_class = TCP6ClientEndpoint if ":" in host else TCP4ClientEndpoint
        endpoint = endpoint_class(self._reactor, host, port.getHost().port)
        connected = connectProtocol(endpoint, client)
        both: Deferred[Any] = Deferred.fromCoroutine(_gather(connected, *made))
        return both.addCallback(lambda _: (server, client))

    def close(self) -> Deferred[None]:
        """Abort every connection and stop every port this fixture opened."""
        waits: list[Deferred[Any]] = []
        for protocol in self._protocols:
            transport = getattr(protocol, "transport", None)
            if transport is not None and getattr(transport, "connected", True):
                lost = _when_lost(protocol)
                transport.abortConnection()
                waits.append(lost)
        for port in self._ports:
            result = port.stopListening()
            if isinstance(result, Deferred):
                waits.append(result)
        self._ports, self._protocols = [], []
        return Deferred.fromCoroutine(_gather(*waits)).addCallback(lambda _: None)


async def _gather(*deferreds: Deferred[Any]) -> list[Any]:
    return [await d for d in deferreds]


def _when_connected(protocol: Any) -> Deferred[None]:
    d: Deferred[None] = Deferred()
    original = protocol.connectionMade

    def connection_made() -> None:
        protocol.connectionMade = original
        original()
        if not d.called:
            d.callback(None)

    protocol.connectionMade = connection_made
    return d


def _when_lost(protocol: Any) -> Deferred[None]:
    d: Deferred[None] = Deferred()
    original = protocol.connectionLost

    def connection_lost(reason: object = None) -> None:
        protocol.connectionLost = original
        original(reason)
        if not d.called:
            d.callback(None)

    protocol.connectionLost = connection_lost
    return d


@pytest.fixture
def tcp_pair(reactor: AsyncioReactor, request: pytest.FixtureRequest) -> Iterator[TCPPair]:
    """Connect a server and a client protocol over loopback TCP; closed after the test."""
    pair = TCPPair(reactor, _timeout(request.config))
    yield pair
    closing = pair.close()
    if not reactor._loop.is_closed() and not reactor._loop.is_running():
        with contextlib.suppress(TimeoutError):
            _run_until(reactor, closing, 5.0)
