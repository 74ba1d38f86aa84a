"""Twisted's echo examples run together: docs/core/examples/echoserv.py (Factory + Echo)
serving docs/core/examples/echoclient.py (LineReceiver client, ClientFactory with a `done`
Deferred, run by task.react). The listings are unchanged except that the server listens on
port 0 of 127.0.0.1 and the client connects to that port; the server port is closed
afterwards so react can return."""

from twisted.internet import task
from twisted.internet.defer import Deferred
from twisted.internet.protocol import ClientFactory, Factory, Protocol
from twisted.protocols.basic import LineReceiver

# -- docs/core/examples/echoserv.py -------------------------------------------------------


class Echo(Protocol):
    def dataReceived(self, data):
        """
        As soon as any data is received, write it back.
        """
        self.transport.write(data)


# -- docs/core/examples/echoclient.py -----------------------------------------------------


class EchoClient(LineReceiver):
    end = b"Bye-bye!"

    def connectionMade(self):
        self.sendLine(b"Hello, world!")
        self.sendLine(b"What a fine day it is.")
        self.sendLine(self.end)

    def lineReceived(self, line):
        print("receive:", line)
        if line == self.end:
            self.transport.loseConnection()


class EchoClientFactory(ClientFactory):
    protocol = EchoClient

    def __init__(self):
        self.done = Deferred()

    def clientConnectionFailed(self, connector, reason):
        print("connection failed:", reason.getErrorMessage())
        self.done.errback(reason)

    def clientConnectionLost(self, connector, reason):
        print("connection lost:", reason.getErrorMessage())
        self.done.callback(None)


# -- the wrapping: both in one process, on an ephemeral port ------------------------------


def main(reactor):
    f = Factory()
    f.protocol = Echo
    port = reactor.listenTCP(0, f, interface="127.0.0.1")

    factory = EchoClientFactory()
    reactor.connectTCP("127.0.0.1", port.getHost().port, factory)
    factory.done.addCallback(lambda _: port.stopListening())
    return factory.done


def refused(reactor):
    # The client's failure path: nothing listens on a port we just closed.
    port = reactor.listenTCP(0, Factory.forProtocol(Echo), interface="127.0.0.1")
    number = port.getHost().port

    def connect(_):
        factory = EchoClientFactory()
        reactor.connectTCP("127.0.0.1", number, factory)
        return factory.done.addErrback(lambda f: print("done failed:", f.type.__name__))

    return port.stopListening().addCallback(connect)


def both(reactor):
    return main(reactor).addCallback(lambda _: refused(reactor))


if __name__ == "__main__":
    task.react(both)
