"""bridge.trial: Twisted's TestCase API on stdlib unittest (and so under pytest)."""

from __future__ import annotations

import gc
import os
import sys
import types
import unittest
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from bridge import _runtime, defer, log, task
from bridge.failure import Failure
from bridge.trial import (
    DirtyReactorAggregateError,
    FailTest,
    SynchronousTestCase,
    TestCase,
    Todo,
    makeTodo,
)


@pytest.fixture(autouse=True)
def fresh_default_reactor() -> Iterator[None]:
    """bridge.trial uses the default reactor: give each test a fresh one and close it after."""
    _runtime.uninstall()
    yield
    if _runtime.is_installed():
        reactor = _runtime.get_reactor()
        _runtime.teardown_reactor(reactor)
        if not reactor._loop.is_closed():
            reactor._loop.close()
    _runtime.uninstall()


def run_test(case: type[unittest.TestCase], name: str) -> unittest.TestResult:
    result = unittest.TestResult()
    case(name).run(result)
    return result


def outcome(result: unittest.TestResult) -> str:
    if result.errors:
        return "error"
    if result.failures:
        return "failure"
    if result.skipped:
        return "skipped"
    if result.expectedFailures:
        return "expected-failure"
    if result.unexpectedSuccesses:
        return "unexpected-success"
    assert result.testsRun == 1
    return "success"


def message(result: unittest.TestResult) -> str:
    return "\n".join(text for _, text in result.errors + result.failures)


# --- assertions --------------------------------------------------------------------------------


class TestAssertions:
    t = SynchronousTestCase()

    def test_assertions_return_their_first_argument(self) -> None:
        t = self.t
        assert t.assertEqual(1, 1) == 1
        assert t.assertTrue(5) == 5
        assert t.assertFalse(0) == 0
        assert t.assertIn(1, [1]) == 1
        assert t.assertNotIn(2, [1]) == 2
        assert t.assertNotEqual(1, 2) == 1
        assert t.assertIdentical(None, None) is None
        assert t.assertNotIdentical(1, None) == 1
        assert t.assertApproximates(1.0, 1.01, 0.1) == 1.0
        assert t.assertSubstring("a", "abc") == "a"
        assert t.assertNotSubstring("z", "abc") == "z"
        assert t.assertAlmostEqual(1.0, 1.0) == 1.0

    def test_twisted_aliases_exist(self) -> None:
        t = self.t
        for alias, target in [
            ("failUnless", "assertTrue"),
            ("assert_", "assertTrue"),
            ("failIf", "assertFalse"),
            ("assertNot", "assertFalse"),
            ("assertEquals", "assertEqual"),
            ("failUnlessEqual", "assertEqual"),
            ("failIfEqual", "assertNotEqual"),
            ("assertNotEquals", "assertNotEqual"),
            ("failUnlessIdentical", "assertIdentical"),
            ("failUnlessIn", "assertIn"),
            ("failIfIn", "assertNotIn"),
            ("failUnlessSubstring", "assertSubstring"),
            ("failUnlessRaises", "assertRaises"),
            ("failUnlessApproximates", "assertApproximates"),
            ("failUnlessIsInstance", "assertIsInstance"),
            ("failUnlessFailure", None),
        ]:
            if target is None:
                assert callable(getattr(TestCase, alias))
            else:
                assert getattr(type(t), alias) is getattr(type(t), target), alias

    def test_failures_raise_failtest_with_twisted_messages(self) -> None:
        t = self.t
        for call, text in [
            (lambda: t.assertEqual(1, 2), "1 != 2"),
            (lambda: t.assertIn(1, [2]), "1 not in [2]"),
            (lambda: t.assertTrue(0), "0 is not true"),
            (lambda: t.assertSubstring("z", "abc"), "'z' not in 'abc'"),
            (lambda: t.assertRaises(ValueError, int, "1"), "ValueError not raised (1 returned)"),
            (lambda: t.fail("boom"), "boom"),
        ]:
            with pytest.raises(FailTest) as info:
                call()
            assert str(info.value) == text
        assert issubclass(FailTest, AssertionError)

    def test_assert_raises_returns_the_exception_or_a_context_manager(self) -> None:
        exc = self.t.assertRaises(ValueError, int, "x")
        assert isinstance(exc, ValueError)
        with self.t.assertRaises(KeyError) as cm:
            {}["k"]
        assert isinstance(cm.exception, KeyError)

    def test_assert_raises_reports_the_wrong_exception(self) -> None:
        with pytest.raises(FailTest, match="ValueError raised instead of KeyError"):
            self.t.assertRaises(ValueError, lambda: {}["k"])

    def test_is_instance(self) -> None:
        self.t.assertIsInstance(1, int)
        with pytest.raises(FailTest, match="is not an instance of"):
            self.t.assertIsInstance(1, str)
        self.t.assertNotIsInstance(1, str)

    def test_twisted_style_assert_warns(self) -> None:
        def old() -> int:
            warnings.warn("old is deprecated", DeprecationWarning, stacklevel=1)
            return 3

        assert self.t.assertWarns(DeprecationWarning, "old is deprecated", __file__, old) == 3
        with pytest.raises(FailTest):
            self.t.assertWarns(DeprecationWarning, "other text", __file__, old)
        with self.t.assertWarns(UserWarning):
            warnings.warn("x", UserWarning, stacklevel=1)


