"""Unit tests for bridge.protocol: no loop, no sockets."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest
from zope.interface.verify import verifyClass, verifyObject

from bridge import error, protocol
from bridge.failure import Failure
from bridge.interfaces import (
    ILoggingContext,
    IProcessProtocol,
    IProtocol,
    IProtocolFactory,
)


class _FakeCall:
    def __init__(self, clock: _FakeClock, delay: float, f: Any) -> None:
        self.clock, self.delay, self.f = clock, delay, f
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True
        self.clock.calls.remove(self)


class _FakeClock:
    def __init__(self) -> None:
        self.calls: list[_FakeCall] = []

    def callLater(self, delay: float, f: Any, *a: Any) -> _FakeCall:
        call = _FakeCall(self, delay, lambda: f(*a))
        self.calls.append(call)
        return call

    def run_next(self) -> None:
        call = self.calls.pop(0)
        call.f()


class _FakeConnector:
    def __init__(self) -> None:
        self.connects = 0
        self.stopped = 0
        self.connecting = False

    def connect(self) -> None:
        self.connects += 1

    def stopConnecting(self) -> None:
        if not self.connecting:
            raise error.NotConnectingError("not connecting")
        self.stopped += 1


def test_all_names_exist() -> None:
    assert sorted(protocol.__all__) == sorted(
        [
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
    )
    for name in protocol.__all__:
        assert hasattr(protocol, name)


def test_interfaces_are_declared_and_verified() -> None:
    assert verifyClass(IProtocol, protocol.Protocol)
    assert verifyObject(IProtocol, protocol.Protocol())
    assert verifyObject(ILoggingContext, protocol.Protocol())
    assert verifyObject(IProtocolFactory, protocol.Factory())
    assert verifyObject(IProcessProtocol, protocol.ProcessProtocol())
    assert ILoggingContext.providedBy(protocol.DatagramProtocol())


def test_connection_done_is_a_clean_failure() -> None:
    assert isinstance(protocol.connectionDone, Failure)
    assert protocol.connectionDone.check(error.ConnectionDone)


def test_make_connection_sets_transport_and_calls_connection_made() -> None:
    seen: list[object] = []

    class P(protocol.Protocol):
        def connectionMade(self) -> None:
            seen.append(self.transport)

    p = P()
    transport = object()
    p.makeConnection(transport)
    assert seen == [transport]
    assert p.connected
    assert p.logPrefix() == "P"


def test_connection_lost_default_reason() -> None:
    protocol.Protocol().connectionLost()  # the default argument is connectionDone


def test_factory_build_protocol_sets_factory() -> None:
    factory = protocol.Factory.forProtocol(protocol.Protocol)
    p = factory.buildProtocol(None)
    assert isinstance(p, protocol.Protocol)
    assert p.factory is factory


def test_factory_without_protocol_explains() -> None:
    with pytest.raises(TypeError, match="forProtocol"):
        protocol.Factory().buildProtocol(None)


def test_for_protocol_passes_constructor_arguments() -> None:
    class F(protocol.ClientFactory):
        def __init__(self, value: int) -> None:
            self.value = value

    factory = F.forProtocol(protocol.Protocol, 7)
    assert isinstance(factory, F)
    assert factory.value == 7
    assert factory.protocol is protocol.Protocol


def test_do_start_do_stop_count_ports(caplog: pytest.LogCaptureFixture) -> None:
    events: list[str] = []

    class F(protocol.Factory):
        def startFactory(self) -> None:
            events.append("start")

        def stopFactory(self) -> None:
            events.append("stop")

    f = F()
    with caplog.at_level(logging.INFO, logger="bridge"):
        f.doStart()
        f.doStart()
        assert events == ["start"]
        f.doStop()
        assert events == ["start"]
        f.doStop()
        assert events == ["start", "stop"]
        f.doStop()  # one stop too many is ignored
    assert events == ["start", "stop"]
    assert f.numPorts == 0
    assert "Starting factory" in caplog.text


def test_quiet_factory_does_not_log(caplog: pytest.LogCaptureFixture) -> None:
    f = protocol.Factory()
    f.noisy = False
    with caplog.at_level(logging.DEBUG, logger="bridge"):
        f.doStart()
        f.doStop()
    assert "factory" not in caplog.text


def test_process_protocol_routes_by_file_descriptor() -> None:
    events: list[tuple[str, object]] = []

    class P(protocol.ProcessProtocol):
        def outReceived(self, data: bytes) -> None:
            events.append(("out", data))

        def errReceived(self, data: bytes) -> None:
            events.append(("err", data))

        def inConnectionLost(self) -> None:
            events.append(("in-lost", None))

        def outConnectionLost(self) -> None:
            events.append(("out-lost", None))

        def errConnectionLost(self) -> None:
            events.append(("err-lost", None))

    p = P()
    p.childDataReceived(1, b"a")
    p.childDataReceived(2, b"b")
    p.childDataReceived(3, b"ignored")
    for fd in (0, 1, 2, 3):
        p.childConnectionLost(fd)
    assert events == [
        ("out", b"a"),
        ("err", b"b"),
        ("in-lost", None),
        ("out-lost", None),
        ("err-lost", None),
    ]


def _reconnecting(clock: _FakeClock) -> protocol.ReconnectingClientFactory:
    f = protocol.ReconnectingClientFactory()
    f.clock = clock
    f.noisy = False
    f.jitter = 0
    return f


def test_reconnecting_factory_backs_off_exponentially_up_to_max_delay() -> None:
    clock = _FakeClock()
    f = _reconnecting(clock)
    f.maxDelay = 5
    connector = _FakeConnector()
    delays = []
    for _ in range(4):
        f.clientConnectionFailed(connector, Failure(error.ConnectionRefusedError()))
        delays.append(clock.calls[-1].delay)
        clock.run_next()
    assert delays[0] == 1.0
    assert delays[1] == pytest.approx(f.factor)
    assert delays[2:] == [5, 5]
    assert connector.connects == 4
    assert f.retries == 4


def test_reconnecting_factory_gives_up_after_max_retries() -> None:
    clock = _FakeClock()
    f = _reconnecting(clock)
    f.maxRetries = 1
    connector = _FakeConnector()
    f.clientConnectionLost(connector, Failure(error.ConnectionLost()))
    clock.run_next()
    f.clientConnectionLost(connector, Failure(error.ConnectionLost()))
    assert clock.calls == []


def test_reconnecting_factory_stop_trying_cancels_pending_retry() -> None:
    clock = _FakeClock()
    f = _reconnecting(clock)
    connector = _FakeConnector()
    f.clientConnectionFailed(connector, Failure(error.ConnectionRefusedError()))
    assert len(clock.calls) == 1
    f.stopTrying()  # NotConnectingError from the connector is swallowed
    assert clock.calls == []
    f.clientConnectionFailed(connector, Failure(error.ConnectionRefusedError()))
    assert clock.calls == []
    connector.connecting = True
    f.stopTrying()
    assert connector.stopped == 1


def test_reconnecting_factory_reset_delay() -> None:
    clock = _FakeClock()
    f = _reconnecting(clock)
    connector = _FakeConnector()
    f.clientConnectionFailed(connector, Failure(error.ConnectionRefusedError()))
    f.clientConnectionFailed(connector, Failure(error.ConnectionRefusedError()))
    assert f.delay > f.initialDelay
    f.resetDelay()
    assert (f.delay, f.retries, f.continueTrying) == (f.initialDelay, 0, 1)


def test_reconnecting_factory_jitter_varies_delay() -> None:
    clock = _FakeClock()
    f = _reconnecting(clock)
    f.jitter = 0.5
    connector = _FakeConnector()
    for _ in range(5):
        f.clientConnectionFailed(connector, Failure(error.ConnectionRefusedError()))
    delays = {call.delay for call in clock.calls}
    assert len(delays) == 5


def test_retry_without_connector_explains() -> None:
    f = _reconnecting(_FakeClock())
    with pytest.raises(ValueError, match="no connector to retry"):
        f.retry()


def test_reconnecting_factory_pickles_without_connector() -> None:
    import pickle

    f = protocol.ReconnectingClientFactory()
    f.connector = "live"
    f.retries = 3
    clone = pickle.loads(pickle.dumps(f))
    assert clone.connector is None
    assert clone.retries == 0


def test_datagram_protocol_start_stop() -> None:
    events: list[str] = []

    class P(protocol.DatagramProtocol):
        noisy = False

        def startProtocol(self) -> None:
            events.append("start")

        def stopProtocol(self) -> None:
            events.append("stop")

    p = P()
    transport = object()
    p.makeConnection(transport)
    assert p.transport is transport
    assert events == ["start"]
    with pytest.raises(RuntimeError, match="already attached"):
        p.makeConnection(object())
    p.doStop()
    assert p.transport is None
    assert events == ["start", "stop"]
    with pytest.raises(RuntimeError, match="more often"):
        p.doStop()
    assert p.logPrefix() == "P"


def test_file_wrapper_writes_and_closes() -> None:
    f = io.BytesIO()
    closed: list[bool] = []
    f.close = lambda: closed.append(True)  # type: ignore[method-assign]
    w = protocol.FileWrapper(f)
    w.write(b"ab")
    w.writeSequence([b"c", b"d"])
    assert f.getvalue() == b"abcd"
    w.loseConnection()
    assert closed == [True]
    assert w.closed


@pytest.mark.parametrize(
    "name",
    ["Factory", "ReconnectingClientFactory", "AbstractDatagramProtocol", "FileWrapper"],
)
def test_class_defaults_match_twisted(name: str) -> None:
    theirs_module = pytest.importorskip("twisted.internet.protocol")
    theirs = getattr(theirs_module, name)
    ours = getattr(protocol, name)
    for attr, value in vars(theirs).items():
        if attr.startswith("__") or callable(value) or isinstance(value, classmethod):
            continue
        assert getattr(ours, attr) == value, attr


def test_public_methods_match_twisted() -> None:
    theirs_module = pytest.importorskip("twisted.internet.protocol")
    for name in protocol.__all__:
        theirs = getattr(theirs_module, name, None)
        if not isinstance(theirs, type):
            continue
        from twisted.python.components import Adapter

        inherited = set(dir(Adapter))  # legacy adapter plumbing, not protocol API
        public = {m for m in dir(theirs) if not m.startswith("_") and m not in inherited}
        missing = {m for m in public if not hasattr(getattr(protocol, name), m)}
        assert not missing, (name, missing)


def test_protocol_consumer_adapters() -> None:
    got: list[bytes] = []

    class P(protocol.Protocol):
        def dataReceived(self, data: bytes) -> None:
            got.append(data)

    consumer = protocol.ProtocolToConsumerAdapter(P())
    consumer.registerProducer(None, True)
    consumer.write(b"to protocol")
    consumer.unregisterProducer()
    as_protocol = protocol.ConsumerToProtocolAdapter(io.BytesIO())
    as_protocol.makeConnection(None)
    as_protocol.dataReceived(b"to consumer")
    assert got == [b"to protocol"]
    assert as_protocol.original.getvalue() == b"to consumer"
