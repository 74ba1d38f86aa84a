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
import os
import socket
import struct
from typing import Any

from zope.interface import implementer

from bridge import error, log
from bridge._reactor._errors import cannot_listen
from bridge._reactor._registry import registry
from bridge._reactor._transport import (
    _reset_log_context,
    _set_log_context,
    log_context,
    prefix_of,
)
from bridge._reactor.tcp import _is_ipv4_literal, is_ipv6_literal
from bridge.address import IPv4Address, IPv6Address
from bridge.failure import Failure
from bridge.interfaces import (
    IListeningPort,
    ILoggingContext,
    IMulticastTransport,
    ISystemHandle,
    IUDPTransport,
)

__all__ = ["MulticastPort", "Port", "adopt_datagram_port", "listen_multicast", "listen_udp"]


class _DatagramAdapter(asyncio.DatagramProtocol):
    """The ``asyncio.DatagramProtocol`` forwarding to a Twisted ``DatagramProtocol``."""

    __slots__ = ("_port",)

    def __init__(self, port: Port) -> None:
        self._port = port

    def datagram_received(self, data: bytes, addr: Any) -> None:
        port = self._port
        if len(data) > port.maxPacketSize:
            data = data[: port.maxPacketSize]  # recvfrom(maxPacketSize) truncates, as in Twisted
        token = _set_log_context(port._log_context)
        try:
            port.protocol.datagramReceived(data, (addr[0], addr[1]))
        except Exception:
            log.err(None, f"Unhandled Error in {prefix_of(port.protocol)}.datagramReceived()")
        finally:
            _reset_log_context(token)

    def error_received(self, exc: Exception) -> None:
        self._port._error_received(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        pass


@implementer(IUDPTransport, IListeningPort, ISystemHandle, ILoggingContext)
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
        if interface and not (_is_ipv4_literal(interface) or is_ipv6_literal(interface)):
            # As Twisted's UDP ports: an interface must be an IP address (no name lookup).
            raise error.InvalidAddressError(interface, "not an IPv4 or IPv6 address.")
        self._family = socket.AF_INET6 if is_ipv6_literal(interface) else socket.AF_INET
        self._sock: socket.socket | None = None
        self._serving: asyncio.Task[None] | None = None
        self._transport: Any = None
        self._connected_addr: tuple[str, int] | None = None
        self._host: IPv4Address | IPv6Address | None = None
        self._log_context: Any = None
        self.connected = False
        self.disconnecting = False

    def __repr__(self) -> str:
        # Twisted's format: "<PROTOCOL-CLASS on 9999>" (the class's repr).
        if self._host is not None and self.connected:
            return f"<{type(self.protocol)} on {self._host.port}>"
        return f"<{type(self.protocol)} not connected>"

    def logPrefix(self) -> str:
        """Return the log prefix, as Twisted's UDP ports: the protocol's, then ``" (UDP)"``."""
        return f"{prefix_of(self.protocol)} (UDP)"

    @property
    def logstr(self) -> str:
        """The log prefix (Twisted's attribute behind :meth:`logPrefix`)."""
        return self.logPrefix()

    def fileno(self) -> int:
        """Return the socket's file descriptor, or -1 when not listening."""
        return self._sock.fileno() if self._sock is not None else -1

    def startListening(self) -> None:
        """Bind the socket and attach the protocol (``makeConnection``/``startProtocol``).

        :raises CannotListenError: if the address can't be bound.
        """
        sock = socket.socket(self._family, socket.SOCK_DGRAM)
        try:
            self._prepare(sock)
            sock.bind(self._bind_address())
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            raise cannot_listen(self.interface, self.port, exc) from exc
        self._start(sock)

    def _prepare(self, sock: socket.socket) -> None:
        """Set socket options before ``bind`` (multicast ports share their address)."""

    def _start(self, sock: socket.socket) -> None:
        self._sock = sock
        name = sock.getsockname()
        if len(name) == 4:
            self._host = IPv6Address("UDP", name[0], name[1], name[2], name[3])
        else:
            self._host = IPv4Address("UDP", name[0], name[1])
        self.connected = True
        self._registry = registry(self._reactor)
        self._registry.ports.add(self)
        self._serving = self._reactor._loop.create_task(self._serve(sock))
        self._log_context = log_context(self.logPrefix())
        log.msg(f"{prefix_of(self.protocol)} starting on {self._host.port}")
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
        :raises AssertionError: (as Twisted's) if *addr* is missing on an unconnected port, or
            differs from the connected address.
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
                # AssertionError, the class Twisted's port raises (from an assert) here.
                raise AssertionError(
                    f"write(): this UDP port is connected to {connected}; "
                    f"it cannot send to {addr!r}"
                )
        else:
            if addr is None:
                raise AssertionError("write(): an unconnected UDP port needs an address to send to")
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
                log.err(None, f"Unhandled Error in {prefix_of(self.protocol)}.connectionRefused()")

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
        elif self._serving is not None and not self._serving.done():
            # The endpoint is being created: uvloop may already own the descriptor, so let
            # _serve close the transport it gets instead of closing the socket under it.
            return
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
        if self._host is not None:
            log.msg(f"(UDP Port {self._host.port} Closed)")
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


@implementer(IMulticastTransport)
class MulticastPort(Port):
    """A UDP port that can join IPv4 multicast groups, as returned by ``listenMulticast``.

    :ivar listenMultiple: whether several sockets may bind the same port (``SO_REUSEADDR``
        and ``SO_REUSEPORT``), so several processes can receive one group.
    """

    def __init__(
        self,
        reactor: Any,
        port: int,
        proto: Any,
        interface: str = "",
        maxPacketSize: int = 8192,
        listenMultiple: bool = False,
    ) -> None:
        super().__init__(reactor, port, proto, interface, maxPacketSize)
        self.listenMultiple = listenMultiple

    def _prepare(self, sock: socket.socket) -> None:
        if self.listenMultiple:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if hasattr(socket, "SO_REUSEPORT"):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)

    def _socket(self) -> socket.socket:
        if self._sock is None:
            raise RuntimeError(f"{self!r}: the multicast port is not listening")
        return self._sock

    def getOutgoingInterface(self) -> str:
        """Return the IPv4 address of the interface multicast packets are sent from."""
        value = self._socket().getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF)
        return socket.inet_ntoa(struct.pack("@i", value))

    def setOutgoingInterface(self, addr: str) -> Any:
        """Send multicast packets from the interface with address *addr* (a name is resolved).

        :return: a Deferred firing with 1 once set.
        """
        return self._resolve(addr).addCallback(self._set_outgoing)

    def _set_outgoing(self, addr: str) -> int:
        self._socket().setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(addr))
        return 1

    def getLoopbackMode(self) -> bool:
        """Return whether multicast packets sent are also delivered to this host."""
        return bool(self._socket().getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP))

    def setLoopbackMode(self, mode: bool) -> None:
        """Deliver (or not) the multicast packets this host sends to its own members."""
        self._socket().setsockopt(
            socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, struct.pack("b", bool(mode))
        )

    def getTTL(self) -> int:
        """Return the time-to-live of outgoing multicast packets."""
        return int(self._socket().getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL))

    def setTTL(self, ttl: int) -> None:
        """Set the time-to-live (hop limit) of outgoing multicast packets."""
        self._socket().setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, struct.pack("B", ttl))

    def joinGroup(self, addr: str, interface: str = "") -> Any:
        """Join the multicast group *addr* on *interface* (``""`` lets the OS choose).

        :return: a Deferred firing once joined, or failing with ``MulticastJoinError``.
        """
        return self._resolve(addr).addCallback(self._membership, interface, True)

    def leaveGroup(self, addr: str, interface: str = "") -> Any:
        """Leave the multicast group *addr* on *interface*.

        :return: a Deferred firing once left, or failing with ``MulticastJoinError``.
        """
        return self._resolve(addr).addCallback(self._membership, interface, False)

    def _membership(self, addr: str, interface: str, join: bool) -> None:
        option = socket.IP_ADD_MEMBERSHIP if join else socket.IP_DROP_MEMBERSHIP
        request = socket.inet_aton(addr) + socket.inet_aton(interface or "0.0.0.0")
        try:
            self._socket().setsockopt(socket.IPPROTO_IP, option, request)
        except OSError as exc:
            raise error.MulticastJoinError(addr, interface, *exc.args) from exc

    def _resolve(self, name: str) -> Any:
        from bridge.defer import succeed

        if _is_ipv4_literal(name):
            return succeed(name)
        resolve = getattr(self._reactor, "resolve", None)
        if resolve is not None:
            return resolve(name)
        from bridge.defer import execute

        return execute(socket.gethostbyname, name)