TWISTED_MESSAGE_CASES = [
    ("assertEqual", (1, 2)),
    ("assertEqual", ([1], [2])),
    ("assertEqual", (1, 2, "custom")),
    ("assertNotEqual", (1, 1)),
    ("assertIn", (1, [2])),
    ("assertNotIn", (1, [1])),
    ("assertTrue", (0,)),
    ("assertFalse", (1,)),
    ("assertIdentical", (1, None)),
    ("assertNotIdentical", (None, None)),
    ("assertSubstring", ("z", "abc")),
    ("assertNotSubstring", ("a", "abc")),
    ("assertApproximates", (1.0, 2.0, 0.1)),
    ("assertRaises", (ValueError, int, "1")),
    ("assertIsInstance", (1, str)),
    ("assertNotIsInstance", (1, int)),
    ("assertAlmostEqual", (1.0, 2.0)),
    ("assertNotAlmostEqual", (1.0, 1.0)),
]


@pytest.mark.parametrize(("name", "args"), TWISTED_MESSAGE_CASES)
def test_failure_messages_match_twisted(name: str, args: tuple[Any, ...]) -> None:
    twisted_unittest = pytest.importorskip("twisted.trial.unittest")

    def message_of(case: Any) -> str:
        try:
            getattr(case, name)(*args)
        except AssertionError as exc:
            return str(exc)
        raise AssertionError(f"{name}{args} did not fail")

    ours = message_of(SynchronousTestCase())
    assert ours == message_of(twisted_unittest.SynchronousTestCase())


# --- synchronous Deferred checks ------------------------------------------------------------------


class TestResultOf:
    t = SynchronousTestCase()

    def test_success_result_of(self) -> None:
        assert self.t.successResultOf(defer.succeed(7)) == 7
        with pytest.raises(FailTest, match="found no result instead"):
            self.t.successResultOf(defer.Deferred())
        d: defer.Deferred[Any] = defer.fail(ValueError("x"))
        with pytest.raises(FailTest, match="found failure result instead"):
            self.t.successResultOf(d)
        d.addErrback(lambda _: None)

    def test_failure_result_of(self) -> None:
        failure = self.t.failureResultOf(defer.fail(ValueError("x")), ValueError)
        assert isinstance(failure, Failure)
        assert failure.check(ValueError)
        with pytest.raises(FailTest, match=r"found success result \(1\) instead"):
            self.t.failureResultOf(defer.succeed(1))
        d: defer.Deferred[Any] = defer.fail(ValueError("x"))
        with pytest.raises(FailTest, match=r"Failure of type .*KeyError.* expected"):
            self.t.failureResultOf(d, KeyError)
        d.addErrback(lambda _: None)

    def test_failure_result_of_consumes_the_failure(self) -> None:
        seen: list[Failure] = []

        def observer(f: Failure, why: str | None) -> None:
            seen.append(f)

        gc.collect()  # failures leaked by earlier tests are reported now, not below
        log.add_observer(observer)
        try:
            d: defer.Deferred[Any] = defer.fail(ValueError("x"))
            self.t.failureResultOf(d)
            del d
            gc.collect()
        finally:
            log.remove_observer(observer)
        assert seen == []

    def test_failed_assertions_still_consume_the_result(self) -> None:
        """As in Twisted, the result is taken out of the chain before checking it."""
        wrong_type: defer.Deferred[Any] = defer.fail(KeyError("k"))
        with pytest.raises(FailTest):
            self.t.failureResultOf(wrong_type, ValueError)
        assert wrong_type.result is None
        failed: defer.Deferred[Any] = defer.fail(KeyError("k"))
        with pytest.raises(FailTest):
            self.t.successResultOf(failed)
        assert failed.result is None

    def test_result_of_accepts_coroutines(self) -> None:
        async def ok() -> int:
            return 5

        async def bad() -> None:
            raise ValueError("x")

        assert self.t.successResultOf(ok()) == 5
        assert self.t.failureResultOf(bad(), ValueError).check(ValueError)

    def test_assert_no_result(self) -> None:
        self.t.assertNoResult(defer.Deferred())
        with pytest.raises(FailTest, match=r"No result expected on .*, found 1 instead"):
            self.t.assertNoResult(defer.succeed(1))


