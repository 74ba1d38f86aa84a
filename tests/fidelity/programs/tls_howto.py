"""TLS as Twisted's SSL howto uses it: a self-signed certificate, listenSSL/connectSSL with
CertificateOptions, peer certificates, ALPN, startTLS on a plain connection, and endpoints."""

from twisted.internet import defer, endpoints, interfaces, protocol, ssl, task
from twisted.protocols import basic

KEY = ssl.KeyPair.generate()
CERT = KEY.selfSignedCert(1, commonName="bridge-test", organizationName="bridge")


class Echo(basic.LineReceiver):
    def connectionMade(self):
        self.factory.server = self

    def lineReceived(self, line):
        if line == b"STARTTLS":
            self.sendLine(b"GO")
            self.transport.startTLS(CERT.options())
            return
        self.sendLine(b"echo: " + line)


class Client(basic.LineReceiver):
    def connectionMade(self):
        t = self.transport
        print("client TLS", interfaces.ISSLTransport.providedBy(t))
        self.factory.made.callback(self)

    def lineReceived(self, line):
        self.factory.lines.put(line)

    def connectionLost(self, reason):
        self.factory.lost.callback(reason.type.__name__)


def client_factory():
    f = protocol.ClientFactory.forProtocol(Client)
    f.made, f.lost, f.lines = defer.Deferred(), defer.Deferred(), defer.DeferredQueue()
    return f


async def main(reactor):
    server_factory = protocol.Factory.forProtocol(Echo)
    port = reactor.listenSSL(0, server_factory, CERT.options(), interface="127.0.0.1")
    f = client_factory()
    reactor.connectSSL("127.0.0.1", port.getHost().port, f, ssl.CertificateOptions())
    client = await f.made
    client.sendLine(b"hello")
    print("line", await f.lines.get())
    peer = ssl.Certificate.peerFromTransport(client.transport)
    print("peer CN", peer.getSubject().commonName, "O", peer.getSubject().organizationName)
    print("same key", peer.getPublicKey().matches(CERT.getPublicKey()))
    print("server sees client cert", server_factory.server.transport.getPeerCertificate())
    client.transport.loseConnection()
    print("lost", await f.lost)
    await port.stopListening()

    # startTLS on a plain TCP connection, as in the howto's starttls example.
    port = reactor.listenTCP(0, server_factory, interface="127.0.0.1")
    f = client_factory()
    reactor.connectTCP("127.0.0.1", port.getHost().port, f)
    client = await f.made
    client.sendLine(b"STARTTLS")
    print("line", await f.lines.get())
    client.transport.startTLS(ssl.CertificateOptions())
    client.sendLine(b"secret")
    print("line", await f.lines.get())
    print("now TLS", interfaces.ISSLTransport.providedBy(client.transport))
    print("peer CN", ssl.Certificate.peerFromTransport(client.transport).getSubject().commonName)
    client.transport.loseConnection()
    print("lost", await f.lost)
    await port.stopListening()

    # Endpoints: SSL4ServerEndpoint + wrapClientTLS around a TCP client endpoint.
    ep = endpoints.SSL4ServerEndpoint(reactor, 0, CERT.options(), interface="127.0.0.1")
    port = await ep.listen(server_factory)
    inner = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port)
    f = client_factory()
    proto = await endpoints.wrapClientTLS(ssl.CertificateOptions(), inner).connect(f)
    proto.sendLine(b"via endpoints")
    print("line", await f.lines.get())
    proto.transport.loseConnection()
    print("lost", await f.lost)
    await port.stopListening()


task.react(lambda r: defer.ensureDeferred(main(r)))
