"""Endpoints: where to listen or what to connect to, as objects or as strings.

This module mirrors ``twisted.internet.endpoints``. A server endpoint's ``listen(factory)``
returns a Deferred firing with the listening port; a client endpoint's ``connect(factory)``
returns a Deferred firing with the connected protocol (after its ``connectionMade``), or
failing with the connection error; cancelling it stops the attempt with
``ConnectingCancelledError``. :func:`serverFromString`/:func:`clientFromString` build
endpoints from strings such as ``"tcp:8080:interface=127.0.0.1"``,
``"tcp:host=example.com:port=80"`` and ``"unix:/var/run/app.sock"``.

The endpoints only call the reactor's ``listenTCP``/``connectTCP``/... methods, so they work
with any reactor, including ``bridge.testing.MemoryReactor``. TLS endpoints (``ssl:``) come
from ``bridge._endpoints_ssl``; ``ProcessEndpoint`` from ``bridge._endpoints_process``.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from zope.interface import directlyProvides, implementer, providedBy

from bridge import error
from bridge.address import IPv6Address
from bridge.defer import Deferred, execute, fail, succeed
from bridge.failure import Failure
from bridge.interfaces import (
    IHalfCloseableProtocol,
    IHandshakeListener,
    IResolutionReceiver,
    IStreamClientEndpoint,
    IStreamServerEndpoint,
)
from bridge.protocol import ClientFactory, Factory, Protocol, connectionDone

if TYPE_CHECKING:
    from bridge._endpoints_ssl import SSL4ClientEndpoint, SSL4ServerEndpoint

__all__ = [
    "AdoptedStreamServerEndpoint",
    "HostnameEndpoint",
    "ProcessEndpoint",  # noqa: F822 - provided lazily by __getattr__
    "SSL4ClientEndpoint",
    "SSL4ServerEndpoint",
    "StandardErrorBehavior",  # noqa: F822 - provided lazily by __getattr__
    "StandardIOEndpoint",  # noqa: F822 - provided lazily by __getattr__
    "TCP4ClientEndpoint",
    "TCP4ServerEndpoint",
    "TCP6ClientEndpoint",
    "TCP6ServerEndpoint",
    "UNIXClientEndpoint",
    "UNIXServerEndpoint",
    "clientFromString",
    "connectProtocol",
    "quoteStringArgument",
    "serverFromString",
    "wrapClientTLS",  # noqa: F822 - provided lazily by __getattr__
    "wrapServerTLS",  # noqa: F822 - provided lazily by __getattr__
]

_LAZY = {
    "SSL4ServerEndpoint": "bridge._endpoints_ssl",
    "SSL4ClientEndpoint": "bridge._endpoints_ssl",
    "ProcessEndpoint": "bridge._endpoints_process",
    "StandardErrorBehavior": "bridge._endpoints_process",
    "StandardIOEndpoint": "bridge._endpoints_process",
    "wrapClientTLS": "bridge._endpoints_ssl",
    "wrapServerTLS": "bridge._endpoints_ssl",
}


def __getattr__(name: str) -> Any:
    # TLS and process endpoints live in their own modules; import them on first use so a
    # problem there never breaks ``import bridge.endpoints``.
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


# -- connecting: a factory wrapper that reports the outcome in a Deferred -----------------------


class _WrappingProtocol(Protocol):
    """Pass a connection's events to the user's protocol and fire a Deferred once made.

    Once connected on a bridge transport, the wrapper steps aside: the transport calls the
    user's protocol directly, so data does not pay for an extra call.
    """

    def __init__(self, connected: Deferred[Any], wrapped: Protocol) -> None:
        self._connected = connected
        self._wrappedProtocol = wrapped
        # Twisted's transports look for these interfaces on the protocol they hold.
        extra = [
            iface
            for iface in (IHalfCloseableProtocol, IHandshakeListener)
            if iface.providedBy(wrapped)
        ]
        if extra:
            directlyProvides(self, *extra, *providedBy(self))

    def logPrefix(self) -> str:
        prefix = getattr(self._wrappedProtocol, "logPrefix", None)
        return str(prefix()) if prefix is not None else type(self._wrappedProtocol).__name__

    def makeConnection(self, transport: Any) -> None:
        self.connected = 1
        self.transport = transport
        wrapped = self._wrappedProtocol
        wrapped.makeConnection(transport)
        rebind = getattr(transport, "_rebind_protocol", None)
        if rebind is not None:
            rebind(wrapped)
        self._connected.callback(wrapped)

    def dataReceived(self, data: bytes) -> None:
        self._wrappedProtocol.dataReceived(data)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._wrappedProtocol.connectionLost(reason)

    def readConnectionLost(self) -> None:
        self._wrappedProtocol.readConnectionLost()  # type: ignore[attr-defined]

    def writeConnectionLost(self) -> None:
        self._wrappedProtocol.writeConnectionLost()  # type: ignore[attr-defined]

    def handshakeCompleted(self) -> None:
        self._wrappedProtocol.handshakeCompleted()  # type: ignore[attr-defined]


class _WrappingFactory(ClientFactory):
    """Build the user's protocol inside a wrapper and route failures to a Deferred."""

    noisy = False

    def __init__(self, wrapped: Any) -> None:
        self._wrappedFactory = wrapped
        self._onConnection: Deferred[Any] = Deferred(self._cancel)
        self._connector: Any = None

    def _cancel(self, d: Deferred[Any]) -> None:
        connector = self._connector
        if connector is None:
            return
        d.errback(error.ConnectingCancelledError(connector.getDestination()))
        connector.stopConnecting()

    def startFactory(self) -> None:
        self._wrappedFactory.doStart()

    def stopFactory(self) -> None:
        self._wrappedFactory.doStop()

    def buildProtocol(self, addr: object) -> Protocol | None:
        try:
            proto = self._wrappedFactory.buildProtocol(addr)
            if proto is None:
                raise error.NoProtocol()
        except Exception:
            if not self._onConnection.called:
                self._onConnection.errback(Failure())
            return None
        return _WrappingProtocol(self._onConnection, proto)

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        if not self._onConnection.called:
            self._onConnection.errback(reason)


