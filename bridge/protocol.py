"""Protocols and factories: the objects that receive a connection's events.

This module mirrors ``twisted.internet.protocol``. A :class:`Factory` builds one
:class:`Protocol` per connection; the transport (written in ``bridge._reactor`` on top of
asyncio's native transports) calls :meth:`Protocol.makeConnection`, then
:meth:`Protocol.dataReceived` for every chunk of bytes and finally
:meth:`Protocol.connectionLost`. :class:`DatagramProtocol` is the UDP counterpart and
:class:`ProcessProtocol` receives a child process's output.

Nothing here touches the event loop: the only reactor use, in
:class:`ReconnectingClientFactory` and :class:`ClientCreator`, looks the reactor up at call time.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from zope.interface import implementer

from bridge import error, log
from bridge.failure import Failure
from bridge.interfaces import (
    IConsumer,
    ILoggingContext,
    IProcessProtocol,
    IProtocol,
    IProtocolFactory,
    ITransport,
)

if TYPE_CHECKING:
    from bridge.defer import Deferred

__all__ = [
    "AbstractDatagramProtocol",
    "BaseProtocol",
    "ClientCreator",
    "ClientFactory",
    "ConnectedDatagramProtocol",
    "ConsumerToProtocolAdapter",
    "DatagramProtocol",
    "Factory",
    "FileWrapper",
    "ProcessProtocol",
    "Protocol",
    "ProtocolToConsumerAdapter",
    "ReconnectingClientFactory",
    "ServerFactory",
    "connectionDone",
]

_F = TypeVar("_F", bound="Factory")

#: The reason given to :meth:`Protocol.connectionLost` when a connection closed cleanly.
connectionDone: Failure = Failure(error.ConnectionDone())  # noqa: N816 - Twisted's name
connectionDone.cleanFailure()


def _default_reactor() -> Any:
    """Return the global reactor, imported at call time (the reactor sits above this layer)."""
    import bridge

    package: Any = bridge  # bridge.reactor is created on first access by a module __getattr__
    return package.reactor


# -- factories ----------------------------------------------------------------------------------


@implementer(IProtocolFactory, ILoggingContext)
class Factory:
    """Build protocols for connections, and track how many ports use this factory.

    Set :attr:`protocol` to a callable (usually a :class:`Protocol` subclass); the default
    :meth:`buildProtocol` calls it with no arguments and sets the new protocol's ``factory``.

    :ivar protocol: the callable :meth:`buildProtocol` uses.
    :ivar numPorts: how many listening ports or connectors have started this factory.
    :ivar noisy: log "Starting factory"/"Stopping factory" when true.
    """

    protocol: Callable[[], Protocol] | None = None
    numPorts: int = 0
    noisy: bool = True

    @classmethod
    def forProtocol(
        cls: type[_F], protocol: Callable[[], Protocol], *args: Any, **kwargs: Any
    ) -> _F:
        """Create a factory of this class whose :attr:`protocol` is *protocol*.

        :param protocol: the callable building each protocol.
        :param args: positional arguments for this class's constructor.
        :param kwargs: keyword arguments for this class's constructor.
        """
        factory = cls(*args, **kwargs)
        factory.protocol = protocol
        return factory

    def logPrefix(self) -> str:
        """Return the prefix for log messages about this factory: its class name."""
        return self.__class__.__name__

    def doStart(self) -> None:
        """Count one more port using this factory; call :meth:`startFactory` on the first.

        The reactor calls this; applications override :meth:`startFactory` instead.
        """
        if not self.numPorts:
            if self.noisy:
                log.msg(f"Starting factory {self!r}")
            self.startFactory()
        self.numPorts += 1

    def doStop(self) -> None:
        """Count one port fewer; call :meth:`stopFactory` when the last one is gone.

        Extra calls (more stops than starts) are ignored, as in Twisted.
        """
        if self.numPorts == 0:
            return
        self.numPorts -= 1
        if not self.numPorts:
            if self.noisy:
                log.msg(f"Stopping factory {self!r}")
            self.stopFactory()

    def startFactory(self) -> None:
        """Prepare for the first connection (open files, databases...); does nothing here."""

    def stopFactory(self) -> None:
        """Release what :meth:`startFactory` acquired; does nothing here."""

    def buildProtocol(self, addr: object) -> Protocol | None:
        """Build a protocol for a new connection from (or to) *addr*.

        Return ``None`` to refuse the connection: the transport then closes it at once.

        :param addr: the peer's address (an ``IAddress``).
        :raises TypeError: if :attr:`protocol` was never set.
        """
        if self.protocol is None:
            raise TypeError(
                f"{self.__class__.__name__}.buildProtocol(): the factory's 'protocol' attribute "
                "is None; set it to a Protocol subclass or use Factory.forProtocol(MyProtocol)"
            )
        p = self.protocol()
        p.factory = self
        return p


class ServerFactory(Factory):
    """A :class:`Factory` meant for listening ports only."""


class ClientFactory(Factory):
    """A :class:`Factory` for outgoing connections, told how the connection attempt went."""

    def startedConnecting(self, connector: Any) -> None:
        """Note that *connector* started a connection attempt; does nothing here.

        :param connector: the ``IConnector``; ``connector.stopConnecting()`` cancels.
        """

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        """Note that the connection attempt by *connector* failed; does nothing here.

        :param connector: the ``IConnector``; ``connector.connect()`` tries again.
        :param reason: a :class:`Failure` describing why.
        """

    def clientConnectionLost(self, connector: Any, reason: Failure) -> None:
        """Note that an established connection made by *connector* ended; does nothing here.

        :param connector: the ``IConnector``; ``connector.connect()`` reconnects.
        :param reason: a :class:`Failure` describing why.
        """


class ReconnectingClientFactory(ClientFactory):
    """A client factory that reconnects with exponentially growing, jittered delays.

    Call :meth:`resetDelay` from ``connectionMade`` (after a successful connection) so the
    next loss starts again from :attr:`initialDelay`; call :meth:`stopTrying` to give up.

    :ivar initialDelay: seconds before the first retry.
    :ivar maxDelay: upper bound on the delay, in seconds.
    :ivar factor: how much the delay grows after each attempt (e).
    :ivar jitter: relative standard deviation of the random variation of each delay.
    :ivar maxRetries: give up after this many retries; ``None`` retries forever.
    :ivar clock: the ``IReactorTime`` used to schedule retries; the global reactor if ``None``.
    """

    maxDelay: float = 3600
    initialDelay: float = 1.0
    factor: float = 2.7182818284590451
    jitter: float = 0.119626565582
    delay: float = initialDelay
    retries: int = 0
    maxRetries: int | None = None
    _callID: Any = None
    connector: Any = None
    clock: Any = None
    continueTrying: int | bool = 1

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        """Schedule a new attempt unless :meth:`stopTrying` was called."""
        if self.continueTrying:
            self.connector = connector
            self.retry()

    def clientConnectionLost(self, connector: Any, unused_reason: Failure) -> None:
        """Schedule a reconnection unless :meth:`stopTrying` was called."""
        if self.continueTrying:
            self.connector = connector
            self.retry()

    def retry(self, connector: Any = None) -> None:
        """Make *connector* (by default the last one seen) connect again after a delay.

        :raises ValueError: if no connector was given and none was seen yet.
        """
        if not self.continueTrying:
            if self.noisy:
                log.msg(f"Abandoning {connector} on explicit request")
            return
        if connector is None:
            if self.connector is None:
                raise ValueError(
                    "ReconnectingClientFactory.retry(): no connector to retry; pass one, or let "
                    "clientConnectionFailed/clientConnectionLost record it"
                )
            connector = self.connector
        self.retries += 1
        if self.maxRetries is not None and self.retries > self.maxRetries:
            if self.noisy:
                log.msg(f"Abandoning {connector} after {self.retries} retries.")
            return
        if self.jitter:
            self.delay = random.normalvariate(self.delay, self.delay * self.jitter)
        if self.noisy:
            log.msg(f"{connector} will retry in {int(self.delay)} seconds")

        def reconnect() -> None:
            self._callID = None
            connector.connect()

        if self.clock is None:
            self.clock = _default_reactor()
        self._callID = self.clock.callLater(self.delay, reconnect)
        self.delay = min(self.delay * self.factor, self.maxDelay)

    def stopTrying(self) -> None:
        """Cancel any pending retry and any connection attempt in progress, and stop retrying."""
        if self._callID is not None:
            self._callID.cancel()
            self._callID = None
        self.continueTrying = 0
        if self.connector is not None:
            with contextlib.suppress(error.NotConnectingError):
                self.connector.stopConnecting()

    def resetDelay(self) -> None:
        """Start again from :attr:`initialDelay` with no retries counted."""
        self.delay = self.initialDelay
        self.retries = 0
        self._callID = None
        self.continueTrying = 1

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without the live connector and timer, and with the delay reset."""
        state = self.__dict__.copy()
        for key in ("connector", "retries", "delay", "continueTrying", "_callID"):
            state.pop(key, None)
        return state


