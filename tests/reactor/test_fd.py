"""IReactorFDSet: addReader/addWriter on real sockets, removal and connectionLost."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from zope.interface import implementer

from bridge._reactor import AsyncioReactor
from bridge.defer import Deferred
from bridge.error import CONNECTION_DONE, ConnectionDone, ConnectionFdescWentAway, ConnectionLost
from bridge.failure import Failure
from bridge.interfaces import IHalfCloseableDescriptor, IReadDescriptor


class SocketReader:
    """The project's seed example: a non-blocking socket read until EOF."""

    def __init__(self, sock: socket.socket, reactor: AsyncioReactor) -> None:
        self.sock = sock
        self.reactor = reactor
        self.sock.setblocking(False)
        self.data = bytearray()
        self.finished: Deferred[bytes] = Deferred()

    def fileno(self) -> int:
        return self.sock.fileno()

    def logPrefix(self) -> str:
        return "SocketReader"

    def doRead(self) -> object:
        try:
            chunk = self.sock.recv(65536)
        except BlockingIOError:
            return None
        if not chunk:
            return CONNECTION_DONE
        self.data += chunk
        return None

    def connectionLost(self, reason: Failure) -> None:
        self.reactor.removeReader(self)
        self.sock.close()
        if reason.check(ConnectionDone):
            self.finished.callback(bytes(self.data))
        else:
            self.finished.errback(reason)


@pytest.fixture
def pair() -> Any:
    a, b = socket.socketpair()
    yield a, b
    a.close()
    b.close()


def test_seed_example_reads_until_eof(reactor: AsyncioReactor, run_until: Any, pair: Any) -> None:
    ours, theirs = pair
    reader = SocketReader(ours, reactor)
    reactor.addReader(reader)
    assert reactor.getReaders() == [reader]
    payload = b"poetry " * 50_000

    def send() -> None:
        theirs.setblocking(True)
        theirs.sendall(payload)
        theirs.close()

    reactor.callInThread(send)
    assert run_until(reader.finished) == payload
    assert reactor.getReaders() == []


