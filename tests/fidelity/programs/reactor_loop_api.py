"""Driving the reactor by hand, as Twisted's semi-private API allows: timeout(), runUntilCurrent(),
iterate(), startRunning()/mainLoop(), wakeUp(), disconnectAll(), sigInt(); plus the reactor's
thread-pool attributes."""

import signal
import threading

from twisted.internet import error, protocol, reactor

calls = []
lost = []
made_sides = []
print("timeout idle", reactor.timeout())
reactor.callLater(0, calls.append, "due")
later = reactor.callLater(30, calls.append, "later")
t = reactor.timeout()
print("timeout pending", 0 <= t <= 30)
reactor.runUntilCurrent()
print("after runUntilCurrent", calls)
later.cancel()
reactor.callLater(0, calls.append, "iterated")
reactor.iterate()
print("after iterate", calls)
print("running before start", reactor.running, "usingThreads", reactor.usingThreads)

events = []
reactor.addSystemEventTrigger("before", "startup", events.append, "before startup")
reactor.callWhenRunning(events.append, "callWhenRunning")
reactor.startRunning(installSignalHandlers=False)
print("startRunning fired", events, "running", reactor.running)
try:
    reactor.startRunning()
except error.ReactorAlreadyRunning as e:
    print("startRunning again", type(e).__name__)


def made(side):
    # Both ends are connected (in whichever order the loop reports them): drop everything.
    made_sides.append(side)
    if len(made_sides) == 2:
        print("both connected")
        reactor.callLater(0, reactor.disconnectAll)


class Server(protocol.Protocol):
    def connectionMade(self):
        made("server")

    def connectionLost(self, reason):
        lost.append(("server connectionLost", reason.type.__name__))


class Client(protocol.Protocol):
    def connectionMade(self):
        made("client")

    def connectionLost(self, reason):
        lost.append(("client connectionLost", reason.type.__name__))
        reactor.callLater(0.05, after_disconnect)


class ClientFactory(protocol.ClientFactory):
    protocol = Client

    def clientConnectionLost(self, connector, reason):
        lost.append(("clientConnectionLost", reason.type.__name__))


def after_disconnect():
    # disconnectAll's order among connections is the reactor's business: sort.
    print("lost", sorted(lost))
    print("port connected after disconnectAll", bool(port.connected))

    def from_thread():
        reactor.callFromThread(calls.append, "from thread")
        reactor.wakeUp()

    threading.Thread(target=from_thread).start()
    reactor.callLater(0.1, finish)


def finish():
    print("calls", calls)
    reactor.addSystemEventTrigger("before", "shutdown", print, "shutdown begins")
    reactor.sigInt(signal.SIGINT)


port = reactor.listenTCP(0, protocol.Factory.forProtocol(Server), interface="127.0.0.1")
reactor.connectTCP("127.0.0.1", port.getHost().port, ClientFactory())
reactor.mainLoop()
print("mainLoop returned, running", reactor.running)
