"""bridge.stdio.StandardIO: a protocol on the process's own stdin/stdout, on both loops."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from zope.interface import implementer
from zope.interface.verify import verifyObject

from bridge.defer import Deferred
from bridge.error import ConnectionDone
from bridge.failure import Failure
from bridge.interfaces import IHalfCloseableProtocol, ITransport
from bridge.protocol import ProcessProtocol, Protocol
from bridge.stdio import StandardIO

PY = sys.executable
ROOT = str(Path(__file__).resolve().parent.parent)

ECHO = r"""
import sys
sys.path.insert(0, sys.argv[2])
import bridge
bridge.install(backend=sys.argv[1])
from bridge import reactor
from bridge.basic import LineReceiver
from bridge.stdio import StandardIO

class Echo(LineReceiver):
    delimiter = b"\n"
    def connectionMade(self):
        self.sendLine(b"hello")
    def lineReceived(self, line):
        self.sendLine(b"echo: " + line)
    def connectionLost(self, reason):
        sys.stderr.write("lost " + type(reason.value).__name__ + "\n")
        reactor.stop()

StandardIO(Echo())
reactor.run()
"""

HALF = r"""
import sys
sys.path.insert(0, sys.argv[2])
import bridge
bridge.install(backend=sys.argv[1])
from zope.interface import implementer
from bridge import reactor
from bridge.interfaces import IHalfCloseableProtocol
from bridge.protocol import Protocol
from bridge.stdio import StandardIO

@implementer(IHalfCloseableProtocol)
class Count(Protocol):
    n = 0
    def dataReceived(self, data):
        self.n += len(data)
    def readConnectionLost(self):
        self.transport.write(b"total %d\n" % self.n)
        self.transport.loseConnection()
    def writeConnectionLost(self):
        pass
    def connectionLost(self, reason):
        reactor.stop()

