"""``reactor.resolve``: host name to IPv4 address through ``loop.getaddrinfo``."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import TYPE_CHECKING

from bridge.error import DNSLookupError

if TYPE_CHECKING:
    from bridge._reactor import AsyncioReactor
    from bridge.defer import Deferred

__all__ = ["resolve"]


def _total_timeout(timeout: object) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, (int, float)):
        return float(timeout)
    if isinstance(timeout, Iterable):
        return float(sum(timeout))
    raise TypeError(
        f"resolve(): timeout must be a number or a sequence of numbers, got {timeout!r}"
    )


def resolve(reactor: AsyncioReactor, name: str, timeout: object) -> Deferred[str]:
    """Look *name* up on *reactor*'s loop; see ``AsyncioReactor.resolve``."""
    from bridge.defer import Deferred, succeed

    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        pass
    else:
        return succeed(name)
    loop = reactor._loop
    seconds = _total_timeout(timeout)

    async def lookup() -> str:
        infos = await loop.getaddrinfo(name, None, family=socket.AF_INET, type=socket.SOCK_STREAM)
        if not infos:
            raise DNSLookupError(f"address {name!r} not found: no IPv4 address")
        return str(infos[0][4][0])

    task = loop.create_task(lookup())

    def cancel(_: Deferred[str]) -> None:
        task.cancel()

    d: Deferred[str] = Deferred(cancel)
    timed_out = [False]

    def on_timeout() -> None:
        timed_out[0] = True
        task.cancel()

    timer = loop.call_later(seconds, on_timeout) if seconds is not None else None

    def done(t: asyncio.Task[str]) -> None:
        if timer is not None:
            timer.cancel()
        if d.called:
            return
        if t.cancelled():
            if timed_out[0]:
                d.errback(DNSLookupError(f"address {name!r} not found: timed out after {seconds}s"))
            # else: d was cancelled by its user and has already failed with CancelledError
            return
        exc = t.exception()
        if exc is None:
            d.callback(t.result())
        elif isinstance(exc, DNSLookupError):
            d.errback(exc)
        elif isinstance(exc, OSError):
            d.errback(DNSLookupError(f"address {name!r} not found: {exc}"))
        else:
            d.errback(exc)

    task.add_done_callback(done)
    return d
