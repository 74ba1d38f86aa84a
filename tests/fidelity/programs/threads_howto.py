"""The threading howto: deferToThread, callInThread/callFromThread, blockingCallFromThread,
callMultipleInThread, and a twisted.python.threadpool.ThreadPool of one's own."""

import threading

from twisted.internet import defer, reactor, threads
from twisted.python import threadpool

main_thread = threading.current_thread()
results = []


def in_thread(x):
    return (x * 2, threading.current_thread() is not main_thread)


def fails_in_thread():
    raise KeyError("thread error")


def uses_reactor_from_thread():
    # blockingCallFromThread: run in the reactor thread, wait for the (Deferred) result
    value = threads.blockingCallFromThread(reactor, lambda: defer.succeed("from reactor"))
    try:
        threads.blockingCallFromThread(reactor, lambda: defer.fail(ValueError("reactor side")))
    except ValueError as e:
        error = repr(e)
    return value, error


@defer.inlineCallbacks
def main():
    print("deferToThread", (yield threads.deferToThread(in_thread, 21)))
    try:
        yield threads.deferToThread(fails_in_thread)
    except KeyError as e:
        print("deferToThread error", repr(e))
    print("blockingCallFromThread", (yield threads.deferToThread(uses_reactor_from_thread)))

    # callInThread + callFromThread: the result comes back to the reactor thread
    d = defer.Deferred()

    def work():
        value = sum(range(10))
        reactor.callFromThread(d.callback, (value, threading.current_thread() is main_thread))

    reactor.callInThread(work)
    print("callInThread/callFromThread", (yield d))

    # callMultipleInThread runs the calls in order, in one thread
    d = defer.Deferred()
    seen = []
    threads.callMultipleInThread(
        [
            (seen.append, ("first",), {}),
            (seen.append, ("second",), {}),
            (reactor.callFromThread, (d.callback, None), {}),
        ]
    )
    yield d
    print("callMultipleInThread", seen)

    # a ThreadPool of our own
    pool = threadpool.ThreadPool(minthreads=1, maxthreads=3, name="mine")
    print("pool before start", pool.min, pool.max, pool.name, pool.started, pool.joined)
    pool.start()
    print("pool started", pool.started)
    outcomes = []
    done = defer.Deferred()

    def on_result(success, result):
        outcomes.append((success, result if success else result.type.__name__))
        if len(outcomes) == 2:
            reactor.callFromThread(done.callback, None)

    pool.callInThreadWithCallback(on_result, lambda: "ok")
    pool.callInThreadWithCallback(on_result, fails_in_thread)
    yield done
    print("callInThreadWithCallback", sorted(outcomes, key=repr))
    print("deferToThreadPool", (yield threads.deferToThreadPool(reactor, pool, in_thread, 5)))
    pool.adjustPoolsize(minthreads=0, maxthreads=2)
    print("adjusted", pool.min, pool.max)
    pool.stop()
    print("pool stopped", pool.started, pool.joined)

    # the reactor's pool is resized with suggestThreadPoolSize
    reactor.suggestThreadPoolSize(4)
    print("reactor pool max", reactor.getThreadPool().max)
    many = yield defer.gatherResults([threads.deferToThread(in_thread, i) for i in range(6)])
    print("many", many)


def finish(result):
    print("finished", result)
    reactor.stop()


def failed(f):
    print("failed", f.getTraceback())
    reactor.stop()


reactor.callWhenRunning(lambda: main().addCallbacks(finish, failed))
reactor.run()
print("after run")
