"""Test doubles for protocols and reactors: transports and reactors that live in memory.

This module mirrors ``twisted.internet.testing``: :class:`StringTransport` records what a
protocol writes, :class:`MemoryReactor` records the listen/connect calls code makes, and
:class:`MemoryReactorClock` adds a deterministic :class:`bridge.task.Clock`. It adds
:func:`connect_in_memory`, which joins a server and a client protocol through two in-memory
transports and moves the bytes between them when asked (see :class:`InMemoryPump`), in the
spirit of ``twisted.test.iosim``.

Nothing here runs an event loop: tests stay synchronous and deterministic.
"""

from __future__ import annotations

import io
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from zope.interface import implementer

from bridge import error
from bridge._memory import InMemoryPump, connect_in_memory
from bridge.address import IPv4Address, IPv6Address, UNIXAddress
from bridge.basic import LineReceiver
from bridge.failure import Failure
from bridge.interfaces import (
    IAddress,
    IConnector,
    IConsumer,
    IHostnameResolver,
    IHostResolution,
    IListeningPort,
    IPushProducer,
    IReactorCore,
    IReactorFDSet,
    IReactorPluggableNameResolver,
    IReactorSocket,
    IReactorSSL,
    IReactorTCP,
    IReactorUDP,
    IReactorUNIX,
    IReadDescriptor,
    IResolutionReceiver,
    ITransport,
    IUDPTransport,
    IWriteDescriptor,
)
from bridge.protocol import Protocol
from bridge.task import Clock

__all__ = [
    "AccumulatingProtocol",
    "FakeDatagramTransport",
    "InMemoryPump",
    "LineSendingProtocol",
    "MemoryReactor",
    "MemoryReactorClock",
    "NonStreamingProducer",
    "RaisingMemoryReactor",
    "StringIOWithoutClosing",
    "StringTransport",
    "StringTransportWithDisconnection",
    "SynchronousResolver",
    "connect_in_memory",
    "waitUntilAllDisconnected",
]


def _require_bytes(method: str, data: object) -> None:
    if not isinstance(data, bytes):
        hint = "; encode text first, e.g. data.encode()" if isinstance(data, str) else ""
        raise TypeError(f"{method}() takes bytes, got {type(data).__name__}{hint}")


def _is_ipv6(host: str) -> bool:
    host = host.split("%", 1)[0]
    try:
        socket.inet_pton(socket.AF_INET6, host)
    except (OSError, ValueError):
        return False
    return True


# -- transports ---------------------------------------------------------------------------------


