"""TLS for the reactor: ``listenSSL``, ``connectSSL`` and ``startTLS`` on asyncio's TLS transports.

``listen_ssl``/``connect_ssl`` turn the context factory into an :class:`ssl.SSLContext`
(:func:`bridge.ssl._tls_context_for`) and hand it to the TCP code, which passes it to
``loop.create_server(ssl=...)``/``loop.create_connection(ssl=..., server_hostname=...)``, so
the TLS record layer runs inside asyncio (in C under uvloop).

``start_tls`` upgrades an open TCP connection with ``loop.start_tls``. Bytes written before
the call were already queued on the plain transport and go out in clear; writes made while
the handshake runs are held by :class:`_HandshakeBuffer` and sent encrypted once it completes.

.. note:: asyncio completes the TLS handshake before a connection is reported: ``connectionMade``
   runs after the handshake (Twisted calls it at TCP connect), and a failed handshake on
   ``connectSSL`` reaches ``clientConnectionFailed`` as :class:`bridge.error.SSLError` instead of
   ``connectionLost``. A failed server-side handshake never reaches the server's protocol.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import TYPE_CHECKING, Any

from zope.interface import alsoProvides

from bridge import log
from bridge.failure import Failure
from bridge.interfaces import IHandshakeListener, INegotiated, ISSLTransport
from bridge.ssl import Certificate, _tls_context_for

if TYPE_CHECKING:
    from bridge._reactor import AsyncioReactor

__all__ = [
    "connect_ssl",
    "listen_ssl",
    "negotiated_protocol",
    "peer_certificate",
    "start_tls",
    "tls_connection_made",
]


def listen_ssl(
    reactor: AsyncioReactor,
    port: int,
    factory: Any,
    contextFactory: object,
    backlog: int = 50,
    interface: str = "",
) -> Any:
    """Listen for TLS connections on *port*; see ``IReactorSSL.listenSSL``.

    :param contextFactory: an :class:`ssl.SSLContext` or an object whose ``getContext()``
        returns a server-side one (:class:`bridge.ssl.DefaultOpenSSLContextFactory`,
        :class:`bridge.ssl.CertificateOptions`...).
    :raises TypeError: if *contextFactory* gives no usable server context.
    """
    from bridge._reactor.tcp import listen_tcp

    context, _ = _tls_context_for(contextFactory, server_side=True)
    return listen_tcp(reactor, port, factory, backlog, interface, ssl_context=context)


def connect_ssl(
    reactor: AsyncioReactor,
    host: str,
    port: int,
    factory: Any,
    contextFactory: object,
    timeout: float = 30,
    bindAddress: tuple[str, int] | None = None,
) -> Any:
    """Connect to *host*:*port* over TLS; see ``IReactorSSL.connectSSL``.

    The server's host name is checked if the context checks host names: against the
    ``hostname`` of :func:`bridge.ssl.optionsForClientTLS`, or *host* for other contexts.

    :raises TypeError: if *contextFactory* gives no usable client context.
    """
    from bridge._reactor.tcp import connect_tcp

    context, hostname = _tls_context_for(contextFactory, server_side=False)
    return connect_tcp(
        reactor,
        host,
        port,
        factory,
        timeout,
        bindAddress,
        ssl_context=context,
        server_hostname=hostname if hostname is not None else host,
    )


def tls_connection_made(transport: Any) -> None:
    """Mark *transport*, whose TLS handshake asyncio has completed, as a TLS transport.

    The TCP code calls this for each ``listenSSL``/``connectSSL`` connection before
    ``makeConnection``; a protocol providing ``IHandshakeListener`` then gets
    ``handshakeCompleted()`` just after ``connectionMade()``, as in Twisted.
    """
    alsoProvides(transport, ISSLTransport, INegotiated)
    transport.TLS = True
    loop = transport._reactor._loop
    _hold_pauses(loop, transport, transport._transport, False)
    loop.call_soon(_handshake_completed, transport)


def _hold_pauses(loop: asyncio.AbstractEventLoop, transport: Any, tls: Any, paused: bool) -> None:
    """Guard a just-handshaken TLS transport against an early pause_reading().

    asyncio sends the side's last handshake flight after connection_made returns (uvloop one
    loop turn later), and neither sends it while reading is paused: a pauseProducing() in
    connectionMade would leave the peer waiting forever. Until the next loop turn a pause is
    applied at once only if no handshake bytes wait to go out; otherwise it is applied as soon
    as they have gone (the peer cannot send application data before receiving them).
    """
    holder = _PauseHolder(tls)
    transport._transport = holder
    if paused:
        holder.pause_reading()
    loop.call_soon(_settle, loop, transport, holder, _SETTLE_TURNS)


# How many loop turns a held pause may wait for the handshake bytes to leave.
_SETTLE_TURNS = 8


class _PauseHolder:
    """Stand in for a new TLS transport for a loop turn or two, holding an early pause."""

    def __init__(self, tls: Any) -> None:
        self._tls = tls
        self._held = False

    def pause_reading(self) -> None:
        if self._tls.get_write_buffer_size():
            self._held = True  # handshake bytes still to send: pause after they are out
        else:
            self._tls.pause_reading()

    def resume_reading(self) -> None:
        if self._held:
            self._held = False
        else:
            self._tls.resume_reading()

    def is_reading(self) -> bool:
        return not self._held and bool(self._tls.is_reading())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tls, name)


def _settle(
    loop: asyncio.AbstractEventLoop, transport: Any, holder: _PauseHolder, turns: int
) -> None:
    tls = holder._tls
    if holder._held and turns > 0 and tls.get_write_buffer_size() and not transport.disconnected:
        loop.call_soon(_settle, loop, transport, holder, turns - 1)
        return
    if transport._transport is holder:
        transport._transport = tls
    if holder._held and not transport.disconnected:
        tls.pause_reading()


def _handshake_completed(transport: Any) -> None:
    proto = transport.protocol
    if transport.disconnected or not IHandshakeListener.providedBy(proto):
        return
    try:
        proto.handshakeCompleted()
    except Exception:
        transport._protocol_failed(Failure(), "handshakeCompleted")


def peer_certificate(transport: Any) -> Certificate | None:
    """Return the certificate the peer of *transport* presented, or None.

    :raises ValueError: if the connection does not use TLS (yet).
    """
    obj = transport._transport.get_extra_info("ssl_object")
    if obj is None:
        raise ValueError(
            f"getPeerCertificate() on {transport!r}: the connection does not use TLS "
            "(or its handshake has not finished)"
        )
    der = obj.getpeercert(binary_form=True)
    return Certificate.load(der) if der else None


def negotiated_protocol(transport: Any) -> bytes | None:
    """Return the ALPN protocol the TLS connection agreed on, or None."""
    obj = transport._transport.get_extra_info("ssl_object")
    chosen = obj.selected_alpn_protocol() if obj is not None else None
    return chosen.encode("ascii") if chosen else None


_NO_HALF_CLOSE = (
    "loseWriteConnection() is not supported on TLS connections (asyncio's TLS transports "
    "cannot half-close); use loseConnection()"
)


class _HandshakeBuffer:
    """Stand in for the asyncio transport while ``loop.start_tls`` runs the handshake.

    Writes and closes are recorded and replayed on the TLS transport; everything else
    goes to the plain transport underneath.
    """

    def __init__(self, plain: Any) -> None:
        self._plain = plain
        self._pending: list[bytes] = []
        self._size = 0
        self._close: str | None = None  # "close" or "abort"
        self._paused = False

    def write(self, data: Any) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes-like, not {type(data).__name__}")
        chunk = bytes(data)
        self._pending.append(chunk)
        self._size += len(chunk)

    def writelines(self, items: Any) -> None:
        for item in items:
            self.write(item)

    def close(self) -> None:
        self._close = self._close or "close"

    def write_eof(self) -> None:
        # asyncio's TLS transports cannot half-close; fail now, as they would.
        raise NotImplementedError(_NO_HALF_CLOSE)

    def can_write_eof(self) -> bool:
        return False

    def abort(self) -> None:
        self._close = "abort"
        self._plain.abort()

    def pause_reading(self) -> None:
        # The TLS layer must keep reading to finish the handshake: apply the pause after.
        self._paused = True

    def resume_reading(self) -> None:
        self._paused = False

    def is_reading(self) -> bool:
        return not self._paused

    def get_write_buffer_size(self) -> int:
        return self._size + int(self._plain.get_write_buffer_size())

    def is_closing(self) -> bool:
        return self._close is not None or bool(self._plain.is_closing())

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        if name == "ssl_object":
            return default  # no TLS yet
        return self._plain.get_extra_info(name, default)

    def __getattr__(self, name: str) -> Any:
        # pause_reading, resume_reading, set_write_buffer_limits...
        return getattr(self._plain, name)

    def replay(self, tls: Any) -> None:
        """Send what was written during the handshake on *tls*, then any recorded close."""
        if self._pending:
            tls.writelines(self._pending)
            self._pending.clear()
            self._size = 0
        if self._close == "close":
            tls.close()


def start_tls(transport: Any, contextFactory: object, normal: bool = True) -> None:
    """Start TLS on the open connection of *transport*; see ``ITLSTransport.startTLS``.

    :param normal: true to take the usual side (client for ``connectTCP`` connections,
        server for ``listenTCP`` ones); false to take the other.
    :raises RuntimeError: if TLS is already running or starting on the connection.
    :raises TypeError: if *contextFactory* gives no usable context for that side.
    """
    current = transport._transport
    if isinstance(current, _HandshakeBuffer) or current.get_extra_info("ssl_object") is not None:
        raise RuntimeError(f"startTLS() on {transport!r}: TLS is already started")
    if transport.disconnecting or transport.disconnected:
        raise RuntimeError(f"startTLS() on {transport!r}: the connection is closing or closed")
    server_side = bool(transport._is_server) == bool(normal)
    context, hostname = _tls_context_for(contextFactory, server_side=server_side)
    if not server_side and hostname is None:
        hostname = getattr(transport.getPeer(), "host", None)
        if hostname is None and context.check_hostname:
            raise ValueError(
                f"startTLS() on {transport!r}: the context checks host names but there is no "
                "host name to check; use optionsForClientTLS(hostname, ...)"
            )
    buffer = _HandshakeBuffer(current)
    transport._transport = buffer
    alsoProvides(transport, ISSLTransport, INegotiated)
    transport.TLS = True
    loop: asyncio.AbstractEventLoop = transport._reactor._loop
    task = loop.create_task(_upgrade(loop, transport, buffer, context, server_side, hostname))
    # Keep a reference until the handshake ends (the loop holds tasks weakly).
    transport._tls_task = task
    task.add_done_callback(lambda _: setattr(transport, "_tls_task", None))


async def _upgrade(
    loop: asyncio.AbstractEventLoop,
    transport: Any,
    buffer: _HandshakeBuffer,
    context: ssl.SSLContext,
    server_side: bool,
    hostname: str | None,
) -> None:
    plain = buffer._plain
    try:
        tls = await loop.start_tls(
            plain,
            transport._adapter,
            context,
            server_side=server_side,
            server_hostname=None if server_side else hostname,
        )
    except Exception as exc:
        # asyncio has closed the connection. Python 3.11+ and uvloop then report
        # connection_lost(exc) to the protocol; 3.10 does not, so report it here (the
        # adapter ignores a second report).
        transport._transport = plain
        if not isinstance(exc, (ssl.SSLError, ConnectionError)) and not loop.is_closed():
            log.err(exc, f"startTLS() on {transport!r} failed")
        transport._adapter.connection_lost(exc)
        return
    if tls is None:  # the connection closed during the handshake
        transport._transport = plain
        return
    transport._transport = tls
    buffer.replay(tls)
    if buffer._close is None:
        _hold_pauses(loop, transport, tls, buffer._paused)
    _handshake_completed(transport)
