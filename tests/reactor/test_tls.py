"""listenSSL/connectSSL/startTLS over real loopback sockets, on stdlib asyncio and on uvloop.

Certificates come from trustme at test time (a throw-away CA, a server certificate for
``localhost``/``127.0.0.1`` and a client certificate); nothing is stored on disk beyond tmp_path.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import ssl
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import trustme
from zope.interface import implementer
from zope.interface.verify import verifyObject

from bridge import error, protocol
from bridge import ssl as bssl
from bridge.defer import Deferred
from bridge.failure import Failure
from bridge.interfaces import (
    IHandshakeListener,
    INegotiated,
    IPushProducer,
    ISSLTransport,
    ITLSTransport,
)

# -- certificates ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_cert(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert("localhost", "127.0.0.1", common_name="bridge tls server")


@pytest.fixture(scope="module")
def client_cert(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert("client@example.com", common_name="bridge tls client")


@pytest.fixture
def server_files(tmp_path: Path, server_cert: trustme.LeafCert) -> tuple[str, str]:
    key, cert = tmp_path / "server.key", tmp_path / "server.crt"
    server_cert.private_key_pem.write_to_path(str(key))
    server_cert.cert_chain_pems[0].write_to_path(str(cert))
    return str(key), str(cert)


def _private(cert: trustme.LeafCert) -> bssl.PrivateCertificate:
    return bssl.PrivateCertificate.loadPEM(cert.private_key_and_cert_chain_pem.bytes())


def _authority(ca: trustme.CA) -> bssl.Certificate:
    return bssl.Certificate.loadPEM(ca.cert_pem.bytes())


def _client_options(ca: trustme.CA, hostname: str = "localhost", **kw: Any) -> Any:
    return bssl.optionsForClientTLS(hostname, trustRoot=_authority(ca), **kw)


# -- protocols -------------------------------------------------------------------------------


class Reason:
    """Carry a Failure through a Deferred's callback (a bare Failure would errback)."""

    def __init__(self, failure: Failure) -> None:
        self.failure = failure

    def check(self, *types: type[BaseException]) -> object:
        return self.failure.check(*types)


