"""Connection failures as Twisted reports them: refused, stopConnecting, cancelled endpoint
attempts, a port already in use, connector state, and ClientFactory callbacks order."""

import socket

from twisted.internet import defer, endpoints, error, protocol, reactor, task


class Watcher(protocol.ClientFactory):
    protocol = protocol.Protocol

    def __init__(self, name):
        self.name = name
        self.done = defer.Deferred()

    def startedConnecting(self, connector):
        print(self.name, "startedConnecting", connector.state)

    def clientConnectionFailed(self, connector, reason):
        print(self.name, "failed", reason.type.__name__, "|", str(reason.value).split(":")[0],
              "| state", connector.state)  # fmt: skip
        # Resume main() after the connector has finished (stopFactory): a Deferred fired here
        # resumes a coroutine at once under Twisted, on the next loop turn under bridge.
        reactor.callLater(0, self.done.callback, [reason])

    def startFactory(self):
        print(self.name, "startFactory")

    def stopFactory(self):
        print(self.name, "stopFactory")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


async def main(_):
    port = free_port()
    w = Watcher("refused")
    c = reactor.connectTCP("127.0.0.1", port, w)
    print("destination", c.getDestination().type, c.getDestination().host)
    await w.done

    w = Watcher("stopped")
    c = reactor.connectTCP("127.0.0.1", port, w)
    c.stopConnecting()
    await w.done
    try:
        c.stopConnecting()
    except error.NotConnectingError as e:
        print("stopConnecting again", type(e).__name__, str(e))

    w = Watcher("disconnect")
    c = reactor.connectTCP("127.0.0.1", port, w)
    c.disconnect()
    await w.done

    ep = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", port)
    try:
        await ep.connect(protocol.Factory.forProtocol(protocol.Protocol))
    except error.ConnectionRefusedError as e:
        print("endpoint refused", e.osError is not None, str(e).split(":")[0])

    d = ep.connect(protocol.Factory.forProtocol(protocol.Protocol))
    d.cancel()
    try:
        await d
    except error.ConnectingCancelledError as e:
        print("endpoint cancelled", type(e.address).__name__, e.address.host)
    except defer.CancelledError as e:
        print("endpoint cancelled (CancelledError)", type(e).__name__)

    listening = reactor.listenTCP(0, protocol.Factory.forProtocol(protocol.Protocol),
                                  interface="127.0.0.1")  # fmt: skip
    busy = listening.getHost().port
    try:
        reactor.listenTCP(busy, protocol.Factory.forProtocol(protocol.Protocol),
                          interface="127.0.0.1")  # fmt: skip
    except error.CannotListenError as e:
        print("in use", type(e).__name__, e.interface, e.port == busy,
              type(e.socketError).__name__, e.socketError.errno)  # fmt: skip
    await listening.stopListening()

    w = Watcher("reconnect")
    w.retries = 0

    def again(connector, reason):
        w.retries += 1
        print("reconnect attempt", w.retries, reason.type.__name__, connector.state)
        if w.retries < 3:
            connector.connect()
        else:
            reactor.callLater(0, w.done.callback, None)

    w.clientConnectionFailed = again
    reactor.connectTCP("127.0.0.1", port, w)
    await w.done


task.react(lambda r: defer.ensureDeferred(main(r)))