# --- running tests -------------------------------------------------------------------------------


class Async(TestCase):
    __test__ = False  # run by the tests below, not collected by pytest

    timeout = 5

    def test_returns_deferred(self) -> defer.Deferred[None]:
        from bridge import reactor

        return task.deferLater(reactor, 0.01, lambda: None)

    def test_returns_failing_deferred(self) -> defer.Deferred[None]:
        from bridge import reactor

        def boom() -> None:
            raise ValueError("late boom")

        return task.deferLater(reactor, 0.01, boom)

    async def test_coroutine(self) -> None:
        from bridge import reactor

        value = await task.deferLater(reactor, 0.01, lambda: 42)
        self.assertEqual(value, 42)

    @defer.inlineCallbacks
    def test_inline_callbacks(self) -> Any:
        from bridge import reactor

        value = yield task.deferLater(reactor, 0.01, lambda: 5)
        self.assertEqual(value, 5)

    def test_plain_generator(self) -> Any:
        yield None

    def test_never_fires(self) -> defer.Deferred[None]:
        return defer.Deferred()

    test_never_fires.timeout = 0.05  # type: ignore[attr-defined]

    def test_assert_failure(self) -> defer.Deferred[Any]:
        d = self.assertFailure(defer.fail(KeyError("k")), KeyError)
        return d.addCallback(lambda exc: self.assertIsInstance(exc, KeyError))

    def test_assert_failure_wrong_type(self) -> defer.Deferred[Any]:
        return self.assertFailure(defer.fail(KeyError("k")), ValueError)

    def test_assert_failure_no_failure(self) -> defer.Deferred[Any]:
        return self.assertFailure(defer.succeed(1), ValueError)

    def test_leaves_delayed_call(self) -> None:
        from bridge import reactor

        reactor.callLater(100, lambda: None)

    def test_leaves_port_open(self) -> None:
        from bridge import protocol, reactor

        reactor.listenTCP(0, protocol.Factory.forProtocol(protocol.Protocol), interface="127.0.0.1")

    def test_closes_port(self) -> Any:
        from bridge import protocol, reactor

        port = reactor.listenTCP(
            0, protocol.Factory.forProtocol(protocol.Protocol), interface="127.0.0.1"
        )
        return port.stopListening()

    def test_leaves_reader(self) -> None:
        import socket

        from bridge import reactor

        a, b = socket.socketpair()
        self.addCleanup(a.close)
        self.addCleanup(b.close)

        class Reader:
            def fileno(self) -> int:
                return a.fileno()

            def doRead(self) -> None:
                pass

            def connectionLost(self, reason: object) -> None:
                pass

            def logPrefix(self) -> str:
                return "leaky reader"

        reactor.addReader(Reader())


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("test_returns_deferred", "success"),
        ("test_returns_failing_deferred", "error"),
        ("test_coroutine", "success"),
        ("test_inline_callbacks", "success"),
        ("test_plain_generator", "error"),
        ("test_never_fires", "error"),
        ("test_assert_failure", "success"),
        ("test_assert_failure_wrong_type", "failure"),
        ("test_assert_failure_no_failure", "failure"),
        ("test_leaves_delayed_call", "error"),
        ("test_leaves_reader", "error"),
        ("test_leaves_port_open", "error"),
        ("test_closes_port", "success"),
    ],
)
def test_async_test_case_outcomes(name: str, expected: str) -> None:
    result = run_test(Async, name)
    assert outcome(result) == expected, message(result)


def test_failing_deferred_reports_the_error() -> None:
    assert "ValueError: late boom" in message(run_test(Async, "test_returns_failing_deferred"))


