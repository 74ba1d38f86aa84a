"""bridge.endpoints: endpoint objects over loopback, and the string parsers."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from zope.interface import implementer
from zope.interface.verify import verifyObject

from bridge import endpoints, error, protocol
from bridge.failure import Failure
from bridge.interfaces import (
    IHalfCloseableProtocol,
    IListeningPort,
    IStreamClientEndpoint,
    IStreamServerEndpoint,
)
from tests.reactor.test_tcp import Echo, Recorder, _has_ipv6


def _factory(proto: Any = Echo) -> protocol.Factory:
    f = protocol.Factory.forProtocol(proto)
    f.noisy = False
    return f


async def _until(pred: Any) -> None:
    while not pred():
        await asyncio.sleep(0.001)


def test_public_names() -> None:
    assert sorted(endpoints.__all__) == sorted(
        [
            "AdoptedStreamServerEndpoint",
            "HostnameEndpoint",
            "ProcessEndpoint",
            "SSL4ClientEndpoint",
            "SSL4ServerEndpoint",
            "StandardErrorBehavior",
            "StandardIOEndpoint",
            "TCP4ClientEndpoint",
            "TCP4ServerEndpoint",
            "TCP6ClientEndpoint",
            "TCP6ServerEndpoint",
            "UNIXClientEndpoint",
            "UNIXServerEndpoint",
            "clientFromString",
            "connectProtocol",
            "quoteStringArgument",
            "serverFromString",
            "wrapClientTLS",
            "wrapServerTLS",
        ]
    )
    with pytest.raises(AttributeError):
        endpoints.NoSuchEndpoint  # noqa: B018


def test_ssl_endpoints_are_re_exported() -> None:
    from bridge import _endpoints_ssl

    assert endpoints.SSL4ServerEndpoint is _endpoints_ssl.SSL4ServerEndpoint
    assert endpoints.SSL4ClientEndpoint is _endpoints_ssl.SSL4ClientEndpoint
    assert endpoints.wrapClientTLS is _endpoints_ssl.wrapClientTLS
    assert endpoints.wrapServerTLS is _endpoints_ssl.wrapServerTLS


def test_process_endpoints_are_re_exported() -> None:
    from bridge import _endpoints_process

    for name in ("ProcessEndpoint", "StandardErrorBehavior", "StandardIOEndpoint"):
        assert getattr(endpoints, name) is getattr(_endpoints_process, name)


def _echo_through(run_until: Any, proto: Recorder) -> None:
    proto.transport.write(b"endpoint")
    run_until(_until(lambda: bytes(proto.data) == b"endpoint"))
    proto.transport.loseConnection()
    run_until(proto.lost)


def test_tcp4_server_and_client(reactor: Any, run_until: Any) -> None:
    server = endpoints.TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1")
    assert verifyObject(IStreamServerEndpoint, server)
    port = run_until(server.listen(_factory()))
    assert verifyObject(IListeningPort, port)
    client = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port)
    assert verifyObject(IStreamClientEndpoint, client)
    proto = run_until(client.connect(_factory(Recorder)))
    assert isinstance(proto, Recorder)
    assert proto.made.called  # fired after connectionMade
    _echo_through(run_until, proto)
    run_until(port.stopListening())


def test_listen_failure_is_a_failed_deferred(reactor: Any, run_until: Any) -> None:
    port = run_until(
        endpoints.TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(_factory())
    )
    d = endpoints.TCP4ServerEndpoint(reactor, port.getHost().port, interface="127.0.0.1").listen(
        _factory()
    )
    with pytest.raises(error.CannotListenError):
        run_until(d)
    run_until(port.stopListening())


def test_connection_refused_fails_deferred(reactor: Any, run_until: Any) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    d = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", free).connect(_factory())
    with pytest.raises(error.ConnectionRefusedError):
        run_until(d)


def test_cancel_connect_is_connecting_cancelled(reactor: Any, run_until: Any) -> None:
    d = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", 9).connect(_factory())
    d.cancel()
    with pytest.raises(error.ConnectingCancelledError):
        run_until(d)


def test_factory_returning_none_fails_with_no_protocol(reactor: Any, run_until: Any) -> None:
    port = run_until(
        endpoints.TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(_factory())
    )

    class Nothing(protocol.Factory):
        def buildProtocol(self, addr: object) -> None:
            return None

    d = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port).connect(Nothing())
    with pytest.raises(error.NoProtocol):
        run_until(d)
    run_until(port.stopListening())


def test_connect_protocol(reactor: Any, run_until: Any) -> None:
    port = run_until(
        endpoints.TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(_factory())
    )
    proto = Recorder()
    ep = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port)
    assert run_until(endpoints.connectProtocol(ep, proto)) is proto
    assert proto.transport.protocol is proto  # the endpoint's wrapper stepped aside
    _echo_through(run_until, proto)
    run_until(port.stopListening())


@implementer(IHalfCloseableProtocol)
class HalfCloseRecorder(Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.read_lost = False

    def readConnectionLost(self) -> None:
        self.read_lost = True
        self.transport.loseConnection()

    def writeConnectionLost(self) -> None:
        pass


def test_half_close_interface_survives_wrapping(reactor: Any, run_until: Any) -> None:
    server = HalfCloseRecorder()

    class One(protocol.Factory):
        def buildProtocol(self, addr: object) -> protocol.Protocol:
            return server

    port = run_until(endpoints.TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(One()))
    client = run_until(
        endpoints.connectProtocol(
            endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port),
            HalfCloseRecorder(),
        )
    )
    client.transport.loseWriteConnection()
    run_until(server.lost)
    assert server.read_lost
    run_until(client.lost)
    run_until(port.stopListening())


@pytest.mark.skipif(not _has_ipv6(), reason="no IPv6 loopback")
def test_tcp6_endpoints(reactor: Any, run_until: Any) -> None:
    port = run_until(endpoints.TCP6ServerEndpoint(reactor, 0, interface="::1").listen(_factory()))
    proto = run_until(
        endpoints.TCP6ClientEndpoint(reactor, "::1", port.getHost().port).connect(
            _factory(Recorder)
        )
    )
    _echo_through(run_until, proto)
    run_until(port.stopListening())


def test_hostname_endpoint(reactor: Any, run_until: Any) -> None:
    port = run_until(
        endpoints.TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(_factory())
    )
    ep = endpoints.HostnameEndpoint(reactor, b"localhost", port.getHost().port)
    assert verifyObject(IStreamClientEndpoint, ep)
    proto = run_until(ep.connect(_factory(Recorder)))
    assert proto.transport.getPeer().host == "127.0.0.1"
    _echo_through(run_until, proto)
    run_until(port.stopListening())


def test_hostname_endpoint_dns_failure(reactor: Any, run_until: Any) -> None:
    ep = endpoints.HostnameEndpoint(reactor, "no-such-host.invalid", 80)
    with pytest.raises(error.DNSLookupError):
        run_until(ep.connect(_factory()), timeout=10)


def test_hostname_endpoint_all_refused(reactor: Any, run_until: Any) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    ep = endpoints.HostnameEndpoint(reactor, "127.0.0.1", free)
    with pytest.raises(error.ConnectError):
        run_until(ep.connect(_factory()))


@pytest.fixture
def sock_path(tmp_path: Path) -> Iterator[str]:
    path = f"/tmp/bridge-ep-{os.getpid()}-{tmp_path.name[-12:]}.sock"
    yield path
    for p in (path, path + ".lock"):
        if os.path.lexists(p):
            os.unlink(p)


def test_unix_endpoints(reactor: Any, run_until: Any, sock_path: str) -> None:
    port = run_until(endpoints.UNIXServerEndpoint(reactor, sock_path).listen(_factory()))
    proto = run_until(endpoints.UNIXClientEndpoint(reactor, sock_path).connect(_factory(Recorder)))
    _echo_through(run_until, proto)
    run_until(port.stopListening())


def test_strings_end_to_end(reactor: Any, run_until: Any, sock_path: str) -> None:
    port = run_until(
        endpoints.serverFromString(reactor, "tcp:0:interface=127.0.0.1").listen(_factory())
    )
    number = port.getHost().port
    proto = run_until(
        endpoints.clientFromString(reactor, f"tcp:host=127.0.0.1:port={number}").connect(
            _factory(Recorder)
        )
    )
    _echo_through(run_until, proto)
    run_until(port.stopListening())
    uport = run_until(
        endpoints.serverFromString(reactor, f"unix:{sock_path}:mode=600").listen(_factory())
    )
    assert os.stat(sock_path).st_mode & 0o777 == 0o600
    proto = run_until(
        endpoints.clientFromString(reactor, f"unix:path={sock_path}").connect(_factory(Recorder))
    )
    _echo_through(run_until, proto)
    run_until(uport.stopListening())


@pytest.mark.parametrize(
    ("description", "klass", "attrs"),
    [
        ("tcp:80", endpoints.TCP4ServerEndpoint, {"_port": 80, "_interface": "", "_backlog": 50}),
        (
            "tcp:8080:interface=127.0.0.1:backlog=7",
            endpoints.TCP4ServerEndpoint,
            {"_port": 8080, "_interface": "127.0.0.1", "_backlog": 7},
        ),
        ("TCP:port=81", endpoints.TCP4ServerEndpoint, {"_port": 81}),
        (r"tcp6:80:interface=\:\:1", endpoints.TCP6ServerEndpoint, {"_interface": "::1"}),
        ("tcp6:80", endpoints.TCP6ServerEndpoint, {"_interface": "::"}),
        (
            "unix:/var/run/x.sock:mode=660:lockfile=1",
            endpoints.UNIXServerEndpoint,
            {"_address": "/var/run/x.sock", "_mode": 0o660, "_wantPID": True},
        ),
        (
            "unix:address=/a\\:b",
            endpoints.UNIXServerEndpoint,
            {"_address": "/a:b", "_wantPID": True, "_mode": 0o666},
        ),
        ("unix:/a:lockfile=0", endpoints.UNIXServerEndpoint, {"_wantPID": False}),
    ],
)
def test_server_from_string(description: str, klass: type, attrs: dict[str, Any]) -> None:
    ep = endpoints.serverFromString(object(), description)
    assert type(ep) is klass
    for name, value in attrs.items():
        assert getattr(ep, name) == value


@pytest.mark.parametrize(
    ("description", "klass", "attrs"),
    [
        (
            "tcp:host=example.com:port=80",
            endpoints.TCP4ClientEndpoint,
            {"_host": "example.com", "_port": 80, "_timeout": 30, "_bindAddress": None},
        ),
        (
            "tcp:example.com:80:timeout=5:bindAddress=10.0.0.1",
            endpoints.TCP4ClientEndpoint,
            {"_timeout": 5.0, "_bindAddress": ("10.0.0.1", 0)},
        ),
        (r"tcp6:host=\:\:1:port=80", endpoints.TCP6ClientEndpoint, {"_host": "::1"}),
        (
            "unix:path=/x.sock:timeout=2",
            endpoints.UNIXClientEndpoint,
            {"_path": "/x.sock", "_timeout": 2.0},
        ),
        ("unix:/x.sock:checkPID=1", endpoints.UNIXClientEndpoint, {"_checkPID": True}),
    ],
)
def test_client_from_string(description: str, klass: type, attrs: dict[str, Any]) -> None:
    ep = endpoints.clientFromString(object(), description)
    assert type(ep) is klass
    for name, value in attrs.items():
        assert getattr(ep, name) == value


@pytest.mark.parametrize(
    ("function", "description", "message"),
    [
        ("server", "bogus:80", "unknown endpoint type 'bogus'"),
        ("server", "tcp:http", "port 'http' is not a number"),
        ("server", "tcp:80:colour=red", "unknown option 'colour'"),
        ("server", "tcp:interface=127.0.0.1", "a port is required"),
        ("server", "tcp:80:backlog=many", "backlog 'many' is not a number"),
        ("server", "unix:/x:mode=999", "mode '999' is not a base-8 number"),
        ("server", "tcp:80:127.0.0.1:5:extra", "too many positional parts"),
        ("client", "tcp:host=example.com", "port is required"),
        ("client", "tcp:example.com:eighty", "port 'eighty' is not a number"),
        ("client", "tcp:example.com:80:timeout=soon", "timeout 'soon' is not a number"),
        ("client", "tcp:example.com:80:host=other", "host given twice"),
        ("client", "unix:timeout=3", "a socket path is required"),
        ("client", "", "unknown endpoint type ''"),
        ("client", "tcp:a:80\\", "trailing backslash"),
    ],
)
def test_bad_strings_name_the_bad_part(function: str, description: str, message: str) -> None:
    parse = endpoints.serverFromString if function == "server" else endpoints.clientFromString
    with pytest.raises(ValueError, match=message.replace("(", r"\(")) as info:
        parse(object(), description)
    assert repr(description) in str(info.value) or description == ""


def test_wrapping_factory_reports_build_errors(reactor: Any, run_until: Any) -> None:
    port = run_until(
        endpoints.TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(_factory())
    )

    class Broken(protocol.Factory):
        def buildProtocol(self, addr: object) -> protocol.Protocol:
            raise RuntimeError("cannot build")

    d = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port).connect(Broken())
    with pytest.raises(RuntimeError, match="cannot build"):
        run_until(d)
    run_until(port.stopListening())


_SHARED_SERVER_STRINGS = [
    "tcp:80",
    "tcp:8080:interface=127.0.0.1:backlog=7",
    r"tcp6:80:interface=\:\:1",
    "tcp6:80",
    "unix:/var/run/x.sock:mode=660:lockfile=1",
    "unix:address=/a\\:b",
    "unix:/a:lockfile=0:backlog=3",
]
_SHARED_CLIENT_STRINGS = [
    "tcp:host=example.com:port=80",
    "tcp:example.com:80:timeout=5:bindAddress=10.0.0.1",
    "unix:path=/x.sock:timeout=2",
    "unix:/x.sock:lockfile=1",
]


def _state(endpoint: object) -> tuple[str, dict[str, object]]:
    attrs = {k: v for k, v in vars(endpoint).items() if k != "_reactor"}
    return type(endpoint).__name__, attrs


@pytest.mark.parametrize("description", _SHARED_SERVER_STRINGS)
def test_server_strings_match_twisted(description: str) -> None:
    twisted_endpoints = pytest.importorskip("twisted.internet.endpoints")
    from twisted.internet.testing import MemoryReactor

    theirs = twisted_endpoints.serverFromString(MemoryReactor(), description)
    ours = endpoints.serverFromString(object(), description)
    assert _state(ours) == _state(theirs)


@pytest.mark.parametrize("description", _SHARED_CLIENT_STRINGS)
def test_client_strings_match_twisted(description: str) -> None:
    twisted_endpoints = pytest.importorskip("twisted.internet.endpoints")
    from twisted.internet.testing import MemoryReactor

    theirs = twisted_endpoints.clientFromString(MemoryReactor(), description)
    ours = endpoints.clientFromString(object(), description)
    assert _state(ours) == _state(theirs)


def test_hostname_endpoint_cancel_while_connecting(
    reactor: Any, run_until: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop = reactor._loop

    async def hang(sock: Any, address: Any) -> None:
        await asyncio.sleep(3600)

    monkeypatch.setattr(loop, "sock_connect", hang)
    d = endpoints.HostnameEndpoint(reactor, "127.0.0.1", 9).connect(_factory())
    run_until(asyncio.sleep(0.01))
    d.cancel()
    with pytest.raises(error.ConnectingCancelledError):
        run_until(d)


def test_connect_cancel_after_connected_is_a_no_op(reactor: Any, run_until: Any) -> None:
    port = run_until(
        endpoints.TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(_factory())
    )
    d = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port).connect(
        _factory(Recorder)
    )
    proto = run_until(d)
    d.cancel()
    _echo_through(run_until, proto)
    run_until(port.stopListening())


@pytest.mark.skipif(not _has_ipv6(), reason="no IPv6 loopback")
def test_tcp6_client_resolves_host_names_to_ipv6(
    reactor: Any, run_until: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    port = run_until(endpoints.TCP6ServerEndpoint(reactor, 0, interface="::1").listen(_factory()))
    number = port.getHost().port
    asked: list[tuple[Any, ...]] = []

    async def getaddrinfo(host: str, port: int, **kw: Any) -> list[Any]:
        asked.append((host, kw.get("family")))
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", port, 0, 0))]

    monkeypatch.setattr(reactor._loop, "getaddrinfo", getaddrinfo)
    proto = run_until(
        endpoints.TCP6ClientEndpoint(reactor, "ip6-host.test", number).connect(_factory(Recorder))
    )
    assert asked[0] == ("ip6-host.test", socket.AF_INET6)  # uvloop also resolves "::1"
    assert proto.transport.getPeer().host == "::1"
    _echo_through(run_until, proto)
    run_until(port.stopListening())


# -- unit tests on bridge.testing's MemoryReactor: no loop, no sockets ----------------------------


def test_tcp_client_endpoint_on_memory_reactor() -> None:
    from bridge.testing import MemoryReactor, StringTransport
    from tests.helpers import assert_no_result, failure_result_of, success_result_of

    reactor = MemoryReactor()
    d = endpoints.TCP4ClientEndpoint(reactor, "example.com", 80, timeout=7).connect(
        _factory(Recorder)
    )
    host, port, factory, timeout, bind = reactor.tcpClients[0]
    assert (host, port, timeout, bind) == ("example.com", 80, 7, None)
    assert_no_result(d)
    proto = factory.buildProtocol(None)
    proto.makeConnection(StringTransport())
    connected = success_result_of(d)
    assert isinstance(connected, Recorder)
    assert connected.made.called

    d2 = endpoints.TCP4ClientEndpoint(reactor, "example.com", 81).connect(_factory())
    reactor.tcpClients[1][2].clientConnectionFailed(None, Failure(error.ConnectionRefusedError()))
    failure_result_of(d2, error.ConnectionRefusedError)


def test_server_endpoint_on_memory_reactor() -> None:
    from bridge.testing import MemoryReactor
    from tests.helpers import success_result_of

    reactor = MemoryReactor()
    factory = _factory()
    success_result_of(endpoints.TCP4ServerEndpoint(reactor, 8080, 5, "127.0.0.1").listen(factory))
    assert reactor.tcpServers[0][:4] == (8080, factory, 5, "127.0.0.1")


def test_hostname_endpoint_uses_the_reactors_name_resolver() -> None:
    from bridge.testing import MemoryReactorClock, StringTransport
    from tests.helpers import success_result_of

    reactor = MemoryReactorClock()
    d = endpoints.HostnameEndpoint(reactor, b"example.com", 80).connect(_factory(Recorder))
    host, port, factory, _, _ = reactor.tcpClients[0]
    assert (host, port) == ("127.0.0.1", 80)  # SynchronousResolver: no network lookup
    factory.buildProtocol(None).makeConnection(StringTransport())
    assert isinstance(success_result_of(d), Recorder)


def test_adopted_stream_server_endpoint(reactor: Any, run_until: Any) -> None:
    import socket

    raw = socket.socket()
    raw.bind(("127.0.0.1", 0))
    raw.listen(5)
    number = raw.getsockname()[1]
    fd = raw.detach()  # the endpoint closes the descriptor
    ep = endpoints.AdoptedStreamServerEndpoint(reactor, fd, socket.AF_INET)
    assert verifyObject(IStreamServerEndpoint, ep)
    port = run_until(ep.listen(_factory()))
    assert port.getHost().port == number
    with pytest.raises(error.AlreadyListened):
        run_until(ep.listen(_factory()))
    proto = run_until(
        endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", number).connect(_factory(Recorder))
    )
    _echo_through(run_until, proto)
    run_until(port.stopListening())


def test_public_names_match_twisted() -> None:
    twisted_endpoints = pytest.importorskip("twisted.internet.endpoints")
    assert set(twisted_endpoints.__all__) <= set(endpoints.__all__)


def test_quote_string_argument_round_trips() -> None:
    path = "/odd:dir\\name/sock"
    quoted = endpoints.quoteStringArgument(path)
    assert quoted == "/odd\\:dir\\\\name/sock"
    ep = endpoints.serverFromString(object(), "unix:" + quoted)
    assert ep._address == path
    twisted_endpoints = pytest.importorskip("twisted.internet.endpoints")
    assert twisted_endpoints.quoteStringArgument(path) == quoted


@pytest.mark.parametrize(
    ("module", "name"), [("endpoints", "StandardErrorBehavior"), ("ssl", "TLSVersion")]
)
def test_constants_classes_speak_constantly_as_twisted(module: str, name: str) -> None:
    theirs = getattr(pytest.importorskip(f"twisted.internet.{module}"), name)
    ours = getattr(__import__(f"bridge.{module}", fromlist=[name]), name)
    assert [repr(c) for c in ours.iterconstants()] == [repr(c) for c in theirs.iterconstants()]
    first = next(iter(theirs.iterconstants())).name
    assert str(ours.lookupByName(first)) == str(theirs.lookupByName(first))
    with pytest.raises(ValueError):
        ours.lookupByName("NOPE")
