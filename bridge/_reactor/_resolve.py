"""Name resolution for the reactor: Twisted's two resolver interfaces over ``loop.getaddrinfo``.

A reactor holds two resolvers that always agree (``IReactorPluggableResolver`` and
``IReactorPluggableNameResolver``):

- ``reactor.nameResolver``, an ``IHostnameResolver``: by default :class:`GAIResolver`, which
  asks the loop (``loop.getaddrinfo``: the default executor on the stdlib loop, libuv's
  thread pool on uvloop) and reports each address to an ``IResolutionReceiver``;
- ``reactor.resolver``, the legacy IPv4-only ``IResolverSimple`` behind ``reactor.resolve``
  and ``connectTCP``.

Installing one wraps it for the other role, as Twisted does: :class:`SimpleResolverComplexifier`
turns an ``IResolverSimple`` into an ``IHostnameResolver`` and :class:`ComplexResolverSimplifier`
the other way round.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from zope.interface import implementer

from bridge.address import IPv4Address, IPv6Address
from bridge.error import DNSLookupError
from bridge.interfaces import (
    IHostnameResolver,
    IHostResolution,
    IResolutionReceiver,
    IResolverSimple,
)

if TYPE_CHECKING:
    from bridge.defer import Deferred
    from bridge.failure import Failure

__all__ = [
    "ComplexResolverSimplifier",
    "FirstOneWins",
    "GAIResolver",
    "HostResolution",
    "SimpleResolverComplexifier",
    "is_ipv4_address",
    "is_ipv6_address",
]

_SOCKET_TYPES = {"TCP": socket.SOCK_STREAM, "UDP": socket.SOCK_DGRAM}


def is_ipv4_address(text: str) -> bool:
    """Return True if *text* is a dotted-quad IPv4 address."""
    try:
        socket.inet_pton(socket.AF_INET, text)
    except (OSError, ValueError, TypeError):
        return False
    return True


def is_ipv6_address(text: str) -> bool:
    """Return True if *text* is an IPv6 address (a ``%scope`` suffix is allowed)."""
    if not isinstance(text, str) or ":" not in text:
        return False
    try:
        socket.inet_pton(socket.AF_INET6, text.split("%", 1)[0])
    except (OSError, ValueError):
        return False
    return True


def _family(address_types: Sequence[type[object]] | None) -> int:
    types = set(address_types or ())
    if types == {IPv4Address}:
        return socket.AF_INET
    if types == {IPv6Address}:
        return socket.AF_INET6
    return socket.AF_UNSPEC


def _report(call: Any, *args: object) -> None:
    """Call a receiver's method; log what it raises (nobody else could receive it)."""
    try:
        call(*args)
    except Exception:
        from bridge import log

        log.err(None, f"Unhandled error in {call!r}")


@implementer(IHostResolution)
class HostResolution:
    """A host-name lookup in progress, as handed to ``resolutionBegan``.

    :ivar name: the name being looked up.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._task: asyncio.Task[Any] | None = None

    def __repr__(self) -> str:
        return f"<HostResolution {self.name!r}>"

    def cancel(self) -> None:
        """Stop the lookup: no more addresses are reported, only ``resolutionComplete``.

        Cancelling a finished lookup does nothing.

        .. note:: Twisted's thread-pool resolver raises ``NotImplementedError`` here; the
           loop's ``getaddrinfo`` can be abandoned, so bridge does.
        """
        task = self._task
        if task is not None and not task.done():
            task.cancel()


@implementer(IHostnameResolver)
class GAIResolver:
    """The default ``IHostnameResolver``: ``getaddrinfo`` on the reactor's loop.

    ``resolutionBegan`` is called before :meth:`resolveHostName` returns; the addresses and
    ``resolutionComplete`` follow from the loop once the lookup is done (a name that isn't
    found reports no address, then completes).
    """

    def __init__(self, reactor: Any) -> None:
        self._reactor = reactor

    def resolveHostName(
        self,
        resolutionReceiver: IResolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[object]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        """Look *hostName* up, reporting ``IPv4Address``/``IPv6Address`` objects.

        :param portNumber: the port each reported address carries.
        :param addressTypes: the address classes wanted (``None``: both families).
        :param transportSemantics: ``"TCP"`` or ``"UDP"``: the ``type`` of the addresses.
        """
        host = hostName.decode("idna") if isinstance(hostName, bytes) else hostName
        resolution = HostResolution(host)
        resolutionReceiver.resolutionBegan(resolution)
        loop = self._reactor._loop
        family = _family(addressTypes)
        kind = _SOCKET_TYPES.get(transportSemantics, socket.SOCK_STREAM)
        semantics: Literal["TCP", "UDP"] = "UDP" if kind == socket.SOCK_DGRAM else "TCP"

        async def lookup() -> list[Any]:
            try:
                infos: list[Any] = await loop.getaddrinfo(
                    host, portNumber, family=family, type=kind
                )
                return infos
            except (OSError, UnicodeError):
                return []  # not found: no address, then resolutionComplete

        def done(task: asyncio.Task[list[Any]]) -> None:
            if not task.cancelled():
                for fam, _, _, _, sockaddr in task.result():
                    if fam == socket.AF_INET:
                        address: object = IPv4Address(semantics, sockaddr[0], sockaddr[1])
                    elif fam == socket.AF_INET6:
                        address = IPv6Address(semantics, *sockaddr)
                    else:
                        continue
                    _report(resolutionReceiver.addressResolved, address)
            _report(resolutionReceiver.resolutionComplete)

        task = resolution._task = loop.create_task(lookup())
        task.add_done_callback(done)
        return resolution


@implementer(IHostnameResolver)
class SimpleResolverComplexifier:
    """Present an ``IResolverSimple`` (``getHostByName``) as an ``IHostnameResolver``.

    :param simpleResolver: the resolver wrapped; it reports at most one address.
    """

    def __init__(self, simpleResolver: object) -> None:
        self._simpleResolver = simpleResolver

    def resolveHostName(
        self,
        resolutionReceiver: IResolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[object]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        """Ask ``getHostByName(hostName)``; report its answer (if any), then complete."""
        host = hostName.decode("idna") if isinstance(hostName, bytes) else hostName
        resolution = HostResolution(host)
        resolutionReceiver.resolutionBegan(resolution)
        semantics: Literal["TCP", "UDP"] = "UDP" if transportSemantics == "UDP" else "TCP"

        def found(address: str) -> None:
            kind = IPv6Address if is_ipv6_address(address) else IPv4Address
            _report(resolutionReceiver.addressResolved, kind(semantics, address, portNumber))

        def failed(failure: Failure) -> None:
            if not failure.check(DNSLookupError):
                from bridge import log

                log.err(failure, f"while looking up {host!r} with {self._simpleResolver!r}")

        def complete(_: object) -> None:
            _report(resolutionReceiver.resolutionComplete)

        d = self._simpleResolver.getHostByName(host)  # type: ignore[attr-defined]
        d.addCallbacks(found, failed).addCallback(complete)
        return resolution


@implementer(IResolutionReceiver)
class FirstOneWins:
    """A receiver that fires *deferred* with the host of the first address reported.

    If none is reported, *deferred* fails with ``DNSLookupError(name)``.
    """

    def __init__(self, deferred: Deferred[str]) -> None:
        self._deferred = deferred
        self._resolution: IHostResolution | None = None

    def resolutionBegan(self, resolution: IHostResolution) -> None:
        """Remember the lookup, for its name."""
        self._resolution = resolution

    def addressResolved(self, address: Any) -> None:
        """Fire with the first address's host; ignore the rest."""
        if not self._deferred.called:
            self._deferred.callback(address.host)

    def resolutionComplete(self) -> None:
        """Fail with ``DNSLookupError`` if no address came."""
        if not self._deferred.called:
            name = self._resolution.name if self._resolution is not None else ""
            self._deferred.errback(DNSLookupError(name))


