"""A real-Twisted peer for interop tests, run in its own process (never imported by bridge).

Usage:
    python twisted_peer.py server KIND            listen on 127.0.0.1:0, print the port, serve
    python twisted_peer.py client KIND PORT       connect to a bridge server, check, exit 0/1

KIND is one of: line, netstring, int32 (echo of framed messages), file (a 50 MB transfer
whose SHA-256 is checked by the receiver and sent back as a line).
"""

from __future__ import annotations

import hashlib
import os
import sys

from twisted.internet import protocol, reactor
from twisted.protocols import basic

FRAMES = [b"", b"a", b"hello world", bytes(range(256)) * 40, b"x" * 9000]
FILE_SIZE = 50 * 1024 * 1024


def frames_for(kind: str) -> list[bytes]:
    if kind == "line":
        return [f.replace(b"\r\n", b"").replace(b"\n", b"") for f in FRAMES]
    return FRAMES


class LineEcho(basic.LineReceiver):
    MAX_LENGTH = 1 << 20

    def lineReceived(self, line: bytes) -> None:
        self.sendLine(line)


class NetstringEcho(basic.NetstringReceiver):
    def stringReceived(self, string: bytes) -> None:
        self.sendString(string)


class Int32Echo(basic.Int32StringReceiver):
    MAX_LENGTH = 1 << 20

    def stringReceived(self, string: bytes) -> None:
        self.sendString(string)


class FileSink(basic.LineReceiver):
    """Receive an 8-byte length then that many bytes; answer with the SHA-256 hex digest."""

    def connectionMade(self) -> None:
        self.setRawMode()
        self.header = b""
        self.left = -1
        self.hash = hashlib.sha256()

    def rawDataReceived(self, data: bytes) -> None:
        if self.left < 0:
            self.header += data
            if len(self.header) < 8:
                return
            self.left = int.from_bytes(self.header[:8], "big")
            data = self.header[8:]
        self.hash.update(data)
        self.left -= len(data)
        if self.left == 0:
            self.transport.write(self.hash.hexdigest().encode() + b"\r\n")


SERVERS = {"line": LineEcho, "netstring": NetstringEcho, "int32": Int32Echo, "file": FileSink}


class CheckingClient(protocol.Protocol):
    """Send frames (or a file), expect them echoed (or its digest); exit 0 when right."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.ok = False

    def connectionMade(self) -> None:
        kind = self.kind
        if kind == "file":
            data = os.urandom(1024 * 1024) * (FILE_SIZE // (1024 * 1024))
            self.expected = [hashlib.sha256(data).hexdigest().encode()]
            self.parser = basic.LineReceiver()
            self.transport.write(len(data).to_bytes(8, "big"))
            self.transport.write(data)
        else:
            self.expected = frames_for(kind)
            klass = {
                "line": basic.LineReceiver,
                "netstring": basic.NetstringReceiver,
                "int32": basic.Int32StringReceiver,
            }[kind]
            self.parser = klass()
            self.parser.MAX_LENGTH = 1 << 20
            sender = klass()
            sender.MAX_LENGTH = 1 << 20
            sender.makeConnection(self.transport)
            for frame in self.expected:
                if kind == "line":
                    sender.sendLine(frame)
                else:
                    sender.sendString(frame)
        self.got: list[bytes] = []
        self.parser.lineReceived = self.got.append
        self.parser.stringReceived = self.got.append
        self.parser.makeConnection(_Null())

    def dataReceived(self, data: bytes) -> None:
        self.parser.dataReceived(data)
        if len(self.got) >= len(self.expected):
            self.ok = self.got == self.expected
            self.transport.loseConnection()

    def connectionLost(self, reason: object) -> None:
        print("OK" if self.ok else f"MISMATCH got {len(self.got)} frames", flush=True)
        reactor.callLater(0, reactor.stop)


class _Null:
    disconnecting = False

    def write(self, data: bytes) -> None:
        pass

    def loseConnection(self) -> None:
        pass


def main() -> int:
    role, kind = sys.argv[1], sys.argv[2]
    if role == "server":
        port = reactor.listenTCP(
            0, protocol.Factory.forProtocol(SERVERS[kind]), interface="127.0.0.1"
        )
        print(port.getHost().port, flush=True)
        reactor.run()
        return 0
    client = CheckingClient(kind)
    factory = protocol.ClientFactory()
    factory.buildProtocol = lambda addr: client
    factory.clientConnectionFailed = lambda c, r: (print("FAILED", r), reactor.stop())
    reactor.connectTCP("127.0.0.1", int(sys.argv[3]), factory)
    reactor.callLater(60, reactor.stop)
    reactor.run()
    return 0 if client.ok else 1


if __name__ == "__main__":
    sys.exit(main())
