"""Framing protocols: lines, netstrings and length-prefixed strings.

This module mirrors ``twisted.protocols.basic``: :class:`LineReceiver` (lines and raw data),
:class:`LineOnlyReceiver`, :class:`NetstringReceiver`, :class:`Int32StringReceiver`,
:class:`Int16StringReceiver` and :class:`Int8StringReceiver`, with Twisted's hooks,
attributes and callback order, so that ``dataReceived`` of a bridge protocol makes the same
calls as Twisted's for the same bytes, however they are split.

The parsing itself is sans-IO and lives in :mod:`bridge._framing`; the classes here feed it
and run the user callbacks between frames. Unlike Twisted's, each parser runs in linear time
and holds at most one frame (plus the last chunk received) whatever the split of the input.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

from zope.interface import implementer

from bridge._framing import NetstringParseError, NetstringParser, ReceiveBuffer
from bridge.interfaces import IConsumer, IProducer
from bridge.protocol import Protocol

if TYPE_CHECKING:
    from bridge.defer import Deferred

__all__ = [
    "FileSender",
    "IncompleteNetstring",
    "Int8StringReceiver",
    "Int16StringReceiver",
    "Int32StringReceiver",
    "IntNStringReceiver",
    "LineOnlyReceiver",
    "LineReceiver",
    "NetstringParseError",
    "NetstringReceiver",
    "StatefulStringProtocol",
    "StringTooLongError",
]

#: Twisted's module flag (unused there too); kept so that code reading it keeps working.
DEBUG = 0


class IncompleteNetstring(Exception):
    """Raise when more data is needed to complete a netstring (kept for Twisted parity)."""


class StringTooLongError(AssertionError):
    """Raise when a string is too long for the length prefix of its protocol."""


class _PauseableProtocol(Protocol):
    """A protocol that stops handing out frames while it is paused, as Twisted's do.

    ``pauseProducing``/``resumeProducing``/``stopProducing`` pass on to the transport;
    resuming parses what was buffered meanwhile.
    """

    paused: bool = False

    def pauseProducing(self) -> None:
        """Stop delivering frames and pause the transport's reading."""
        self.paused = True
        self.transport.pauseProducing()

    def resumeProducing(self) -> None:
        """Resume the transport's reading and deliver the frames buffered meanwhile."""
        self.paused = False
        self.transport.resumeProducing()
        self.dataReceived(b"")

    def stopProducing(self) -> None:
        """Stop delivering frames for good and stop the transport's reading."""
        self.paused = True
        self.transport.stopProducing()


# -- lines --------------------------------------------------------------------------------------


class _LineBuffer:
    """The unparsed bytes of a line protocol, created on first use.

    Twisted keeps them in ``_buffer``, which some subclasses read or reset: the property
    keeps that working over the :class:`ReceiveBuffer`.
    """

    _rx: ReceiveBuffer | None = None

    def _receive_buffer(self) -> ReceiveBuffer:
        buffer = self._rx
        if buffer is None:
            buffer = self._rx = ReceiveBuffer()
        return buffer

    @property
    def _buffer(self) -> bytes:
        buffer = self._receive_buffer()
        return buffer.peek(len(buffer))

    @_buffer.setter
    def _buffer(self, value: bytes) -> None:
        buffer = self._receive_buffer()
        buffer.take_all()
        buffer.feed(value)


