"""docs/core/examples/starttls_server.py and starttls_client.py together: a LineReceiver that
switches a plain TCP connection to TLS on "STARTTLS", and a client that follows, verifying the
server as "example.com". Unchanged except for Python 3 on the server side (bytes lines),
port 0 on 127.0.0.1, and a certificate made at run time (ssl.KeyPair) instead of the
examples' server.pem; both mains run in one task.react."""

from twisted.internet import defer, endpoints, protocol, ssl, task
from twisted.protocols.basic import LineReceiver

KEY = ssl.KeyPair.generate()
CERT = KEY.selfSignedCert(1, commonName="example.com")
certData = CERT.dumpPEM()  # noqa: N816 (the listings' name)

# -- docs/core/examples/starttls_server.py ------------------------------------------------


class TLSServer(LineReceiver):
    def lineReceived(self, line):
        print("received: " + line.decode())
        if line == b"STARTTLS":
            print("-- Switching to TLS")
            self.sendLine(b"READY")
            self.transport.startTLS(self.factory.options)

    def connectionLost(self, reason):
        print("server: connection lost", reason.type.__name__)
        self.factory.lost.callback(None)


def server_main(reactor):
    cert = ssl.PrivateCertificate.loadPEM(certData)
    factory = protocol.Factory.forProtocol(TLSServer)
    factory.options = cert.options()
    factory.lost = defer.Deferred()
    endpoint = endpoints.TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1")
    return endpoint.listen(factory).addCallback(lambda port: (port, factory.lost))


# -- docs/core/examples/starttls_client.py ------------------------------------------------


class StartTLSClient(LineReceiver):
    def connectionMade(self):
        self.sendLine(b"plain text")
        self.sendLine(b"STARTTLS")

    def lineReceived(self, line):
        print("received: ", line)
        if line == b"READY":
            self.transport.startTLS(self.factory.options)
            self.sendLine(b"secure text")
            self.transport.loseConnection()


@defer.inlineCallbacks
def client_main(reactor, portNumber):
    factory = protocol.Factory.forProtocol(StartTLSClient)
    factory.options = ssl.optionsForClientTLS(
        "example.com", ssl.PrivateCertificate.loadPEM(certData)
    )
    endpoint = endpoints.HostnameEndpoint(reactor, "127.0.0.1", portNumber)
    startTLSClient = yield endpoint.connect(factory)

    done = defer.Deferred()
    startTLSClient.connectionLost = lambda reason: done.callback(None)
    yield done


# -- the wrapping -------------------------------------------------------------------------


@defer.inlineCallbacks
def main(reactor):
    port, serverLost = yield server_main(reactor)
    yield client_main(reactor, port.getHost().port)
    print("client: done")
    yield serverLost
    yield port.stopListening()


if __name__ == "__main__":
    task.react(main)
