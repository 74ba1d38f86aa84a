"""bridge.error against twisted.internet.error: names, bases, messages."""

from __future__ import annotations

import errno
import inspect
import pickle
import socket

import pytest

from bridge import error

terror = pytest.importorskip("twisted.internet.error")

ERROR_NAMES = [
    name
    for name in error.__all__
    if not name.startswith("CONNECTION_")
    and inspect.isclass(getattr(error, name, None))
    and issubclass(getattr(error, name), BaseException)
]


def test_every_twisted_error_class_exists() -> None:
    twisted_names = {
        name
        for name, obj in vars(terror).items()
        if inspect.isclass(obj) and issubclass(obj, BaseException) and not name.startswith("_")
    }
    assert twisted_names <= set(ERROR_NAMES)


@pytest.mark.parametrize("name", ERROR_NAMES)
def test_bases_match_twisted(name: str) -> None:
    ours = getattr(error, name)
    theirs = getattr(terror, name)
    assert [b.__name__ for b in ours.__bases__] == [b.__name__ for b in theirs.__bases__]
    assert ours.__doc__


SIMPLE_ARGS: list[tuple[object, ...]] = [(), ("a",), ("a", "b"), (3,)]


@pytest.mark.parametrize("name", ERROR_NAMES)
@pytest.mark.parametrize("args", SIMPLE_ARGS)
def test_message_matches_twisted(name: str, args: tuple[object, ...]) -> None:
    theirs_cls = getattr(terror, name)
    try:
        theirs = theirs_cls(*args)
    except TypeError:
        with pytest.raises(TypeError):
            getattr(error, name)(*args)
        return
    ours = getattr(error, name)(*args)
    assert ours.args == theirs.args
    try:
        expected = str(theirs)
    except TypeError:
        # Twisted's str() fails on non-text arguments; ours formats them with str().
        assert str(ours)
        return
    assert str(ours) == expected


#: Twisted's MESSAGE is the class docstring there; bridge keeps its text, stripped
#: (docs/porting.md, "Errors, addresses, framing and test helpers").
DOCSTRING_MESSAGES = {"ConnectionLost", "ProcessTerminated"}


@pytest.mark.parametrize("name", ERROR_NAMES)
def test_message_attribute_and_mro_match_twisted(name: str) -> None:
    ours, theirs = getattr(error, name), getattr(terror, name)
    assert [c.__name__ for c in ours.__mro__] == [c.__name__ for c in theirs.__mro__]
    assert hasattr(ours, "MESSAGE") == hasattr(theirs, "MESSAGE")
    if not hasattr(theirs, "MESSAGE"):
        return
    expected = theirs.MESSAGE
    if name in DOCSTRING_MESSAGES:
        expected = expected.strip().splitlines()[0]
    assert expected == ours.MESSAGE


@pytest.mark.parametrize("name", ERROR_NAMES)
@pytest.mark.parametrize("args", [(), ("a",), ("a", "b")])
def test_subclass_message_drives_str_as_in_twisted(name: str, args: tuple[object, ...]) -> None:
    theirs_cls = getattr(terror, name)
    if "MESSAGE" not in vars(theirs_cls) or name in ("ProcessDone", "CannotListenError"):
        return  # ProcessDone/CannotListenError build their own arguments
    message = "\n  custom text\n  more  \n"
    theirs = type("Sub", (theirs_cls,), {"MESSAGE": message})(*args)
    ours = type("Sub", (getattr(error, name),), {"MESSAGE": message})(*args)
    assert str(ours) == str(theirs)


@pytest.mark.parametrize(
    ("exit_code", "signal", "status"),
    [(None, None, None), (1, None, 256), (None, 9, 9), (2, 15, 0)],
)
def test_process_terminated(exit_code: int | None, signal: int | None, status: int | None) -> None:
    ours = error.ProcessTerminated(exit_code, signal, status)
    theirs = terror.ProcessTerminated(exit_code, signal, status)
    assert str(ours) == str(theirs)
    assert (ours.exitCode, ours.signal, ours.status) == (exit_code, signal, status)
    assert isinstance(ours, error.ConnectionLost)


