"""Failure: an exception together with its traceback, Twisted style.

A :class:`Failure` is what travels down a Deferred's errback chain. It wraps an exception
instance, remembers its traceback (the ``tb`` attribute until :meth:`Failure.cleanFailure`
drops it, then a lightweight :class:`traceback.StackSummary`), and offers Twisted's helpers
(``check``, ``trap``, ``getErrorMessage``, ``getTraceback``, ``raiseException``).

Formatting is delegated to the stdlib :mod:`traceback` module, so chained exceptions
(``__cause__``/``__context__``) and exception groups print the way Python prints them.
Nothing is extracted from the traceback until somebody asks, which keeps creating a
Failure cheap on the errback hot path.
"""

from __future__ import annotations

import builtins
import linecache
import sys
import traceback
from collections.abc import Callable, Generator, Iterable
from types import TracebackType
from typing import IO, Any, NoReturn, TypeVar

__all__ = [
    "DO_POST_MORTEM",
    "EXCEPTION_CAUGHT_HERE",
    "DefaultException",
    "Failure",
    "NoCurrentExceptionError",
    "count",
    "format_frames",
    "startDebugMode",
    "traceupLength",
]

#: How many Failures were made so far; each Failure's ``count`` is its number.
count = 0
#: Twisted's module constants, kept for programs that read them (bridge does not use them).
traceupLength = 4  # noqa: N816 (Twisted's name)
EXCEPTION_CAUGHT_HERE = "--- <exception caught here> ---"
DO_POST_MORTEM = True


_E = TypeVar("_E", bound=BaseException)


def _hinted(error: _E, hint: str) -> _E:
    """Return *error* (args exactly Twisted's) with bridge's explanation as a note.

    Notes (Python 3.11+) show in tracebacks but not in ``str(error)``, so programs that print
    the exception see what Twisted's would say.
    """
    if hasattr(error, "add_note"):
        error.add_note(hint)
    return error


class NoCurrentExceptionError(Exception):
    """Raised by ``Failure()`` when there is no exception being handled."""


class DefaultException(Exception):
    """Wrap a non-exception value given to :class:`Failure` (Twisted compatibility)."""


