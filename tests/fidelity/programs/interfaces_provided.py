"""zope.interface declarations a Twisted program checks: providedBy/implementedBy/verifyObject
on the reactor, transports, protocols, factories and test helpers."""

from twisted.internet import defer, interfaces, protocol, reactor, task, testing
from twisted.protocols import basic
from zope.interface.verify import verifyObject

I = interfaces  # noqa: E741

REACTOR = [
    "IReactorTime", "IReactorCore", "IReactorTCP", "IReactorUDP", "IReactorUNIX",
    "IReactorProcess", "IReactorThreads", "IReactorFDSet", "IReactorPluggableResolver",
    "IReactorSSL", "IReactorMulticast", "IReactorSocket", "IReactorPluggableNameResolver",
]  # fmt: skip
print("reactor provides", [n for n in REACTOR if getattr(I, n).providedBy(reactor)])
for n in ("IReactorTime", "IReactorCore", "IReactorTCP"):
    print("verifyObject", n, verifyObject(getattr(I, n), reactor))
clock = task.Clock()
print("Clock provides", [n for n in REACTOR if getattr(I, n).providedBy(clock)])
mr = testing.MemoryReactorClock()
# bridge's MemoryReactor also provides IReactorUDP: documented in docs/porting.md
MR = [n for n in REACTOR if n != "IReactorUDP"]
print("MemoryReactorClock provides", [n for n in MR if getattr(I, n).providedBy(mr)])
print("IDelayedCall", I.IDelayedCall.providedBy(clock.callLater(1, lambda: None)))

OBJS = {
    "Protocol": protocol.Protocol(),
    "Factory": protocol.Factory(),
    "ClientFactory": protocol.ClientFactory(),
    "DatagramProtocol": protocol.DatagramProtocol(),
    "ProcessProtocol": protocol.ProcessProtocol(),
    "LineReceiver": basic.LineReceiver(),
    "StringTransport": testing.StringTransport(),
}
IFACES = [
    "IProtocol", "IProtocolFactory", "ITransport", "ITCPTransport", "IConsumer",
    "IPushProducer", "IProducer", "IProcessProtocol", "ILoggingContext", "IHalfCloseableProtocol",
    "IProtocolNegotiationFactory", "IListeningPort",
]  # fmt: skip
for name, obj in OBJS.items():
    print(name, [i for i in IFACES if getattr(I, i).providedBy(obj)])


class P(protocol.Protocol):
    def connectionMade(self):
        t = self.transport
        print("TCP transport", [i for i in IFACES if getattr(I, i).providedBy(t)])
        t.loseConnection()
        self.factory.d.callback(None)


async def main(r):
    f = protocol.Factory.forProtocol(P)
    f.d = defer.Deferred()
    port = r.listenTCP(0, f, interface="127.0.0.1")
    # Twisted's Port inherits ITransport/IConsumer/IPushProducer/IProducer from FileDescriptor;
    # bridge deliberately leaves them off a listening port (it has no write()).
    inherited = ("ITransport", "IConsumer", "IPushProducer", "IProducer")
    print("port", [i for i in IFACES if i not in inherited and getattr(I, i).providedBy(port)])
    r.connectTCP(
        "127.0.0.1", port.getHost().port, protocol.ClientFactory.forProtocol(protocol.Protocol)
    )
    await f.d
    await port.stopListening()


task.react(lambda r: defer.ensureDeferred(main(r)))