class LineReceiver(_LineBuffer, _PauseableProtocol):
    """Receive lines and, after :meth:`setRawMode`, raw data.

    In line mode each line, without its delimiter, goes to :meth:`lineReceived`; in raw mode
    each chunk goes to :meth:`rawDataReceived`. Switching mode inside a callback applies to
    the rest of the data already received.

    :cvar delimiter: the line ending (``b"\\r\\n"``).
    :cvar MAX_LENGTH: the longest line accepted, in bytes (16384); a longer one goes to
        :meth:`lineLengthExceeded`, which closes the connection.
    :ivar line_mode: true in line mode, false in raw mode.
    """

    line_mode: int = 1
    delimiter: bytes = b"\r\n"
    MAX_LENGTH: int = 16384
    _busyReceiving: bool = False

    def clearLineBuffer(self) -> bytes:
        """Drop the buffered, unparsed data and return it."""
        return self._receive_buffer().take_all()

    def dataReceived(self, data: bytes) -> Any:
        """Cut *data* into lines (or raw chunks) and deliver them.

        :returns: the true value a callback returned, which stops the parsing, else ``None``.
        """
        buffer = self._rx
        if buffer is None:
            buffer = self._rx = ReceiveBuffer()
        if self._busyReceiving:
            # Called from inside a callback (setLineMode(extra) for one): the running loop
            # will get to these bytes.
            buffer.feed(data)
            return None
        # Between calls an empty buffer holds b"" (every path that consumes all resets it).
        if buffer._data or type(data) is not bytes:
            buffer.feed(data)
        else:
            delimiter = self.delimiter
            line, found, rest = data.partition(delimiter) if delimiter else (data, b"", b"")
            if found and not rest and self.line_mode and not self.paused:
                # Exactly one whole line, the commonest chunk of all: deliver it with no
                # buffer bookkeeping, as there is no rest to keep.
                self._busyReceiving = True
                try:
                    if len(line) > self.MAX_LENGTH:
                        return self.lineLengthExceeded(data)
                    why = self.lineReceived(line)
                finally:
                    self._busyReceiving = False
                if why:
                    return why
                transport = self.transport
                if not buffer._data or (transport is not None and transport.disconnecting):
                    return None
                # The callback fed more data (re-entrant dataReceived): parse it below.
            else:
                # Parse the caller's bytes in place, without copying.
                buffer._data = data
                buffer._start = buffer._searched = 0
        self._busyReceiving = True
        try:
            # The ReceiveBuffer operations are inlined in this hot loop (a method call per
            # line would cost more than Twisted's split); the semantics are take_line()'s.
            while True:
                pending = buffer._data
                start = buffer._start
                end = len(pending)
                if start >= end or self.paused:
                    return None
                if self.line_mode:
                    delimiter = self.delimiter
                    if not delimiter:
                        index = -1  # Twisted's split() refuses b"": no line ever ends
                    elif buffer._searched > start and delimiter == buffer._searched_delimiter:
                        index = pending.find(delimiter, buffer._searched)
                    else:
                        index = pending.find(delimiter, start)
                    if index < 0:
                        buffer._searched = max(start, end - len(delimiter) + 1)
                        buffer._searched_delimiter = delimiter
                        if end - start >= self.MAX_LENGTH + len(delimiter):
                            return self.lineLengthExceeded(buffer.take_all())
                        return None
                    piece = pending[start:index]
                    line = piece if type(piece) is bytes else bytes(piece)
                    buffer._start = index + len(delimiter)
                    if index - start > self.MAX_LENGTH:
                        return self.lineLengthExceeded(line + delimiter + buffer.take_all())
                    why = self.lineReceived(line)
                    if why:
                        return why
                    transport = self.transport
                    if transport is not None and transport.disconnecting:
                        return None
                else:
                    why = self.rawDataReceived(buffer.take_all())
                    if why:
                        return why
        finally:
            self._busyReceiving = False
            if buffer._start:
                if buffer._start == len(buffer._data):
                    buffer._data = b""
                    buffer._start = buffer._searched = 0
                else:
                    buffer.compact()

    def setLineMode(self, extra: bytes = b"") -> Any:
        """Switch to line mode, then parse *extra* (data a raw-mode handler did not use).

        Don't pass *extra* from inside :meth:`lineReceived`: the rest of the buffer is
        parsed in line mode anyway.
        """
        self.line_mode = 1
        if extra:
            return self.dataReceived(extra)
        return None

    def setRawMode(self) -> None:
        """Switch to raw mode: data from now on, buffered data included, goes to
        :meth:`rawDataReceived`."""
        self.line_mode = 0

    def rawDataReceived(self, data: bytes) -> object:
        """Handle a chunk of data received in raw mode; override this to use raw mode."""
        raise NotImplementedError(
            f"{type(self).__name__}.rawDataReceived() is not implemented: override it "
            "before calling setRawMode()"
        )

    def lineReceived(self, line: bytes) -> object:
        """Handle one line, without its delimiter; override this."""
        raise NotImplementedError(
            f"{type(self).__name__}.lineReceived() is not implemented: override it"
        )

    def sendLine(self, line: bytes) -> None:
        """Write *line* followed by :attr:`delimiter` to the transport."""
        self.transport.write(line + self.delimiter)

    def lineLengthExceeded(self, line: bytes) -> object:
        """Handle a line longer than :attr:`MAX_LENGTH`: close the connection.

        :param line: the rest of the buffer, starting with (part of) the long line.
        """
        return self.transport.loseConnection()


