"""A server protocol whose connectionMade raises (Twisted logs it and keeps the connection),
and a factory whose buildProtocol returns None (Twisted closes the connection cleanly)."""

import sys

from twisted.internet import defer, protocol, task
from twisted.python import log


def say(*a):
    print(*a, flush=True)


errors = []
log.addObserver(
    lambda e: (
        errors.append(e["failure"].type.__name__) if e.get("isError") and e.get("failure") else None
    )
)


class Server(protocol.Protocol):
    def connectionMade(self):
        if self.factory.mode == "made":
            raise RuntimeError("connectionMade blew up")

    def dataReceived(self, data):
        if self.factory.mode == "data":
            raise ValueError("dataReceived blew up")
        self.transport.write(data)

    def connectionLost(self, reason):
        say("server lost", self.factory.mode, reason.type.__name__)
        self.factory.lost.callback(None)


class ServerFactory(protocol.Factory):
    protocol = Server

    def __init__(self, mode):
        self.mode = mode
        self.lost = defer.Deferred()

    def buildProtocol(self, addr):
        if self.mode == "none":
            self.lost.callback(None)
            return None
        return protocol.Factory.buildProtocol(self, addr)


class Client(protocol.Protocol):
    def __init__(self):
        self.lost = defer.Deferred()

    def connectionMade(self):
        self.transport.write(b"hello")

    def dataReceived(self, data):
        # Only an open connection echoes: then the client closes it itself.
        say("client got echo", data)
        self.transport.loseConnection()

    def connectionLost(self, reason):
        say("client lost", reason.type.__name__)
        self.lost.callback(None)


async def run(reactor, mode):
    f = ServerFactory(mode)
    port = reactor.listenTCP(0, f, interface="127.0.0.1")
    c = Client()
    cf = protocol.ClientFactory()
    cf.buildProtocol = lambda addr: c
    reactor.connectTCP("127.0.0.1", port.getHost().port, cf)
    await c.lost
    await f.lost
    await port.stopListening()
    say("logged errors", mode, errors)
    del errors[:]


async def main(reactor):
    for mode in ("made", "none"):
        await run(reactor, mode)


task.react(lambda reactor: defer.ensureDeferred(main(reactor)))
sys.exit(0)
