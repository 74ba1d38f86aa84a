"""bridge.testing: in-memory transports and reactors, against twisted.internet.testing."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from zope.interface import implementedBy, implementer
from zope.interface.verify import verifyClass, verifyObject

from bridge import error, interfaces, testing
from bridge.address import IPv4Address, IPv6Address, UNIXAddress
from bridge.basic import LineReceiver
from bridge.failure import Failure
from bridge.protocol import ClientFactory, Factory, Protocol
from tests.helpers import success_result_of

ttesting = pytest.importorskip("twisted.internet.testing")


@pytest.mark.parametrize(
    "cls",
    [
        testing.StringTransport,
        testing.StringTransportWithDisconnection,
        testing.MemoryReactor,
        testing.MemoryReactorClock,
        testing.RaisingMemoryReactor,
        testing.SynchronousResolver,
        testing._FakePort,
        testing._FakeConnector,
    ],
)
def test_classes_provide_their_interfaces(cls: type) -> None:
    for iface in implementedBy(cls):
        assert verifyClass(iface, cls)


def test_memory_reactor_clock_provides_reactor_time() -> None:
    reactor = testing.MemoryReactorClock()
    assert verifyObject(interfaces.IReactorTime, reactor)
    assert verifyObject(interfaces.IReactorTCP, reactor)


def test_in_memory_transport_provides_itcptransport() -> None:
    pump = testing.connect_in_memory(Protocol(), Protocol())
    assert verifyObject(interfaces.ITCPTransport, pump.server_transport)
    assert verifyObject(interfaces.IConsumer, pump.client_transport)


# -- StringTransport ----------------------------------------------------------------------------


@pytest.mark.parametrize("module", [testing, ttesting], ids=["bridge", "twisted"])
def test_string_transport_records_writes(module: Any) -> None:
    transport = module.StringTransport()
    transport.write(b"abc")
    transport.writeSequence([b"d", b"ef"])
    assert transport.value() == b"abcdef"
    transport.clear()
    assert transport.value() == b""
    assert not transport.disconnecting
    transport.loseConnection()
    assert transport.disconnecting
    assert not transport.disconnected
    transport.abortConnection()
    assert transport.disconnected


@pytest.mark.parametrize("module", [testing, ttesting], ids=["bridge", "twisted"])
def test_string_transport_refuses_text(module: Any) -> None:
    with pytest.raises(TypeError):
        module.StringTransport().write("text")


def test_string_transport_text_error_says_how_to_fix() -> None:
    with pytest.raises(TypeError, match=r"write\(\) takes bytes, got str; encode"):
        testing.StringTransport().write("text")  # type: ignore[arg-type]


def test_string_transport_default_addresses_match_twisted() -> None:
    ours, theirs = testing.StringTransport(), ttesting.StringTransport()
    assert repr(ours.getPeer()) == repr(theirs.getPeer())
    assert repr(ours.getHost()) == repr(theirs.getHost())
    host, peer = IPv4Address("TCP", "1.2.3.4", 1), IPv6Address("TCP", "::1", 2)
    transport = testing.StringTransport(hostAddress=host, peerAddress=peer)
    assert transport.getHost() is host
    assert transport.getPeer() is peer


@pytest.mark.parametrize("module", [testing, ttesting], ids=["bridge", "twisted"])
def test_string_transport_producer_rules(module: Any) -> None:
    transport = module.StringTransport()
    producer = object()
    transport.registerProducer(producer, True)
    assert transport.producer is producer
    assert transport.streaming is True
    with pytest.raises(RuntimeError, match="Cannot register two producers"):
        transport.registerProducer(object(), False)
    transport.unregisterProducer()
    assert transport.producer is None
    with pytest.raises(RuntimeError, match="Cannot unregister a producer"):
        transport.unregisterProducer()


@pytest.mark.parametrize("module", [testing, ttesting], ids=["bridge", "twisted"])
def test_string_transport_producer_state(module: Any) -> None:
    transport = module.StringTransport()
    assert transport.producerState == "producing"
    transport.pauseProducing()
    assert transport.producerState == "paused"
    transport.resumeProducing()
    assert transport.producerState == "producing"
    transport.stopProducing()
    assert transport.producerState == "stopped"
    with pytest.raises(RuntimeError, match="Cannot resume a stopped producer"):
        transport.resumeProducing()
    closed = module.StringTransport()
    closed.loseConnection()
    with pytest.raises(RuntimeError, match="after loseConnection"):
        closed.resumeProducing()
    lenient = module.StringTransport(lenient=True)
    lenient.loseConnection()
    lenient.resumeProducing()


def test_string_transport_with_disconnection_calls_connection_lost() -> None:
    reasons: list[Failure] = []

    class P(Protocol):
        def connectionLost(self, reason: Failure = error.CONNECTION_DONE) -> None:
            reasons.append(reason)

    transport = testing.StringTransportWithDisconnection()
    proto = P()
    transport.protocol = proto
    proto.makeConnection(transport)
    transport.loseConnection()
    transport.loseConnection()
    assert len(reasons) == 1
    assert reasons[0].check(error.ConnectionDone)
    assert str(reasons[0].value) == "Connection was closed cleanly: Bye.."  # as Twisted


def test_line_receiver_on_string_transport_like_twisted() -> None:
    from twisted.protocols import basic as tbasic

    class Ours(LineReceiver):
        def lineReceived(self, line: bytes) -> None:
            self.sendLine(line.upper())

    class Theirs(tbasic.LineReceiver):  # type: ignore[misc]
        def lineReceived(self, line: bytes) -> None:
            self.sendLine(line.upper())

    outputs = []
    for proto, transport in (
        (Ours(), testing.StringTransport()),
        (Theirs(), ttesting.StringTransport()),
    ):
        proto.makeConnection(transport)
        proto.dataReceived(b"one\r\ntw")
        proto.dataReceived(b"o\r\n")
        outputs.append(transport.value())
    assert outputs[0] == outputs[1] == b"ONE\r\nTWO\r\n"


# -- MemoryReactor ------------------------------------------------------------------------------


class Recorder(ClientFactory):
    def __init__(self) -> None:
        self.connectors: list[Any] = []

    def startedConnecting(self, connector: Any) -> None:
        self.connectors.append(connector)


@pytest.mark.parametrize("module", [testing, ttesting], ids=["bridge", "twisted"])
def test_memory_reactor_records_tcp(module: Any) -> None:
    reactor = module.MemoryReactor()
    factory = Recorder()
    port = reactor.listenTCP(8080, factory, interface="127.0.0.1")
    assert reactor.tcpServers == [(8080, factory, 50, "127.0.0.1")]
    assert (port.getHost().host, port.getHost().port) == ("0.0.0.0", 8080)
    port6 = reactor.listenTCP(0, factory, 10, "::1")
    assert (type(port6.getHost()).__name__, port6.getHost().host) == ("IPv6Address", "::1")
    connector = reactor.connectTCP("example.com", 443, factory, timeout=5)
    assert reactor.tcpClients == [("example.com", 443, factory, 5, None)]
    assert factory.connectors == [connector]
    assert reactor.connectors == [connector]
    destination = connector.getDestination()
    assert (destination.host, destination.port) == ("example.com", 443)
    connector.stopConnecting()
    assert connector.stoppedConnecting
    connector6 = reactor.connectTCP("::1", 1, factory)
    assert type(connector6.getDestination()).__name__ == "IPv6Address"


@pytest.mark.parametrize("module", [testing, ttesting], ids=["bridge", "twisted"])
def test_memory_reactor_records_ssl_and_unix(module: Any) -> None:
    reactor = module.MemoryReactor()
    factory, context = Recorder(), object()
    reactor.listenSSL(443, factory, context)
    reactor.connectSSL("h", 443, factory, context, timeout=3)
    reactor.listenUNIX("/tmp/s", factory, mode=0o600)
    connector = reactor.connectUNIX("/tmp/s", factory)
    assert reactor.sslServers == [(443, factory, context, 50, "")]
    assert reactor.sslClients == [("h", 443, factory, context, 3, None)]
    assert reactor.unixServers == [("/tmp/s", factory, 50, 0o600, 0)]
    assert reactor.unixClients == [("/tmp/s", factory, 30, 0)]
    assert connector.getDestination().name == b"/tmp/s"
    assert len(factory.connectors) == 2


def test_memory_reactor_records_udp() -> None:
    reactor = testing.MemoryReactor()
    proto = object()
    port = reactor.listenUDP(5353, proto, interface="::", maxPacketSize=1024)
    assert reactor.udpServers == [(5353, proto, "::", 1024)]
    assert port.getHost() == IPv6Address("UDP", "::", 5353)


@pytest.mark.parametrize("module", [testing, ttesting], ids=["bridge", "twisted"])
def test_memory_reactor_run_and_hooks(module: Any) -> None:
    reactor = module.MemoryReactor()
    calls: list[str] = []
    reactor.callWhenRunning(calls.append, "early")
    assert calls == []
    reactor.addSystemEventTrigger("before", "shutdown", calls.append, "trigger")
    assert list(reactor.triggers["before"]["shutdown"]) == [(calls.append, ("trigger",), {})]
    reactor.run()
    assert calls == ["early"]
    assert reactor.hasRun and reactor.hasStopped and not reactor.running
    reactor.callWhenRunning(calls.append, "late")
    assert calls == ["early", "late"]
    reactor.crash()
    assert reactor.running is None and reactor.hasCrashed


@pytest.mark.parametrize("module", [testing, ttesting], ids=["bridge", "twisted"])
def test_memory_reactor_fd_set(module: Any) -> None:
    reactor = module.MemoryReactor()
    reader, writer = object(), object()
    reactor.addReader(reader)
    reactor.addWriter(writer)
    reactor.addWriter(reader)
    assert reactor.getReaders() == [reader]
    assert set(reactor.getWriters()) == {reader, writer}
    assert set(reactor.removeAll()) == {reader, writer}
    assert reactor.getReaders() == [] and reactor.getWriters() == []


@pytest.mark.parametrize("module", [testing, ttesting], ids=["bridge", "twisted"])
def test_memory_reactor_adopt(module: Any) -> None:
    reactor = module.MemoryReactor()
    factory = Recorder()
    port = reactor.adoptStreamPort(7, socket.AF_INET6, factory)
    assert (port.getHost().type, port.getHost().host, port.getHost().port) == ("TCP", "::", 1234)
    udp = reactor.adoptDatagramPort(8, socket.AF_INET, factory)
    assert (udp.getHost().type, udp.getHost().host) == ("UDP", "0.0.0.0")
    reactor.adoptStreamConnection(9, socket.AF_INET, factory)
    assert reactor.adoptedPorts == [
        (7, socket.AF_INET6, factory),
        (8, socket.AF_INET, factory, 8192),
    ]
    assert reactor.adoptedStreamConnections == [(9, socket.AF_INET, factory)]
    with pytest.raises(Exception) as info:
        reactor.adoptStreamPort(7, socket.AF_UNIX, factory)
    assert type(info.value).__name__ == "UnsupportedAddressFamily"


def test_memory_reactor_adopt_unknown_family() -> None:
    with pytest.raises(error.UnsupportedAddressFamily):
        testing.MemoryReactor().adoptDatagramPort(3, socket.AF_UNIX, object())


def test_memory_reactor_name_resolver() -> None:
    reactor = testing.MemoryReactor()
    seen: list[Any] = []

    @implementer(interfaces.IResolutionReceiver)
    class Receiver:
        def resolutionBegan(self, resolution: Any) -> None:
            seen.append(("began", resolution.name))

        def addressResolved(self, address: Any) -> None:
            seen.append(("address", address))

        def resolutionComplete(self) -> None:
            seen.append(("complete",))

    reactor.nameResolver.resolveHostName(Receiver(), "example.com", 80)
    assert seen == [
        ("began", "example.com"),
        ("address", IPv4Address("TCP", "127.0.0.1", 80)),
        ("complete",),
    ]
    other = testing.SynchronousResolver()
    assert reactor.installNameResolver(other) is not other
    assert reactor.nameResolver is other


def test_memory_reactor_clock_schedules() -> None:
    reactor = testing.MemoryReactorClock()
    calls: list[int] = []
    reactor.callLater(2, calls.append, 1)
    reactor.advance(1)
    assert calls == []
    reactor.advance(1)
    assert calls == [1]
    assert reactor.seconds() == 2
    reactor.listenTCP(1, Factory())
    assert len(reactor.tcpServers) == 1


def test_raising_memory_reactor() -> None:
    reactor = testing.RaisingMemoryReactor(
        listenException=error.CannotListenError("", 80, OSError("denied")),
        connectException=error.ConnectionRefusedError(),
    )
    with pytest.raises(error.CannotListenError):
        reactor.listenTCP(80, Factory())
    with pytest.raises(error.ConnectionRefusedError):
        reactor.connectTCP("h", 80, ClientFactory())
    with pytest.raises(error.ConnectionRefusedError):
        reactor.connectUNIX("/x", ClientFactory())


# -- helpers ------------------------------------------------------------------------------------


def test_accumulating_protocol() -> None:
    from bridge.defer import Deferred

    factory = Factory.forProtocol(testing.AccumulatingProtocol)
    factory.protocolConnectionMade = made = Deferred()  # type: ignore[attr-defined]
    proto = factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 1))
    assert isinstance(proto, testing.AccumulatingProtocol)
    proto.closedDeferred = closed = Deferred()
    proto.makeConnection(testing.StringTransport())
    assert success_result_of(made) is proto
    proto.dataReceived(b"ab")
    proto.dataReceived(b"c")
    assert proto.data == b"abc"
    proto.connectionLost(Failure(error.ConnectionDone()))
    assert proto.closed
    assert success_result_of(closed) is None


def test_line_sending_protocol() -> None:
    transport = testing.StringTransport()
    proto = testing.LineSendingProtocol([b"a", b"b"])
    proto.makeConnection(transport)
    assert transport.value() == b"a\r\nb\r\n"
    proto.dataReceived(b"reply\r\n")
    assert proto.response == [b"reply"]


def test_non_streaming_producer() -> None:
    transport = testing.StringTransport()
    producer = testing.NonStreamingProducer(transport)
    result = producer.result
    transport.registerProducer(producer, False)
    while transport.producer is not None:
        producer.resumeProducing()
    assert transport.value() == b"0123456789"
    assert success_result_of(result) is None


def test_fake_datagram_transport() -> None:
    transport = testing.FakeDatagramTransport()
    transport.write(b"x", ("1.2.3.4", 5))
    transport.write(b"y")
    assert transport.written == [(b"x", ("1.2.3.4", 5)), (b"y", transport.noAddr)]


def test_string_io_without_closing() -> None:
    f = testing.StringIOWithoutClosing()
    f.write(b"data")
    f.close()
    assert f.getvalue() == b"data"


# -- connect_in_memory --------------------------------------------------------------------------


class Echo(Protocol):
    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)


class Collect(Protocol):
    def __init__(self) -> None:
        self.data = b""
        self.reasons: list[Failure] = []
        self.made = False

    def connectionMade(self) -> None:
        self.made = True

    def dataReceived(self, data: bytes) -> None:
        self.data += data

    def connectionLost(self, reason: Failure = error.CONNECTION_DONE) -> None:
        self.reasons.append(reason)


def test_connect_in_memory_echo() -> None:
    client = Collect()
    pump = testing.connect_in_memory(Echo(), client)
    assert client.made
    client.transport.write(b"ping")
    assert client.data == b""
    pump.flush()
    assert client.data == b"ping"
    assert client.transport.getPeer() == IPv4Address("TCP", "127.0.0.1", 8080)
    assert pump.server.transport.getPeer() == client.transport.getHost()


def test_connect_in_memory_greeting_delivered() -> None:
    class Greeter(Protocol):
        def connectionMade(self) -> None:
            self.transport.write(b"hello\r\n")

    client = Collect()
    testing.connect_in_memory(Greeter(), client)
    assert client.data == b"hello\r\n"


def test_connect_in_memory_lose_connection_delivers_data_first() -> None:
    server, client = Collect(), Collect()
    pump = testing.connect_in_memory(server, client)
    client.transport.write(b"last words")
    client.transport.loseConnection()
    client.transport.write(b"ignored")
    pump.flush()
    assert server.data == b"last words"
    assert [r.type for r in server.reasons] == [error.ConnectionDone]
    assert [r.type for r in client.reasons] == [error.ConnectionDone]
    assert not client.transport.connected


def test_connect_in_memory_abort() -> None:
    server, client = Collect(), Collect()
    pump = testing.connect_in_memory(server, client)
    server.transport.write(b"dropped")
    server.transport.abortConnection()
    pump.flush()
    assert client.data == b""
    assert server.reasons[0].check(error.ConnectionAborted)
    assert client.reasons[0].check(error.ConnectionLost)
    assert not client.reasons[0].check(error.ConnectionAborted)


def test_connect_in_memory_half_close() -> None:
    events: list[str] = []

    @implementer(interfaces.IHalfCloseableProtocol)
    class Half(Collect):
        def readConnectionLost(self) -> None:
            events.append("read closed")
            self.transport.write(b"bye")
            self.transport.loseConnection()

        def writeConnectionLost(self) -> None:
            events.append("write closed")

    server, client = Half(), Collect()
    pump = testing.connect_in_memory(server, client)
    client.transport.write(b"request")
    client.transport.loseWriteConnection()
    pump.flush()
    assert server.data == b"request"
    assert events == ["read closed"]
    assert client.data == b"bye"
    assert client.reasons and server.reasons


def test_connect_in_memory_pause_reading() -> None:
    server, client = Collect(), Collect()
    pump = testing.connect_in_memory(server, client)
    server.transport.pauseProducing()
    client.transport.write(b"held")
    pump.flush()
    assert server.data == b""
    server.transport.resumeProducing()
    pump.flush()
    assert server.data == b"held"


def test_connect_in_memory_streaming_producer_backpressure() -> None:
    @implementer(interfaces.IPushProducer)
    class Firehose:
        def __init__(self, transport: Any) -> None:
            self.transport = transport
            self.paused = False
            self.sent = 0
            self.pauses = 0

        def pauseProducing(self) -> None:
            self.paused = True
            self.pauses += 1

        def resumeProducing(self) -> None:
            self.paused = False
            self.pump_some()

        def stopProducing(self) -> None:
            self.paused = True

        def pump_some(self) -> None:
            while not self.paused and self.sent < 1_000_000:
                self.transport.write(b"x" * 10_000)
                self.sent += 10_000
            if self.sent >= 1_000_000:
                self.transport.unregisterProducer()
                self.transport.loseConnection()

    server, client = Collect(), Collect()
    pump = testing.connect_in_memory(server, client)
    producer = Firehose(server.transport)
    server.transport.registerProducer(producer, True)
    producer.pump_some()
    assert producer.paused and producer.sent < 1_000_000
    pump.flush()
    assert len(client.data) == 1_000_000
    assert producer.pauses > 1
    assert client.reasons[0].check(error.ConnectionDone)


def test_connect_in_memory_pull_producer() -> None:
    server, client = Collect(), Collect()
    pump = testing.connect_in_memory(server, client)
    producer = testing.NonStreamingProducer(server.transport)
    server.transport.registerProducer(producer, False)
    pump.flush()
    assert client.data == b"0123456789"


def test_connect_in_memory_line_conversation() -> None:
    class Server(LineReceiver):
        def lineReceived(self, line: bytes) -> None:
            if line == b"quit":
                self.transport.loseConnection()
            else:
                self.sendLine(line[::-1])

    client = testing.LineSendingProtocol([b"abc", b"xyz", b"quit"])
    pump = testing.connect_in_memory(Server(), client)
    pump.flush()
    assert client.response == [b"cba", b"zyx"]
    assert client.lostConn


def test_connect_in_memory_flush_detects_endless_chatter() -> None:
    server, client = Echo(), Echo()
    pump = testing.connect_in_memory(server, client)
    client.transport.write(b"forever")
    with pytest.raises(RuntimeError, match="never go quiet"):
        pump.flush(max_rounds=50)


def test_connect_in_memory_unix_addresses() -> None:
    server, client = Collect(), Collect()
    testing.connect_in_memory(
        server,
        client,
        server_address=UNIXAddress("/tmp/sock"),
        client_address=UNIXAddress(None),
    )
    assert client.transport.getPeer() == UNIXAddress("/tmp/sock")
    assert server.transport.getPeer() == UNIXAddress(None)


def test_wait_until_all_disconnected() -> None:
    from tests.helpers import assert_no_result

    clock = testing.MemoryReactorClock()
    protocols = [Collect(), Collect()]
    for proto in protocols:
        proto.makeConnection(testing.StringTransport())
    d = testing.waitUntilAllDisconnected(clock, protocols)
    assert_no_result(d)
    protocols[0].transport.connected = False
    clock.advance(0.01)
    assert_no_result(d)
    protocols[1].transport.connected = False
    clock.advance(0.01)
    success_result_of(d)


def test_public_surface() -> None:
    import bridge.testing as module

    assert sorted(module.__all__) == [
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
    for name in module.__all__:
        assert getattr(module, name).__doc__, name


def test_connect_in_memory_half_close_to_plain_protocol_closes() -> None:
    server, client = Collect(), Collect()
    pump = testing.connect_in_memory(server, client)
    client.transport.write(b"request")
    client.transport.loseWriteConnection()
    client.transport.write(b"ignored after half-close")
    pump.flush()
    assert server.data == b"request"
    assert server.reasons[0].check(error.ConnectionDone)
    assert client.reasons[0].check(error.ConnectionDone)


def test_connect_in_memory_both_half_closed_ends_connection() -> None:
    @implementer(interfaces.IHalfCloseableProtocol)
    class Half(Collect):
        def readConnectionLost(self) -> None:
            self.transport.loseWriteConnection()

        def writeConnectionLost(self) -> None:
            pass

    server, client = Half(), Half()
    pump = testing.connect_in_memory(server, client)
    client.transport.loseWriteConnection()
    pump.flush()
    assert server.reasons and client.reasons
