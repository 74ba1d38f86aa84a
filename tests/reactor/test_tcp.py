"""listenTCP/connectTCP over real loopback sockets, on stdlib asyncio and on uvloop."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import resource
import socket
from typing import Any

import pytest
from zope.interface import implementer
from zope.interface.verify import verifyObject

from bridge import error, protocol
from bridge._reactor.tcp import Connector, Port
from bridge.address import IPv4Address, IPv6Address
from bridge.defer import Deferred
from bridge.failure import Failure
from bridge.interfaces import (
    IConnector,
    IHalfCloseableProtocol,
    IListeningPort,
    ILoggingContext,
    IPullProducer,
    IPushProducer,
    ITCPTransport,
)


def _has_ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


async def _all_fired(ds: list[Deferred[Any]]) -> None:
    for d in ds:
        while not d.called:
            await asyncio.sleep(0.001)


class Reason:
    """Carry a Failure through a Deferred's callback (a bare Failure would errback)."""

    def __init__(self, failure: Failure) -> None:
        self.failure = failure

    def check(self, *types: type[BaseException]) -> object:
        return self.failure.check(*types)


class Echo(protocol.Protocol):
    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)


class Recorder(protocol.Protocol):
    """Record everything; fire ``made``/``lost`` Deferreds."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.made: Deferred[Recorder] = Deferred()
        self.lost: Deferred[Reason] = Deferred()
        self.reason: Failure | None = None

    def connectionMade(self) -> None:
        self.made.callback(self)

    def dataReceived(self, data: bytes) -> None:
        self.data += data

    def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
        self.reason = reason
        self.lost.callback(Reason(reason))


class RecordingClientFactory(protocol.ClientFactory):
    def __init__(self, proto: protocol.Protocol | None = None) -> None:
        self.proto = proto if proto is not None else Recorder()
        self.failed: Deferred[Reason] = Deferred()
        self.lost: Deferred[Reason] = Deferred()
        self.started = 0
        self.noisy = False

    def startedConnecting(self, connector: Any) -> None:
        self.started += 1

    def buildProtocol(self, addr: object) -> protocol.Protocol | None:
        self.addr = addr
        self.proto.factory = self
        return self.proto

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        self.failed.callback(Reason(reason))

    def clientConnectionLost(self, connector: Any, reason: Failure) -> None:
        self.lost.callback(Reason(reason))


class OneProtocolFactory(protocol.ServerFactory):
    """Hand out the given protocols, in order."""

    noisy = False

    def __init__(self, *protos: protocol.Protocol) -> None:
        self.protos = list(protos)

    def buildProtocol(self, addr: object) -> protocol.Protocol | None:
        p = self.protos.pop(0)
        p.factory = self
        return p


def _listen(reactor: Any, factory: Any, interface: str = "127.0.0.1") -> Port:
    port = reactor.listenTCP(0, factory, interface=interface)
    assert isinstance(port, Port)
    return port


def _echo_factory() -> protocol.Factory:
    f = protocol.Factory.forProtocol(Echo)
    f.noisy = False
    return f


def test_echo_round_trip_and_clean_close(reactor: Any, run_until: Any) -> None:
    port = _listen(reactor, _echo_factory())
    client = RecordingClientFactory()
    connector = reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    proto = run_until(client.proto.made)
    assert connector.state == "connected"
    proto.transport.write(b"hello ")
    proto.transport.writeSequence([b"wor", bytearray(b"ld"), memoryview(b"!")])

    async def until_echoed() -> None:
        while bytes(proto.data) != b"hello world!":
            await asyncio.sleep(0.001)

    run_until(until_echoed())
    proto.transport.loseConnection()
    reason = run_until(proto.lost)
    assert reason.check(error.ConnectionDone)
    lost = run_until(client.lost)
    assert lost.check(error.ConnectionDone)
    assert connector.state == "disconnected"
    assert client.started == 1
    run_until(port.stopListening())


def test_addresses(reactor: Any, run_until: Any) -> None:
    server = Recorder()
    port = _listen(reactor, OneProtocolFactory(server))
    host = port.getHost()
    assert isinstance(host, IPv4Address)
    assert (host.type, host.host) == ("TCP", "127.0.0.1")
    assert host.port != 0
    client = RecordingClientFactory()
    connector = reactor.connectTCP("127.0.0.1", host.port, client)
    assert connector.getDestination() == IPv4Address("TCP", "127.0.0.1", host.port)
    cproto = run_until(client.proto.made)
    run_until(server.made)
    assert cproto.transport.getPeer() == host
    assert server.transport.getHost() == host
    assert server.transport.getPeer() == cproto.transport.getHost()
    assert client.addr == host
    cproto.transport.loseConnection()
    run_until(server.lost)
    run_until(port.stopListening())


def test_port_and_transport_reprs_follow_twisteds_formats(reactor: Any, run_until: Any) -> None:
    # Twisted's tcp.Server: "<Proto #session on localport>"; tcp.Client: "<CLASS to addr at id>";
    # tcp.Port: "<CLASS of FACTORY-CLASS on port>".
    server = Recorder()
    port = _listen(reactor, OneProtocolFactory(server))
    number = port.getHost().port
    client = RecordingClientFactory()
    reactor.connectTCP("127.0.0.1", number, client)
    cproto = run_until(client.proto.made)
    run_until(server.made)
    assert repr(server.transport) == f"<Recorder #0 on {number}>"
    t = cproto.transport
    assert repr(t) == f"<{type(t)} to ('127.0.0.1', {number}) at {id(t):x}>"
    assert repr(port) == f"<{Port} of {OneProtocolFactory} on {number}>"
    cproto.transport.loseConnection()
    run_until(server.lost)
    run_until(port.stopListening())
    assert repr(port) == f"<{Port} of {OneProtocolFactory} (not listening)>"


def test_interfaces_are_provided(reactor: Any, run_until: Any) -> None:
    server = Recorder()
    port = _listen(reactor, OneProtocolFactory(server))
    assert verifyObject(IListeningPort, port)
    assert verifyObject(ILoggingContext, port)
    client = RecordingClientFactory()
    connector = reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    assert verifyObject(IConnector, connector)
    run_until(server.made)
    assert verifyObject(ITCPTransport, server.transport)
    assert verifyObject(ILoggingContext, server.transport)
    assert IPushProducer.providedBy(server.transport)
    server.transport.loseConnection()
    run_until(client.proto.lost)
    run_until(port.stopListening())


@pytest.mark.skipif(not _has_ipv6(), reason="no IPv6 loopback")
def test_ipv6_echo(reactor: Any, run_until: Any) -> None:
    port = _listen(reactor, _echo_factory(), interface="::1")
    host = port.getHost()
    assert isinstance(host, IPv6Address)
    client = RecordingClientFactory()
    connector = reactor.connectTCP("::1", host.port, client)
    assert isinstance(connector.getDestination(), IPv6Address)
    proto = run_until(client.proto.made)
    assert isinstance(proto.transport.getPeer(), IPv6Address)
    proto.transport.write(b"six")

    async def until_echoed() -> None:
        while bytes(proto.data) != b"six":
            await asyncio.sleep(0.001)

    run_until(until_echoed())
    proto.transport.loseConnection()
    run_until(proto.lost)
    run_until(port.stopListening())


def test_write_str_raises_type_error_that_says_so(reactor: Any, run_until: Any) -> None:
    server = Recorder()
    port = _listen(reactor, OneProtocolFactory(server))
    client = RecordingClientFactory()
    reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    proto = run_until(client.proto.made)
    with pytest.raises(TypeError, match=r"bytes-like.*not str.*encode"):
        proto.transport.write("text")
    with pytest.raises(TypeError, match=r"bytes-like.*not str"):
        proto.transport.writeSequence([b"ok", "text"])
    with pytest.raises(TypeError, match=r"bytes-like.*not int"):
        proto.transport.write(12)
    proto.transport.loseConnection()
    run_until(server.lost)
    assert bytes(server.data) == b""
    run_until(port.stopListening())


def test_writes_after_lose_connection_are_dropped(reactor: Any, run_until: Any) -> None:
    server = Recorder()
    port = _listen(reactor, OneProtocolFactory(server))
    client = RecordingClientFactory()
    reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    proto = run_until(client.proto.made)
    proto.transport.write(b"before")
    proto.transport.loseConnection()
    proto.transport.write(b"after")
    run_until(proto.lost)
    proto.transport.write(b"after lost")  # no error, no warning
    run_until(server.lost)
    assert bytes(server.data) == b"before"
    assert server.reason is not None and server.reason.check(error.ConnectionDone)
    run_until(port.stopListening())


def test_lose_connection_flushes_a_large_buffer(reactor: Any, run_until: Any) -> None:
    server = Recorder()
    port = _listen(reactor, OneProtocolFactory(server))
    client = RecordingClientFactory()
    reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    proto = run_until(client.proto.made)
    payload = os.urandom(8 * 1024 * 1024)
    proto.transport.write(payload)
    proto.transport.loseConnection()
    run_until(server.lost)
    assert server.reason is not None and server.reason.check(error.ConnectionDone)
    assert hashlib.sha256(server.data).digest() == hashlib.sha256(payload).digest()
    run_until(port.stopListening())


def test_abort_connection_reports_connection_aborted(reactor: Any, run_until: Any) -> None:
    server = Recorder()
    port = _listen(reactor, OneProtocolFactory(server))
    client = RecordingClientFactory()
    reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    proto = run_until(client.proto.made)
    run_until(server.made)
    proto.transport.write(b"x" * 10_000_000)  # mostly still buffered when aborted
    proto.transport.abortConnection()
    reason = run_until(proto.lost)
    assert reason.check(error.ConnectionAborted)
    assert reason.check(error.ConnectionLost)
    server_reason = run_until(server.lost)
    # The peer sees an unclean close (RST), as with Twisted.
    assert server_reason.check(error.ConnectionLost)
    run_until(port.stopListening())


def test_peer_reset_mid_stream_is_connection_lost(reactor: Any, run_until: Any) -> None:
    server = Recorder()
    port = _listen(reactor, OneProtocolFactory(server))
    raw = socket.create_connection(("127.0.0.1", port.getHost().port))
    raw.sendall(b"partial")

    async def until_data() -> None:
        while not server.data:
            await asyncio.sleep(0.001)

    run_until(until_data())
    # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    raw.close()
    reason = run_until(server.lost)
    assert reason.check(error.ConnectionLost)
    assert not reason.check(error.ConnectionDone)
    run_until(port.stopListening())


def test_abrupt_close_by_peer_is_connection_done(reactor: Any, run_until: Any) -> None:
    server = Recorder()
    port = _listen(reactor, OneProtocolFactory(server))
    raw = socket.create_connection(("127.0.0.1", port.getHost().port))
    raw.sendall(b"bye")
    raw.close()
    reason = run_until(server.lost)
    assert reason.check(error.ConnectionDone)
    assert bytes(server.data) == b"bye"
    run_until(port.stopListening())


def test_connection_refused(reactor: Any, run_until: Any) -> None:
    with socket.socket() as s:  # find a port nobody listens on
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    client = RecordingClientFactory()
    connector = reactor.connectTCP("127.0.0.1", free, client)
    assert connector.state == "connecting"
    reason = run_until(client.failed)
    assert reason.check(error.ConnectionRefusedError)
    assert connector.state == "disconnected"


def test_connect_timeout(reactor: Any, run_until: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """When connect() never completes, clientConnectionFailed gets TimeoutError."""
    loop = reactor._loop
    never: list[asyncio.Future[None]] = []

    async def hang(sock: Any, address: Any) -> None:
        fut = loop.create_future()
        never.append(fut)
        await fut

    monkeypatch.setattr(loop, "sock_connect", hang)
    client = RecordingClientFactory()
    connector = reactor.connectTCP("127.0.0.1", 9, client, timeout=0.05)
    reason = run_until(client.failed)
    assert reason.check(error.TimeoutError)
    assert connector.state == "disconnected"
    assert never and never[0].cancelled()


def test_stop_connecting_reports_user_error(reactor: Any, run_until: Any) -> None:
    client = RecordingClientFactory()
    connector = reactor.connectTCP("127.0.0.1", 9, client)
    connector.stopConnecting()
    reason = run_until(client.failed)
    assert reason.check(error.UserError)
    with pytest.raises(error.NotConnectingError):
        connector.stopConnecting()
    run_until(asyncio.sleep(0.01))  # the cancelled attempt must stay silent


def test_dns_lookup_error(reactor: Any, run_until: Any) -> None:
    client = RecordingClientFactory()
    reactor.connectTCP("no-such-host.invalid", 80, client)
    reason = run_until(client.failed, timeout=10)
    assert reason.check(error.DNSLookupError)


def test_connect_by_hostname(reactor: Any, run_until: Any) -> None:
    port = _listen(reactor, _echo_factory())
    client = RecordingClientFactory()
    reactor.connectTCP("localhost", port.getHost().port, client)
    proto = run_until(client.proto.made)
    assert proto.transport.getPeer().host == "127.0.0.1"
    proto.transport.loseConnection()
    run_until(proto.lost)
    run_until(port.stopListening())


def test_bind_address(reactor: Any, run_until: Any) -> None:
    server = Recorder()
    port = _listen(reactor, OneProtocolFactory(server))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        local_port = s.getsockname()[1]
    client = RecordingClientFactory()
    reactor.connectTCP(
        "127.0.0.1", port.getHost().port, client, bindAddress=("127.0.0.1", local_port)
    )
    run_until(server.made)
    assert server.transport.getPeer().port == local_port
    server.transport.loseConnection()
    run_until(client.proto.lost)
    run_until(port.stopListening())


def test_bind_address_in_use_is_connect_bind_error(reactor: Any, run_until: Any) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        client = RecordingClientFactory()
        reactor.connectTCP("127.0.0.1", 9, client, bindAddress=busy.getsockname())
        reason = run_until(client.failed)
    assert reason.check(error.ConnectBindError)


def test_listen_on_used_port_raises_cannot_listen_at_call_time(reactor: Any) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        used = busy.getsockname()[1]
        with pytest.raises(error.CannotListenError) as info:
            reactor.listenTCP(used, _echo_factory(), interface="127.0.0.1")
    assert info.value.port == used
    assert info.value.interface == "127.0.0.1"
    assert "Couldn't listen on 127.0.0.1" in str(info.value)


def test_stop_listening_stops_factory_and_frees_port(reactor: Any, run_until: Any) -> None:
    events: list[str] = []

    class F(protocol.ServerFactory):
        noisy = False
        protocol = Echo

        def startFactory(self) -> None:
            events.append("start")

        def stopFactory(self) -> None:
            events.append("stop")

    port = _listen(reactor, F())
    assert events == ["start"]
    number = port.getHost().port
    assert run_until(port.stopListening()) is None
    assert events == ["start", "stop"]
    assert not port.connected
    again = reactor.listenTCP(number, _echo_factory(), interface="127.0.0.1")
    run_until(again.stopListening())
    run_until(port.stopListening())  # a second stop is harmless


def test_factory_refusing_connection(reactor: Any, run_until: Any) -> None:
    class Refuse(protocol.ServerFactory):
        noisy = False

        def buildProtocol(self, addr: object) -> None:
            return None

    class Eager(Recorder):
        def connectionMade(self) -> None:
            super().connectionMade()
            self.transport.write(b"hello")  # unread data must not turn the close into RST

    port = _listen(reactor, Refuse())
    client = RecordingClientFactory(Eager())
    reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    # The server closes cleanly, as Twisted's does: the client sees ConnectionDone.
    reason = run_until(client.lost)
    assert reason.check(error.ConnectionDone)
    run_until(port.stopListening())


def test_exception_in_server_connection_made_is_logged_and_connection_kept(
    reactor: Any, run_until: Any, caplog: pytest.LogCaptureFixture
) -> None:
    class Bad(Echo):
        def connectionMade(self) -> None:
            raise RuntimeError("boom in connectionMade")

    factory = protocol.Factory.forProtocol(Bad)
    factory.noisy = False
    port = _listen(reactor, factory)
    client = RecordingClientFactory()
    with caplog.at_level(logging.ERROR, logger="bridge"):
        reactor.connectTCP("127.0.0.1", port.getHost().port, client)
        proto = run_until(client.proto.made)
        proto.transport.write(b"still here")
        run_until(_until(lambda: bytes(proto.data) == b"still here"))
    assert "boom in connectionMade" in caplog.text
    proto.transport.loseConnection()
    assert run_until(proto.lost).check(error.ConnectionDone)
    run_until(port.stopListening())


def test_client_factory_returning_none_closes_and_reports_lost(
    reactor: Any, run_until: Any
) -> None:
    port = _listen(reactor, _echo_factory())

    class Refuse(RecordingClientFactory):
        def buildProtocol(self, addr: object) -> None:
            return None

    client = Refuse()
    reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    reason = run_until(client.lost)
    assert reason.check(error.ConnectionDone)
    run_until(port.stopListening())


def test_exception_in_data_received_is_logged_and_drops_connection(
    reactor: Any, run_until: Any, caplog: pytest.LogCaptureFixture
) -> None:
    class Boom(Recorder):
        def dataReceived(self, data: bytes) -> None:
            raise ValueError("boom in dataReceived")

    server = Boom()
    port = _listen(reactor, OneProtocolFactory(server))
    client = RecordingClientFactory()
    reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    proto = run_until(client.proto.made)
    with caplog.at_level(logging.ERROR, logger="bridge"):
        proto.transport.write(b"trigger")
        reason = run_until(server.lost)
    assert reason.check(ValueError)
    assert "boom in dataReceived" in caplog.text
    assert "Boom.dataReceived" in caplog.text
    run_until(proto.lost)
    run_until(port.stopListening())


def test_connector_reconnects(reactor: Any, run_until: Any) -> None:
    port = _listen(reactor, _echo_factory())
    client = RecordingClientFactory()
    connector = reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    proto = run_until(client.proto.made)
    proto.transport.loseConnection()
    run_until(client.lost)
    client.proto = Recorder()
    client.lost = Deferred()
    connector.connect()
    proto2 = run_until(client.proto.made)
    assert proto2 is not proto
    connector.disconnect()
    run_until(client.lost)
    with pytest.raises(RuntimeError, match="can't connect"):
        connector.connect()
        connector.connect()
    connector.stopConnecting()
    run_until(port.stopListening())


def test_reconnecting_client_factory_connects_after_refusal(reactor: Any, run_until: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        number = s.getsockname()[1]
    made: Deferred[None] = Deferred()

    class Client(protocol.Protocol):
        def connectionMade(self) -> None:
            self.factory.resetDelay()
            made.callback(None)

    factory = protocol.ReconnectingClientFactory.forProtocol(Client)
    factory.initialDelay = factory.delay = 0.01
    factory.noisy = False
    factory.jitter = 0
    factory.clock = reactor
    connector = reactor.connectTCP("127.0.0.1", number, factory)

    async def listen_later() -> Any:
        while factory.retries < 1:
            await asyncio.sleep(0.001)
        return reactor.listenTCP(number, _echo_factory(), interface="127.0.0.1")

    port = run_until(listen_later())
    run_until(made)
    factory.stopTrying()
    connector.disconnect()
    run_until(port.stopListening())


def test_tcp_options(reactor: Any, run_until: Any) -> None:
    server = Recorder()
    port = _listen(reactor, OneProtocolFactory(server))
    client = RecordingClientFactory()
    reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    assert run_until(client.proto.made).transport.getTcpNoDelay() is True
    run_until(server.made)
    t = server.transport
    # asyncio's default on both backends (Twisted's is False): see the porting notes.
    assert t.getTcpNoDelay() is True
    t.setTcpNoDelay(False)
    assert t.getTcpNoDelay() is False
    t.setTcpNoDelay(True)
    assert t.getTcpNoDelay() is True
    t.setTcpKeepAlive(True)
    assert t.getTcpKeepAlive() is True
    t.setTcpKeepAlive(False)
    assert t.getTcpKeepAlive() is False
    assert t.getHandle() is not None
    t.loseConnection()
    run_until(server.lost)
    run_until(port.stopListening())


@implementer(IHalfCloseableProtocol)
class HalfCloser(Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.read_lost: Deferred[None] = Deferred()
        self.write_lost: Deferred[None] = Deferred()

    def readConnectionLost(self) -> None:
        self.read_lost.callback(None)

    def writeConnectionLost(self) -> None:
        self.write_lost.callback(None)


def test_half_close_both_directions(reactor: Any, run_until: Any) -> None:
    server = HalfCloser()
    port = _listen(reactor, OneProtocolFactory(server))
    client = RecordingClientFactory(HalfCloser())
    reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    cproto = run_until(client.proto.made)
    run_until(server.made)
    cproto.transport.write(b"request")
    cproto.transport.loseWriteConnection()
    run_until(cproto.write_lost)
    run_until(server.read_lost)
    assert bytes(server.data) == b"request"
    # The server can still answer on its open half.
    server.transport.write(b"response")
    server.transport.loseConnection()
    run_until(cproto.read_lost)
    assert bytes(cproto.data) == b"response"
    assert run_until(server.lost).check(error.ConnectionDone)
    cproto.transport.loseConnection()
    run_until(cproto.lost)
    run_until(port.stopListening())


def test_half_close_without_half_closeable_protocol_closes(reactor: Any, run_until: Any) -> None:
    server = Recorder()
    port = _listen(reactor, OneProtocolFactory(server))
    raw = socket.create_connection(("127.0.0.1", port.getHost().port))
    raw.sendall(b"data")
    raw.shutdown(socket.SHUT_WR)
    reason = run_until(server.lost)
    assert reason.check(error.ConnectionDone)
    assert bytes(server.data) == b"data"
    raw.close()
    run_until(port.stopListening())


def test_pause_and_resume_producing_reading(reactor: Any, run_until: Any) -> None:
    server = Recorder()
    port = _listen(reactor, OneProtocolFactory(server))
    client = RecordingClientFactory()
    reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    proto = run_until(client.proto.made)
    run_until(server.made)
    server.transport.pauseProducing()
    proto.transport.write(b"while paused")
    run_until(asyncio.sleep(0.05))
    assert bytes(server.data) == b""
    server.transport.resumeProducing()

    async def until_data() -> None:
        while not server.data:
            await asyncio.sleep(0.001)

    run_until(until_data())
    assert bytes(server.data) == b"while paused"
    server.transport.stopProducing()
    run_until(proto.lost)
    run_until(port.stopListening())


class SlowReader(protocol.Protocol):
    """Read in bursts with pauses, hashing everything."""

    def __init__(self, expected: int) -> None:
        self.hash = hashlib.sha256()
        self.count = 0
        self.expected = expected
        self.done: Deferred[None] = Deferred()

    def connectionMade(self) -> None:
        self.transport.pauseProducing()
        self.transport._reactor.callLater(0.002, self._resume)

    def _resume(self) -> None:
        if self.connected and not self.done.called:
            self.transport.resumeProducing()

    def dataReceived(self, data: bytes) -> None:
        self.hash.update(data)
        self.count += len(data)
        if self.count >= self.expected:
            self.done.callback(None)
        else:
            self.transport.pauseProducing()
            self.transport._reactor.callLater(0.001, self._resume)


@implementer(IPushProducer)
class ChunkPusher:
    """A streaming producer writing chunks whenever it is not paused."""

    def __init__(self, transport: Any, total: int, chunk: int) -> None:
        self.transport = transport
        self.left = total
        self.chunk = os.urandom(chunk)
        self.hash = hashlib.sha256()
        self.paused = False
        self.pauses = 0
        self.max_buffer = 0
        self.stopped = False

    def start(self) -> None:
        self.transport.registerProducer(self, True)
        self._push()

    def _push(self) -> None:
        aio = self.transport._transport
        while not self.paused and self.left > 0:
            data = self.chunk[: min(len(self.chunk), self.left)]
            self.left -= len(data)
            self.hash.update(data)
            self.transport.write(data)
            self.max_buffer = max(self.max_buffer, aio.get_write_buffer_size())
        if self.left <= 0:
            self.transport.unregisterProducer()

    def pauseProducing(self) -> None:
        self.paused = True
        self.pauses += 1

    def resumeProducing(self) -> None:
        self.paused = False
        self.transport._reactor.callLater(0, self._push)

    def stopProducing(self) -> None:
        self.stopped = True


def test_streaming_producer_to_slow_reader_keeps_memory_bounded(
    reactor: Any, run_until: Any
) -> None:
    total = 32 * 1024 * 1024
    reader = SlowReader(total)
    port = _listen(reactor, OneProtocolFactory(reader))
    client = RecordingClientFactory()
    reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    proto = run_until(client.proto.made)
    pusher = ChunkPusher(proto.transport, total, 64 * 1024)
    pusher.start()
    run_until(reader.done, timeout=30)
    assert reader.hash.digest() == pusher.hash.digest()
    assert pusher.pauses > 0
    # asyncio's high-water mark is 64 KiB by default; one chunk may overshoot it.
    assert pusher.max_buffer < 1024 * 1024
    proto.transport.loseConnection()
    run_until(proto.lost)
    run_until(port.stopListening())


@implementer(IPullProducer)
class ChunkPuller:
    def __init__(self, transport: Any, total: int, chunk: int) -> None:
        self.transport = transport
        self.left = total
        self.chunk = os.urandom(chunk)
        self.hash = hashlib.sha256()
        self.max_buffer = 0

    def resumeProducing(self) -> None:
        if self.left <= 0:
            self.transport.unregisterProducer()
            return
        data = self.chunk[: min(len(self.chunk), self.left)]
        self.left -= len(data)
        self.hash.update(data)
        self.transport.write(data)
        aio = self.transport._transport
        self.max_buffer = max(self.max_buffer, aio.get_write_buffer_size())

    def stopProducing(self) -> None:
        pass


def test_pull_producer_to_slow_reader(reactor: Any, run_until: Any) -> None:
    total = 8 * 1024 * 1024
    reader = SlowReader(total)
    port = _listen(reactor, OneProtocolFactory(reader))
    client = RecordingClientFactory()
    reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    proto = run_until(client.proto.made)
    puller = ChunkPuller(proto.transport, total, 64 * 1024)
    proto.transport.registerProducer(puller, False)
    run_until(reader.done, timeout=30)
    assert reader.hash.digest() == puller.hash.digest()
    assert puller.max_buffer < 1024 * 1024
    proto.transport.loseConnection()
    run_until(proto.lost)
    run_until(port.stopListening())


def test_register_second_producer_raises_and_lost_connection_stops_producer(
    reactor: Any, run_until: Any
) -> None:
    server = Recorder()
    port = _listen(reactor, OneProtocolFactory(server))
    client = RecordingClientFactory()
    reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    proto = run_until(client.proto.made)
    pusher = ChunkPusher(proto.transport, 0, 1)
    proto.transport.registerProducer(pusher, True)
    with pytest.raises(RuntimeError, match="never unregistered"):
        proto.transport.registerProducer(ChunkPusher(proto.transport, 0, 1), True)
    server_lost = server.lost
    run_until(server.made)
    server.transport.loseConnection()
    run_until(proto.lost)
    run_until(server_lost)
    assert pusher.stopped
    late = ChunkPusher(proto.transport, 0, 1)
    proto.transport.registerProducer(late, True)
    assert late.stopped
    run_until(port.stopListening())


def _raise_nofile(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            pytest.skip(f"RLIMIT_NOFILE hard limit {hard} < {need}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))


def test_two_thousand_concurrent_connections(reactor: Any, run_until: Any) -> None:
    count = 2000
    _raise_nofile(2 * count + 200)
    port = reactor.listenTCP(0, _echo_factory(), backlog=1024, interface="127.0.0.1")
    number = port.getHost().port
    clients = [RecordingClientFactory() for _ in range(count)]
    for c in clients:
        reactor.connectTCP("127.0.0.1", number, c)
    run_until(_all_fired([c.proto.made for c in clients]), timeout=60)
    for i, c in enumerate(clients):
        c.proto.transport.write(b"%d;" % i)

    async def all_echoed() -> None:
        for i, c in enumerate(clients):
            while bytes(c.proto.data) != b"%d;" % i:
                await asyncio.sleep(0.001)

    run_until(all_echoed(), timeout=60)
    for c in clients:
        c.proto.transport.loseConnection()
    run_until(_all_fired([c.lost for c in clients]), timeout=60)
    run_until(port.stopListening())


def test_connector_is_the_class_returned(reactor: Any) -> None:
    client = RecordingClientFactory()
    connector = reactor.connectTCP("127.0.0.1", 9, client)
    assert isinstance(connector, Connector)
    connector.stopConnecting()


def test_reactor_shutdown_disconnects_everything(reactor: Any) -> None:
    events: list[str] = []

    class F(protocol.ServerFactory):
        noisy = False

        def buildProtocol(self, addr: object) -> protocol.Protocol:
            return server

        def stopFactory(self) -> None:
            events.append("server factory stopped")

    server = Recorder()
    port = _listen(reactor, F())
    client = RecordingClientFactory()
    reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    pending = RecordingClientFactory()

    def connected(_: object) -> None:
        # An attempt still in progress at shutdown fails.
        reactor._loop.sock_connect = _hang
        reactor.connectTCP("127.0.0.1", 9, pending)
        reactor.callLater(0.01, reactor.stop)

    async def _hang(sock: Any, address: Any) -> None:
        await asyncio.sleep(3600)

    client.proto.made.addCallback(connected)
    reactor.callLater(5, reactor.stop)  # safety net
    reactor.run()
    assert server.reason is not None and server.reason.check(error.ConnectionLost)
    assert client.proto.reason is not None and client.proto.reason.check(error.ConnectionLost)
    assert client.lost.called
    assert pending.failed.called
    assert events == ["server factory stopped"]
    assert not port.connected


def test_oversized_frame_closes_connection(reactor: Any, run_until: Any) -> None:
    from bridge import basic

    lost: Deferred[Reason] = Deferred()
    exceeded: list[int] = []

    class Small(basic.Int32StringReceiver):
        MAX_LENGTH = 1000

        def stringReceived(self, string: bytes) -> None:
            self.sendString(string)

        def lengthLimitExceeded(self, length: int) -> None:
            exceeded.append(length)
            super().lengthLimitExceeded(length)

        def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
            lost.callback(Reason(reason))

    factory = protocol.Factory.forProtocol(Small)
    factory.noisy = False
    port = _listen(reactor, factory)
    client = RecordingClientFactory()
    reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    proto = run_until(client.proto.made)
    proto.transport.write(b"\x00\x00\x00\x02ok")
    proto.transport.write((10**6).to_bytes(4, "big") + b"x" * 5000)
    run_until(lost)
    run_until(client.proto.lost)
    assert exceeded == [10**6]
    assert bytes(client.proto.data) == b"\x00\x00\x00\x02ok"
    run_until(port.stopListening())


def test_client_creator(reactor: Any, run_until: Any) -> None:
    port = _listen(reactor, _echo_factory())
    creator = protocol.ClientCreator(reactor, Recorder)
    proto = run_until(creator.connectTCP("127.0.0.1", port.getHost().port))
    assert isinstance(proto, Recorder)
    assert proto.made.called
    proto.transport.loseConnection()
    run_until(proto.lost)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    with pytest.raises(error.ConnectionRefusedError):
        run_until(creator.connectTCP("127.0.0.1", free))
    run_until(port.stopListening())


def test_lose_connection_waits_for_producer_to_unregister(reactor: Any, run_until: Any) -> None:
    server = Recorder()
    port = _listen(reactor, OneProtocolFactory(server))
    client = RecordingClientFactory()
    reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    proto = run_until(client.proto.made)
    t = proto.transport
    pusher = ChunkPusher(t, 0, 1)
    t.registerProducer(pusher, True)
    t.write(b"first;")
    t.loseConnection()
    assert t.disconnecting and not t.disconnected
    run_until(asyncio.sleep(0.02))
    assert not proto.lost.called
    t.write(b"second;")  # still writable while the producer is registered
    t.unregisterProducer()
    run_until(server.lost)
    assert bytes(server.data) == b"first;second;"
    assert run_until(proto.lost).check(error.ConnectionDone)
    assert t.fileno() == -1 or isinstance(t.fileno(), int)
    run_until(port.stopListening())


def test_file_sender_pull_producer_over_tcp(reactor: Any, run_until: Any) -> None:
    import io

    from bridge import basic

    payload = os.urandom(3 * 1024 * 1024 + 17)
    reader = SlowReader(len(payload))
    port = _listen(reactor, OneProtocolFactory(reader))
    client = RecordingClientFactory()
    reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    proto = run_until(client.proto.made)
    d = basic.FileSender().beginFileTransfer(io.BytesIO(payload), proto.transport)
    run_until(d, timeout=30)
    proto.transport.loseConnection()
    run_until(reader.done, timeout=30)
    assert reader.hash.digest() == hashlib.sha256(payload).digest()
    run_until(proto.lost)
    run_until(port.stopListening())


def test_exception_in_connection_lost_is_logged(
    reactor: Any, run_until: Any, caplog: pytest.LogCaptureFixture
) -> None:
    class Bad(Recorder):
        def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
            super().connectionLost(reason)
            raise KeyError("boom in connectionLost")

    server = Bad()
    port = _listen(reactor, OneProtocolFactory(server))
    client = RecordingClientFactory()
    reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    run_until(server.made)
    with caplog.at_level(logging.ERROR, logger="bridge"):
        client.proto.transport.loseConnection()
        run_until(server.lost)
        run_until(asyncio.sleep(0.01))
    assert "boom in connectionLost" in caplog.text
    run_until(port.stopListening())


class _CountingTransport:
    """Wrap an asyncio transport, counting write() calls."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.writes = 0

    def write(self, data: bytes) -> None:
        self.writes += 1
        self.inner.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_writes_in_one_data_received_are_coalesced(reactor: Any, run_until: Any) -> None:
    class Chatty(Recorder):
        def dataReceived(self, data: bytes) -> None:
            buf = bytearray(b"reused;")
            for i in range(100):
                self.transport.write(b"%d;" % i)
            self.transport.write(buf)
            buf[:] = b"CHANGED"  # held data must not see later changes
            self.transport.writeSequence([b"seq;", memoryview(b"mv;")])
            if data == b"close":
                self.transport.write(b"bye;")
                self.transport.loseConnection()
                self.transport.write(b"dropped;")

    server = Chatty()
    port = _listen(reactor, OneProtocolFactory(server))
    client = RecordingClientFactory()
    reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    proto = run_until(client.proto.made)
    run_until(server.made)
    counter = _CountingTransport(server.transport._transport)
    server.transport._transport = counter
    expected = b"".join(b"%d;" % i for i in range(100)) + b"reused;seq;mv;"
    proto.transport.write(b"go")
    run_until(_until(lambda: len(proto.data) >= len(expected)))
    assert bytes(proto.data) == expected
    assert counter.writes == 2  # the first write at once, the other 102 together
    proto.data.clear()
    proto.transport.write(b"close")
    run_until(proto.lost)
    assert bytes(proto.data) == expected + b"bye;"
    run_until(port.stopListening())


