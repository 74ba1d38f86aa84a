"""Adapters between Deferreds and asyncio, in asyncio's own words.

``await d`` already works on a Deferred inside any asyncio Task (stdlib loop or uvloop),
and ``ensureDeferred(coro)`` runs a coroutine as a Deferred. This module adds the
conversions and wrappers an asyncio programmer reaches for:

* :func:`to_future` / :func:`to_deferred`: convert one way or the other;
* :func:`call_deferred`: call a Deferred-returning function from a coroutine;
* :func:`deferred_to_async` / :func:`async_to_deferred`: wrap whole functions.

Cancellation crosses both ways: cancelling the Future cancels the Deferred (its canceller
runs), and a Deferred failing with :class:`bridge.defer.CancelledError` leaves the Future
``cancelled()``; cancelling a Deferred made from a Future or coroutine cancels that Future
or coroutine and fails the Deferred at once with ``CancelledError``.
"""

from __future__ import annotations

import asyncio
import functools
import types
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from bridge._defer_core import _DEFERRED_TYPES, Deferred, maybeDeferred
from bridge._inline import as_future, from_coroutine, from_future

__all__ = [
    "async_to_deferred",
    "call_deferred",
    "deferred_to_async",
    "to_deferred",
    "to_future",
]

T = TypeVar("T")
P = ParamSpec("P")


def to_future(d: Deferred[T], loop: asyncio.AbstractEventLoop | None = None) -> asyncio.Future[T]:
    """Return an :class:`asyncio.Future` that gets *d*'s result or exception.

    :param loop: the Future's loop; by default the running loop, else the reactor's.

    Cancelling the Future cancels *d*. If *d* fails with
    :class:`bridge.defer.CancelledError`, the Future ends ``cancelled()``. *d*'s result
    is consumed (its value becomes ``None``), as with ``Deferred.asFuture``.
    """
    return as_future(d, loop)


async def _await(awaitable: Awaitable[T]) -> T:
    return await awaitable


def to_deferred(awaitable: Awaitable[T] | Deferred[T]) -> Deferred[T]:
    """Return a Deferred for *awaitable*: a coroutine, Future, Task, Deferred or other.

    A Deferred is returned unchanged; a coroutine is run as by ``ensureDeferred``; a
    Future or Task is adapted with ``Deferred.fromFuture``; any other awaitable is awaited
    in a coroutine.
    """
    if type(awaitable) in _DEFERRED_TYPES:
        return awaitable  # type: ignore[return-value]
    if type(awaitable) is types.CoroutineType:
        return from_coroutine(awaitable)
    if asyncio.isfuture(awaitable):
        return from_future(awaitable)
    if isinstance(awaitable, Coroutine):
        return from_coroutine(awaitable)
    if not hasattr(awaitable, "__await__"):
        raise TypeError(f"to_deferred() needs an awaitable, got {awaitable!r}")
    return from_coroutine(_await(awaitable))


async def call_deferred(f: Callable[P, Any], *args: P.args, **kwargs: P.kwargs) -> Any:
    """Call *f* (which may return a Deferred, a coroutine or a value) and await its result.

    Cancelling the awaiting task cancels the Deferred.
    """
    return await maybeDeferred(f, *args, **kwargs)


def deferred_to_async(
    f: Callable[P, Deferred[T]],
) -> Callable[P, Coroutine[Any, Any, T]]:
    """Wrap a Deferred-returning function as an ``async def`` function."""

    @functools.wraps(f)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        result: T = await maybeDeferred(f, *args, **kwargs)
        return result

    return wrapper


def async_to_deferred(
    f: Callable[P, Coroutine[Any, Any, T]],
) -> Callable[P, Deferred[T]]:
    """Wrap an ``async def`` function so calling it returns a Deferred (ensureDeferred)."""

    @functools.wraps(f)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Deferred[T]:
        return from_coroutine(f(*args, **kwargs))

    return wrapper
