"""Name resolution as Twisted documents it: reactor.resolve, installResolver (IResolverSimple),
installNameResolver (IHostnameResolver), and connectTCP/HostnameEndpoint going through them."""

from twisted.internet import defer, endpoints, error, interfaces, protocol, task
from twisted.internet.address import IPv4Address, IPv6Address
from zope.interface import implementer


@implementer(interfaces.IResolverSimple)
class HostsFile:
    def __init__(self, table):
        self.table = table

    def getHostByName(self, name, timeout=(1, 3, 11, 45)):
        print("  getHostByName", name)
        if name in self.table:
            return defer.succeed(self.table[name])
        return defer.fail(error.DNSLookupError(name))


@implementer(interfaces.IHostnameResolver)
class Static:
    def __init__(self, table):
        self.table = table

    def resolveHostName(self, receiver, hostName, portNumber=0, addressTypes=None,
                        transportSemantics="TCP"):  # fmt: skip
        types = sorted(t.__name__ for t in addressTypes) if addressTypes else addressTypes
        shown = portNumber if portNumber < 10000 else "N"
        print("  resolveHostName", hostName, shown, types, transportSemantics)
        resolution = Resolution(hostName)
        receiver.resolutionBegan(resolution)
        for host in self.table.get(hostName, []):
            kind = IPv6Address if ":" in host else IPv4Address
            receiver.addressResolved(kind("TCP", host, portNumber))
        receiver.resolutionComplete()
        return resolution


@implementer(interfaces.IHostResolution)
class Resolution:
    def __init__(self, name):
        self.name = name

    def cancel(self):
        pass


@implementer(interfaces.IResolutionReceiver)
class Collect:
    def __init__(self):
        self.done = defer.Deferred()
        self.addresses = []

    def resolutionBegan(self, resolution):
        print("  began", resolution.name, interfaces.IHostResolution.providedBy(resolution))

    def addressResolved(self, address):
        self.addresses.append(address)

    def resolutionComplete(self):
        self.done.callback(self.addresses)


class Greeter(protocol.Protocol):
    def connectionMade(self):
        self.transport.write(b"hello from " + self.factory.name)
        self.transport.loseConnection()


class Reader(protocol.Protocol):
    def dataReceived(self, data):
        print("  client got", data)

    def connectionLost(self, reason):
        self.factory.done.callback(None)


class ReaderFactory(protocol.ClientFactory):
    protocol = Reader

    def __init__(self):
        self.done = defer.Deferred()

    def clientConnectionFailed(self, connector, reason):
        print("  clientConnectionFailed", reason.type.__name__, str(reason.value))
        self.done.callback(None)


def show_failure(f):
    print("  failed", f.type.__name__, str(f.value), f.value.args)


async def main(reactor):
    print("provides", [i.__name__ for i in (interfaces.IReactorPluggableResolver,
                                            interfaces.IReactorPluggableNameResolver)
                       if i.providedBy(reactor)])  # fmt: skip
    print("resolver verifies", interfaces.IResolverSimple.providedBy(reactor.resolver))
    print("nameResolver verifies", interfaces.IHostnameResolver.providedBy(reactor.nameResolver))
    print("resolve literal", await reactor.resolve("192.0.2.7"))
    print("resolve empty", await reactor.resolve(""))
    print("resolve localhost", await reactor.resolve("localhost"))
    try:
        await reactor.resolve("no-such-host.invalid")
    except error.DNSLookupError as e:
        print("resolve unknown", type(e).__name__, str(e))

    print("default nameResolver, IPv4 only")
    c = Collect()
    reactor.nameResolver.resolveHostName(c, "localhost", 8080, [IPv4Address])
    print("  addresses", await c.done)
    c = Collect()
    reactor.nameResolver.resolveHostName(c, "no-such-host.invalid", 80)
    print("  addresses", await c.done)

    factory = protocol.Factory.forProtocol(Greeter)
    factory.name = b"server"
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    portno = port.getHost().port

    print("installResolver")
    previous = reactor.installResolver(HostsFile({"db.example": "127.0.0.1"}))
    print("  previous provides IResolverSimple", interfaces.IResolverSimple.providedBy(previous))
    print("  resolve", await reactor.resolve("db.example"))
    c = Collect()
    reactor.nameResolver.resolveHostName(c, "db.example", 5432)
    print("  addresses", await c.done)
    f = ReaderFactory()
    reactor.connectTCP("db.example", portno, f)
    await f.done
    f = ReaderFactory()
    reactor.connectTCP("nowhere.example", portno, f)
    await f.done

    print("installNameResolver")
    old = reactor.installNameResolver(Static({"web.example": ["127.0.0.1"]}))
    print("  old provides IHostnameResolver", interfaces.IHostnameResolver.providedBy(old))
    print("  resolve", await reactor.resolve("web.example"))
    await reactor.resolve("gone.example").addErrback(show_failure)
    f = ReaderFactory()
    reactor.connectTCP("web.example", portno, f)
    await f.done
    ep = endpoints.HostnameEndpoint(reactor, b"web.example", portno)
    proto = await ep.connect(protocol.Factory.forProtocol(protocol.Protocol))
    print("  HostnameEndpoint connected", proto.transport.getPeer().host)
    proto.transport.loseConnection()
    ep = endpoints.HostnameEndpoint(reactor, b"gone.example", portno)
    await ep.connect(protocol.Factory.forProtocol(protocol.Protocol)).addErrback(show_failure)
    await port.stopListening()


task.react(lambda reactor: defer.ensureDeferred(main(reactor)))