async def _until(pred: Any) -> None:
    while not pred():
        await asyncio.sleep(0.001)


@pytest.mark.asyncio
async def test_echo_in_guest_mode_inside_a_running_loop(guest_reactor: Any) -> None:
    from bridge.aio import to_future

    port = guest_reactor.listenTCP(0, _echo_factory(), interface="127.0.0.1")
    client = RecordingClientFactory()
    guest_reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    proto = await to_future(client.proto.made)
    proto.transport.write(b"guest")
    await _until(lambda: bytes(proto.data) == b"guest")
    # asyncio code and Twisted protocols share the loop: a stdlib stream talks to our port.
    reader, writer = await asyncio.open_connection("127.0.0.1", port.getHost().port)
    writer.write(b"asyncio")
    assert await reader.readexactly(7) == b"asyncio"
    writer.close()
    proto.transport.loseConnection()
    await to_future(proto.lost)
    await to_future(port.stopListening())


def test_peer_reset_while_we_write_is_connection_lost(reactor: Any, run_until: Any) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    client = RecordingClientFactory()
    reactor.connectTCP("127.0.0.1", listener.getsockname()[1], client)
    proto = run_until(client.proto.made)
    raw, _ = listener.accept()
    listener.close()
    proto.transport.write(b"x" * (4 * 1024 * 1024))  # more than the socket buffers hold
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    raw.close()
    reason = run_until(proto.lost)
    assert reason.check(error.ConnectionLost)
    assert run_until(client.lost).check(error.ConnectionLost)


