"""Listening ports and connectors for stream sockets (TCP and UNIX), on asyncio servers.

:class:`StreamPort` binds and listens synchronously with the ``socket`` module, so errors
surface at call time as ``CannotListenError`` exactly like Twisted's ``listenTCP``; it then
hands the listening socket to ``loop.create_server(sock=...)``, which accepts in C under
uvloop. :class:`StreamConnector` runs each connection attempt as an asyncio task
(resolve, bind, ``loop.sock_connect``, ``loop.create_connection(sock=...)``) and reports
the outcome to the ``ClientFactory`` the Twisted way.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

from zope.interface import implementer

from bridge import error, log
from bridge._reactor._errors import connect_error
from bridge._reactor._registry import registry
from bridge._reactor._transport import StreamAdapter, StreamTransport, qualified_name
from bridge.compat import is_uvloop
from bridge.failure import Failure
from bridge.interfaces import ILoggingContext

__all__ = ["ResolverFailed", "StreamConnector", "StreamPort", "handed_over"]


class ResolverFailed(Exception):
    """Carry the exception of a failed name lookup: the factory gets it as it is."""

    def __init__(self, exc: Exception) -> None:
        super().__init__(exc)
        self.exc = exc


def handed_over(loop: Any, sock: socket.socket) -> None:
    """Forget *sock* once it was passed to ``loop.create_*(sock=...)``, whatever the outcome.

    asyncio keeps using the socket object (and closes it with the transport). uvloop takes
    the file descriptor and only detaches the Python object when its handle closes, unless
    the handle closed before it was attached (a protocol that disconnects in
    ``connectionMade``, a cancelled attempt): then the object keeps a stale descriptor number
    and closes whatever reuses it when it is garbage-collected. Detaching it at once avoids that.
    """
    if is_uvloop(loop):
        sock.detach()


def _fired_deferred() -> Any:
    from bridge.defer import succeed

    return succeed(None)


@implementer(ILoggingContext)
class StreamPort:
    """The common part of TCP and UNIX listening ports (``IListeningPort``).

    Subclasses provide :meth:`_create_socket` (bound, listening, non-blocking),
    :meth:`_transport_class`, :meth:`getHost` and :meth:`_address_text`.

    :ivar factory: the protocol factory.
    :ivar connected: true while listening.
    :ivar disconnecting: true while :meth:`stopListening` is in progress.
    """

    _transport_class: type[StreamTransport] = StreamTransport

    def __init__(self, reactor: Any, factory: Any, backlog: int, ssl_context: Any = None) -> None:
        self._reactor = reactor
        self.reactor = reactor
        self.factory = factory
        self.backlog = backlog
        self._ssl_context = ssl_context
        self._sock: socket.socket | None = None
        self._server: asyncio.AbstractServer | None = None
        self._registry = registry(reactor)
        self.connected = False
        self.disconnecting = False
        self._sessions = 0  # connections accepted so far (their logPrefix numbers them)

    def __repr__(self) -> str:
        factory = type(self.factory).__name__
        if self.connected:
            return f"<{factory} on {self._address_text()}>"
        return f"<{factory} (not listening)>"

    def logPrefix(self) -> str:
        """Return the dotted class name of the factory, as Twisted's ports do."""
        return qualified_name(self.factory)

    #: Twisted's (unused here) limit on accepts per readiness event.
    numberAccepts = 100

    @property
    def sessionno(self) -> int:
        """The number of connections accepted so far."""
        return self._sessions

    def fileno(self) -> int:
        """Return the listening socket's file descriptor, or -1 when not listening."""
        return self._sock.fileno() if self._sock is not None else -1

    def _create_socket(self) -> socket.socket:
        raise NotImplementedError

    def _address_text(self) -> str:
        raise NotImplementedError

    def _start_text(self) -> str:
        """What "<Factory> starting on ..." names: the port number or the socket path."""
        return self._address_text()

    def _cleanup(self) -> None:
        """Remove what the port left behind (a UNIX socket file, a lock file)."""

    def startListening(self) -> None:
        """Bind, listen and start accepting; the factory's ``doStart`` runs first.

        :raises CannotListenError: if the address can't be bound (in use, no permission).
        """
        if self.connected:
            raise error.AlreadyListened(f"{self!r} is already listening")
        sock = self._create_socket()
        self._sock = sock
        self.connected = True
        self.disconnecting = False
        log.msg(f"{type(self.factory).__name__} starting on {self._start_text()}")
        self.factory.doStart()
        self._registry.ports.add(self)
        self._reactor._loop.create_task(self._serve(sock))

    async def _serve(self, sock: socket.socket) -> None:
        loop = self._reactor._loop
        try:
            server = await loop.create_server(
                lambda: StreamAdapter(self),
                sock=sock,
                backlog=self.backlog,
                ssl=self._ssl_context,
            )
        except Exception:
            if self._sock is sock:  # not stopped meanwhile: a real problem
                log.err(None, f"{self!r}: asyncio could not serve the listening socket")
            return
        if self._sock is not sock:  # stopListening() ran while the server was starting
            server.close()
            return
        self._server = server

    def stopListening(self) -> Any:
        """Stop accepting connections; existing connections stay open.

        :return: a Deferred that fires with ``None`` once the port is closed and the
            factory's ``doStop`` has run.
        """
        if not self.connected:
            return _fired_deferred()
        from bridge.defer import Deferred

        self._close()
        d: Deferred[None] = Deferred()
        # Let the loop finish closing the handle (uvloop closes it on its next iteration).
        self._reactor._loop.call_soon(self._reactor._loop.call_soon, self._stopped, d)
        return d

    def _close(self) -> None:
        self.connected = False
        self.disconnecting = True
        self._registry.ports.discard(self)
        server, self._server = self._server, None
        sock, self._sock = self._sock, None
        if server is not None:
            server.close()
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    def _stop_now(self) -> None:
        """Stop listening at once (reactor shutdown): no Deferred, no waiting."""
        if self.connected:
            from bridge.defer import Deferred

            self._close()
            self._stopped(Deferred())

    loseConnection = stopListening

    def _stopped(self, d: Any) -> None:
        log.msg(f"({self._address_text()} Closed)")
        try:
            self._cleanup()
            self.factory.doStop()
        except Exception:
            self.disconnecting = False
            d.errback(Failure())
            return
        self.disconnecting = False
        d.callback(None)

    # -- StreamOwner ----------------------------------------------------------------------------

    def _make_transport(self, adapter: StreamAdapter, aio: asyncio.Transport) -> StreamTransport:
        transport = self._transport_class(self._reactor, adapter, aio, True)
        transport.server = self  # type: ignore[attr-defined]
        transport._sessionno = self._sessions
        self._sessions += 1
        if self._ssl_context is not None:
            _mark_tls(transport)
        return transport

    def _build_protocol(self, transport: StreamTransport) -> Any:
        return self.factory.buildProtocol(transport.getPeer())  # type: ignore[attr-defined]

    def _connection_lost(self, transport: StreamTransport, reason: Failure) -> None:
        pass


