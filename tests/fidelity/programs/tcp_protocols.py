"""Writing Servers / Writing Clients: listenTCP, connectTCP, Protocol, Factory, LineReceiver,
Int32StringReceiver, addresses and connection-lost reasons over loopback."""

from twisted.internet import defer, error, protocol, reactor
from twisted.internet.address import IPv4Address
from twisted.protocols import basic

events = []


def log(*a):
    print(*a)


class Echo(protocol.Protocol):
    def connectionMade(self):
        h, p = self.transport.getHost(), self.transport.getPeer()
        log("server connectionMade", type(h).__name__, h.type, h.host, type(p).__name__, p.host)
        log("server factory numProtocols", self.factory.numProtocols)
        self.factory.numProtocols += 1

    def dataReceived(self, data):
        log("server got", data)
        if data.endswith(b"QUIT"):
            self.transport.write(b"bye")
            self.transport.loseConnection()
        else:
            self.transport.write(data.upper())

    def connectionLost(self, reason):
        log(
            "server connectionLost",
            reason.type.__name__,
            reason.check(error.ConnectionDone) is not None,
        )


class EchoFactory(protocol.Factory):
    protocol = Echo
    numProtocols = 0

    def startFactory(self):
        log("server startFactory")

    def stopFactory(self):
        log("server stopFactory")


class Client(protocol.Protocol):
    def connectionMade(self):
        log("client connectionMade", isinstance(self.transport.getPeer(), IPv4Address))
        self.transport.write(b"hello")

    def dataReceived(self, data):
        log("client got", data)
        if data == b"HELLO":
            self.transport.write(b"QUIT")

    def connectionLost(self, reason):
        log("client connectionLost", reason.type.__name__)
        self.factory.done.callback(None)


class ClientFactory(protocol.ClientFactory):
    protocol = Client

    def __init__(self):
        self.done = defer.Deferred()

    def startedConnecting(self, connector):
        log("client startedConnecting", type(connector.getDestination()).__name__)

    def clientConnectionLost(self, connector, reason):
        log("clientConnectionLost", reason.type.__name__)

    def clientConnectionFailed(self, connector, reason):
        log("clientConnectionFailed", reason.type.__name__)


class Lines(basic.LineReceiver):
    def lineReceived(self, line):
        log("line server got", line)
        self.sendLine(b"echo: " + line)
        if line == b"last":
            self.transport.loseConnection()


class LineClient(basic.LineReceiver):
    delimiter = b"\r\n"

    def connectionMade(self):
        self.transport.write(b"one\r\ntwo\r\n")
        self.transport.write(b"thr")
        self.transport.write(b"ee\r\nlast\r\n")

    def lineReceived(self, line):
        log("line client got", line)

    def connectionLost(self, reason):
        log("line client lost", reason.type.__name__)
        self.factory.done.callback(None)


class Ints(basic.Int32StringReceiver):
    def stringReceived(self, s):
        log("int32 server got", s)
        self.sendString(s[::-1])


class IntsClient(basic.Int32StringReceiver):
    def connectionMade(self):
        for s in (b"abc", b"", b"x" * 10):
            self.sendString(s)

    def stringReceived(self, s):
        log("int32 client got", s)
        if s == b"x" * 10:
            self.transport.loseConnection()

    def connectionLost(self, reason):
        log("int32 client lost", reason.type.__name__)
        self.factory.done.callback(None)


def run_pair(server_factory, client_protocol):
    port = reactor.listenTCP(0, server_factory, interface="127.0.0.1")
    host = port.getHost()
    log("listening", type(host).__name__, host.type, host.host, host.port > 0)
    cf = ClientFactory()
    cf.protocol = client_protocol
    connector = reactor.connectTCP("127.0.0.1", host.port, cf)
    log("connector state", connector.state)
    d = cf.done
    d.addCallback(lambda _: port.stopListening())
    return d


@defer.inlineCallbacks
def main():
    try:
        yield run_pair(EchoFactory(), Client)
        yield run_pair(protocol.Factory.forProtocol(Lines), LineClient)
        yield run_pair(protocol.Factory.forProtocol(Ints), IntsClient)
        # refused connection
        port = reactor.listenTCP(0, protocol.Factory(), interface="127.0.0.1")
        pnum = port.getHost().port
        yield port.stopListening()
        cf = ClientFactory()
        failed = defer.Deferred()
        cf.clientConnectionFailed = lambda c, r: failed.callback([r])
        reactor.connectTCP("127.0.0.1", pnum, cf)
        [reason] = yield failed
        log("refused", reason.type.__name__, isinstance(reason.value, error.ConnectError))
        # listening twice on the same port
        port = reactor.listenTCP(0, protocol.Factory(), interface="127.0.0.1")
        try:
            reactor.listenTCP(port.getHost().port, protocol.Factory(), interface="127.0.0.1")
        except error.CannotListenError as e:
            log("CannotListenError", e.interface, isinstance(e.socketError, OSError))
        yield port.stopListening()
    finally:
        reactor.stop()


reactor.callWhenRunning(main)
reactor.run()
log("reactor stopped")
