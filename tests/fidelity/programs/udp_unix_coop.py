"""UDP (DatagramProtocol, connected UDP), UNIX sockets, task.cooperate/coiterate."""

import os
import tempfile

from twisted.internet import defer, protocol, task
from twisted.internet.address import UNIXAddress


def log(*a):
    print(*a)


class Echo(protocol.DatagramProtocol):
    def startProtocol(self):
        log("udp server startProtocol")

    def stopProtocol(self):
        log("udp server stopProtocol")

    def datagramReceived(self, data, addr):
        log("udp server got", data, type(addr).__name__, addr[0])
        self.transport.write(data.upper(), addr)


class Client(protocol.DatagramProtocol):
    def __init__(self, port):
        self.port = port
        self.got = defer.Deferred()

    def startProtocol(self):
        self.transport.connect("127.0.0.1", self.port)
        log("udp client connected host", self.transport.getHost().host)
        self.transport.write(b"ping")

    def datagramReceived(self, data, addr):
        log("udp client got", data, addr[0], addr[1] == self.port)
        self.got.callback(data)

    def connectionRefused(self):
        log("udp connectionRefused")


class UnixEcho(protocol.Protocol):
    def connectionMade(self):
        h = self.transport.getHost()
        log("unix server made", type(h).__name__, h.name == self.factory.path.encode()
            or h.name == self.factory.path)  # fmt: skip

    def dataReceived(self, data):
        self.transport.write(data[::-1])
        self.transport.loseConnection()


class UnixClient(protocol.Protocol):
    def __init__(self):
        self.done = defer.Deferred()

    def connectionMade(self):
        peer = self.transport.getPeer()
        log("unix client made", isinstance(peer, UNIXAddress))
        self.transport.write(b"abc")

    def dataReceived(self, data):
        log("unix client got", data)

    def connectionLost(self, reason):
        log("unix client lost", reason.type.__name__)
        self.done.callback(None)


async def main(reactor):
    server = Echo()
    port = reactor.listenUDP(0, server, interface="127.0.0.1")
    host = port.getHost()
    log("udp listening", type(host).__name__, host.type, host.host)
    client = Client(host.port)
    cport = reactor.listenUDP(0, client, interface="127.0.0.1")
    await client.got
    await cport.stopListening()
    await port.stopListening()

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "sock")
        f = protocol.Factory.forProtocol(UnixEcho)
        f.path = path
        uport = reactor.listenUNIX(path, f)
        log("unix listening", type(uport.getHost()).__name__)
        c = UnixClient()
        cf = protocol.ClientFactory()
        cf.buildProtocol = lambda addr: c
        reactor.connectUNIX(path, cf)
        await c.done
        await uport.stopListening()

    out = []

    def gen(name, n):
        for i in range(n):
            out.append((name, i))
            yield None

    await defer.gatherResults(
        [task.cooperate(gen("a", 3)).whenDone(), task.cooperate(gen("b", 2)).whenDone()]
    )
    log("cooperate", sorted(out))
    r = await task.coiterate(iter([1, 2, 3]))
    log("coiterate result is iterator", type(r).__name__)
    t = task.cooperate(gen("c", 100))
    t.stop()
    try:
        await t.whenDone()
    except task.TaskStopped:
        log("TaskStopped")


task.react(lambda reactor: defer.ensureDeferred(main(reactor)))
