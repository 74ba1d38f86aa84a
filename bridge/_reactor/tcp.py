"""``listenTCP`` and ``connectTCP`` on asyncio's native TCP transports.

The reactor's ``listenTCP``/``connectTCP`` delegate to :func:`listen_tcp` and
:func:`connect_tcp`. A :class:`Port` binds synchronously (``CannotListenError`` at call
time) and serves through ``loop.create_server(sock=...)``; a :class:`Connector` resolves the
host (IPv4, or IPv6 for an IPv6 literal, as Twisted does), binds ``bindAddress``, connects
with ``loop.sock_connect`` and wraps the socket with ``loop.create_connection(sock=...)``.
TLS (``bridge._reactor.ssl``) reuses both through the ``ssl_context`` keyword.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from zope.interface import implementer

from bridge import error, log
from bridge._reactor._errors import cannot_listen
from bridge._reactor._registry import registry
from bridge._reactor._stream import (
    ResolverFailed,
    StreamConnector,
    StreamPort,
    _Attempt,
    handed_over,
)
from bridge._reactor._transport import StreamAdapter, TCPTransport, _ip_address
from bridge.address import IPv4Address, IPv6Address
from bridge.compat import is_uvloop
from bridge.interfaces import IConnector, IListeningPort

__all__ = [
    "Connector",
    "Port",
    "adopt_stream_connection",
    "adopt_stream_port",
    "connect_tcp",
    "listen_tcp",
]


def is_ipv6_literal(host: str) -> bool:
    """Return True if *host* is an IPv6 address literal (possibly with a ``%scope``)."""
    if ":" not in host:
        return False
    try:
        socket.inet_pton(socket.AF_INET6, host.split("%", 1)[0])
    except (OSError, ValueError):
        return False
    return True


def _is_ipv4_literal(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET, host)
    except (OSError, ValueError):
        return False
    return True


@implementer(IListeningPort)
class Port(StreamPort):
    """A listening TCP port, as returned by ``listenTCP``.

    :ivar port: the port number asked for (0 means "any free port"; see :meth:`getHost`).
    :ivar interface: the address bound; ``""`` means all IPv4 interfaces.
    """

    _transport_class = TCPTransport

    def __init__(
        self,
        reactor: Any,
        port: int,
        factory: Any,
        backlog: int = 50,
        interface: str = "",
        ssl_context: Any = None,
    ) -> None:
        super().__init__(reactor, factory, backlog, ssl_context)
        self.port = port
        self.interface = interface
        self._host: IPv4Address | IPv6Address | None = None

    def _create_socket(self) -> socket.socket:
        family = socket.AF_INET6 if is_ipv6_literal(self.interface) else socket.AF_INET
        try:
            # proto=IPPROTO_TCP (not 0): asyncio turns TCP_NODELAY on only for sockets that
            # say so, and accepted sockets inherit it; uvloop always does.
            sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        except OSError as exc:
            raise cannot_listen(self.interface, self.port, exc) from exc
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sockaddr = socket.getaddrinfo(
                    self.interface,
                    self.port,
                    family,
                    socket.SOCK_STREAM,
                    0,
                    socket.AI_NUMERICHOST | socket.AI_PASSIVE,
                )[0][4]
                sock.bind(sockaddr)
            else:
                sock.bind((self.interface, self.port))
            sock.listen(self.backlog)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            raise cannot_listen(self.interface, self.port, exc) from exc
        self._host = _ip_address("TCP", sock.getsockname())
        return sock

    def getHost(self) -> IPv4Address | IPv6Address:
        """Return the address the port is bound to, with the real port number.

        :raises RuntimeError: before :meth:`startListening`.
        """
        if self._host is None:
            raise RuntimeError(f"{self!r}.getHost(): the port is not listening yet")
        return self._host

    def _address_text(self) -> str:
        return f"TCP Port {self._start_text()}"

    def _start_text(self) -> str:
        return str(self._host.port if self._host is not None else self.port)

    def __repr__(self) -> str:
        # Twisted's format: "<PORT-CLASS of FACTORY-CLASS on 8000>" (class reprs).
        if self.connected and self._host is not None:
            return f"<{type(self)} of {type(self.factory)} on {self._host.port}>"
        return f"<{type(self)} of {type(self.factory)} (not listening)>"


@implementer(IConnector)
class Connector(StreamConnector):
    """A TCP connector, as returned by ``connectTCP``; ``connect()`` retries."""

    _transport_class = TCPTransport

    def __init__(
        self,
        reactor: Any,
        host: str,
        port: int,
        factory: Any,
        timeout: float | None = 30,
        bindAddress: Any = None,
        ssl_context: Any = None,
        server_hostname: str | None = None,
    ) -> None:
        super().__init__(reactor, factory, timeout, ssl_context)
        if isinstance(host, bytes):
            host = host.decode("ascii")
        if not isinstance(port, int):
            try:
                port = socket.getservbyname(port, "tcp")
            except OSError as exc:
                raise error.ServiceNameUnknownError(string=f"{port} ({exc})") from exc
        self.host = host
        self.port = port
        self.bindAddress = bindAddress
        self._server_hostname = server_hostname
        self._family = socket.AF_INET6 if is_ipv6_literal(host) else socket.AF_INET

    def getDestination(self) -> IPv4Address | IPv6Address:
        """Return the address being connected to (the host as given, not resolved)."""
        if self._family == socket.AF_INET6:
            return IPv6Address("TCP", self.host, self.port)
        return IPv4Address("TCP", self.host, self.port)

    async def _resolve(self) -> Any:
        if self._family == socket.AF_INET6:
            if "%" not in self.host:
                return (self.host, self.port, 0, 0)
            infos = await self._reactor._loop.getaddrinfo(
                self.host, self.port, family=socket.AF_INET6, type=socket.SOCK_STREAM
            )
            return infos[0][4]
        if _is_ipv4_literal(self.host):
            return (self.host, self.port)
        # A host name goes through reactor.resolve(), hence reactor.resolver, as in Twisted
        # (installResolver/installNameResolver change how connectTCP resolves).
        try:
            address = await self._reactor.resolve(self.host)
        except Exception as exc:
            raise ResolverFailed(exc) from exc
        return (address, self.port)

    async def _open(self, attempt: _Attempt) -> None:
        sockaddr = await self._resolve()
        loop = self._reactor._loop
        sock = socket.socket(self._family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setblocking(False)
            if self.bindAddress is not None:
                try:
                    sock.bind(self.bindAddress)
                except OSError as exc:
                    raise error.ConnectBindError(exc.errno, exc.strerror) from exc
            await loop.sock_connect(sock, sockaddr)
        except BaseException:
            sock.close()
            raise
        kwargs: dict[str, Any] = {}
        if self._ssl_context is not None:
            kwargs["ssl"] = self._ssl_context
            kwargs["server_hostname"] = (
                self._server_hostname if self._server_hostname is not None else self.host
            )
        try:
            await loop.create_connection(lambda: StreamAdapter(attempt), sock=sock, **kwargs)
        finally:
            handed_over(loop, sock)


def listen_tcp(
    reactor: Any,
    port: int,
    factory: Any,
    backlog: int = 50,
    interface: str = "",
    *,
    ssl_context: Any = None,
) -> Port:
    """Listen for TCP connections on *interface*:*port*; see ``IReactorTCP.listenTCP``.

    :param ssl_context: an ``ssl.SSLContext`` to serve TLS (used by ``listenSSL``).
    :raises CannotListenError: if the address can't be bound.
    """
    p = Port(reactor, port, factory, backlog, interface, ssl_context)
    p.startListening()
    return p


def connect_tcp(
    reactor: Any,
    host: str,
    port: int,
    factory: Any,
    timeout: float | None = 30,
    bindAddress: Any = None,
    *,
    ssl_context: Any = None,
    server_hostname: str | None = None,
) -> Connector:
    """Connect to *host*:*port* over TCP; see ``IReactorTCP.connectTCP``.

    The outcome reaches *factory*: ``buildProtocol`` on success, else
    ``clientConnectionFailed`` with ``ConnectionRefusedError``, ``TimeoutError``,
    ``DNSLookupError``...

    :param ssl_context: an ``ssl.SSLContext`` for TLS (used by ``connectSSL``).
    :param server_hostname: the name TLS checks the certificate against (default *host*).
    """
    c = Connector(reactor, host, port, factory, timeout, bindAddress, ssl_context, server_hostname)
    c.connect()
    return c


# -- IReactorSocket: sockets opened elsewhere (systemd socket activation, inetd...) -----------


class _AdoptedPort(Port):
    """A TCP port around a listening socket handed over by file descriptor."""

    def __init__(self, reactor: Any, sock: socket.socket, factory: Any) -> None:
        name = sock.getsockname()
        super().__init__(reactor, name[1], factory, 50, name[0])
        self._adopted = sock

    def _create_socket(self) -> socket.socket:
        sock = self._adopted
        sock.setblocking(False)
        self._host = _ip_address("TCP", sock.getsockname())
        return sock


class _AdoptedConnection:
    """The owner (see ``StreamOwner``) of one adopted, already connected socket."""

    def __init__(self, reactor: Any, factory: Any, transport_class: Any) -> None:
        self._reactor = reactor
        self._registry = registry(reactor)
        self.factory = factory
        self._transport_class = transport_class

    def _make_transport(self, adapter: StreamAdapter, aio: Any) -> Any:
        return self._transport_class(self._reactor, adapter, aio, True)

    def _build_protocol(self, transport: Any) -> Any:
        return self.factory.buildProtocol(transport.getPeer())

    def _connection_lost(self, transport: Any, reason: Any) -> None:
        pass


def _dup_socket(fileDescriptor: int, addressFamily: int, kind: int) -> socket.socket:
    if addressFamily not in (socket.AF_INET, socket.AF_INET6, socket.AF_UNIX):
        raise error.UnsupportedAddressFamily(addressFamily)
    sock = socket.socket(addressFamily, kind, fileno=os.dup(fileDescriptor))
    sock.setblocking(False)
    return sock


def adopt_stream_port(reactor: Any, fileDescriptor: int, addressFamily: int, factory: Any) -> Any:
    """Accept connections on the listening socket *fileDescriptor*; see ``IReactorSocket``.

    The descriptor is duplicated: the caller keeps (and should close) its own.

    :raises UnsupportedAddressFamily: unless *addressFamily* is AF_INET, AF_INET6 or AF_UNIX.
    """
    sock = _dup_socket(fileDescriptor, addressFamily, socket.SOCK_STREAM)
    if addressFamily == socket.AF_UNIX:
        from bridge._reactor.unix import _AdoptedUNIXPort

        port: Any = _AdoptedUNIXPort(reactor, sock, factory)
    else:
        port = _AdoptedPort(reactor, sock, factory)
    port.startListening()
    return port


def adopt_stream_connection(
    reactor: Any, fileDescriptor: int, addressFamily: int, factory: Any
) -> None:
    """Serve the connected socket *fileDescriptor* with a protocol from *factory*.

    The protocol is built (``factory.buildProtocol(peer)``) and connected on the next loop
    turn. The descriptor is duplicated: the caller keeps (and should close) its own.

    :raises UnsupportedAddressFamily: unless *addressFamily* is AF_INET, AF_INET6 or AF_UNIX.
    """
    sock = _dup_socket(fileDescriptor, addressFamily, socket.SOCK_STREAM)
    if addressFamily == socket.AF_UNIX:
        from bridge._reactor._transport import UNIXTransport

        owner = _AdoptedConnection(reactor, factory, UNIXTransport)
    else:
        owner = _AdoptedConnection(reactor, factory, TCPTransport)
    loop = reactor._loop

    async def adopt() -> None:
        try:
            await loop.connect_accepted_socket(lambda: StreamAdapter(owner), sock=sock)
        except Exception:
            log.err(None, f"adoptStreamConnection(): asyncio could not wrap {sock!r}")
            if not is_uvloop(loop):
                sock.close()
        finally:
            handed_over(loop, sock)

    loop.create_task(adopt())
