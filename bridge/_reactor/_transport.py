"""Twisted-style stream transports on top of asyncio's native transports.

Two objects stand between asyncio and a Twisted protocol:

* :class:`StreamAdapter`, the ``asyncio.Protocol`` registered with the loop. It receives
  asyncio's callbacks (``connection_made``, ``data_received``, ``eof_received``,
  ``pause_writing``...) and forwards them. ``data_received`` is the hot path: one attribute
  load and one call to the Twisted protocol's bound ``dataReceived``.
* :class:`StreamTransport` (and :class:`TCPTransport`, :class:`UNIXTransport`), the
  ``ITransport`` the Twisted protocol sees. Every method goes through ``self._aio``, the
  asyncio transport, read at call time so TLS (``bridge._reactor.ssl``) can swap it (through
  the ``_transport`` property) for the one ``loop.start_tls`` returns.

Who builds the protocol and who hears about the end of the connection is the *owner*'s
business: a listening port or a connector (see ``_stream.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from typing import TYPE_CHECKING, Any, Protocol

from zope.interface import implementer

from bridge import error, log
from bridge._reactor._errors import lost_reason
from bridge._reactor._registry import NetRegistry
from bridge.address import IPv4Address, IPv6Address, UNIXAddress
from bridge.failure import Failure
from bridge.interfaces import (
    IConsumer,
    IHalfCloseableProtocol,
    ILoggingContext,
    IPushProducer,
    ISystemHandle,
    ITCPTransport,
    ITLSTransport,
    IUNIXTransport,
)
from bridge.protocol import connectionDone

if TYPE_CHECKING:
    from bridge.protocol import Protocol as TwistedProtocol

__all__ = ["StreamAdapter", "StreamOwner", "StreamTransport", "TCPTransport", "UNIXTransport"]


class StreamOwner(Protocol):
    """What a :class:`StreamAdapter` needs from the port or connector that created it."""

    _reactor: Any
    _registry: NetRegistry

    def _make_transport(self, adapter: StreamAdapter, aio: asyncio.Transport) -> StreamTransport:
        """Wrap the asyncio transport of a new connection."""

    def _build_protocol(self, transport: StreamTransport) -> TwistedProtocol | None:
        """Return the protocol for the connection, or None to refuse it."""

    def _connection_lost(self, transport: StreamTransport, reason: Failure) -> None:
        """Hear that a connection this owner made has ended (after the protocol did)."""


def _call_and_log(why: str, f: Any, *args: Any) -> None:
    """Call ``f(*args)``, logging any exception: for callbacks whose errors nobody receives."""
    try:
        f(*args)
    except Exception:
        log.err(None, why)


# Protocol callbacks run with the log "system" set as Twisted's reactor sets it (its
# callWithLogger around every dispatch): the transport's logPrefix(), e.g. "Echo,0,127.0.0.1".
# The ContextVar is set and reset inline on the hot path (no extra Python frame).
_log_context = log._context
_set_log_context = _log_context.set
_reset_log_context = _log_context.reset
_DEFAULT_LOG_CONTEXT = _log_context.get()


def log_context(system: str) -> Any:
    """Return the log context (for ``bridge.log``) whose ``system`` is *system*."""
    return {**_log_context.get(), "system": system}


def prefix_of(obj: Any) -> str:
    """Return *obj*'s ``logPrefix()`` if it has one, else its class name (Twisted's rule)."""
    prefix = getattr(obj, "logPrefix", None)
    if prefix is None:
        return type(obj).__name__
    return str(prefix())


def qualified_name(obj: Any) -> str:
    """Return the dotted name of *obj*'s class (a listening port's log prefix in Twisted)."""
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


class StreamAdapter(asyncio.Protocol):
    """The ``asyncio.Protocol`` that forwards a stream connection's events to Twisted."""

    __slots__ = ("_data_received", "_owner", "_t")

    def __init__(self, owner: StreamOwner) -> None:
        self._owner = owner
        self._t: StreamTransport | None = None
        self._data_received: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        aio: Any = transport
        try:
            t = self._owner._make_transport(self, aio)
        except Exception:
            # The owner gave up on this attempt (cancelled connect, closed port).
            aio.abort()
            return
        try:
            proto = self._owner._build_protocol(t)
        except Exception:
            log.err(None, f"Error in {self._owner!r} building a protocol; dropping the connection")
            aio.abort()
            return
        if proto is None:
            t._registry.transports.discard(t)
            _refuse(self, aio)
            return
        self._t = t
        t.protocol = proto
        self._data_received = proto.dataReceived
        if IHalfCloseableProtocol.providedBy(proto):
            t._half_closeable = proto
        # As in Twisted: a server's connectionMade runs in its port's log context, a client's
        # in "Uninitialized" (its transport's prefix is only set up afterwards).
        owner_prefix = getattr(self._owner, "logPrefix", None)
        system = owner_prefix() if t._is_server and owner_prefix is not None else "Uninitialized"
        token = _set_log_context(log_context(system))
        try:
            proto.makeConnection(t)
        except Exception:
            if t._is_server:
                # As Twisted's listening ports do: log it, keep the connection.
                log.err(None, f"Unhandled Error in {prefix_of(t.protocol)}.connectionMade()")
            else:
                t._protocol_failed(Failure(), "connectionMade")
        finally:
            _reset_log_context(token)

    def data_received(self, data: bytes) -> None:
        t: Any = self._t
        t._dispatching = True
        token = _set_log_context(t._log_context)
        try:
            self._data_received(data)
        except Exception:
            t._dispatching = t._held = False
            t._pending = None
            t._protocol_failed(Failure(), "dataReceived")
            return
        finally:
            _reset_log_context(token)
        t._dispatching = False
        if t._pending is not None:
            t._flush_held()
        else:
            t._held = False

    def eof_received(self) -> bool:
        t = self._t
        if t is None:
            return False
        return t._eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        t = self._t
        if t is not None:
            self._t = None
            self._data_received = None
            t._connection_lost(exc)

    def pause_writing(self) -> None:
        t = self._t
        if t is not None:
            t._pause_writing()

    def resume_writing(self) -> None:
        t = self._t
        if t is not None:
            t._resume_writing()