class Recorder(protocol.Protocol):
    """Record everything; fire ``made``/``lost`` Deferreds."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.made: Deferred[Recorder] = Deferred()
        self.lost: Deferred[Reason] = Deferred()

    def connectionMade(self) -> None:
        self.made.callback(self)

    def dataReceived(self, data: bytes) -> None:
        self.data += data

    def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
        self.lost.callback(Reason(reason))


class Echo(Recorder):
    def dataReceived(self, data: bytes) -> None:
        super().dataReceived(data)
        self.transport.write(data)


class Servers(protocol.ServerFactory):
    """Build protocols of *kind*, remembering each, and fire ``first`` with the first."""

    noisy = False

    def __init__(self, kind: type[Recorder] = Echo) -> None:
        self.kind = kind
        self.built: list[Recorder] = []
        self.first: Deferred[Recorder] = Deferred()

    def buildProtocol(self, addr: object) -> Recorder:
        proto = self.kind()
        proto.factory = self
        self.built.append(proto)
        if len(self.built) == 1:
            proto.made.addCallback(self.first.callback)
        return proto


class Client(protocol.ClientFactory):
    noisy = False

    def __init__(self, proto: Recorder | None = None) -> None:
        self.proto = proto if proto is not None else Recorder()
        self.failed: Deferred[Reason] = Deferred()

    def buildProtocol(self, addr: object) -> Recorder:
        self.proto.factory = self
        return self.proto

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        self.failed.callback(Reason(reason))


async def _until(predicate: Any) -> None:
    while not predicate():
        await asyncio.sleep(0.002)


def _first_of(*ds: Deferred[Any]) -> Deferred[Any]:
    """Fire with ``(index, result)`` of whichever Deferred fires first."""
    out: Deferred[Any] = Deferred()
    for i, d in enumerate(ds):
        d.addCallback(lambda r, i=i: None if out.called else out.callback((i, r)))
    return out


# -- listenSSL / connectSSL ------------------------------------------------------------------


def test_echo_over_tls_with_verified_client(
    reactor: Any, run_until: Any, ca: trustme.CA, server_files: tuple[str, str]
) -> None:
    servers = Servers()
    port = reactor.listenSSL(
        0, servers, bssl.DefaultOpenSSLContextFactory(*server_files), interface="127.0.0.1"
    )
    client = Client()
    reactor.connectSSL("127.0.0.1", port.getHost().port, client, _client_options(ca))
    proto = run_until(client.proto.made)
    server = run_until(servers.first)
    for transport in (proto.transport, server.transport):
        assert ISSLTransport.providedBy(transport) and transport.TLS
        assert verifyObject(INegotiated, transport)
        assert transport.negotiatedProtocol is None
    peer = proto.transport.getPeerCertificate()
    assert isinstance(peer, bssl.Certificate)
    assert peer.getSubject().commonName == b"bridge tls server"
    assert bssl.Certificate.peerFromTransport(proto.transport) == peer
    assert bssl.Certificate.hostFromTransport(server.transport) == peer
    with pytest.raises(error.CertificateError):
        bssl.Certificate.hostFromTransport(proto.transport)  # the client presents none
    assert server.transport.getPeerCertificate() is None  # no client certificate asked for
    proto.transport.write(b"hello ")
    proto.transport.writeSequence([b"over ", b"TLS"])
    run_until(_until(lambda: bytes(proto.data) == b"hello over TLS"))
    proto.transport.loseConnection()
    assert run_until(proto.lost).check(error.ConnectionDone)
    assert run_until(server.lost).check(error.ConnectionDone)
    run_until(port.stopListening())


def test_plain_ssl_contexts_are_accepted(
    reactor: Any, run_until: Any, ca: trustme.CA, server_cert: trustme.LeafCert
) -> None:
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_cert.configure_cert(server_context)
    client_context = ssl.create_default_context(cadata=ca.cert_pem.bytes().decode())
    servers = Servers()
    port = reactor.listenSSL(0, servers, server_context, interface="127.0.0.1")
    client = Client()
    # The host name checked is the one connected to: 127.0.0.1 is in the certificate.
    reactor.connectSSL("127.0.0.1", port.getHost().port, client, client_context)
    proto = run_until(client.proto.made)
    proto.transport.write(b"ping")
    run_until(_until(lambda: bytes(proto.data) == b"ping"))
    proto.transport.loseConnection()
    run_until(proto.lost)
    run_until(port.stopListening())


def test_untrusted_certificate_fails_the_connection(
    reactor: Any, run_until: Any, server_cert: trustme.LeafCert
) -> None:
    servers = Servers()
    port = reactor.listenSSL(0, servers, _private(server_cert).options(), interface="127.0.0.1")
    stranger = trustme.CA()
    client = Client()
    reactor.connectSSL("127.0.0.1", port.getHost().port, client, _client_options(stranger))
    reason = run_until(client.failed)
    assert reason.check(error.SSLError)
    assert reason.check(error.ConnectError)
    assert "certificate verify failed" in str(reason.failure.value)
    assert isinstance(reason.failure.value.osError, ssl.SSLCertVerificationError)
    assert not client.proto.made.called
    run_until(port.stopListening())
    assert all(not p.made.called for p in servers.built)


def test_host_name_mismatch_fails_the_connection(
    reactor: Any, run_until: Any, ca: trustme.CA, server_cert: trustme.LeafCert
) -> None:
    port = reactor.listenSSL(0, Servers(), _private(server_cert).options(), interface="127.0.0.1")
    client = Client()
    options = _client_options(ca, hostname="example.com")
    reactor.connectSSL("127.0.0.1", port.getHost().port, client, options)
    reason = run_until(client.failed)
    assert reason.check(error.SSLError)
    assert "Hostname mismatch" in str(reason.failure.value)
    assert not client.proto.made.called
    run_until(port.stopListening())


def test_client_certificate_is_seen_by_the_server(
    reactor: Any,
    run_until: Any,
    ca: trustme.CA,
    server_cert: trustme.LeafCert,
    client_cert: trustme.LeafCert,
) -> None:
    servers = Servers()
    options = _private(server_cert).options(_authority(ca))  # require a client certificate
    port = reactor.listenSSL(0, servers, options, interface="127.0.0.1")
    client = Client()
    mine = _private(client_cert)
    reactor.connectSSL(
        "127.0.0.1", port.getHost().port, client, _client_options(ca, clientCertificate=mine)
    )
    proto = run_until(client.proto.made)
    server = run_until(servers.first)
    seen = server.transport.getPeerCertificate()
    assert seen == mine
    assert seen.getSubject().CN == b"bridge tls client"
    proto.transport.write(b"authenticated")
    run_until(_until(lambda: bytes(proto.data) == b"authenticated"))
    proto.transport.loseConnection()
    run_until(server.lost)
    run_until(port.stopListening())


def test_server_rejects_a_client_without_certificate(
    reactor: Any, run_until: Any, ca: trustme.CA, server_cert: trustme.LeafCert
) -> None:
    servers = Servers()
    options = _private(server_cert).options(_authority(ca))
    port = reactor.listenSSL(0, servers, options, interface="127.0.0.1")
    client = Client()
    reactor.connectSSL("127.0.0.1", port.getHost().port, client, _client_options(ca))
    # TLS 1.3 finishes the client's handshake before the server checks the client
    # certificate, so the client sees either a failed connection or a lost one (asyncio
    # may even report the server's close as clean). The server's protocol never connects.
    run_until(_first_of(client.failed, client.proto.lost))
    run_until(port.stopListening())
    assert all(not p.made.called for p in servers.built)


def test_lose_connection_flushes_everything_over_tls(
    reactor: Any, run_until: Any, ca: trustme.CA, server_cert: trustme.LeafCert
) -> None:
    payload = os.urandom(1 << 20)

    class Sender(Recorder):
        def connectionMade(self) -> None:
            super().connectionMade()
            for i in range(0, len(payload), 65536):
                self.transport.write(payload[i : i + 65536])
            self.transport.loseConnection()

    port = reactor.listenSSL(
        0, Servers(Sender), _private(server_cert).options(), interface="127.0.0.1"
    )
    client = Client()
    reactor.connectSSL("127.0.0.1", port.getHost().port, client, _client_options(ca))
    reason = run_until(client.proto.lost, timeout=20)
    assert reason.check(error.ConnectionDone)
    assert hashlib.sha256(client.proto.data).digest() == hashlib.sha256(payload).digest()
    run_until(port.stopListening())


def test_alpn_negotiated_protocol(
    reactor: Any, run_until: Any, ca: trustme.CA, server_cert: trustme.LeafCert
) -> None:
    private = _private(server_cert)
    server_options = bssl.CertificateOptions(
        privateKey=private.privateKey, certificate=private, acceptableProtocols=[b"h2", b"x"]
    )
    servers = Servers()
    port = reactor.listenSSL(0, servers, server_options, interface="127.0.0.1")
    client = Client()
    options = _client_options(ca, acceptableProtocols=[b"x", b"http/1.1"])
    reactor.connectSSL("127.0.0.1", port.getHost().port, client, options)
    proto = run_until(client.proto.made)
    server = run_until(servers.first)
    assert proto.transport.negotiatedProtocol == b"x"
    assert server.transport.negotiatedProtocol == b"x"
    proto.transport.loseConnection()
    run_until(server.lost)
    run_until(port.stopListening())


@implementer(IPushProducer)
class Pusher:
    """Write *total* bytes in 64 KiB chunks whenever resumed; count the pauses."""

    def __init__(self, transport: Any, total: int) -> None:
        self.transport = transport
        self.total = total
        self.sent = 0
        self.paused = False
        self.pauses = 0
        self.digest = hashlib.sha256()

    def pauseProducing(self) -> None:
        self.paused = True
        self.pauses += 1

    def resumeProducing(self) -> None:
        self.paused = False
        while not self.paused and self.sent < self.total:
            chunk = os.urandom(65536)
            self.digest.update(chunk)
            self.sent += len(chunk)
            self.transport.write(chunk)
        if self.sent >= self.total:
            self.transport.unregisterProducer()
            self.transport.loseConnection()

    def stopProducing(self) -> None:
        self.paused = True


def test_push_producer_is_paused_by_a_slow_tls_reader(
    reactor: Any, run_until: Any, ca: trustme.CA, server_cert: trustme.LeafCert
) -> None:
    class Server(Recorder):
        def connectionMade(self) -> None:
            super().connectionMade()
            self.pusher = Pusher(self.transport, 8 << 20)
            self.transport.registerProducer(self.pusher, True)
            self.pusher.resumeProducing()

    class SlowReader(Recorder):
        def connectionMade(self) -> None:
            super().connectionMade()
            self.transport.pauseProducing()

    servers = Servers(Server)
    port = reactor.listenSSL(0, servers, _private(server_cert).options(), interface="127.0.0.1")
    proto = SlowReader()
    reactor.connectSSL("127.0.0.1", port.getHost().port, Client(proto), _client_options(ca))
    server = run_until(servers.first)
    run_until(_until(lambda: server.pusher.pauses > 0))
    assert server.pusher.sent < server.pusher.total  # memory stayed bounded
    proto.transport.resumeProducing()
    assert run_until(proto.lost, timeout=30).check(error.ConnectionDone)
    assert hashlib.sha256(proto.data).digest() == server.pusher.digest.digest()
    run_until(port.stopListening())


def test_pause_during_start_tls_handshake_holds_data_until_resumed(
    reactor: Any, run_until: Any, ca: trustme.CA, server_cert: trustme.LeafCert
) -> None:
    class Server(HandshakeRecorder):
        def connectionMade(self) -> None:
            super().connectionMade()
            self.transport.startTLS(_private(server_cert).options())
            self.transport.write(b"hello paused reader")

    class Paused(HandshakeRecorder):
        def connectionMade(self) -> None:
            super().connectionMade()
            self.transport.startTLS(_client_options(ca))
            self.transport.pauseProducing()

    servers = Servers(Server)
    port = reactor.listenTCP(0, servers, interface="127.0.0.1")
    proto = Paused()
    reactor.connectTCP("127.0.0.1", port.getHost().port, Client(proto))
    run_until(proto.handshake)
    server = run_until(servers.first)
    run_until(server.handshake)  # both handshakes finished although the client is paused
    run_until(asyncio.sleep(0.05))
    assert bytes(proto.data) == b""
    proto.transport.resumeProducing()
    run_until(_until(lambda: bytes(proto.data) == b"hello paused reader"))
    proto.transport.loseConnection()
    run_until(server.lost)
    run_until(port.stopListening())


def test_abort_connection_over_tls(
    reactor: Any, run_until: Any, ca: trustme.CA, server_cert: trustme.LeafCert
) -> None:
    servers = Servers()
    port = reactor.listenSSL(0, servers, _private(server_cert).options(), interface="127.0.0.1")
    client = Client()
    reactor.connectSSL("127.0.0.1", port.getHost().port, client, _client_options(ca))
    proto = run_until(client.proto.made)
    server = run_until(servers.first)
    proto.transport.write(b"unsent, perhaps")
    proto.transport.abortConnection()
    assert run_until(proto.lost).check(error.ConnectionAborted)
    # asyncio reports an EOF without TLS close_notify as a clean close (ConnectionDone);
    # Twisted reports ConnectionLost there (a documented difference).
    reason = run_until(server.lost)
    assert reason.check(error.ConnectionDone, error.ConnectionLost)
    assert bytes(server.data) in (b"", b"unsent, perhaps")
    run_until(port.stopListening())


def test_lose_write_connection_is_refused_on_tls_and_the_connection_still_works(
    reactor: Any, run_until: Any, ca: trustme.CA, server_cert: trustme.LeafCert
) -> None:
    class Server(Echo):
        def connectionMade(self) -> None:
            super().connectionMade()
            self.transport.startTLS(_private(server_cert).options())

    port = reactor.listenSSL(0, Servers(), _private(server_cert).options(), interface="127.0.0.1")
    client = Client()
    reactor.connectSSL("127.0.0.1", port.getHost().port, client, _client_options(ca))
    proto = run_until(client.proto.made)
    with pytest.raises(NotImplementedError, match="not supported on TLS connections"):
        proto.transport.loseWriteConnection()
    proto.transport.write(b"still open")
    run_until(_until(lambda: bytes(proto.data) == b"still open"))
    proto.transport.loseConnection()
    assert run_until(proto.lost).check(error.ConnectionDone)
    run_until(port.stopListening())

    # During a startTLS handshake too.
    servers = Servers(Server)
    plain = reactor.listenTCP(0, servers, interface="127.0.0.1")
    upgrading = Client()
    reactor.connectTCP("127.0.0.1", plain.getHost().port, upgrading)
    proto = run_until(upgrading.proto.made)
    proto.transport.startTLS(_client_options(ca))
    with pytest.raises(NotImplementedError, match="not supported on TLS connections"):
        proto.transport.loseWriteConnection()
    proto.transport.write(b"after")
    run_until(_until(lambda: bytes(proto.data) == b"after"))
    proto.transport.loseConnection()
    run_until(proto.lost)
    run_until(plain.stopListening())


def test_bad_context_factory_fails_at_the_call(reactor: Any) -> None:
    with pytest.raises(TypeError, match="getContext"):
        reactor.listenSSL(0, Servers(), object(), interface="127.0.0.1")
    with pytest.raises(TypeError, match="client side"):
        reactor.listenSSL(0, Servers(), bssl.optionsForClientTLS("x"), interface="127.0.0.1")
    with pytest.raises(TypeError, match="server-side"):
        reactor.connectSSL("127.0.0.1", 1, Client(), ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER))


# -- startTLS ------------------------------------------------------------------------------


class StartTLSServer(Recorder):
    """Plain text until the client says STARTTLS; then answer GO in clear and start TLS."""

    context: Any = None

    def connectionMade(self) -> None:
        super().connectionMade()
        self.tls_at_start = ISSLTransport.providedBy(self.transport)

    def dataReceived(self, data: bytes) -> None:
        if not ISSLTransport.providedBy(self.transport) and data == b"STARTTLS\n":
            self.transport.write(b"GO\n")  # before startTLS: sent in clear
            self.transport.startTLS(self.context)
            self.transport.write(b"welcome\n")  # after: held, then sent encrypted
            return
        super().dataReceived(data)
        if data.endswith(b"bye\n"):
            self.transport.write(b"got " + bytes(self.data))
            self.transport.loseConnection()


class StartTLSClient(Recorder):
    options: Any = None
    clear = b""

    def connectionMade(self) -> None:
        super().connectionMade()
        self.transport.write(b"STARTTLS\n")

    def dataReceived(self, data: bytes) -> None:
        if not ISSLTransport.providedBy(self.transport):
            self.clear += data
            if self.clear == b"GO\n":
                self.transport.startTLS(self.options)
                self.transport.write(b"secret ")  # during the handshake
                self.transport.write(b"bye\n")
            return
        super().dataReceived(data)


def test_start_tls_mid_connection_on_both_sides(
    reactor: Any, run_until: Any, ca: trustme.CA, server_cert: trustme.LeafCert
) -> None:
    servers = Servers(StartTLSServer)
    StartTLSServer.context = _private(server_cert).options()
    port = reactor.listenTCP(0, servers, interface="127.0.0.1")
    proto = StartTLSClient()
    proto.options = _client_options(ca)
    reactor.connectTCP("127.0.0.1", port.getHost().port, Client(proto))
    server = run_until(servers.first)
    assert ITLSTransport.providedBy(server.transport)
    assert not server.tls_at_start
    reason = run_until(proto.lost)
    assert reason.check(error.ConnectionDone)
    assert proto.clear == b"GO\n"
    assert bytes(proto.data) == b"welcome\ngot secret bye\n"
    assert bytes(server.data) == b"secret bye\n"
    assert INegotiated.providedBy(proto.transport)
    assert ISSLTransport.providedBy(server.transport)
    assert proto.transport.getPeerCertificate().getSubject().CN == b"bridge tls server"
    run_until(server.lost)
    run_until(port.stopListening())


def test_start_tls_lose_connection_during_handshake_still_flushes(
    reactor: Any, run_until: Any, ca: trustme.CA, server_cert: trustme.LeafCert
) -> None:
    class Server(Recorder):
        def connectionMade(self) -> None:
            super().connectionMade()
            self.transport.startTLS(_private(server_cert).options())

    class Quitter(Recorder):
        def connectionMade(self) -> None:
            super().connectionMade()
            self.transport.startTLS(_client_options(ca))
            self.transport.write(b"last words")
            self.transport.loseConnection()

    servers = Servers(Server)
    port = reactor.listenTCP(0, servers, interface="127.0.0.1")
    reactor.connectTCP("127.0.0.1", port.getHost().port, Client(Quitter()))
    server = run_until(servers.first)
    assert run_until(server.lost).check(error.ConnectionDone)
    assert bytes(server.data) == b"last words"
    run_until(port.stopListening())


def test_start_tls_twice_or_on_a_closed_connection_is_refused(
    reactor: Any, run_until: Any, ca: trustme.CA, server_cert: trustme.LeafCert
) -> None:
    class Server(Recorder):
        def connectionMade(self) -> None:
            super().connectionMade()
            self.transport.startTLS(_private(server_cert).options())

    servers = Servers(Server)
    port = reactor.listenTCP(0, servers, interface="127.0.0.1")
    client = Client()
    reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    proto = run_until(client.proto.made)
    with pytest.raises(ValueError, match="does not use TLS"):
        proto.transport.getPeerCertificate()
    proto.transport.startTLS(_client_options(ca))
    with pytest.raises(RuntimeError, match="already started"):
        proto.transport.startTLS(_client_options(ca))
    server = run_until(servers.first)
    proto.transport.loseConnection()
    run_until(server.lost)
    with pytest.raises(RuntimeError, match="startTLS"):
        proto.transport.startTLS(_client_options(ca))
    run_until(port.stopListening())


def test_start_tls_handshake_failure_reaches_connection_lost(
    reactor: Any, run_until: Any, server_cert: trustme.LeafCert
) -> None:
    class Server(Recorder):
        def connectionMade(self) -> None:
            super().connectionMade()
            self.transport.startTLS(_private(server_cert).options())

    class Suspicious(Recorder):
        def connectionMade(self) -> None:
            super().connectionMade()
            self.transport.startTLS(_client_options(trustme.CA()))
            self.transport.write(b"never sent in clear")

    servers = Servers(Server)
    port = reactor.listenTCP(0, servers, interface="127.0.0.1")
    proto = Suspicious()
    reactor.connectTCP("127.0.0.1", port.getHost().port, Client(proto))
    reason = run_until(proto.lost)
    assert reason.check(ssl.SSLCertVerificationError)
    server = run_until(servers.first)
    run_until(server.lost)
    assert bytes(server.data) == b""
    run_until(port.stopListening())


def test_start_tls_with_normal_false_swaps_sides(
    reactor: Any, run_until: Any, ca: trustme.CA, server_cert: trustme.LeafCert
) -> None:
    """The connecting side may act as the TLS server (``normal=False``)."""

    class AcceptorAsClient(Recorder):
        def connectionMade(self) -> None:
            super().connectionMade()
            self.transport.startTLS(_client_options(ca), normal=False)
            self.transport.write(b"from the acceptor")

    class ConnectorAsServer(Recorder):
        def connectionMade(self) -> None:
            super().connectionMade()
            self.transport.startTLS(_private(server_cert).options(), normal=False)

    servers = Servers(AcceptorAsClient)
    port = reactor.listenTCP(0, servers, interface="127.0.0.1")
    proto = ConnectorAsServer()
    reactor.connectTCP("127.0.0.1", port.getHost().port, Client(proto))
    run_until(_until(lambda: bytes(proto.data) == b"from the acceptor"))
    server = run_until(servers.first)
    assert server.transport.getPeerCertificate().getSubject().CN == b"bridge tls server"
    proto.transport.loseConnection()
    run_until(proto.lost)
    run_until(port.stopListening())


@implementer(IHandshakeListener)
class HandshakeRecorder(Recorder):
    """Record the order of connectionMade and handshakeCompleted."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []
        self.peer: Any = None
        self.handshake: Deferred[None] = Deferred()

    def connectionMade(self) -> None:
        self.events.append("made")
        super().connectionMade()

    def handshakeCompleted(self) -> None:
        self.events.append("handshake")
        self.peer = self.transport.getPeerCertificate()
        self.handshake.callback(None)


