"""Run a child process and get its output or exit code as a Deferred.

The counterpart of ``twisted.internet.utils``: :func:`getProcessOutput`,
:func:`getProcessValue` and :func:`getProcessOutputAndValue` spawn the child with
``reactor.spawnProcess`` (the default reactor unless one is passed) and fire their Deferred
once it has ended. :func:`runWithWarningsSuppressed` and :func:`suppressWarnings` are here too.

As in Twisted, the child's argv is ``(executable, *args)``, *env* defaults to an empty
environment (pass ``env=None`` to inherit this process's), and a child that cannot be started
(a missing executable) raises at once rather than failing the Deferred.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from bridge.defer import Deferred
from bridge.failure import Failure
from bridge.protocol import ProcessProtocol

__all__ = [
    "getProcessOutput",
    "getProcessOutputAndValue",
    "getProcessValue",
    "runWithWarningsSuppressed",
    "suppressWarnings",
]

R = TypeVar("R")

_NO_ENV: Mapping[Any, Any] = {}


class _UnexpectedErrorOutput(IOError):
    """The child wrote to its standard error where :func:`getProcessOutput` expected none.

    :ivar processEnded: a Deferred that fails with the child's end reason (``ProcessDone`` or
        ``ProcessTerminated``) once it has ended.
    """

    def __init__(self, text: bytes, processEnded: Deferred[Any]) -> None:
        IOError.__init__(self, f"got stderr: {text!r}")
        self.processEnded = processEnded


class _ProcessSignalled(Exception):
    """The child of :func:`getProcessOutputAndValue` was killed by a signal.

    It carries ``(out, err, signalNumber)`` as its ``args`` and unpacks like that tuple
    (Twisted errbacks with the bare tuple, which ``yield``/``await`` cannot raise).
    """

    def __init__(self, out: bytes, err: bytes, signal: int) -> None:
        Exception.__init__(self, out, err, signal)

    def __iter__(self) -> Any:
        return iter(self.args)

    def __getitem__(self, index: int) -> object:
        return self.args[index]

    def __len__(self) -> int:
        return len(self.args)

    def __str__(self) -> str:
        return f"process ended by signal {self.args[2]}"


def _spawn(
    protocol: ProcessProtocol,
    executable: bytes | str,
    args: Sequence[bytes | str],
    env: Mapping[Any, Any] | None,
    path: bytes | str | None,
    reactor: Any,
) -> None:
    if reactor is None:
        from bridge import _runtime

        reactor = _runtime.get_reactor()
    if isinstance(args, (str, bytes)):
        raise TypeError(
            f"args must be a sequence of arguments (without the executable), got {args!r}"
        )
    reactor.spawnProcess(protocol, executable, (executable, *args), env, path)


class _OutputCollector(ProcessProtocol):
    """Collect stdout (and stderr if *errortoo*); fail early on stderr otherwise."""

    def __init__(self, deferred: Deferred[bytes], errortoo: bool) -> None:
        self.deferred: Deferred[bytes] | None = deferred
        self.errortoo = errortoo
        self.chunks: list[bytes] = []
        self.on_process_ended: Deferred[Any] | None = None

    def outReceived(self, data: bytes) -> None:
        self.chunks.append(data)

    def errReceived(self, data: bytes) -> None:
        if self.errortoo:
            self.chunks.append(data)
            return
        deferred, self.deferred = self.deferred, None
        if deferred is None:
            return
        self.on_process_ended = Deferred()
        deferred.errback(Failure(_UnexpectedErrorOutput(data, self.on_process_ended)))
        self.transport.loseConnection()

    def processEnded(self, reason: Failure) -> None:
        if self.deferred is not None:
            self.deferred.callback(b"".join(self.chunks))
        elif self.on_process_ended is not None:
            self.on_process_ended.errback(reason)


def getProcessOutput(
    executable: bytes | str,
    args: Sequence[bytes | str] = (),
    env: Mapping[Any, Any] | None = _NO_ENV,
    path: bytes | str | None = None,
    reactor: Any = None,
    errortoo: bool = False,
) -> Deferred[bytes]:
    """Run *executable* and return a Deferred firing with everything it wrote to stdout.

    :param executable: the program to run (a full path is best); it is also ``argv[0]``.
    :param args: the arguments after ``argv[0]``.
    :param env: the child's whole environment; ``None`` inherits this process's.
    :param path: the child's working directory; ``None`` keeps the current one.
    :param reactor: the reactor to use; the default reactor if ``None``.
    :param errortoo: mix stderr into the result. If false, the first output on stderr fails
        the Deferred with an ``IOError`` whose ``processEnded`` attribute is a Deferred that
        fails with the child's end reason once it has ended; the child's pipes are closed.
    :returns: a Deferred firing with the output as bytes, whatever the exit code.
    """
    d: Deferred[bytes] = Deferred()
    _spawn(_OutputCollector(d, errortoo), executable, args, env, path, reactor)
    return d


class _ValueCollector(ProcessProtocol):
    def __init__(self, deferred: Deferred[int | None]) -> None:
        self.deferred = deferred

    def processEnded(self, reason: Failure) -> None:
        self.deferred.callback(getattr(reason.value, "exitCode", None))


def getProcessValue(
    executable: bytes | str,
    args: Sequence[bytes | str] = (),
    env: Mapping[Any, Any] | None = _NO_ENV,
    path: bytes | str | None = None,
    reactor: Any = None,
) -> Deferred[int | None]:
    """Run *executable* and return a Deferred firing with its exit code.

    The parameters are those of :func:`getProcessOutput`. The result is ``None`` when a
    signal ended the child.
    """
    d: Deferred[int | None] = Deferred()
    _spawn(_ValueCollector(d), executable, args, env, path, reactor)
    return d


class _EverythingCollector(ProcessProtocol):
    def __init__(
        self, deferred: Deferred[tuple[bytes, bytes, int]], stdinBytes: bytes | None
    ) -> None:
        self.deferred = deferred
        self.stdin_bytes = stdinBytes
        self.out: list[bytes] = []
        self.err: list[bytes] = []

    def connectionMade(self) -> None:
        if self.stdin_bytes is not None:
            self.transport.writeToChild(0, self.stdin_bytes)
            self.transport.closeStdin()

    def outReceived(self, data: bytes) -> None:
        self.out.append(data)

    def errReceived(self, data: bytes) -> None:
        self.err.append(data)

    def processEnded(self, reason: Failure) -> None:
        out, err = b"".join(self.out), b"".join(self.err)
        signal = getattr(reason.value, "signal", None)
        if signal:
            self.deferred.errback(Failure(_ProcessSignalled(out, err, signal)))
        else:
            self.deferred.callback((out, err, getattr(reason.value, "exitCode", 0)))


def getProcessOutputAndValue(
    executable: bytes | str,
    args: Sequence[bytes | str] = (),
    env: Mapping[Any, Any] | None = _NO_ENV,
    path: bytes | str | None = None,
    reactor: Any = None,
    stdinBytes: bytes | None = None,
) -> Deferred[tuple[bytes, bytes, int]]:
    """Run *executable*; return a Deferred firing with ``(stdout, stderr, exitCode)``.

    The parameters are those of :func:`getProcessOutput`, plus:

    :param stdinBytes: bytes to write to the child's stdin, which is then closed.
    :returns: a Deferred firing with the tuple; if a signal ended the child it fails with an
        exception whose ``args`` (and iteration) give ``(stdout, stderr, signalNumber)``.
    """
    d: Deferred[tuple[bytes, bytes, int]] = Deferred()
    _spawn(_EverythingCollector(d, stdinBytes), executable, args, env, path, reactor)
    return d


def _remove_filters(added: list[Any]) -> None:
    filters: list[Any] = warnings.filters  # type: ignore[assignment]  # a list at runtime
    for entry in added:
        with contextlib.suppress(ValueError):  # someone reset the filters meanwhile
            filters.remove(entry)
    # Invalidate the per-module "already warned" caches, as filterwarnings() itself does.
    mutated = getattr(warnings, "_filters_mutated", None)
    if mutated is not None:
        mutated()


def runWithWarningsSuppressed(
    suppressedWarnings: Iterable[tuple[Sequence[Any], Mapping[str, Any]]],
    f: Callable[..., R],
    *args: Any,
    **kwargs: Any,
) -> R:
    """Call ``f(*args, **kwargs)`` with the given warnings filters added.

    :param suppressedWarnings: ``(args, kwargs)`` pairs for ``warnings.filterwarnings``,
        e.g. ``[(("ignore",), {"category": DeprecationWarning})]``.
    :returns: what *f* returns. The added filters are removed when *f* returns or, if it
        returns a Deferred, when that fires (the filters are process-wide).
    """
    suppressed = list(suppressedWarnings)
    for filter_args, filter_kwargs in suppressed:
        warnings.filterwarnings(*filter_args, **filter_kwargs)
    added = list(warnings.filters[: len(suppressed)])
    try:
        result = f(*args, **kwargs)
    except BaseException:
        _remove_filters(added)
        raise
    if isinstance(result, Deferred):

        def restore(value: object) -> object:
            _remove_filters(added)
            return value

        result.addBoth(restore)
    else:
        _remove_filters(added)
    return result


def suppressWarnings(
    f: Callable[..., R], *suppressedWarnings: tuple[Sequence[Any], Mapping[str, Any]]
) -> Callable[..., R]:
    """Return *f* wrapped to run with *suppressedWarnings* in effect (see above)."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> R:
        return runWithWarningsSuppressed(suppressedWarnings, f, *args, **kwargs)

    return wrapper