@implementer(IResolverSimple)
class ComplexResolverSimplifier:
    """Present an ``IHostnameResolver`` as an ``IResolverSimple`` (IPv4 only).

    :param nameResolver: the resolver wrapped.
    :param reactor: if given, a lookup still unanswered after ``sum(timeouts)`` seconds fails
        with ``DNSLookupError`` (Twisted's ignores *timeouts*: a hung lookup never ends).
    """

    def __init__(self, nameResolver: object, reactor: Any = None) -> None:
        self._nameResolver = nameResolver
        self._reactor = reactor

    def getHostByName(self, name: str, timeouts: Sequence[float] = ()) -> Deferred[str]:
        """Return a Deferred firing with the first IPv4 address of *name*.

        Cancelling the Deferred cancels the lookup (if the resolver supports it).

        :raises: (in the Deferred) ``DNSLookupError(name)`` if there is no IPv4 address.
        """
        from bridge.defer import Deferred

        resolutions: list[Any] = []

        def cancel(_: Deferred[str]) -> None:
            for resolution in resolutions:
                with contextlib.suppress(NotImplementedError):
                    resolution.cancel()

        result: Deferred[str] = Deferred(cancel)
        resolution = self._nameResolver.resolveHostName(  # type: ignore[attr-defined]
            FirstOneWins(result), name, 0, [IPv4Address]
        )
        if resolution is not None and hasattr(resolution, "cancel"):
            resolutions.append(resolution)
        seconds = _total(timeouts)
        if self._reactor is not None and seconds and not result.called:
            # A loop timer, not callLater: the lookup's deadline is no DelayedCall of the
            # program's (getDelayedCalls() stays as in Twisted).
            timer = self._reactor._loop.call_later(
                seconds, _time_out, result, name, seconds, cancel
            )
            result.addBoth(_cancel_timer, timer)
        return result


def _total(timeouts: object) -> float:
    if isinstance(timeouts, (int, float)):
        return float(timeouts)
    if isinstance(timeouts, Iterable):
        return float(sum(timeouts))
    raise TypeError(
        f"getHostByName(): timeout must be a number or a sequence of numbers, got {timeouts!r}"
    )


def _time_out(d: Deferred[str], name: str, seconds: float, cancel: Any) -> None:
    if not d.called:
        cancel(d)
        if not d.called:
            d.errback(DNSLookupError(name, f"(timed out after {seconds:g}s)"))


def _cancel_timer(result: object, timer: asyncio.TimerHandle) -> object:
    timer.cancel()
    return result


def resolve(reactor: Any, name: str | bytes, timeout: object) -> Deferred[str]:
    """``reactor.resolve``: an IP literal at once, else ``reactor.resolver.getHostByName``."""
    from bridge.defer import succeed

    if isinstance(name, bytes):
        name = name.decode("idna")
    if not name:
        return succeed("0.0.0.0")
    if is_ipv4_address(name):
        return succeed(name)
    d: Deferred[str] = reactor.resolver.getHostByName(name, timeout)
    return d