def _qual(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _safe_str(obj: object) -> str:
    # Twisted's reflect.safe_str: bytes decoded as UTF-8 when they can be; a failing
    # __str__ gives "<Class instance at 0x... with str error:\n <its traceback>>".
    if isinstance(obj, bytes):
        try:
            return obj.decode("utf-8")
        except UnicodeDecodeError:
            pass
    try:
        return str(obj)
    except Exception:
        error = traceback.format_exc()
        return f"<{type(obj).__name__} instance at 0x{id(obj):x} with str error:\n {error}>"


class Failure:
    """Wrap an exception and its traceback so it can travel down an errback chain.

    ``Failure()`` inside an ``except`` block captures the exception being handled;
    ``Failure(exc)`` wraps *exc* (using ``exc.__traceback__`` when it has been raised).

    :param exc_value: the exception (or exception class) to wrap; ``None`` means the
        exception currently being handled.
    :param exc_type: the exception type, when *exc_value* is given separately.
    :param exc_tb: the traceback; defaults to ``exc_value.__traceback__``.
    :param captureVars: accepted for Twisted compatibility; local variables are not
        captured.
    :raises NoCurrentExceptionError: with no arguments outside an ``except`` block.
    """

    __slots__ = (
        "__weakref__",
        "_stack",
        "captureVars",
        "count",
        "pickled",
        "tb",
        "type",
        "value",
    )

    value: BaseException
    type: builtins.type[BaseException]
    tb: TracebackType | None
    #: This Failure's number (the module's ``count`` when it was made).
    count: int
    #: 1 when this Failure was unpickled (it then has no traceback object), else 0.
    pickled: int

    def __init__(
        self,
        exc_value: object = None,
        exc_type: builtins.type[BaseException] | None = None,
        exc_tb: TracebackType | None = None,
        captureVars: bool = False,
    ) -> None:
        global count
        count += 1
        self.count = count
        self.pickled = 0
        self.captureVars = captureVars
        self._stack: traceback.StackSummary | None = None
        if isinstance(exc_value, Failure):
            # Twisted copies another Failure's exception and traceback (a new count).
            self.type, self.value, self.tb = exc_value.type, exc_value.value, exc_value.tb
            self._stack = exc_value._stack
            return
        if exc_value is None:
            exc_type_, exc_value, exc_tb = sys.exc_info()
            if exc_value is None:
                raise _hinted(
                    NoCurrentExceptionError(),
                    "Failure() needs an exception: call it inside an except block "
                    "or pass the exception, e.g. Failure(ValueError('bad'))",
                )
            self.type = exc_type_  # type: ignore[assignment]
        elif isinstance(exc_value, BaseException):
            self.type = exc_type if exc_type is not None else type(exc_value)
        elif isinstance(exc_value, type) and issubclass(exc_value, BaseException):
            exc_value = exc_value()
            self.type = type(exc_value)
        else:
            exc_value = DefaultException(exc_value)
            self.type = DefaultException
        assert isinstance(exc_value, BaseException)
        self.value = exc_value
        self.tb = exc_tb if exc_tb is not None else exc_value.__traceback__

    # -- inspection -------------------------------------------------------------------

    def check(
        self, *errorTypes: builtins.type[BaseException] | str
    ) -> builtins.type[BaseException] | str | None:
        """Return the first of *errorTypes* the wrapped exception is an instance of.

        :param errorTypes: exception classes, or their fully qualified names as strings.
        :returns: the matching entry, or ``None``.
        """
        for error in errorTypes:
            if isinstance(error, str):
                if any(_qual(base) == error for base in self.type.__mro__):
                    return error
            elif issubclass(self.type, error):
                return error
        return None

    def trap(
        self, *errorTypes: builtins.type[BaseException] | str
    ) -> builtins.type[BaseException] | str:
        """Return the matching entry of *errorTypes*, or re-raise the wrapped exception.

        Use it first thing in an errback to let unexpected errors continue down the chain.
        """
        match = self.check(*errorTypes)
        if match is None:
            self.raiseException()
        return match

    def getErrorMessage(self) -> str:
        """Return the wrapped exception's message: ``str(value)``, as Twisted's ``safe_str``.

        An exception with no arguments gives ``""``. If ``str()`` itself raises, the text
        names the class and shows that error's traceback instead of raising.
        """
        return _safe_str(self.value)

    def getTracebackObject(self) -> TracebackType | None:
        """Return the traceback object, or ``None`` once :meth:`cleanFailure` ran."""
        return self.tb

    @property
    def frames(self) -> list[tuple[str, str, int, list[Any], list[Any]]]:
        """Return Twisted-style frame tuples ``(funcName, fileName, lineNumber, [], [])``."""
        return [(f.name, f.filename, f.lineno or 0, [], []) for f in self._summary()]

    @property
    def stack(self) -> list[tuple[str, str, int, list[Any], list[Any]]]:
        """Return the frames above the catching frame (always empty: not recorded)."""
        return []

    @property
    def parents(self) -> list[str]:
        """Return the qualified names of the exception's classes, most derived first."""
        return [_qual(c) for c in self.type.__mro__]

    def _summary(self) -> traceback.StackSummary:
        if self._stack is None:
            if self.tb is None:
                return traceback.StackSummary()
            self._stack = traceback.StackSummary.extract(
                traceback.walk_tb(self.tb), lookup_lines=False
            )
        return self._stack

    # -- raising ----------------------------------------------------------------------

    def raiseException(self) -> NoReturn:
        """Raise the wrapped exception with its original traceback."""
        raise self.value.with_traceback(self.tb)

    def throwExceptionIntoGenerator(self, g: Generator[Any, Any, Any]) -> Any:
        """Throw the wrapped exception into generator *g* and return what it yields next."""
        return g.throw(self.value.with_traceback(self.tb))

    def cleanFailure(self) -> None:
        """Drop the traceback object (keeping a summary) so frames can be collected."""
        if self.tb is not None:
            self._summary()
            self.tb = None

    # -- formatting -------------------------------------------------------------------

    def getTraceback(self, elideFrameworkCode: int = 0, detail: str = "default") -> str:
        """Return the formatted traceback, in Twisted's layout.

        The frames print as Python prints them and the last line names the exception
        class fully (``builtins.ValueError: bad``). Chained exceptions (``__cause__``,
        ``__context__``) are printed first, as Python does; an exception group prints
        its whole tree.

        :param detail: ``"brief"`` gives :meth:`getBriefTraceback`; other values give the
            full traceback.
        """
        if detail == "brief":
            return self.getBriefTraceback()
        group = getattr(builtins, "BaseExceptionGroup", None)
        if group is not None and isinstance(self.value, group):
            return "".join(traceback.format_exception(self.type, self.value, self.tb))
        # Chained exceptions keep their own tracebacks; the stdlib formats that part.
        lines = traceback.format_exception(self.type, self.value, None)
        head = lines[: len(lines) - len(traceback.format_exception_only(self.type, self.value))]
        summary = self._summary()
        body = ["Traceback (most recent call last):\n", *summary.format()]
        tail = f"{_qual(self.type)}: {_safe_str(self.value)}\n"
        if not summary:
            tail = "Failure: " + tail
        return "".join([*head, *body, tail])

    def getBriefTraceback(self) -> str:
        """Return the exception and one ``file:line:function`` line per frame."""
        summary = self._summary()
        if not summary:
            return f"Traceback (failure with no frames): {self.type}: {_safe_str(self.value)}\n"
        frames = "".join(f"{f.filename}:{f.lineno}:{f.name}\n" for f in summary)
        return f"Traceback: {self.type}: {_safe_str(self.value)}\n{frames}"

    def printTraceback(
        self, file: IO[str] | None = None, elideFrameworkCode: int = 0, detail: str = "default"
    ) -> None:
        """Write :meth:`getTraceback` to *file* (default ``sys.stderr``)."""
        (file if file is not None else sys.stderr).write(self.getTraceback(detail=detail))

    def printBriefTraceback(self, file: IO[str] | None = None, elideFrameworkCode: int = 0) -> None:
        """Write :meth:`getBriefTraceback` to *file* (default ``sys.stderr``)."""
        self.printTraceback(file, detail="brief")

    def printDetailedTraceback(
        self, file: IO[str] | None = None, elideFrameworkCode: int = 0
    ) -> None:
        """Write the full traceback to *file* (local variables are not recorded)."""
        self.printTraceback(file)

    def __repr__(self) -> str:
        return f"<bridge.failure.Failure {_qual(self.type)}: {self.getErrorMessage()}>"

    def __str__(self) -> str:
        return f"[Failure instance: {self.getBriefTraceback()}]"

    # -- pickling ---------------------------------------------------------------------

    def __getstate__(self) -> dict[str, object]:
        summary = self._summary()
        return {
            "type": self.type,
            "value": self.value,
            "stack": [(f.filename, f.lineno, f.name, f.line) for f in summary],
            "captureVars": self.captureVars,
            "count": self.count,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.type = state["type"]
        self.value = state["value"]
        self.captureVars = state["captureVars"]
        self.count = state.get("count", 0)
        self.pickled = 1
        self.tb = None
        self._stack = traceback.StackSummary.from_list(state["stack"])


def startDebugMode() -> None:
    """Do nothing: Twisted's debug mode keeps more traceback detail, which bridge's
    :class:`Failure` always keeps (the traceback object until :meth:`Failure.cleanFailure`).
    """


_Frame = tuple[str, str, int, Iterable[tuple[str, object]], Iterable[tuple[str, object]]]
_DETAILS = ("default", "brief", "verbose", "verbose-vars-not-captured")


def format_frames(
    frames: Iterable[_Frame], write: Callable[[str], object], detail: str = "default"
) -> None:
    """Write Twisted-style frame tuples (:attr:`Failure.frames`) with *write*.

    :param frames: ``(funcName, fileName, lineNumber, locals, globals)`` tuples.
    :param write: called with each piece of text.
    :param detail: ``"default"`` (``File "...", line N, in f`` and the source line),
        ``"brief"`` (``file:line:function``), ``"verbose"`` (also the locals and globals
        given in each tuple) or ``"verbose-vars-not-captured"``.
    :raises ValueError: for another *detail*.
    """
    if detail not in _DETAILS:
        raise ValueError(f"format_frames(detail={detail!r}): detail must be one of {_DETAILS}")
    for name, filename, lineno, local_vars, global_vars in frames:
        if detail == "brief":
            write(f"{filename}:{lineno}:{name}\n")
        elif detail == "default":
            write(f'  File "{filename}", line {lineno}, in {name}\n')
            write(f"    {linecache.getline(filename, lineno).strip()}\n")
        else:
            write(f"{filename}:{lineno}: {name}(...)\n")
            if detail == "verbose":
                write(" [ Locals ]\n")
                for var, value in local_vars:
                    write(f"  {var} : {value!r}\n")
                write(" ( Globals )\n")
                for var, value in global_vars:
                    write(f"  {var} : {value!r}\n")
    if detail == "verbose-vars-not-captured":
        write(" [Capture of Locals and Globals disabled (use captureVars=True)]\n")
