"""What happens when protocol code raises in dataReceived, and on framing errors (line too
long, bad netstring, string too long)."""

import sys

from twisted.internet import defer, protocol, task
from twisted.protocols import basic
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


class Lines(basic.LineReceiver):
    MAX_LENGTH = 8

    def lineReceived(self, line):
        say("line", line)


class Net(basic.NetstringReceiver):
    def stringReceived(self, s):
        say("netstring", s)


class Int16(basic.Int16StringReceiver):
    def stringReceived(self, s):
        say("int16", s)


class Int32Max(basic.Int32StringReceiver):
    MAX_LENGTH = 4

    def stringReceived(self, s):
        say("int32", s)

    def lengthLimitExceeded(self, length):
        say("lengthLimitExceeded", length)
        basic.Int32StringReceiver.lengthLimitExceeded(self, length)


def framing():
    from twisted.internet.testing import StringTransport

    for cls, data in (
        (Lines, b"short\r\nmuch too long line\r\nafter\r\n"),
        (Net, b"3:abc,2:xyz,5:hello,"),
        (Net, b"3:abc,x:bad,"),
        (Int32Max, b"\x00\x00\x00\x02ok\x00\x00\x00\x10toolong"),
    ):
        p = cls()
        t = StringTransport()
        p.makeConnection(t)
        p.dataReceived(data)
        say(cls.__name__, "disconnecting", bool(t.disconnecting))
    p = Int16()
    p.makeConnection(StringTransport())
    try:
        p.sendString(b"x" * 70000)
    except basic.StringTooLongError as e:
        say("StringTooLongError", isinstance(e, AssertionError))
    lr = basic.LineReceiver()
    t = StringTransport()
    lr.makeConnection(t)
    lr.sendLine(b"x")
    say("sendLine default delimiter", t.value(), lr.MAX_LENGTH)


async def main(reactor):
    # connectionMade raising and buildProtocol returning None: connection_made_error.py
    for mode in ("data",):
        await run(reactor, mode)
    framing()


task.react(lambda reactor: defer.ensureDeferred(main(reactor)))
sys.exit(0)