@implementer(ITransport, IConsumer, IPushProducer)
class StringTransport:
    """A transport that keeps in memory what is written to it and does nothing else.

    :ivar disconnecting: false until :meth:`loseConnection` is called.
    :ivar disconnected: false until :meth:`abortConnection` is called.
    :ivar producer: the registered producer, or ``None``.
    :ivar streaming: whether the registered producer is a push producer.
    :ivar hostAddr: what :meth:`getHost` returns (a default IPv4 address when ``None``).
    :ivar peerAddr: what :meth:`getPeer` returns (a default IPv4 address when ``None``).
    :ivar producerState: ``"producing"``, ``"paused"`` or ``"stopped"``: what the protocol
        last asked of this transport as a push producer (its read side).
    :ivar io: the buffer behind :meth:`value`.
    """

    disconnecting = False
    disconnected = False
    producer: object = None
    streaming: bool | None = None
    hostAddr: IAddress | None = None
    peerAddr: IAddress | None = None
    producerState = "producing"

    def __init__(
        self,
        hostAddress: IAddress | None = None,
        peerAddress: IAddress | None = None,
        lenient: bool = False,
    ) -> None:
        self.clear()
        if hostAddress is not None:
            self.hostAddr = hostAddress
        if peerAddress is not None:
            self.peerAddr = peerAddress
        self.connected = True
        self._lenient = lenient

    def clear(self) -> None:
        """Forget everything written so far (a test helper, not a transport method)."""
        self.io = io.BytesIO()

    def value(self) -> bytes:
        """Return everything written since the last :meth:`clear` (a test helper)."""
        return self.io.getvalue()

    def write(self, data: bytes) -> None:
        """Record *data*.

        :raises TypeError: if *data* is not bytes.
        """
        _require_bytes("write", data)
        self.io.write(data)

    def writeSequence(self, data: Iterable[bytes]) -> None:
        """Record each chunk of *data*."""
        self.io.write(b"".join(data))

    def loseConnection(self) -> None:
        """Set :attr:`disconnecting`; nothing else happens."""
        self.disconnecting = True

    def abortConnection(self) -> None:
        """Set :attr:`disconnected` and :attr:`disconnecting`."""
        self.disconnected = True
        self.loseConnection()

    def getPeer(self) -> IAddress:
        """Return :attr:`peerAddr`, or ``IPv4Address("TCP", "192.168.1.1", 54321)``."""
        if self.peerAddr is None:
            return IPv4Address("TCP", "192.168.1.1", 54321)
        return self.peerAddr

    def getHost(self) -> IAddress:
        """Return :attr:`hostAddr`, or ``IPv4Address("TCP", "10.0.0.1", 12345)``."""
        if self.hostAddr is None:
            return IPv4Address("TCP", "10.0.0.1", 12345)
        return self.hostAddr

    def registerProducer(self, producer: object, streaming: bool) -> None:
        """Remember *producer*.

        :raises RuntimeError: if a producer is registered already.
        """
        if self.producer is not None:
            raise RuntimeError(
                f"registerProducer({producer!r}) on {self!r}: {self.producer!r} is already "
                "registered; call unregisterProducer() first (Cannot register two producers)"
            )
        self.producer = producer
        self.streaming = streaming

    def unregisterProducer(self) -> None:
        """Forget the registered producer.

        :raises RuntimeError: if none is registered.
        """
        if self.producer is None:
            raise RuntimeError(
                "Cannot unregister a producer unless one is registered: "
                f"unregisterProducer() on {self!r}"
            )
        self.producer = None
        self.streaming = None

    def _check_state(self, method: str) -> None:
        if self.disconnecting and not self._lenient:
            raise RuntimeError(
                f"Cannot resume producing after loseConnection: {method}() on {self!r}; "
                "pass lenient=True to allow it"
            )
        if self.producerState == "stopped":
            raise RuntimeError(f"Cannot resume a stopped producer: {method}() on {self!r}")

    def pauseProducing(self) -> None:
        """Set :attr:`producerState` to ``"paused"``.

        :raises RuntimeError: after :meth:`loseConnection` (unless lenient) or
            :meth:`stopProducing`.
        """
        self._check_state("pauseProducing")
        self.producerState = "paused"

    def stopProducing(self) -> None:
        """Set :attr:`producerState` to ``"stopped"``."""
        self.producerState = "stopped"

    def resumeProducing(self) -> None:
        """Set :attr:`producerState` to ``"producing"``.

        :raises RuntimeError: after :meth:`loseConnection` (unless lenient) or
            :meth:`stopProducing`.
        """
        self._check_state("resumeProducing")
        self.producerState = "producing"


class StringTransportWithDisconnection(StringTransport):
    """A :class:`StringTransport` whose :meth:`loseConnection` calls the protocol's
    ``connectionLost`` (with ``ConnectionDone("Bye.")``) right away.

    :ivar protocol: the protocol to tell; set it before the connection is lost.
    """

    protocol: Any

    def loseConnection(self) -> None:
        """Mark the transport disconnected and call ``protocol.connectionLost`` once."""
        if self.connected:
            self.connected = False
            self.protocol.connectionLost(Failure(error.ConnectionDone("Bye.")))


class StringIOWithoutClosing(io.BytesIO):
    """A :class:`io.BytesIO` whose :meth:`close` does nothing, so it can be read after."""

    def close(self) -> None:
        """Do nothing."""


