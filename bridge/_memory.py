"""Two protocols joined by in-memory transports (the engine behind
:func:`bridge.testing.connect_in_memory`).

No event loop: :class:`InMemoryPump` moves the bytes each side wrote to the other when a test
asks it to, so conversations between protocols are deterministic and synchronous.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from zope.interface import implementer

from bridge import error
from bridge.address import IPv4Address
from bridge.failure import Failure
from bridge.interfaces import (
    IAddress,
    IConsumer,
    IHalfCloseableProtocol,
    IPushProducer,
    ITCPTransport,
)

__all__ = ["InMemoryPump", "connect_in_memory"]


def _require_bytes(method: str, data: object) -> None:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        hint = "; encode text first, e.g. data.encode()" if isinstance(data, str) else ""
        raise TypeError(f"{method}() takes bytes, got {type(data).__name__}{hint}")


_HIGH_WATER = 64 * 1024


@implementer(ITCPTransport, IConsumer, IPushProducer)
class _MemoryTransport:
    """One end of an in-memory connection; :class:`InMemoryPump` moves its bytes."""

    def __init__(self, protocol: Any, host: IAddress, peer: IAddress) -> None:
        self.protocol = protocol
        self._host = host
        self._peer = peer
        self._outgoing: list[bytes] = []
        self._outgoing_size = 0
        self.disconnecting = False
        self.disconnected = False
        self.connected = True
        self.aborted = False
        self.write_closed = False
        self.half_close_reported = False
        self.read_paused = False
        self.producer: Any = None
        self.streaming = False
        self._producer_paused = False
        self._no_delay = False
        self._keep_alive = False

    def __repr__(self) -> str:
        return f"<in-memory transport {self._host!r} -> {self._peer!r}>"

    # ITransport
    def write(self, data: bytes) -> None:
        """Queue *data* for the peer (dropped once the connection is closing)."""
        _require_bytes("write", data)
        if self.disconnecting or self.write_closed or not data:
            return
        self._outgoing.append(bytes(data))
        self._outgoing_size += len(data)
        if (
            self.producer is not None
            and self.streaming
            and not self._producer_paused
            and self._outgoing_size > _HIGH_WATER
        ):
            self._producer_paused = True
            self.producer.pauseProducing()

    def writeSequence(self, data: Iterable[bytes]) -> None:
        """Queue each chunk of *data*."""
        for chunk in data:
            self.write(chunk)

    def loseConnection(self) -> None:
        """Close once the queued data has been delivered."""
        self.disconnecting = True

    def abortConnection(self) -> None:
        """Close at once, dropping queued data."""
        self.aborted = True
        self.disconnecting = True
        self._outgoing.clear()
        self._outgoing_size = 0

    def loseWriteConnection(self) -> None:
        """Close the write direction once the queued data has been delivered."""
        self.write_closed = True

    def getPeer(self) -> IAddress:
        """Return the peer's address."""
        return self._peer

    def getHost(self) -> IAddress:
        """Return this side's address."""
        return self._host

    def getTcpNoDelay(self) -> bool:
        """Return the TCP_NODELAY setting (only remembered)."""
        return self._no_delay

    def setTcpNoDelay(self, enabled: bool) -> None:
        """Remember the TCP_NODELAY setting."""
        self._no_delay = bool(enabled)

    def getTcpKeepAlive(self) -> bool:
        """Return the SO_KEEPALIVE setting (only remembered)."""
        return self._keep_alive

    def setTcpKeepAlive(self, enabled: bool) -> None:
        """Remember the SO_KEEPALIVE setting."""
        self._keep_alive = bool(enabled)

    # IConsumer
    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """Attach *producer*: paused above 64 KiB queued, resumed once drained.

        :raises RuntimeError: if a producer is registered already.
        """
        if self.producer is not None:
            raise RuntimeError(
                f"registerProducer() on {self!r}: {self.producer!r} is already registered"
            )
        self.producer = producer
        self.streaming = streaming
        self._producer_paused = False

    def unregisterProducer(self) -> None:
        """Detach the producer."""
        self.producer = None
        self.streaming = False

    # IPushProducer: the read side
    def pauseProducing(self) -> None:
        """Stop delivering the peer's data to our protocol."""
        self.read_paused = True

    def resumeProducing(self) -> None:
        """Deliver the peer's data to our protocol again."""
        self.read_paused = False

    def stopProducing(self) -> None:
        """Close the connection."""
        self.loseConnection()

    # used by the pump
    def _take_outgoing(self) -> bytes:
        data = b"".join(self._outgoing)
        self._outgoing.clear()
        self._outgoing_size = 0
        return data

    def _drained(self) -> bool:
        """Tell the producer the queue drained; return whether it wrote something."""
        producer = self.producer
        if producer is None or self.disconnecting:
            return False
        if self.streaming:
            if self._producer_paused:
                self._producer_paused = False
                producer.resumeProducing()
                return True
            return False
        producer.resumeProducing()
        return True