class _RefusedAdapter(StreamAdapter):
    """A connection whose factory returned None: discard its data until the peer closes.

    Closing at once with unread data would make the kernel send RST (the peer would see
    ConnectionLost); Twisted closes refused connections cleanly (ConnectionDone).
    """

    __slots__ = ()

    def data_received(self, data: bytes) -> None:
        pass

    def eof_received(self) -> bool:
        return False  # asyncio closes the transport: nothing left unread

    def connection_lost(self, exc: Exception | None) -> None:
        pass


def _refuse(adapter: StreamAdapter, aio: Any) -> None:
    adapter.__class__ = _RefusedAdapter
    if aio.can_write_eof():
        aio.write_eof()  # FIN now; close once the peer has closed too
        loop = asyncio.get_running_loop()
        loop.call_later(2.0, aio.close)  # peers that never close don't keep it forever
    else:
        aio.close()


def _bytes_type_error(method: str, data: object) -> TypeError:
    return TypeError(
        f"transport.{method}() takes bytes-like data, not {type(data).__name__}; "
        "encode text first, e.g. data.encode('utf-8')"
    )


@implementer(IPushProducer, IConsumer, ISystemHandle, ILoggingContext)
class StreamTransport:
    """The Twisted-facing transport of one stream connection (``ITransport``).

    :ivar protocol: the connected Twisted protocol.
    :ivar connected: true until the connection is lost.
    :ivar disconnecting: true once :meth:`loseConnection` or :meth:`abortConnection` ran.
    :ivar disconnected: true once ``connectionLost`` was delivered.
    :ivar producer: the registered producer, or ``None``.
    :ivar streamingProducer: whether :attr:`producer` is a push (streaming) producer.
    """

    protocol: Any = None
    # Per-connection state starts as these class-level defaults: a new connection then only
    # stores what differs (accepting is a hot path too).
    # 0/1 ints, as Twisted's transports have them (they print as 0/1, not False/True).
    connected = 1
    disconnecting = 0
    disconnected = 0
    producer: Any = None
    streamingProducer = False
    producerPaused = False
    # Write coalescing: during one dataReceived call, the first write goes out at once and
    # later ones are held and sent together when dataReceived returns (one system call
    # instead of one per write, as Twisted's buffered writes give).
    _dispatching = False
    _held = False
    _pending: list[bytes] | None = None
    _write_closed = False  # loseConnection, abortConnection or loseWriteConnection
    _aborted = False
    _failure: Failure | None = None
    _half_closeable: Any = None
    _write_paused = False
    _pull_handle: asyncio.Handle | None = None
    _eof_waiter: asyncio.Handle | None = None
    _close_after_producer = False

    def __init__(
        self, reactor: Any, adapter: StreamAdapter, aio: asyncio.Transport, is_server: bool
    ) -> None:
        self._reactor = reactor
        self._adapter = adapter
        self._aio: Any = aio
        self._is_server = is_server
        self._registry = adapter._owner._registry
        self._registry.transports.add(self)

    def __repr__(self) -> str:
        state = "disconnected" if self.disconnected else "connected"
        return f"<{type(self).__name__} {state} {self.protocol!r}>"

    #: Set by a listening port: the number of this connection among the port's (from 0).
    _sessionno = 0
    _log_prefix: str | None = None
    _log_context_cache: Any = None

    def logPrefix(self) -> str:
        """Return the log prefix, as Twisted's transports: ``"Echo,0,127.0.0.1"`` for the
        first connection a port accepted (protocol prefix, session number, peer host), or
        ``"Echo,client"`` for a client connection."""
        prefix = self._log_prefix
        if prefix is None:
            proto = self.protocol
            if proto is None:
                return "Uninitialized"
            if self._is_server:
                peer = self.getPeer()  # type: ignore[attr-defined]
                host = getattr(peer, "host", "")
                prefix = f"{prefix_of(proto)},{self._sessionno},{host}"
            else:
                prefix = f"{prefix_of(proto)},client"
            self._log_prefix = prefix
        return prefix

    @property
    def _log_context(self) -> Any:
        """The log context the protocol's callbacks run in (``system`` = :meth:`logPrefix`)."""
        ctx = self._log_context_cache
        if ctx is None:
            ctx = self._log_context_cache = log_context(self.logPrefix())
        return ctx

    @property
    def _transport(self) -> Any:
        """The asyncio transport; assigning a new one (TLS) first sends any held writes."""
        return self._aio

    @_transport.setter
    def _transport(self, aio: Any) -> None:
        if self._pending:
            self._flush_held()
        self._aio = aio

    def _flush_held(self) -> None:
        self._held = False
        pending, self._pending = self._pending, None
        if pending and not self._write_closed:
            self._aio.write(pending[0] if len(pending) == 1 else b"".join(pending))
            producer = self.producer
            if producer is not None and self._pull_handle is None and not self.streamingProducer:
                self._schedule_pull()

    def _hold(self, data: Any) -> None:
        if not isinstance(data, bytes):
            if not isinstance(data, (bytearray, memoryview)):
                raise _bytes_type_error("write", data)
            data = bytes(data)  # the caller may reuse its buffer, as asyncio allows
        if self._pending is None:
            self._pending = [data]
        else:
            self._pending.append(data)

    def _rebind_protocol(self, proto: Any) -> None:
        """Deliver events straight to *proto* (an endpoint's wrapper steps aside)."""
        self.protocol = proto
        self._adapter._data_received = proto.dataReceived
        self._half_closeable = proto if IHalfCloseableProtocol.providedBy(proto) else None

    # -- writing --------------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Queue *data* to be sent; it goes out in order, before any close.

        Writes after :meth:`loseConnection`, :meth:`loseWriteConnection` or the end of the
        connection are dropped silently.

        :raises TypeError: if *data* is not bytes-like (for example a ``str``).
        """
        if self._write_closed:
            return
        if self._held:
            self._hold(data)
            return
        try:
            self._aio.write(data)
        except TypeError:
            raise _bytes_type_error("write", data) from None
        self._held = self._dispatching
        if self.producer is not None and self._pull_handle is None and not self.streamingProducer:
            self._schedule_pull()

    def writeSequence(self, data: Any) -> None:
        """Queue each bytes-like object in the iterable *data*, as :meth:`write` does.

        :raises TypeError: if an item is not bytes-like.
        """
        if self._write_closed:
            return
        items = list(data)
        for item in items:
            if isinstance(item, str):
                raise _bytes_type_error("writeSequence", item)
        if self._held:
            for item in items:
                self._hold(item)
            return
        try:
            self._aio.writelines(items)
        except TypeError:
            raise _bytes_type_error("writeSequence", items) from None
        self._held = self._dispatching
        if self.producer is not None and self._pull_handle is None and not self.streamingProducer:
            self._schedule_pull()

    # -- closing --------------------------------------------------------------------------------

    def loseConnection(self) -> None:
        """Close the connection once everything written so far has been sent.

        The protocol then gets ``connectionLost`` with :class:`~bridge.error.ConnectionDone`.
        While a producer is registered, reading stops but the connection stays open (and
        writable) until :meth:`unregisterProducer`, as ``ITransport`` documents.
        """
        if self.disconnecting or self.disconnected:
            return
        if self._pending:
            self._flush_held()
        self.disconnecting = 1
        if self.producer is not None:
            self._close_after_producer = True
            self._aio.pause_reading()
            return
        self._write_closed = True
        self._aio.close()

    def abortConnection(self) -> None:
        """Close the connection at once, discarding unsent data.

        The protocol then gets ``connectionLost`` with :class:`~bridge.error.ConnectionAborted`
        (a :class:`~bridge.error.ConnectionLost`).
        """
        if self.disconnected or self._aborted:
            return
        self.disconnecting = 1
        self._write_closed = True
        self._aborted = True
        self._pending = None
        self._reset_on_close()
        self._aio.abort()

    def _reset_on_close(self) -> None:
        """Make the coming close an unclean one, where the transport supports it."""

    def loseWriteConnection(self) -> None:
        """Shut down the sending side once everything written has been sent (half-close).

        A protocol providing ``IHalfCloseableProtocol`` then gets ``writeConnectionLost()``.
        """
        if self._write_closed or self.disconnected:
            return
        if not self._aio.can_write_eof():
            raise NotImplementedError(
                "loseWriteConnection() is not supported on TLS connections (asyncio's TLS "
                "transports cannot half-close); use loseConnection()"
            )
        if self._pending:
            self._flush_held()
        self._write_closed = True
        self._aio.write_eof()
        self._check_write_eof()

    def _check_write_eof(self) -> None:
        # asyncio shuts the socket down when its buffer drains but says nothing: look again
        # shortly (only while a half-close is pending, so this costs nothing otherwise).
        self._eof_waiter = None
        if self.disconnected:
            return
        if self._aio.get_write_buffer_size():
            loop = self._reactor._loop
            self._eof_waiter = loop.call_later(0.005, self._check_write_eof)
            return
        proto = self._half_closeable
        if proto is not None:
            try:
                proto.writeConnectionLost()
            except Exception:
                self._protocol_failed(Failure(), "writeConnectionLost")

    def _eof_received(self) -> bool:
        proto = self._half_closeable
        if proto is None:
            return False  # asyncio closes the transport: connectionLost(ConnectionDone)
        token = _set_log_context(self._log_context)
        try:
            proto.readConnectionLost()
        except Exception:
            self._protocol_failed(Failure(), "readConnectionLost")
        finally:
            _reset_log_context(token)
        return True

    def _protocol_failed(self, failure: Failure, method: str) -> None:
        """Log an exception raised by the protocol and drop the connection, as Twisted does."""
        log.err(
            failure,
            f"Unhandled Error in {prefix_of(self.protocol)}.{method}(); dropping connection",
        )
        if self._failure is None:
            self._failure = failure
        if not self.disconnected:
            self._write_closed = True
            self.disconnecting = 1
            self._aio.abort()

    def _shutdown(self) -> None:
        """Drop the connection now, as the reactor shuts down: ``ConnectionLost``."""
        adapter = self._adapter
        if self.disconnected or adapter._t is not self:
            return
        adapter._t = None
        if self._failure is None:
            self._failure = Failure(error.ConnectionLost("Connection lost"))  # as Twisted
        try:
            self._aio.abort()
        except Exception:
            log.err(None, f"Error aborting {self!r} at reactor shutdown")
        self._connection_lost(None)

    def _connection_lost(self, exc: Exception | None) -> None:
        self._registry.transports.discard(self)
        if self._failure is not None:
            reason = self._failure
        elif self._aborted:
            reason = Failure(error.ConnectionAborted())
        elif exc is None:
            # One shared Failure for every clean close, as Twisted's reactor does.
            reason = connectionDone
        else:
            reason = Failure(lost_reason(exc))
        self.connected = 0
        self.disconnected = 1
        self.disconnecting = 0
        self._write_closed = True
        if self._pull_handle is not None:
            self._pull_handle.cancel()
            self._pull_handle = None
        if self._eof_waiter is not None:
            self._eof_waiter.cancel()
            self._eof_waiter = None
        producer = self.producer
        if producer is not None:
            self.producer = None
            _call_and_log("Error in producer.stopProducing()", producer.stopProducing)
        proto = self.protocol
        if proto is not None:
            token = _set_log_context(self._log_context)
            try:
                proto.connectionLost(reason)
            except Exception:
                log.err(None, f"Unhandled Error in {prefix_of(self.protocol)}.connectionLost()")
            finally:
                _reset_log_context(token)
        # The connector's part (clientConnectionLost, "Stopping factory") logs as "-", as in
        # Twisted, even when asyncio scheduled this from inside another protocol callback.
        token = _set_log_context(_DEFAULT_LOG_CONTEXT)
        try:
            self._adapter._owner._connection_lost(self, reason)
        finally:
            _reset_log_context(token)

    # -- the read side as a push producer -----------------------------------------------------

    def pauseProducing(self) -> None:
        """Stop reading from the connection until :meth:`resumeProducing`."""
        if not self.disconnected:
            self._aio.pause_reading()

    def resumeProducing(self) -> None:
        """Start reading from the connection again."""
        if not self.disconnected:
            self._aio.resume_reading()

    def stopProducing(self) -> None:
        """Close the connection (``loseConnection``)."""
        self.loseConnection()

    # -- consumer: producers feeding this transport --------------------------------------------

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """Register *producer* to feed data into this transport.

        A streaming (push, ``IPushProducer``) producer is paused when asyncio's write buffer
        passes its high-water mark and resumed when it drains below the low-water mark. A
        pull producer (``IPullProducer``) is asked for more with ``resumeProducing()`` while
        the buffer is below the high-water mark. Either way memory stays bounded.

        :raises RuntimeError: if another producer is still registered.
        """
        if self.producer is not None:
            raise RuntimeError(
                f"Cannot register producer {producer!r}, because producer {self.producer!r} "
                "was never unregistered."
            )
        if self.disconnected:
            producer.stopProducing()
            return
        self.producer = producer
        self.streamingProducer = bool(streaming)
        self.producerPaused = False
        if streaming:
            if self._write_paused:
                self.producerPaused = True
                producer.pauseProducing()
        elif not self._write_paused:
            self._schedule_pull()

    def unregisterProducer(self) -> None:
        """Forget the registered producer; finish a :meth:`loseConnection` that waited for it."""
        self.producer = None
        self.producerPaused = False
        if self._pull_handle is not None:
            self._pull_handle.cancel()
            self._pull_handle = None
        if self._close_after_producer and not self.disconnected:
            self._close_after_producer = False
            if self._pending:
                self._flush_held()
            self._write_closed = True
            self._aio.close()

    def _schedule_pull(self) -> None:
        self._pull_handle = self._reactor._loop.call_soon(self._pull)

    def _pull(self) -> None:
        self._pull_handle = None
        producer = self.producer
        if producer is None or self.streamingProducer or self._write_paused or self.disconnected:
            return
        try:
            producer.resumeProducing()
        except Exception:
            self._protocol_failed(Failure(), "producer.resumeProducing")

    def _pause_writing(self) -> None:
        self._write_paused = True
        producer = self.producer
        if producer is not None and self.streamingProducer and not self.producerPaused:
            self.producerPaused = True
            try:
                producer.pauseProducing()
            except Exception:
                self._protocol_failed(Failure(), "producer.pauseProducing")

    def _resume_writing(self) -> None:
        self._write_paused = False
        producer = self.producer
        if producer is None:
            return
        if self.streamingProducer:
            if self.producerPaused:
                self.producerPaused = False
                try:
                    producer.resumeProducing()
                except Exception:
                    self._protocol_failed(Failure(), "producer.resumeProducing")
        elif self._pull_handle is None:
            self._schedule_pull()

    # -- Twisted's public attributes of a connection -------------------------------------------

    #: Twisted's buffer sizes (kept for code that reads them; asyncio sizes its own reads).
    SEND_LIMIT = 128 * 1024
    bufferSize = 2**16
    #: Whether the connection is a TLS one (Twisted's ``TLS`` flag).
    TLS = False

    @property
    def reactor(self) -> Any:
        """The reactor this connection belongs to."""
        return self._reactor

    def stopReading(self) -> None:
        """Stop reading from the connection (Twisted's FileDescriptor; see pauseProducing)."""
        self.pauseProducing()

    def startReading(self) -> None:
        """Read from the connection again (see resumeProducing)."""
        self.resumeProducing()

    @property
    def sessionno(self) -> int:
        """The number of this connection among those its port accepted (0 for clients)."""
        return self._sessionno

    @property
    def logstr(self) -> str:
        """The log prefix (Twisted's attribute behind :meth:`logPrefix`)."""
        return self.logPrefix()

    # -- addresses and handles -----------------------------------------------------------------

    def getHandle(self) -> Any:
        """Return the socket-like object asyncio exposes (``get_extra_info('socket')``)."""
        return self._aio.get_extra_info("socket")

    @property
    def socket(self) -> Any:
        """The connection's socket-like object, as ``getHandle()`` returns."""
        return self.getHandle()

    def fileno(self) -> int:
        """Return the socket's file descriptor, or -1 once closed."""
        sock = self.getHandle()
        return -1 if sock is None else int(sock.fileno())

    def _set_sock_option(self, level: int, option: int, value: int) -> None:
        sock = self.getHandle()
        if sock is not None:
            sock.setsockopt(level, option, value)

    def _get_sock_option(self, level: int, option: int) -> bool:
        sock = self.getHandle()
        return bool(sock is not None and sock.getsockopt(level, option))

    # -- TLS (bridge._reactor.ssl does the work) ---------------------------------------------

    def startTLS(self, contextFactory: object, normal: bool = True) -> None:
        """Upgrade this connection to TLS; see ``ITLSTransport.startTLS``."""
        from bridge._reactor.ssl import start_tls  # type: ignore[import-not-found,unused-ignore]

        start_tls(self, contextFactory, normal)

    @property
    def negotiatedProtocol(self) -> bytes | None:
        """Return the ALPN protocol agreed during the TLS handshake, or None."""
        from bridge._reactor.ssl import negotiated_protocol  # type: ignore[import-not-found,unused-ignore]

        result: bytes | None = negotiated_protocol(self)
        return result

    def getPeerCertificate(self) -> object:
        """Return the peer's certificate once TLS is established."""
        from bridge._reactor.ssl import peer_certificate  # type: ignore[import-not-found,unused-ignore]

        result: object = peer_certificate(self)
        return result


_LINGER_RESET = struct.pack("ii", 1, 0)


def _ip_address(kind: Any, sockaddr: Any) -> IPv4Address | IPv6Address:
    if len(sockaddr) == 4:
        host, port, flow, scope = sockaddr
        return IPv6Address(kind, host, port, flow, scope)
    return IPv4Address(kind, sockaddr[0], sockaddr[1])


@implementer(ITCPTransport, ITLSTransport)
class TCPTransport(StreamTransport):
    """The transport of a TCP connection: addresses, TCP options and TLS upgrade.

    .. note:: asyncio enables ``TCP_NODELAY`` on new TCP connections; Twisted leaves it off.
    """

    connector: Any = None
    server: Any = None
    _host: IPv4Address | IPv6Address | None = None

    def __init__(
        self, reactor: Any, adapter: StreamAdapter, aio: asyncio.Transport, is_server: bool
    ) -> None:
        super().__init__(reactor, adapter, aio, is_server)
        self._peer = _ip_address("TCP", aio.get_extra_info("peername"))
        # The address object is built on first use: few protocols ask for it.
        self._sockname = aio.get_extra_info("sockname")

    def __repr__(self) -> str:
        # Twisted's formats: "<Echo #0 on 8000>" for an accepted connection (protocol class,
        # session number, local port), "<CLASS to ('127.0.0.1', 8000) at 7f..>" for a client.
        if self._is_server:
            name = type(self.protocol).__name__
            return f"<{name} #{self._sessionno} on {self.getHost().port}>"
        return f"<{type(self)} to {self.addr} at {id(self):x}>"

    def getPeer(self) -> IPv4Address | IPv6Address:
        """Return the remote address (:class:`IPv4Address` or :class:`IPv6Address`)."""
        return self._peer

    socketType = socket.SOCK_STREAM

    @property
    def addressFamily(self) -> int:
        """``AF_INET`` or ``AF_INET6``, by the peer's address."""
        return socket.AF_INET6 if isinstance(self._peer, IPv6Address) else socket.AF_INET

    @property
    def hostname(self) -> str:
        """The peer's host (Twisted's server-side attribute)."""
        return self._peer.host

    @property
    def client(self) -> tuple[str, int]:
        """The peer's ``(host, port)`` (Twisted's server-side attribute)."""
        return (self._peer.host, self._peer.port)

    @property
    def addr(self) -> tuple[str, int]:
        """The ``(host, port)`` connected to (Twisted's client-side attribute)."""
        return (self._peer.host, self._peer.port)

    realAddress = addr

    def getHost(self) -> IPv4Address | IPv6Address:
        """Return the local address (:class:`IPv4Address` or :class:`IPv6Address`)."""
        host = self._host
        if host is None:
            host = self._host = _ip_address("TCP", self._sockname)
        return host

    def _reset_on_close(self) -> None:
        # SO_LINGER (on, 0 s): close() sends RST, so the peer sees ConnectionLost, as with
        # Twisted's abortConnection ("notifies the other end of the unclean closure").
        sock = self.getHandle()
        if sock is not None:
            with contextlib.suppress(OSError):  # the socket may have failed already
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)

    def setTcpNoDelay(self, enabled: bool) -> None:
        """Turn Nagle's algorithm off (*enabled* true) or on."""
        self._set_sock_option(socket.IPPROTO_TCP, socket.TCP_NODELAY, int(bool(enabled)))

    def getTcpNoDelay(self) -> bool:
        """Return whether ``TCP_NODELAY`` is set."""
        return self._get_sock_option(socket.IPPROTO_TCP, socket.TCP_NODELAY)

    def setTcpKeepAlive(self, enabled: bool) -> None:
        """Turn TCP keep-alive probes on or off."""
        self._set_sock_option(socket.SOL_SOCKET, socket.SO_KEEPALIVE, int(bool(enabled)))

    def getTcpKeepAlive(self) -> bool:
        """Return whether ``SO_KEEPALIVE`` is set."""
        return self._get_sock_option(socket.SOL_SOCKET, socket.SO_KEEPALIVE)