@implementer(IUDPTransport)
class FakeDatagramTransport:
    """A datagram transport that records what is written.

    :ivar written: the (packet, addr) pairs written; addr is :attr:`noAddr` when none was
        given.
    """

    noAddr = object()

    def __init__(self) -> None:
        self.written: list[tuple[bytes, object]] = []
        self.connected_to: tuple[str, int] | None = None
        self.listening = True
        self._broadcast = False

    def write(self, packet: bytes, addr: object = noAddr) -> None:
        """Record *packet* and *addr*."""
        self.written.append((packet, addr))

    def connect(self, host: str, port: int) -> None:
        """Remember (*host*, *port*) in :attr:`connected_to`."""
        self.connected_to = (host, port)

    def getHost(self) -> IAddress:
        """Return ``IPv4Address("UDP", "127.0.0.1", 0)``."""
        return IPv4Address("UDP", "127.0.0.1", 0)

    def stopListening(self) -> None:
        """Note that listening stopped."""
        self.listening = False

    def setBroadcastAllowed(self, enabled: bool) -> None:
        """Remember the setting."""
        self._broadcast = bool(enabled)

    def getBroadcastAllowed(self) -> bool:
        """Return the setting."""
        return self._broadcast


# -- protocols and producers --------------------------------------------------------------------


class AccumulatingProtocol(Protocol):
    """A protocol that keeps all it receives and notes connection events.

    :ivar made: true once ``connectionMade`` ran; if the factory has a Deferred in
        ``protocolConnectionMade``, it fires with this protocol then.
    :ivar data: everything received.
    :ivar closed: true once ``connectionLost`` ran.
    :ivar closedReason: the Failure given to ``connectionLost``.
    :ivar closedDeferred: a Deferred to fire (with ``None``) on ``connectionLost``.
    """

    made = 0
    closed = 0
    closedReason: Failure | None = None
    closedDeferred: Any = None
    data = b""

    def connectionMade(self) -> None:
        """Note the connection; fire the factory's ``protocolConnectionMade`` if any."""
        self.made = 1
        deferred = getattr(self.factory, "protocolConnectionMade", None)
        if deferred is not None:
            self.factory.protocolConnectionMade = None
            deferred.callback(self)

    def dataReceived(self, data: bytes) -> None:
        """Keep *data*."""
        self.data += data

    def connectionLost(self, reason: Failure | None = None) -> None:
        """Note the close and its reason; fire :attr:`closedDeferred` if set."""
        self.closed = 1
        self.closedReason = reason
        if self.closedDeferred is not None:
            deferred, self.closedDeferred = self.closedDeferred, None
            deferred.callback(None)


class LineSendingProtocol(LineReceiver):
    """Send some lines (at connection, or after the first line received) and keep replies.

    :ivar response: the lines received.
    :ivar lostConn: true once the connection is lost.
    """

    lostConn = False

    def __init__(self, lines: Sequence[bytes], start: bool = True) -> None:
        self.lines = list(lines)
        self.response: list[bytes] = []
        self.start = start

    def connectionMade(self) -> None:
        """Send the lines now if *start* was true."""
        if self.start:
            for line in self.lines:
                self.sendLine(line)

    def lineReceived(self, line: bytes) -> None:
        """Keep *line*; send the lines on the first one if *start* was false."""
        if not self.start:
            for pending in self.lines:
                self.sendLine(pending)
            self.lines = []
        self.response.append(line)

    def connectionLost(self, reason: Failure = error.CONNECTION_DONE) -> None:
        """Note the close."""
        self.lostConn = True