class LineOnlyReceiver(_LineBuffer, Protocol):
    """Receive lines only: a faster :class:`LineReceiver` without raw mode or pausing.

    The lines of each chunk are cut with the delimiter in force when the chunk arrives; once
    the transport is disconnecting, the remaining lines of that chunk are dropped.

    :cvar delimiter: the line ending (``b"\\r\\n"``).
    :cvar MAX_LENGTH: the longest line accepted, in bytes (16384).
    """

    delimiter: bytes = b"\r\n"
    MAX_LENGTH: int = 16384

    def dataReceived(self, data: bytes) -> Any:
        """Cut *data* into lines and deliver them to :meth:`lineReceived`."""
        buffer = self._rx
        if buffer is None:
            buffer = self._rx = ReceiveBuffer()
        delimiter = self.delimiter
        if not buffer._data and type(data) is bytes:
            # Nothing left over: one split of the chunk, as Twisted does (linear).
            lines = data.split(delimiter)
            rest = lines.pop()
            if rest:
                buffer._data = rest
                buffer._start = 0
                buffer._searched = max(0, len(rest) - len(delimiter) + 1)
                buffer._searched_delimiter = delimiter
        else:
            if not delimiter:
                raise ValueError(f"{type(self).__name__}.delimiter is empty: no line can end")
            buffer.feed(data)
            if buffer.find(delimiter) < 0:
                # No complete line: only the partial one to check (linear in the new data).
                if len(buffer) > self.MAX_LENGTH:
                    return self.lineLengthExceeded(buffer.peek(len(buffer)))
                buffer.compact()
                return None
            lines = buffer.take_all().split(delimiter)
            buffer.feed(lines.pop())
        for line in lines:
            if self.transport.disconnecting:
                # A line of this chunk closed the connection: ignore the lines after it.
                return None
            if len(line) > self.MAX_LENGTH:
                return self.lineLengthExceeded(line)
            self.lineReceived(line)
        if buffer._data and len(buffer._data) - buffer._start > self.MAX_LENGTH:
            return self.lineLengthExceeded(buffer.peek(len(buffer)))
        return None

    def lineReceived(self, line: bytes) -> object:
        """Handle one line, without its delimiter; override this."""
        raise NotImplementedError(
            f"{type(self).__name__}.lineReceived() is not implemented: override it"
        )

    def sendLine(self, line: bytes) -> None:
        """Write *line* and :attr:`delimiter` to the transport (one ``writeSequence``)."""
        self.transport.writeSequence((line, self.delimiter))

    def lineLengthExceeded(self, line: bytes) -> object:
        """Handle a line longer than :attr:`MAX_LENGTH`: close the connection."""
        return self.transport.loseConnection()


# -- length-prefixed strings --------------------------------------------------------------------


_unpackers: dict[str, Callable[[bytes | bytearray, int], tuple[Any, ...]]] = {}