def _unix_address(name: Any) -> UNIXAddress:
    if not name:
        return UNIXAddress(None)
    return UNIXAddress(name)


@implementer(IUNIXTransport)
class UNIXTransport(StreamTransport):
    """The transport of a UNIX-domain stream connection."""

    connector: Any = None
    server: Any = None

    def __init__(
        self, reactor: Any, adapter: StreamAdapter, aio: asyncio.Transport, is_server: bool
    ) -> None:
        super().__init__(reactor, adapter, aio, is_server)
        self._peer = _unix_address(aio.get_extra_info("peername"))
        self._host = _unix_address(aio.get_extra_info("sockname"))

    def getPeer(self) -> UNIXAddress:
        """Return the peer's :class:`UNIXAddress` (its name is None for unbound clients)."""
        return self._peer

    def getHost(self) -> UNIXAddress:
        """Return the local :class:`UNIXAddress`."""
        return self._host

    def sendFileDescriptor(self, descriptor: int) -> None:
        """Not supported: asyncio's transports cannot pass file descriptors.

        :raises NotImplementedError: always.
        """
        raise NotImplementedError(
            "UNIXTransport.sendFileDescriptor(): bridge's UNIX transports run on asyncio's, "
            "which cannot pass file descriptors (SCM_RIGHTS)"
        )
