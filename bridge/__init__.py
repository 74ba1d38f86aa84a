"""bridge: Twisted's reactor, Deferred and protocol stack on an asyncio event loop.

``from bridge import reactor`` gives the default reactor, created on first use;
:func:`install` chooses its loop explicitly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from asyncio import AbstractEventLoop

    from bridge._reactor import AsyncioReactor

    reactor: AsyncioReactor

__all__ = ["__version__", "install", "reactor"]

__version__ = "0.1.0"


def install(
    eventloop: AbstractEventLoop | None = None, *, backend: str | None = None
) -> AsyncioReactor:
    """Install the default reactor on *eventloop* and return it.

    Without *eventloop*, the reactor joins the running loop (guest mode) if there is one,
    and otherwise gets a new loop of *backend*.

    :param eventloop: the asyncio (or uvloop) loop to run on.
    :param backend: ``"asyncio"`` or ``"uvloop"``; defaults to the ``BRIDGE_LOOP``
        environment variable, else ``"asyncio"``. With *eventloop*, it must match its kind.
    :raises ReactorAlreadyInstalledError: if a reactor is already installed.
    :raises ImportError: if uvloop is asked for but not installed.
    :raises TypeError: if *eventloop* is not an event loop or not of the *backend* kind.
    """
    from bridge import _runtime

    return _runtime.install(eventloop, backend=backend)


def __getattr__(name: str) -> object:
    if name == "reactor":
        from bridge import _runtime

        return _runtime.get_reactor()
    raise AttributeError(f"module 'bridge' has no attribute {name!r}")
