"""Twisted's ``trial.unittest`` test cases, on the stdlib :mod:`unittest`, for pytest.

:class:`SynchronousTestCase` and :class:`TestCase` are :class:`unittest.TestCase`
subclasses, so pytest (or ``python -m unittest``) collects and runs them without trial. They
add what Twisted test suites rely on: Twisted's assertion names and return values,
``successResultOf``/``failureResultOf``/``assertNoResult`` for synchronous Deferred checks,
``flushLoggedErrors`` (an error logged through :func:`bridge.log.err`, including an unhandled
failure of a garbage-collected Deferred, fails the test unless flushed), ``flushWarnings``,
``patch`` and ``mktemp``, and the ``skip``/``todo`` attributes.

:class:`TestCase` also runs Deferreds: ``setUp``, the test method, ``tearDown`` and cleanups
may return a Deferred or be coroutines (or ``inlineCallbacks`` generators); the default
reactor's asyncio loop runs until each has fired, within ``timeout`` seconds (120 by
default). After each test the reactor must be clean: pending delayed calls and registered
readers or writers fail the test (and are removed, so the next test starts clean).
"""

from __future__ import annotations

import asyncio
import atexit
import gc
import inspect
import itertools
import os
import shutil
import sys
import tempfile
import unittest
import warnings
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from bridge import log
from bridge.defer import Deferred, ensureDeferred
from bridge.defer import TimeoutError as _DeferredTimeoutError
from bridge.failure import Failure

if TYPE_CHECKING:
    from bridge._reactor import AsyncioReactor

__all__ = [
    "DEFAULT_TIMEOUT_DURATION",
    "DirtyReactorAggregateError",
    "FailTest",
    "PyUnitResultAdapter",
    "SkipTest",
    "SynchronousTestCase",
    "TestCase",
    "TestDecorator",
    "TestSuite",
    "Todo",
    "decorate",
    "makeTodo",
]

T = TypeVar("T")

#: Seconds a :class:`TestCase` waits for a Deferred before failing the test (Twisted's value).
DEFAULT_TIMEOUT_DURATION = 120.0

#: Raise it (or call ``self.skipTest``) to skip a test; the stdlib's class.
SkipTest = unittest.SkipTest


class FailTest(AssertionError):
    """The exception a failed assertion raises (``failureException``)."""


class DirtyReactorAggregateError(Exception):
    """A test left delayed calls or file descriptors behind in the reactor."""


class Todo:
    """A ``todo`` marker: the test is expected to fail (optionally with given exception types).

    :param reason: why the test is expected to fail.
    :param errors: the exception types that count as the expected failure (any, if None).
    """

    def __init__(self, reason: str, errors: tuple[type[BaseException], ...] | None = None) -> None:
        self.reason = reason
        self.errors = errors

    def expected(self, failure: Failure) -> bool:
        """Return True when *failure* is the failure this todo expects."""
        return self.errors is None or failure.check(*self.errors) is not None

    def __repr__(self) -> str:
        return f"<Todo reason={self.reason!r} errors={self.errors!r}>"


def makeTodo(value: object) -> Todo:
    """Turn a ``todo`` attribute (a reason, or ``(errors, reason)``) into a :class:`Todo`."""
    if isinstance(value, Todo):
        return value
    if isinstance(value, str):
        return Todo(value)
    if isinstance(value, tuple) and len(value) == 2:
        errors, reason = value
        if isinstance(errors, type):
            errors = (errors,)
        return Todo(str(reason), tuple(errors))
    raise TypeError(f"todo must be a reason string or an (errors, reason) tuple, got {value!r}")


# ---------------------------------------------------------------------------------------------
# helpers


class _Patch:
    """One ``patch()``: ``restore()`` puts the original attribute back (idempotent)."""

    _MISSING = object()

    def __init__(self, obj: object, attribute: str, value: object) -> None:
        self._obj = obj
        self._attribute = attribute
        self._original = getattr(obj, attribute, self._MISSING)
        self._active = True
        setattr(obj, attribute, value)

    def restore(self) -> None:
        """Undo the patch."""
        if not self._active:
            return
        self._active = False
        if self._original is self._MISSING:
            delattr(self._obj, self._attribute)
        else:
            setattr(self._obj, self._attribute, self._original)


_temp_root: str | None = None
_temp_counter = itertools.count()


def _temp_base() -> str:
    global _temp_root
    if _temp_root is None:
        _temp_root = tempfile.mkdtemp(prefix="_trial_temp-")
        atexit.register(shutil.rmtree, _temp_root, True)
    return _temp_root


