"""The global reactor registry behind ``bridge.reactor`` and ``bridge.install()``.

Lower layers (``task``, ``threads``, ``endpoints``) find the default reactor here at call
time with :func:`get_reactor`, so importing them never creates a loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import warnings
from asyncio import AbstractEventLoop
from typing import TYPE_CHECKING

from bridge.compat import is_uvloop
from bridge.error import ReactorAlreadyInstalledError

if TYPE_CHECKING:
    from bridge._reactor import AsyncioReactor

__all__ = [
    "BACKENDS",
    "ateardown_reactor",
    "get_reactor",
    "install",
    "install_reactor",
    "is_installed",
    "new_loop",
    "teardown_reactor",
    "uninstall",
]

#: The loop implementations ``install(backend=...)`` and ``BRIDGE_LOOP`` accept.
BACKENDS = ("asyncio", "uvloop")

_reactor: AsyncioReactor | None = None
# The reactor already warned about for being bound to a loop that is not the running one.
_warned: list[AsyncioReactor | None] = [None]
# asyncio's own cheap lookup (no exception when no loop runs); public since Python 3.7.
_get_running_loop = asyncio._get_running_loop


def is_installed() -> bool:
    """Return True when a default reactor is installed (never creates one)."""
    return _reactor is not None


def get_reactor() -> AsyncioReactor:
    """Return the default reactor, installing one on first use.

    Inside a running asyncio loop the new reactor is a guest of that loop; otherwise it gets
    a new loop of the backend named by ``BRIDGE_LOOP`` (default ``asyncio``).
    """
    reactor = _reactor
    if reactor is None:
        return install()
    running = _get_running_loop()
    if running is not None and running is not reactor._loop and reactor is not _warned[0]:
        loop = reactor._loop
        if not loop.is_running():
            _warned[0] = reactor
            warnings.warn(
                "bridge.reactor is bound to another event loop than the one running now "
                "(it was created outside of it), so its calls will not run here. Create the "
                "reactor inside the running loop: call bridge.install() there first "
                "(see docs/asyncio-integration.md)",
                RuntimeWarning,
                stacklevel=3,
            )
    return reactor


def _backend_name(backend: str | None) -> str:
    if backend is None:
        backend = os.environ.get("BRIDGE_LOOP") or "asyncio"
        source = "BRIDGE_LOOP"
    else:
        source = "backend"
    name = backend.strip().lower()
    if name not in BACKENDS:
        raise ValueError(f"{source}={backend!r} is not a loop backend: use 'asyncio' or 'uvloop'")
    return name


def new_loop(backend: str | None = None) -> AbstractEventLoop:
    """Return a new event loop of *backend* ("asyncio" or "uvloop"; default ``BRIDGE_LOOP``)."""
    name = _backend_name(backend)
    if name == "uvloop":
        try:
            import uvloop
        except ImportError:
            raise ImportError(
                "the 'uvloop' loop backend needs the uvloop package, which is not installed: "
                "pip install 'bridge[uvloop]' (or pip install uvloop), or use backend='asyncio'"
            ) from None
        loop: AbstractEventLoop = uvloop.new_event_loop()
        return loop
    return asyncio.new_event_loop()


def _check_kind(loop: AbstractEventLoop, backend: str | None) -> None:
    if backend is None:
        return
    name = _backend_name(backend)
    if (name == "uvloop") != is_uvloop(loop):
        kind = "a uvloop loop" if is_uvloop(loop) else "a stdlib asyncio loop"
        raise TypeError(
            f"install(eventloop, backend={backend!r}): the loop given is {kind} "
            f"({type(loop).__module__}.{type(loop).__name__}); pass a matching loop "
            "or drop backend="
        )


def install(
    eventloop: AbstractEventLoop | None = None, *, backend: str | None = None
) -> AsyncioReactor:
    """Install and return the default reactor; see :func:`bridge.install`."""
    if _reactor is not None:
        raise ReactorAlreadyInstalledError(
            f"a reactor is already installed ({_reactor!r}): call bridge.install() once, "
            "before the first use of bridge.reactor"
        )
    if eventloop is not None:
        if not isinstance(eventloop, AbstractEventLoop):
            raise TypeError(
                f"install() needs an asyncio event loop, got {type(eventloop).__name__}"
            )
        _check_kind(eventloop, backend)
        loop = eventloop
    else:
        try:
            running: AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None:
            _check_kind(running, backend)
            loop = running
        else:
            loop = _current_or_new_loop(backend)
    return install_reactor(loop)


def _current_or_new_loop(backend: str | None) -> AbstractEventLoop:
    """The thread's current event loop if one was set, else a new one made current.

    Twisted's asyncio reactor runs on ``asyncio.get_event_loop()``, so code that installs
    it and then creates Futures on ``get_event_loop()`` shares the reactor's loop; bridge
    keeps that promise: a loop set with ``asyncio.set_event_loop()`` (of the requested
    backend) is used, and a new loop is made the current one.
    """
    local = getattr(asyncio.get_event_loop_policy(), "_local", None)
    current = getattr(local, "_loop", None)
    if isinstance(current, AbstractEventLoop) and not current.is_closed():
        wanted = _backend_name(backend)
        if (wanted == "uvloop") == is_uvloop(current):
            return current
    loop = new_loop(backend)
    asyncio.set_event_loop(loop)
    return loop


def install_reactor(loop: AbstractEventLoop) -> AsyncioReactor:
    """Make a fresh reactor on *loop* (running or not) and install it as the default.

    :raises ReactorAlreadyInstalledError: if a default reactor is installed.
    """
    global _reactor
    if _reactor is not None:
        raise ReactorAlreadyInstalledError(f"a reactor is already installed ({_reactor!r})")
    from bridge._reactor import AsyncioReactor

    reactor = AsyncioReactor(loop)
    _reactor = reactor
    return reactor


def uninstall() -> None:
    """Forget the default reactor (the next ``bridge.reactor`` makes a new one)."""
    global _reactor
    _reactor = None


def teardown_reactor(reactor: AsyncioReactor, timeout: float = 5.0) -> None:
    """Shut *reactor* down on its idle loop and uninstall it if it is the default.

    Fires the shutdown event if the reactor is running (driving the loop until it has
    finished, at most *timeout* seconds), then cancels its timers, removes its readers and
    writers and joins its thread pool. The loop is left open.
    """
    loop = reactor._loop
    if not loop.is_closed() and not loop.is_running():
        lifecycle = reactor._lifecycle
        if lifecycle.started and not lifecycle.stopping and not lifecycle.shut_down:
            reactor.stop()
        if lifecycle.stopping:
            done: asyncio.Future[None] = loop.create_future()
            lifecycle.when_shut_down(lambda: _resolve(done))
            # If a before-shutdown trigger never finishes, tear down regardless.
            with contextlib.suppress(asyncio.TimeoutError):
                loop.run_until_complete(asyncio.wait_for(done, timeout))
    reactor._teardown()
    if _reactor is reactor:
        uninstall()


async def ateardown_reactor(reactor: AsyncioReactor, timeout: float = 5.0) -> None:
    """Like :func:`teardown_reactor`, from inside the reactor's running loop (guest mode)."""
    lifecycle = reactor._lifecycle
    if lifecycle.started and not lifecycle.stopping and not lifecycle.shut_down:
        reactor.stop()
    if lifecycle.stopping:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        lifecycle.when_shut_down(lambda: _resolve(done))
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(done, timeout)
    reactor._teardown()
    if _reactor is reactor:
        uninstall()


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
