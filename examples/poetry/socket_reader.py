"""The lowest level of the reactor: a socket reader registered with ``reactor.addReader``.

:class:`PoetrySocket` is a plain object with the four methods of ``IReadDescriptor``
(``fileno``, ``doRead``, ``connectionLost``, ``logPrefix``). The reactor calls ``doRead`` each
time the non-blocking socket is readable; ``doRead`` returns ``CONNECTION_DONE`` at end of file,
which makes the reactor drop the descriptor and call ``connectionLost``. No transports, no
protocols: this is what ``Protocol`` and ``connectTCP`` do for you.

Usage::

    python examples/poetry/socket_reader.py [HOST:PORT ...]

With no address it starts slow poetry servers for the bundled poems in the same process.
"""

from __future__ import annotations

import errno
import socket
import sys
import time
from typing import Any

from zope.interface import implementer

from bridge import defer, error
from bridge.interfaces import IReadDescriptor


@implementer(IReadDescriptor)
class PoetrySocket:
    """Read one poem from a connected, non-blocking socket until EOF.

    :attr:`finished` is a Deferred that fires with the poem once the server has hung up.
    """

    def __init__(self, number: int, address: tuple[str, int], verbose: bool = True) -> None:
        from bridge import reactor

        self.number = number
        self.verbose = verbose
        self.address = address
        self.poem = b""
        self.finished: defer.Deferred[bytes] = defer.Deferred()
        # A blocking connect keeps the example short; reading is what this example is about.
        self.sock = socket.create_connection(address)
        self.sock.setblocking(False)
        reactor.addReader(self)

    def fileno(self) -> int:
        try:
            return self.sock.fileno()
        except OSError:
            return -1

    def doRead(self) -> Any:
        """Read what is available; return ``CONNECTION_DONE`` at EOF to be unregistered."""
        while True:
            try:
                data = self.sock.recv(1024)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                    return None  # nothing more for now: wait for the next doRead
                return error.CONNECTION_LOST
            if not data:
                return error.CONNECTION_DONE
            if self.verbose:
                print(
                    f"Task {self.number}: got {len(data)} bytes of poetry from {self.format_addr()}"
                )
            self.poem += data

    def connectionLost(self, reason: Any) -> None:
        self.sock.close()
        if self.verbose:
            print(f"Task {self.number} finished: {reason.getErrorMessage()}")
        self.finished.callback(self.poem)

    def logPrefix(self) -> str:
        return f"poetry {self.number}"

    def format_addr(self) -> str:
        host, port = self.address
        return f"{host}:{port}"


def main(argv: list[str]) -> int:
    """Read poems from the given addresses (or from in-process servers), print them, stop."""
    from bridge import reactor

    if argv:
        addresses = []
        for text in argv:
            host, _, port = text.rpartition(":")
            addresses.append((host or "127.0.0.1", int(port)))
    else:
        from slowpoetry import POEMS, start_servers

        servers = start_servers(sorted(POEMS.glob("*.txt")))
        addresses = [("127.0.0.1", port.getHost().port) for _, port in servers]

    start = time.perf_counter()
    readers = [PoetrySocket(n, address) for n, address in enumerate(addresses, 1)]
    defer.DeferredList([reader.finished for reader in readers]).addCallback(
        lambda _: reactor.stop()
    )
    reactor.run()
    elapsed = time.perf_counter() - start
    for reader in readers:
        print(
            f"--- poem {reader.number} from {reader.format_addr()} ({len(reader.poem)} bytes) ---"
        )
        print(reader.poem.decode("utf-8"))
    print(f"Got {len(readers)} poems in {elapsed:.2f} s")
    return 0 if all(reader.poem for reader in readers) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
