"""The trial howto's remote-calculation example, driven the way its tests drive it: a
StringTransport for the wire, a task.Clock for the timeouts, and log observers for the errors."""

from twisted.internet import defer, protocol, task, testing
from twisted.protocols import basic
from twisted.python import log

logged = []
log.addObserver(
    lambda e: (
        logged.append((e.get("why"), e["failure"].type.__name__))
        if e.get("isError") and "failure" in e
        else None
    )
)


class Calculation:
    def _make_ints(self, *args):
        try:
            return [int(arg) for arg in args]
        except ValueError:
            raise TypeError(f"Couldn't coerce arguments to integers: {args}") from None

    def add(self, a, b):
        a, b = self._make_ints(a, b)
        return a + b

    def divide(self, a, b):
        a, b = self._make_ints(a, b)
        return a // b


class RemoteCalculationProtocol(basic.LineReceiver):
    def __init__(self):
        self.calc = Calculation()

    def lineReceived(self, line):
        op, a, b = line.decode("ascii").split()
        try:
            result = getattr(self.calc, op)(a, b)
        except Exception:
            log.err()
            self.sendLine(b"error")
        else:
            self.sendLine(str(result).encode("ascii"))


class ClientTimeoutError(Exception):
    pass


class RemoteCalculationClient(basic.LineReceiver):
    timeout = 60

    def __init__(self, clock):
        self.callLater = clock.callLater
        self.results = []

    def lineReceived(self, line):
        d, call = self.results.pop(0)
        call.cancel()
        if line == b"error":
            d.errback(ValueError("the server failed"))
        else:
            d.callback(int(line))

    def _cancel(self, d):
        self.results = [(other, call) for other, call in self.results if other is not d]
        d.errback(ClientTimeoutError())

    def _send(self, op, a, b):
        d = defer.Deferred()
        call = self.callLater(self.timeout, self._cancel, d)
        self.results.append((d, call))
        self.sendLine(f"{op} {a} {b}".encode("ascii"))
        return d

    def add(self, a, b):
        return self._send("add", a, b)

    def divide(self, a, b):
        return self._send("divide", a, b)


# -- the server side, on a StringTransport ---------------------------------------------
server_factory = protocol.Factory.forProtocol(RemoteCalculationProtocol)
server = server_factory.buildProtocol(("127.0.0.1", 0))
server_tr = testing.StringTransport()
server.makeConnection(server_tr)
for request in (b"add 2 3", b"divide 7 2", b"add x 1", b"divide 1 0"):
    server.dataReceived(request + b"\r\n")
    print("server", request, "->", server_tr.value())
    server_tr.clear()
print("server errors logged", logged)
logged.clear()

# -- the client side, with a Clock for the timeouts -----------------------------------------
clock = task.Clock()
client = RemoteCalculationClient(clock)
client_tr = testing.StringTransportWithDisconnection()
client_tr.protocol = client
client.makeConnection(client_tr)

d = client.add(1, 2)
d.addCallback(lambda r: print("add result", r))
print("client sent", client_tr.value(), "pending calls", len(clock.getDelayedCalls()))
client_tr.clear()
client.dataReceived(b"3\r\n")
print("after reply pending calls", len(clock.getDelayedCalls()))

# a reply that never comes: the timeout fails the Deferred
d = client.divide(6, 0)
d.addErrback(lambda f: print("timed out", f.check(ClientTimeoutError).__name__, clock.seconds()))
clock.advance(client.timeout - 1)
print("not yet", d.called)
clock.advance(1)

# a server error, then a late answer after a timeout for another request
d1 = client.add(1, 1)
d2 = client.add("a", 1)
d1.addCallback(lambda r: print("first", r))
d2.addErrback(lambda f: print("second failed", f.type.__name__, f.getErrorMessage()))
client.dataReceived(b"2\r\nerror\r\n")
print("requests on the wire", client_tr.value().split(b"\r\n"))

# both sides connected in memory, through the pump
client2 = RemoteCalculationClient(clock)
server2 = RemoteCalculationProtocol()
c_tr, s_tr = testing.StringTransport(), testing.StringTransport()
client2.makeConnection(c_tr)
server2.makeConnection(s_tr)
results = []
defer.gatherResults([client2.add(20, 22), client2.divide(9, 3)]).addCallback(results.append)
server2.dataReceived(c_tr.value())
client2.dataReceived(s_tr.value())
print("pumped results", results, "pending", len(clock.getDelayedCalls()))

client_tr.loseConnection()
print("client connected", client_tr.connected, "lost reason", type(client_tr).__name__)

# a MemoryReactorClock records connection attempts and runs timed calls
mrc = testing.MemoryReactorClock()
factory = protocol.ClientFactory.forProtocol(lambda: RemoteCalculationClient(mrc))
mrc.connectTCP("calc.example", 46, factory, timeout=5)
host, port, f, timeout, bind = mrc.tcpClients[0]
print("connectTCP recorded", host, port, f is factory, timeout, bind)
proto = f.buildProtocol(None)
tr = testing.StringTransport()
proto.makeConnection(tr)
d = proto.add(5, 5)
d.addErrback(
    lambda failure: print("MemoryReactorClock timeout", failure.type.__name__, mrc.seconds())
)
mrc.advance(60)
print("errors logged by the client", logged)
