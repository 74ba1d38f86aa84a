"""An ordinary Twisted program: it imports ``twisted.*`` only.

Run it on Twisted (if installed) and on bridge, unchanged::

    python examples/unmodified_twisted.py                  # real Twisted
    python -m bridge run examples/unmodified_twisted.py    # bridge, stdlib asyncio loop
    python -m bridge run --loop uvloop examples/unmodified_twisted.py

It serves a LineReceiver protocol, talks to it through an endpoint from an
``inlineCallbacks`` function, uses ``deferLater``, ``DeferredList`` and a ``LoopingCall``,
and prints the same lines on both (except the first, which says what it runs on).
"""

from twisted.internet import defer, endpoints, protocol, reactor, task
from twisted.protocols.basic import LineReceiver


class Upper(LineReceiver):
    def lineReceived(self, line):
        if line == b"quit":
            self.transport.loseConnection()
        else:
            self.sendLine(line.upper())


class Client(LineReceiver):
    def connectionMade(self):
        self.replies = defer.DeferredQueue()
        self.closed = defer.Deferred()

    def lineReceived(self, line):
        self.replies.put(line)

    def connectionLost(self, reason):
        self.closed.callback(reason.type.__name__)


@defer.inlineCallbacks
def main():
    print(f"running on {type(reactor).__module__}.{type(reactor).__name__}")
    factory = protocol.Factory.forProtocol(Upper)
    port = yield endpoints.serverFromString(reactor, "tcp:0:interface=127.0.0.1").listen(factory)
    endpoint = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port)
    client = yield endpoints.connectProtocol(endpoint, Client())
    for word in (b"hello", b"twisted", b"on", b"asyncio"):
        client.sendLine(word)
        print("reply:", (yield client.replies.get()).decode())
    client.sendLine(b"quit")
    print("client connection closed:", (yield client.closed))

    # withCount: each call learns how many 10 ms intervals passed, so a busy machine that
    # skips some calls still counts every interval.
    intervals = []
    loop = task.LoopingCall.withCount(intervals.append)
    done = loop.start(0.01, now=True)
    yield task.deferLater(reactor, 0.055, lambda: None)
    loop.stop()
    yield done
    print("looping call counted at least 3 intervals:", sum(intervals) >= 3)

    results = yield defer.DeferredList(
        [task.deferLater(reactor, 0.01 * i, lambda i=i: i * i) for i in range(4)]
    )
    print("DeferredList:", [value for ok, value in results])
    yield port.stopListening()


def stop(result):
    reactor.stop()
    return result


if __name__ == "__main__":
    reactor.callWhenRunning(lambda: main().addBoth(stop))
    reactor.run()
    print("reactor stopped")
