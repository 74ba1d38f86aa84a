"""Host a bridge protocol inside an existing asyncio application (guest mode).

The "existing application" is plain asyncio: ``asyncio.run(app())`` with an
``asyncio.start_server`` service. Inside it, bridge's reactor binds to the running loop (no
``reactor.run()``), so a Twisted-style ``LineReceiver`` server and client run on the same loop
beside the asyncio code, and each side talks to the other. ``reactor.stop()`` then runs the
reactor's shutdown triggers without stopping the application's loop.
"""

from __future__ import annotations

import asyncio
import sys

from bridge import endpoints, protocol
from bridge.basic import LineReceiver


class Greeter(LineReceiver):
    """The hosted Twisted-style protocol: answer each line with a greeting."""

    delimiter = b"\n"

    def lineReceived(self, line: bytes) -> None:
        self.sendLine(b"bridge says hello to " + line)


class Asker(LineReceiver):
    """A Twisted-style client: send a line; ``answer`` (a Future) gets the reply."""

    delimiter = b"\n"

    def __init__(self, question: bytes) -> None:
        self.question = question
        self.answer: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def connectionMade(self) -> None:
        self.sendLine(self.question)

    def lineReceived(self, line: bytes) -> None:
        if not self.answer.done():
            self.answer.set_result(line)
        self.transport.loseConnection()


async def asyncio_service(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """The application's own asyncio server: reverse each line."""
    while line := await reader.readline():
        writer.write(line.rstrip(b"\n")[::-1] + b"\n")
        await writer.drain()
    writer.close()


async def app() -> int:
    server = await asyncio.start_server(asyncio_service, "127.0.0.1", 0)
    asyncio_port = server.sockets[0].getsockname()[1]

    from bridge import reactor  # binds to this running loop

    started = asyncio.get_running_loop().create_future()
    reactor.callWhenRunning(lambda: started.set_result(asyncio.get_running_loop()))
    loop = await started
    print(f"callWhenRunning fired inside the running loop: {loop is asyncio.get_running_loop()}")
    print(f"reactor.running = {reactor.running}")

    bridge_port = reactor.listenTCP(0, protocol.Factory.forProtocol(Greeter), interface="127.0.0.1")

    # asyncio client -> bridge protocol
    reader, writer = await asyncio.open_connection("127.0.0.1", bridge_port.getHost().port)
    writer.write(b"asyncio\n")
    print(f"asyncio client got: {(await reader.readline()).decode().strip()}")
    writer.close()
    await writer.wait_closed()

    # bridge client -> asyncio server
    endpoint = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", asyncio_port)
    asker = await endpoints.connectProtocol(endpoint, Asker(b"bridge"))
    print(f"bridge client got: {(await asker.answer).decode()}")

    await bridge_port.stopListening()
    reactor.stop()  # shutdown triggers run; the application's loop keeps going
    await asyncio.sleep(0.01)
    print(f"after reactor.stop(): reactor.running = {reactor.running}, asyncio app still running")
    server.close()
    await server.wait_closed()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(app()))