def test_connect_and_listen_ssl_tell_handshake_listeners(
    reactor: Any, run_until: Any, ca: trustme.CA, server_cert: trustme.LeafCert
) -> None:
    servers = Servers(HandshakeRecorder)
    port = reactor.listenSSL(0, servers, _private(server_cert).options(), interface="127.0.0.1")
    proto = HandshakeRecorder()
    reactor.connectSSL("127.0.0.1", port.getHost().port, Client(proto), _client_options(ca))
    run_until(proto.handshake)
    assert proto.events == ["made", "handshake"]
    assert proto.peer.getSubject().CN == b"bridge tls server"
    server = run_until(servers.first)
    run_until(server.handshake)
    assert server.events == ["made", "handshake"]
    proto.transport.loseConnection()
    run_until(server.lost)
    run_until(port.stopListening())


def test_start_tls_tells_handshake_listeners(
    reactor: Any, run_until: Any, ca: trustme.CA, server_cert: trustme.LeafCert
) -> None:
    class Server(HandshakeRecorder):
        def connectionMade(self) -> None:
            super().connectionMade()
            self.transport.startTLS(_private(server_cert).options())

    class ClientSide(HandshakeRecorder):
        def connectionMade(self) -> None:
            super().connectionMade()
            self.transport.startTLS(_client_options(ca))

    servers = Servers(Server)
    port = reactor.listenTCP(0, servers, interface="127.0.0.1")
    proto = ClientSide()
    reactor.connectTCP("127.0.0.1", port.getHost().port, Client(proto))
    run_until(proto.handshake)
    assert proto.events == ["made", "handshake"]
    assert proto.peer.getSubject().CN == b"bridge tls server"
    server = run_until(servers.first)
    run_until(server.handshake)
    proto.transport.loseConnection()
    run_until(server.lost)
    run_until(port.stopListening())


