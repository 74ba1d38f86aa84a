"""The log "system" of events logged from protocol callbacks ([Echo,0,127.0.0.1], [C,client],
[U (UDP)]), transports' and ports' logPrefix(), and the reactor's own log lines around them."""

import re

from twisted.internet import defer, protocol, task
from twisted.python import log

lines = []


def observer(event):
    text = log.textFromEventDict(event)
    if text is not None and "Starting factory" not in text and "Stopping factory" not in text:
        lines.append(re.sub(r"\b\d{4,5}\b", "N", f"[{event['system']}] {text}"))  # ports


class Echo(protocol.Protocol):
    def connectionMade(self):
        log.msg("server made", self.transport.logPrefix())

    def dataReceived(self, data):
        log.msg("server got", data)
        self.transport.write(data)

    def connectionLost(self, reason):
        log.msg("server lost")
        self.factory.lost.callback(None)


class C(protocol.Protocol):
    def connectionMade(self):
        log.msg("client made", self.transport.logPrefix())
        self.transport.write(b"hi")

    def dataReceived(self, data):
        log.msg("client got", data)
        self.transport.loseConnection()

    def connectionLost(self, reason):
        log.msg("client lost")
        self.factory.d.callback(None)


class U(protocol.DatagramProtocol):
    def startProtocol(self):
        log.msg("udp start", self.transport.logPrefix())

    def datagramReceived(self, data, addr):
        log.msg("udp got", data)
        self.d.callback(None)


async def main(reactor):
    log.addObserver(observer)
    f = protocol.Factory.forProtocol(Echo)
    f.lost = defer.Deferred()
    port = reactor.listenTCP(0, f, interface="127.0.0.1")
    log.msg("port prefix", port.logPrefix())
    cf = protocol.ClientFactory.forProtocol(C)
    cf.d = defer.Deferred()
    reactor.connectTCP("127.0.0.1", port.getHost().port, cf)
    await defer.gatherResults([cf.d, f.lost])
    await port.stopListening()
    u = U()
    u.d = defer.Deferred()
    up = reactor.listenUDP(0, u, interface="127.0.0.1")
    up.write(b"x", ("127.0.0.1", up.getHost().port))
    await u.d
    await up.stopListening()
    log.removeObserver(observer)
    # The client's and server's lines interleave as the kernel delivers: compare per side.
    for line in lines:
        if "server" not in line and "client" not in line:
            print(line)
    print("server", [line for line in lines if "server" in line])
    print("client", [line for line in lines if "client" in line])


task.react(lambda r: defer.ensureDeferred(main(r)))