class _InstanceFactory(ClientFactory):
    """Hand one existing protocol instance to a connection and fire a Deferred with it."""

    noisy = False

    def __init__(self, reactor: Any, instance: Protocol, deferred: Deferred[Any]) -> None:
        self.reactor = reactor
        self.instance = instance
        self.deferred: Deferred[Any] | None = deferred

    def __repr__(self) -> str:
        return f"<ClientCreator factory: {self.instance!r}>"

    def buildProtocol(self, addr: object) -> Protocol | None:
        # Fire the Deferred on the next turn so connectionMade has run first.
        self.reactor.callLater(0, self._fire, "callback", self.instance)
        return self.instance

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        self.reactor.callLater(0, self._fire, "errback", reason)

    def _fire(self, method: str, value: object) -> None:
        d, self.deferred = self.deferred, None
        if d is not None:
            getattr(d, method)(value)


class ClientCreator:
    """Connect a single protocol instance, built on demand, and return it in a Deferred.

    ``ClientCreator(reactor, MyProtocol, *args, **kwargs)``: each ``connect*`` call builds
    ``MyProtocol(*args, **kwargs)`` and returns a Deferred that fires with it once connected,
    or fails with the connection error. Endpoints with :func:`bridge.endpoints.connectProtocol`
    are the modern spelling.
    """

    def __init__(
        self, reactor: Any, protocolClass: Callable[..., Protocol], *args: Any, **kwargs: Any
    ) -> None:
        self.reactor = reactor
        self.protocolClass = protocolClass
        self.args = args
        self.kwargs = kwargs

    def _connect(self, start: Callable[[ClientFactory], object]) -> Deferred[Any]:
        from bridge.defer import Deferred

        connectors: list[Any] = []

        def cancel(deferred: Deferred[Any]) -> None:
            for connector in connectors:
                connector.stopConnecting()

        d: Deferred[Any] = Deferred(cancel)
        instance = self.protocolClass(*self.args, **self.kwargs)
        connectors.append(start(_InstanceFactory(self.reactor, instance, d)))
        return d

    def connectTCP(
        self, host: str, port: int, timeout: float = 30, bindAddress: object = None
    ) -> Deferred[Any]:
        """Connect to *host*:*port* over TCP; see ``IReactorTCP.connectTCP``."""
        return self._connect(lambda f: self.reactor.connectTCP(host, port, f, timeout, bindAddress))

    def connectUNIX(
        self, address: str, timeout: float = 30, checkPID: bool = False
    ) -> Deferred[Any]:
        """Connect to the UNIX socket *address*; see ``IReactorUNIX.connectUNIX``."""
        return self._connect(lambda f: self.reactor.connectUNIX(address, f, timeout, checkPID))

    def connectSSL(
        self,
        host: str,
        port: int,
        contextFactory: object,
        timeout: float = 30,
        bindAddress: object = None,
    ) -> Deferred[Any]:
        """Connect to *host*:*port* over TLS; see ``IReactorSSL.connectSSL``."""
        return self._connect(
            lambda f: self.reactor.connectSSL(host, port, f, contextFactory, timeout, bindAddress)
        )


