"""Half-close (IHalfCloseableProtocol, loseWriteConnection) and producers/consumers
(registerProducer with push and pull producers, basic.FileSender), as Twisted's howtos use them."""

import io

from twisted.internet import defer, interfaces, protocol, task
from twisted.protocols import basic
from zope.interface import implementer

# Each side's events, printed at the end: the two sides' relative order is the kernel's business.
SERVER = []
CLIENT = []


@implementer(interfaces.IHalfCloseableProtocol)
class Summer(protocol.Protocol):
    """Reads numbers until the client half-closes, then answers with the sum and closes."""

    def connectionMade(self):
        self.buf = b""

    def dataReceived(self, data):
        self.buf += data

    def readConnectionLost(self):
        total = sum(int(x) for x in self.buf.split())
        SERVER.append(("readConnectionLost, sum", total))
        self.transport.write(b"%d" % total)
        self.transport.loseConnection()

    def writeConnectionLost(self):
        SERVER.append("writeConnectionLost")

    def connectionLost(self, reason):
        SERVER.append(("connectionLost", reason.type.__name__))


@implementer(interfaces.IHalfCloseableProtocol)
class SumClient(protocol.Protocol):
    def connectionMade(self):
        self.got = b""
        self.transport.write(b"1 2 3 4")
        self.transport.loseWriteConnection()

    def dataReceived(self, data):
        self.got += data

    def readConnectionLost(self):
        CLIENT.append(("readConnectionLost, got", self.got))
        self.transport.loseConnection()

    def writeConnectionLost(self):
        CLIENT.append("writeConnectionLost")

    def connectionLost(self, reason):
        CLIENT.append(("connectionLost", reason.type.__name__))
        self.factory.done.callback(self.got)


@implementer(interfaces.IPullProducer)
class Countdown:
    def __init__(self, transport, n):
        self.transport = transport
        self.n = n

    def resumeProducing(self):
        if self.n == 0:
            self.transport.unregisterProducer()
            self.transport.loseConnection()
            return
        self.transport.write(b"%d\n" % self.n)
        self.n -= 1

    def stopProducing(self):
        print("pull stopProducing")


@implementer(interfaces.IPushProducer)
class Burst:
    def __init__(self, transport):
        self.transport = transport
        self.paused = False
        self.stopped = False

    def pauseProducing(self):
        self.paused = True

    def resumeProducing(self):
        self.paused = False

    def stopProducing(self):
        self.stopped = True


class ProducerServer(protocol.Protocol):
    def connectionMade(self):
        kind = self.factory.kind
        if kind == "pull":
            self.transport.registerProducer(Countdown(self.transport, 3), False)
        elif kind == "push":
            producer = Burst(self.transport)
            self.transport.registerProducer(producer, True)
            try:
                self.transport.registerProducer(producer, True)
            except RuntimeError as e:
                print("second registerProducer", type(e).__name__)
            self.transport.write(b"x" * 1000)
            self.transport.unregisterProducer()
            self.transport.loseConnection()
        else:
            d = basic.FileSender().beginFileTransfer(io.BytesIO(b"abc" * 10000), self.transport,
                                                     lambda data: data.upper())  # fmt: skip
            d.addCallback(self.sent)

    def sent(self, last):
        print("FileSender done, last", last[-3:])
        self.transport.loseConnection()


class Collector(protocol.Protocol):
    def connectionMade(self):
        self.data = b""

    def dataReceived(self, data):
        self.data += data

    def connectionLost(self, reason):
        self.factory.done.callback(self.data)


async def fetch(reactor, port, proto):
    f = protocol.ClientFactory.forProtocol(proto)
    f.done = defer.Deferred()
    reactor.connectTCP("127.0.0.1", port, f)
    return await f.done


async def main(reactor):
    port = reactor.listenTCP(0, protocol.Factory.forProtocol(Summer), interface="127.0.0.1")
    got = await fetch(reactor, port.getHost().port, SumClient)
    print("sum result", got)
    print("server", SERVER)
    print("client", CLIENT)
    await port.stopListening()

    factory = protocol.Factory.forProtocol(ProducerServer)
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    for kind in ("pull", "push", "file"):
        factory.kind = kind
        data = await fetch(reactor, port.getHost().port, Collector)
        print(kind, len(data), data[:12])
    await port.stopListening()


task.react(lambda reactor: defer.ensureDeferred(main(reactor)))