class InMemoryPump:
    """Moves bytes between the two ends made by :func:`connect_in_memory`.

    :ivar server: the server protocol.      :ivar client: the client protocol.
    :ivar server_transport: the server's transport.
    :ivar client_transport: the client's transport.
    """

    def __init__(
        self, server: Any, client: Any, server_transport: Any, client_transport: Any
    ) -> None:
        self.server = server
        self.client = client
        self.server_transport: _MemoryTransport = server_transport
        self.client_transport: _MemoryTransport = client_transport
        self._lost = False

    def pump(self) -> bool:
        """Deliver what each side wrote so far to the other, once.

        Pull producers are asked for more when their side's queue is empty; closes are
        delivered once the closing side's data has been. Return whether anything happened.
        """
        moved = self._move(self.client_transport, self.server_transport, self.server)
        moved = self._move(self.server_transport, self.client_transport, self.client) or moved
        return self._check_closed() or moved

    def flush(self, max_rounds: int = 10_000) -> None:
        """Pump until nothing moves.

        :raises RuntimeError: if data still moves after *max_rounds* rounds (the protocols
            keep talking to each other forever).
        """
        for _ in range(max_rounds):
            if not self.pump():
                return
        raise RuntimeError(
            f"flush(): still moving data after {max_rounds} rounds; the two protocols "
            "never go quiet (use pump() to step)"
        )

    def _move(self, source: _MemoryTransport, target: _MemoryTransport, receiver: Any) -> bool:
        if self._lost:
            return False
        moved = False
        if not source._outgoing:
            moved = source._drained()
        if source._outgoing and not target.read_paused and not source.aborted:
            data = source._take_outgoing()
            receiver.dataReceived(data)
            moved = True
        if source.write_closed and not source._outgoing and not source.half_close_reported:
            source.half_close_reported = True
            if IHalfCloseableProtocol.providedBy(receiver):
                receiver.readConnectionLost()
            else:
                # As with TCP: a protocol that can't half-close takes end-of-input as the end
                # of the connection.
                target.disconnecting = True
            if IHalfCloseableProtocol.providedBy(source.protocol):
                source.protocol.writeConnectionLost()
            if target.half_close_reported:
                # Both directions are shut: the connection is over.
                source.disconnecting = True
            moved = True
        return moved

    def _check_closed(self) -> bool:
        if self._lost:
            return False
        for side in (self.server_transport, self.client_transport):
            if side.aborted or (side.disconnecting and not side._outgoing):
                other = (
                    self.client_transport
                    if side is self.server_transport
                    else self.server_transport
                )
                if side.aborted:
                    own_reason = Failure(error.ConnectionAborted())
                    other_reason = Failure(error.ConnectionLost("Connection reset by peer"))
                else:
                    own_reason = Failure(error.ConnectionDone())
                    other_reason = Failure(error.ConnectionDone())
                self._lost = True
                for transport, reason in ((side, own_reason), (other, other_reason)):
                    transport.connected = False
                    transport.disconnected = True
                    transport.disconnecting = True
                    if transport.producer is not None:
                        producer, transport.producer = transport.producer, None
                        producer.stopProducing()
                    transport.protocol.connectionLost(reason)
                return True
        return False


def connect_in_memory(
    server_protocol: Any,
    client_protocol: Any,
    *,
    server_address: IAddress | None = None,
    client_address: IAddress | None = None,
    greet: bool = True,
) -> InMemoryPump:
    """Connect *server_protocol* and *client_protocol* through in-memory transports.

    Both protocols get ``makeConnection`` (the server first); no byte moves until you call
    :meth:`InMemoryPump.flush` (or :meth:`~InMemoryPump.pump` to step one round)::

        pump = connect_in_memory(EchoServer(), client)
        client.transport.write(b"ping")
        pump.flush()

    ``loseConnection`` on either side closes both after the data already written is
    delivered (both get ``ConnectionDone``); ``abortConnection`` closes at once (the aborting
    side gets ``ConnectionAborted``, its peer ``ConnectionLost``). ``loseWriteConnection``
    calls ``readConnectionLost``/``writeConnectionLost`` on ``IHalfCloseableProtocol``
    providers; a peer that is not one is disconnected, as TCP does. Exceptions raised by the
    protocols propagate out of :meth:`~InMemoryPump.pump` and :meth:`~InMemoryPump.flush`.

    :param server_address: the server's address (default ``IPv4Address("TCP",
        "127.0.0.1", 8080)``); the client's ``getPeer()``.
    :param client_address: the client's address (default ``IPv4Address("TCP",
        "127.0.0.1", 54321)``).
    :param greet: flush once right after connecting, so greetings sent from
        ``connectionMade`` are delivered.
    """
    server_address = server_address or IPv4Address("TCP", "127.0.0.1", 8080)
    client_address = client_address or IPv4Address("TCP", "127.0.0.1", 54321)
    server_transport = _MemoryTransport(server_protocol, server_address, client_address)
    client_transport = _MemoryTransport(client_protocol, client_address, server_address)
    pump = InMemoryPump(server_protocol, client_protocol, server_transport, client_transport)
    server_protocol.makeConnection(server_transport)
    client_protocol.makeConnection(client_transport)
    if greet:
        pump.flush()
    return pump
