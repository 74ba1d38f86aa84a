# ruff: noqa: N805  (zope.interface methods take no self)
"""The interfaces of the reactor, transports, protocols and endpoints.

This module mirrors ``twisted.internet.interfaces`` as :mod:`zope.interface` Interfaces, with
Twisted's names, method names and keyword names, so that Twisted-style code keeps working:
``@implementer(IProtocol)``, ``IReactorTime.providedBy(reactor)`` and
``verifyObject(ITransport, transport)``. bridge's own classes declare the interfaces they
provide. The annotations are read by ``mypy --strict`` through the mypy-zope plugin.

Interface methods take no ``self``: that is zope.interface's convention.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NewType

from zope.interface import Attribute, Interface

if TYPE_CHECKING:
    from bridge.defer import Deferred
    from bridge.failure import Failure

__all__ = [
    "Binding",
    "IAcceptableCiphers",
    "IAddress",
    "ICipher",
    "IConnector",
    "IConsumer",
    "IDelayedCall",
    "IFileDescriptor",
    "IFileDescriptorReceiver",
    "IHalfCloseableDescriptor",
    "IHalfCloseableProtocol",
    "IHandshakeListener",
    "IHostResolution",
    "IHostnameResolver",
    "IListeningPort",
    "ILoggingContext",
    "IMulticastTransport",
    "INegotiated",
    "IOpenSSLClientConnectionCreator",
    "IOpenSSLContextFactory",
    "IOpenSSLServerConnectionCreator",
    "IProcessProtocol",
    "IProcessTransport",
    "IProducer",
    "IProtocol",
    "IProtocolFactory",
    "IProtocolNegotiationFactory",
    "IPullProducer",
    "IPushProducer",
    "IReactorCore",
    "IReactorDaemonize",
    "IReactorFDSet",
    "IReactorFromThreads",
    "IReactorInThreads",
    "IReactorMulticast",
    "IReactorPluggableNameResolver",
    "IReactorPluggableResolver",
    "IReactorProcess",
    "IReactorSSL",
    "IReactorSocket",
    "IReactorTCP",
    "IReactorTCP2",
    "IReactorThreads",
    "IReactorTime",
    "IReactorUDP",
    "IReactorUNIX",
    "IReactorUNIXDatagram",
    "IReactorWin32Events",
    "IReadDescriptor",
    "IReadWriteDescriptor",
    "IResolutionReceiver",
    "IResolver",
    "IResolverSimple",
    "ISSLTransport",
    "IServiceCollection",
    "IStreamClientEndpoint",
    "IStreamClientEndpointStringParserWithReactor",
    "IStreamServerEndpoint",
    "IStreamServerEndpointStringParser",
    "ISystemHandle",
    "ITCPTransport",
    "ITLSTransport",
    "ITransport",
    "IUDPTransport",
    "IUNIXDatagramConnectedTransport",
    "IUNIXDatagramTransport",
    "IUNIXTransport",
    "IWriteDescriptor",
]


# -- addresses ----------------------------------------------------------------------------------


class IAddress(Interface):
    """An address: a marker for the objects ``getPeer()`` and ``getHost()`` return.

    It has no methods; see :mod:`bridge.address` for the concrete kinds.
    """


# -- logging ------------------------------------------------------------------------------------


class ILoggingContext(Interface):
    """Give a prefix that log messages about this object start with."""

    def logPrefix() -> str:
        """Return the prefix for log messages about this object (usually its class name)."""


# -- time ---------------------------------------------------------------------------------------


class IDelayedCall(Interface):
    """A call scheduled with :meth:`IReactorTime.callLater`."""

    def getTime() -> float:
        """Return the time, in the reactor's clock, at which the call will run."""

    def cancel() -> None:
        """Stop the call from running.

        :raises bridge.error.AlreadyCancelled: if it was cancelled already.
        :raises bridge.error.AlreadyCalled: if it has run already.
        """

    def delay(secondsLater: float) -> None:
        """Move the call *secondsLater* seconds later than it is now due.

        :raises bridge.error.AlreadyCancelled: if it was cancelled.
        :raises bridge.error.AlreadyCalled: if it has run.
        """

    def reset(secondsFromNow: float) -> None:
        """Reschedule the call to run *secondsFromNow* seconds from now.

        :raises bridge.error.AlreadyCancelled: if it was cancelled.
        :raises bridge.error.AlreadyCalled: if it has run.
        """

    def active() -> bool:
        """Return whether the call is still due: neither run nor cancelled."""


