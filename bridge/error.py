"""Exceptions raised by the reactor, transports and connections.

This module mirrors ``twisted.internet.error``: the same class names, the same base classes
and the same ``str()`` of each exception, so code written against Twisted catches and reports
them unchanged. It also provides :data:`CONNECTION_DONE` and :data:`CONNECTION_LOST`, the two
ready-made :class:`bridge.failure.Failure` objects that ``doRead``/``doWrite`` may return.

The module sits at the bottom of bridge's layering and imports nothing from bridge at import
time; the two Failure constants are built on first access by a module ``__getattr__``.
"""

from __future__ import annotations

import errno
import socket
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bridge.failure import Failure

__all__ = [
    "CONNECTION_DONE",
    "CONNECTION_LOST",
    "AlreadyCalled",
    "AlreadyCancelled",
    "AlreadyListened",
    "BadFileError",
    "BindError",
    "CannotListenError",
    "CertificateError",
    "ConnectBindError",
    "ConnectError",
    "ConnectInProgressError",
    "ConnectingCancelledError",
    "ConnectionAborted",
    "ConnectionClosed",
    "ConnectionDone",
    "ConnectionFdescWentAway",
    "ConnectionLost",
    "ConnectionRefusedError",
    "DNSLookupError",
    "FileDescriptorOverrun",
    "InvalidAddressError",
    "MessageLengthError",
    "MulticastJoinError",
    "NoProtocol",
    "NoRouteError",
    "NotConnectingError",
    "NotListeningError",
    "PeerVerifyError",
    "ProcessDone",
    "ProcessExitedAlready",
    "ProcessTerminated",
    "ReactorAlreadyInstalledError",
    "ReactorAlreadyRunning",
    "ReactorNotRestartable",
    "ReactorNotRunning",
    "SSLError",
    "ServiceNameUnknownError",
    "TCPTimedOutError",
    "TimeoutError",
    "UnknownHostError",
    "UnsupportedAddressFamily",
    "UnsupportedSocketType",
    "UserError",
    "VerifyError",
    "errnoMapping",
    "getConnectError",
]


def _summary_message(summary: str, args: tuple[object, ...]) -> str:
    """Format ``"<summary>: <args joined by spaces>."`` as Twisted's simple errors do."""
    if args:
        summary = "{}: {}".format(summary, " ".join(str(arg) for arg in args))
    return summary + "."


def _first_line(message: str) -> str:
    """Return the first non-blank line of *message*, stripped (the ConnectionLost family's)."""
    for line in message.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _message_str(self: Exception) -> str:
    """``str()`` of the simple errors: the class's ``MESSAGE``, the arguments, a full stop.

    ``MESSAGE`` is looked up on the instance, so a subclass that only sets ``MESSAGE``
    changes ``str()``, as with Twisted's errors. (A function shared as ``__str__`` rather
    than a mixin, so that each class keeps Twisted's exact MRO.)
    """
    return _summary_message(getattr(self, "MESSAGE", ""), self.args)


def _first_line_str(self: Exception) -> str:
    """``str()`` of the ConnectionLost family: only the first non-blank line of ``MESSAGE``."""
    return _summary_message(_first_line(getattr(self, "MESSAGE", "")), self.args)


# -- binding and listening ---------------------------------------------------------------------


class BindError(Exception):
    """An error occurred binding to an interface."""

    MESSAGE = "An error occurred binding to an interface"
    __str__ = _message_str


class CannotListenError(BindError):
    """Raise when a port cannot start listening on its address.

    :ivar interface: the interface the port tried to listen on (``""`` means all).
    :ivar port: the port number.
    :ivar socketError: the underlying exception (usually an :class:`OSError`).
    """

    def __init__(self, interface: str | bytes | None, port: object, socketError: object) -> None:
        BindError.__init__(self, interface, port, socketError)
        self.interface = interface
        self.port = port
        self.socketError = socketError

    def __str__(self) -> str:
        interface = self.interface or "any"
        return f"Couldn't listen on {interface!s}:{self.port}: {self.socketError}."

    def __reduce__(self) -> tuple[object, ...]:
        return (self.__class__, (self.interface, self.port, self.socketError))


class MulticastJoinError(Exception):
    """An attempt to join a multicast group failed."""


class MessageLengthError(Exception):
    """Message is too long to send."""

    MESSAGE = "Message is too long to send"
    __str__ = _message_str


class DNSLookupError(OSError):
    """DNS lookup failed."""

    MESSAGE = "DNS lookup failed"
    __str__ = _message_str


# -- connecting ---------------------------------------------------------------------------------


