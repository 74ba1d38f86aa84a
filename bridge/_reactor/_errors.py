"""The one table translating OS and asyncio exceptions into Twisted's error classes.

Every networking module asks this one for the exception a Twisted user would catch: a
connection attempt that failed (:func:`connect_error`), a connection that ended
(:func:`lost_reason`) or a port that could not listen (:func:`cannot_listen`).
"""

from __future__ import annotations

import errno
import os
import socket
import ssl

from bridge import error

__all__ = ["cannot_listen", "connect_error", "lost_reason"]

# errno values that mean "the peer went away uncleanly" while connected.
_RESET_ERRNOS = frozenset(
    {errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED, errno.ETIMEDOUT, errno.ESHUTDOWN}
)

# errno values seen while connecting -> the ConnectError subclass Twisted reports.
_CONNECT_ERRNOS: dict[int, type[error.ConnectError]] = {
    errno.ECONNREFUSED: error.ConnectionRefusedError,
    errno.ETIMEDOUT: error.TCPTimedOutError,
    errno.ENETUNREACH: error.NoRouteError,
    errno.EHOSTUNREACH: error.NoRouteError,
}


def _ssl_text(exc: ssl.SSLError) -> str:
    verify = getattr(exc, "verify_message", None)
    return str(verify or exc.reason or exc)


def connect_error(exc: BaseException) -> Exception:
    """Return the Twisted exception reporting *exc*, raised while connecting.

    :param exc: what the resolver, ``bind``, ``connect`` or the TLS handshake raised.
    """
    if isinstance(exc, error.ConnectError | error.DNSLookupError):
        return exc
    # ssl.SSLError is an OSError: match it before the errno table.
    if isinstance(exc, ssl.SSLError):
        return error.SSLError(exc, _ssl_text(exc))
    if isinstance(exc, socket.gaierror):
        return error.DNSLookupError(str(exc))
    if isinstance(exc, OSError) and exc.errno:
        # Twisted reports (errno, os.strerror(errno)); asyncio's own text ("Connect call
        # failed ('127.0.0.1', 80)") would change str() and args.
        klass = _CONNECT_ERRNOS.get(exc.errno, error.ConnectError)
        return klass(exc.errno, os.strerror(exc.errno))
    if isinstance(exc, TimeoutError):  # asyncio.TimeoutError is TimeoutError on 3.11+
        return error.TimeoutError(string=str(exc) or "connection timed out")
    if isinstance(exc, OSError):
        return error.ConnectError(string=str(exc))
    return error.ConnectError(string=f"{type(exc).__name__}: {exc}")


def lost_reason(exc: BaseException | None) -> Exception:
    """Return the reason for ``connectionLost`` given asyncio's ``connection_lost(exc)``.

    ``None`` (asyncio's clean close) becomes :class:`~bridge.error.ConnectionDone`; a reset,
    broken pipe or any other error becomes :class:`~bridge.error.ConnectionLost`.
    """
    if exc is None:
        return error.ConnectionDone()
    if isinstance(exc, error.ConnectionClosed):
        return exc
    # A failed TLS handshake after startTLS: the ssl error is the reason, as Twisted reports
    # OpenSSL's error there (ssl.SSLError is an OSError: check it first).
    if isinstance(exc, ssl.SSLError):
        return exc
    if isinstance(exc, OSError) and exc.errno in _RESET_ERRNOS:
        return error.ConnectionLost()  # Twisted's exact reason: no text

    return error.ConnectionLost(f"{type(exc).__name__}: {exc}")


def cannot_listen(interface: str | bytes | None, port: object, exc: BaseException) -> Exception:
    """Return the :class:`~bridge.error.CannotListenError` for a failed ``bind``/``listen``."""
    return error.CannotListenError(interface, port, exc)
