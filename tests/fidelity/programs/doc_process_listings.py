"""The process howto's listings in sequence: docs/core/howto/listings/process/process.py (MyPP
feeding `wc`, every ProcessProtocol callback printed), trueandfalse.py (getProcessValue of
/bin/true and /bin/false) and quotes.py (FortuneQuoter: a TCP server answering with a
program's output; its `fortune` is pointed at /bin/echo). The listings are unchanged except
for text -> bytes (they predate Python 3) and each one's reactor.stop() starting the next."""

# The listing's own style is kept as it is.
# ruff: noqa: B007, UP031, RUF059

import builtins
import re

from twisted.internet import protocol, reactor, utils

# The order in which a child's output, pipe closes and exit are reported is not compared:
# Twisted's epoll reactor reports stdout data and EOF, stderr EOF, then the exit; bridge reports
# them as asyncio sees them (stderr EOF and the exit can come before stdout's EOF, even before
# its data under load). MyPP's lines from its first output event to processEnded are printed
# sorted.
held = []


def print(*args):
    text = " ".join(str(a) for a in args)
    if text.startswith("processEnded"):
        for line in sorted(held):
            builtins.print(line)
        held.clear()
    elif held or text.startswith(("outReceived", "errReceived", "processExited", "out", "err")):
        held.append(text)
        return
    builtins.print(text)


# -- docs/core/howto/listings/process/process.py ------------------------------------------


class MyPP(protocol.ProcessProtocol):
    def __init__(self, verses):
        self.verses = verses
        self.data = b""

    def connectionMade(self):
        print("connectionMade!")
        for i in range(self.verses):
            self.transport.write(
                b"Aleph-null bottles of beer on the wall,\n"
                + b"Aleph-null bottles of beer,\n"
                + b"Take one down and pass it around,\n"
                + b"Aleph-null bottles of beer on the wall.\n"
            )
        self.transport.closeStdin()  # tell them we're done

    def outReceived(self, data):
        print("outReceived! with %d bytes!" % len(data))
        self.data = self.data + data

    def errReceived(self, data):
        print("errReceived! with %d bytes!" % len(data))

    def inConnectionLost(self):
        print("inConnectionLost! stdin is closed! (we probably did it)")

    def outConnectionLost(self):
        print("outConnectionLost! The child closed their stdout!")
        # now is the time to examine what they wrote
        # print("I saw them write:", self.data)
        (dummy, lines, words, chars, file) = re.split(r"\s+", self.data.decode() + " -")
        print("I saw %s lines" % lines)

    def errConnectionLost(self):
        print("errConnectionLost! The child closed their stderr.")

    def processExited(self, reason):
        print("processExited, status %d" % (reason.value.exitCode,))

    def processEnded(self, reason):
        print("processEnded, status %d" % (reason.value.exitCode,))
        print("quitting")
        trueandfalse()


# -- docs/core/howto/listings/process/trueandfalse.py -------------------------------------


def printTrueValue(val):
    print("/bin/true exits with rc=%d" % val)
    output = utils.getProcessValue("/bin/false")
    output.addCallback(printFalseValue)


def printFalseValue(val):
    print("/bin/false exits with rc=%d" % val)
    quotes()


def trueandfalse():
    output = utils.getProcessValue("/bin/true")
    output.addCallback(printTrueValue)


# -- docs/core/howto/listings/process/quotes.py -------------------------------------------


class FortuneQuoter(protocol.Protocol):
    fortune = "/usr/games/fortune"

    def connectionMade(self):
        output = utils.getProcessOutput(self.fortune)
        output.addCallbacks(self.writeResponse, self.noResponse)

    def writeResponse(self, resp):
        self.transport.write(resp)
        self.transport.loseConnection()

    def noResponse(self, err):
        self.transport.loseConnection()


class EchoQuoter(FortuneQuoter):
    fortune = "/bin/echo"


class Reader(protocol.Protocol):
    def connectionMade(self):
        self.got = b""

    def dataReceived(self, data):
        self.got += data

    def connectionLost(self, reason):
        print("quote was", repr(self.got), reason.type.__name__)
        self.factory.next()


def quotes():
    steps = [EchoQuoter]

    def next():
        if not steps:
            reactor.stop()
            return
        f = protocol.Factory()
        f.protocol = steps.pop(0)
        port = reactor.listenTCP(0, f, interface="127.0.0.1")
        client = protocol.ClientFactory.forProtocol(Reader)
        client.next = lambda: port.stopListening().addCallback(lambda _: next())
        reactor.connectTCP("127.0.0.1", port.getHost().port, client)

    next()


pp = MyPP(10)
reactor.spawnProcess(pp, "wc", ["wc"], {})
reactor.run()