def test_adopt_stream_port(reactor: Any, run_until: Any) -> None:
    raw = socket.socket()
    raw.bind(("127.0.0.1", 0))
    raw.listen(5)
    port = reactor.adoptStreamPort(raw.fileno(), socket.AF_INET, _echo_factory())
    raw.close()
    client = RecordingClientFactory()
    reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    proto = run_until(client.proto.made)
    proto.transport.write(b"adopted")
    run_until(_until(lambda: bytes(proto.data) == b"adopted"))
    proto.transport.loseConnection()
    run_until(proto.lost)
    run_until(port.stopListening())


def test_adopt_stream_connection(reactor: Any, run_until: Any) -> None:
    server = Recorder()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        peer = socket.create_connection(listener.getsockname())
        accepted, _ = listener.accept()
    reactor.adoptStreamConnection(accepted.fileno(), socket.AF_INET, OneProtocolFactory(server))
    accepted.close()
    run_until(server.made)
    assert server.transport.getPeer().port == peer.getsockname()[1]
    peer.sendall(b"hello")
    run_until(_until(lambda: bytes(server.data) == b"hello"))
    peer.close()
    assert run_until(server.lost).check(error.ConnectionDone)
    with pytest.raises(error.UnsupportedAddressFamily):
        reactor.adoptStreamConnection(0, 12345, OneProtocolFactory())