class IntNStringReceiver(_PauseableProtocol):
    """Receive strings each preceded by its length as a fixed-size integer.

    Subclasses set :attr:`structFormat` (a :mod:`struct` format of one unsigned integer) and
    :attr:`prefixLength` (its size).

    :cvar MAX_LENGTH: the longest string accepted (99999); a longer announced length goes
        to :meth:`lengthLimitExceeded`, which closes the connection.
    """

    MAX_LENGTH: int = 99999
    structFormat: str
    prefixLength: int
    _rx: ReceiveBuffer | None = None

    def _receive_buffer(self) -> ReceiveBuffer:
        buffer = self._rx
        if buffer is None:
            buffer = self._rx = ReceiveBuffer()
        return buffer

    @property
    def recvd(self) -> bytes:
        """The received bytes not yet delivered (Twisted's old working-buffer attribute).

        Assigning to it from :meth:`stringReceived` replaces the unparsed data.
        """
        buffer = self._receive_buffer()
        return buffer.peek(len(buffer))

    @recvd.setter
    def recvd(self, value: bytes) -> None:
        buffer = self._receive_buffer()
        buffer.take_all()
        buffer.feed(value)

    def dataReceived(self, data: bytes) -> None:
        """Cut *data* into length-prefixed strings and deliver them to
        :meth:`stringReceived`."""
        buffer = self._rx
        if buffer is None:
            buffer = self._rx = ReceiveBuffer()
        if buffer._data or type(data) is not bytes:
            buffer.feed(data)
        else:
            # Nothing left over: parse the caller's bytes in place, without copying.
            buffer._data = data
            buffer._start = 0
        fmt = self.structFormat
        unpack = _unpackers.get(fmt)
        if unpack is None:
            unpack = _unpackers[fmt] = struct.Struct(fmt).unpack_from
        prefix_length = self.prefixLength
        try:
            # ReceiveBuffer operations inlined, as in LineReceiver.dataReceived.
            while not self.paused:
                pending = buffer._data
                start = buffer._start
                available = len(pending) - start
                if available < prefix_length:
                    break
                (length,) = unpack(pending, start)
                if length > self.MAX_LENGTH:
                    # The prefix stays buffered, as in Twisted.
                    self.lengthLimitExceeded(length)
                    return
                if available < prefix_length + length:
                    break
                start += prefix_length
                end = start + length
                string = pending[start:end]
                if type(string) is not bytes:
                    string = bytes(string)
                buffer._start = end
                self.stringReceived(string)
        finally:
            if buffer._start:
                if buffer._start == len(buffer._data):
                    buffer._data = b""
                    buffer._start = buffer._searched = 0
                else:
                    buffer.compact()

    def stringReceived(self, string: bytes) -> None:
        """Handle one complete string, without its prefix; override this."""
        raise NotImplementedError(
            f"{type(self).__name__}.stringReceived() is not implemented: override it"
        )

    def lengthLimitExceeded(self, length: int) -> None:
        """Handle an announced length above :attr:`MAX_LENGTH`: close the connection."""
        self.transport.loseConnection()

    def sendString(self, string: bytes) -> None:
        """Write *string* preceded by its length to the transport.

        :raises StringTooLongError: if the length does not fit in the prefix.
        """
        limit = 2 ** (8 * self.prefixLength)
        if len(string) >= limit:
            raise StringTooLongError(
                f"sendString() of {len(string)} bytes on {type(self).__name__}: a "
                f"{self.prefixLength}-byte length prefix allows at most {limit - 1} bytes"
            )
        self.transport.write(struct.pack(self.structFormat, len(string)) + string)


class Int32StringReceiver(IntNStringReceiver):
    """Receive strings each preceded by its length as a 4-byte big-endian integer."""

    structFormat = "!I"
    prefixLength = struct.calcsize(structFormat)


class Int16StringReceiver(IntNStringReceiver):
    """Receive strings each preceded by its length as a 2-byte big-endian integer."""

    structFormat = "!H"
    prefixLength = struct.calcsize(structFormat)


class Int8StringReceiver(IntNStringReceiver):
    """Receive strings each preceded by its length as one byte."""

    structFormat = "!B"
    prefixLength = struct.calcsize(structFormat)


# -- netstrings ---------------------------------------------------------------------------------


