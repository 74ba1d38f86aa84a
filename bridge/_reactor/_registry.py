"""Track a reactor's live ports, connectors and connections to close them at shutdown.

Twisted's reactor disconnects everything during its "shutdown" event: each connection's
protocol gets ``connectionLost(ConnectionLost)``, each listening port stops (its factory's
``doStop`` runs) and a connection attempt in progress fails. :func:`registry` gives the
per-reactor set of live objects and hooks :meth:`NetRegistry.disconnect_all` to the
reactor's "during shutdown" trigger the first time something registers.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import Any

from bridge import log

__all__ = ["NetRegistry", "registry"]


class _Live:
    """An insertion-ordered set (a dict's keys): shutdown closes things in a stable order."""

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: dict[Any, None] = {}

    def add(self, item: Any) -> None:
        self._items[item] = None

    def discard(self, item: Any) -> None:
        self._items.pop(item, None)

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


class NetRegistry:
    """The live networking objects of one reactor, each kind in the order it appeared."""

    def __init__(self) -> None:
        self.ports = _Live()
        self.connectors = _Live()
        self.transports = _Live()

    def disconnect_all(self) -> None:
        """Stop every port, fail every pending attempt, drop every connection, at once."""
        for port in list(self.ports):
            self._call(port._stop_now, port)
        for connector in list(self.connectors):
            self._call(connector._shutdown, connector)
        for transport in list(self.transports):
            self._call(transport._shutdown, transport)

    @staticmethod
    def _call(f: Any, obj: Any) -> None:
        try:
            f()
        except Exception:
            log.err(None, f"Error closing {obj!r} at reactor shutdown")


_registries: weakref.WeakKeyDictionary[Any, NetRegistry] = weakref.WeakKeyDictionary()


def registry(reactor: Any) -> NetRegistry:
    """Return *reactor*'s :class:`NetRegistry`, creating it (and its trigger) on first use."""
    try:
        return _registries[reactor]
    except KeyError:
        pass
    except TypeError:  # not weak-referenceable: nothing to hook into
        return NetRegistry()
    reg = _registries[reactor] = NetRegistry()
    add_trigger = getattr(reactor, "addSystemEventTrigger", None)
    if add_trigger is not None:
        add_trigger("during", "shutdown", reg.disconnect_all)
    return reg
