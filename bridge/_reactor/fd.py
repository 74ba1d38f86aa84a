"""IReactorFDSet on ``loop.add_reader``/``loop.add_writer``.

Each registered descriptor is remembered with the file descriptor it had when it was added,
so it can be unregistered after it closed its socket (``fileno()`` then returns -1).
A descriptor is any object with ``fileno()``, ``doRead()``/``doWrite()``,
``connectionLost(reason)`` and ``logPrefix()``; declaring the interfaces is optional.

.. note:: uvloop applies ``remove_reader`` asynchronously and may still deliver one event
   for a descriptor that was just removed (uvloop #61); every event is therefore checked
   against the current registration before it is dispatched. uvloop's ``add_reader`` also
   switches the file descriptor to non-blocking mode (uvloop #712).
"""

from __future__ import annotations

from asyncio import AbstractEventLoop
from typing import Any

from bridge._reactor._log import log_error
from bridge.error import ConnectionDone, ConnectionFdescWentAway, ConnectionLost

__all__ = ["FDWatcher"]


class FDWatcher:
    """The readers and writers of one reactor."""

    __slots__ = ("_loop", "_readers", "_writers")

    def __init__(self, loop: AbstractEventLoop) -> None:
        self._loop = loop
        # descriptor -> the fd it was registered under
        self._readers: dict[Any, int] = {}
        self._writers: dict[Any, int] = {}

    @staticmethod
    def _fileno(descriptor: Any, operation: str) -> int:
        fd = descriptor.fileno()
        if not isinstance(fd, int) or isinstance(fd, bool):
            raise TypeError(f"{operation}({descriptor!r}): fileno() returned {fd!r}, not an int")
        if fd < 0:
            raise ValueError(
                f"{operation}({descriptor!r}): fileno() returned {fd}: the descriptor is "
                "closed, so it cannot be watched"
            )
        return fd

    def add_reader(self, reader: Any) -> None:
        """Start calling ``reader.doRead()`` whenever its file descriptor is readable."""
        if reader in self._readers:
            return
        fd = self._fileno(reader, "addReader")
        self._loop.add_reader(fd, self._on_readable, reader)
        self._readers[reader] = fd

    def add_writer(self, writer: Any) -> None:
        """Start calling ``writer.doWrite()`` whenever its file descriptor is writable."""
        if writer in self._writers:
            return
        fd = self._fileno(writer, "addWriter")
        self._loop.add_writer(fd, self._on_writable, writer)
        self._writers[writer] = fd

    def remove_reader(self, reader: Any) -> None:
        """Stop watching *reader* for readability (no error if it is not watched)."""
        fd = self._readers.pop(reader, None)
        if fd is not None and not self._loop.is_closed():
            self._loop.remove_reader(fd)

    def remove_writer(self, writer: Any) -> None:
        """Stop watching *writer* for writability (no error if it is not watched)."""
        fd = self._writers.pop(writer, None)
        if fd is not None and not self._loop.is_closed():
            self._loop.remove_writer(fd)

    def remove_all(self) -> list[Any]:
        """Stop watching everything; return the descriptors that were watched."""
        removed = list(self._readers)
        removed.extend(w for w in self._writers if w not in self._readers)
        for reader in list(self._readers):
            self.remove_reader(reader)
        for writer in list(self._writers):
            self.remove_writer(writer)
        return removed

    def readers(self) -> list[Any]:
        """Return the descriptors watched for reading."""
        return list(self._readers)

    def writers(self) -> list[Any]:
        """Return the descriptors watched for writing."""
        return list(self._writers)

    # -- dispatch ---------------------------------------------------------------------------

    def _on_readable(self, reader: Any) -> None:
        if reader in self._readers:  # else removed; uvloop may still report one last event
            self._dispatch(reader, "doRead", True)

    def _on_writable(self, writer: Any) -> None:
        if writer in self._writers:
            self._dispatch(writer, "doWrite", False)

    def _dispatch(self, descriptor: Any, method: str, is_read: bool) -> None:
        why: object = None
        try:
            if descriptor.fileno() == -1:
                why = ConnectionFdescWentAway("Filedescriptor went away")
            else:
                why = getattr(descriptor, method)()
        except Exception as exc:
            log_error(f"Unhandled error in {_prefix(descriptor)}.{method}()")
            why = exc
        if why is not None:
            self._disconnect(descriptor, why, is_read)

    def _disconnect(self, descriptor: Any, why: object, is_read: bool) -> None:
        from bridge.failure import Failure

        reason = why if isinstance(why, Failure) else Failure(why)
        self.remove_reader(descriptor)
        try:
            if (
                is_read
                and reason.check(ConnectionDone) is not None
                and reason.check(ConnectionLost) is None
                and _half_closeable(descriptor)
            ):
                descriptor.readConnectionLost(reason)
            else:
                self.remove_writer(descriptor)
                descriptor.connectionLost(reason)
        except Exception:
            log_error(f"Unhandled error in {_prefix(descriptor)}.connectionLost()")


def _half_closeable(descriptor: object) -> bool:
    from bridge.interfaces import IHalfCloseableDescriptor

    return bool(IHalfCloseableDescriptor.providedBy(descriptor))


def _prefix(descriptor: Any) -> str:
    try:
        return str(descriptor.logPrefix())
    except Exception:
        return type(descriptor).__name__
