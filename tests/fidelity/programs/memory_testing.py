"""twisted.internet.testing: MemoryReactor, MemoryReactorClock, StringTransport, and
twisted.test.proto_helpers, as unit tests of protocols use them."""

from twisted.internet import protocol, testing
from twisted.internet.address import IPv4Address
from twisted.protocols import basic
from twisted.test import proto_helpers


def log(*a):
    print(*a)


class Upper(basic.LineReceiver):
    def lineReceived(self, line):
        self.sendLine(line.upper())
        if line == b"bye":
            self.transport.loseConnection()


factory = protocol.Factory.forProtocol(Upper)
proto = factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 1234))
tr = testing.StringTransport()
proto.makeConnection(tr)
proto.dataReceived(b"hello\r\nwor")
log("value", tr.value())
proto.dataReceived(b"ld\r\nbye\r\n")
log("value", tr.value(), "disconnecting", tr.disconnecting)
tr.clear()
log("cleared", tr.value())
log("peer", tr.getPeer(), "host", tr.getHost())
try:
    tr.write("text")
except TypeError:
    log("StringTransport rejects str")


# too long line
class Short(basic.LineReceiver):
    MAX_LENGTH = 5

    def lineReceived(self, line):
        log("short line", line)

    def lineLengthExceeded(self, line):
        log("lineLengthExceeded", line)
        return basic.LineReceiver.lineLengthExceeded(self, line)


s = Short()
tr2 = testing.StringTransport()
s.makeConnection(tr2)
s.dataReceived(b"ok\r\ntoolongline\r\nnext\r\n")
log("after too long: disconnecting", tr2.disconnecting)


# setRawMode / setLineMode
class Mixed(basic.LineReceiver):
    def lineReceived(self, line):
        log("mixed line", line)
        if line == b"raw":
            self.setRawMode()

    def rawDataReceived(self, data):
        log("mixed raw", data)
        self.setLineMode(data[3:])


m = Mixed()
m.makeConnection(testing.StringTransport())
m.dataReceived(b"a\r\nraw\r\nxyzb\r\nc\r\n")

# MemoryReactor
mr = testing.MemoryReactor()
port = mr.listenTCP(8080, factory, interface="127.0.0.1")
log("tcpServers", [(p, i) for p, _f, _b, i in mr.tcpServers])
log("listen host", port.getHost())
cf = protocol.ClientFactory()
conn = mr.connectTCP("example.com", 80, cf, timeout=7)
host, p, f, timeout, bind = mr.tcpClients[0]
log("tcpClients", host, p, f is cf, timeout, bind)
log("connector dest", conn.getDestination())
mrc = testing.MemoryReactorClock()
calls = []
mrc.callLater(1, calls.append, 1)
mrc.advance(1)
log("MemoryReactorClock", calls, mrc.seconds())
mrc.run()
log("running", mrc.running, mrc.hasRun)
mrc.stop()
log("stopped", mrc.running, mrc.hasStopped)
log("proto_helpers same", proto_helpers.StringTransport is testing.StringTransport)

# AccumulatingProtocol-style loopback with connect via iosim-free manual wiring
a = testing.AccumulatingProtocol()
a.makeConnection(testing.StringTransport())
a.dataReceived(b"x")
a.dataReceived(b"y")
log("accumulated", a.data, a.made)
