"""Endpoints howto (serverFromString, clientFromString, TCP4ClientEndpoint, connectProtocol),
DeferredQueue, DeferredLock, DeferredSemaphore, ReconnectingClientFactory."""

from twisted.internet import defer, endpoints, protocol, task
from twisted.internet.address import IPv4Address
from twisted.protocols import basic


def log(*a):
    print(*a)


class Greeter(basic.LineReceiver):
    def connectionMade(self):
        self.sendLine(b"welcome")

    def lineReceived(self, line):
        self.sendLine(b"you said " + line)
        self.transport.loseConnection()


class Asker(basic.LineReceiver):
    def __init__(self):
        self.lines = []
        self.finished = defer.Deferred()

    def lineReceived(self, line):
        self.lines.append(line)
        if line == b"welcome":
            self.sendLine(b"hi")

    def connectionLost(self, reason):
        self.finished.callback(self.lines)


async def endpoint_demo(reactor):
    server_ep = endpoints.serverFromString(reactor, "tcp:0:interface=127.0.0.1")
    port = await server_ep.listen(protocol.Factory.forProtocol(Greeter))
    addr = port.getHost()
    log(
        "listen", type(addr).__name__, addr.host, addr == IPv4Address("TCP", "127.0.0.1", addr.port)
    )
    client_ep = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", addr.port)
    p = await endpoints.connectProtocol(client_ep, Asker())
    log("connected", type(p).__name__)
    log("lines", await p.finished)
    client_ep2 = endpoints.clientFromString(reactor, f"tcp:host=127.0.0.1:port={addr.port}")
    p = await endpoints.connectProtocol(client_ep2, Asker())
    log("lines via string", await p.finished)
    await port.stopListening()


async def sync_demo(reactor):
    q = defer.DeferredQueue()
    got = q.get()
    log("queue waiting", got.called)
    q.put(1)
    log("queue got", got.result)
    q.put(2)
    q.put(3)
    log("queue gets", await q.get(), await q.get())
    bq = defer.DeferredQueue(size=1)
    bq.put("a")
    try:
        bq.put("b")
    except defer.QueueOverflow:
        log("QueueOverflow")

    order = []
    lock = defer.DeferredLock()

    async def locked(name, delay):
        await lock.acquire()
        try:
            order.append(name + " in")
            await task.deferLater(reactor, delay, lambda: None)
            order.append(name + " out")
        finally:
            lock.release()

    await defer.gatherResults(
        [defer.ensureDeferred(locked("a", 0.02)), defer.ensureDeferred(locked("b", 0))]
    )
    log("lock order", order, lock.locked)
    r = await lock.run(lambda x: x + 1, 41)
    log("lock.run", r)

    sem = defer.DeferredSemaphore(2)
    active = []
    peak = []

    def job(i):
        active.append(i)
        peak.append(len(active))
        return task.deferLater(reactor, 0.01, lambda: active.remove(i) or i)

    results = await defer.gatherResults([sem.run(job, i) for i in range(5)])
    log("semaphore", results, max(peak), sem.tokens, sem.limit)


class Counting(protocol.ReconnectingClientFactory):
    protocol = protocol.Protocol
    initialDelay = 0.01
    maxDelay = 0.02
    factor = 1.5
    jitter = 0
    maxRetries = 2

    def __init__(self, done):
        self.failures = 0
        self.done = done

    def clientConnectionFailed(self, connector, reason):
        self.failures += 1
        log("rcf failed", self.failures, reason.type.__name__, "retries", self.retries)
        protocol.ReconnectingClientFactory.clientConnectionFailed(self, connector, reason)
        if self.retries > self.maxRetries:
            log("rcf gave up", self.continueTrying)
            self.done.callback(None)


async def reconnect_demo(reactor):
    port = reactor.listenTCP(0, protocol.Factory(), interface="127.0.0.1")
    number = port.getHost().port
    await port.stopListening()
    done = defer.Deferred()
    reactor.connectTCP("127.0.0.1", number, Counting(done))
    await done


async def main(reactor):
    await endpoint_demo(reactor)
    await sync_demo(reactor)
    await reconnect_demo(reactor)


task.react(lambda reactor: defer.ensureDeferred(main(reactor)))