def test_client_closing_in_connection_made_leaves_no_stale_socket(
    reactor: Any, run_until: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvloop: a handle closed before create_connection returns must not leave our socket
    object holding a stale descriptor (it would close a reused fd when collected)."""
    created: list[socket.socket] = []
    real_socket = socket.socket

    class Tracking(real_socket):  # type: ignore[misc,valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            created.append(self)

    class Quitter(Recorder):
        def connectionMade(self) -> None:
            super().connectionMade()
            self.transport.loseConnection()

    monkeypatch.setattr(socket, "socket", Tracking)
    port = _listen(reactor, _echo_factory())
    client = RecordingClientFactory(Quitter())
    reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    run_until(client.proto.lost)
    run_until(port.stopListening())
    run_until(asyncio.sleep(0.02))
    assert len(created) >= 2
    assert [s for s in created if s.fileno() != -1] == []


def test_connection_refused_message_matches_twisted(reactor: Any, run_until: Any) -> None:
    import errno as errno_module

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    client = RecordingClientFactory()
    reactor.connectTCP("127.0.0.1", free, client)
    exc = run_until(client.failed).failure.value
    assert exc.osError == errno_module.ECONNREFUSED
    assert exc.args == (os.strerror(errno_module.ECONNREFUSED),)
    assert str(exc) == (
        f"Connection was refused by other side: {errno_module.ECONNREFUSED}: "
        f"{os.strerror(errno_module.ECONNREFUSED)}."
    )


def test_reset_reason_matches_twisted(reactor: Any, run_until: Any) -> None:
    server = Recorder()
    port = _listen(reactor, OneProtocolFactory(server))
    raw = socket.create_connection(("127.0.0.1", port.getHost().port))
    raw.sendall(b"x")
    run_until(_until(lambda: bytes(server.data) == b"x"))
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    raw.close()
    reason = run_until(server.lost).failure
    assert type(reason.value) is error.ConnectionLost
    assert str(reason.value) == "Connection to the other side was lost in a non-clean fashion."
    run_until(port.stopListening())


def test_abort_right_after_connect_is_unclean_for_the_peer(reactor: Any, run_until: Any) -> None:
    class Aborter(Recorder):
        def connectionMade(self) -> None:
            super().connectionMade()
            self.transport.write(b"lost?")
            self.transport.abortConnection()

    server = Recorder()
    port = _listen(reactor, OneProtocolFactory(server))
    client = RecordingClientFactory(Aborter())
    reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    assert run_until(client.proto.lost).check(error.ConnectionAborted)
    assert run_until(server.lost).check(error.ConnectionLost)
    assert client.proto.transport.disconnected == 1
    assert client.proto.transport.connected == 0
    run_until(port.stopListening())


def test_log_prefixes_and_log_systems_follow_twisted(reactor: Any, run_until: Any) -> None:
    """transport.logPrefix() is "Proto,<session>,<peer host>" / "Proto,client"; what a
    protocol logs from its callbacks carries that as its system, as Twisted's callWithLogger."""
    from bridge import log as blog

    events: list[tuple[str, str]] = []

    def observe(event: dict[str, Any]) -> None:
        text = " ".join(str(m) for m in event.get("message", ()))
        if text.startswith("seen"):
            events.append((text, event["system"]))

    class Server(protocol.Protocol):
        def connectionMade(self) -> None:
            blog.msg("seen made")

        def dataReceived(self, data: bytes) -> None:
            blog.msg("seen data")
            self.transport.loseConnection()  # type: ignore[union-attr]

    done: Deferred[Any] = Deferred()

    class Client(protocol.Protocol):
        def connectionMade(self) -> None:
            self.transport.write(b"x")  # type: ignore[union-attr]

        def connectionLost(self, reason: Any) -> None:
            blog.msg("seen lost")
            done.callback([self.transport.logPrefix()])  # type: ignore[union-attr]

    blog.addObserver(observe)
    try:
        factory = protocol.Factory.forProtocol(Server)
        port = reactor.listenTCP(0, factory, interface="127.0.0.1")
        assert port.logPrefix() == "bridge.protocol.Factory"
        reactor.connectTCP(
            "127.0.0.1", port.getHost().port, protocol.ClientFactory.forProtocol(Client)
        )
        assert run_until(done) == ["Client,client"]
        run_until(port.stopListening())
    finally:
        blog.removeObserver(observe)
    assert ("seen made", "bridge.protocol.Factory") in events
    assert ("seen data", "Server,0,127.0.0.1") in events
    assert ("seen lost", "Client,client") in events


def test_twisted_connection_attributes(reactor: Any, run_until: Any) -> None:
    """sessionno, hostname, client/addr, logstr, reactor, socket/fileno, stop/startReading."""
    import socket

    made: Deferred[Any] = Deferred()

    class Server(protocol.Protocol):
        def connectionMade(self) -> None:
            made.callback([self.transport])

    port = reactor.listenTCP(0, protocol.Factory.forProtocol(Server), interface="127.0.0.1")
    assert port.fileno() == port.socket.fileno() > 0 and port.sessionno == 0
    client_made: Deferred[Any] = Deferred()

    class Client(protocol.Protocol):
        def connectionMade(self) -> None:
            client_made.callback([self.transport])

    reactor.connectTCP("127.0.0.1", port.getHost().port, protocol.ClientFactory.forProtocol(Client))
    [server] = run_until(made)
    [client] = run_until(client_made)
    assert (server.sessionno, server.hostname, server.client[0]) == (0, "127.0.0.1", "127.0.0.1")
    assert server.logstr == "Server,0,127.0.0.1" and port.sessionno == 1
    assert client.addr == ("127.0.0.1", port.getHost().port) and client.reactor is reactor
    assert (client.addressFamily, client.socketType) == (socket.AF_INET, socket.SOCK_STREAM)
    client.stopReading()
    client.startReading()
    client.loseConnection()
    run_until(port.stopListening())
    assert port.fileno() == -1