def _current_result(d: Deferred[Any]) -> tuple[bool, object]:
    """Return ``(has_result, result)`` for *d* without consuming a failure."""
    box: list[object] = []

    def grab(result: object) -> object:
        box.append(result)
        return result

    d.addBoth(grab)
    return (True, box[0]) if box else (False, None)


def _consume(d: Deferred[Any]) -> tuple[bool, object]:
    """Return ``(has_result, result)`` for *d*, taking the result out of its chain (as
    Twisted's ``successResultOf`` does with ``addBoth(list.append)``): a failure read this way
    is never reported as unhandled, even when the assertion fails."""
    box: list[object] = []
    d.addBoth(box.append)
    return (True, box[0]) if box else (False, None)


def _acquire(sources: list[object], name: str, default: object = None) -> object:
    for source in sources:
        value = getattr(source, name, None)
        if value is not None:
            return value
    return default


# ---------------------------------------------------------------------------------------------
# assertions (Twisted's names and return values on top of unittest's)


class _Assertions(unittest.TestCase):
    """Twisted's assertion methods; every one also exists under its ``failUnless``/``failIf``
    and plural-``Equals`` aliases, as in Twisted."""

    failureException = FailTest

    def fail(self, msg: object = None) -> NoReturn:
        """Fail the test with *msg*."""
        raise self.failureException(msg)

    def assertTrue(self, condition: object, msg: object = None) -> Any:
        """Fail unless *condition* is true; return it."""
        if not condition:
            raise self.failureException(msg or f"{condition!r} is not true")
        return condition

    def assertFalse(self, condition: object, msg: object = None) -> Any:
        """Fail if *condition* is true; return it."""
        if condition:
            raise self.failureException(msg or f"{condition!r} is not false")
        return condition

    def assertEqual(self, first: T, second: object, msg: object = None) -> T:
        """Fail unless ``first == second``; return *first*."""
        super().assertEqual(first, second, msg)
        return first

    def assertNotEqual(self, first: T, second: object, msg: object = None) -> T:
        """Fail if ``first == second``; return *first*."""
        if not first != second:
            raise self.failureException(msg or f"{first!r} == {second!r}")
        return first

    def assertIdentical(self, first: T, second: object, msg: object = None) -> T:
        """Fail unless *first* is *second*; return *first*."""
        if first is not second:
            raise self.failureException(msg or f"{first!r} is not {second!r}")
        return first

    def assertNotIdentical(self, first: T, second: object, msg: object = None) -> T:
        """Fail if *first* is *second*; return *first*."""
        if first is second:
            raise self.failureException(msg or f"{first!r} is {second!r}")
        return first

    def assertIn(self, containee: T, container: Any, msg: object = None) -> T:
        """Fail unless *containee* is in *container*; return *containee*."""
        if containee not in container:
            raise self.failureException(msg or f"{containee!r} not in {container!r}")
        return containee

    def assertNotIn(self, containee: T, container: Any, msg: object = None) -> T:
        """Fail if *containee* is in *container*; return *containee*."""
        if containee in container:
            raise self.failureException(msg or f"{containee!r} in {container!r}")
        return containee

    def assertAlmostEqual(  # type: ignore[override]
        self, first: T, second: object, places: int = 7, msg: object = None, delta: Any = None
    ) -> T:
        """Fail unless *first* and *second* agree to *places* decimals; return *first*.

        :param delta: when given, fail unless they differ by at most *delta* instead
            (unittest's meaning; Twisted accepts and ignores it).
        """
        if delta is not None:
            if abs(first - second) > delta:  # type: ignore[operator]
                raise self.failureException(msg or f"{first!r} != {second!r} within {delta!r}")
        elif round(second - first, places) != 0:  # type: ignore[operator]
            raise self.failureException(msg or f"{first!r} != {second!r} within {places!r} places")
        return first

    def assertNotAlmostEqual(  # type: ignore[override]
        self, first: T, second: object, places: int = 7, msg: object = None, delta: Any = None
    ) -> T:
        """Fail if *first* and *second* agree to *places* decimals; return *first*.

        :param delta: when given, fail if they differ by at most *delta* instead.
        """
        if delta is not None:
            if abs(first - second) <= delta:  # type: ignore[operator]
                raise self.failureException(msg or f"{first!r} == {second!r} within {delta!r}")
        elif round(second - first, places) == 0:  # type: ignore[operator]
            raise self.failureException(msg or f"{first!r} == {second!r} within {places!r} places")
        return first

    def assertApproximates(
        self, first: Any, second: Any, tolerance: Any, msg: object = None
    ) -> Any:
        """Fail unless ``abs(first - second) <= tolerance``; return *first*."""
        if abs(first - second) > tolerance:
            raise self.failureException(msg or f"{first} ~== {second}")
        return first

    def assertSubstring(self, substring: T, astring: Any, msg: object = None) -> T:
        """Fail unless *substring* occurs in *astring*; return *substring*."""
        if astring.find(substring) == -1:
            raise self.failureException(msg or f"{substring!r} not in {astring!r}")
        return substring

    def assertNotSubstring(self, substring: T, astring: Any, msg: object = None) -> T:
        """Fail if *substring* occurs in *astring*; return *substring*."""
        if astring.find(substring) != -1:
            raise self.failureException(msg or f"{substring!r} in {astring!r}")
        return substring

    def assertIsInstance(self, instance: object, classOrTuple: Any, message: object = None) -> None:
        """Fail unless ``isinstance(instance, classOrTuple)``."""
        if not isinstance(instance, classOrTuple):
            raise self.failureException(
                message or f"{instance!r} is not an instance of {classOrTuple}"
            )

    def assertNotIsInstance(
        self, instance: object, classOrTuple: Any, message: object = None
    ) -> None:
        """Fail if ``isinstance(instance, classOrTuple)``."""
        if isinstance(instance, classOrTuple):
            raise self.failureException(message or f"{instance!r} is an instance of {classOrTuple}")

    def assertRaises(  # type: ignore[override]
        self,
        exception: type[BaseException] | tuple[type[BaseException], ...],
        f: Callable[..., object] | None = None,
        *args: object,
        **kwargs: object,
    ) -> Any:
        """Call ``f(*args, **kwargs)``; fail unless it raises *exception*; return the exception.

        Without *f*, return a context manager (as unittest's ``assertRaises`` does).
        """
        if f is None:
            return super().assertRaises(exception)
        try:
            result = f(*args, **kwargs)
        except exception as exc:
            return exc
        except BaseException as exc:
            raise self.failureException(
                f"{_names(exception)} raised instead of {type(exc).__name__}:\n"
                f" {Failure(exc).getTraceback()}"
            ) from exc
        raise self.failureException(f"{_names(exception)} not raised ({result!r} returned)")

    def assertWarns(self, category: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Twisted's ``assertWarns(category, message, filename, f, *args, **kwargs)``.

        Call *f* and fail unless it emits exactly one warning of *category* with *message*
        attributed to *filename*; return *f*'s result. Other call forms are unittest's
        ``assertWarns``.
        """
        if len(args) < 3 or not isinstance(args[0], str) or not callable(args[2]):
            return super().assertWarns(category, *args, **kwargs)
        message, filename, f, *rest = args
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = f(*rest, **kwargs)
        if not caught:
            raise self.failureException("No warnings emitted")
        first = caught[0]
        for other in caught[1:]:
            if (str(other.message), other.category) != (str(first.message), first.category):
                raise self.failureException("Can't handle different warnings")
        self.assertEqual(str(first.message), message)
        self.assertIdentical(first.category, category)
        self.assertTrue(_same_file(first.filename, filename), f"{first.filename!r} != {filename!r}")
        return result

    # Twisted's aliases (unittest dropped most of them in Python 3.12).
    failUnless = assert_ = assertTrue  # type: ignore[assignment]
    failIf = assertNot = failUnlessFalse = assertFalse  # type: ignore[assignment]
    failUnlessTrue = assertTrue
    failUnlessEqual = failUnlessEquals = assertEquals = assertEqual
    failIfEqual = failIfEquals = assertNotEquals = assertNotEqual
    failUnlessIdentical = assertIs = assertIdentical  # type: ignore[assignment]
    failIfIdentical = assertIsNot = assertNotIdentical  # type: ignore[assignment]
    failUnlessIn = assertIn
    failIfIn = assertNotIn
    failUnlessAlmostEqual = assertAlmostEquals = failUnlessAlmostEquals = assertAlmostEqual  # type: ignore[assignment]
    failIfAlmostEqual = assertNotAlmostEquals = failIfAlmostEquals = assertNotAlmostEqual  # type: ignore[assignment]
    failUnlessApproximates = assertApproximates
    failUnlessSubstring = assertSubstring
    failIfSubstring = assertNotSubstring
    failUnlessIsInstance = assertIsInstance
    failIfIsInstance = assertNotIsInstance
    failUnlessRaises = assertRaises  # type: ignore[assignment]
    failUnlessWarns = assertWarns


def _names(exception: type[BaseException] | tuple[type[BaseException], ...]) -> str:
    if isinstance(exception, tuple):
        return " or ".join(e.__name__ for e in exception)
    return exception.__name__


def _same_file(a: str, b: str) -> bool:
    def norm(path: str) -> str:
        if path.endswith((".pyc", ".pyo")):
            path = path[:-1]
        return os.path.normcase(os.path.abspath(path))

    return norm(a) == norm(b)


# ---------------------------------------------------------------------------------------------
# SynchronousTestCase


class SynchronousTestCase(_Assertions):
    """A test case for code that needs no running reactor (Twisted's ``SynchronousTestCase``).

    Class, method or module attributes ``skip = "reason"`` skip a test and
    ``todo = "reason"`` (or ``(ExceptionTypes, "reason")``) mark it as expected to fail.
    """

    skip: str | None = None
    todo: object = None

    def __init__(self, methodName: str = "runTest") -> None:
        super().__init__(methodName)
        if not hasattr(self, "runTest"):
            # Twisted's no-op runTest, the test of a case made without a method name. Set on
            # the instance: on the class, pytest would collect it as a test of every test
            # case class without tests (Twisted's own is special-cased by pytest).
            self.runTest = _run_nothing
        self._logged_errors: list[Failure] = []
        self._caught_warnings: list[warnings.WarningMessage] = []
        self._flushed_warnings: set[int] = set()

    # -- attribute lookups ----------------------------------------------------------------------

    def _attribute_sources(self) -> list[object]:
        method = getattr(self, self._testMethodName, None)
        module = sys.modules.get(type(self).__module__)
        return [method, self, module]

    def getSkip(self) -> str | None:
        """Return the skip reason for this test (method, class or module ``skip``), if any."""
        reason = _acquire(self._attribute_sources(), "skip")
        return None if reason is None else str(reason)

    def getTodo(self) -> Todo | None:
        """Return this test's :class:`Todo` (method, class or module ``todo``), if any."""
        value = _acquire(self._attribute_sources(), "todo")
        return None if value is None else makeTodo(value)

    # -- running ----------------------------------------------------------------------------------

    def run(self, result: unittest.result.TestResult | None = None) -> Any:
        """Run the test, collecting logged errors and warnings while it runs."""
        todo = self.getTodo()
        if todo is not None and self.getSkip() is None:
            self.__unittest_expecting_failure__ = True
        self._logged_errors = []
        self._flushed_warnings = set()
        # Deferreds leaked by earlier tests report their unhandled failures when collected:
        # collect them now, so those reports are not blamed on this test.
        gc.collect()
        log.add_observer(self._observe_error)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                self._caught_warnings = caught
                outcome = super().run(result)
        finally:
            log.remove_observer(self._observe_error)
        self._reemit_warnings(result)
        return outcome

    def _observe_error(self, failure: Failure, why: str | None) -> None:
        self._logged_errors.append(failure)

    def _reemit_warnings(self, result: unittest.result.TestResult | None) -> None:
        for index, w in enumerate(self._caught_warnings):
            if index in self._flushed_warnings:
                continue
            try:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            except Warning:  # a warnings filter set to "error": report it against the test
                if result is not None:
                    result.addError(self, sys.exc_info())

    def _callSetUp(self) -> None:
        reason = self.getSkip()
        if reason is not None:
            raise SkipTest(reason)
        # Registered first, so it runs after every other cleanup.
        self.addCleanup(self._check_logged_errors)
        setup: Callable[[], object] = self.setUp
        self._wait(setup())

    def _callTestMethod(self, method: Callable[[], object]) -> None:
        try:
            self._wait(method(), what=f"test method {self._testMethodName}")
        except BaseException as exc:
            todo = self.getTodo()
            outcome = getattr(self, "_outcome", None)
            if todo is not None and outcome is not None and not todo.expected(Failure(exc)):
                # todo = ((ValueError,), "why"): only those errors are the expected failure.
                outcome.expecting_failure = False
            raise

    def _callTearDown(self) -> None:
        teardown: Callable[[], object] = self.tearDown
        self._wait(teardown())

    def _callCleanup(self, function: Callable[..., object], /, *args: Any, **kwargs: Any) -> None:
        self._wait(function(*args, **kwargs))

    def _wait(self, result: object, what: str = "setUp/tearDown/cleanup") -> None:
        """Deal with what a test method returned: a synchronous test must not return work."""
        if inspect.iscoroutine(result) or inspect.isgenerator(result):
            if inspect.iscoroutine(result):
                result.close()
            raise TypeError(
                f"{what} of {self.id()} returned {type(result).__name__} "
                f"{getattr(result, '__qualname__', '')}: a SynchronousTestCase runs no "
                "reactor; use bridge.trial.TestCase for asynchronous tests"
            )
        if isinstance(result, Deferred):
            fired, value = _current_result(result)
            if not fired:
                raise TypeError(
                    f"{what} of {self.id()} returned an unfired {result!r}: a "
                    "SynchronousTestCase runs no reactor; use bridge.trial.TestCase"
                )
            if isinstance(value, Failure):
                result.addErrback(lambda _: None)
                value.raiseException()

    def _check_logged_errors(self) -> None:
        gc.collect()  # unhandled failures of collected Deferreds are reported on collection
        errors, self._logged_errors = self._logged_errors, []
        if errors:
            tracebacks = "\n".join(f.getTraceback() for f in errors)
            raise FailTest(
                f"{len(errors)} error(s) logged during {self.id()} (a test expecting them "
                f"calls self.flushLoggedErrors(...)):\n{tracebacks}"
            )

    # -- Twisted's helpers --------------------------------------------------------------------

    def flushLoggedErrors(self, *errorTypes: type[BaseException]) -> list[Failure]:
        """Return (and forget) the errors logged so far, or those of *errorTypes*.

        Errors logged during a test and not flushed fail that test.
        """
        gc.collect()
        if not errorTypes:
            flushed, self._logged_errors = self._logged_errors, []
            return flushed
        flushed = [f for f in self._logged_errors if f.check(*errorTypes)]
        self._logged_errors = [f for f in self._logged_errors if not f.check(*errorTypes)]
        return flushed

    def flushWarnings(
        self, offendingFunctions: list[Callable[..., object]] | None = None
    ) -> list[dict[str, Any]]:
        """Return (and forget) the warnings emitted so far, as dicts like Twisted's.

        :param offendingFunctions: only warnings attributed to a line of one of these
            functions.
        """
        flushed = []
        for index, w in enumerate(self._caught_warnings):
            if index in self._flushed_warnings:
                continue
            if offendingFunctions is not None and not any(
                _warning_in(w, function) for function in offendingFunctions
            ):
                continue
            self._flushed_warnings.add(index)
            flushed.append(
                {
                    "message": str(w.message),
                    "category": w.category,
                    "filename": w.filename,
                    "lineno": w.lineno,
                }
            )
        return flushed

    def patch(self, obj: object, attribute: str, value: object) -> _Patch:
        """Set ``obj.attribute = value`` until the end of the test; return the patch.

        The returned object's ``restore()`` undoes it earlier.
        """
        patch = _Patch(obj, attribute, value)
        self.addCleanup(patch.restore)
        return patch

    def getSuppress(self) -> list[object]:
        """Return this test's ``suppress`` attribute (method, class or module), or ``[]``.

        .. note:: bridge does not act on ``suppress``; see ``docs/porting.md``.
        """
        value: Any = _acquire(self._attribute_sources(), "suppress", [])
        return list(value)

    def callDeprecated(
        self, version: object, f: Callable[..., T], *args: object, **kwargs: object
    ) -> T:
        """Call ``f(*args, **kwargs)``, fail unless it warns that *f* is deprecated; return
        its result.

        :param version: the version *f* was deprecated in (an ``incremental.Version``), or
            a ``(version, replacement)`` pair; the first warning must read like Twisted's
            ``"module.f was deprecated in Twisted 22.1.0; please use x instead"``.
        """
        with warnings.catch_warnings(record=True) as shown:
            warnings.simplefilter("always")
            result = f(*args, **kwargs)
        try:
            since, replacement = version  # type: ignore[misc]
        except (TypeError, ValueError):
            since, replacement = version, None
        if not shown:
            self.fail(f"{f!r} is not deprecated.")
        expected = f"{_qualified_name(f)} was deprecated in {_version_string(since)}"
        if replacement:
            use = _qualified_name(replacement) if callable(replacement) else replacement
            expected += f"; please use {use} instead"
        self.assertEqual(expected, str(shown[0].message))
        return result

    def getDeprecatedModuleAttribute(
        self, moduleName: str, name: str, version: object, message: str | None = None
    ) -> Any:
        """Return ``moduleName.name``, failing unless reading it warns that it is deprecated.

        The first warning must start ``"moduleName.name was deprecated in <version>"`` (then
        ``": message"`` when *message* is given).
        """
        fqpn = f"{moduleName}.{name}"
        with warnings.catch_warnings(record=True) as shown:
            warnings.simplefilter("always")
            attr = getattr(sys.modules[moduleName], name)
        if not shown:
            self.fail(f"{fqpn} is not deprecated.")
        observed = str(shown[0].message)
        expected = f"{fqpn} was deprecated in {_version_string(version)}"
        if message is not None:
            expected += f": {message}"
        self.assertTrue(
            observed.startswith(expected), f"Expected {observed!r} to start with {expected!r}"
        )
        return attr

    def mktemp(self) -> str:
        """Return a new unique path for this test; its parent folder exists, it does not."""
        parts = self.id().split(".")[-3:]
        parent = os.path.join(_temp_base(), *parts, f"temp{next(_temp_counter)}")
        os.makedirs(parent, exist_ok=True)
        return os.path.join(parent, "temp")

    def successResultOf(self, deferred: Deferred[T] | Coroutine[Any, Any, T]) -> T:
        """Return the result *deferred* (or a coroutine) has already succeeded with; fail
        otherwise. The result is taken out of the Deferred's chain."""
        d = ensureDeferred(deferred)
        fired, result = _consume(d)
        if not fired:
            self.fail(f"Success result expected on {d!r}, found no result instead")
        if isinstance(result, Failure):
            self.fail(
                f"Success result expected on {d!r}, found failure result instead:\n"
                f"{result.getTraceback()}"
            )
        return result  # type: ignore[return-value]

    def failureResultOf(
        self,
        deferred: Deferred[Any] | Coroutine[Any, Any, Any],
        *expectedExceptionTypes: type[BaseException],
    ) -> Failure:
        """Return the Failure *deferred* has already failed with (of one of the types given).

        The result is taken out of the Deferred's chain, so the failure is not reported as
        unhandled afterwards, whether or not the assertion passes.
        """
        d = ensureDeferred(deferred)
        fired, result = _consume(d)
        if not fired:
            self.fail(f"Failure result expected on {d!r}, found no result instead")
        if not isinstance(result, Failure):
            self.fail(
                f"Failure result expected on {d!r}, found success result ({result!r}) instead"
            )
        if expectedExceptionTypes and not result.check(*expectedExceptionTypes):
            expected = " or ".join(
                f"{t.__module__}.{t.__qualname__}" for t in expectedExceptionTypes
            )
            self.fail(
                f"Failure of type ({expected}) expected on {d!r}, found type "
                f"{result.type!r} instead: {result.getTraceback()}"
            )
        return result

    def assertNoResult(self, deferred: Deferred[Any]) -> None:
        """Fail if *deferred* has a result already."""
        fired, result = _current_result(deferred)
        if fired:
            if isinstance(result, Failure):
                deferred.addErrback(lambda _: None)  # reported here, not again when collected
            self.fail(f"No result expected on {deferred!r}, found {result!r} instead")


def _run_nothing() -> None:
    """Do nothing: the test run when a test case is made without a method name."""


def _qualified_name(obj: object) -> str:
    module = getattr(obj, "__module__", None)
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", repr(obj))
    return f"{module}.{name}" if module else str(name)


def _version_string(version: object) -> str:
    # Twisted's getVersionString: "Twisted 22.1.0" for incremental.Version("Twisted", 22, 1, 0).
    package = getattr(version, "package", None)
    short = getattr(version, "short", None)
    if package is None or short is None:
        return str(version)
    return f"{package} {short()}"


def _warning_in(w: warnings.WarningMessage, function: Callable[..., object]) -> bool:
    code = getattr(inspect.unwrap(function), "__code__", None)
    if code is None or not _same_file(w.filename, code.co_filename):
        return False
    lines = [line for _, _, line in code.co_lines() if line is not None]
    return bool(lines) and min([*lines, code.co_firstlineno]) <= w.lineno <= max(lines)


# ---------------------------------------------------------------------------------------------
# TestCase


class TestCase(SynchronousTestCase):
    """A test case whose methods may return Deferreds or be coroutines (Twisted's ``TestCase``).

    ``setUp``, the test, ``tearDown`` and cleanups may each return a Deferred, or be
    ``async def`` or ``@inlineCallbacks``; the default reactor's loop runs until it fires,
    at most ``timeout`` seconds (method or class attribute; :data:`DEFAULT_TIMEOUT_DURATION`
    otherwise). After the test, delayed calls still pending and readers/writers still
    registered fail it with :class:`DirtyReactorAggregateError`.

    .. note:: The reactor's loop runs only while a test waits for something, as a guest of
       that loop; it is never ``reactor.run()`` for the test.
    """

    timeout: float | None = None

    def getTimeout(self) -> float:
        """Return the timeout of this test in seconds."""
        value = _acquire(self._attribute_sources(), "timeout", DEFAULT_TIMEOUT_DURATION)
        return float(value)  # type: ignore[arg-type]

    def assertFailure(
        self, deferred: Deferred[T], *expectedFailures: type[BaseException]
    ) -> Deferred[Any]:
        """Return a Deferred that succeeds with the exception if *deferred* fails with one of
        *expectedFailures*, and fails with :class:`FailTest` otherwise."""

        def succeeded(result: object) -> NoReturn:
            raise self.failureException(f"did not catch an error, instead got {result!r}")

        def failed(failure: Failure) -> BaseException:
            if failure.check(*expectedFailures):
                return failure.value
            raise self.failureException(f"\nExpected: {expectedFailures!r}\nGot:\n{failure}")

        return deferred.addCallbacks(succeeded, failed)

    failUnlessFailure = assertFailure

    def _callSetUp(self) -> None:
        reason = self.getSkip()
        if reason is not None:
            raise SkipTest(reason)
        self.addCleanup(self._check_logged_errors)
        self.addCleanup(self._check_reactor_clean)
        setup: Callable[[], object] = self.setUp
        self._wait(setup())

    def _reactor(self) -> AsyncioReactor:
        from bridge import _runtime

        reactor = _runtime.get_reactor()
        if reactor._loop.is_closed():
            # Somebody closed the default reactor's loop (a fixture, reactor.run()): start over.
            _runtime.uninstall()
            reactor = _runtime.get_reactor()
        return reactor

    def _wait(self, result: object, what: str = "setUp/tearDown/cleanup") -> None:
        if inspect.isgenerator(result):
            result.close()
            raise TypeError(
                f"{what} of {self.id()} is a generator: decorate it with @inlineCallbacks"
            )
        if inspect.iscoroutine(result):
            result = ensureDeferred(result)
        if not isinstance(result, Deferred):
            return
        fired, value = _current_result(result)
        if not fired:
            value = self._run_until_fired(result, what)
        if isinstance(value, Failure):
            result.addErrback(lambda _: None)
            value.raiseException()

    def _run_until_fired(self, d: Deferred[Any], what: str) -> object:
        reactor = self._reactor()
        loop = reactor._loop
        if loop.is_running():
            d.cancel()
            d.addErrback(lambda _: None)
            raise RuntimeError(
                f"{self.id()}: cannot wait for a Deferred while the reactor's loop is running "
                "already (bridge.trial tests are synchronous; don't run them inside an asyncio "
                "test or reactor.run())"
            )
        done: asyncio.Future[object] = loop.create_future()

        def settle(outcome: object) -> None:
            if not done.done():
                done.set_result(outcome)

        d.addBoth(settle)
        timeout = self.getTimeout()
        try:
            return loop.run_until_complete(asyncio.wait_for(done, timeout))
        except asyncio.TimeoutError:
            d.cancel()
            raise _DeferredTimeoutError(
                f"{self.id()}: {what} still running at {timeout} secs"
            ) from None

    def _check_reactor_clean(self) -> None:
        from bridge import _runtime

        if not _runtime.is_installed():
            return
        reactor = _runtime.get_reactor()
        loop = reactor._loop
        if not loop.is_closed() and not loop.is_running():
            # Let callbacks already scheduled (a transport finishing its close) run first.
            for _ in range(2):
                loop.run_until_complete(asyncio.sleep(0))
        problems = []
        pending = [call for call in reactor.getDelayedCalls() if call.active()]
        if pending:
            problems.append("DelayedCalls:\n" + "\n".join(f"  {c!r}" for c in pending))
        for call in pending:
            call.cancel()
        selectables = reactor.removeAll()
        if selectables:
            problems.append("Selectables:\n" + "\n".join(f"  {s!r}" for s in selectables))
        network = _close_network_objects(reactor)
        if network:
            problems.append(
                "Open ports and connections:\n" + "\n".join(f"  {n!r}" for n in network)
            )
        if problems:
            raise DirtyReactorAggregateError(
                f"Reactor was unclean after {self.id()} (the test must cancel its delayed "
                "calls and close what it opened, or wait until they finish):\n"
                + "\n".join(problems)
            )


def _close_network_objects(reactor: AsyncioReactor) -> list[object]:
    """Return the ports, connection attempts and connections *reactor* still has open, after
    closing them at once (what the reactor's shutdown would do)."""
    try:
        from bridge._reactor._registry import _registries
    except ImportError:  # pragma: no cover - networking not available
        return []
    registry = _registries.get(reactor)
    if registry is None:
        return []
    leftovers: list[object] = [*registry.ports, *registry.connectors, *registry.transports]
    if leftovers:
        registry.disconnect_all()
        loop = reactor._loop
        if not loop.is_closed() and not loop.is_running():
            for _ in range(3):  # let the transports finish closing
                loop.run_until_complete(asyncio.sleep(0))
    return leftovers


# ---------------------------------------------------------------------------------------------
# suites and decorators (Twisted's names, on the stdlib's suite)


class TestSuite(unittest.TestSuite):
    """A suite whose :meth:`run` simply runs each test in order (Twisted's ``TestSuite``)."""

    def run(self, result: unittest.TestResult, debug: bool = False) -> unittest.TestResult:
        """Run every test of the suite with *result*, until ``result.shouldStop``."""
        for test in self._tests:
            if result.shouldStop:
                break
            test(result)
        return result


class TestDecorator:
    """Wrap a test case: attributes come from the original test, :meth:`run` runs it.

    Subclass it and override :meth:`run` to act around a test; :func:`decorate` applies a
    decorator to every test of a suite.
    """

    def __init__(self, original: Any) -> None:
        """Wrap the test *original*."""
        self._originalTest = original

    def __getattr__(self, name: str) -> Any:
        return getattr(self._originalTest, name)

    # The test-case interface, forwarded explicitly (other attributes through __getattr__).
    @property
    def failureException(self) -> type[BaseException]:
        """The wrapped test's ``failureException``."""
        return self._originalTest.failureException  # type: ignore[no-any-return]

    @property
    def skip(self) -> str | None:
        """The wrapped test's ``skip`` reason, if any."""
        return getattr(self._originalTest, "skip", None)

    def id(self) -> str:
        """Return the wrapped test's id."""
        return self._originalTest.id()  # type: ignore[no-any-return]

    def shortDescription(self) -> str | None:
        """Return the wrapped test's short description."""
        return self._originalTest.shortDescription()  # type: ignore[no-any-return]

    def countTestCases(self) -> int:
        """Return the wrapped test's number of test cases."""
        return self._originalTest.countTestCases()  # type: ignore[no-any-return]

    def __call__(self, result: unittest.TestResult) -> Any:
        """Run the test (as :meth:`run`)."""
        return self.run(result)

    def run(self, result: unittest.TestResult) -> Any:
        """Run the original test with *result*."""
        return self._originalTest.run(result)


def decorate(test: Any, decorator: Callable[[Any], Any]) -> Any:
    """Apply *decorator* to *test*, or to every test case inside the suite *test*.

    Suites keep their class and structure (their ``_tests`` list is refilled), as Twisted's
    ``decorate`` does.
    """
    try:
        tests = iter(test)
    except TypeError:
        return decorator(test)
    test._tests = []
    for case in tests:
        test.addTest(decorate(case, decorator))
    return test


class _UnsupportedTrialFeature(Exception):
    """A trial outcome (todo, unexpected success) a plain unittest result cannot record."""


class PyUnitResultAdapter:
    """Wrap a :class:`unittest.TestResult` so that it also takes Failures and trial outcomes.

    ``addError``/``addFailure`` accept a :class:`~bridge.failure.Failure` or an
    ``exc_info`` tuple; expected failures and unexpected successes are recorded as failures.
    """

    def __init__(self, original: unittest.TestResult) -> None:
        """Wrap the stdlib result *original*."""
        self.original = original

    @staticmethod
    def _exc_info(error: object) -> Any:
        if isinstance(error, Failure):
            return (error.type, error.value, error.getTracebackObject())
        return error

    def startTest(self, method: unittest.TestCase) -> None:
        """Forward to the wrapped result."""
        self.original.startTest(method)

    def stopTest(self, method: unittest.TestCase) -> None:
        """Forward to the wrapped result."""
        self.original.stopTest(method)

    def addFailure(self, test: unittest.TestCase, fail: object) -> None:
        """Record a failure (a Failure or an exc_info tuple)."""
        self.original.addFailure(test, self._exc_info(fail))

    def addError(self, test: unittest.TestCase, error: object) -> None:
        """Record an error (a Failure or an exc_info tuple)."""
        self.original.addError(test, self._exc_info(error))

    def _unsupported(self, test: unittest.TestCase, feature: str, info: object) -> None:
        exc = _UnsupportedTrialFeature(feature, info)
        self.original.addFailure(test, (_UnsupportedTrialFeature, exc, None))  # type: ignore[arg-type]

    def addSkip(self, test: unittest.TestCase, reason: str) -> None:
        """Record a skip."""
        self.original.addSkip(test, reason)

    def addUnexpectedSuccess(self, test: unittest.TestCase, todo: object = None) -> None:
        """Record an unexpected success, as a failure."""
        self._unsupported(test, "unexpected success", todo)

    def addExpectedFailure(self, test: unittest.TestCase, error: object) -> None:
        """Record an expected failure (a todo), as a failure."""
        self._unsupported(test, "expected failure", error)

    def addSuccess(self, test: unittest.TestCase) -> None:
        """Record a success."""
        self.original.addSuccess(test)

    def upDownError(self, method: object, error: object, warn: object, printStatus: object) -> None:
        """Do nothing (trial's reporter hook)."""
