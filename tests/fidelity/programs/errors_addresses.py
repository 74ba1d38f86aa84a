"""str/repr/equality of twisted.internet.error classes, addresses and DelayedCall."""

from twisted.internet import address, defer, error
from twisted.python import failure


def log(*a):
    print(*a)


for cls in (
    error.ConnectionDone,
    error.ConnectionLost,
    error.ConnectionRefusedError,
    error.TimeoutError,
    error.ConnectError,
    error.ConnectionAborted,
    error.UserError,
    error.DNSLookupError,
    error.AlreadyCalled,
    error.AlreadyCancelled,
    error.ReactorNotRunning,
    error.ReactorAlreadyRunning,
    error.ProcessDone,
    error.ProcessTerminated,
    error.CannotListenError,
    error.NotConnectingError,
    error.ProcessExitedAlready,
    defer.TimeoutError,
    defer.CancelledError,
    defer.AlreadyCalledError,
    defer.FirstError,
):
    try:
        if cls is error.ProcessDone:
            e = cls(0)
        elif cls is error.ProcessTerminated:
            e = cls(exitCode=2)
        elif cls is error.CannotListenError:
            e = cls("127.0.0.1", 80, OSError(98, "Address already in use"))
        elif cls is defer.FirstError:
            e = cls(failure.Failure(ValueError("v")), 3)
        else:
            e = cls()
        # FirstError's str embeds str(Failure): failure_format.py checks that
        text = "" if cls is defer.FirstError else str(e)
        log(cls.__name__, [b.__name__ for b in cls.__mro__[1:3]], "str:", text)
    except Exception as ex:
        log(cls.__name__, "construct error", type(ex).__name__)

log("ConnectionLost with args:", str(error.ConnectionLost("boom")))
log("ConnectError with string:", str(error.ConnectError(string="oops")))
log("ConnectError with osError:", str(error.ConnectError(111, "Connection refused")))
log("TimeoutError string:", str(error.TimeoutError(string="took too long")))
log("ProcessTerminated signal:", str(error.ProcessTerminated(signal=9)))

a = address.IPv4Address("TCP", "127.0.0.1", 80)
b = address.IPv4Address("TCP", "127.0.0.1", 80)
log(
    "IPv4Address",
    repr(a),
    str(a),
    a == b,
    hash(a) == hash(b),
    a != address.IPv4Address("UDP", "127.0.0.1", 80),
)
log("IPv6Address", repr(address.IPv6Address("TCP", "::1", 443)))
log("IPv6Address flow", repr(address.IPv6Address("TCP", "::1", 443, 0, 0)))
u = address.UNIXAddress(b"/tmp/sock")
log("UNIXAddress", repr(u), u == address.UNIXAddress(b"/tmp/sock"))
log("UNIXAddress None", repr(address.UNIXAddress(None)))
try:
    address.IPv4Address("SCTP", "127.0.0.1", 1)
except ValueError:
    log("IPv4Address bad type ValueError")