def _connect_with(
    reactor: Any, connect: Callable[[ClientFactory], object], protocolFactory: Any
) -> Deferred[Any]:
    """Start a connection with ``connect(wrapping_factory)``; report it in a Deferred.

    The Deferred fires with the protocol built by *protocolFactory*, after its
    ``connectionMade``; it fails with the reason given to ``clientConnectionFailed``;
    cancelling it calls the connector's ``stopConnecting`` and fails it with
    ``ConnectingCancelledError``. Used by every client endpoint (TCP, UNIX, TLS).

    :param reactor: the reactor (unused here; kept so callers read uniformly).
    :param connect: starts the attempt and returns the ``IConnector``.
    """
    factory = _WrappingFactory(protocolFactory)
    try:
        factory._connector = connect(factory)
    except Exception:
        return fail(Failure())
    return factory._onConnection


# -- TCP ------------------------------------------------------------------------------------------


@implementer(IStreamServerEndpoint)
class TCP4ServerEndpoint:
    """Listen for TCP connections over IPv4.

    :param reactor: an ``IReactorTCP``.
    :param port: the port number (0 for any free port).
    :param backlog: the listen queue length.
    :param interface: the IPv4 address to bind; ``""`` means all.
    """

    _default_interface = ""

    def __init__(
        self, reactor: Any, port: int, backlog: int = 50, interface: str | None = None
    ) -> None:
        self._reactor = reactor
        self._port = port
        self._backlog = backlog
        self._interface = self._default_interface if interface is None else interface

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._interface or '*'}:{self._port}>"

    def listen(self, protocolFactory: Any) -> Deferred[Any]:
        """Start listening; the Deferred fires with the ``IListeningPort``."""
        return execute(
            self._reactor.listenTCP,
            self._port,
            protocolFactory,
            backlog=self._backlog,
            interface=self._interface,
        )


class TCP6ServerEndpoint(TCP4ServerEndpoint):
    """Listen for TCP connections over IPv6; *interface* defaults to ``"::"``."""

    _default_interface = "::"


