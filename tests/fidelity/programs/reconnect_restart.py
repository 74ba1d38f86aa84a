"""ReconnectingClientFactory against a live server (reconnect, resetDelay, stopTrying),
then the reactor is not restartable."""

from twisted.internet import error, protocol, reactor


def log(*a):
    print(*a, flush=True)


class DropAfterHello(protocol.Protocol):
    def connectionMade(self):
        self.factory.count += 1
        self.transport.write(b"hello %d" % self.factory.count)
        self.transport.loseConnection()


class Server(protocol.Factory):
    protocol = DropAfterHello
    count = 0


class Greeted(protocol.Protocol):
    def connectionMade(self):
        self.factory.resetDelay()
        log("client connected, delay reset to", self.factory.delay)

    def dataReceived(self, data):
        log("client got", data)


class RCF(protocol.ReconnectingClientFactory):
    protocol = Greeted
    initialDelay = 0.01
    maxDelay = 0.05
    jitter = 0

    def clientConnectionLost(self, connector, reason):
        log("lost", reason.type.__name__, "retries", self.retries)
        if self.retries == 0 and server.count >= 3:
            self.stopTrying()
            log("stopTrying, continueTrying =", self.continueTrying)
            reactor.callLater(0.1, port.stopListening)
            reactor.callLater(0.2, reactor.stop)
        protocol.ReconnectingClientFactory.clientConnectionLost(self, connector, reason)


server = Server()
port = reactor.listenTCP(0, server, interface="127.0.0.1")
rcf = RCF()
reactor.connectTCP("127.0.0.1", port.getHost().port, rcf)
reactor.run()
log("connections", server.count)
try:
    reactor.run()
except error.ReactorNotRestartable:
    log("ReactorNotRestartable")