def test_timeout_message() -> None:
    text = message(run_test(Async, "test_never_fires"))
    assert "still running at 0.05 secs" in text
    assert "TimeoutError" in text


def test_generator_without_inline_callbacks_is_explained() -> None:
    assert "decorate it with @inlineCallbacks" in message(run_test(Async, "test_plain_generator"))


def test_dirty_reactor_is_reported_and_cleaned() -> None:
    text = message(run_test(Async, "test_leaves_delayed_call"))
    assert DirtyReactorAggregateError.__name__ in text
    assert "DelayedCalls:" in text
    assert _runtime.get_reactor().getDelayedCalls() == []
    assert outcome(run_test(Async, "test_returns_deferred")) == "success"


def test_open_port_is_reported_and_closed() -> None:
    text = message(run_test(Async, "test_leaves_port_open"))
    assert "Open ports and connections:" in text
    assert outcome(run_test(Async, "test_closes_port")) == "success"


def test_leftover_reader_is_reported_and_removed() -> None:
    text = message(run_test(Async, "test_leaves_reader"))
    assert "Selectables:" in text
    assert _runtime.get_reactor().getReaders() == []


def test_deferred_cleanups_and_set_up_are_waited_for() -> None:
    order: list[str] = []

    class Cleanups(TestCase):
        def setUp(self) -> defer.Deferred[None]:
            from bridge import reactor

            return task.deferLater(reactor, 0.01, order.append, "setUp")

        def tearDown(self) -> defer.Deferred[None]:
            from bridge import reactor

            return task.deferLater(reactor, 0.01, order.append, "tearDown")

        def test_it(self) -> None:
            from bridge import reactor

            order.append("test")
            self.addCleanup(lambda: task.deferLater(reactor, 0.01, order.append, "cleanup 1"))
            self.addCleanup(lambda: task.deferLater(reactor, 0.01, order.append, "cleanup 2"))

    result = run_test(Cleanups, "test_it")
    assert outcome(result) == "success", message(result)
    assert order == ["setUp", "test", "tearDown", "cleanup 2", "cleanup 1"]


# --- skip and todo -------------------------------------------------------------------------------


class SkipTodo(SynchronousTestCase):
    __test__ = False  # run by the tests below, not collected by pytest

    def test_skipped_method(self) -> None:
        raise AssertionError("must not run")

    test_skipped_method.skip = "not today"  # type: ignore[attr-defined]

    def test_todo_fails(self) -> None:
        raise ValueError("known bug")

    test_todo_fails.todo = "bug 123"  # type: ignore[attr-defined]

    def test_todo_passes(self) -> None:
        pass

    test_todo_passes.todo = "bug 124"  # type: ignore[attr-defined]

    def test_todo_other_error(self) -> None:
        raise KeyError("not the expected one")

    test_todo_other_error.todo = (ValueError, "bug 125")  # type: ignore[attr-defined]

    def test_todo_matching_error(self) -> None:
        raise ValueError("the expected one")

    test_todo_matching_error.todo = ((ValueError,), "bug 126")  # type: ignore[attr-defined]

    def test_skip_test_exception(self) -> None:
        self.skipTest("runtime reason")


class SkippedClass(SynchronousTestCase):
    __test__ = False  # run by the tests below, not collected by pytest

    skip = "whole class"

    def test_anything(self) -> None:
        raise AssertionError("must not run")


@pytest.mark.parametrize(
    ("case", "name", "expected"),
    [
        (SkipTodo, "test_skipped_method", "skipped"),
        (SkipTodo, "test_todo_fails", "expected-failure"),
        (SkipTodo, "test_todo_passes", "unexpected-success"),
        (SkipTodo, "test_todo_other_error", "error"),
        (SkipTodo, "test_todo_matching_error", "expected-failure"),
        (SkipTodo, "test_skip_test_exception", "skipped"),
        (SkippedClass, "test_anything", "skipped"),
    ],
)
def test_skip_and_todo(case: type[unittest.TestCase], name: str, expected: str) -> None:
    result = run_test(case, name)
    assert outcome(result) == expected, message(result)


def test_skip_reason_is_kept() -> None:
    result = run_test(SkippedClass, "test_anything")
    assert result.skipped[0][1] == "whole class"


