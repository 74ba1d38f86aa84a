"""Thread pools: getThreadPool, suggestThreadPoolSize, deferToThreadPool, callFromThread
order, callMultipleInThread, ThreadPool start/stop."""

import threading

from twisted.internet import defer, task, threads
from twisted.python import threadpool


def log(*a):
    print(*a)


async def main(reactor):
    pool = reactor.getThreadPool()
    log("reactor pool type", type(pool).__name__, pool.min, pool.max)
    reactor.suggestThreadPoolSize(4)
    log("suggested max", pool.max)

    order = []
    done = defer.Deferred()

    def worker():
        for i in range(5):
            reactor.callFromThread(order.append, i)
        reactor.callFromThread(done.callback, None)

    reactor.callInThread(worker)
    await done
    log("callFromThread order", order)

    own = threadpool.ThreadPool(minthreads=1, maxthreads=2, name="own")
    own.start()
    log("own pool started", own.started, own.name)
    r = await threads.deferToThreadPool(
        reactor, own, lambda: "own" in threading.current_thread().name
    )
    log("deferToThreadPool in own pool thread", r)
    try:
        await threads.deferToThreadPool(reactor, own, int, "x")
    except ValueError as e:
        log("deferToThreadPool error", type(e).__name__)
    own.stop()
    log("own pool stopped", own.started, own.joined)

    seen = []
    finished = defer.Deferred()
    threads.callMultipleInThread(
        [
            (seen.append, ("first",), {}),
            (seen.append, ("second",), {}),
            (reactor.callFromThread, (finished.callback, None), {}),
        ]
    )
    await finished
    log("callMultipleInThread", seen)
    results = await defer.gatherResults([threads.deferToThread(pow, 2, i) for i in range(6)])
    log("many deferToThread", results)
    await task.deferLater(reactor, 0, lambda: None)


task.react(lambda reactor: defer.ensureDeferred(main(reactor)))
