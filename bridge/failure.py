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
import sys
import traceback
from collections.abc import Generator
from types import TracebackType
from typing import IO, Any, NoReturn

__all__ = ["DefaultException", "Failure", "NoCurrentExceptionError", "startDebugMode"]


class NoCurrentExceptionError(Exception):
    """Raised by ``Failure()`` when there is no exception being handled."""


class DefaultException(Exception):
    """Wrap a non-exception value given to :class:`Failure` (Twisted compatibility)."""


def _qual(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


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

    __slots__ = ("__weakref__", "_stack", "captureVars", "tb", "type", "value")

    value: BaseException
    type: builtins.type[BaseException]
    tb: TracebackType | None

    def __init__(
        self,
        exc_value: object = None,
        exc_type: builtins.type[BaseException] | None = None,
        exc_tb: TracebackType | None = None,
        captureVars: bool = False,
    ) -> None:
        self.captureVars = captureVars
        self._stack: traceback.StackSummary | None = None
        if exc_value is None:
            exc_type_, exc_value, exc_tb = sys.exc_info()
            if exc_value is None:
                raise NoCurrentExceptionError(
                    "Failure() needs an exception: call it inside an except block "
                    "or pass the exception, e.g. Failure(ValueError('bad'))"
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
        """Return the wrapped exception's message (``str(value)``), or its repr if empty."""
        return str(self.value) or repr(self.value)

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
        tail = f"{_qual(self.type)}: {self.value}\n"
        if not summary:
            tail = "Failure: " + tail
        return "".join([*head, *body, tail])

    def getBriefTraceback(self) -> str:
        """Return the exception and one ``file:line:function`` line per frame."""
        summary = self._summary()
        if not summary:
            return f"Traceback (failure with no frames): {self.type}: {self.value}\n"
        frames = "".join(f"{f.filename}:{f.lineno}:{f.name}\n" for f in summary)
        return f"Traceback: {self.type}: {self.value}\n{frames}"

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
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.type = state["type"]
        self.value = state["value"]
        self.captureVars = state["captureVars"]
        self.tb = None
        self._stack = traceback.StackSummary.from_list(state["stack"])


def startDebugMode() -> None:
    """Do nothing: Twisted's debug mode keeps more traceback detail, which bridge's
    :class:`Failure` always keeps (the traceback object until :meth:`Failure.cleanFailure`).
    """
