"""Run a protocol on this process's own standard input and output.

The counterpart of ``twisted.internet.stdio``: ``StandardIO(protocol)`` connects *protocol*
to descriptors 0 and 1, for line-oriented tools and pipeline filters::

    class Echo(LineReceiver):
        delimiter = b"\\n"

        def lineReceived(self, line):
            self.sendLine(line.upper())

        def connectionLost(self, reason):
            reactor.stop()

    StandardIO(Echo())
    reactor.run()

Pipes, sockets and terminals are read and written with ``loop.connect_read_pipe`` and
``loop.connect_write_pipe`` (asyncio's pipe transports). A regular file or ``/dev/null``,
which the loop cannot watch, is read in chunks from loop callbacks and written directly,
as such files never block.
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from zope.interface import implementer

from bridge.error import ConnectionDone, ConnectionLost
from bridge.failure import Failure
from bridge.interfaces import (
    IAddress,
    IConsumer,
    IHalfCloseableProtocol,
    IPushProducer,
    ITransport,
)

__all__ = ["PipeAddress", "StandardIO"]

_CHUNK = 64 * 1024


@implementer(IAddress)
@dataclass(frozen=True, slots=True)
class PipeAddress:
    """The address of either end of a standard I/O pipe: there is nothing to it."""


def _watchable(fd: int) -> bool:
    """Return True if the loop can watch *fd* (a pipe, a socket or a terminal)."""
    mode = os.fstat(fd).st_mode
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or (stat.S_ISCHR(mode) and os.isatty(fd))


class _ReadSide(asyncio.Protocol):
    def __init__(self, owner: StandardIO) -> None:
        self.owner = owner

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.owner._reader_made(transport)

    def data_received(self, data: bytes) -> None:
        self.owner._data(data)

    def eof_received(self) -> bool | None:
        return None  # close the transport; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner._read_lost(exc)


class _WriteSide(asyncio.Protocol):
    def __init__(self, owner: StandardIO) -> None:
        self.owner = owner

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.owner._writer_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner._write_lost(exc)

    def pause_writing(self) -> None:
        self.owner._pause_producer()

    def resume_writing(self) -> None:
        self.owner._resume_producer()


class _FileReader:
    """Read a descriptor the loop cannot watch (a regular file) from loop callbacks."""

    def __init__(self, loop: asyncio.AbstractEventLoop, fd: int, side: _ReadSide) -> None:
        self.loop = loop
        self.fd = fd
        self.side = side
        self.paused = False
        self.closed = False
        self.scheduled: asyncio.Handle | None = loop.call_soon(self._read)

    def _read(self) -> None:
        self.scheduled = None
        if self.closed or self.paused:
            return
        try:
            data = os.read(self.fd, _CHUNK)
        except OSError as exc:
            self._finish(exc)
            return
        if not data:
            self._finish(None)
            return
        self.side.data_received(data)
        if not self.closed and not self.paused and self.scheduled is None:
            self.scheduled = self.loop.call_soon(self._read)

    def _finish(self, exc: Exception | None) -> None:
        if self.closed:
            return
        self.closed = True
        os.close(self.fd)
        self.side.connection_lost(exc)

    def pause_reading(self) -> None:
        self.paused = True

    def resume_reading(self) -> None:
        self.paused = False
        if not self.closed and self.scheduled is None:
            self.scheduled = self.loop.call_soon(self._read)

    def close(self) -> None:
        if not self.closed:
            if self.scheduled is not None:
                self.scheduled.cancel()
            self.loop.call_soon(self._finish, None)
            self.paused = True

    def is_closing(self) -> bool:
        return self.closed


class _FileWriter:
    """Write to a descriptor the loop cannot watch (a regular file): it never blocks."""

    def __init__(self, loop: asyncio.AbstractEventLoop, fd: int, side: _WriteSide) -> None:
        self.loop = loop
        self.fd = fd
        self.side = side
        self.closed = False

    def write(self, data: bytes) -> None:
        if self.closed:
            return
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self.fd, view) :]
        except OSError as exc:
            self._close(exc)

    def writelines(self, chunks: Iterable[bytes]) -> None:
        self.write(b"".join(chunks))

    def _close(self, exc: Exception | None) -> None:
        if self.closed:
            return
        self.closed = True
        os.close(self.fd)
        self.loop.call_soon(self.side.connection_lost, exc)

    def close(self) -> None:
        self._close(None)

    def abort(self) -> None:
        self._close(None)

    def is_closing(self) -> bool:
        return self.closed


def _exception_of(reason: Failure) -> BaseException | None:
    """Return the exception of *reason*, or None for a clean end (``ConnectionDone``)."""
    value = getattr(reason, "value", reason)
    if isinstance(value, ConnectionDone):
        return None
    return value if isinstance(value, BaseException) else None


@implementer(ITransport, IPushProducer, IConsumer)
class StandardIO:
    """Connect *proto* to this process's standard input and output.

    :param proto: the protocol; its ``makeConnection`` runs before this returns, and what it
        writes meanwhile is sent once the output is connected.
    :param stdin: the descriptor to read (0).
    :param stdout: the descriptor to write (1).
    :param reactor: the reactor whose loop runs it; the default reactor if ``None``.

    At the end of the input, a protocol providing ``IHalfCloseableProtocol`` gets
    ``readConnectionLost()``; any other gets the transport's ``loseConnection()``: its
    output is flushed and closed, then ``connectionLost(ConnectionDone)`` follows. Both
    descriptors are closed at the end, as in Twisted.
    """

    disconnecting = False
    disconnected = False

    def __init__(self, proto: Any, stdin: int = 0, stdout: int = 1, reactor: Any = None) -> None:
        if reactor is None:
            from bridge import _runtime

            reactor = _runtime.get_reactor()
        self.protocol = proto
        self._loop: asyncio.AbstractEventLoop = reactor._loop
        self._reader: Any = None
        self._writer: Any = None
        self._reading = True  # until the input ends or is closed
        self._writing = True  # until the output is closed
        self._write_closing = False
        self._pending: list[bytes] = []
        self._paused = False
        self._held: list[bytes] = []  # read while paused
        self._eof_held = False
        self._lost = False
        self._reason: Failure | None = None
        self._producer: Any = None
        self._producer_streaming = False
        self._connect_reader(stdin)
        self._connect_writer(stdout)
        proto.makeConnection(self)

    def __repr__(self) -> str:
        return f"<StandardIO protocol={self.protocol!r}>"

    # -- connecting ---------------------------------------------------------------------------

    def _connect_reader(self, fd: int) -> None:
        side = _ReadSide(self)
        if not _watchable(fd):
            self._reader = _FileReader(self._loop, fd, side)
            return
        file = os.fdopen(fd, "rb", buffering=0)

        def connected(task: asyncio.Future[Any]) -> None:
            if task.cancelled() or task.exception() is not None:
                file.close()
                self._read_lost(task.exception() if not task.cancelled() else None)

        self._loop.create_task(self._loop.connect_read_pipe(lambda: side, file)).add_done_callback(
            connected
        )

    def _connect_writer(self, fd: int) -> None:
        side = _WriteSide(self)
        if not _watchable(fd):
            self._writer = _FileWriter(self._loop, fd, side)
            return
        file = os.fdopen(fd, "wb", buffering=0)

        def connected(task: asyncio.Future[Any]) -> None:
            if task.cancelled() or task.exception() is not None:
                file.close()
                self._write_lost(task.exception() if not task.cancelled() else None)

        self._loop.create_task(self._loop.connect_write_pipe(lambda: side, file)).add_done_callback(
            connected
        )

    def _reader_made(self, reader: Any) -> None:
        # In connection_made, before the transport reads anything.
        self._reader = reader
        if not self._reading:
            reader.close()
        elif self._paused:
            reader.pause_reading()

    def _writer_made(self, writer: Any) -> None:
        self._writer = writer
        if self._pending:
            writer.writelines(self._pending)
            self._pending.clear()
        if self._write_closing:
            writer.close()

    # -- ITransport -----------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Write *data* to standard output."""
        if isinstance(data, str):
            raise TypeError(f"write({data[:20]!r}): data must be bytes, not str; encode it first")
        if not self._writing or self._write_closing:
            return
        if self._writer is None:
            self._pending.append(bytes(data))
        else:
            self._writer.write(data)

    def writeSequence(self, data: Iterable[bytes]) -> None:
        """Write each chunk of *data* (an iterable of bytes) to standard output."""
        for chunk in data:
            self.write(chunk)

    def loseConnection(self) -> None:
        """Stop reading, flush standard output, close both; ``connectionLost`` follows."""
        self.disconnecting = True
        self._stop_reading()
        self.loseWriteConnection()

    def loseWriteConnection(self) -> None:
        """Close standard output once what was written is flushed (a half-close)."""
        if self._write_closing or not self._writing:
            return
        self._write_closing = True
        if self._writer is not None:
            self._writer.close()

    def getPeer(self) -> PipeAddress:
        """Return the (empty) address of the other end of the pipe."""
        return PipeAddress()

    def getHost(self) -> PipeAddress:
        """Return the (empty) address of this end of the pipe."""
        return PipeAddress()

    # -- IPushProducer (reading stdin) ----------------------------------------------------

    def pauseProducing(self) -> None:
        """Stop reading standard input until :meth:`resumeProducing`."""
        self._paused = True
        if self._reader is not None and self._reading:
            self._reader.pause_reading()

    def resumeProducing(self) -> None:
        """Read standard input again."""
        self._paused = False
        while self._held and not self._paused and self._reading:
            self.protocol.dataReceived(self._held.pop(0))
        if self._eof_held and not self._held:
            self._eof_held = False
            self._read_lost(None)
        elif self._reader is not None and self._reading and not self._paused:
            self._reader.resume_reading()

    def stopProducing(self) -> None:
        """Close the connection (``loseConnection``)."""
        self.loseConnection()

    def stopReading(self) -> None:
        """Pause reading; Twisted keeps this name for compatibility (``pauseProducing``)."""
        self.pauseProducing()

    def startReading(self) -> None:
        """Resume reading; Twisted keeps this name for compatibility (``resumeProducing``)."""
        self.resumeProducing()

    # -- IConsumer (writing stdout) -------------------------------------------------------

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """Pause *producer* while standard output's buffer is full.

        :raises RuntimeError: if a producer is registered already.
        """
        if not self._writing:
            producer.stopProducing()  # as in Twisted: nothing more can be written
            return
        if self._producer is not None:
            raise RuntimeError(
                f"registerProducer({producer!r}): {self._producer!r} is registered already"
            )
        self._producer = producer
        self._producer_streaming = bool(streaming)
        if not streaming:
            producer.resumeProducing()

    def unregisterProducer(self) -> None:
        """Stop using the registered producer."""
        self._producer = None

    def _pause_producer(self) -> None:
        if self._producer is not None and self._producer_streaming:
            self._producer.pauseProducing()

    def _resume_producer(self) -> None:
        if self._producer is not None:
            # Outside the transport's own callback: it may close while data is re-buffered.
            self._loop.call_soon(self._producer.resumeProducing)

    # -- events -------------------------------------------------------------------------------

    def _stop_reading(self) -> None:
        if not self._reading:
            return
        self._reading = False
        if self._reader is not None:
            self._reader.close()

    # -- Twisted's pipe callbacks (public there; the pipes call them, and so may tests) ---------

    def childDataReceived(self, fd: str, data: bytes) -> None:
        """Receive *data* read from the input pipe (*fd* is ``"read"``)."""
        self._data(data)

    def childConnectionLost(self, fd: str, reason: Failure) -> None:
        """Note that the ``"read"`` or ``"write"`` pipe (*fd*) ended with *reason*."""
        if fd == "read":
            self.readConnectionLost(reason)
        else:
            self.writeConnectionLost(reason)

    def readConnectionLost(self, reason: Failure) -> None:
        """Handle the end of the input: half-closeable protocols are told, others close."""
        self._read_lost(_exception_of(reason))

    def writeConnectionLost(self, reason: Failure) -> None:
        """Handle the end of the output: later writes are dropped."""
        self._write_lost(_exception_of(reason))

    def connectionLost(self, reason: Failure) -> None:
        """End the connection now: the protocol gets ``connectionLost(reason)`` (once)."""
        if self._lost:
            return
        self._reading = self._writing = False
        self._reason = reason
        self._maybe_lost()

    def _data(self, data: bytes) -> None:
        if not self._reading or self._lost:
            return
        if self._paused:
            # uvloop starts reading right after connection_made, whatever it asked for.
            self._held.append(data)
            if self._reader is not None:
                self._reader.pause_reading()
            return
        self.protocol.dataReceived(data)

    def _read_lost(self, exc: BaseException | None) -> None:
        if self._held and exc is None and self._reading:
            self._eof_held = True  # deliver the end of input after the held data
            return
        was_reading, self._reading = self._reading, False
        if self._lost or not was_reading:
            self._maybe_lost()
            return
        if exc is not None:
            self._reason = Failure(ConnectionLost(str(exc)))
        half = IHalfCloseableProtocol(self.protocol, None)
        if half is not None:
            try:
                half.readConnectionLost()
            except Exception:
                from bridge import log

                log.err(None, f"Unhandled error in readConnectionLost of {self.protocol!r}")
                self.loseConnection()
        else:
            self.loseConnection()
        self._maybe_lost()

    def _write_lost(self, exc: BaseException | None) -> None:
        if not self._writing:
            return
        self._writing = False
        self._pending.clear()
        if self.disconnecting:
            if exc is not None and self._reason is None:
                self._reason = Failure(ConnectionLost(str(exc)))
        else:
            # As in Twisted, a broken output alone does not end the connection: reading
            # goes on (a half-closeable protocol is told), later writes are dropped.
            half = IHalfCloseableProtocol(self.protocol, None)
            if half is not None:
                try:
                    half.writeConnectionLost()
                except Exception:
                    from bridge import log

                    log.err(None, f"Unhandled error in writeConnectionLost of {self.protocol!r}")
                    self.loseConnection()
        self._maybe_lost()

    def _maybe_lost(self) -> None:
        if self._lost or self._reading or self._writing:
            return
        self._lost = True
        self.disconnected = True
        reason = self._reason if self._reason is not None else Failure(ConnectionDone())
        protocol = self.protocol
        try:
            protocol.connectionLost(reason)
        except Exception:
            from bridge import log

            log.err(None, f"Unhandled error in connectionLost of {protocol!r}")