class NetstringReceiver(Protocol):
    """Receive netstrings (``b"5:hello,"``), see https://cr.yp.to/proto/netstrings.txt.

    Bad input (no length, a length above :attr:`MAX_LENGTH`, no trailing comma) closes the
    connection and sets :attr:`brokenPeer`.

    :cvar MAX_LENGTH: the longest string accepted (99999).
    :ivar brokenPeer: true once the peer sent something that is not a netstring.
    """

    MAX_LENGTH: int = 99999
    brokenPeer: int = 0
    _parser: NetstringParser | None = None

    def makeConnection(self, transport: Any) -> None:
        """Attach *transport*, call ``connectionMade``, then start with a fresh parser."""
        Protocol.makeConnection(self, transport)
        self._parser = NetstringParser()
        self.brokenPeer = 0

    def sendString(self, string: bytes) -> None:
        """Write *string* as a netstring to the transport."""
        self.transport.write(b"".join((b"%d:" % len(string), string, b",")))

    def dataReceived(self, data: bytes) -> None:
        """Cut *data* into netstrings and deliver them to :meth:`stringReceived`."""
        parser = self._parser
        if parser is None:
            parser = self._parser = NetstringParser()
        buffer = parser.buffer
        if buffer._data or type(data) is not bytes:
            buffer.feed(data)
        else:
            buffer._data = data
            buffer._start = 0
        try:
            while buffer._start < len(buffer._data):
                try:
                    string = parser.next_string(self.MAX_LENGTH)
                    if string is None:
                        break
                    self.stringReceived(string)
                except NetstringParseError:
                    self._handleParseError()
                    break
        finally:
            if buffer._start:
                if buffer._start == len(buffer._data):
                    buffer._data = b""
                    buffer._start = buffer._searched = 0
                else:
                    buffer.compact()

    def stringReceived(self, string: bytes) -> None:
        """Handle one complete netstring's payload; override this."""
        raise NotImplementedError(
            f"{type(self).__name__}.stringReceived() is not implemented: override it"
        )

    def _handleParseError(self) -> None:
        self.transport.loseConnection()
        self.brokenPeer = 1


# -- helpers ------------------------------------------------------------------------------------


class StatefulStringProtocol:
    """Dispatch each received string to a ``proto_<state>`` method (a mixin).

    Each ``proto_*`` method returns the next state; the state ``"done"`` closes the
    connection. Mix it in before a string receiver, e.g.
    ``class P(StatefulStringProtocol, Int32StringReceiver)``.

    :ivar state: the current state (``"init"`` at first).
    """

    state: str = "init"
    transport: Any

    def stringReceived(self, string: bytes) -> None:
        """Call ``proto_<state>(string)`` and move to the state it returns."""
        handler = getattr(self, "proto_" + self.state, None)
        if handler is None:
            from bridge import log

            log.msg("callback", self.state, "not found")
            return
        self.state = handler(string)
        if self.state == "done":
            self.transport.loseConnection()


@implementer(IProducer)
class FileSender:
    """A pull producer that writes a file's contents to a consumer.

    :cvar CHUNK_SIZE: how many bytes each ``resumeProducing`` reads (16 KiB).
    """

    CHUNK_SIZE = 2**14

    lastSent: bytes | str = ""
    deferred: Deferred[bytes | str] | None = None

    def beginFileTransfer(
        self,
        file: IO[bytes],
        consumer: IConsumer,
        transform: Callable[[bytes], bytes] | None = None,
    ) -> Deferred[bytes | str]:
        """Start writing *file* to *consumer*, each chunk passed through *transform*.

        :returns: a Deferred firing with the last byte written once the whole file is.
        """
        from bridge.defer import Deferred

        self.file: IO[bytes] | None = file
        self.consumer = consumer
        self.transform = transform
        deferred: Deferred[bytes | str] = Deferred()
        self.deferred = deferred
        consumer.registerProducer(self, False)
        return deferred

    def resumeProducing(self) -> None:
        """Write the next chunk, or finish the transfer at the end of the file."""
        chunk = self.file.read(self.CHUNK_SIZE) if self.file else b""
        if not chunk:
            self.file = None
            self.consumer.unregisterProducer()
            if self.deferred is not None:
                deferred, self.deferred = self.deferred, None
                deferred.callback(self.lastSent)
            return
        if self.transform is not None:
            chunk = self.transform(chunk)
        self.consumer.write(chunk)
        self.lastSent = chunk[-1:]

    def pauseProducing(self) -> None:
        """Do nothing: a pull producer writes only when asked."""

    def stopProducing(self) -> None:
        """Abandon the transfer: its Deferred fails."""
        if self.deferred is not None:
            deferred, self.deferred = self.deferred, None
            deferred.errback(Exception("Consumer asked us to stop producing"))