@implementer(IStreamClientEndpoint)
class TCP4ClientEndpoint:
    """Connect over TCP to *host*:*port* (a host name is resolved to IPv4).

    :param timeout: seconds to wait for the connection.
    :param bindAddress: a ``(host, port)`` to bind the local end to.
    """

    def __init__(
        self,
        reactor: Any,
        host: str,
        port: int,
        timeout: float = 30,
        bindAddress: tuple[str, int] | None = None,
    ) -> None:
        self._reactor = reactor
        self._host = host
        self._port = port
        self._timeout = timeout
        self._bindAddress = bindAddress

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._host}:{self._port}>"

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        """Connect; the Deferred fires with the protocol once ``connectionMade`` has run."""
        return _connect_with(
            self._reactor,
            lambda f: self._reactor.connectTCP(
                self._host, self._port, f, timeout=self._timeout, bindAddress=self._bindAddress
            ),
            protocolFactory,
        )


class TCP6ClientEndpoint(TCP4ClientEndpoint):
    """Connect over TCP to an IPv6 *host*:*port*; a host name is resolved to IPv6."""

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        """Resolve the host (if needed) to IPv6, then connect."""
        host = self._host
        if _is_ip(socket.AF_INET6, host.split("%", 1)[0]):
            return super().connect(protocolFactory)
        # Like Twisted's, this asks getaddrinfo directly, not the reactor's nameResolver.
        d = _resolve(self._reactor, host, self._port, socket.AF_INET6, name_resolver=False)

        def connect(addresses: list[tuple[int, str]]) -> Deferred[Any]:
            return TCP6ClientEndpoint(
                self._reactor, addresses[0][1], self._port, self._timeout, self._bindAddress
            ).connect(protocolFactory)

        return d.addCallback(connect)


def _is_ip(family: int, host: str) -> bool:
    try:
        socket.inet_pton(family, host)
    except (OSError, ValueError):
        return False
    return True