def test_module_level_skip() -> None:
    module = types.ModuleType("fake_trial_module")
    module.skip = "module says no"  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    try:
        case = type("InModule", (SynchronousTestCase,), {"test_x": lambda self: None})
        case.__module__ = module.__name__
        result = run_test(case, "test_x")
    finally:
        del sys.modules[module.__name__]
    assert result.skipped[0][1] == "module says no"


def test_make_todo() -> None:
    assert makeTodo("why").reason == "why"
    todo = makeTodo((ValueError, "why"))
    assert todo.errors == (ValueError,)
    assert todo.expected(Failure(ValueError()))
    assert not todo.expected(Failure(KeyError()))
    assert makeTodo(todo) is todo
    assert isinstance(todo, Todo)
    with pytest.raises(TypeError, match="todo must be"):
        makeTodo(3)


# --- logged errors, warnings, patch, mktemp ------------------------------------------------------


class Logging(SynchronousTestCase):
    __test__ = False  # run by the tests below, not collected by pytest

    def test_logs_error(self) -> None:
        log.err(ValueError("logged"), "while testing")

    def test_flushes_error(self) -> None:
        log.err(ValueError("logged"), "while testing")
        log.err(KeyError("other"), "while testing")
        flushed = self.flushLoggedErrors(ValueError)
        self.assertEqual([f.type for f in flushed], [ValueError])
        self.assertEqual(len(self.flushLoggedErrors()), 1)

    def test_unhandled_deferred_failure(self) -> None:
        defer.fail(ZeroDivisionError("nobody handled me"))

    def test_flush_warnings(self) -> None:
        warnings.warn("soon gone", DeprecationWarning, stacklevel=1)
        flushed = self.flushWarnings([Logging.test_flush_warnings])
        self.assertEqual(len(flushed), 1)
        self.assertEqual(flushed[0]["message"], "soon gone")
        self.assertIdentical(flushed[0]["category"], DeprecationWarning)
        self.assertEqual(self.flushWarnings(), [])

    def test_returns_unfired_deferred(self) -> defer.Deferred[None]:
        return defer.Deferred()

    async def test_coroutine_in_sync_case(self) -> None:
        pass


def test_logged_error_fails_the_test() -> None:
    result = run_test(Logging, "test_logs_error")
    assert outcome(result) == "failure"
    assert "1 error(s) logged during" in message(result)
    assert "ValueError: logged" in message(result)


def test_flushed_errors_do_not_fail_the_test() -> None:
    result = run_test(Logging, "test_flushes_error")
    assert outcome(result) == "success", message(result)


def test_unhandled_deferred_failure_fails_the_test() -> None:
    result = run_test(Logging, "test_unhandled_deferred_failure")
    assert outcome(result) == "failure"
    assert "ZeroDivisionError: nobody handled me" in message(result)


def test_flush_warnings() -> None:
    with warnings.catch_warnings(record=True) as outer:
        warnings.simplefilter("always")
        result = run_test(Logging, "test_flush_warnings")
    assert outcome(result) == "success", message(result)
    assert [str(w.message) for w in outer] == []


def test_unflushed_warnings_reach_the_outer_handler() -> None:
    class Warns(SynchronousTestCase):
        def test_it(self) -> None:
            warnings.warn("left over", UserWarning, stacklevel=1)

    with warnings.catch_warnings(record=True) as outer:
        warnings.simplefilter("always")
        result = run_test(Warns, "test_it")
    assert outcome(result) == "success"
    assert [str(w.message) for w in outer] == ["left over"]


@pytest.mark.parametrize("name", ["test_returns_unfired_deferred", "test_coroutine_in_sync_case"])
def test_synchronous_case_refuses_asynchronous_tests(name: str) -> None:
    result = run_test(Logging, name)
    assert outcome(result) == "error"
    assert "use bridge.trial.TestCase" in message(result)


def test_patch_and_mktemp() -> None:
    target = types.SimpleNamespace(value=1)
    paths: list[str] = []

    class Patching(SynchronousTestCase):
        def test_it(self) -> None:
            self.patch(target, "value", 2)
            self.patch(target, "added", 3)
            self.assertEqual(target.value, 2)
            first, second = self.mktemp(), self.mktemp()
            self.assertNotEqual(first, second)
            self.assertTrue(os.path.isdir(os.path.dirname(first)))
            self.assertFalse(os.path.exists(first))
            paths.extend([first, second])

    result = run_test(Patching, "test_it")
    assert outcome(result) == "success", message(result)
    assert target.value == 1
    assert not hasattr(target, "added")
    assert "Patching" in paths[0]