def _mark_tls(transport: StreamTransport) -> None:
    # TLS owns what a TLS connection provides (ISSLTransport, handshakeCompleted scheduling).
    from bridge._reactor.ssl import tls_connection_made

    tls_connection_made(transport)


class _Attempt:
    """One connection attempt of a connector; stale attempts are refused by identity."""

    __slots__ = ("_reactor", "_registry", "connector")

    def __init__(self, connector: StreamConnector) -> None:
        self.connector = connector
        self._reactor = connector._reactor
        self._registry = connector._registry

    def _make_transport(self, adapter: StreamAdapter, aio: asyncio.Transport) -> StreamTransport:
        c = self.connector
        if c._attempt is not self or c.state != "connecting":
            raise RuntimeError("stale connection attempt")
        return c._connected(adapter, aio)

    def _build_protocol(self, transport: StreamTransport) -> Any:
        proto = self.connector.buildProtocol(transport.getPeer())  # type: ignore[attr-defined]
        if proto is None:
            # As in Twisted: a client factory that refuses gets the connection closed, and
            # clientConnectionLost, through a do-nothing protocol.
            from bridge.protocol import Protocol

            proto = Protocol()
            transport._reactor._loop.call_soon(transport.loseConnection)
        return proto

    def _connection_lost(self, transport: StreamTransport, reason: Failure) -> None:
        self.connector._connection_lost(reason)