class NonStreamingProducer:
    """A pull producer that writes the numbers 0 to 9, one per ``resumeProducing``.

    :ivar result: a Deferred that fires once it is done or stopped.
    """

    counter = 0
    stopped = False

    def __init__(self, consumer: Any) -> None:
        from bridge.defer import Deferred

        self.consumer = consumer
        self.result: Deferred[None] = Deferred()

    def resumeProducing(self) -> None:
        """Write the next number; unregister after the tenth."""
        if self.consumer is None or self.counter >= 10:
            raise RuntimeError("BUG: resume after unregister/stop.")
        self.consumer.write(b"%d" % (self.counter,))
        self.counter += 1
        if self.counter == 10:
            self.consumer.unregisterProducer()
            self._done()

    def pauseProducing(self) -> None:
        """Fail: a pull producer is never paused."""
        raise RuntimeError("BUG: pause should never be called.")

    def _done(self) -> None:
        self.consumer = None
        result = self.result
        del self.result
        result.callback(None)

    def stopProducing(self) -> None:
        """Stop and fire :attr:`result`."""
        self.stopped = True
        self._done()


# -- resolver, ports, connectors ----------------------------------------------------------------


@implementer(IHostResolution)
@dataclass
class _SynchronousResolution:
    name: str

    def cancel(self) -> None:
        raise RuntimeError(f"cancel() on the resolution of {self.name!r}: it is already done")


@implementer(IHostnameResolver)
class SynchronousResolver:
    """A resolver that resolves every name to 127.0.0.1 at once (keeping the port)."""

    def resolveHostName(
        self,
        resolutionReceiver: IResolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        """Report 127.0.0.1:*portNumber* to *resolutionReceiver*; return the resolution."""
        resolution = _SynchronousResolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)
        resolutionReceiver.addressResolved(IPv4Address("TCP", "127.0.0.1", portNumber))
        resolutionReceiver.resolutionComplete()
        return resolution


@implementer(IListeningPort)
class _FakePort:
    """A listening port that only knows its address."""

    def __init__(self, hostAddress: IAddress) -> None:
        self._hostAddress = hostAddress

    def startListening(self) -> None:
        """Do nothing."""

    def stopListening(self) -> None:
        """Do nothing."""

    def getHost(self) -> IAddress:
        """Return the address given at creation."""
        return self._hostAddress


@implementer(IConnector)
class _FakeConnector:
    """A connector that notes what it is asked.

    :ivar stoppedConnecting: true once :meth:`stopConnecting` was called.
    """

    _disconnected = False
    stoppedConnecting = False

    def __init__(self, address: IAddress) -> None:
        self._address = address

    def stopConnecting(self) -> None:
        """Note the request."""
        self.stoppedConnecting = True

    def disconnect(self) -> None:
        """Note the request."""
        self._disconnected = True

    def connect(self) -> None:
        """Do nothing."""

    def getDestination(self) -> IAddress:
        """Return the address given at creation."""
        return self._address


# -- reactors -----------------------------------------------------------------------------------


