"""docs/core/examples/simpleserv.py serving docs/core/examples/simpleclient.py: a client that
implements IProtocol without inheriting from Protocol (makeConnection does the work) and a
ClientFactory that stops the reactor. Unchanged but for port 0 on 127.0.0.1; the client's
first print shows the transport's repr with its class, port and id masked."""

import re

from twisted.internet import protocol, reactor
from twisted.internet.interfaces import IProtocol
from zope.interface import implementer

# -- docs/core/examples/simpleserv.py -----------------------------------------------------


class Echo(protocol.Protocol):
    """This is just about the simplest possible protocol"""

    def dataReceived(self, data):
        "As soon as any data is received, write it back."
        self.transport.write(data)


# -- docs/core/examples/simpleclient.py ---------------------------------------------------


@implementer(IProtocol)
class EchoClient:
    """Once connected, send a message, then print the result."""

    def makeConnection(self, transport):
        """
        Called when a new connection is made.

        C{transport} is used to send data to the remote peer.
        """
        self._transport = transport
        print(
            re.sub(
                r"<class '[^']*'>|, \d+\)| at [0-9a-f]+>",
                "*",
                f"New connection from remote peer {transport}",
            )
        )
        self._transport.write(b"hello, world!")

    def connectionMade(self):
        """
        Part of IProtocol interface, but not used for non inheritance
        base implementations.
        """

    def dataReceived(self, data):
        "As soon as any data is received, write it back."
        print("Server said:", data)
        self._transport.loseConnection()

    def connectionLost(self, reason):
        print("connection lost")


class EchoFactory(protocol.ClientFactory):
    protocol = EchoClient

    def clientConnectionFailed(self, connector, reason):
        print("Connection failed - goodbye!")
        reactor.stop()

    def clientConnectionLost(self, connector, reason):
        print("Connection lost - goodbye!")
        reactor.stop()


def main():
    factory = protocol.ServerFactory()
    factory.protocol = Echo
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    f = EchoFactory()
    reactor.connectTCP("127.0.0.1", port.getHost().port, f)
    reactor.run()


if __name__ == "__main__":
    main()
