"""``listenUDP`` on asyncio's datagram transports.

The reactor's ``listenUDP`` delegates to :func:`listen_udp`. The socket is bound
synchronously (``CannotListenError`` at call time) and handed to
``loop.create_datagram_endpoint(sock=...)``, which reads datagrams (in C under uvloop) and
calls ``datagramReceived``. Writes go straight to the socket with ``send``/``sendto``, as
Twisted's do, so "message too long" raises ``MessageLengthError`` at the call; if the kernel
buffer is full, the datagram is queued on the asyncio transport instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
from typing import Any

from zope.interface import implementer

from bridge import error, log
from bridge._reactor._errors import cannot_listen
from bridge._reactor._registry import registry
from bridge._reactor.tcp import _is_ipv4_literal, is_ipv6_literal
from bridge.address import IPv4Address, IPv6Address
from bridge.failure import Failure
from bridge.interfaces import IListeningPort, ISystemHandle, IUDPTransport

__all__ = ["Port", "listen_udp"]


class _DatagramAdapter(asyncio.DatagramProtocol):
    """The ``asyncio.DatagramProtocol`` forwarding to a Twisted ``DatagramProtocol``."""

    __slots__ = ("_port",)

    def __init__(self, port: Port) -> None:
        self._port = port

    def datagram_received(self, data: bytes, addr: Any) -> None:
        port = self._port
        if len(data) > port.maxPacketSize:
            data = data[: port.maxPacketSize]  # recvfrom(maxPacketSize) truncates, as in Twisted
        try:
            port.protocol.datagramReceived(data, (addr[0], addr[1]))
        except Exception:
            log.err(None, f"Unhandled Error in {port.logPrefix()}.datagramReceived()")

    def error_received(self, exc: Exception) -> None:
        self._port._error_received(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        pass


@implementer(IUDPTransport, IListeningPort, ISystemHandle)
class Port:
    """A UDP port: the transport of a ``DatagramProtocol`` (``IUDPTransport``).

    :ivar port: the port number asked for; see :meth:`getHost` for the real one.
    :ivar interface: the address bound; ``""`` means all IPv4 interfaces.
    :ivar maxPacketSize: longer datagrams are truncated to this size.
    """

    def __init__(
        self,
        reactor: Any,
        port: int,
        proto: Any,
        interface: str = "",
        maxPacketSize: int = 8192,
    ) -> None:
        self._reactor = reactor
        self.reactor = reactor
        self.port = port
        self.protocol = proto
        self.interface = interface
        self.maxPacketSize = maxPacketSize
        self._family = socket.AF_INET6 if is_ipv6_literal(interface) else socket.AF_INET
        self._sock: socket.socket | None = None
        self._transport: Any = None
        self._connected_addr: tuple[str, int] | None = None
        self._host: IPv4Address | IPv6Address | None = None
        self.connected = False
        self.disconnecting = False

    def __repr__(self) -> str:
        if self._host is not None and self.connected:
            return f"<{type(self.protocol).__name__} on {self._host.port}>"
        return f"<{type(self.protocol).__name__} (not listening)>"

    def logPrefix(self) -> str:
        """Return the protocol's log prefix."""
        prefix = getattr(self.protocol, "logPrefix", None)
        return str(prefix()) if prefix is not None else type(self.protocol).__name__

    def startListening(self) -> None:
        """Bind the socket and attach the protocol (``makeConnection``/``startProtocol``).

        :raises CannotListenError: if the address can't be bound.
        """
        sock = socket.socket(self._family, socket.SOCK_DGRAM)
        try:
            sock.bind(self._bind_address())
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            raise cannot_listen(self.interface, self.port, exc) from exc
        self._sock = sock
        name = sock.getsockname()
        if len(name) == 4:
            self._host = IPv6Address("UDP", name[0], name[1], name[2], name[3])
        else:
            self._host = IPv4Address("UDP", name[0], name[1])
        self.connected = True
        self._registry = registry(self._reactor)
        self._registry.ports.add(self)
        self._reactor._loop.create_task(self._serve(sock))
        self.protocol.makeConnection(self)

    def _bind_address(self) -> Any:
        if self._family == socket.AF_INET6:
            return socket.getaddrinfo(
                self.interface,
                self.port,
                self._family,
                socket.SOCK_DGRAM,
                0,
                socket.AI_NUMERICHOST | socket.AI_PASSIVE,
            )[0][4]
        return (self.interface, self.port)

    async def _serve(self, sock: socket.socket) -> None:
        loop = self._reactor._loop
        try:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _DatagramAdapter(self), sock=sock
            )
        except Exception:
            if self._sock is sock:
                log.err(None, f"{self!r}: asyncio could not serve the UDP socket")
            return
        if self._sock is not sock:
            transport.close()
            return
        self._transport = transport

    # -- writing --------------------------------------------------------------------------------

    def write(self, datagram: bytes, addr: Any = None) -> None:
        """Send *datagram* to *addr* (a ``(host, port)`` tuple of an IP address).

        On a connected port, leave *addr* out (or pass the connected address).

        :raises MessageLengthError: if the datagram is too long to send.
        :raises InvalidAddressError: if *addr* names a host instead of an IP address.
        :raises TypeError: if *datagram* is not bytes-like.
        """
        sock = self._sock
        if sock is None:
            return
        if isinstance(datagram, str):
            raise TypeError(
                "transport.write() takes bytes-like data, not str; encode text first, "
                "e.g. data.encode('utf-8')"
            )
        connected = self._connected_addr
        if connected is not None:
            if addr is not None and tuple(addr) != connected:
                raise ValueError(
                    f"write(): this UDP port is connected to {connected}; "
                    f"it cannot send to {addr!r}"
                )
        else:
            if addr is None:
                raise ValueError("write(): an unconnected UDP port needs an address to send to")
            if not (_is_ipv4_literal(addr[0]) or is_ipv6_literal(addr[0])):
                raise error.InvalidAddressError(
                    addr[0], "write() only accepts IP addresses, not hostnames"
                )
        try:
            if connected is not None:
                sock.send(datagram)
            else:
                sock.sendto(datagram, addr)
        except BlockingIOError:
            # The kernel buffer is full: let asyncio queue it and send when writable.
            if self._transport is not None:
                self._transport.sendto(datagram, None if connected else addr)
        except InterruptedError:
            self.write(datagram, addr)
        except OSError as exc:
            if exc.errno == errno.EMSGSIZE:
                raise error.MessageLengthError("message too long") from exc
            if exc.errno == errno.ECONNREFUSED and connected is not None:
                self._connection_refused()
                return
            raise

    def writeSequence(self, seq: Any, addr: Any = None) -> None:
        """Send the concatenation of the bytes in *seq* as one datagram."""
        self.write(b"".join(seq), addr)

    def connect(self, host: str, port: int) -> None:
        """Connect to *host*:*port*: only its datagrams are received, writes need no address.

        :raises RuntimeError: if already connected.
        :raises InvalidAddressError: if *host* is not an IP address.
        """
        if self._connected_addr is not None:
            raise RuntimeError(
                "connect(): this UDP port is already connected; reconnecting is not supported"
            )
        if not (_is_ipv4_literal(host) or is_ipv6_literal(host)):
            raise error.InvalidAddressError(host, "not an IPv4 or IPv6 address")
        if self._sock is None:
            raise RuntimeError("connect(): the UDP port is not listening")
        self._connected_addr = (host, port)
        self._sock.connect((host, port))

    def _connection_refused(self) -> None:
        refused = getattr(self.protocol, "connectionRefused", None)
        if refused is not None:
            try:
                refused()
            except Exception:
                log.err(None, f"Unhandled Error in {self.logPrefix()}.connectionRefused()")

    def _error_received(self, exc: Exception) -> None:
        if isinstance(exc, ConnectionRefusedError):
            if self._connected_addr is not None:
                self._connection_refused()
            return
        log.msg(f"{self!r}: UDP error {exc!r}")

    # -- the rest of IUDPTransport ----------------------------------------------------------------

    def getHost(self) -> IPv4Address | IPv6Address:
        """Return the bound address (``type`` is ``"UDP"``) with the real port number."""
        if self._host is None:
            raise RuntimeError(f"{self!r}.getHost(): the port is not listening")
        return self._host

    def getHandle(self) -> Any:
        """Return the socket."""
        return self._sock

    def setBroadcastAllowed(self, enabled: bool) -> None:
        """Allow or forbid sending to broadcast addresses (``SO_BROADCAST``)."""
        if self._sock is not None:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, int(bool(enabled)))

    def getBroadcastAllowed(self) -> bool:
        """Return whether sending to broadcast addresses is allowed."""
        return bool(
            self._sock is not None and self._sock.getsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST)
        )

    def stopListening(self) -> Any:
        """Close the socket and detach the protocol (``doStop``/``stopProtocol``).

        :return: a Deferred that fires with ``None`` once done.
        """
        from bridge.defer import Deferred, succeed

        if not self.connected:
            return succeed(None)
        self._close()
        d: Deferred[None] = Deferred()
        self._reactor._loop.call_soon(self._stopped, d)
        return d

    def _close(self) -> None:
        self.connected = False
        self.disconnecting = True
        self._registry.ports.discard(self)
        transport, self._transport = self._transport, None
        sock, self._sock = self._sock, None
        if transport is not None:
            transport.abort()
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    def _stop_now(self) -> None:
        """Stop at once (reactor shutdown): the protocol's ``doStop`` runs now."""
        if self.connected:
            from bridge.defer import Deferred

            self._close()
            self._stopped(Deferred())

    loseConnection = stopListening

    def _stopped(self, d: Any) -> None:
        self.disconnecting = False
        self._connected_addr = None
        try:
            self.protocol.doStop()
        except Exception:
            d.errback(Failure())
            return
        d.callback(None)


def listen_udp(
    reactor: Any, port: int, protocol: Any, interface: str = "", maxPacketSize: int = 8192
) -> Port:
    """Bind a UDP port and attach *protocol*; see ``IReactorUDP.listenUDP``.

    :raises CannotListenError: if the address can't be bound.
    """
    p = Port(reactor, port, protocol, interface, maxPacketSize)
    p.startListening()
    return p