@implementer(
    IReactorCore,
    IReactorTCP,
    IReactorSSL,
    IReactorUNIX,
    IReactorUDP,
    IReactorSocket,
    IReactorFDSet,
    IReactorPluggableNameResolver,
)
class MemoryReactor:
    """A reactor that records listen and connect calls and never makes a connection.

    Inspect ``tcpServers`` (port, factory, backlog, interface), ``tcpClients`` (host, port,
    factory, timeout, bindAddress), ``sslServers``, ``sslClients``, ``unixServers``,
    ``unixClients``, ``udpServers`` (port, protocol, interface, maxPacketSize),
    ``adoptedPorts``, ``adoptedStreamConnections``, ``connectors``, ``readers``,
    ``writers``, ``triggers`` and ``whenRunningHooks``; connect the recorded factories
    yourself (e.g. with :func:`connect_in_memory`).
    """

    def __init__(self) -> None:
        self.hasInstalled = False
        self.running: bool | None = False
        self.hasRun = False
        self.hasStopped = False
        self.hasCrashed = False
        self.whenRunningHooks: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]]
        self.whenRunningHooks = []
        self.triggers: dict[str, dict[str, list[tuple[Callable[..., Any], Any, Any]]]] = {}
        self.tcpClients: list[tuple[str, int, Any, float, Any]] = []
        self.tcpServers: list[tuple[int, Any, int, str]] = []
        self.sslClients: list[tuple[str, int, Any, Any, float, Any]] = []
        self.sslServers: list[tuple[int, Any, Any, int, str]] = []
        self.unixClients: list[tuple[str, Any, float, Any]] = []
        self.unixServers: list[tuple[str, Any, int, int, Any]] = []
        self.udpServers: list[tuple[int, Any, str, int]] = []
        self.adoptedPorts: list[tuple[Any, ...]] = []
        self.adoptedStreamConnections: list[tuple[int, int, Any]] = []
        self.connectors: list[_FakeConnector] = []
        self.readers: set[IReadDescriptor] = set()
        self.writers: set[IWriteDescriptor] = set()
        self.nameResolver: IHostnameResolver = SynchronousResolver()

    def installNameResolver(self, resolver: IHostnameResolver) -> IHostnameResolver:
        """Use *resolver* and return the previous one."""
        previous, self.nameResolver = self.nameResolver, resolver
        return previous

    def install(self) -> None:
        """Note that installation was asked for."""
        self.hasInstalled = True

    def resolve(self, name: str, timeout: Sequence[int] = (1, 3, 11, 45)) -> Any:
        """Fail: a memory reactor resolves nothing."""
        raise NotImplementedError("MemoryReactor.resolve() is not implemented")

    def run(self) -> None:
        """Run the ``callWhenRunning`` hooks, then stop at once."""
        if self.running:
            raise error.ReactorAlreadyRunning("run() on a MemoryReactor that is running")
        self.running = True
        self.hasRun = True
        for f, args, kwargs in self.whenRunningHooks:
            f(*args, **kwargs)
        self.stop()

    def stop(self) -> None:
        """Note the stop."""
        self.running = False
        self.hasStopped = True

    def crash(self) -> None:
        """Note the crash (``running`` becomes ``None``)."""
        self.running = None
        self.hasCrashed = True

    def iterate(self, delay: float = 0) -> None:
        """Fail: a memory reactor has no loop to iterate."""
        raise NotImplementedError("MemoryReactor.iterate() is not implemented")

    def fireSystemEvent(self, eventType: str) -> None:
        """Fail: not implemented."""
        raise NotImplementedError("MemoryReactor.fireSystemEvent() is not implemented")

    def addSystemEventTrigger(
        self, phase: str, eventType: str, callable: Callable[..., Any], *args: Any, **kw: Any
    ) -> None:
        """Record the trigger in ``triggers[phase][eventType]``."""
        phase_triggers = self.triggers.setdefault(phase, {})
        phase_triggers.setdefault(eventType, []).append((callable, args, kw))

    def removeSystemEventTrigger(self, triggerID: Any) -> None:
        """Fail: not implemented."""
        raise NotImplementedError("MemoryReactor.removeSystemEventTrigger() is not implemented")

    def callWhenRunning(self, callable: Callable[..., Any], *args: Any, **kw: Any) -> None:
        """Call *callable* now if the reactor ever ran, else keep it for :meth:`run`."""
        if self.running or self.hasRun:
            callable(*args, **kw)
            return
        self.whenRunningHooks.append((callable, args, kw))

    def adoptStreamPort(self, fileno: int, addressFamily: int, factory: Any) -> Any:
        """Record the call and return a fake port on 0.0.0.0:1234 (or [::]:1234)."""
        address = self._any_address("TCP", addressFamily)
        self.adoptedPorts.append((fileno, addressFamily, factory))
        return _FakePort(address)

    def adoptStreamConnection(self, fileDescriptor: int, addressFamily: int, factory: Any) -> None:
        """Record the call."""
        self.adoptedStreamConnections.append((fileDescriptor, addressFamily, factory))

    def adoptDatagramPort(
        self, fileno: int, addressFamily: int, protocol: object, maxPacketSize: int = 8192
    ) -> Any:
        """Record the call and return a fake port."""
        address = self._any_address("UDP", addressFamily)
        self.adoptedPorts.append((fileno, addressFamily, protocol, maxPacketSize))
        return _FakePort(address)

    @staticmethod
    def _any_address(kind: str, family: int) -> IAddress:
        if family == socket.AF_INET:
            return IPv4Address(kind, "0.0.0.0", 1234)  # type: ignore[arg-type]
        if family == socket.AF_INET6:
            return IPv6Address(kind, "::", 1234)  # type: ignore[arg-type]
        raise error.UnsupportedAddressFamily(family)

    def listenTCP(self, port: int, factory: Any, backlog: int = 50, interface: str = "") -> Any:
        """Record the call and return a fake port."""
        self.tcpServers.append((port, factory, backlog, interface))
        if _is_ipv6(interface):
            return _FakePort(IPv6Address("TCP", interface, port))
        return _FakePort(IPv4Address("TCP", "0.0.0.0", port))

    def connectTCP(
        self,
        host: str,
        port: int,
        factory: Any,
        timeout: float = 30,
        bindAddress: tuple[str, int] | None = None,
    ) -> Any:
        """Record the call, tell *factory* it started connecting, return the connector."""
        self.tcpClients.append((host, port, factory, timeout, bindAddress))
        address: IAddress
        if _is_ipv6(host):
            address = IPv6Address("TCP", host, port)
        else:
            address = IPv4Address("TCP", host, port)
        return self._connector(address, factory)

    def _connector(self, address: IAddress, factory: Any) -> _FakeConnector:
        connector = _FakeConnector(address)
        factory.startedConnecting(connector)
        self.connectors.append(connector)
        return connector

    def listenSSL(
        self,
        port: int,
        factory: Any,
        contextFactory: object,
        backlog: int = 50,
        interface: str = "",
    ) -> Any:
        """Record the call and return a fake port."""
        self.sslServers.append((port, factory, contextFactory, backlog, interface))
        return _FakePort(IPv4Address("TCP", "0.0.0.0", port))

    def connectSSL(
        self,
        host: str,
        port: int,
        factory: Any,
        contextFactory: object,
        timeout: float = 30,
        bindAddress: tuple[str, int] | None = None,
    ) -> Any:
        """Record the call, tell *factory* it started connecting, return the connector."""
        self.sslClients.append((host, port, factory, contextFactory, timeout, bindAddress))
        return self._connector(IPv4Address("TCP", host, port), factory)

    def listenUNIX(
        self,
        address: str,
        factory: Any,
        backlog: int = 50,
        mode: int = 0o666,
        wantPID: bool = False,
    ) -> Any:
        """Record the call and return a fake port."""
        self.unixServers.append((address, factory, backlog, mode, wantPID))
        return _FakePort(UNIXAddress(address))

    def connectUNIX(
        self, address: str, factory: Any, timeout: float = 30, checkPID: bool = False
    ) -> Any:
        """Record the call, tell *factory* it started connecting, return the connector."""
        self.unixClients.append((address, factory, timeout, checkPID))
        return self._connector(UNIXAddress(address), factory)

    def listenUDP(
        self, port: int, protocol: object, interface: str = "", maxPacketSize: int = 8192
    ) -> Any:
        """Record the call in ``udpServers`` and return a fake port (a bridge addition)."""
        self.udpServers.append((port, protocol, interface, maxPacketSize))
        if _is_ipv6(interface):
            return _FakePort(IPv6Address("UDP", interface, port))
        return _FakePort(IPv4Address("UDP", "0.0.0.0", port))

    def addReader(self, reader: IReadDescriptor) -> None:
        """Add *reader* to ``readers``."""
        self.readers.add(reader)

    def removeReader(self, reader: IReadDescriptor) -> None:
        """Remove *reader* from ``readers``."""
        self.readers.discard(reader)

    def addWriter(self, writer: IWriteDescriptor) -> None:
        """Add *writer* to ``writers``."""
        self.writers.add(writer)

    def removeWriter(self, writer: IWriteDescriptor) -> None:
        """Remove *writer* from ``writers``."""
        self.writers.discard(writer)

    def getReaders(self) -> list[IReadDescriptor]:
        """Return the readers."""
        return list(self.readers)

    def getWriters(self) -> list[IWriteDescriptor]:
        """Return the writers."""
        return list(self.writers)

    def removeAll(self) -> list[IReadDescriptor | IWriteDescriptor]:
        """Remove every reader and writer and return them."""
        removed: list[IReadDescriptor | IWriteDescriptor] = list({*self.readers, *self.writers})
        self.readers.clear()
        self.writers.clear()
        return removed


