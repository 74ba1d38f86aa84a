"""UNIX datagram sockets: listenUNIXDatagram / connectUNIXDatagram (IReactorUNIXDatagram)."""

import os
import tempfile

from twisted.internet import defer, interfaces, protocol, task


class Server(protocol.DatagramProtocol):
    def startProtocol(self):
        print("server startProtocol")

    def stopProtocol(self):
        print("server stopProtocol")

    def datagramReceived(self, data, addr):
        print("server got", data, os.path.basename(addr) if addr else addr)
        if addr:
            self.transport.write(data.upper(), addr)


class Client(protocol.ConnectedDatagramProtocol):
    def __init__(self):
        self.got = defer.Deferred()

    def startProtocol(self):
        print("client startProtocol")
        self.transport.write(b"hello")

    def stopProtocol(self):
        print("client stopProtocol")

    def datagramReceived(self, data):
        print("client got", data)
        self.got.callback(data)

    def connectionFailed(self, failure):
        print("client connectionFailed", failure.type.__name__)


async def main(reactor):
    print("provides", interfaces.IReactorUNIXDatagram.providedBy(reactor))
    with tempfile.TemporaryDirectory() as tmp:
        spath = os.path.join(tmp, "server")
        cpath = os.path.join(tmp, "client")
        port = reactor.listenUNIXDatagram(spath, Server(), mode=0o600)
        host = port.getHost()
        print(
            "listening",
            type(host).__name__,
            os.path.basename(host.name),
            oct(os.stat(spath).st_mode & 0o777),
        )
        names = ("IListeningPort", "IUNIXDatagramTransport", "ISystemHandle")
        print("port provides", [n for n in names if getattr(interfaces, n).providedBy(port)])
        client = Client()
        cport = reactor.connectUNIXDatagram(spath, client, bindAddress=cpath)
        print(
            "client host",
            os.path.basename(cport.getHost().name),
            "peer",
            os.path.basename(cport.getPeer().name),
        )
        print("client provides", [n for n in ("IUNIXDatagramConnectedTransport", "IListeningPort")
                                  if getattr(interfaces, n).providedBy(cport)])  # fmt: skip
        await client.got
        anon = Client()
        aport = reactor.connectUNIXDatagram(spath, anon)
        print("anon host", aport.getHost())
        await task.deferLater(reactor, 0.2, lambda: None)
        await aport.stopListening()
        bad = Client()
        r = reactor.connectUNIXDatagram(os.path.join(tmp, "missing"), bad)
        print("bad returned", type(r).__name__)
        await cport.stopListening()
        await port.stopListening()
        print("socket file left", os.path.exists(spath), os.path.exists(cpath))
        try:
            reactor.listenUNIXDatagram(os.path.join(tmp, "nodir", "x"), Server())
        except Exception as e:
            print("listen error", type(e).__name__)


task.react(lambda reactor: defer.ensureDeferred(main(reactor)))
