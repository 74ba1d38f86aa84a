"""Twisted's UDP examples together: docs/core/examples/echoserv_udp.py (EchoUDP) answering
docs/core/examples/echoclient_udp.py (a connected client sending three datagrams), then the
UDP howto's docs/core/howto/listings/udp/basic_example.py (an echo that prints what it got)
and connected_udp.py (Helloer) pointed at it. Unchanged but for ports (0 on 127.0.0.1, the
client connects to the server's real port) and stopping the reactor when the exchange is over."""

# The listing's own style is kept as it is.
# ruff: noqa: UP031, RUF059

from twisted.internet import reactor
from twisted.internet.protocol import DatagramProtocol

# -- docs/core/examples/echoserv_udp.py ---------------------------------------------------


class EchoUDP(DatagramProtocol):
    def datagramReceived(self, datagram, address):
        self.transport.write(datagram, address)


# -- docs/core/examples/echoclient_udp.py -------------------------------------------------


class EchoClientDatagramProtocol(DatagramProtocol):
    strings = [b"Hello, world!", b"What a fine day it is.", b"Bye-bye!"]

    def startProtocol(self):
        self.transport.connect("127.0.0.1", SERVER_PORT)
        self.sendDatagram()

    def sendDatagram(self):
        if len(self.strings):
            datagram = self.strings.pop(0)
            self.transport.write(datagram)
        else:
            next_part()

    def datagramReceived(self, datagram, host):
        print("Datagram received: ", repr(datagram))
        self.sendDatagram()


# -- docs/core/howto/listings/udp/basic_example.py ----------------------------------------


class Echo(DatagramProtocol):
    def datagramReceived(self, data, addr):
        print("received %r from %s" % (data, mask(addr)))
        self.transport.write(data, addr)


# -- docs/core/howto/listings/udp/connected_udp.py ----------------------------------------


class Helloer(DatagramProtocol):
    def startProtocol(self):
        host = "127.0.0.1"
        port = ECHO_PORT

        self.transport.connect(host, port)
        print("now we can only send to host %s port %s" % (host, "ECHO_PORT"))
        self.transport.write(b"hello")  # no need for address

    def datagramReceived(self, data, addr):
        print(f"received {data!r} from {mask(addr)}")
        reactor.stop()

    # Possibly invoked if there is no server listening on the
    # address to which we are sending.
    def connectionRefused(self):
        print("No one listening")


# -- the wrapping -------------------------------------------------------------------------


def mask(addr):
    host, port = addr
    return (host, "PORT")


SERVER_PORT = reactor.listenUDP(0, EchoUDP(), interface="127.0.0.1").getHost().port
ECHO_PORT = None


def next_part():
    global ECHO_PORT
    print("echo client done")
    ECHO_PORT = reactor.listenUDP(0, Echo(), interface="127.0.0.1").getHost().port
    # 0 means any port, we don't care in this case
    reactor.listenUDP(0, Helloer())


def main():
    protocol = EchoClientDatagramProtocol()
    t = reactor.listenUDP(0, protocol)
    print("client port is UDP:", t.getHost().type)
    reactor.run()


if __name__ == "__main__":
    main()
