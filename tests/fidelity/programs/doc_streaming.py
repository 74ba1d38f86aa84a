"""docs/core/examples/streaming.py (a push producer serving random integers over a
LineReceiver, with startLogging) and docs/core/examples/longex2.py (multiplying a line's
numbers with a generator stepped by callLater), each asked by a client in the same process.
The listings are unchanged except for Python 3 (bytes lines, @implementer, next(), int),
port 0 on 127.0.0.1, a seeded random, and startLogging writing to a buffer whose lines are
printed without their timestamps at the end."""

# The listing's own style is kept as it is.
# ruff: noqa: UP031, UP004

import io
import random
import re
import sys
from random import randrange

from twisted.internet import defer, interfaces, protocol, reactor
from twisted.internet.protocol import Factory
from twisted.protocols import basic
from twisted.protocols.basic import LineReceiver
from twisted.python.log import startLogging
from zope.interface import implementer

random.seed(7)

# -- docs/core/examples/streaming.py ------------------------------------------------------


@implementer(interfaces.IPushProducer)
class Producer(object):
    """
    Send back the requested number of random integers to the client.
    """

    def __init__(self, proto, count):
        self._proto = proto
        self._goal = count
        self._produced = 0
        self._paused = False

    def pauseProducing(self):
        self._paused = True
        print("Pausing connection from %s" % self._proto.transport.getPeer())

    def resumeProducing(self):
        self._paused = False

        while not self._paused and self._produced < self._goal:
            next_int = randrange(0, 10000)
            self._proto.sendLine(b"%d" % next_int)
            self._produced += 1

        if self._produced == self._goal:
            self._proto.transport.unregisterProducer()
            self._proto.transport.loseConnection()

    def stopProducing(self):
        self._produced = self._goal


class ServeRandom(LineReceiver):
    """
    Serve up random integers.
    """

    def connectionMade(self):
        print("Connection made from %s" % mask(self.transport.getPeer()))
        self.sendLine(b"How many random integers do you want?")

    def lineReceived(self, line):
        count = int(line.strip())
        print("Client requested %d random integers!" % count)
        producer = Producer(self, count)
        self.transport.registerProducer(producer, True)
        producer.resumeProducing()

    def connectionLost(self, reason):
        print("Connection lost from %s" % mask(self.transport.getPeer()))


# -- docs/core/examples/longex2.py --------------------------------------------------------


def runIterator(reactor, iterator):
    try:
        next(iterator)
    except StopIteration:
        pass
    else:
        reactor.callLater(0, runIterator, reactor, iterator)


def multiply(numbers):
    d = defer.Deferred()

    def _():
        acc = 1
        while numbers:
            acc *= numbers.pop()
            yield None
        d.callback(acc)

    return d, _()


class Numbers(basic.LineReceiver):
    def lineReceived(self, line):
        try:
            numbers = list(map(int, line.split()))
        except ValueError:
            self.sendLine(b"Error.")
            return
        deferred = self.factory.calc(numbers)
        deferred.addCallback(lambda n: str(n).encode())
        deferred.addCallback(self.sendLine)


class Multiplication(protocol.ServerFactory):
    protocol = Numbers

    def calc(self, numbers):
        deferred, iterator = multiply(numbers)
        from twisted.internet import reactor

        runIterator(reactor, iterator)
        return deferred


# -- the wrapping: clients, a log buffer, the end -----------------------------------------

STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d{4} ", re.M)


def mask(address):
    return re.sub(r"port=\d+", "port=N", str(address))


class Asker(LineReceiver):
    def connectionMade(self):
        self.got = []
        for line in self.factory.lines:
            self.sendLine(line)

    def lineReceived(self, line):
        self.got.append(line)
        if len(self.got) == self.factory.expect:
            self.transport.loseConnection()

    def connectionLost(self, reason):
        self.factory.done.callback(self.got)


def ask(port, lines, expect):
    f = protocol.ClientFactory.forProtocol(Asker)
    f.lines, f.expect, f.done = lines, expect, defer.Deferred()
    reactor.connectTCP("127.0.0.1", port.getHost().port, f)
    return f.done


@defer.inlineCallbacks
def script():
    factory = Factory()
    factory.protocol = ServeRandom
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    got = yield ask(port, [b"5"], 6)
    print("client got", got)
    yield port.stopListening()

    port = reactor.listenTCP(0, Multiplication(), interface="127.0.0.1")
    got = yield ask(port, [b"2 3 7", b"", b"1 x", b"12345678901234567890 98765432109876543210"], 4)
    print("client got", got)
    yield port.stopListening()


buffer = io.StringIO()
startLogging(buffer)
script().addBoth(lambda _: reactor.stop())
reactor.run()
sys.__stdout__.write(re.sub(r"(Port|starting on) \d+", r"\1 N", STAMP.sub("", buffer.getvalue())))