# -- protocols ----------------------------------------------------------------------------------


class BaseProtocol:
    """The part common to stream and process protocols: being handed a transport.

    :ivar connected: true once :meth:`makeConnection` ran.
    :ivar transport: the transport; ``None`` until connected.
    """

    connected: int | bool = 0
    # Typed Any rather than ITransport | None: protocol code calls transport.write(),
    # transport.getPeer(), startTLS() ... without narrowing, as Twisted code does.
    transport: Any = None

    def makeConnection(self, transport: Any) -> None:
        """Attach *transport* and call :meth:`connectionMade`; the transport calls this."""
        self.connected = 1
        self.transport = transport
        self.connectionMade()

    def connectionMade(self) -> None:
        """Handle a new connection; :attr:`transport` is set. Does nothing here."""


@implementer(IProtocol, ILoggingContext)
class Protocol(BaseProtocol):
    """A stream protocol: subclass it and override :meth:`dataReceived`.

    :ivar factory: the factory that built this protocol, or ``None``.
    """

    factory: Any = None

    def logPrefix(self) -> str:
        """Return the prefix for log messages about this protocol: its class name."""
        return self.__class__.__name__

    def dataReceived(self, data: bytes) -> None:
        """Handle *data*, some bytes from the peer, split at arbitrary points. Does nothing."""

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        """Handle the end of the connection; *reason* says why. Does nothing here.

        :param reason: a :class:`Failure` of ``ConnectionDone`` (clean close) or
            ``ConnectionLost`` (anything else).
        """