def _resolve(
    reactor: Any, host: str, port: int, family: int, *, name_resolver: bool = True
) -> Deferred[list[tuple[int, str]]]:
    """Resolve *host* to ``[(family, address), ...]``, without duplicates.

    Uses the reactor's ``nameResolver`` (``IReactorPluggableNameResolver``: bridge's reactor,
    ``bridge.testing.MemoryReactor``) if it has one and *name_resolver* is true, else
    ``loop.getaddrinfo`` on bridge's reactor, else a blocking ``getaddrinfo``.
    """
    from bridge.aio import to_deferred

    resolver = getattr(reactor, "nameResolver", None) if name_resolver else None
    if resolver is not None:
        return _resolve_with(resolver, host, port, family)

    def unique(infos: list[Any]) -> list[tuple[int, str]]:
        seen: list[tuple[int, str]] = []
        for fam, _, _, _, sockaddr in infos:
            item = (fam, sockaddr[0])
            if item not in seen:
                seen.append(item)
        if not seen:
            raise error.DNSLookupError(f"address {host!r} not found")
        return seen

    loop = getattr(reactor, "_loop", None)
    if loop is None:
        try:
            return succeed(unique(socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)))
        except OSError as exc:
            return fail(error.DNSLookupError(f"address {host!r} not found: {exc}"))

    async def lookup() -> list[tuple[int, str]]:
        try:
            infos = await loop.getaddrinfo(host, port, family=family, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise error.DNSLookupError(f"address {host!r} not found: {exc}") from exc
        return unique(infos)

    d: Deferred[list[tuple[int, str]]] = to_deferred(lookup())
    return d


@implementer(IResolutionReceiver)
class _Receiver:
    """Collect the addresses an ``IHostnameResolver`` reports into a Deferred."""

    def __init__(self, host: str, family: int) -> None:
        self._host = host
        self._family = family
        self.addresses: list[tuple[int, str]] = []
        self.deferred: Deferred[list[tuple[int, str]]] = Deferred()

    def resolutionBegan(self, resolutionInProgress: object) -> None:
        pass

    def addressResolved(self, address: Any) -> None:
        family = socket.AF_INET6 if isinstance(address, IPv6Address) else socket.AF_INET
        item = (family, address.host)
        if self._family in (socket.AF_UNSPEC, family) and item not in self.addresses:
            self.addresses.append(item)

    def resolutionComplete(self) -> None:
        if self.addresses:
            self.deferred.callback(self.addresses)
        else:
            self.deferred.errback(
                error.DNSLookupError(f"no results for hostname lookup: {self._host}")
            )


def _resolve_with(
    resolver: Any, host: str, port: int, family: int
) -> Deferred[list[tuple[int, str]]]:
    receiver = _Receiver(host, family)
    resolver.resolveHostName(receiver, host, portNumber=port)
    return receiver.deferred


@implementer(IStreamClientEndpoint)
class HostnameEndpoint:
    """Connect to a host name over TCP, trying each IPv4 and IPv6 address it resolves to.

    Addresses are tried one after another, a new attempt starting every *attemptDelay*
    seconds (or when the previous one fails); the first to connect wins and the others are
    cancelled.

    :param host: a host name or an IP address (bytes or text).
    :param attemptDelay: seconds between starting attempts (default 0.3).
    """

    def __init__(
        self,
        reactor: Any,
        host: str | bytes,
        port: int,
        timeout: float = 30,
        bindAddress: tuple[str, int] | bytes | str | None = None,
        attemptDelay: float | None = None,
    ) -> None:
        self._reactor = reactor
        self._hostText = host.decode("idna") if isinstance(host, bytes) else host
        self._port = port
        self._timeout = timeout
        bind: tuple[str, int] | None
        if isinstance(bindAddress, (bytes, str)):
            text = bindAddress.decode() if isinstance(bindAddress, bytes) else bindAddress
            bind = (text, 0)
        else:
            bind = bindAddress
        self._bindAddress = bind
        self._attemptDelay = 0.3 if attemptDelay is None else attemptDelay

    def __repr__(self) -> str:
        host = f"[{self._hostText}]" if ":" in self._hostText else self._hostText
        return f"<HostnameEndpoint {host}:{self._port}>"

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        """Resolve, then race connection attempts; fire with the first protocol connected."""
        return _HostnameAttempt(self, protocolFactory).start()


class _HostnameAttempt:
    """The state of one ``HostnameEndpoint.connect`` call."""

    def __init__(self, endpoint: HostnameEndpoint, factory: Any) -> None:
        self._endpoint = endpoint
        self._factory = factory
        self._result: Deferred[Any] = Deferred(self._cancel)
        self._pending: list[Deferred[Any]] = []
        self._addresses: list[tuple[int, str]] = []
        self._timer: Any = None
        self._resolving: Deferred[Any] | None = None
        self._last_failure: Failure | None = None
        self._done = False

    def start(self) -> Deferred[Any]:
        e = self._endpoint
        self._resolving = _resolve(e._reactor, e._hostText, e._port, socket.AF_UNSPEC)
        self._resolving.addCallbacks(self._resolved, self._resolve_failed)
        return self._result

    def _resolve_failed(self, failure: Failure) -> None:
        self._resolving = None
        if not self._done:
            self._done = True
            if failure.check(error.DNSLookupError):
                self._result.errback(failure)
            else:
                self._result.errback(error.DNSLookupError(str(failure.value)))

    def _resolved(self, addresses: list[tuple[int, str]]) -> None:
        self._resolving = None
        if self._done:
            return
        # Interleave families (RFC 8305): IPv6 first if the resolver put it first.
        v6 = [a for a in addresses if a[0] == socket.AF_INET6]
        v4 = [a for a in addresses if a[0] != socket.AF_INET6]
        first, second = (v6, v4) if addresses[0][0] == socket.AF_INET6 else (v4, v6)
        ordered: list[tuple[int, str]] = []
        for i in range(max(len(first), len(second))):
            ordered.extend(pair[i] for pair in (first, second) if i < len(pair))
        self._addresses = ordered
        self._next_attempt()

    def _next_attempt(self) -> None:
        self._timer = None
        if self._done or not self._addresses:
            return
        family, host = self._addresses.pop(0)
        e = self._endpoint
        klass = TCP6ClientEndpoint if family == socket.AF_INET6 else TCP4ClientEndpoint
        d = klass(e._reactor, host, e._port, e._timeout, e._bindAddress).connect(self._factory)
        self._pending.append(d)
        d.addCallbacks(self._connected, self._attempt_failed, callbackArgs=(d,), errbackArgs=(d,))
        if self._addresses and not self._done:
            self._timer = e._reactor.callLater(e._attemptDelay, self._next_attempt)

    def _connected(self, proto: Any, d: Deferred[Any]) -> None:
        self._pending.remove(d)
        if self._done:
            proto.transport.loseConnection()
            return
        self._done = True
        self._stop_others()
        self._result.callback(proto)

    def _attempt_failed(self, failure: Failure, d: Deferred[Any]) -> None:
        if d in self._pending:
            self._pending.remove(d)
        if self._done:
            return
        self._last_failure = failure
        if self._addresses:
            if self._timer is not None:
                self._timer.cancel()
            self._next_attempt()
        elif not self._pending:
            self._done = True
            self._result.errback(failure)

    def _stop_others(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for d in list(self._pending):
            d.addErrback(lambda f: None)
            d.cancel()
        self._pending.clear()

    def _cancel(self, d: Deferred[Any]) -> None:
        if self._done:
            return
        self._done = True
        self._stop_others()
        if self._resolving is not None:
            self._resolving.addErrback(lambda f: None)
            self._resolving.cancel()
        e = self._endpoint
        d.errback(error.ConnectingCancelledError(_hostname_address(e._hostText, e._port)))


def _hostname_address(host: str, port: int) -> Any:
    from bridge.address import HostnameAddress

    return HostnameAddress(host.encode("idna"), port)


# -- UNIX -----------------------------------------------------------------------------------------


@implementer(IStreamServerEndpoint)
class UNIXServerEndpoint:
    """Listen on a UNIX-domain stream socket.

    :param address: the socket's path.
    :param mode: permissions given to the socket file.
    :param wantPID: hold a ``<address>.lock`` PID lock while listening.
    """

    def __init__(
        self,
        reactor: Any,
        address: str,
        backlog: int = 50,
        mode: int = 0o666,
        wantPID: int | bool = 0,
    ) -> None:
        self._reactor = reactor
        self._address = address
        self._backlog = backlog
        self._mode = mode
        self._wantPID = wantPID

    def __repr__(self) -> str:
        return f"<UNIXServerEndpoint {self._address}>"

    def listen(self, protocolFactory: Any) -> Deferred[Any]:
        """Start listening; the Deferred fires with the ``IListeningPort``."""
        return execute(
            self._reactor.listenUNIX,
            self._address,
            protocolFactory,
            backlog=self._backlog,
            mode=self._mode,
            wantPID=self._wantPID,
        )


@implementer(IStreamClientEndpoint)
class UNIXClientEndpoint:
    """Connect to a UNIX-domain stream socket.

    :param checkPID: fail unless a live process holds ``<path>.lock``.
    """

    def __init__(
        self, reactor: Any, path: str, timeout: float = 30, checkPID: int | bool = 0
    ) -> None:
        self._reactor = reactor
        self._path = path
        self._timeout = timeout
        self._checkPID = checkPID

    def __repr__(self) -> str:
        return f"<UNIXClientEndpoint {self._path}>"

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        """Connect; the Deferred fires with the protocol once ``connectionMade`` has run."""
        return _connect_with(
            self._reactor,
            lambda f: self._reactor.connectUNIX(
                self._path, f, timeout=self._timeout, checkPID=self._checkPID
            ),
            protocolFactory,
        )


@implementer(IStreamServerEndpoint)
class AdoptedStreamServerEndpoint:
    """Listen on a listening socket opened outside bridge (systemd, inetd, a parent process).

    :param reactor: an ``IReactorSocket`` provider.
    :param fileno: the listening ``SOCK_STREAM`` socket's file descriptor; :meth:`listen`
        closes it once the reactor holds its own copy.
    :param addressFamily: the socket's family (``socket.AF_INET``, ``AF_INET6``, ``AF_UNIX``).
    """

    def __init__(self, reactor: Any, fileno: int, addressFamily: int) -> None:
        self.reactor = reactor
        self.fileno = fileno
        self.addressFamily = addressFamily
        self._used = False

    def listen(self, factory: Any) -> Deferred[Any]:
        """Serve *factory* on the descriptor, then close it; a second call fails.

        :return: a Deferred firing with the ``IListeningPort``, or failing with
            ``AlreadyListened`` when called twice.
        """
        if self._used:
            return fail(error.AlreadyListened())
        self._used = True
        try:
            os.set_blocking(self.fileno, False)
            port = self.reactor.adoptStreamPort(self.fileno, self.addressFamily, factory)
            os.close(self.fileno)
        except Exception:
            return fail(Failure())
        return succeed(port)


def connectProtocol(endpoint: Any, protocol: Protocol) -> Deferred[Any]:
    """Connect *endpoint* and attach the already built *protocol* to the connection.

    :return: a Deferred firing with *protocol* once it is connected.
    """

    class OneShotFactory(Factory):
        noisy = False

        def buildProtocol(self, addr: object) -> Protocol:
            return protocol

    d: Deferred[Any] = endpoint.connect(OneShotFactory())
    return d


# -- endpoint strings ------------------------------------------------------------------------------


def quoteStringArgument(argument: str) -> str:
    """Escape *argument* for use inside a :func:`serverFromString`/:func:`clientFromString`
    description: backslashes and colons get a backslash.

    ``serverFromString(reactor, "unix:%s" % quoteStringArgument(path))``
    """
    for special in ("\\", ":"):
        argument = argument.replace(special, "\\" + special)
    return argument


def _tokenize(description: str) -> tuple[list[str], dict[str, str]]:
    """Split ``"type:a:b:key=value"`` on unescaped colons; backslash escapes one character."""
    fields: list[str] = []
    current: list[str] = []
    chars = iter(description)
    for ch in chars:
        if ch == "\\":
            escaped = next(chars, None)
            if escaped is None:
                raise ValueError(
                    f"endpoint description {description!r}: a trailing backslash escapes nothing"
                )
            current.append("\0" + escaped if escaped == "=" else escaped)
        elif ch == ":":
            fields.append("".join(current))
            current = []
        else:
            current.append(ch)
    fields.append("".join(current))
    args: list[str] = []
    kwargs: dict[str, str] = {}
    for field in fields:
        if "=" in field:
            key, _, value = field.partition("=")
            kwargs[key.replace("\0=", "=")] = value.replace("\0=", "=")
        else:
            args.append(field.replace("\0=", "="))
    return args, kwargs


def _int(kind: str, name: str, value: str, description: str, base: int = 10) -> int:
    try:
        return int(value, base)
    except ValueError:
        raise ValueError(
            f"{kind} endpoint {description!r}: {name} {value!r} is not a "
            f"{'number' if base == 10 else f'base-{base} number'}"
        ) from None


def _number(kind: str, name: str, value: str, description: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ValueError(
            f"{kind} endpoint {description!r}: {name} {value!r} is not a number"
        ) from None


def _check(kind: str, description: str, kwargs: dict[str, str], known: tuple[str, ...]) -> None:
    for key in kwargs:
        if key not in known:
            raise ValueError(
                f"{kind} endpoint {description!r}: unknown option {key!r} "
                f"(known: {', '.join(known)})"
            )


def _positional(
    kind: str, description: str, args: list[str], kwargs: dict[str, str], names: tuple[str, ...]
) -> dict[str, str]:
    if len(args) > len(names):
        raise ValueError(
            f"{kind} endpoint {description!r}: too many positional parts "
            f"{args[len(names) :]!r}; expected at most {', '.join(names)}"
        )
    merged = dict(kwargs)
    for name, value in zip(names, args, strict=False):
        if name in merged:
            raise ValueError(f"{kind} endpoint {description!r}: {name} given twice")
        merged[name] = value
    return merged


def serverFromString(reactor: Any, description: str) -> Any:
    """Build a server endpoint from a string.

    Examples: ``"tcp:8080"``, ``"tcp:8080:interface=127.0.0.1:backlog=100"``,
    ``"tcp6:8080:interface=\\:\\:1"``, ``"unix:/var/run/app.sock:mode=660:lockfile=1"``,
    ``"ssl:443:privateKey=key.pem:certKey=cert.pem"``.

    :raises ValueError: naming the part of *description* that is wrong.
    """
    args, kwargs = _tokenize(description)
    kind = args.pop(0).lower() if args else ""
    if kind in ("tcp", "tcp6"):
        label = f"{kind} server"
        opts = _positional(label, description, args, kwargs, ("port", "interface", "backlog"))
        _check(label, description, opts, ("port", "interface", "backlog"))
        if "port" not in opts:
            raise ValueError(f"{label} endpoint {description!r}: a port is required")
        port = _int(label, "port", opts["port"], description)
        backlog = _int(label, "backlog", opts.get("backlog", "50"), description)
        klass = TCP6ServerEndpoint if kind == "tcp6" else TCP4ServerEndpoint
        return klass(reactor, port, backlog, opts.get("interface"))
    if kind == "unix":
        label = "unix server"
        opts = _positional(label, description, args, kwargs, ("address", "mode", "backlog"))
        _check(label, description, opts, ("address", "mode", "backlog", "lockfile"))
        if not opts.get("address"):
            raise ValueError(f"{label} endpoint {description!r}: a socket path is required")
        return UNIXServerEndpoint(
            reactor,
            opts["address"],
            backlog=_int(label, "backlog", opts.get("backlog", "50"), description),
            mode=_int(label, "mode", opts.get("mode", "666"), description, base=8),
            # As in Twisted, a string-built UNIX server takes a PID lock unless lockfile=0.
            wantPID=bool(_int(label, "lockfile", opts.get("lockfile", "1"), description)),
        )
    if kind == "ssl":
        from bridge._endpoints_ssl import parse_ssl_server

        return parse_ssl_server(reactor, *args, **kwargs)
    raise ValueError(
        f"server endpoint {description!r}: unknown endpoint type {kind!r} "
        "(known: tcp, tcp6, unix, ssl)"
    )


def clientFromString(reactor: Any, description: str) -> Any:
    """Build a client endpoint from a string.

    Examples: ``"tcp:host=example.com:port=80"``, ``"tcp:example.com:80:timeout=5"``,
    ``"tcp:127.0.0.1:80:bindAddress=127.0.0.1"``, ``"unix:path=/var/run/app.sock"``,
    ``"unix:/var/run/app.sock:checkPID=1"``, ``"ssl:host=example.com:port=443"``,
    ``"tls:example.com:443"``.

    :raises ValueError: naming the part of *description* that is wrong.
    """
    args, kwargs = _tokenize(description)
    kind = args.pop(0).lower() if args else ""
    if kind in ("tcp", "tcp6"):
        label = f"{kind} client"
        opts = _positional(label, description, args, kwargs, ("host", "port"))
        _check(label, description, opts, ("host", "port", "timeout", "bindAddress"))
        for required in ("host", "port"):
            if not opts.get(required):
                raise ValueError(f"{label} endpoint {description!r}: {required} is required")
        bind = opts.get("bindAddress")
        klass = TCP6ClientEndpoint if kind == "tcp6" else TCP4ClientEndpoint
        return klass(
            reactor,
            opts["host"],
            _int(label, "port", opts["port"], description),
            timeout=_number(label, "timeout", opts.get("timeout", "30"), description),
            bindAddress=(bind, 0) if bind else None,
        )
    if kind == "unix":
        label = "unix client"
        opts = _positional(label, description, args, kwargs, ("path",))
        _check(label, description, opts, ("path", "timeout", "checkPID", "lockfile"))
        if not opts.get("path"):
            raise ValueError(f"{label} endpoint {description!r}: a socket path is required")
        check = opts.get("checkPID", opts.get("lockfile", "0"))
        return UNIXClientEndpoint(
            reactor,
            opts["path"],
            timeout=_number(label, "timeout", opts.get("timeout", "30"), description),
            checkPID=bool(_int(label, "checkPID", check, description)),
        )
    if kind == "ssl":
        from bridge._endpoints_ssl import parse_ssl_client

        return parse_ssl_client(reactor, *args, **kwargs)
    if kind == "tls":
        from bridge._endpoints_ssl import parse_tls_client

        return parse_tls_client(reactor, *args, **kwargs)
    raise ValueError(
        f"client endpoint {description!r}: unknown endpoint type {kind!r} "
        "(known: tcp, tcp6, unix, ssl, tls)"
    )