class IReactorTime(Interface):
    """Schedule calls at a later time and tell the time."""

    def seconds() -> float:
        """Return the current time, in seconds, on the clock ``callLater`` uses."""

    def callLater(
        delay: float, callable: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> IDelayedCall:
        """Call ``callable(*args, **kwargs)`` *delay* seconds from now.

        :param delay: how long to wait, in seconds (0 means "on the next iteration").
        :returns: a handle that can cancel, delay or reset the call.
        """

    def getDelayedCalls() -> Sequence[IDelayedCall]:
        """Return every scheduled call that has neither run nor been cancelled."""


# -- the core -----------------------------------------------------------------------------------


class IReactorCore(Interface):
    """Run and stop the reactor, and fire triggers around its start and stop."""

    running = Attribute(
        "True from the moment the reactor starts running until it has stopped; "
        "false before run() and after stop()."
    )

    def resolve(name: str, timeout: Sequence[int] = (1, 3, 11, 45)) -> Deferred[str]:
        """Look up the IPv4 address of hostname *name*.

        :returns: a Deferred firing with the address as text, or failing with
            :class:`bridge.error.DNSLookupError`.
        """

    def run() -> None:
        """Run the event loop until :meth:`stop` is called."""

    def stop() -> None:
        """Stop the event loop after running the shutdown triggers.

        :raises bridge.error.ReactorNotRunning: if the reactor is not running.
        """

    def crash() -> None:
        """Stop the event loop at once, without running the shutdown triggers."""

    def iterate(delay: float = 0) -> None:
        """Run one iteration of the event loop, waiting at most *delay* seconds for I/O."""

    def fireSystemEvent(eventType: str) -> None:
        """Fire the before, during and after triggers of system event *eventType*."""

    def addSystemEventTrigger(
        phase: str, eventType: str, callable: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> Any:
        """Call *callable* in *phase* ("before", "during", "after") of event *eventType*.

        A Deferred returned by a "before" trigger delays the later phases until it fires.

        :returns: an ID for :meth:`removeSystemEventTrigger`.
        """

    def removeSystemEventTrigger(triggerID: Any) -> None:
        """Remove the trigger that :meth:`addSystemEventTrigger` returned *triggerID* for."""

    def callWhenRunning(callable: Callable[..., Any], *args: Any, **kwargs: Any) -> Any | None:
        """Call *callable* when the reactor runs: now if it already does.

        :returns: a trigger ID if the call was deferred to startup, else ``None``.
        """


class IReactorDaemonize(Interface):
    """Hooks a reactor runs around forking into a daemon."""

    def beforeDaemonize() -> None:
        """Prepare the reactor for the process to fork."""

    def afterDaemonize() -> None:
        """Restore the reactor after the process has forked."""


# -- threads ------------------------------------------------------------------------------------


class IReactorFromThreads(Interface):
    """Call into the reactor from other threads."""

    def callFromThread(callable: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``callable(*args, **kwargs)`` in the reactor thread; safe from any thread."""


class IReactorInThreads(Interface):
    """Run calls in the reactor's thread pool."""

    def callInThread(callable: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``callable(*args, **kwargs)`` in a thread of the reactor's pool."""


class IReactorThreads(IReactorFromThreads, IReactorInThreads):
    """Run calls in threads and call back into the reactor from them."""

    def getThreadPool() -> Any:
        """Return the reactor's thread pool, starting it if needed."""

    def suggestThreadPoolSize(size: int) -> None:
        """Suggest the largest number of threads the pool should use."""


# -- file descriptors ---------------------------------------------------------------------------


class IFileDescriptor(ILoggingContext):
    """An object that wraps a file descriptor the reactor can watch."""

    def fileno() -> int:
        """Return the descriptor number (-1 once it is closed)."""

    def connectionLost(reason: Failure) -> None:
        """Tell the object that the reactor stopped watching it, and why."""


class IReadDescriptor(IFileDescriptor):
    """A descriptor the reactor watches for readability."""

    def doRead() -> object:
        """Read what is available.

        :returns: ``None``, or a Failure (or exception) that means the connection is over.
        """


class IWriteDescriptor(IFileDescriptor):
    """A descriptor the reactor watches for writability."""

    def doWrite() -> object:
        """Write what is pending.

        :returns: ``None``, or a Failure (or exception) that means the connection is over.
        """


class IReadWriteDescriptor(IReadDescriptor, IWriteDescriptor):
    """A descriptor watched both for reading and for writing."""


class IHalfCloseableDescriptor(Interface):
    """A descriptor that can learn that one direction of its connection closed."""

    def writeConnectionLost(reason: Failure) -> None:
        """Tell the descriptor that its write direction closed."""

    def readConnectionLost(reason: Failure) -> None:
        """Tell the descriptor that its read direction closed."""


class ISystemHandle(Interface):
    """An object that exposes the operating-system handle beneath it."""

    def getHandle() -> object:
        """Return the underlying handle (a socket object for network transports)."""


class IReactorFDSet(Interface):
    """Watch file descriptors for readability and writability."""

    def addReader(reader: IReadDescriptor) -> None:
        """Call ``reader.doRead()`` whenever its descriptor is readable."""

    def addWriter(writer: IWriteDescriptor) -> None:
        """Call ``writer.doWrite()`` whenever its descriptor is writable."""

    def removeReader(reader: IReadDescriptor) -> None:
        """Stop watching *reader* for readability."""

    def removeWriter(writer: IWriteDescriptor) -> None:
        """Stop watching *writer* for writability."""

    def removeAll() -> list[IReadDescriptor | IWriteDescriptor]:
        """Stop watching every descriptor and return the readers and writers removed."""

    def getReaders() -> list[IReadDescriptor]:
        """Return the descriptors watched for readability."""

    def getWriters() -> list[IWriteDescriptor]:
        """Return the descriptors watched for writability."""


# -- producers and consumers --------------------------------------------------------------------


class IProducer(Interface):
    """Produce data for a consumer."""

    def stopProducing() -> None:
        """Stop producing for good: the consumer is going away."""


class IPushProducer(IProducer):
    """A producer that writes on its own until it is paused."""

    def pauseProducing() -> None:
        """Stop writing until :meth:`resumeProducing` is called."""

    def resumeProducing() -> None:
        """Start writing again after :meth:`pauseProducing`."""


class IPullProducer(IProducer):
    """A producer that writes one chunk each time it is asked."""

    def resumeProducing() -> None:
        """Write one chunk to the consumer."""


class IConsumer(Interface):
    """Consume data that a producer writes."""

    def registerProducer(producer: IProducer, streaming: bool) -> None:
        """Attach *producer*; *streaming* is true for push producers, false for pull ones.

        :raises RuntimeError: if a producer is registered already.
        """

    def unregisterProducer() -> None:
        """Detach the registered producer."""

    def write(data: bytes) -> None:
        """Consume *data*."""


# -- protocols ----------------------------------------------------------------------------------


class IProtocol(Interface):
    """Handle the events of one stream connection."""

    def dataReceived(data: bytes) -> None:
        """Handle bytes received, in chunks of any size and split anywhere."""

    def connectionLost(reason: Failure) -> None:
        """Handle the end of the connection (a Failure of ConnectionDone or ConnectionLost)."""

    def makeConnection(transport: ITransport) -> None:
        """Attach the protocol to *transport* and call :meth:`connectionMade`."""

    def connectionMade() -> None:
        """Handle the start of the connection; ``self.transport`` is set."""


class IProcessProtocol(Interface):
    """Handle the events of a child process."""

    def makeConnection(process: IProcessTransport) -> None:
        """Attach the protocol to the transport of a new child *process*."""

    def childDataReceived(childFD: int, data: bytes) -> None:
        """Handle *data* the child wrote to its descriptor *childFD*."""

    def childConnectionLost(childFD: int) -> None:
        """Handle the closing of the child's descriptor *childFD*."""

    def processExited(reason: Failure) -> None:
        """Handle the exit of the child (a Failure of ProcessDone or ProcessTerminated)."""

    def processEnded(reason: Failure) -> None:
        """Handle the end of the child: it exited and all its descriptors closed."""


class IHalfCloseableProtocol(Interface):
    """A protocol that can handle the close of one direction of its connection."""

    def readConnectionLost() -> None:
        """Handle the peer closing its write side: no more data will be received."""

    def writeConnectionLost() -> None:
        """Handle our write side closing: no more data can be sent."""


class IHandshakeListener(Interface):
    """A protocol told when its TLS handshake completes."""

    def handshakeCompleted() -> None:
        """Handle the end of the TLS handshake."""


class IProtocolFactory(Interface):
    """Build protocols for new connections."""

    def buildProtocol(addr: IAddress) -> IProtocol | None:
        """Return a protocol for a connection to or from *addr*, or ``None`` to refuse it."""

    def doStart() -> None:
        """Note that a port or connector starts using this factory."""

    def doStop() -> None:
        """Note that a port or connector stops using this factory."""


# -- transports ---------------------------------------------------------------------------------


class ITransport(Interface):
    """Send data over a connection and close it."""

    def write(data: bytes) -> None:
        """Send *data* (bytes-like; text is refused with TypeError) without blocking."""

    def writeSequence(data: Iterable[bytes]) -> None:
        """Send each chunk of *data* in turn."""

    def loseConnection() -> None:
        """Close the connection once everything written has been sent."""

    def getPeer() -> IAddress:
        """Return the address of the other side."""

    def getHost() -> IAddress:
        """Return the address of this side."""


class ITCPTransport(ITransport):
    """A TCP connection."""

    def loseWriteConnection() -> None:
        """Close the write side (half-close) once everything written has been sent."""

    def abortConnection() -> None:
        """Close the connection at once, dropping unsent data."""

    def getTcpNoDelay() -> bool:
        """Return whether Nagle's algorithm is off (TCP_NODELAY)."""

    def setTcpNoDelay(enabled: bool) -> None:
        """Turn TCP_NODELAY on or off."""

    def getTcpKeepAlive() -> bool:
        """Return whether TCP keep-alive (SO_KEEPALIVE) is on."""

    def setTcpKeepAlive(enabled: bool) -> None:
        """Turn TCP keep-alive (SO_KEEPALIVE) on or off."""


class IUNIXTransport(ITransport):
    """A UNIX stream connection, which can pass file descriptors."""

    def sendFileDescriptor(descriptor: int) -> None:
        """Send file descriptor *descriptor* to the peer with the next write."""


class ITLSTransport(ITCPTransport):
    """A TCP connection that can switch to TLS."""

    def startTLS(contextFactory: object) -> None:
        """Start TLS on the connection, configured by *contextFactory*."""


class ISSLTransport(ITCPTransport):
    """A TLS connection."""

    def getPeerCertificate() -> object:
        """Return the certificate the peer presented, or ``None``."""


class INegotiated(ISSLTransport):
    """A TLS connection that negotiated an application protocol (ALPN)."""

    negotiatedProtocol = Attribute(
        "The protocol chosen by ALPN, as bytes (e.g. b'h2'), or None if none was negotiated "
        "or the handshake is not complete yet."
    )


class IProtocolNegotiationFactory(Interface):
    """A factory that offers application protocols for ALPN."""

    def acceptableProtocols() -> list[bytes]:
        """Return the protocols to offer, most preferred first (e.g. [b"h2", b"http/1.1"])."""


class ICipher(Interface):
    """A TLS cipher suite."""

    fullName = Attribute("The cipher suite's full name, e.g. 'ECDHE-RSA-AES256-GCM-SHA384'.")


class IAcceptableCiphers(Interface):
    """A policy choosing which TLS cipher suites to allow."""

    def selectCiphers(availableCiphers: Sequence[ICipher]) -> Sequence[ICipher]:
        """Return the subset of *availableCiphers* to allow, most preferred first."""


class IFileDescriptorReceiver(Interface):
    """A UNIX-socket protocol that can receive file descriptors."""

    def fileDescriptorReceived(descriptor: int) -> None:
        """Take ownership of *descriptor*, received from the peer."""


class IProcessTransport(ITransport):
    """The transport of a child process."""

    pid = Attribute("The child's process ID, or None once it has been reaped.")

    def closeStdin() -> None:
        """Close the child's standard input."""

    def closeStdout() -> None:
        """Close the child's standard output."""

    def closeStderr() -> None:
        """Close the child's standard error."""

    def closeChildFD(descriptor: int) -> None:
        """Close the child's descriptor *descriptor*."""

    def writeToChild(childFD: int, data: bytes) -> None:
        """Write *data* to the child's descriptor *childFD*."""

    def loseConnection() -> None:
        """Close the child's standard input, output and error."""

    def signalProcess(signalID: str | int) -> None:
        """Send a signal to the child ("KILL", "TERM", "INT" or a number).

        :raises bridge.error.ProcessExitedAlready: if the child has exited.
        """


class IUDPTransport(Interface):
    """A UDP socket."""

    def write(packet: bytes, addr: tuple[str, int] | None = None) -> None:
        """Send *packet* to *addr* (or to the connected address when *addr* is None)."""

    def connect(host: str, port: int) -> None:
        """Send to and receive from (*host*, *port*) only; *host* must be an IP address."""

    def getHost() -> IAddress:
        """Return the address the socket is bound to."""

    def stopListening() -> Deferred[None] | None:
        """Close the socket."""

    def setBroadcastAllowed(enabled: bool) -> None:
        """Allow or forbid sending to broadcast addresses."""

    def getBroadcastAllowed() -> bool:
        """Return whether sending to broadcast addresses is allowed."""


class IMulticastTransport(IUDPTransport):
    """A UDP socket that can join multicast groups."""

    def getOutgoingInterface() -> str:
        """Return the interface used for outgoing multicast."""

    def setOutgoingInterface(addr: str) -> Deferred[int]:
        """Set the interface used for outgoing multicast."""

    def getLoopbackMode() -> bool:
        """Return whether multicast packets are looped back to this host."""

    def setLoopbackMode(mode: bool) -> None:
        """Turn multicast loopback on or off."""

    def getTTL() -> int:
        """Return the time-to-live of outgoing multicast packets."""

    def setTTL(ttl: int) -> None:
        """Set the time-to-live of outgoing multicast packets."""

    def joinGroup(addr: str, interface: str = "") -> Deferred[None]:
        """Join multicast group *addr* on *interface*."""

    def leaveGroup(addr: str, interface: str = "") -> Deferred[None]:
        """Leave multicast group *addr* on *interface*."""


class IUNIXDatagramTransport(Interface):
    """A UNIX datagram socket."""

    def write(packet: bytes, addr: str) -> None:
        """Send *packet* to the socket at path *addr*."""

    def getHost() -> IAddress:
        """Return the address the socket is bound to."""


class IUNIXDatagramConnectedTransport(Interface):
    """A connected UNIX datagram socket."""

    def write(packet: bytes) -> None:
        """Send *packet* to the connected peer."""

    def getHost() -> IAddress:
        """Return the address the socket is bound to."""

    def getPeer() -> IAddress:
        """Return the address of the connected peer."""


# -- ports and connectors -----------------------------------------------------------------------


class IListeningPort(Interface):
    """A port listening for connections."""

    def startListening() -> None:
        """Start listening.

        :raises bridge.error.CannotListenError: if the address cannot be bound.
        """

    def stopListening() -> Deferred[None] | None:
        """Stop listening; the result fires once the port is closed."""

    def getHost() -> IAddress:
        """Return the address the port listens on."""


class IConnector(Interface):
    """An outgoing connection attempt, which a client factory can retry."""

    def stopConnecting() -> None:
        """Stop the connection attempt in progress.

        :raises bridge.error.NotConnectingError: if no attempt is in progress.
        """

    def disconnect() -> None:
        """Stop connecting, or close the connection if it is made."""

    def connect() -> None:
        """Try to connect (again)."""

    def getDestination() -> IAddress:
        """Return the address this connector connects to."""


# -- reactor networking -------------------------------------------------------------------------


class IReactorTCP(Interface):
    """Listen for and open TCP connections."""

    def listenTCP(
        port: int, factory: IProtocolFactory, backlog: int = 50, interface: str = ""
    ) -> IListeningPort:
        """Listen on TCP *port* of *interface* ("" for all IPv4 addresses, "::" for IPv6).

        :raises bridge.error.CannotListenError: if the address cannot be bound.
        """

    def connectTCP(
        host: str,
        port: int,
        factory: IProtocolFactory,
        timeout: float = 30.0,
        bindAddress: tuple[str, int] | None = None,
    ) -> IConnector:
        """Connect to TCP *port* of *host*, reporting to client *factory*."""


@dataclass(frozen=True, slots=True)
class _Binding:
    """How to bind a socket locally: address, port and socket options (see :data:`Binding`)."""

    _address: str = ""
    _port: int = 0
    _reuseAddress: bool = False
    _reusePort: bool = False


Binding = NewType("Binding", _Binding)
"""The opaque local-binding description ``IReactorTCP2`` takes (Twisted's
``twisted.internet.tcp.makeBinding`` makes one; bridge's reactor does not provide
``IReactorTCP2``, as Twisted's own reactors do not yet)."""


class IReactorTCP2(IReactorTCP):
    """Listen for and open TCP connections, binding through a :data:`Binding`."""

    def listenTCP(  # type: ignore[override]
        port: Binding, factory: IProtocolFactory, backlog: int = 50, interface: None = None
    ) -> IListeningPort:
        """Listen on the address, port and options described by *port*; *interface* is unused.

        :raises bridge.error.CannotListenError: if the address cannot be bound.
        """

    def connectTCP(  # type: ignore[override]
        host: str,
        port: int,
        factory: IProtocolFactory,
        timeout: float = 30.0,
        bindAddress: Binding | None = None,
    ) -> IConnector:
        """Connect to TCP *port* of *host*, binding the local end as *bindAddress* says."""


class IReactorWin32Events(Interface):
    """Watch Windows event objects (the Win32 event API; not provided by bridge)."""

    def addEvent(event: object, fd: object, action: str) -> None:
        """Call ``getattr(fd, action)()`` whenever *event* is signalled."""

    def removeEvent(event: object) -> None:
        """Stop watching *event*."""


class IServiceCollection(Interface):
    """A collection of named services."""

    def getServiceNamed(serviceName: str) -> object:
        """Return the child service called *serviceName* (``KeyError`` if there is none)."""

    def addService(service: object) -> None:
        """Add *service* to the collection."""

    def removeService(service: object) -> None:
        """Remove *service* from the collection."""


class IReactorSSL(Interface):
    """Listen for and open TLS connections over TCP."""

    def connectSSL(
        host: str,
        port: int,
        factory: IProtocolFactory,
        contextFactory: object,
        timeout: float = 30.0,
        bindAddress: tuple[str, int] | None = None,
    ) -> IConnector:
        """Connect with TLS to *port* of *host*, configured by *contextFactory*."""

    def listenSSL(
        port: int,
        factory: IProtocolFactory,
        contextFactory: object,
        backlog: int = 50,
        interface: str = "",
    ) -> IListeningPort:
        """Listen for TLS connections on *port* of *interface*."""


class IReactorUNIX(Interface):
    """Listen for and open UNIX stream connections."""

    def connectUNIX(
        address: str, factory: IProtocolFactory, timeout: float = 30, checkPID: bool = False
    ) -> IConnector:
        """Connect to the UNIX socket at path *address*."""

    def listenUNIX(
        address: str,
        factory: IProtocolFactory,
        backlog: int = 50,
        mode: int = 0o666,
        wantPID: bool = False,
    ) -> IListeningPort:
        """Listen on the UNIX socket at path *address*, created with permissions *mode*."""


class IReactorUNIXDatagram(Interface):
    """Open UNIX datagram sockets."""

    def connectUNIXDatagram(
        address: str,
        protocol: object,
        maxPacketSize: int = 8192,
        mode: int = 0o666,
        bindAddress: str | None = None,
    ) -> IUNIXDatagramConnectedTransport:
        """Connect a datagram *protocol* to the UNIX datagram socket at *address*."""

    def listenUNIXDatagram(
        address: str, protocol: object, maxPacketSize: int = 8192, mode: int = 0o666
    ) -> IListeningPort:
        """Bind a datagram *protocol* to the UNIX datagram socket at *address*."""


class IReactorUDP(Interface):
    """Open UDP sockets."""

    def listenUDP(
        port: int, protocol: object, interface: str = "", maxPacketSize: int = 8192
    ) -> IListeningPort:
        """Bind datagram *protocol* to UDP *port* of *interface*."""


class IReactorMulticast(Interface):
    """Open UDP sockets that can join multicast groups."""

    def listenMulticast(
        port: int,
        protocol: object,
        interface: str = "",
        maxPacketSize: int = 8192,
        listenMultiple: bool = False,
    ) -> IListeningPort:
        """Bind datagram *protocol* to *port*, ready to join multicast groups."""


class IReactorSocket(Interface):
    """Adopt sockets opened elsewhere."""

    def adoptStreamPort(
        fileDescriptor: int, addressFamily: int, factory: IProtocolFactory
    ) -> IListeningPort:
        """Listen with *factory* on the listening socket *fileDescriptor*."""

    def adoptStreamConnection(
        fileDescriptor: int, addressFamily: int, factory: IProtocolFactory
    ) -> None:
        """Wrap the connected socket *fileDescriptor* in a transport for *factory*."""

    def adoptDatagramPort(
        fileDescriptor: int, addressFamily: int, protocol: object, maxPacketSize: int = 8192
    ) -> IListeningPort:
        """Serve datagram *protocol* on the bound socket *fileDescriptor*."""


class IReactorProcess(Interface):
    """Start child processes."""

    def spawnProcess(
        processProtocol: IProcessProtocol,
        executable: bytes | str,
        args: Sequence[bytes | str] = (),
        env: dict[bytes | str, bytes | str] | None = None,
        path: bytes | str | None = None,
        uid: int | None = None,
        gid: int | None = None,
        usePTY: bool = False,
        childFDs: dict[int, object] | None = None,
    ) -> IProcessTransport:
        """Start *executable* with *args* (including argv[0]), connected to *processProtocol*."""


# -- name resolution ----------------------------------------------------------------------------


class IResolverSimple(Interface):
    """Look up host names."""

    def getHostByName(name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        """Return a Deferred firing with an IPv4 address of *name*."""


class IResolver(IResolverSimple):
    """A full DNS resolver (Twisted Names' client interface; bridge provides no implementation).

    Each ``lookup*`` method returns a Deferred firing with a tuple of three lists of resource
    records (answers, authority, additional); *timeout* is a sequence of retry delays.
    """

    def query(query: object, timeout: Sequence[int]) -> Deferred[Any]:
        """Send the DNS *query* (a ``Query``); fire with (answers, authority, additional)."""

    def lookupAddress(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """Look up the IPv4 address (A) records of *name*."""

    def lookupAddress6(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """Look up the A6 records (obsolete IPv6 address records) of *name*."""

    def lookupIPV6Address(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """Look up the IPv6 address (AAAA) records of *name*."""

    def lookupMailExchange(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """Look up the mail exchanger (MX) records of *name*."""

    def lookupNameservers(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """Look up the name server (NS) records of *name*."""

    def lookupCanonicalName(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """Look up the canonical name (CNAME) records of *name*."""

    def lookupMailBox(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """Look up the mailbox (MB) records of *name*."""

    def lookupMailGroup(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """Look up the mail group (MG) records of *name*."""

    def lookupMailRename(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """Look up the mail rename (MR) records of *name*."""

    def lookupPointer(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """Look up the domain name pointer (PTR) records of *name*."""

    def lookupAuthority(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """Look up the start of authority (SOA) records of *name*."""

    def lookupNull(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """Look up the null (NULL) records of *name*."""

    def lookupWellKnownServices(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """Look up the well-known service (WKS) records of *name*."""

    def lookupHostInfo(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """Look up the host information (HINFO) records of *name*."""

    def lookupMailboxInfo(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """Look up the mailbox information (MINFO) records of *name*."""

    def lookupText(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """Look up the text (TXT) records of *name*."""

    def lookupSenderPolicy(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """Look up the sender policy (SPF) records of *name*."""

    def lookupResponsibility(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """Look up the responsible person (RP) records of *name*."""

    def lookupAFSDatabase(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """Look up the AFS database (AFSDB) records of *name*."""

    def lookupService(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """Look up the service location (SRV) records of *name*."""

    def lookupAllRecords(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """Look up the records of every type (an ALL_RECORDS query) of *name*."""

    def lookupZone(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """Look up the the records of a whole zone (a zone transfer, AXFR) of *name*."""

    def lookupNamingAuthorityPointer(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """Look up the naming authority pointer (NAPTR) records of *name*."""


class IHostResolution(Interface):
    """A host-name lookup in progress."""

    name = Attribute("The name being looked up.")

    def cancel() -> None:
        """Stop the lookup."""


class IResolutionReceiver(Interface):
    """Receive the results of a host-name lookup."""

    def resolutionBegan(resolutionInProgress: IHostResolution) -> None:
        """Note that the lookup started."""

    def addressResolved(address: IAddress) -> None:
        """Receive one address found."""

    def resolutionComplete() -> None:
        """Note that the lookup finished."""


class IHostnameResolver(Interface):
    """Look up host names, reporting each address found."""

    def resolveHostName(
        resolutionReceiver: IResolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        """Look up *hostName*, reporting to *resolutionReceiver*; return the lookup.

        ``resolutionReceiver.resolutionBegan`` is called with the returned
        ``IHostResolution``, then ``addressResolved`` once per address found (each an
        ``IPv4Address`` or ``IPv6Address`` carrying *portNumber*), then ``resolutionComplete``.

        :param addressTypes: the address classes wanted; ``None`` means all.
        :param transportSemantics: ``"TCP"`` or ``"UDP"``.
        """


class IReactorPluggableResolver(Interface):
    """A reactor whose simple resolver can be replaced."""

    def installResolver(resolver: IResolverSimple) -> IResolverSimple:
        """Use *resolver* from now on and return the one it replaces."""


class IReactorPluggableNameResolver(Interface):
    """A reactor whose host-name resolver can be replaced."""

    nameResolver = Attribute("The IHostnameResolver the reactor uses.")

    def installNameResolver(resolver: IHostnameResolver) -> IHostnameResolver:
        """Use *resolver* from now on and return the one it replaces."""


# -- endpoints ----------------------------------------------------------------------------------


class IStreamClientEndpoint(Interface):
    """Where to connect a stream client."""

    def connect(protocolFactory: IProtocolFactory) -> Deferred[IProtocol]:
        """Connect, firing with the protocol *protocolFactory* built for the connection."""


class IStreamServerEndpoint(Interface):
    """Where to listen for stream connections."""

    def listen(protocolFactory: IProtocolFactory) -> Deferred[IListeningPort]:
        """Listen, firing with the port once it is listening."""


class IStreamServerEndpointStringParser(Interface):
    """A plugin that builds server endpoints from strings for ``serverFromString``."""

    prefix = Attribute('The prefix of the strings this parser handles (e.g. "tcp").')

    def parseStreamServer(reactor: object, *args: Any, **kwargs: Any) -> IStreamServerEndpoint:
        """Build a server endpoint from the parsed parts of a description."""


class IStreamClientEndpointStringParserWithReactor(Interface):
    """A plugin that builds client endpoints from strings for ``clientFromString``."""

    prefix = Attribute('The prefix of the strings this parser handles (e.g. "tcp").')

    def parseStreamClient(reactor: object, *args: Any, **kwargs: Any) -> IStreamClientEndpoint:
        """Build a client endpoint from the parsed parts of a description."""


# -- TLS configuration --------------------------------------------------------------------------


class IOpenSSLContextFactory(Interface):
    """Give the TLS context for a connection (a :class:`ssl.SSLContext` in bridge)."""

    def getContext() -> object:
        """Return the TLS context to use."""


class IOpenSSLClientConnectionCreator(Interface):
    """Create the client side of TLS connections."""

    def clientConnectionForTLS(tlsProtocol: object) -> object:
        """Return the TLS connection object for *tlsProtocol*."""


class IOpenSSLServerConnectionCreator(Interface):
    """Create the server side of TLS connections."""

    def serverConnectionForTLS(tlsProtocol: object) -> object:
        """Return the TLS connection object for *tlsProtocol*."""