@implementer(IProcessProtocol)
class ProcessProtocol(BaseProtocol):
    """Receive events from a child process started by ``reactor.spawnProcess``.

    The defaults route :meth:`childDataReceived` for file descriptors 1 and 2 to
    :meth:`outReceived` and :meth:`errReceived`, and :meth:`childConnectionLost` for 0, 1, 2
    to :meth:`inConnectionLost`, :meth:`outConnectionLost`, :meth:`errConnectionLost`.
    """

    def childDataReceived(self, childFD: int, data: bytes) -> None:
        """Handle *data* read from the child's file descriptor *childFD*."""
        if childFD == 1:
            self.outReceived(data)
        elif childFD == 2:
            self.errReceived(data)

    def outReceived(self, data: bytes) -> None:
        """Handle *data* the child wrote to its standard output. Does nothing here."""

    def errReceived(self, data: bytes) -> None:
        """Handle *data* the child wrote to its standard error. Does nothing here."""

    def childConnectionLost(self, childFD: int) -> None:
        """Handle the closing of the child's file descriptor *childFD*."""
        if childFD == 0:
            self.inConnectionLost()
        elif childFD == 1:
            self.outConnectionLost()
        elif childFD == 2:
            self.errConnectionLost()

    def inConnectionLost(self) -> None:
        """Handle the closing of the child's standard input. Does nothing here."""

    def outConnectionLost(self) -> None:
        """Handle the closing of the child's standard output. Does nothing here."""

    def errConnectionLost(self) -> None:
        """Handle the closing of the child's standard error. Does nothing here."""

    def processExited(self, reason: Failure) -> None:
        """Handle the child's exit (``ProcessDone`` or ``ProcessTerminated``). Does nothing.

        Its file descriptors may still be open; :meth:`processEnded` follows once they close.
        """

    def processEnded(self, reason: Failure) -> None:
        """Handle the child having exited and all its file descriptors closed. Does nothing."""