def test_patch_restore_early() -> None:
    target = types.SimpleNamespace(value=1)

    class Patching(SynchronousTestCase):
        def test_it(self) -> None:
            patch = self.patch(target, "value", 2)
            patch.restore()
            self.assertEqual(target.value, 1)

    assert outcome(run_test(Patching, "test_it")) == "success"
    assert target.value == 1


# --- under pytest ---------------------------------------------------------------------------------

pytest_plugins = ["pytester"]

PYTEST_MODULE = """
from bridge import defer, task
from bridge.trial import SynchronousTestCase, TestCase


class Sync(SynchronousTestCase):
    def test_ok(self):
        self.assertEqual(self.successResultOf(defer.succeed(1)), 1)

    def test_fails(self):
        self.assertEqual(1, 2)

    def test_skip(self):
        pass
    test_skip.skip = "skipped reason"

    def test_todo(self):
        raise ValueError("known")
    test_todo.todo = "known bug"


class Async(TestCase):
    def test_deferred(self):
        from bridge import reactor
        return task.deferLater(reactor, 0.01, lambda: None)

    async def test_coroutine(self):
        from bridge import reactor
        self.assertEqual(await task.deferLater(reactor, 0.01, lambda: 3), 3)

    def test_dirty(self):
        from bridge import reactor
        reactor.callLater(50, lambda: None)
"""


