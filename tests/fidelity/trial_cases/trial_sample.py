"""A typical trial test module (the "Test-driven development with Trial" style).

Run unchanged with ``python -m twisted.trial`` on Twisted and with pytest on bridge (the
twisted.* names aliased to bridge); tests/fidelity/test_trial.py compares the outcome of
every test. Names ending in ``_fails`` / ``_errors`` are expected to be reported as failing.
"""

from twisted.internet import defer, reactor, task
from twisted.python import failure, log
from twisted.trial import unittest


class Calculation:
    def add(self, a, b):
        return a + b

    def divide(self, a, b):
        return a / b


class SyncTests(unittest.SynchronousTestCase):
    def setUp(self):
        self.calc = Calculation()

    def test_add(self):
        self.assertEqual(self.calc.add(3, 8), 11)

    def test_assertRaises_returns_exception(self):
        e = self.assertRaises(ZeroDivisionError, self.calc.divide, 1, 0)
        self.assertIsInstance(e, ZeroDivisionError)

    def test_assertion_fails(self):
        self.assertEqual(self.calc.add(1, 1), 3)

    def test_exception_errors(self):
        self.calc.divide(1, 0)

    def test_fail_fails(self):
        self.fail("explicit")

    def test_successResultOf(self):
        self.assertEqual(self.successResultOf(defer.succeed(5)), 5)

    def test_failureResultOf(self):
        f = self.failureResultOf(defer.fail(KeyError("k")), KeyError)
        self.assertTrue(f.check(KeyError))

    def test_failureResultOf_wrong_type_fails(self):
        self.failureResultOf(defer.fail(KeyError("k")), ValueError)

    def test_assertNoResult(self):
        self.assertNoResult(defer.Deferred())

    def test_successResultOf_unfired_fails(self):
        self.successResultOf(defer.Deferred())

    def test_skip_attribute(self):
        raise AssertionError("should be skipped")

    test_skip_attribute.skip = "not today"

    def test_skipTest(self):
        raise unittest.SkipTest("dynamic skip")

    def test_todo(self):
        self.assertEqual(1, 2)

    test_todo.todo = "known broken"

    def test_patch(self):
        self.patch(Calculation, "add", lambda self, a, b: "patched")
        self.assertEqual(Calculation().add(1, 2), "patched")

    def test_patch_restored(self):
        self.assertEqual(Calculation().add(1, 2), 3)

    def test_flushLoggedErrors(self):
        log.err(failure.Failure(ValueError("logged")), "expected")
        self.assertEqual(len(self.flushLoggedErrors(ValueError)), 1)

    def test_logged_error_errors(self):
        log.err(failure.Failure(ValueError("logged and not flushed")))

    def test_addCleanup_last_in_first_out(self):
        calls = []
        self.addCleanup(lambda: self.assertEqual(calls, [2]))
        self.addCleanup(calls.append, 2)

    def test_mktemp(self):
        path = self.mktemp()
        self.assertIsInstance(path, str)
        with open(path, "w") as f:
            f.write("x")

    def test_assertIdentical_and_substring(self):
        self.assertIdentical(None, None)
        self.assertSubstring("ell", "hello")
        self.assertNotSubstring("z", "hello")
        self.assertApproximates(1.0, 1.05, 0.1)


class MoreSyncTests(unittest.SynchronousTestCase):
    @classmethod
    def setUpClass(cls):
        cls.shared = ["class fixture"]

    def test_setUpClass_ran(self):
        self.assertEqual(self.shared, ["class fixture"])

    def test_assertEqual_returns_first(self):
        self.assertEqual(self.assertEqual(2, 2), 2)

    def test_assertRaises_context_manager(self):
        with self.assertRaises(KeyError):
            {}["x"]

    def test_todo_with_types(self):
        raise ValueError("expected kind")

    test_todo_with_types.todo = ((ValueError,), "typed todo")

    def test_todo_wrong_type_errors(self):
        raise KeyError("unexpected kind")

    test_todo_wrong_type_errors.todo = ((ValueError,), "typed todo")

    def test_assertWarns(self):
        import warnings

        def warner():
            warnings.warn("careful", DeprecationWarning, stacklevel=2)
            return 3

        r = self.assertWarns(DeprecationWarning, "careful", __file__, warner)
        self.assertEqual(r, 3)

    def test_flushWarnings(self):
        import warnings

        warnings.warn("flushed", UserWarning, stacklevel=1)
        flushed = self.flushWarnings()
        self.assertEqual([w["message"] for w in flushed], ["flushed"])

    def test_failing_cleanup_errors(self):
        self.addCleanup(lambda: 1 / 0)

    def test_assertIsInstance_fails(self):
        self.assertIsInstance(1, str)


class SetUpFails(unittest.SynchronousTestCase):
    def setUp(self):
        raise RuntimeError("setUp broke")

    def test_never_runs_errors(self):
        pass


class SetUpSkips(unittest.SynchronousTestCase):
    def setUp(self):
        raise unittest.SkipTest("skipped from setUp")

    def test_skipped_by_setUp(self):
        pass


class TearDownFails(unittest.TestCase):
    def tearDown(self):
        raise RuntimeError("tearDown broke")

    def test_body_passes_but_errors(self):
        pass