def listen_multicast(
    reactor: Any,
    port: int,
    protocol: Any,
    interface: str = "",
    maxPacketSize: int = 8192,
    listenMultiple: bool = False,
) -> MulticastPort:
    """Bind a multicast-capable UDP port; see ``IReactorMulticast.listenMulticast``.

    :raises CannotListenError: if the address can't be bound.
    """
    p = MulticastPort(reactor, port, protocol, interface, maxPacketSize, listenMultiple)
    p.startListening()
    return p


def adopt_datagram_port(
    reactor: Any, fileDescriptor: int, addressFamily: int, protocol: Any, maxPacketSize: int = 8192
) -> Port:
    """Serve *protocol* on the bound UDP socket *fileDescriptor*; see ``IReactorSocket``.

    The descriptor is duplicated: the caller keeps (and should close) its own.
    """
    if addressFamily not in (socket.AF_INET, socket.AF_INET6):
        raise error.UnsupportedAddressFamily(addressFamily)
    sock = socket.socket(addressFamily, socket.SOCK_DGRAM, fileno=os.dup(fileDescriptor))
    sock.setblocking(False)
    name = sock.getsockname()
    p = Port(reactor, name[1], protocol, name[0], maxPacketSize)
    p._start(sock)
    return p


def _socket_of(port: Any) -> Any:
    """The bound socket while listening, else None."""
    return port._sock


# Twisted's ``socket`` attribute; set after the class so that the name does not shadow the
# ``socket`` module inside the class body (its annotations use ``socket.socket``).
setattr(Port, "socket", property(_socket_of))  # noqa: B010