class ConnectError(Exception):
    """An error occurred while connecting.

    :param osError: the operating-system level error (an errno, an :class:`OSError` or text).
    :param string: extra text for the message.
    :ivar osError: as given.
    """

    MESSAGE = "An error occurred while connecting"

    def __init__(self, osError: object = None, string: object = "") -> None:
        self.osError = osError
        Exception.__init__(self, string)

    def __str__(self) -> str:
        message = self.MESSAGE
        if self.osError:
            message = f"{message}: {self.osError}"
        if self.args[0]:
            message = f"{message}: {self.args[0]}"
        return message + "."

    def __reduce__(self) -> tuple[object, ...]:
        return (self.__class__, (self.osError, self.args[0]))


class ConnectBindError(ConnectError):
    """Couldn't bind."""

    MESSAGE = "Couldn't bind"


class UnknownHostError(ConnectError):
    """Hostname couldn't be looked up."""

    MESSAGE = "Hostname couldn't be looked up"


class NoRouteError(ConnectError):
    """No route to host."""

    MESSAGE = "No route to host"


class ConnectionRefusedError(ConnectError):
    """Connection was refused by other side."""

    MESSAGE = "Connection was refused by other side"


class TCPTimedOutError(ConnectError):
    """TCP connection timed out."""

    MESSAGE = "TCP connection timed out"


class BadFileError(ConnectError):
    """File used for UNIX socket is no good."""

    MESSAGE = "File used for UNIX socket is no good"


class ServiceNameUnknownError(ConnectError):
    """Service name given as port is unknown."""

    MESSAGE = "Service name given as port is unknown"


class UserError(ConnectError):
    """User aborted connection."""

    MESSAGE = "User aborted connection"


class TimeoutError(UserError):  # Twisted's name; shadows the builtin on purpose
    """User timeout caused connection failure."""

    MESSAGE = "User timeout caused connection failure"


class SSLError(ConnectError):
    """An SSL error occurred."""

    MESSAGE = "An SSL error occurred"


errnoMapping: dict[int, type[ConnectError]] = {  # noqa: N816 - Twisted's name
    errno.ENETUNREACH: NoRouteError,
    errno.ECONNREFUSED: ConnectionRefusedError,
    errno.ETIMEDOUT: TCPTimedOutError,
}
"""Map an ``errno`` value to the :class:`ConnectError` subclass that reports it."""


def getConnectError(e: object) -> ConnectError:
    """Return the :class:`ConnectError` subclass instance that best describes *e*.

    :param e: an :class:`OSError` (or any exception whose ``args`` are ``(errno, text)``), or
        such an ``(errno, text)`` tuple. A :class:`socket.gaierror` maps to
        :class:`UnknownHostError`; anything else that isn't an errno pair becomes a plain
        :class:`ConnectError` carrying *e* as its text.
    """
    args = e.args if isinstance(e, BaseException) else e
    number: object
    string: object
    try:
        number, string = args  # type: ignore[misc]
    except (TypeError, ValueError):
        return ConnectError(string=e)
    if isinstance(e, socket.gaierror):
        return UnknownHostError(number, string)
    klass = errnoMapping.get(number, ConnectError) if isinstance(number, int) else ConnectError
    return klass(number, string)


class ConnectInProgressError(Exception):
    """A connect operation was started and isn't done yet."""


class ConnectingCancelledError(Exception):
    """Raise when an endpoint's connection attempt is cancelled before it completes.

    :ivar address: the :class:`~bridge.interfaces.IAddress` that was being connected to.
    """

    def __init__(self, address: object) -> None:
        Exception.__init__(self, address)
        self.address = address


class NoProtocol(Exception):
    """Raise when a factory passed to an endpoint builds ``None`` instead of a protocol."""


# -- connections closing ------------------------------------------------------------------------


class ConnectionClosed(Exception):
    """Connection was closed, whether cleanly or non-cleanly."""


class ConnectionLost(ConnectionClosed):
    """Connection to the other side was lost in a non-clean fashion."""

    MESSAGE = "Connection to the other side was lost in a non-clean fashion"
    __str__ = _first_line_str


class ConnectionAborted(ConnectionLost):
    """Connection was aborted locally, using ``ITCPTransport.abortConnection``."""

    MESSAGE = "Connection was aborted locally using ITCPTransport.abortConnection"


class ConnectionDone(ConnectionClosed):
    """Connection was closed cleanly."""

    MESSAGE = "Connection was closed cleanly"
    __str__ = _message_str


class FileDescriptorOverrun(ConnectionLost):
    """Raise when misuse of ``IUNIXTransport.sendFileDescriptor`` closed the connection."""

    MESSAGE = "A mis-use of IUNIXTransport.sendFileDescriptor caused the connection to be closed."


class ConnectionFdescWentAway(ConnectionLost):
    """Uh (the file descriptor of a connection went away)."""

    MESSAGE = "Uh"


class AlreadyListened(Exception):
    """Raise when a file descriptor that can only be listened on once is listened on again."""


# -- processes ----------------------------------------------------------------------------------


