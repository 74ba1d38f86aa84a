"""deferToThread, callInThread, blockingCallFromThread, spawnProcess/ProcessProtocol, utils."""

import sys
import threading

from twisted.internet import defer, error, protocol, reactor, threads, utils

PY = sys.executable


def log(*a):
    print(*a, flush=True)


class Collect(protocol.ProcessProtocol):
    def __init__(self):
        self.out = b""
        self.err = b""
        self.done = defer.Deferred()
        self.quiet = False

    def connectionMade(self):
        log("proc connectionMade", self.transport.pid is not None)
        self.transport.write(b"line one\nline two\n")
        self.transport.closeStdin()

    def outReceived(self, data):
        self.out += data

    def errReceived(self, data):
        self.err += data

    def inConnectionLost(self):
        if not self.quiet:
            log("proc inConnectionLost")

    def processExited(self, reason):
        if not self.quiet:
            log("proc processExited", reason.type.__name__, reason.value.exitCode)

    def processEnded(self, reason):
        log(
            "proc processEnded",
            reason.type.__name__,
            reason.value.exitCode,
            reason.value.signal,
            self.transport.pid,
        )
        self.done.callback([reason])


CHILD = (
    "import sys\n"
    "data = sys.stdin.read()\n"
    "sys.stdout.write(data.upper())\n"
    "sys.stderr.write('to stderr\\n')\n"
    "sys.exit(int(sys.argv[1]))\n"
)


@defer.inlineCallbacks
def main():
    try:
        main_thread = threading.current_thread()
        r = yield threads.deferToThread(
            lambda a, b=0: (a + b, threading.current_thread() is main_thread), 2, b=3
        )
        log("deferToThread", r)
        try:
            yield threads.deferToThread(lambda: 1 / 0)
        except ZeroDivisionError:
            log("deferToThread error propagated")
        # callInThread + callFromThread + blockingCallFromThread
        done = defer.Deferred()

        def worker():
            v = threads.blockingCallFromThread(reactor, lambda: defer.succeed("from reactor"))
            reactor.callFromThread(done.callback, v)

        reactor.callInThread(worker)
        log("blockingCallFromThread", (yield done))
        done = defer.Deferred()

        def worker2():
            try:
                threads.blockingCallFromThread(reactor, lambda: defer.fail(KeyError("bc")))
            except KeyError as e:
                reactor.callFromThread(done.callback, repr(e))

        reactor.callInThread(worker2)
        log("blockingCallFromThread error", (yield done))

        for code in (0, 3):
            p = Collect()
            reactor.spawnProcess(p, PY, [PY, "-c", CHILD, str(code)], env=None)
            [reason] = yield p.done
            log("proc out", p.out, "err", p.err)
            log(
                "reason check",
                reason.check(error.ProcessDone) is not None,
                reason.check(error.ProcessTerminated) is not None,
            )

        p = Collect()
        p.connectionMade = lambda: None
        # Killed child: its stdin closing and its exit race; nothing orders them.
        p.quiet = True
        t = reactor.spawnProcess(p, PY, [PY, "-c", "import time; time.sleep(30)"], env=None)
        t.signalProcess("TERM")
        [reason] = yield p.done
        log("signalled", reason.type.__name__, reason.value.exitCode, reason.value.signal)
        log("signalled str", str(reason.value).replace(str(t.pid), "PID"))
        try:
            t.signalProcess("TERM")
        except error.ProcessExitedAlready:
            log("ProcessExitedAlready")
        out = yield utils.getProcessOutput(PY, ["-c", "print('hello out')"], env=None)
        log("getProcessOutput", out)
        res = yield utils.getProcessOutputAndValue(
            PY, ["-c", "import sys; print('o'); sys.stderr.write('e'); sys.exit(2)"], env=None
        )
        log("getProcessOutputAndValue", res)
        code = yield utils.getProcessValue(PY, ["-c", "raise SystemExit(7)"], env=None)
        log("getProcessValue", code)
        try:
            yield utils.getProcessOutput(PY, ["-c", "import sys; sys.stderr.write('x')"], env=None)
        except Exception as e:
            log("getProcessOutput stderr", type(e).__name__)
    finally:
        reactor.stop()


reactor.callWhenRunning(main)
reactor.run()
