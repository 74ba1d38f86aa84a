"""The UDP howto's smaller listings: docs/core/howto/listings/udp/getting_ip.py
(reactor.resolve), adopt_datagram_port.py (a socket made outside and handed over with
adoptDatagramPort) and ipv6_listen.py (listenUDP on "::"), each sent one datagram by a plain
socket. Unchanged but for port 0 (the adopted socket binds 127.0.0.1:0) and each listing's
reactor.run() replaced by running the next step, the last one stopping the reactor."""

import socket

from twisted.internet import reactor
from twisted.internet.protocol import DatagramProtocol

# -- docs/core/howto/listings/udp/getting_ip.py -------------------------------------------


def gotIP(ip):
    print("IP of 'localhost' is", ip)
    adopt()


# -- docs/core/howto/listings/udp/adopt_datagram_port.py ----------------------------------


class Echo(DatagramProtocol):
    def datagramReceived(self, data, addr):
        print("received {!r} from {}".format(data, mask(addr)))  # noqa: UP032
        self.transport.write(data, addr)
        self.factory_next()


def adopt():
    # Create new socket that will be passed to reactor later.
    portSocket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    # Make the port non-blocking and start it listening.
    portSocket.setblocking(False)
    portSocket.bind(("127.0.0.1", 0))

    # Now pass the port file descriptor to the reactor.
    echo = Echo()
    echo.factory_next = ipv6
    port = reactor.adoptDatagramPort(portSocket.fileno(), socket.AF_INET, echo)

    # The portSocket should be cleaned up by the process that creates it.
    portSocket.close()

    host = port.getHost()
    print("adopted", host.type, host.host)
    send(socket.AF_INET, ("127.0.0.1", host.port), b"to the adopted port")


# -- docs/core/howto/listings/udp/ipv6_listen.py ------------------------------------------


class Echo6(DatagramProtocol):
    def datagramReceived(self, data, addr):
        print("received {!r} from {}".format(data, mask(addr)))  # noqa: UP032
        self.transport.write(data, addr)
        reactor.stop()


def ipv6():
    port = reactor.listenUDP(0, Echo6(), interface="::")
    host = port.getHost()
    print("listening on", type(host).__name__, host.type, host.host)
    send(socket.AF_INET6, ("::1", host.port), b"over IPv6")


# -- the wrapping -------------------------------------------------------------------------

SOCKETS = []


def mask(addr):
    return (addr[0], "PORT", *addr[2:])


def send(family, address, data):
    s = socket.socket(family, socket.SOCK_DGRAM)
    SOCKETS.append(s)
    s.sendto(data, address)


reactor.resolve("localhost").addCallback(gotIP)
reactor.run()
for s in SOCKETS:
    s.settimeout(5)
    print("the sender got back", s.recvfrom(100)[0])
