"""task.react exit statuses and what reaches stderr, plus errors nobody handles
(exceptions in callLater functions, unhandled Deferred failures). Each scenario runs in a
child started the way this program was started (sys.orig_argv: plain Python or bridge run)."""

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from twisted.internet import defer, task


def scenario(name):
    from twisted.internet import reactor

    if name == "fail":
        task.react(lambda r: defer.fail(ValueError("main failed")))
    elif name == "raise":

        def main(r):
            raise KeyError("raised in main")

        task.react(main)
    elif name == "sysexit":
        task.react(lambda r: task.deferLater(r, 0.01, sys.exit, 3))
    elif name == "calllater_error":

        def boom():
            raise RuntimeError("boom in callLater")

        reactor.callLater(0, boom)
        reactor.callLater(0.02, print, "still running after error")
        reactor.callLater(0.03, reactor.stop)
        reactor.run()
        print("exited run")
    elif name == "unhandled":

        def make():
            defer.fail(ZeroDivisionError("nobody handled me"))

        make()
        import gc

        gc.collect()
        print("after gc")


SCENARIOS = ["fail", "raise", "sysexit", "calllater_error", "unhandled"]

if len(sys.argv) > 1:
    scenario(sys.argv[1])
else:
    argv = list(sys.orig_argv)
    argv[0] = sys.executable

    def child(name):
        return subprocess.run([*argv, name], capture_output=True, text=True, timeout=30)

    with ThreadPoolExecutor(max_workers=4) as pool:
        procs = list(pool.map(child, SCENARIOS))
    for name, proc in zip(SCENARIOS, procs, strict=True):
        err = proc.stderr
        print(f"{name}: exit {proc.returncode}; stdout {proc.stdout.splitlines()}")
        print(
            "   stderr: traceback", "Traceback" in err,
            "| mentions", [w for w in ("ValueError", "KeyError", "RuntimeError",
                                       "ZeroDivisionError", "CancelledError", "SystemExit",
                                       "Unhandled error in Deferred", "Unhandled Error",
                                       "main failed", "boom in callLater", "nobody handled me")
                           if w in err],
        )  # fmt: skip