@pytest.mark.timeout(240)
def test_pytest_collects_and_runs_trial_cases(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_trial_cases=PYTEST_MODULE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", "-rfsx")
    result.assert_outcomes(passed=3, failed=2, skipped=1, xfailed=1)
    for pattern in ["*skipped reason*", "FAILED*test_dirty*Dirty*", "FAILED*test_fails*1 != 2"]:
        result.stdout.fnmatch_lines([pattern])


TWISTED_SUITE = """
from twisted.internet import defer, reactor, task
from twisted.internet.error import ConnectionRefusedError
from twisted.trial import unittest


class TwistedStyle(unittest.TestCase):
    def test_deferred(self):
        return task.deferLater(reactor, 0.01, lambda: None)

    @defer.inlineCallbacks
    def test_inline(self):
        value = yield task.deferLater(reactor, 0.01, lambda: 7)
        self.assertEquals(value, 7)

    def test_assert_failure(self):
        return self.assertFailure(defer.fail(ConnectionRefusedError()), ConnectionRefusedError)

    def test_sync_helpers(self):
        self.assertEqual(self.successResultOf(defer.succeed(1)), 1)
        failure = self.failureResultOf(defer.fail(ValueError()))
        self.failUnless(isinstance(failure.value, ValueError))


class Sync(unittest.SynchronousTestCase):
    skip = "skipped the Twisted way"

    def test_x(self):
        pass
"""


@pytest.mark.timeout(240)
def test_unmodified_trial_suite_runs_under_pytest_with_compat(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("from bridge import compat\ncompat.install()\n")
    pytester.makepyfile(test_twisted_style=TWISTED_SUITE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:bridge")
    result.assert_outcomes(passed=4, skipped=1)


# --- Twisted's remaining public names: deprecation helpers, suites, decorators ---------------


class _Version:
    """Stands in for ``incremental.Version`` (package and ``short()``)."""

    package = "Twisted"

    def short(self) -> str:
        return "22.1.0"


def _old_api() -> int:
    warnings.warn(
        f"{__name__}._old_api was deprecated in Twisted 22.1.0; please use new_api instead",
        DeprecationWarning,
        stacklevel=2,
    )
    return 7


def _not_deprecated() -> int:
    return 8


def test_call_deprecated_checks_the_warning() -> None:
    t = SynchronousTestCase()
    assert t.callDeprecated((_Version(), "new_api"), _old_api) == 7
    with pytest.raises(FailTest, match="is not deprecated"):
        t.callDeprecated(_Version(), _not_deprecated)
    with pytest.raises(FailTest):
        t.callDeprecated(_Version(), _old_api)  # no replacement named: the message differs


def test_call_deprecated_expects_twisteds_message() -> None:
    from incremental import Version
    from twisted.python.deprecate import getDeprecationWarningString

    version = Version("Twisted", 22, 1, 0)

    def deprecated_here() -> str:
        text = getDeprecationWarningString(deprecated_here, version, replacement=_not_deprecated)
        warnings.warn(text, DeprecationWarning, stacklevel=2)
        return text

    text = SynchronousTestCase().callDeprecated((version, _not_deprecated), deprecated_here)
    assert text.endswith("please use tests.test_trial._not_deprecated instead")


def test_get_deprecated_module_attribute() -> None:
    module = types.ModuleType("bridge_test_deprecated_module")

    def getattr_(name: str) -> object:
        if name == "old":
            warnings.warn(
                f"{module.__name__}.old was deprecated in Twisted 22.1.0: use new",
                DeprecationWarning,
                stacklevel=2,
            )
            return 1
        raise AttributeError(name)

    module.__getattr__ = getattr_  # type: ignore[method-assign]
    module.plain = 2  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    try:
        t = SynchronousTestCase()
        assert t.getDeprecatedModuleAttribute(module.__name__, "old", _Version()) == 1
        assert t.getDeprecatedModuleAttribute(module.__name__, "old", _Version(), "use new") == 1
        with pytest.raises(FailTest, match="not deprecated"):
            t.getDeprecatedModuleAttribute(module.__name__, "plain", _Version())
        with pytest.raises(FailTest, match="to start with"):
            t.getDeprecatedModuleAttribute(module.__name__, "old", _Version(), "use other")
    finally:
        del sys.modules[module.__name__]


def test_run_test_and_get_suppress() -> None:
    class Suppressed(SynchronousTestCase):
        suppress = ["class level"]

        def test_method(self) -> None:
            pass

        test_method.suppress = ["method level"]  # type: ignore[attr-defined]

        def test_plain(self) -> None:
            pass

    assert Suppressed("test_method").getSuppress() == ["method level"]
    assert Suppressed("test_plain").getSuppress() == ["class level"]
    assert SynchronousTestCase().getSuppress() == []
    assert outcome(run_test(SynchronousTestCase, "runTest")) == "success"


def test_assert_is_and_almost_equal_take_twisteds_arguments() -> None:
    t = SynchronousTestCase()
    marker = object()
    assert t.assertIs(first=marker, second=marker) is marker
    assert t.assertIsNot(first=marker, second=object(), msg="m") is marker
    with pytest.raises(FailTest):
        t.assertIs(marker, object())
    assert t.assertAlmostEqual(1.0, 1.05, delta=0.1) == 1.0
    with pytest.raises(FailTest):
        t.assertAlmostEqual(1.0, 1.5, delta=0.1)
    assert t.assertNotAlmostEqual(1.0, 1.5, delta=0.1) == 1.0


class _Two(SynchronousTestCase):
    __test__ = False  # run by the tests below, not collected by pytest

    def test_a(self) -> None:
        pass

    def test_b(self) -> None:
        self.fail("b fails")


def test_decorate_wraps_every_case_and_keeps_the_suite() -> None:
    from bridge.trial import TestDecorator, TestSuite, decorate

    seen: list[str] = []

    class Recording(TestDecorator):
        def run(self, result: unittest.TestResult) -> Any:
            seen.append(self.id().rsplit(".", 1)[-1])
            return super().run(result)

    inner = TestSuite([_Two("test_a")])
    suite = TestSuite([inner, _Two("test_b")])
    decorated = decorate(suite, Recording)
    assert decorated is suite and isinstance(suite._tests[0], TestSuite)
    result = unittest.TestResult()
    decorated(result)
    assert seen == ["test_a", "test_b"]
    assert (result.testsRun, len(result.failures)) == (2, 1)
    single = decorate(_Two("test_a"), Recording)
    assert isinstance(single, Recording) and single.countTestCases() == 1


def test_pyunit_result_adapter_takes_failures() -> None:
    from bridge.trial import PyUnitResultAdapter

    original = unittest.TestResult()
    adapter = PyUnitResultAdapter(original)
    case = _Two("test_a")
    adapter.startTest(case)
    adapter.addError(case, Failure(ValueError("as failure")))
    adapter.addFailure(case, (AssertionError, AssertionError("as exc_info"), None))
    adapter.addExpectedFailure(case, Failure(KeyError("todo")))
    adapter.addSkip(case, "why")
    adapter.addSuccess(case)
    adapter.stopTest(case)
    assert "as failure" in original.errors[0][1]
    assert len(original.failures) == 2 and "expected failure" in original.failures[1][1]
    assert original.skipped == [(case, "why")]
