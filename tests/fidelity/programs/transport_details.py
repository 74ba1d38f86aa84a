"""Transport details: writeSequence, producers, half-close, abortConnection, loseConnection
flushing, connector.disconnect, factory start/stop, protocol flags and logPrefix."""

from twisted.internet import defer, interfaces, protocol, task
from twisted.internet.error import ConnectionAborted
from zope.interface import implementer


def log(*a):
    print(*a)


class Sink(protocol.Protocol):
    def connectionMade(self):
        self.buf = b""
        self.factory.proto = self
        if self.factory.made is not None:
            self.factory.made.callback(self)

    def dataReceived(self, data):
        self.buf += data

    def connectionLost(self, reason):
        if self.factory.quiet:
            log("sink lost", reason.type.__name__)
        else:
            log("sink lost", reason.type.__name__, "got", len(self.buf), self.buf[:12])
        self.factory.lost.callback(self.buf)


class SinkFactory(protocol.Factory):
    protocol = Sink

    def __init__(self):
        self.made = None
        self.lost = None
        self.quiet = False
        self.starts = 0

    def doStart(self):
        self.starts += 1
        log("doStart", self.starts, "numPorts", self.numPorts)
        protocol.Factory.doStart(self)

    def doStop(self):
        log("doStop numPorts", self.numPorts)
        protocol.Factory.doStop(self)


class Sender(protocol.Protocol):
    def __init__(self, action):
        self.action = action
        self.lost = defer.Deferred()

    def connectionMade(self):
        log("sender connected", self.connected, bool(self.transport.disconnecting))
        self.action(self)

    def connectionLost(self, reason):
        log("sender lost", reason.type.__name__, self.connected)
        self.lost.callback(None)


@implementer(interfaces.IPullProducer)
class Chunks:
    def __init__(self, transport, n):
        self.transport = transport
        self.n = n

    def resumeProducing(self):
        if self.n == 0:
            self.transport.unregisterProducer()
            self.transport.loseConnection()
            return
        self.n -= 1
        self.transport.write(b"chunk%d;" % self.n)

    def stopProducing(self):
        log("stopProducing")


@implementer(interfaces.IHalfCloseableProtocol)
class HalfCloser(protocol.Protocol):
    def connectionMade(self):
        self.factory.proto = self
        self.buf = b""

    def dataReceived(self, data):
        self.buf += data

    def readConnectionLost(self):
        log("half-closer readConnectionLost, replying after", self.buf)
        self.transport.write(b"reply:" + self.buf)
        self.transport.loseConnection()

    def connectionLost(self, reason):
        log("half-closer lost", reason.type.__name__)


class ReplyReader(protocol.Protocol):
    def __init__(self):
        self.buf = b""
        self.lost = defer.Deferred()

    def connectionMade(self):
        self.transport.write(b"question")
        self.transport.loseWriteConnection()

    def dataReceived(self, data):
        self.buf += data

    def connectionLost(self, reason):
        log("reply reader lost", reason.type.__name__, self.buf)
        self.lost.callback(None)


async def one(reactor, action, quiet=False):
    f = SinkFactory()
    f.quiet = quiet
    f.lost = defer.Deferred()
    port = reactor.listenTCP(0, f, interface="127.0.0.1")
    sender = Sender(action)
    cf = protocol.ClientFactory.forProtocol(lambda: sender)
    cf.buildProtocol = lambda addr: sender
    reactor.connectTCP("127.0.0.1", port.getHost().port, cf)
    await f.lost
    await sender.lost
    await port.stopListening()


async def main(reactor):
    log("-- writeSequence + loseConnection flushes")
    big = b"x" * 200000

    def seq(p):
        p.transport.writeSequence([b"a", b"b", b"c"])
        p.transport.write(big)
        p.transport.loseConnection()
        log("disconnecting after loseConnection", bool(p.transport.disconnecting))

    await one(reactor, seq)
    log("-- pull producer")
    await one(reactor, lambda p: p.transport.registerProducer(Chunks(p.transport, 3), False))
    log("-- abortConnection")

    def abort(p):
        p.transport.write(b"lost?")
        p.transport.abortConnection()

    # What reaches the peer before the reset is timing-dependent: only the reason is printed.
    await one(reactor, abort, quiet=True)

    log("-- half close")
    f = protocol.Factory.forProtocol(HalfCloser)
    port = reactor.listenTCP(0, f, interface="127.0.0.1")
    reader = ReplyReader()
    cf = protocol.ClientFactory()
    cf.buildProtocol = lambda addr: reader
    reactor.connectTCP("127.0.0.1", port.getHost().port, cf)
    await reader.lost
    await task.deferLater(reactor, 0.05, lambda: None)
    await port.stopListening()

    log("-- connector.disconnect / stopConnecting")
    sf = SinkFactory()
    sf.lost = defer.Deferred()
    sf.made = defer.Deferred()
    port = reactor.listenTCP(0, sf, interface="127.0.0.1")
    events = []

    client_made = defer.Deferred()

    class Notify(protocol.Protocol):
        def connectionMade(self):
            if not client_made.called:
                client_made.callback(None)

    class CF(protocol.ClientFactory):
        protocol = Notify

        def clientConnectionLost(self, connector, reason):
            events.append(("lost", reason.type.__name__, connector.state))

        def clientConnectionFailed(self, connector, reason):
            events.append(("failed", reason.type.__name__))

        def startFactory(self):
            events.append("startFactory")

        def stopFactory(self):
            events.append("stopFactory")

    connector = reactor.connectTCP("127.0.0.1", port.getHost().port, CF())
    await sf.made
    await client_made
    log("connector state", connector.state)
    connector.disconnect()
    await sf.lost
    await task.deferLater(reactor, 0.05, lambda: None)
    log("events", events)
    connector = reactor.connectTCP("127.0.0.1", port.getHost().port, CF())
    connector.stopConnecting()
    await task.deferLater(reactor, 0.05, lambda: None)
    log("events", events)
    await port.stopListening()
    log("logPrefix", protocol.Protocol().logPrefix(), SinkFactory().logPrefix())
    log("ConnectionAborted base", ConnectionAborted.__mro__[1].__name__)


task.react(lambda reactor: defer.ensureDeferred(main(reactor)))