# -- interop with real Twisted ---------------------------------------------------------------


def _twisted_tls_available() -> bool:
    try:
        import OpenSSL  # noqa: F401
        import service_identity  # noqa: F401
    except ImportError:
        return False
    return True


TWISTED_TLS_SERVER = textwrap.dedent(
    """
    import sys
    from twisted.internet import reactor, ssl, protocol

    class Echo(protocol.Protocol):
        def dataReceived(self, data):
            self.transport.write(data)

    with open(sys.argv[1], "rb") as f:
        cert = ssl.PrivateCertificate.loadPEM(f.read())
    port = reactor.listenSSL(0, protocol.Factory.forProtocol(Echo), cert.options(),
                             interface="127.0.0.1")
    print(port.getHost().port, flush=True)
    reactor.callLater(20, reactor.stop)
    reactor.run()
    """
)


@pytest.mark.skipif(
    not _twisted_tls_available(),
    reason="Twisted TLS peer needs pyOpenSSL and service_identity (not installed)",
)
def test_interop_with_a_twisted_tls_server(
    reactor: Any, run_until: Any, ca: trustme.CA, server_cert: trustme.LeafCert, tmp_path: Path
) -> None:
    pem = tmp_path / "server.pem"
    pem.write_bytes(server_cert.private_key_and_cert_chain_pem.bytes())
    peer = subprocess.Popen(
        [sys.executable, "-c", TWISTED_TLS_SERVER, str(pem)], stdout=subprocess.PIPE
    )
    try:
        assert peer.stdout is not None
        port = int(peer.stdout.readline())
        client = Client()
        reactor.connectSSL("127.0.0.1", port, client, _client_options(ca))
        proto = run_until(client.proto.made, timeout=15)
        proto.transport.write(b"hello twisted")
        run_until(_until(lambda: bytes(proto.data) == b"hello twisted"))
        proto.transport.loseConnection()
        run_until(proto.lost)
    finally:
        peer.kill()
        peer.wait()
        if peer.stdout is not None:
            peer.stdout.close()