class MemoryReactorClock(MemoryReactor, Clock):
    """A :class:`MemoryReactor` that is also a :class:`bridge.task.Clock`: ``callLater``,
    ``seconds`` and ``advance`` work, deterministically."""

    def __init__(self) -> None:
        MemoryReactor.__init__(self)
        Clock.__init__(self)


@implementer(IReactorTCP, IReactorSSL, IReactorUNIX, IReactorSocket, IReactorPluggableNameResolver)
class RaisingMemoryReactor:
    """A reactor whose listen calls raise *listenException* and whose connect calls raise
    *connectException*."""

    def __init__(
        self,
        listenException: Exception | None = None,
        connectException: Exception | None = None,
    ) -> None:
        self._listenException = listenException
        self._connectException = connectException
        self.nameResolver: IHostnameResolver = SynchronousResolver()

    def _raise(self, which: str) -> Any:
        exc = self._listenException if which == "listen" else self._connectException
        if exc is None:
            raise RuntimeError(f"RaisingMemoryReactor was given no {which}Exception")
        raise exc

    def installNameResolver(self, nameResolver: IHostnameResolver) -> IHostnameResolver:
        """Use *nameResolver* and return the previous one."""
        previous, self.nameResolver = self.nameResolver, nameResolver
        return previous

    def adoptStreamPort(self, fileno: int, addressFamily: int, factory: Any) -> Any:
        """Raise the listen exception."""
        return self._raise("listen")

    def listenTCP(self, port: int, factory: Any, backlog: int = 50, interface: str = "") -> Any:
        """Raise the listen exception."""
        return self._raise("listen")

    def connectTCP(
        self, host: str, port: int, factory: Any, timeout: float = 30, bindAddress: Any = None
    ) -> Any:
        """Raise the connect exception."""
        return self._raise("connect")

    def listenSSL(
        self,
        port: int,
        factory: Any,
        contextFactory: object,
        backlog: int = 50,
        interface: str = "",
    ) -> Any:
        """Raise the listen exception."""
        return self._raise("listen")

    def connectSSL(
        self,
        host: str,
        port: int,
        factory: Any,
        contextFactory: object,
        timeout: float = 30,
        bindAddress: Any = None,
    ) -> Any:
        """Raise the connect exception."""
        return self._raise("connect")

    def listenUNIX(
        self,
        address: str,
        factory: Any,
        backlog: int = 50,
        mode: int = 0o666,
        wantPID: bool = False,
    ) -> Any:
        """Raise the listen exception."""
        return self._raise("listen")

    def connectUNIX(
        self, address: str, factory: Any, timeout: float = 30, checkPID: bool = False
    ) -> Any:
        """Raise the connect exception."""
        return self._raise("connect")

    def adoptDatagramPort(
        self, fileDescriptor: int, addressFamily: int, protocol: object, maxPacketSize: int = 8192
    ) -> Any:
        """Raise the connect exception."""
        return self._raise("connect")

    def adoptStreamConnection(self, fileDescriptor: int, addressFamily: int, factory: Any) -> None:
        """Raise the connect exception."""
        self._raise("connect")


def waitUntilAllDisconnected(reactor: Any, protocols: Sequence[Any]) -> Any:
    """Return a Deferred that fires once no protocol in *protocols* has a connected transport.

    It polls every 10 ms on *reactor* (any ``IReactorTime``, e.g. a :class:`MemoryReactorClock`).
    """
    from bridge.task import LoopingCall

    def check() -> None:
        if not any(proto.transport.connected for proto in protocols):
            loop.stop()

    loop = LoopingCall(check)
    loop.clock = reactor
    return loop.start(0.01, now=True)
