"""docs/core/howto/listings/servers/chat.py (the "Writing Servers" howto's chat server), unchanged
but for port 0 on 127.0.0.1, driven by three scripted LineReceiver clients: name negotiation,
a taken name, messages relayed to the others, and users leaving."""

# The listing's own style is kept as it is.
# ruff: noqa: UP012, B007, F402

from twisted.internet import defer, protocol, reactor
from twisted.internet.protocol import Factory
from twisted.protocols.basic import LineReceiver

# -- docs/core/howto/listings/servers/chat.py ---------------------------------------------


class Chat(LineReceiver):
    def __init__(self, users):
        self.users = users
        self.name = None
        self.state = "GETNAME"

    def connectionMade(self):
        self.sendLine(b"What's your name?")

    def connectionLost(self, reason):
        if self.name in self.users:
            del self.users[self.name]

    def lineReceived(self, line):
        if self.state == "GETNAME":
            self.handle_GETNAME(line)
        else:
            self.handle_CHAT(line)

    def handle_GETNAME(self, name):
        if name in self.users:
            self.sendLine(b"Name taken, please choose another.")
            return
        self.sendLine(f"Welcome, {name.decode('utf-8')}!".encode("utf-8"))
        self.name = name
        self.users[name] = self
        self.state = "CHAT"

    def handle_CHAT(self, message):
        message = f"<{self.name.decode('utf-8')}> {message.decode('utf-8')}".encode("utf-8")
        for name, protocol in self.users.items():
            if protocol != self:
                protocol.sendLine(message)


class ChatFactory(Factory):
    def __init__(self):
        self.users = {}  # maps user names to Chat instances

    def buildProtocol(self, addr):
        return Chat(self.users)


# -- scripted clients: each waits for the line it expects before the next step; what two
# clients receive at once is printed in a fixed order (their relative timing is the kernel's)


class Person(LineReceiver):
    def __init__(self, label):
        self.label = label
        self.waiting = None
        self.lost = defer.Deferred()

    def connectionMade(self):
        self.factory.ready.callback(self)

    def lineReceived(self, line):
        if self.waiting is not None:
            d, self.waiting = self.waiting, None
            d.callback(line)

    def expect(self):
        self.waiting = defer.Deferred()
        return self.waiting.addCallback(lambda line: (self.label, line))

    def connectionLost(self, reason):
        print(self.label, "disconnected")
        self.lost.callback(None)


def show(*received):
    for label, line in received:
        print(label, "got", line)


def connect(port, label):
    f = protocol.ClientFactory()
    f.protocol = lambda: Person(label)
    f.ready = defer.Deferred()
    reactor.connectTCP("127.0.0.1", port, f)
    return f.ready


@defer.inlineCallbacks
def script():
    factory = ChatFactory()
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    number = port.getHost().port

    ann = yield connect(number, "ann")
    show((yield ann.expect()))  # What's your name?
    ann.sendLine(b"ann")
    show((yield ann.expect()))

    bob = yield connect(number, "bob")
    show((yield bob.expect()))
    bob.sendLine(b"ann")  # taken
    show((yield bob.expect()))
    bob.sendLine(b"bob")
    show((yield bob.expect()))
    print("users", sorted(factory.users))

    cat = yield connect(number, "cat")
    show((yield cat.expect()))
    cat.sendLine(b"cat")
    show((yield cat.expect()))

    got = defer.gatherResults([bob.expect(), cat.expect()])
    ann.sendLine(b"hello everyone")
    show(*(yield got))

    got = defer.gatherResults([ann.expect(), cat.expect()])
    bob.sendLine("caf\u00e9 for two?".encode("utf-8"))
    show(*(yield got))

    bob.transport.loseConnection()
    yield bob.lost
    # the server side may see the close a moment after the client: wait until it has
    while b"bob" in factory.users:
        d = defer.Deferred()
        reactor.callLater(0.01, d.callback, None)
        yield d
    print("users", sorted(factory.users))

    got = ann.expect()
    cat.sendLine(b"bob left")
    show((yield got))

    for person in (ann, cat):
        person.transport.loseConnection()
        yield person.lost
    yield port.stopListening()


def main():
    d = script()
    d.addErrback(lambda f: print("failed", f.getTraceback()))
    d.addBoth(lambda _: reactor.stop())
    reactor.run()


if __name__ == "__main__":
    main()