TWISTED_TLS_CLIENT = textwrap.dedent(
    """
    import sys
    from twisted.internet import reactor, ssl, protocol

    class Once(protocol.Protocol):
        def connectionMade(self):
            self.transport.write(b"hello bridge")
            self.got = b""

        def dataReceived(self, data):
            self.got += data
            if self.got == b"hello bridge":
                print(self.transport.getPeerCertificate().get_subject().CN, flush=True)
                self.transport.loseConnection()

        def connectionLost(self, reason):
            reactor.stop()

    with open(sys.argv[1], "rb") as f:
        authority = ssl.Certificate.loadPEM(f.read())
    options = ssl.optionsForClientTLS("localhost", trustRoot=authority)
    protocol.ClientCreator(reactor, Once).connectSSL("127.0.0.1", int(sys.argv[2]), options)
    reactor.callLater(20, reactor.stop)
    reactor.run()
    """
)


@pytest.mark.skipif(
    not _twisted_tls_available(),
    reason="Twisted TLS peer needs pyOpenSSL and service_identity (not installed)",
)
def test_interop_with_a_twisted_tls_client(
    reactor: Any, run_until: Any, ca: trustme.CA, server_cert: trustme.LeafCert, tmp_path: Path
) -> None:
    authority = tmp_path / "ca.pem"
    authority.write_bytes(ca.cert_pem.bytes())
    servers = Servers()
    port = reactor.listenSSL(0, servers, _private(server_cert).options(), interface="127.0.0.1")
    peer = subprocess.Popen(
        [sys.executable, "-c", TWISTED_TLS_CLIENT, str(authority), str(port.getHost().port)],
        stdout=subprocess.PIPE,
    )
    try:
        server = run_until(servers.first, timeout=15)
        assert run_until(server.lost, timeout=15).check(error.ConnectionDone)
        assert bytes(server.data) == b"hello bridge"
    finally:
        out, _ = peer.communicate(timeout=15)
    assert out.strip() == b"bridge tls server"
    run_until(port.stopListening())