class StreamConnector:
    """The common part of TCP and UNIX connectors (``IConnector``).

    :ivar state: ``"disconnected"``, ``"connecting"`` or ``"connected"``.
    :ivar factory: the ``ClientFactory``.
    :ivar transport: the connection's transport while connected.
    :ivar timeout: seconds allowed for each attempt, or ``None``.
    """

    _transport_class: type[StreamTransport] = StreamTransport

    def __init__(
        self, reactor: Any, factory: Any, timeout: float | None, ssl_context: Any = None
    ) -> None:
        self._reactor = reactor
        self.reactor = reactor
        self.factory = factory
        self.timeout = timeout
        self._ssl_context = ssl_context
        self.state = "disconnected"
        self.factoryStarted = False
        self.transport: StreamTransport | None = None
        self._attempt: _Attempt | None = None
        self._task: asyncio.Task[None] | None = None
        self._timeout_handle: asyncio.TimerHandle | None = None
        self._registry = registry(reactor)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} instance at 0x{id(self):x} {self.state}>"

    async def _open(self, attempt: _Attempt) -> None:
        raise NotImplementedError

    def getDestination(self) -> Any:
        raise NotImplementedError

    def connect(self) -> None:
        """Start a connection attempt (again, after a failure or a lost connection).

        :raises RuntimeError: if the connector is already connecting or connected.
        """
        if self.state != "disconnected":
            raise RuntimeError(
                f"{self!r}.connect(): can't connect in state {self.state!r}; "
                "call disconnect() first"
            )
        self.state = "connecting"
        if not self.factoryStarted:
            self.factory.doStart()
            self.factoryStarted = True
        loop = self._reactor._loop
        self._registry.connectors.add(self)
        attempt = self._attempt = _Attempt(self)
        self._task = loop.create_task(self._run(attempt))
        if self.timeout is not None:
            self._timeout_handle = loop.call_later(self.timeout, self._timed_out, attempt)
        self.factory.startedConnecting(self)

    async def _run(self, attempt: _Attempt) -> None:
        try:
            await self._open(attempt)
        except asyncio.CancelledError:
            return  # stopConnecting() or the timeout already reported the failure
        except ResolverFailed as exc:
            if self._attempt is attempt and self.state == "connecting":
                self._failed(exc.exc)
        except Exception as exc:
            if self._attempt is attempt and self.state == "connecting":
                self._failed(connect_error(exc))

    def _timed_out(self, attempt: _Attempt) -> None:
        self._timeout_handle = None
        if self._attempt is attempt and self.state == "connecting":
            self._failed(error.TimeoutError())

    def stopConnecting(self) -> None:
        """Abandon the attempt in progress; ``clientConnectionFailed`` gets ``UserError``.

        :raises NotConnectingError: if no attempt is in progress.
        """
        if self.state != "connecting":
            raise error.NotConnectingError("we're not trying to connect")
        self._failed(error.UserError())

    def disconnect(self) -> None:
        """Stop connecting, or close the connection if it is established."""
        if self.state == "connecting":
            self.stopConnecting()
        elif self.state == "connected" and self.transport is not None:
            self.transport.loseConnection()

    def buildProtocol(self, addr: Any) -> Any:
        """Ask the factory for the connection's protocol."""
        return self.factory.buildProtocol(addr)

    def _cancel_timeout(self) -> None:
        if self._timeout_handle is not None:
            self._timeout_handle.cancel()
            self._timeout_handle = None

    def _shutdown(self) -> None:
        if self.state == "connecting":
            self._failed(error.ConnectError(string="the reactor shut down"))

    def _failed(self, exc: Exception) -> None:
        self._registry.connectors.discard(self)
        self._cancel_timeout()
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
        self._attempt = None
        self.transport = None
        self.state = "disconnected"
        try:
            self.factory.clientConnectionFailed(self, Failure(exc))
        except Exception:
            log.err(
                None, f"Unhandled Error in {type(self.factory).__name__}.clientConnectionFailed"
            )
        self._maybe_stop_factory()

    def _maybe_stop_factory(self) -> None:
        # Unless the factory reconnected from its callback, it is no longer in use.
        if self.state == "disconnected" and self.factoryStarted:
            self.factoryStarted = False
            self.factory.doStop()

    def _connected(self, adapter: StreamAdapter, aio: asyncio.Transport) -> StreamTransport:
        self._registry.connectors.discard(self)
        self._cancel_timeout()
        self._task = None
        self.state = "connected"
        transport = self._transport_class(self._reactor, adapter, aio, False)
        transport.connector = self  # type: ignore[attr-defined]
        if self._ssl_context is not None:
            _mark_tls(transport)
        self.transport = transport
        return transport

    def _connection_lost(self, reason: Failure) -> None:
        self._attempt = None
        self.transport = None
        self.state = "disconnected"
        try:
            self.factory.clientConnectionLost(self, reason)
        except Exception:
            log.err(None, f"Unhandled Error in {type(self.factory).__name__}.clientConnectionLost")
        self._maybe_stop_factory()


def _socket_of(port: Any) -> Any:
    """The listening socket while listening, else None."""
    return port._sock


# Twisted's ``socket`` attribute; set after the class so that the name does not shadow the
# ``socket`` module inside the class body (its annotations use ``socket.socket``).
setattr(StreamPort, "socket", property(_socket_of))  # noqa: B010