class ProcessDone(ConnectionDone):
    """A process has ended without apparent errors.

    :ivar exitCode: always ``0``.
    :ivar signal: always ``None``.
    :ivar status: the raw wait status.
    """

    def __init__(self, status: object) -> None:
        ConnectionDone.__init__(self, "process finished with exit code 0")
        self.exitCode = 0
        self.signal: int | None = None
        self.status = status

    MESSAGE = "A process has ended without apparent errors"

    def __reduce__(self) -> tuple[object, ...]:
        return (self.__class__, (self.status,))


class ProcessTerminated(ConnectionLost):
    """A process has ended with a probable error condition.

    :ivar exitCode: the exit code, or ``None`` if a signal ended the process.
    :ivar signal: the signal number that ended the process, or ``None``.
    :ivar status: the raw wait status.
    """

    def __init__(
        self, exitCode: int | None = None, signal: int | None = None, status: int | None = None
    ) -> None:
        self.exitCode = exitCode
        self.signal = signal
        self.status = status
        message = "process ended"
        if exitCode is not None:
            message += f" with exit code {exitCode}"
        if signal is not None:
            message += f" by signal {signal}"
        ConnectionLost.__init__(self, message)

    MESSAGE = "A process has ended with a probable error condition"

    def __reduce__(self) -> tuple[object, ...]:
        return (self.__class__, (self.exitCode, self.signal, self.status))


class ProcessExitedAlready(Exception):
    """Raise when an operation needs a process that has already exited."""


# -- scheduling and the reactor -----------------------------------------------------------------


class NotConnectingError(RuntimeError):
    """The Connector was not connecting when it was asked to stop connecting."""

    MESSAGE = "The Connector was not connecting when it was asked to stop connecting"
    __str__ = _message_str


class NotListeningError(RuntimeError):
    """The Port was not listening when it was asked to stop listening."""

    MESSAGE = "The Port was not listening when it was asked to stop listening"
    __str__ = _message_str


class AlreadyCalled(ValueError):
    """Tried to cancel an already-called event."""

    MESSAGE = "Tried to cancel an already-called event"
    __str__ = _message_str


class AlreadyCancelled(ValueError):
    """Tried to cancel an already-cancelled event."""

    MESSAGE = "Tried to cancel an already-cancelled event"
    __str__ = _message_str


class ReactorNotRunning(RuntimeError):
    """Raise when stopping a reactor that is not running."""


class ReactorNotRestartable(RuntimeError):
    """Raise when running a reactor that was stopped."""


class ReactorAlreadyRunning(RuntimeError):
    """Raise when starting a reactor that is already running."""


class ReactorAlreadyInstalledError(AssertionError):
    """Raise when installing a reactor while one is already installed."""


# -- addresses, sockets, certificates -----------------------------------------------------------


class InvalidAddressError(ValueError):
    """Raise when an address is invalid (neither IPv4 nor IPv6, or not of the expected kind).

    :ivar address: the bad address.
    :ivar message: why it is bad.
    """

    def __init__(self, address: object, message: str) -> None:
        ValueError.__init__(self, address, message)
        self.address = address
        self.message = message


class UnsupportedAddressFamily(Exception):
    """Raise when a socket's address family is not supported by the operation."""


class UnsupportedSocketType(Exception):
    """Raise when a socket's type is not supported by the operation."""


class CertificateError(Exception):
    """Raise when no certificate was found where one was expected."""

    MESSAGE = "We did not find a certificate where we expected to find one."


class VerifyError(Exception):
    """Raise when something that was supposed to be signed could not be verified."""

    MESSAGE = "Could not verify something that was supposed to be signed."


class PeerVerifyError(VerifyError):
    """Raise when the peer rejected our verification."""

    MESSAGE = "The peer rejected our verify error."


# -- ready-made failures ------------------------------------------------------------------------

CONNECTION_DONE: Failure
"""A :class:`~bridge.failure.Failure` of :class:`ConnectionDone`: the connection closed cleanly."""

CONNECTION_LOST: Failure
"""A :class:`~bridge.failure.Failure` of :class:`ConnectionLost`: the connection was lost."""

_failures: dict[str, Failure] = {}

if not TYPE_CHECKING:
    # Hidden from type checkers so that a typo'd attribute stays an error for mypy.

    def __getattr__(name: str) -> Failure:
        # CONNECTION_DONE/CONNECTION_LOST are Failures, and bridge.failure sits above this
        # module: build them on first access instead of importing upward at import time.
        if name in ("CONNECTION_DONE", "CONNECTION_LOST"):
            failure = _failures.get(name)
            if failure is None:
                from bridge.failure import Failure

                exc = ConnectionDone() if name == "CONNECTION_DONE" else ConnectionLost()
                failure = _failures[name] = Failure(exc)
            return failure
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
