"""``listenUNIX`` and ``connectUNIX`` on asyncio's UNIX-socket transports.

The reactor's ``listenUNIX``/``connectUNIX`` delegate to :func:`listen_unix` and
:func:`connect_unix`. Like TCP (``tcp.py``), the listening socket is bound synchronously
(``CannotListenError`` at call time), ``chmod``-ed to *mode*, then served by
``loop.create_unix_server(sock=...)``; connecting goes through ``loop.sock_connect`` and
``loop.create_unix_connection(sock=...)``. ``wantPID``/``checkPID`` use a PID lock file
compatible with Twisted's (``_lockfile.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import stat
from typing import Any

from zope.interface import implementer

from bridge import error
from bridge._reactor._errors import cannot_listen
from bridge._reactor._lockfile import PIDLock, is_locked
from bridge._reactor._stream import StreamConnector, StreamPort, _Attempt, handed_over
from bridge._reactor._transport import StreamAdapter, UNIXTransport
from bridge.address import UNIXAddress
from bridge.interfaces import IConnector, IListeningPort

__all__ = ["Connector", "Port", "connect_unix", "listen_unix"]


def _in_filesystem(path: str) -> bool:
    return not path.startswith("\0")


@implementer(IListeningPort)
class Port(StreamPort):
    """A listening UNIX-domain stream socket, as returned by ``listenUNIX``.

    The socket file is removed when the port stops listening.
    """

    _transport_class = UNIXTransport

    def __init__(
        self,
        reactor: Any,
        address: str | bytes,
        factory: Any,
        backlog: int = 50,
        mode: int = 0o666,
        wantPID: int | bool = 0,
    ) -> None:
        super().__init__(reactor, factory, backlog)
        self.port = address
        self._path = os.fsdecode(address)
        self.mode = mode
        self.wantPID = wantPID
        self._lock: PIDLock | None = None

    def _create_socket(self) -> socket.socket:
        if self.wantPID:
            lock = PIDLock(self._path + ".lock")
            if not lock.lock():
                raise error.CannotListenError(None, self.port, "Cannot acquire lock")
            self._lock = lock
            if not lock.clean:
                # The previous owner died: its socket file is stale.
                with contextlib.suppress(OSError):
                    if stat.S_ISSOCK(os.stat(self._path).st_mode):
                        os.remove(self._path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(self._path)
            if _in_filesystem(self._path):
                os.chmod(self._path, self.mode)
            sock.listen(self.backlog)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            self._release_lock()
            raise cannot_listen(None, self.port, exc) from exc
        return sock

    def _release_lock(self) -> None:
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None

    def _cleanup(self) -> None:
        if _in_filesystem(self._path):
            with contextlib.suppress(OSError):
                os.unlink(self._path)
        self._release_lock()

    async def _serve(self, sock: socket.socket) -> None:
        # create_server refuses AF_UNIX sockets on some loops: use the UNIX variant.
        loop = self._reactor._loop
        try:
            server = await self._create_server(loop, sock)
        except Exception:
            if self._sock is sock:
                from bridge import log

                log.err(None, f"{self!r}: asyncio could not serve the listening socket")
            return
        if self._sock is not sock:
            server.close()
            return
        self._server = server

    async def _create_server(self, loop: Any, sock: socket.socket) -> Any:
        return await loop.create_unix_server(
            lambda: StreamAdapter(self), sock=sock, backlog=self.backlog
        )

    def getHost(self) -> UNIXAddress:
        """Return the :class:`UNIXAddress` of the socket file."""
        return UNIXAddress(self.port)

    def _address_text(self) -> str:
        return f"UNIX Port {self._path}"

    def _start_text(self) -> str:
        return repr(self._path)

    def __repr__(self) -> str:
        factory = type(self.factory).__name__
        if self.connected:
            return f"<{factory} on {self._path!r}>"
        return f"<{factory} (not listening)>"


class _AdoptedUNIXPort(Port):
    """A UNIX port around a listening socket handed over by file descriptor.

    The socket file belongs to whoever created it: it is not removed at stop.
    """

    def __init__(self, reactor: Any, sock: socket.socket, factory: Any) -> None:
        super().__init__(reactor, sock.getsockname(), factory)
        self._adopted = sock

    def _create_socket(self) -> socket.socket:
        return self._adopted

    def _cleanup(self) -> None:
        pass

    async def _create_server(self, loop: Any, sock: socket.socket) -> Any:
        factory = lambda: StreamAdapter(self)  # noqa: E731
        try:
            # Python 3.13+ (and recent uvloop) would remove the file at close otherwise.
            return await loop.create_unix_server(
                factory, sock=sock, backlog=self.backlog, cleanup_socket=False
            )
        except TypeError:
            return await loop.create_unix_server(factory, sock=sock, backlog=self.backlog)


@implementer(IConnector)
class Connector(StreamConnector):
    """A UNIX-socket connector, as returned by ``connectUNIX``."""

    _transport_class = UNIXTransport

    def __init__(
        self,
        reactor: Any,
        address: str | bytes,
        factory: Any,
        timeout: float | None = 30,
        checkPID: int | bool = 0,
    ) -> None:
        super().__init__(reactor, factory, timeout)
        self.address = address
        self._path = os.fsdecode(address)
        self.checkPID = checkPID

    def getDestination(self) -> UNIXAddress:
        """Return the :class:`UNIXAddress` being connected to."""
        return UNIXAddress(self.address)

    async def _open(self, attempt: _Attempt) -> None:
        if self.checkPID and not is_locked(self._path + ".lock"):
            raise error.BadFileError(self._path, "Process isn't running")
        loop: asyncio.AbstractEventLoop = self._reactor._loop
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            await loop.sock_connect(sock, self._path)
        except BaseException:
            sock.close()
            raise
        try:
            await loop.create_unix_connection(lambda: StreamAdapter(attempt), sock=sock)
        finally:
            handed_over(loop, sock)


def listen_unix(
    reactor: Any,
    address: str | bytes,
    factory: Any,
    backlog: int = 50,
    mode: int = 0o666,
    wantPID: int | bool = 0,
) -> Port:
    """Listen on the UNIX socket *address*; see ``IReactorUNIX.listenUNIX``.

    :raises CannotListenError: if the path can't be bound or the PID lock is held.
    """
    p = Port(reactor, address, factory, backlog, mode, wantPID)
    p.startListening()
    return p


def connect_unix(
    reactor: Any,
    address: str | bytes,
    factory: Any,
    timeout: float | None = 30,
    checkPID: int | bool = 0,
) -> Connector:
    """Connect to the UNIX socket *address*; see ``IReactorUNIX.connectUNIX``."""
    c = Connector(reactor, address, factory, timeout, checkPID)
    c.connect()
    return c