# -- endpoints -------------------------------------------------------------------------------


def test_ssl_endpoints_echo(
    reactor: Any, run_until: Any, ca: trustme.CA, server_cert: trustme.LeafCert
) -> None:
    from bridge.endpoints import SSL4ClientEndpoint, SSL4ServerEndpoint

    servers = Servers()
    server_endpoint = SSL4ServerEndpoint(
        reactor, 0, _private(server_cert).options(), interface="127.0.0.1"
    )
    port = run_until(server_endpoint.listen(servers))
    client_endpoint = SSL4ClientEndpoint(
        reactor, "127.0.0.1", port.getHost().port, _client_options(ca)
    )
    proto = run_until(client_endpoint.connect(protocol.Factory.forProtocol(Recorder)))
    assert isinstance(proto, Recorder)
    assert ISSLTransport.providedBy(proto.transport)
    proto.transport.write(b"endpoint")
    run_until(_until(lambda: bytes(proto.data) == b"endpoint"))
    proto.transport.loseConnection()
    run_until(proto.lost)
    run_until(port.stopListening())


def test_ssl_client_endpoint_fails_with_ssl_error(
    reactor: Any, run_until: Any, ca: trustme.CA, server_cert: trustme.LeafCert
) -> None:
    from bridge.endpoints import SSL4ClientEndpoint

    port = reactor.listenSSL(0, Servers(), _private(server_cert).options(), interface="127.0.0.1")
    endpoint = SSL4ClientEndpoint(
        reactor, "127.0.0.1", port.getHost().port, _client_options(ca, hostname="wrong.example")
    )
    with pytest.raises(error.SSLError, match="Hostname mismatch"):
        run_until(endpoint.connect(protocol.Factory.forProtocol(Recorder)))
    run_until(port.stopListening())


def test_ssl_endpoint_strings(
    reactor: Any,
    run_until: Any,
    ca: trustme.CA,
    server_files: tuple[str, str],
    tmp_path: Path,
) -> None:
    from bridge.endpoints import clientFromString, serverFromString

    key, cert = server_files
    cas = tmp_path / "cas"
    cas.mkdir()
    (cas / "ca.pem").write_bytes(ca.cert_pem.bytes())
    servers = Servers()
    server = serverFromString(reactor, f"ssl:0:privateKey={key}:certKey={cert}:interface=127.0.0.1")
    port = run_until(server.listen(servers))
    client = clientFromString(
        reactor, f"ssl:host=127.0.0.1:port={port.getHost().port}:caCertsDir={cas}"
    )
    proto = run_until(client.connect(protocol.Factory.forProtocol(Recorder)))
    proto.transport.write(b"strings")
    run_until(_until(lambda: bytes(proto.data) == b"strings"))
    proto.transport.loseConnection()
    run_until(proto.lost)
    # Without caCertsDir the platform's CAs are trusted: our test CA is not among them.
    untrusted = clientFromString(reactor, f"ssl:host=127.0.0.1:port={port.getHost().port}")
    with pytest.raises(error.SSLError, match="certificate verify failed"):
        run_until(untrusted.connect(protocol.Factory.forProtocol(Recorder)))
    run_until(port.stopListening())


