"""inlineCallbacks and coroutines (the howto's examples): return values, exceptions,
cancellation reaching the awaited Deferred, and timeouts, on the real reactor."""

from twisted.internet import defer, reactor, task


def show(*values):
    print(*values)


@defer.inlineCallbacks
def add_slowly(a, b):
    yield task.deferLater(reactor, 0.01, lambda: None)
    x = yield defer.succeed(a)
    y = yield task.deferLater(reactor, 0, lambda: b)
    return x + y


@defer.inlineCallbacks
def legacy_return():
    yield defer.succeed(None)
    defer.returnValue("via returnValue")


@defer.inlineCallbacks
def catches():
    try:
        yield defer.fail(KeyError("inside"))
    except KeyError as e:
        show("caught in generator", repr(e))
    try:
        yield task.deferLater(reactor, 0, lambda: 1 / 0)
    except ZeroDivisionError:
        show("caught deferLater error")
    return "caught all"


@defer.inlineCallbacks
def raises():
    yield defer.succeed(1)
    raise ValueError("from generator")


cancel_seen = []


@defer.inlineCallbacks
def waits_forever():
    d = defer.Deferred(lambda d: cancel_seen.append("inner canceller ran"))
    try:
        yield d
    except defer.CancelledError:
        show("generator saw CancelledError")
        raise


async def coroutine_adds(a, b):
    await task.deferLater(reactor, 0, lambda: None)
    value = await add_slowly(a, b)
    return value * 10


async def coroutine_raises():
    await defer.succeed(None)
    raise RuntimeError("from coroutine")


@defer.inlineCallbacks
def main():
    show("add_slowly", (yield add_slowly(1, 2)))
    show("legacy", (yield legacy_return()))
    show("catches", (yield catches()))
    try:
        yield raises()
    except ValueError as e:
        show("raises", repr(e))

    d = waits_forever()
    reactor.callLater(0.01, d.cancel)
    try:
        yield d
    except defer.CancelledError:
        show("cancelled inlineCallbacks", cancel_seen)

    show("coroutine", (yield defer.ensureDeferred(coroutine_adds(2, 3))))
    show("fromCoroutine", (yield defer.Deferred.fromCoroutine(coroutine_adds(1, 1))))
    try:
        yield defer.ensureDeferred(coroutine_raises())
    except RuntimeError as e:
        show("coroutine raises", repr(e))

    # addTimeout on a slow operation: the Deferred is cancelled and fails with TimeoutError
    slow = task.deferLater(reactor, 10, lambda: "too late")
    slow.addTimeout(0.05, reactor)
    try:
        yield slow
    except defer.TimeoutError as e:
        show("timeout", type(e).__name__, e.args)

    # addTimeout that does not expire
    quick = task.deferLater(reactor, 0.01, lambda: "quick")
    quick.addTimeout(5, reactor)
    show("in time", (yield quick))

    # gatherResults of coroutines and generators together
    results = yield defer.gatherResults(
        [
            defer.ensureDeferred(coroutine_adds(0, 1)),
            add_slowly(5, 5),
            task.deferLater(reactor, 0, lambda: "dl"),
        ]
    )
    show("gathered", results)

    # a DeferredList where one member times out
    members = [
        task.deferLater(reactor, 0, lambda: "ok"),
        defer.Deferred().addTimeout(0.02, reactor),
    ]
    outcome = yield defer.DeferredList(members, consumeErrors=True)
    show("list", [(ok, r if ok else r.type.__name__) for ok, r in outcome])
    show("pending calls", len(reactor.getDelayedCalls()))


def done(result):
    show("main finished", result)
    reactor.stop()


def failed(f):
    show("main failed", f.getTraceback())
    reactor.stop()


reactor.callWhenRunning(lambda: main().addCallbacks(done, failed))
reactor.run()