class AbstractDatagramProtocol:
    """The base of datagram protocols: counts the ports it is attached to.

    :ivar transport: the ``IUDPTransport`` once listening, else ``None``.
    :ivar numPorts: how many ports this protocol listens on.
    :ivar noisy: log "Starting protocol"/"Stopping protocol" when true.
    """

    transport: Any = None
    numPorts: int = 0
    noisy: bool = True

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without the live transport."""
        state = self.__dict__.copy()
        state["transport"] = None
        return state

    def doStart(self) -> None:
        """Count one more port; call :meth:`startProtocol` on the first. The reactor calls it."""
        if not self.numPorts:
            if self.noisy:
                log.msg(f"Starting protocol {self!r}")
            self.startProtocol()
        self.numPorts += 1

    def doStop(self) -> None:
        """Count one port fewer; call :meth:`stopProtocol` when the last one is gone."""
        if self.numPorts <= 0:
            raise RuntimeError(
                f"{self.__class__.__name__}.doStop() called more often than doStart()"
            )
        self.numPorts -= 1
        self.transport = None
        if not self.numPorts:
            if self.noisy:
                log.msg(f"Stopping protocol {self!r}")
            self.stopProtocol()

    def startProtocol(self) -> None:
        """Handle the protocol starting to listen. Does nothing here."""

    def stopProtocol(self) -> None:
        """Handle the protocol no longer listening. Does nothing here."""

    def makeConnection(self, transport: Any) -> None:
        """Attach *transport* and call :meth:`doStart`; the reactor calls this.

        :raises RuntimeError: if the protocol already has a transport.
        """
        if self.transport is not None:
            raise RuntimeError(
                f"{self.__class__.__name__}.makeConnection(): the protocol is already attached "
                f"to {self.transport!r}; use one DatagramProtocol instance per port"
            )
        self.transport = transport
        self.doStart()

    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        """Handle one *datagram* from *addr* (a ``(host, port)`` tuple). Does nothing here."""


@implementer(ILoggingContext)
class DatagramProtocol(AbstractDatagramProtocol):
    """A UDP protocol: subclass it and override :meth:`datagramReceived`."""

    def logPrefix(self) -> str:
        """Return the prefix for log messages about this protocol: its class name."""
        return self.__class__.__name__

    def connectionRefused(self) -> None:
        """Handle an ICMP "port unreachable" for a connected UDP port. Does nothing here.

        .. note:: Only delivered when the transport is connected (``transport.connect``).
        """


class ConnectedDatagramProtocol(DatagramProtocol):
    """A datagram protocol for a transport connected to one peer."""

    def datagramReceived(self, datagram: bytes, addr: Any = None) -> None:
        """Handle one *datagram* from the connected peer. Does nothing here."""

    def connectionFailed(self, failure: Failure) -> None:
        """Handle the failure to connect (for example, the host name did not resolve)."""


@implementer(ITransport)
class FileWrapper:
    """A transport that writes to a file object, for driving a protocol in tests or scripts."""

    closed: int = 0
    disconnecting: int = 0
    producer: Any = None
    streamingProducer: int | bool = 0

    def __init__(self, file: Any) -> None:
        self.file = file

    def write(self, data: bytes) -> None:
        """Write *data* to the file; errors are logged."""
        try:
            self.file.write(data)
        except Exception:
            self.handleException()

    def _checkProducer(self) -> None:
        # A pull producer is asked for more after every write, since a file never blocks.
        if self.producer is not None and not self.streamingProducer:
            self.producer.resumeProducing()

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """Register *producer*; a pull producer is asked for data right away."""
        self.producer = producer
        self.streamingProducer = streaming
        if not streaming:
            producer.resumeProducing()

    def unregisterProducer(self) -> None:
        """Forget the producer."""
        self.producer = None

    def stopConsuming(self) -> None:
        """Forget the producer and close the file."""
        self.unregisterProducer()
        self.loseConnection()

    def writeSequence(self, iovec: Any) -> None:
        """Write each bytes object in *iovec*."""
        self.write(b"".join(iovec))

    def loseConnection(self) -> None:
        """Close the file."""
        self.closed = 1
        try:
            self.file.close()
        except OSError:
            self.handleException()

    def getPeer(self) -> tuple[str, str]:  # type: ignore[override]
        """Return ``("file", "file")``: a file has no network address."""
        return ("file", "file")

    def getHost(self) -> tuple[str, str]:  # type: ignore[override]
        """Return ``("file", "file")``: a file has no network address."""
        return ("file", "file")

    def pauseProducing(self) -> None:
        """Do nothing: a file is never read from."""

    def resumeProducing(self) -> None:
        """Do nothing: a file is never read from."""

    def stopProducing(self) -> None:
        """Close the file (``loseConnection``)."""
        self.loseConnection()

    def handleException(self) -> None:
        """Log the exception being handled."""
        log.err(None, "Error in FileWrapper")


@implementer(IConsumer)
class ProtocolToConsumerAdapter:
    """Present a protocol as a consumer: what is written to it goes to ``dataReceived``.

    :ivar original: the adapted protocol.
    """

    def __init__(self, original: Any) -> None:
        self.original = original

    def write(self, data: bytes) -> None:
        """Deliver *data* to the protocol's ``dataReceived``."""
        self.original.dataReceived(data)

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """Ignore the producer: a protocol takes data as fast as it comes."""

    def unregisterProducer(self) -> None:
        """Do nothing."""


@implementer(IProtocol)
class ConsumerToProtocolAdapter:
    """Present a consumer as a protocol: received data is written to the consumer.

    :ivar original: the adapted consumer.
    """

    def __init__(self, original: Any) -> None:
        self.original = original

    def dataReceived(self, data: bytes) -> None:
        """Write *data* to the consumer."""
        self.original.write(data)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        """Do nothing."""

    def makeConnection(self, transport: Any) -> None:
        """Do nothing."""

    def connectionMade(self) -> None:
        """Do nothing."""
