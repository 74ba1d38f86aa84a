"""More endpoints: IPv6, UNIX strings, HostnameEndpoint, listen errors; reactor.resolve;
addTimeout's TimeoutError on the real reactor; LoopingCall on the reactor."""

import os
import tempfile

from twisted.internet import defer, endpoints, error, protocol, task


def log(*a):
    print(*a)


class Hello(protocol.Protocol):
    def connectionMade(self):
        self.transport.write(b"hello from " + self.factory.name)
        self.transport.loseConnection()


class Read(protocol.Protocol):
    def __init__(self):
        self.buf = b""
        self.done = defer.Deferred()

    def dataReceived(self, data):
        self.buf += data

    def connectionLost(self, reason):
        self.done.callback(self.buf)


def factory(name):
    f = protocol.Factory.forProtocol(Hello)
    f.name = name
    return f


async def fetch(ep):
    p = await endpoints.connectProtocol(ep, Read())
    return await p.done


async def main(reactor):
    port = await endpoints.TCP6ServerEndpoint(reactor, 0, interface="::1").listen(factory(b"v6"))
    h = port.getHost()
    log("v6 host", type(h).__name__, h.host, h.type)
    log("v6", await fetch(endpoints.TCP6ClientEndpoint(reactor, "::1", h.port)))
    await port.stopListening()

    port = await endpoints.serverFromString(reactor, "tcp:0:interface=127.0.0.1").listen(
        factory(b"v4")
    )
    log(
        "hostname",
        await fetch(endpoints.HostnameEndpoint(reactor, b"127.0.0.1", port.getHost().port)),
    )
    try:
        await endpoints.TCP4ServerEndpoint(
            reactor, port.getHost().port, interface="127.0.0.1"
        ).listen(factory(b"dup"))
    except error.CannotListenError as e:
        log(
            "CannotListenError",
            e.interface,
            e.port == port.getHost().port,
            type(e.socketError).__name__,
        )
    await port.stopListening()

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "s")
        port = await endpoints.serverFromString(reactor, f"unix:{path}").listen(factory(b"unix"))
        log("unix host", type(port.getHost()).__name__)
        log("unix", await fetch(endpoints.clientFromString(reactor, f"unix:path={path}")))
        await port.stopListening()

    log("resolve", await reactor.resolve("127.0.0.1"))
    d = defer.Deferred()
    d.addTimeout(0.05, reactor)
    try:
        await d
    except defer.TimeoutError as e:
        # the exception's args/str: timeout_args.py
        log("addTimeout", type(e).__module__.rsplit(".", 1)[-1])
    d = task.deferLater(reactor, 10, lambda: None)
    d.addTimeout(0.01, reactor)
    try:
        await d
    except defer.TimeoutError:
        log("deferLater cancelled by timeout")

    ticks = []

    def tick():
        ticks.append(len(ticks))
        if len(ticks) == 3:
            lc.stop()

    lc = task.LoopingCall(tick)
    r = await lc.start(0.01)
    log("LoopingCall on reactor", ticks, r is lc)


task.react(lambda reactor: defer.ensureDeferred(main(reactor)))