def test_ssl_endpoint_string_errors_name_the_bad_part(reactor: Any) -> None:
    from bridge.endpoints import clientFromString, serverFromString

    with pytest.raises(ValueError, match="unknown option 'colour'"):
        serverFromString(reactor, "ssl:0:colour=red")
    with pytest.raises(ValueError, match="missing host"):
        clientFromString(reactor, "ssl:port=443")


def test_wrap_client_tls_and_wrap_server_tls_over_tcp_endpoints(
    reactor: Any, run_until: Any, ca: trustme.CA, server_cert: trustme.LeafCert
) -> None:
    from bridge._endpoints_ssl import wrapClientTLS, wrapServerTLS
    from bridge.endpoints import HostnameEndpoint, TCP4ServerEndpoint

    class Greeter(HandshakeRecorder):
        def connectionMade(self) -> None:
            super().connectionMade()
            self.transport.write(b"hello")  # before the handshake: held, then encrypted

    servers = Servers(HandshakeRecorder)
    server_endpoint = wrapServerTLS(
        _private(server_cert).options(), TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1")
    )
    port = run_until(server_endpoint.listen(servers))
    client_endpoint = wrapClientTLS(
        _client_options(ca), HostnameEndpoint(reactor, "127.0.0.1", port.getHost().port)
    )
    proto = run_until(client_endpoint.connect(protocol.Factory.forProtocol(Greeter)))
    assert isinstance(proto, Greeter)
    server = run_until(servers.first)
    run_until(_until(lambda: bytes(server.data) == b"hello"))
    run_until(proto.handshake)
    run_until(server.handshake)
    assert proto.events == ["made", "handshake"]
    assert proto.transport.protocol is proto
    assert server.transport.getPeerCertificate() is None
    assert proto.transport.getPeerCertificate().getSubject().CN == b"bridge tls server"
    proto.transport.loseConnection()
    assert run_until(server.lost).check(error.ConnectionDone)
    run_until(port.stopListening())


def test_wrap_client_tls_verification_failure_reaches_the_protocol(
    reactor: Any, run_until: Any, server_cert: trustme.LeafCert
) -> None:
    from bridge._endpoints_ssl import wrapClientTLS
    from bridge.endpoints import TCP4ClientEndpoint

    port = reactor.listenSSL(0, Servers(), _private(server_cert).options(), interface="127.0.0.1")
    endpoint = wrapClientTLS(
        _client_options(trustme.CA()), TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port)
    )
    # As in Twisted: the TCP connection succeeds, then the handshake fails the connection.
    proto = run_until(endpoint.connect(protocol.Factory.forProtocol(Recorder)))
    assert run_until(proto.lost).check(ssl.SSLCertVerificationError)
    run_until(port.stopListening())


def test_wrap_tls_refuses_a_context_for_the_wrong_side(reactor: Any) -> None:
    from bridge._endpoints_ssl import wrapClientTLS, wrapServerTLS

    with pytest.raises(TypeError, match=r"wrapServerTLS: .*client side"):
        wrapServerTLS(bssl.optionsForClientTLS("x"), None)
    with pytest.raises(TypeError, match=r"wrapClientTLS: .*server-side"):
        wrapClientTLS(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER), None)


def test_tls_client_description(
    reactor: Any, run_until: Any, ca: trustme.CA, server_cert: trustme.LeafCert, tmp_path: Path
) -> None:
    from bridge._endpoints_ssl import parse_tls_client

    roots = tmp_path / "roots"
    roots.mkdir()
    (roots / "ca.pem").write_bytes(ca.cert_pem.bytes())
    port = reactor.listenSSL(0, Servers(), _private(server_cert).options(), interface="127.0.0.1")
    number = str(port.getHost().port)
    endpoint = parse_tls_client(reactor, "localhost", number, trustRoots=str(roots))
    proto = run_until(endpoint.connect(protocol.Factory.forProtocol(Recorder)))
    proto.transport.write(b"tls:")
    run_until(_until(lambda: bytes(proto.data) == b"tls:"))
    proto.transport.loseConnection()
    run_until(proto.lost)
    # host= is the name to verify; endpoint= says where to connect.
    through = parse_tls_client(
        reactor,
        host="localhost",
        port="1",
        trustRoots=str(roots),
        endpoint=f"tcp:127.0.0.1:{number}",
    )
    proto = run_until(through.connect(protocol.Factory.forProtocol(Recorder)))
    proto.transport.loseConnection()
    run_until(proto.lost)
    # Without trustRoots, the platform's CAs are trusted, and the handshake fails.
    untrusted = parse_tls_client(reactor, "localhost", number)
    proto = run_until(untrusted.connect(protocol.Factory.forProtocol(Recorder)))
    assert run_until(proto.lost).check(ssl.SSLCertVerificationError)
    run_until(port.stopListening())


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((), {"port": "1"}, r"missing host"),
        (("h",), {}, r"missing port"),
        (("h", "1", "x"), {}, r"too many positional parts"),
        (("h", "p"), {}, r"port='p' is not an integer"),
        (("h", "1"), {"host": "g"}, r"host given both by position and as host="),
        (("h", "1"), {"caCertsDir": "/"}, r"unknown option 'caCertsDir'; known options: host"),
        (("h", "1"), {"privateKey": "k.pem"}, r"privateKey needs certificate"),
        (("h", "1"), {"trustRoots": "/nonexistent"}, r"trustRoots='/nonexistent' is not a"),
        (("h", "1"), {"certificate": "/nonexistent"}, r"cannot read certificate='/nonexistent'"),
    ],
)
def test_tls_client_description_errors_name_the_bad_part(
    args: tuple[str, ...], kwargs: dict[str, str], message: str
) -> None:
    from bridge._endpoints_ssl import parse_tls_client

    with pytest.raises(ValueError, match=f"^tls client endpoint: .*{message}"):
        parse_tls_client(None, *args, **kwargs)


