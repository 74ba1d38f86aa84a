"""Interop with real Twisted as the peer, in a separate process.

A Twisted server (``twisted_peer.py server KIND``) against a bridge client, and a Twisted
client (``twisted_peer.py client KIND PORT``) against a bridge server, exchanging line,
netstring and int32 frames (through ``bridge.basic``) and a 50 MB checksummed file.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bridge import basic, protocol
from bridge.defer import Deferred

pytest.importorskip("twisted")

PEER = Path(__file__).with_name("twisted_peer.py")
FRAMES = [b"", b"a", b"hello world", bytes(range(256)) * 40, b"x" * 9000]
LINE_FRAMES = [f.replace(b"\r\n", b"").replace(b"\n", b"") for f in FRAMES]
FILE_SIZE = 50 * 1024 * 1024
KINDS = ["line", "netstring", "int32", "file"]


def _peer(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(PEER), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


@pytest.fixture
def twisted_server(request: pytest.FixtureRequest) -> Iterator[Any]:
    procs: list[subprocess.Popen[bytes]] = []

    def start(kind: str) -> int:
        proc = _peer("server", kind)
        procs.append(proc)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"Twisted peer failed: {proc.stderr.read()!r}")  # type: ignore[union-attr]
        return int(line)

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def _framer(kind: str) -> type[Any]:
    return {
        "line": basic.LineReceiver,
        "netstring": basic.NetstringReceiver,
        "int32": basic.Int32StringReceiver,
    }[kind]


def _client_protocol(kind: str, done: Deferred[list[bytes]]) -> protocol.Protocol:
    got: list[bytes] = []
    if kind == "file":
        data = os.urandom(1024 * 1024) * (FILE_SIZE // (1024 * 1024))
        expected = [hashlib.sha256(data).hexdigest().encode()]

        class FileClient(basic.LineReceiver):
            def connectionMade(self) -> None:
                self.transport.write(len(data).to_bytes(8, "big"))
                self.transport.write(data)

            def lineReceived(self, line: bytes) -> None:
                got.append(line)
                self.transport.loseConnection()

            def connectionLost(self, reason: Any = protocol.connectionDone) -> None:
                done.callback(got == expected)  # type: ignore[arg-type]

        return FileClient()

    expected = LINE_FRAMES if kind == "line" else FRAMES
    base = _framer(kind)

    class FrameClient(base):  # type: ignore[valid-type,misc]
        MAX_LENGTH = 1 << 20

        def connectionMade(self) -> None:
            for frame in expected:
                if kind == "line":
                    self.sendLine(frame)
                else:
                    self.sendString(frame)

        def _got(self, frame: bytes) -> None:
            got.append(frame)
            if len(got) == len(expected):
                self.transport.loseConnection()

        lineReceived = _got
        stringReceived = _got

        def connectionLost(self, reason: Any = protocol.connectionDone) -> None:
            done.callback(got == expected)  # type: ignore[arg-type]

    return FrameClient()


@pytest.mark.parametrize("kind", KINDS)
def test_bridge_client_twisted_server(
    reactor: Any, run_until: Any, twisted_server: Any, kind: str
) -> None:
    port = twisted_server(kind)
    done: Deferred[list[bytes]] = Deferred()
    proto = _client_protocol(kind, done)
    factory = protocol.ClientFactory()
    factory.noisy = False
    factory.buildProtocol = lambda addr: proto  # type: ignore[method-assign,assignment,return-value]
    reactor.connectTCP("127.0.0.1", port, factory)
    assert run_until(done, timeout=60) is True


def _server_factory(kind: str) -> protocol.Factory:
    if kind == "file":

        class FileSink(protocol.Protocol):
            def connectionMade(self) -> None:
                self.header = b""
                self.left = -1
                self.hash = hashlib.sha256()

            def dataReceived(self, data: bytes) -> None:
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

        klass: Any = FileSink
    else:
        base = _framer(kind)

        class Echo(base):  # type: ignore[valid-type,misc]
            MAX_LENGTH = 1 << 20

            def lineReceived(self, line: bytes) -> None:
                self.sendLine(line)

            def stringReceived(self, string: bytes) -> None:
                self.sendString(string)

        klass = Echo
    factory = protocol.Factory.forProtocol(klass)
    factory.noisy = False
    return factory


@pytest.mark.parametrize("kind", KINDS)
def test_twisted_client_bridge_server(reactor: Any, run_until: Any, kind: str) -> None:
    port = reactor.listenTCP(0, _server_factory(kind), interface="127.0.0.1")
    proc = _peer("client", kind, str(port.getHost().port))

    async def finished() -> int:
        while proc.poll() is None:
            await asyncio.sleep(0.01)
        return proc.returncode

    try:
        code = run_until(finished(), timeout=90)
        out, err = proc.communicate()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert code == 0, (out, err)
    assert out.strip().endswith(b"OK")
    run_until(port.stopListening())
