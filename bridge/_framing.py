"""Sans-IO framing parsers behind :mod:`bridge.basic`.

Nothing here knows about protocols or transports: a parser is fed bytes and hands back
frames one at a time, so that the protocol classes in :mod:`bridge.basic` can run a user
callback between two frames and honour whatever it did (switching to raw mode, pausing,
closing the connection, changing the delimiter) before the next frame is cut.

Linear time and bounded memory on any split of the input: the unconsumed bytes live in one
buffer with a start offset (consuming a frame moves the offset; nothing is copied until a
frame is handed out), a failed delimiter search remembers where it stopped so one-byte feeds
don't rescan the partial line, and the buffer is compacted once per ``dataReceived`` call.
The buffer stays the caller's ``bytes`` object while nothing is left over between calls (so
frames are sliced straight out of it), and becomes a ``bytearray`` when a partial frame has to
wait for more data.
"""

from __future__ import annotations

import functools
import math
import re
import struct

__all__ = ["NetstringParseError", "NetstringParser", "ReceiveBuffer"]


class NetstringParseError(ValueError):
    """Raise when received data is not a valid netstring."""


class ReceiveBuffer:
    """Bytes received but not yet consumed, with cheap consumption from the front."""

    __slots__ = ("_data", "_searched", "_searched_delimiter", "_start")

    def __init__(self) -> None:
        self._data: bytes | bytearray = b""
        self._start = 0
        # Where the next search for _searched_delimiter may begin: everything before it was
        # already searched and held no delimiter.
        self._searched = 0
        self._searched_delimiter = b""

    def __len__(self) -> int:
        return len(self._data) - self._start

    def __bool__(self) -> bool:
        return len(self._data) > self._start

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Append *data* to the unconsumed bytes."""
        if not data:
            return
        if self._start == len(self._data):
            # Nothing left over: keep (an immutable copy of) the caller's bytes as they are.
            self._data = data if type(data) is bytes else bytes(data)
            self._start = 0
            self._searched = 0
        elif type(self._data) is bytes:
            # A leftover is about to grow: move it into a bytearray, once.
            leftover = bytearray(memoryview(self._data)[self._start :])
            leftover += data
            self._searched -= self._start
            self._data = leftover
            self._start = 0
        else:
            self._data += data

    def compact(self) -> None:
        """Drop the consumed bytes from memory."""
        start = self._start
        if not start:
            return
        data = self._data
        if start == len(data):
            self._data = b""
            self._searched = 0
        elif type(data) is bytearray:
            del data[:start]  # O(1) amortised in CPython: it moves the array's start pointer
            self._searched -= start
        else:
            self._data = bytearray(memoryview(data)[start:])
            self._searched -= start
        self._start = 0

    def take_all(self) -> bytes:
        """Consume and return every unconsumed byte."""
        data = self._data
        rest = data[self._start :] if self._start else data
        self._data = b""
        self._start = self._searched = 0
        return rest if type(rest) is bytes else bytes(rest)

    def take(self, size: int) -> bytes:
        """Consume and return the next *size* bytes (the caller checked there are enough)."""
        start = self._start
        end = start + size
        chunk = self._data[start:end]
        self._start = end
        return chunk if type(chunk) is bytes else bytes(chunk)

    def peek(self, size: int) -> bytes:
        """Return the next *size* bytes without consuming them."""
        return bytes(self._data[self._start : self._start + size])

    def skip(self, size: int) -> None:
        """Consume the next *size* bytes without returning them."""
        self._start += size

    def byte_at(self, index: int) -> int:
        """Return the unconsumed byte at *index* (0 is the first unconsumed byte)."""
        return self._data[self._start + index]

    def unpack_prefix(self, fmt: str) -> tuple[int, ...]:
        """Unpack struct format *fmt* from the first unconsumed bytes."""
        return struct.unpack_from(fmt, self._data, self._start)

    def find(self, delimiter: bytes) -> int:
        """Return the offset of the first *delimiter* in the unconsumed bytes, or -1."""
        start = self._start
        if delimiter == self._searched_delimiter and self._searched > start:
            begin = self._searched
        else:
            begin = start
        data = self._data
        index = data.find(delimiter, begin)
        if index < 0:
            # A delimiter may still start in the last len(delimiter) - 1 bytes.
            self._searched = max(start, len(data) - len(delimiter) + 1)
            self._searched_delimiter = delimiter
            return -1
        return index - start

    def take_line(self, delimiter: bytes) -> bytes | None:
        """Consume and return the bytes before the next *delimiter*, and the delimiter.

        :returns: the line without its delimiter, or ``None`` when no delimiter is buffered.
        """
        index = self.find(delimiter)
        if index < 0:
            return None
        line = self.take(index)
        self._start += len(delimiter)
        return line


class NetstringParser:
    """Cut netstrings (``b"5:hello,"``) out of a stream.

    The parser keeps Twisted's states: it is either reading a length or a payload. After a
    parse error it stays where it failed, so that more data fails the same way.
    """

    __slots__ = ("_bad_comma", "_expected", "_reading_payload", "buffer")

    def __init__(self) -> None:
        self.buffer = ReceiveBuffer()
        self._reading_payload = False
        self._expected = 0
        self._bad_comma = False

    def next_string(self, max_length: int) -> bytes | None:
        """Return the next complete netstring's payload, or ``None`` if more data is needed.

        :raises NetstringParseError: on a bad length, a length above *max_length*, or a
            missing trailing comma.
        """
        if not self._reading_payload and not self._read_length(max_length):
            return None
        if self._bad_comma:
            raise NetstringParseError(_MISSING_COMMA)
        buffer = self.buffer
        data = buffer._data
        start = buffer._start
        comma = start + self._expected - 1
        if comma >= len(data):
            return None
        buffer._start = comma + 1
        if data[comma] != 0x2C:  # b","
            self._bad_comma = True
            raise NetstringParseError(_MISSING_COMMA)
        self._reading_payload = False
        payload = data[start:comma]
        return payload if type(payload) is bytes else bytes(payload)

    def _read_length(self, max_length: int) -> bool:
        buffer = self.buffer
        data = buffer._data
        start = buffer._start
        end = len(data)
        # Digits allowed in a length: enough for max_length (Twisted's bound, same formula).
        max_digits = _max_digits(max_length)
        # Look at no more than max_digits + 1 bytes, however much is buffered.
        match = _DIGITS.match(data, start, min(end, start + max_digits + 1))
        digits = match.end() - start if match is not None else 0
        if digits == 0 or (digits > 1 and data[start] == 0x30):
            raise NetstringParseError(_MISSING_LENGTH)
        if digits > max_digits:
            raise NetstringParseError(_TOO_LONG % (max_length,))
        colon = start + digits
        if colon < end and data[colon] != 0x3A:  # b":"
            raise NetstringParseError(_MISSING_LENGTH)
        # Check the length even before its ":" arrives, so an oversized one fails early.
        length = int(data[start:colon])
        if length > max_length:
            raise NetstringParseError(_TOO_LONG % (max_length,))
        if colon == end:
            return False
        buffer._start = colon + 1
        self._expected = length + 1
        self._reading_payload = True
        self._bad_comma = False
        return True


_DIGITS = re.compile(rb"[0-9]+")
_MISSING_LENGTH = "The received netstring does not start with a length specification."
_MISSING_COMMA = "The received netstring is not terminated by a comma."
_TOO_LONG = "The received netstring is longer than the maximum %s specified by self.MAX_LENGTH"


@functools.lru_cache(maxsize=64)
def _max_digits(max_length: int) -> int:
    return math.ceil(math.log10(max_length)) + 1