class AsyncTests(unittest.TestCase):
    timeout = 2

    def setUp(self):
        self.setup_ran = []
        return task.deferLater(reactor, 0.01, self.setup_ran.append, "setUp")

    def test_setup_deferred_waited(self):
        self.assertEqual(self.setup_ran, ["setUp"])

    def test_returns_deferred(self):
        d = task.deferLater(reactor, 0.01, lambda: 42)
        d.addCallback(self.assertEqual, 42)
        return d

    def test_returns_failing_deferred_fails(self):
        return task.deferLater(reactor, 0.01, lambda: self.assertEqual(1, 2))

    @defer.inlineCallbacks
    def test_inlineCallbacks(self):
        v = yield task.deferLater(reactor, 0.01, lambda: "v")
        self.assertEqual(v, "v")

    async def test_coroutine(self):
        v = await task.deferLater(reactor, 0.01, lambda: 7)
        self.assertEqual(v, 7)

    def test_assertFailure(self):
        return self.assertFailure(defer.fail(ZeroDivisionError()), ZeroDivisionError)

    def test_assertFailure_wrong_type_fails(self):
        return self.assertFailure(defer.fail(ZeroDivisionError()), KeyError)

    def test_timeout_errors(self):
        return defer.Deferred()

    test_timeout_errors.timeout = 0.2

    def test_pending_call_errors(self):
        reactor.callLater(30, lambda: None)

    def test_cleanup_deferred(self):
        done = []

        def cleanup():
            return task.deferLater(reactor, 0.01, done.append, 1)

        self.addCleanup(lambda: self.assertEqual(done, [1]))
        self.addCleanup(cleanup)

    def test_unhandled_deferred_failure_errors(self):
        d = defer.fail(RuntimeError("nobody handles this"))
        del d

    def test_listening_port_cleaned(self):
        from twisted.internet import protocol

        port = reactor.listenTCP(0, protocol.Factory(), interface="127.0.0.1")
        return port.stopListening()


class ClassSkipped(unittest.TestCase):
    skip = "whole class skipped"

    def test_one(self):
        pass

    def test_two(self):
        pass


class _Helper(unittest.SynchronousTestCase):
    def test_passes(self):
        pass

    def test_fails(self):
        self.fail("helper failure")


class ApiTests(unittest.SynchronousTestCase):
    """The rest of trial's public API a test module touches."""

    def test_assertIs_keywords(self):
        marker = object()
        self.assertIs(first=marker, second=marker)
        self.assertIsNot(first=marker, second=object())

    def test_assertAlmostEqual_places(self):
        self.assertAlmostEqual(1.0, 1.00000001)
        self.assertNotAlmostEqual(1.0, 1.1, places=3)

    def test_callDeprecated(self):
        from incremental import Version

        def old():
            import warnings

            warnings.warn(
                f"{old.__module__}.{old.__qualname__} was deprecated in Twisted 22.1.0",
                DeprecationWarning,
                stacklevel=2,
            )
            return "old result"

        self.assertEqual(self.callDeprecated(Version("Twisted", 22, 1, 0), old), "old result")

    def test_callDeprecated_not_deprecated_fails(self):
        from incremental import Version

        self.callDeprecated(Version("Twisted", 22, 1, 0), lambda: None)

    def test_runTest_of_a_bare_case(self):
        import unittest as pyunit

        result = pyunit.TestResult()
        unittest.SynchronousTestCase().run(result)
        self.assertEqual((result.testsRun, result.wasSuccessful()), (1, True))

    def test_decorate_and_TestSuite(self):
        import unittest as pyunit

        seen = []

        class Recording(unittest.TestDecorator):
            def run(self, result):
                seen.append(self.id().rsplit(".", 1)[-1])
                return unittest.TestDecorator.run(self, result)

        suite = unittest.TestSuite([_Helper("test_passes"), _Helper("test_fails")])
        decorated = unittest.decorate(suite, Recording)
        result = pyunit.TestResult()
        adapter = unittest.PyUnitResultAdapter(result)
        for case in decorated:
            case.run(adapter)
        self.assertIdentical(decorated, suite)
        self.assertEqual(seen, ["test_passes", "test_fails"])
        self.assertEqual((result.testsRun, len(result.failures)), (2, 1))

    def test_makeTodo(self):
        todo = unittest.makeTodo((KeyError, "not yet"))
        self.assertEqual((todo.reason, list(todo.errors)), ("not yet", [KeyError]))
        self.assertTrue(todo.expected(failure.Failure(KeyError())))
        self.assertFalse(todo.expected(failure.Failure(ValueError())))

    def test_callWithLogger_error_is_flushed(self):
        class Prefixed(log.Logger):
            def logPrefix(self):
                return "Prefixed"

        def boom():
            raise OSError("logged by callWithLogger")

        self.assertIdentical(log.callWithLogger(Prefixed(), boom), None)
        self.assertEqual(len(self.flushLoggedErrors(OSError)), 1)

    def test_LoopingCall_on_a_Clock(self):
        clock = task.Clock()
        ticks = []
        loop = task.LoopingCall(lambda: ticks.append(clock.seconds()))
        loop.clock = clock
        loop.start(1)
        clock.pump([1, 1, 1])
        loop.stop()
        self.assertEqual(ticks, [0, 1, 2, 3])
        self.assertFalse(loop.running)

    def test_FirstError_of_gatherResults(self):
        d = defer.gatherResults([defer.succeed(1), defer.fail(KeyError("k"))], consumeErrors=True)
        err = self.failureResultOf(d, defer.FirstError)
        self.assertEqual(err.value.index, 1)
        self.assertTrue(err.value.subFailure.check(KeyError))