StandardIO(Count())
reactor.run()
"""


def run_child(script: str, backend: str, **kw: Any) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [PY, "-c", script, backend, ROOT], capture_output=True, timeout=30, check=False, **kw
    )


def test_line_echo_through_pipes(backend: str) -> None:
    done = run_child(ECHO, backend, input=b"one\ntwo\n")
    assert done.stdout == b"hello\necho: one\necho: two\n"
    assert done.stderr == b"lost ConnectionDone\n"
    assert done.returncode == 0


def test_regular_files_for_stdin_and_stdout(backend: str, tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_bytes(b"".join(b"line %d\n" % i for i in range(2000)))
    target = tmp_path / "out.txt"
    with open(source, "rb") as stdin, open(target, "wb") as stdout:
        done = subprocess.run(
            [PY, "-c", ECHO, backend, ROOT],
            stdin=stdin,
            stdout=stdout,
            stderr=subprocess.PIPE,
            timeout=30,
            check=False,
        )
    assert done.stderr == b"lost ConnectionDone\n"
    lines = target.read_bytes().split(b"\n")
    assert (
        lines[0] == b"hello" and lines[1] == b"echo: line 0" and lines[2000] == b"echo: line 1999"
    )


def test_dev_null_stdin(backend: str) -> None:
    done = run_child(ECHO, backend, stdin=subprocess.DEVNULL)
    assert done.stdout == b"hello\n"
    assert done.stderr == b"lost ConnectionDone\n"


def test_half_close_protocol_answers_after_end_of_input(backend: str) -> None:
    data = os.urandom(1 << 20)
    done = run_child(HALF, backend, input=data)
    assert done.stdout == b"total %d\n" % len(data)
    assert done.returncode == 0


def test_interactive_echo_under_spawn_process(reactor: Any, run_until: Any, backend: str) -> None:
    """When driven line by line, then each line is answered before the next is sent."""

    class Driver(ProcessProtocol):
        def __init__(self) -> None:
            self.buffer = b""
            self.waiting: Deferred[bytes] | None = None
            self.ended: Deferred[None] = Deferred()
            self.reason: Failure | None = None
            self.err = b""

        def expect(self) -> Deferred[bytes]:
            self.waiting = Deferred()
            self._check()
            return self.waiting

        def _check(self) -> None:
            if self.waiting is not None and b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                d, self.waiting = self.waiting, None
                d.callback(line)

        def outReceived(self, data: bytes) -> None:
            self.buffer += data
            self._check()

        def errReceived(self, data: bytes) -> None:
            self.err += data

        def processEnded(self, reason: Failure) -> None:
            self.reason = reason
            self.ended.callback(None)

    driver = Driver()
    reactor.spawnProcess(driver, PY, [PY, "-c", ECHO, backend, ROOT], env=None)
    assert run_until(driver.expect(), timeout=20) == b"hello"
    driver.transport.write(b"first\n")
    assert run_until(driver.expect()) == b"echo: first"
    driver.transport.write(b"second\n")
    assert run_until(driver.expect()) == b"echo: second"
    driver.transport.closeStdin()
    run_until(driver.ended)
    assert driver.reason is not None and driver.reason.value.exitCode == 0
    assert driver.err == b"lost ConnectionDone\n"


# -- in-process, on pipes -------------------------------------------------------------------


class Collect(Protocol):
    def __init__(self) -> None:
        self.data = b""
        self.lost: Deferred[None] = Deferred()
        self.reason: Failure | None = None

    def dataReceived(self, data: bytes) -> None:
        self.data += data

    def connectionLost(self, reason: Failure = ConnectionDone) -> None:  # type: ignore[assignment]
        self.reason = reason
        self.lost.callback(None)


def test_in_process_pipes(reactor: Any, run_until: Any) -> None:
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    proto = Collect()
    transport = StandardIO(proto, stdin=in_r, stdout=out_w, reactor=reactor)
    assert proto.transport is transport
    assert verifyObject(ITransport, transport)
    transport.write(b"written before connecting")  # buffered until the pipe is connected
    os.write(in_w, b"from outside")
    os.close(in_w)
    run_until(proto.lost)
    assert proto.reason is not None and proto.reason.check(ConnectionDone)
    assert proto.data == b"from outside"
    with os.fdopen(out_r, "rb") as f:
        assert f.read() == b"written before connecting"  # EOF: StandardIO closed stdout


def test_write_rejects_text(reactor: Any, run_until: Any) -> None:
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    proto = Collect()
    transport = StandardIO(proto, stdin=in_r, stdout=out_w, reactor=reactor)
    with pytest.raises(TypeError, match="must be bytes"):
        transport.write("text")  # type: ignore[arg-type]
    os.close(in_w)
    run_until(proto.lost)
    os.close(out_r)


def test_pause_producing_stops_reading(reactor: Any, run_until: Any) -> None:
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    proto = Collect()
    transport = StandardIO(proto, stdin=in_r, stdout=out_w, reactor=reactor)
    transport.pauseProducing()
    os.write(in_w, b"held back")
    tick: Deferred[None] = Deferred()
    reactor.callLater(0.1, tick.callback, None)
    run_until(tick)
    assert proto.data == b""
    transport.resumeProducing()
    os.close(in_w)
    run_until(proto.lost)
    assert proto.data == b"held back"
    os.close(out_r)


def test_half_closeable_gets_read_connection_lost(reactor: Any, run_until: Any) -> None:
    @implementer(IHalfCloseableProtocol)
    class Half(Collect):
        events: list[str]

        def readConnectionLost(self) -> None:
            self.events.append("read")
            self.transport.write(b"bye")
            self.transport.loseConnection()

        def writeConnectionLost(self) -> None:
            self.events.append("write")

    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    proto = Half()
    proto.events = []
    StandardIO(proto, stdin=in_r, stdout=out_w, reactor=reactor)
    os.close(in_w)
    run_until(proto.lost)
    assert proto.events == ["read"]
    with os.fdopen(out_r, "rb") as f:
        assert f.read() == b"bye"


def test_standard_io_endpoint(
    reactor: Any, run_until: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bridge._endpoints_process import StandardIOEndpoint
    from bridge.protocol import Factory
    from bridge.stdio import PipeAddress

    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    seen: list[object] = []

    class Built(Collect):
        pass

    class F(Factory):
        protocol = Built

        def buildProtocol(self, addr: object) -> Built:
            seen.append(addr)
            return Built()

    import bridge.stdio

    real = bridge.stdio.StandardIO
    monkeypatch.setattr(
        bridge.stdio,
        "StandardIO",
        lambda proto, reactor=None: real(proto, stdin=in_r, stdout=out_w, reactor=reactor),
    )
    transport = run_until(StandardIOEndpoint(reactor).listen(F()))
    assert seen == [PipeAddress()]
    transport.write(b"out")
    os.close(in_w)
    run_until(transport.protocol.lost)
    with os.fdopen(out_r, "rb") as f:
        assert f.read() == b"out"


def test_broken_output_drops_writes_until_input_ends(reactor: Any, run_until: Any) -> None:
    """When stdout's reader is gone, then writes are dropped and reading goes on (Twisted)."""
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    os.close(out_r)  # nobody will read what we write
    proto = Collect()
    transport = StandardIO(proto, stdin=in_r, stdout=out_w, reactor=reactor)
    tick: Deferred[None] = Deferred()
    reactor.callLater(0.05, tick.callback, None)
    run_until(tick)
    transport.write(b"x" * 100_000)
    os.write(in_w, b"still read")
    tick2: Deferred[None] = Deferred()
    reactor.callLater(0.05, tick2.callback, None)
    run_until(tick2)
    assert proto.data == b"still read" and not transport.disconnected
    os.close(in_w)
    run_until(proto.lost)
    assert proto.reason is not None and proto.reason.check(ConnectionDone)
    assert transport.disconnected