@implementer(IReadDescriptor)
class Scripted:
    """A descriptor whose doRead/doWrite return or raise what the test says."""

    def __init__(self, sock: socket.socket, outcome: object) -> None:
        self.sock = sock
        self.outcome = outcome
        self.lost: Deferred[Failure] = Deferred()
        self.reasons: list[Failure] = []
        self.calls = 0

    def fileno(self) -> int:
        return self.sock.fileno()

    def logPrefix(self) -> str:
        return "Scripted"

    def _act(self) -> object:
        self.calls += 1
        if isinstance(self.outcome, type) and issubclass(self.outcome, Exception):
            raise self.outcome("scripted failure")
        return self.outcome

    doRead = _act
    doWrite = _act

    def connectionLost(self, reason: Failure) -> None:
        self._lose(reason)

    def _lose(self, reason: Failure) -> None:
        # A Deferred fired with a Failure errbacks; hand the reason over on the side.
        self.reasons.append(reason)
        self.lost.callback(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (CONNECTION_DONE, ConnectionDone),
        (ConnectionLost(), ConnectionLost),
        (Failure(ConnectionLost("x")), ConnectionLost),
        (ZeroDivisionError, ZeroDivisionError),
    ],
)
@pytest.mark.parametrize("direction", ["read", "write"])
def test_non_none_result_or_exception_removes_and_loses_connection(
    reactor: AsyncioReactor,
    run_until: Any,
    pair: Any,
    outcome: object,
    expected: type[BaseException],
    direction: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ours, theirs = pair
    theirs.send(b"x")
    descriptor = Scripted(ours, outcome)
    if direction == "read":
        reactor.addReader(descriptor)
    else:
        reactor.addWriter(descriptor)
    run_until(descriptor.lost)
    [reason] = descriptor.reasons
    assert reason.check(expected) is not None
    assert reactor.getReaders() == [] and reactor.getWriters() == []
    assert descriptor.calls == 1
    if expected is ZeroDivisionError:
        assert "scripted failure" in caplog.text


def test_none_result_keeps_descriptor(reactor: AsyncioReactor, run_until: Any, pair: Any) -> None:
    ours, theirs = pair
    theirs.send(b"x")
    descriptor = Scripted(ours, None)
    reactor.addReader(descriptor)
    d: Deferred[None] = Deferred()
    reactor.callLater(0.05, d.callback, None)
    run_until(d)
    assert descriptor.calls > 1
    assert reactor.getReaders() == [descriptor]
    reactor.removeReader(descriptor)
    assert reactor.getReaders() == []


def test_fileno_minus_one_at_event_loses_connection(
    reactor: AsyncioReactor, run_until: Any, pair: Any
) -> None:
    ours, theirs = pair
    theirs.send(b"x")
    descriptor = Scripted(ours, None)
    reactor.addReader(descriptor)
    descriptor.fileno = lambda: -1  # type: ignore[method-assign]
    run_until(descriptor.lost)
    [reason] = descriptor.reasons
    assert reason.check(ConnectionFdescWentAway) is not None
    assert descriptor.calls == 0
    assert reactor.getReaders() == []


def test_remove_after_close_uses_registered_fd(
    reactor: AsyncioReactor, run_until: Any, pair: Any
) -> None:
    ours, _ = pair
    descriptor = Scripted(ours, None)
    reactor.addReader(descriptor)
    reactor.addWriter(descriptor)
    fd = ours.fileno()
    reactor.removeReader(descriptor)
    reactor.removeWriter(descriptor)
    ours.close()
    assert descriptor.fileno() == -1
    # the fd is free again; the loop no longer watches it
    assert not reactor._loop.remove_reader(fd)


def test_add_reader_with_closed_descriptor_raises(reactor: AsyncioReactor, pair: Any) -> None:
    ours, _ = pair
    ours.close()
    with pytest.raises(ValueError, match="closed"):
        reactor.addReader(Scripted(ours, None))


def test_add_twice_and_remove_unknown_are_harmless(reactor: AsyncioReactor, pair: Any) -> None:
    ours, _ = pair
    descriptor = Scripted(ours, None)
    reactor.addReader(descriptor)
    reactor.addReader(descriptor)
    assert reactor.getReaders() == [descriptor]
    reactor.removeReader(Scripted(ours, None))
    reactor.removeWriter(descriptor)
    assert reactor.getReaders() == [descriptor]


def test_remove_all_returns_everything(reactor: AsyncioReactor, pair: Any) -> None:
    ours, theirs = pair
    a, b = Scripted(ours, None), Scripted(theirs, None)
    reactor.addReader(a)
    reactor.addWriter(a)
    reactor.addWriter(b)
    removed = reactor.removeAll()
    assert sorted(map(id, removed)) == sorted(map(id, [a, b]))
    assert reactor.getReaders() == [] and reactor.getWriters() == []


@implementer(IHalfCloseableDescriptor)
class HalfCloseable(Scripted):
    def doWrite(self) -> object:
        return None

    def readConnectionLost(self, reason: Failure) -> None:
        self._lose(reason)

    def writeConnectionLost(self, reason: Failure) -> None:  # pragma: no cover
        pass


def test_connection_done_on_half_closeable_reader_calls_read_connection_lost(
    reactor: AsyncioReactor, run_until: Any, pair: Any
) -> None:
    ours, theirs = pair
    theirs.send(b"x")
    descriptor = HalfCloseable(ours, CONNECTION_DONE)
    reactor.addReader(descriptor)
    reactor.addWriter(descriptor)
    run_until(descriptor.lost)
    [reason] = descriptor.reasons
    assert reason.check(ConnectionDone) is not None
    assert reactor.getReaders() == []
    assert reactor.getWriters() == [descriptor]  # the write side stays open
