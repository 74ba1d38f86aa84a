"""``listenUNIXDatagram`` and ``connectUNIXDatagram`` on asyncio's datagram transports.

A UNIX datagram socket (``AF_UNIX``, ``SOCK_DGRAM``) is bound (and, for the connected kind,
connected) synchronously with the ``socket`` module, so errors surface at call time as in
Twisted, then handed to ``loop.create_datagram_endpoint(sock=...)``, which both the stdlib loop
and uvloop accept for UNIX datagram sockets. Writes go straight to the socket (``sendto`` /
``send``); when the kernel buffer is full the datagram is queued on the asyncio transport.

As in Twisted, the socket files are left in place when the ports stop listening.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import socket
from typing import Any

from zope.interface import implementer, implementer_only

from bridge import error, log
from bridge._reactor._errors import cannot_listen
from bridge._reactor._registry import registry
from bridge.address import UNIXAddress
from bridge.failure import Failure
from bridge.interfaces import (
    IListeningPort,
    ILoggingContext,
    ISystemHandle,
    IUNIXDatagramConnectedTransport,
    IUNIXDatagramTransport,
)

__all__ = [
    "ConnectedDatagramPort",
    "DatagramPort",
    "connect_unix_datagram",
    "listen_unix_datagram",
]


class _Adapter(asyncio.DatagramProtocol):
    """The ``asyncio.DatagramProtocol`` forwarding datagrams to the port's protocol."""

    __slots__ = ("_port",)

    def __init__(self, port: DatagramPort) -> None:
        self._port = port

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self._port._received(data, addr)

    def error_received(self, exc: Exception) -> None:
        log.msg(f"{self._port!r}: UNIX datagram error {exc!r}")


@implementer(IUNIXDatagramTransport, IListeningPort, ISystemHandle, ILoggingContext)
class DatagramPort:
    """A bound UNIX datagram socket: the transport of a ``DatagramProtocol``.

    ``datagramReceived(data, addr)`` gets the sender's path (``None`` for an unbound sender).

    :ivar maxPacketSize: longer datagrams are truncated to this size.
    """

    def __init__(
        self, reactor: Any, address: str | bytes | None, proto: Any, maxPacketSize: int, mode: int
    ) -> None:
        self._reactor = reactor
        self.reactor = reactor
        self.port = address
        self.protocol = proto
        self.maxPacketSize = maxPacketSize
        self.mode = mode
        self._sock: socket.socket | None = None
        self._serving: asyncio.Task[None] | None = None
        self._transport: Any = None
        self.connected = False
        self.disconnecting = False

    def __repr__(self) -> str:
        state = f"on {self.port!r}" if self.connected else "(not listening)"
        return f"<{type(self.protocol).__name__} {state}>"

    def logPrefix(self) -> str:
        """Return the protocol's log prefix."""
        prefix = getattr(self.protocol, "logPrefix", None)
        return str(prefix()) if prefix is not None else type(self.protocol).__name__

    # -- starting -----------------------------------------------------------------------------

    def _bind(self, sock: socket.socket, address: str | bytes | None) -> None:
        if address is not None:
            sock.bind(address)
            # Like Twisted: the mode applies to the socket file (not to abstract names).
            if not (isinstance(address, (bytes, str)) and address[:1] in (b"\0", "\0")):
                os.chmod(address, self.mode)

    def startListening(self) -> None:
        """Bind the socket and attach the protocol (``makeConnection``/``startProtocol``).

        :raises CannotListenError: if the path can't be bound.
        """
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            self._bind(sock, self.port)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            raise cannot_listen(None, self.port, exc) from exc
        self._start(sock)

    def _start(self, sock: socket.socket) -> None:
        self._sock = sock
        self.connected = True
        self._registry = registry(self._reactor)
        self._registry.ports.add(self)
        self._serving = self._reactor._loop.create_task(self._serve(sock))
        self.protocol.makeConnection(self)

    async def _serve(self, sock: socket.socket) -> None:
        loop = self._reactor._loop
        try:
            transport, _ = await loop.create_datagram_endpoint(lambda: _Adapter(self), sock=sock)
        except Exception:
            if self._sock is sock:
                log.err(None, f"{self!r}: asyncio could not serve the UNIX datagram socket")
            return
        if self._sock is not sock:
            transport.close()
            return
        self._transport = transport

    def _received(self, data: bytes, addr: Any) -> None:
        if len(data) > self.maxPacketSize:
            data = data[: self.maxPacketSize]
        try:
            self._deliver(data, addr or None)
        except Exception:
            log.err(None, f"Unhandled Error in {self.logPrefix()}.datagramReceived()")

    def _deliver(self, data: bytes, addr: Any) -> None:
        self.protocol.datagramReceived(data, addr)

    # -- writing ------------------------------------------------------------------------------

    def _send(self, datagram: bytes, addr: Any) -> None:
        sock = self._sock
        if sock is None:
            return
        if isinstance(datagram, str):
            raise TypeError(
                "transport.write() takes bytes-like data, not str; encode text first, "
                "e.g. data.encode('utf-8')"
            )
        try:
            if addr is None:
                sock.send(datagram)
            else:
                sock.sendto(datagram, addr)
        except BlockingIOError:
            if self._transport is not None:
                self._transport.sendto(datagram, addr)
        except InterruptedError:
            self._send(datagram, addr)
        except OSError as exc:
            if exc.errno == errno.EMSGSIZE:
                raise error.MessageLengthError("message too long") from exc
            raise

    def write(self, datagram: bytes, addr: str | bytes) -> None:
        """Send *datagram* to the UNIX datagram socket at path *addr*.

        :raises MessageLengthError: if the datagram is too long to send.
        """
        self._send(datagram, addr)

    def writeSequence(self, seq: Any, addr: str | bytes) -> None:
        """Send the concatenation of the bytes in *seq* as one datagram."""
        self.write(b"".join(seq), addr)

    # -- the rest -----------------------------------------------------------------------------

    def getHost(self) -> UNIXAddress:
        """Return the bound address (an empty name for an unbound socket)."""
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                return UNIXAddress(sock.getsockname())
        return UNIXAddress(self.port)

    def getHandle(self) -> Any:
        """Return the socket."""
        return self._sock

    def stopListening(self) -> Any:
        """Close the socket and detach the protocol (``doStop``/``stopProtocol``).

        The socket file stays, as in Twisted.

        :return: a Deferred that fires with ``None`` once done.
        """
        from bridge.defer import Deferred, succeed

        if not self.connected:
            return succeed(None)
        self._close()
        d: Deferred[None] = Deferred()
        self._reactor._loop.call_soon(self._stopped, d)
        return d

    loseConnection = stopListening

    def _close(self) -> None:
        self.connected = False
        self.disconnecting = True
        self._registry.ports.discard(self)
        transport, self._transport = self._transport, None
        sock, self._sock = self._sock, None
        if transport is not None:
            transport.abort()
        elif self._serving is not None and not self._serving.done():
            return  # _serve closes the transport it gets (uvloop may own the descriptor)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    def _stop_now(self) -> None:
        """Stop at once (reactor shutdown): the protocol's ``doStop`` runs now."""
        if self.connected:
            from bridge.defer import Deferred

            self._close()
            self._stopped(Deferred())

    def _stopped(self, d: Any) -> None:
        self.disconnecting = False
        try:
            self.protocol.doStop()
        except Exception:
            d.errback(Failure())
            return
        d.callback(None)


