"""UDP as Twisted's UDP howto shows it: an echo server, a connected client, addresses, the
broadcast flag, maxPacketSize truncation, misdirected and hostname writes, stopListening.

(Not compared: a connected port whose peer is gone. Bridge reports connectionRefused, as
Twisted documents; Twisted's epoll reactor closes the port on the ICMP error instead.)"""

from twisted.internet import defer, error, protocol, task


class Echo(protocol.DatagramProtocol):
    def __init__(self):
        self.got = []

    def datagramReceived(self, data, addr):
        self.got.append(data)
        self.transport.write(data[::-1], addr)


class Connected(protocol.DatagramProtocol):
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.replies = defer.DeferredQueue()
        self.refused = defer.Deferred()

    def startProtocol(self):
        self.transport.connect(self.host, self.port)

    def datagramReceived(self, data, addr):
        self.replies.put((data, addr[0]))

    def connectionRefused(self):
        if not self.refused.called:
            self.refused.callback("refused")


async def main(reactor):
    echo = Echo()
    port = reactor.listenUDP(0, echo, interface="127.0.0.1", maxPacketSize=8)
    host = port.getHost()
    print("server", type(host).__name__, host.type, host.host, port.maxPacketSize)
    print("broadcast default", bool(port.getBroadcastAllowed()))
    port.setBroadcastAllowed(True)
    print("broadcast set", bool(port.getBroadcastAllowed()))

    client = Connected("127.0.0.1", host.port)
    cport = reactor.listenUDP(0, client, interface="127.0.0.1")
    cport.write(b"hello")
    print("reply", await client.replies.get())
    cport.write(b"0123456789abcdef")
    print("truncated reply", await client.replies.get(), echo.got[-1])
    try:
        cport.write(b"x", ("127.0.0.1", 9))
    except Exception as e:
        print("write elsewhere when connected", type(e).__name__)
    try:
        cport.connect("127.0.0.1", 9)
    except Exception as e:
        print("connect twice", type(e).__name__)
    await cport.stopListening()

    try:
        port.write(b"x", ("localhost", host.port))
    except error.InvalidAddressError as e:
        print("hostname write", type(e).__name__, e.address)

    await port.stopListening()
    print("stopped, connected", bool(port.connected))

    try:
        reactor.listenUDP(0, Echo(), interface="not-an-address")
    except (error.CannotListenError, error.InvalidAddressError) as e:
        print("bad interface", type(e).__name__, e.args)


task.react(lambda r: defer.ensureDeferred(main(r)))