def test_start_tls_over_unix_sockets(
    reactor: Any, run_until: Any, ca: trustme.CA, server_cert: trustme.LeafCert, tmp_path: Path
) -> None:
    class Server(HandshakeRecorder):
        def connectionMade(self) -> None:
            super().connectionMade()
            self.transport.startTLS(_private(server_cert).options())
            self.transport.write(b"over unix")

    class ClientSide(HandshakeRecorder):
        def connectionMade(self) -> None:
            super().connectionMade()
            # A UNIX peer has no host name: say which name the certificate must carry.
            self.transport.startTLS(_client_options(ca, hostname="localhost"))

    class Unnamed(Recorder):
        def connectionMade(self) -> None:
            super().connectionMade()
            try:
                self.transport.startTLS(ssl.create_default_context())
            except ValueError as exc:
                self.refused = exc
            self.transport.loseConnection()

    path = str(tmp_path / "tls.sock")
    servers = Servers(Server)
    port = reactor.listenUNIX(path, servers)
    proto = ClientSide()
    reactor.connectUNIX(path, Client(proto))
    run_until(_until(lambda: bytes(proto.data) == b"over unix"))
    assert proto.peer.getSubject().CN == b"bridge tls server"
    proto.transport.loseConnection()
    run_until(proto.lost)
    unnamed = Unnamed()
    reactor.connectUNIX(path, Client(unnamed))
    run_until(unnamed.lost)
    assert "no host name to check" in str(unnamed.refused)
    run_until(port.stopListening())


def test_tls_client_string_through_client_from_string(
    reactor: Any, run_until: Any, ca: trustme.CA, server_cert: trustme.LeafCert, tmp_path: Path
) -> None:
    from bridge import _endpoints_ssl
    from bridge.endpoints import clientFromString, wrapClientTLS, wrapServerTLS

    assert wrapClientTLS is _endpoints_ssl.wrapClientTLS
    assert wrapServerTLS is _endpoints_ssl.wrapServerTLS
    roots = tmp_path / "roots"
    roots.mkdir()
    (roots / "ca.pem").write_bytes(ca.cert_pem.bytes())
    port = reactor.listenSSL(0, Servers(), _private(server_cert).options(), interface="127.0.0.1")
    endpoint = clientFromString(reactor, f"tls:localhost:{port.getHost().port}:trustRoots={roots}")
    proto = run_until(endpoint.connect(protocol.Factory.forProtocol(Recorder)))
    proto.transport.write(b"via string")
    run_until(_until(lambda: bytes(proto.data) == b"via string"))
    proto.transport.loseConnection()
    run_until(proto.lost)
    with pytest.raises(ValueError, match="tls client endpoint: unknown option 'colour'"):
        clientFromString(reactor, "tls:localhost:443:colour=red")
    run_until(port.stopListening())


TWISTED_STARTTLS_SERVER = textwrap.dedent(
    """
    import sys
    from twisted.internet import reactor, ssl, protocol

    class StartTLS(protocol.Protocol):
        buffer = b""
        tls = False

        def dataReceived(self, data):
            if self.tls:
                self.transport.write(b"echo " + data)
                return
            self.buffer += data
            if self.buffer == b"STARTTLS\\n":
                self.transport.write(b"GO\\n")
                self.transport.startTLS(options)
                self.tls = True

    with open(sys.argv[1], "rb") as f:
        pem = f.read()
    with open(sys.argv[2], "rb") as f:
        authority = ssl.Certificate.loadPEM(f.read())
    options = ssl.PrivateCertificate.loadPEM(pem).options(authority)  # requires a client cert
    port = reactor.listenTCP(0, protocol.Factory.forProtocol(StartTLS), interface="127.0.0.1")
    print(port.getHost().port, flush=True)
    reactor.callLater(20, reactor.stop)
    reactor.run()
    """
)


@pytest.mark.skipif(
    not _twisted_tls_available(),
    reason="Twisted TLS peer needs pyOpenSSL and service_identity (not installed)",
)
def test_interop_start_tls_with_client_certificate_against_twisted(
    reactor: Any,
    run_until: Any,
    ca: trustme.CA,
    server_cert: trustme.LeafCert,
    client_cert: trustme.LeafCert,
    tmp_path: Path,
) -> None:
    pem = tmp_path / "server.pem"
    pem.write_bytes(server_cert.private_key_and_cert_chain_pem.bytes())
    authority = tmp_path / "ca.pem"
    authority.write_bytes(ca.cert_pem.bytes())
    peer = subprocess.Popen(
        [sys.executable, "-c", TWISTED_STARTTLS_SERVER, str(pem), str(authority)],
        stdout=subprocess.PIPE,
    )
    try:
        assert peer.stdout is not None
        port = int(peer.stdout.readline())
        proto = StartTLSClient()
        proto.options = _client_options(ca, clientCertificate=_private(client_cert))
        reactor.connectTCP("127.0.0.1", port, Client(proto))
        # The server echoes each chunk it reads with an "echo " prefix.
        run_until(_until(lambda: bytes(proto.data).endswith(b"bye\n")), timeout=15)
        assert bytes(proto.data).replace(b"echo ", b"") == b"secret bye\n"
        assert proto.clear == b"GO\n"
        assert proto.transport.getPeerCertificate().getSubject().CN == b"bridge tls server"
        proto.transport.loseConnection()
        run_until(proto.lost)
    finally:
        peer.kill()
        peer.wait()
        if peer.stdout is not None:
            peer.stdout.close()