@implementer_only(IUNIXDatagramConnectedTransport, ISystemHandle, ILoggingContext)
class ConnectedDatagramPort(DatagramPort):
    """A UNIX datagram socket connected to one peer: the transport of a
    ``ConnectedDatagramProtocol``, whose ``datagramReceived(data)`` gets no address.

    If connecting fails, the protocol's ``connectionFailed(failure)`` is called instead.
    """

    def __init__(
        self,
        reactor: Any,
        address: str | bytes,
        proto: Any,
        maxPacketSize: int,
        mode: int,
        bindAddress: str | bytes | None,
    ) -> None:
        super().__init__(reactor, bindAddress, proto, maxPacketSize, mode)
        self.remoteaddr = address

    def __repr__(self) -> str:
        state = f"connected to {self.remoteaddr!r}" if self.connected else "(not connected)"
        return f"<{type(self.protocol).__name__} {state}>"

    def startListening(self) -> None:
        """Bind (if asked), connect to the peer and attach the protocol."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            self._bind(sock, self.port)
            sock.connect(self.remoteaddr)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            try:
                self.protocol.connectionFailed(Failure(exc))
            except Exception:
                log.err(None, f"Unhandled Error in {self.logPrefix()}.connectionFailed()")
            return
        self._start(sock)

    def _deliver(self, data: bytes, addr: Any) -> None:
        self.protocol.datagramReceived(data)

    def write(self, data: bytes) -> None:  # type: ignore[override]
        """Send *data* to the connected peer.

        :raises MessageLengthError: if the datagram is too long to send.
        """
        self._send(data, None)

    def writeSequence(self, seq: Any) -> None:  # type: ignore[override]
        """Send the concatenation of the bytes in *seq* as one datagram."""
        self.write(b"".join(seq))

    def getPeer(self) -> UNIXAddress:
        """Return the address of the connected peer."""
        return UNIXAddress(self.remoteaddr)


def listen_unix_datagram(
    reactor: Any, address: str | bytes, protocol: Any, maxPacketSize: int = 8192, mode: int = 0o666
) -> DatagramPort:
    """Bind *protocol* to the UNIX datagram socket at *address*; see ``IReactorUNIXDatagram``."""
    p = DatagramPort(reactor, address, protocol, maxPacketSize, mode)
    p.startListening()
    return p


def connect_unix_datagram(
    reactor: Any,
    address: str | bytes,
    protocol: Any,
    maxPacketSize: int = 8192,
    mode: int = 0o666,
    bindAddress: str | bytes | None = None,
) -> ConnectedDatagramPort:
    """Connect *protocol* to the UNIX datagram socket at *address*; see ``IReactorUNIXDatagram``."""
    p = ConnectedDatagramPort(reactor, address, protocol, maxPacketSize, mode, bindAddress)
    p.startListening()
    return p