def test_process_done() -> None:
    ours = error.ProcessDone(0)
    assert str(ours) == str(terror.ProcessDone(0))
    assert (ours.exitCode, ours.signal, ours.status) == (0, None, 0)
    assert isinstance(ours, error.ConnectionDone)


@pytest.mark.parametrize("interface", ["127.0.0.1", "", "::1"])
def test_cannot_listen_error(interface: str) -> None:
    exc = OSError(errno.EADDRINUSE, "Address already in use")
    ours = error.CannotListenError(interface, 8080, exc)
    assert str(ours) == str(terror.CannotListenError(interface, 8080, exc))
    assert (ours.interface, ours.port, ours.socketError) == (interface, 8080, exc)
    assert isinstance(ours, error.BindError)


def test_connect_error_keywords() -> None:
    ours = error.ConnectionRefusedError(string="nope")
    assert str(ours) == "Connection was refused by other side: nope."
    assert ours.osError is None
    assert str(error.TimeoutError(osError=1, string="x")) == str(terror.TimeoutError(1, "x"))


@pytest.mark.parametrize(
    "exc",
    [
        OSError(errno.ECONNREFUSED, "Connection refused"),
        OSError(errno.ETIMEDOUT, "timed out"),
        OSError(errno.ENETUNREACH, "unreachable"),
        OSError(errno.EPERM, "perm"),
        socket.gaierror(-2, "Name or service not known"),
        (errno.ECONNREFUSED, "refused"),
        "just text",
        OSError("one arg"),
    ],
)
def test_get_connect_error(exc: object) -> None:
    ours = error.getConnectError(exc)
    theirs = terror.getConnectError(exc)
    assert type(ours).__name__ == type(theirs).__name__
    assert str(ours) == str(theirs)


def test_errno_mapping() -> None:
    assert {k: v.__name__ for k, v in error.errnoMapping.items()} == {
        k: v.__name__ for k, v in terror.errnoMapping.items()
    }


@pytest.mark.parametrize(
    "exc",
    [
        error.ConnectionRefusedError(111, "refused"),
        error.CannotListenError("", 80, "denied"),
        error.ProcessTerminated(1, None, 256),
        error.ProcessDone(0),
        error.ConnectionLost("x"),
        error.ConnectingCancelledError("addr"),
        error.InvalidAddressError("addr", "bad"),
    ],
)
def test_pickle_round_trip(exc: BaseException) -> None:
    copy = pickle.loads(pickle.dumps(exc))
    assert type(copy) is type(exc)
    assert str(copy) == str(exc)


def test_catchable_as_python_builtins() -> None:
    with pytest.raises(RuntimeError):
        raise error.ReactorNotRunning("stop() on a stopped reactor")
    with pytest.raises(AssertionError):
        raise error.ReactorAlreadyInstalledError("reactor already installed")
    with pytest.raises(ValueError):
        raise error.AlreadyCalled()
    with pytest.raises(OSError):
        raise error.DNSLookupError("example.invalid")


def test_connection_failures_are_shared_failures() -> None:
    pytest.importorskip("bridge.failure")
    done = error.CONNECTION_DONE
    lost = error.CONNECTION_LOST
    assert done.check(error.ConnectionDone)
    assert lost.check(error.ConnectionLost)
    assert not done.check(error.ConnectionLost)
    assert error.CONNECTION_DONE is done
    assert error.CONNECTION_LOST is lost


def test_unknown_attribute_raises() -> None:
    with pytest.raises(AttributeError, match="no attribute 'NOPE'"):
        error.NOPE  # type: ignore[attr-defined]  # noqa: B018


def test_public_surface() -> None:
    import bridge.error as module

    assert sorted(module.__all__) == [
        "AlreadyCalled",
        "AlreadyCancelled",
        "AlreadyListened",
        "BadFileError",
        "BindError",
        "CONNECTION_DONE",
        "CONNECTION_LOST",
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
    for name in module.__all__:
        assert getattr(module, name).__doc__, name