def test_producer_after_output_closed_is_stopped(reactor: Any, run_until: Any) -> None:
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    proto = Collect()
    transport = StandardIO(proto, stdin=in_r, stdout=out_w, reactor=reactor)
    os.close(in_w)
    run_until(proto.lost)
    calls: list[str] = []

    class Producer:
        def stopProducing(self) -> None:
            calls.append("stop")

    transport.registerProducer(Producer(), True)
    assert calls == ["stop"]
    os.close(out_r)


def test_streaming_producer_on_stdout(reactor: Any, run_until: Any) -> None:
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    proto = Collect()
    transport = StandardIO(proto, stdin=in_r, stdout=out_w, reactor=reactor)
    events: list[str] = []

    class Producer:
        def pauseProducing(self) -> None:
            events.append("pause")

        def resumeProducing(self) -> None:
            events.append("resume")

        def stopProducing(self) -> None:
            events.append("stop")

    tick: Deferred[None] = Deferred()
    reactor.callLater(0.05, tick.callback, None)
    run_until(tick)
    transport.registerProducer(Producer(), True)
    transport.write(b"y" * (1 << 20))  # more than the pipe holds: the buffer fills
    assert events == ["pause"]
    received = bytearray()
    os.set_blocking(out_r, False)
    done: Deferred[None] = Deferred()

    def drain() -> None:
        with contextlib.suppress(BlockingIOError):
            received.extend(os.read(out_r, 1 << 20))
        if "resume" in events:
            done.callback(None)
        else:
            reactor.callLater(0.01, drain)

    drain()
    run_until(done)
    transport.unregisterProducer()
    transport.loseConnection()
    os.close(in_w)
    run_until(proto.lost)
    os.set_blocking(out_r, True)
    with os.fdopen(out_r, "rb") as f:
        received.extend(f.read())
    assert len(received) == 1 << 20


# -- differential: the same child scripts on real Twisted -------------------------------------

_TWISTED_PRELUDE = r"""
import sys
from twisted.internet import reactor
from twisted.protocols.basic import LineReceiver
from twisted.internet.interfaces import IHalfCloseableProtocol
from twisted.internet.protocol import Protocol
from twisted.internet.stdio import StandardIO
from zope.interface import implementer
"""


def _as_twisted(script: str) -> str:
    body = script.split("from bridge.stdio import StandardIO", 1)[1]
    return _TWISTED_PRELUDE + body


@pytest.mark.parametrize(
    ("script", "data"),
    [
        (ECHO, b"one\ntwo\nthree"),
        (HALF, b"z" * 300_000),
    ],
    ids=["echo", "half-close"],
)
def test_same_output_as_real_twisted(backend: str, script: str, data: bytes) -> None:
    pytest.importorskip("twisted")
    theirs = subprocess.run(
        [PY, "-c", _as_twisted(script), backend, ROOT],
        input=data,
        capture_output=True,
        timeout=30,
        check=False,
    )
    ours = run_child(script, backend, input=data)
    assert (ours.stdout, ours.stderr, ours.returncode) == (
        theirs.stdout,
        theirs.stderr,
        theirs.returncode,
    )


def test_output_is_flushed_when_input_ends_at_once(backend: str) -> None:
    """When stdin is empty, then what connectionMade wrote still comes out.

    A deliberate difference: Twisted's StandardIO drops it (it closes stdout at once on EOF).
    """
    pytest.importorskip("twisted")
    theirs = subprocess.run(
        [PY, "-c", _as_twisted(ECHO), backend, ROOT], input=b"", capture_output=True, timeout=30
    )
    ours = run_child(ECHO, backend, input=b"")
    assert theirs.stdout == b""
    assert ours.stdout == b"hello\n"
    assert ours.stderr == theirs.stderr == b"lost ConnectionDone\n"


def test_public_names() -> None:
    import bridge.stdio

    assert sorted(bridge.stdio.__all__) == ["PipeAddress", "StandardIO"]


def test_twisted_pipe_callbacks_are_public() -> None:
    """childDataReceived/childConnectionLost/connectionLost drive the protocol as Twisted's."""
    import inspect

    from bridge.stdio import StandardIO

    for name in ("childDataReceived", "childConnectionLost", "readConnectionLost",
                 "writeConnectionLost", "connectionLost"):  # fmt: skip
        assert callable(getattr(StandardIO, name)), name
    assert list(inspect.signature(StandardIO.writeSequence).parameters) == ["self", "data"]
