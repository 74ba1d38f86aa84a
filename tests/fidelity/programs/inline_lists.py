"""inlineCallbacks, ensureDeferred, DeferredList, gatherResults, cancellation, addTimeout, react."""

from twisted.internet import defer, task
from twisted.internet.defer import CancelledError


def show(label, value):
    print(label, repr(value))


@defer.inlineCallbacks
def add_later(clock, a, b):
    yield task.deferLater(clock, 1.0, lambda: None)
    x = yield defer.succeed(a)
    try:
        yield defer.fail(ValueError("inside"))
    except ValueError as e:
        print("caught in inlineCallbacks", repr(e))
    return x + b


async def coro(clock):
    v = await add_later(clock, 2, 3)
    r = await defer.succeed(v * 10)
    return r


def lists(clock):
    # DeferredList default: list of (success, result)
    ds = [defer.succeed(1), defer.fail(KeyError("a")), defer.succeed(3)]
    dl = defer.DeferredList(ds, consumeErrors=True)
    dl.addCallback(
        lambda res: show("DeferredList", [(ok, r if ok else r.type.__name__) for ok, r in res])
    )

    # fireOnOneCallback
    d1, d2 = defer.Deferred(), defer.Deferred()
    dl = defer.DeferredList([d1, d2], fireOnOneCallback=True)
    dl.addCallback(lambda res: show("fireOnOneCallback", res))
    d2.callback("second")
    d1.callback("first")

    # fireOnOneErrback -> FirstError
    d1, d2 = defer.Deferred(), defer.Deferred()
    dl = defer.DeferredList([d1, d2], fireOnOneErrback=True, consumeErrors=True)

    def fe(f):
        print("FirstError", f.type.__name__, f.value.index, f.value.subFailure.type.__name__)

    dl.addErrback(fe)
    d2.errback(ValueError("x"))
    d1.callback(None)

    # gatherResults
    g = defer.gatherResults([defer.succeed(1), defer.succeed(2)])
    g.addCallback(lambda r: show("gatherResults", r))
    g = defer.gatherResults([defer.succeed(1), defer.fail(ZeroDivisionError())], consumeErrors=True)

    def ge(f):
        print("gather err", f.type.__name__, f.value.index, f.value.subFailure.type.__name__)

    g.addErrback(ge)
    g = defer.gatherResults([])
    g.addCallback(lambda r: show("gather empty", r))
    dl = defer.DeferredList([])
    dl.addCallback(lambda r: show("DeferredList empty", r))


def cancellation(clock):
    # Deferred without canceller -> CancelledError
    d = defer.Deferred()
    d.addErrback(lambda f: show("cancelled", (f.type.__name__, bool(f.check(CancelledError)))))
    d.cancel()
    print("called after cancel", d.called)

    # canceller that fires
    calls = []
    d = defer.Deferred(lambda d: calls.append("canceller"))
    d.addErrback(lambda f: show("canceller ran", (calls, f.type.__name__)))
    d.cancel()

    # canceller that calls back with a value
    d = defer.Deferred(lambda d: d.callback("from canceller"))
    d.addCallback(lambda r: show("canceller value", r))
    d.cancel()

    # cancel an already-fired deferred: no-op
    d = defer.succeed(1)
    d.cancel()
    d.addCallback(lambda r: show("cancel fired no-op", r))

    # addTimeout
    d = defer.Deferred()
    d.addTimeout(5, clock)
    d.addErrback(lambda f: show("timeout", (f.type.__name__, f.type.__module__.split(".")[-1])))
    clock.advance(5)

    d = defer.Deferred()
    d.addTimeout(5, clock, onTimeoutCancel=lambda r, t: f"custom-{t}")
    d.addCallback(lambda r: show("timeout custom", r))
    clock.advance(5)

    d = defer.Deferred()
    d.addTimeout(5, clock)
    d.addCallback(lambda r: show("no timeout", r))
    clock.advance(1)
    d.callback("fast")
    print("pending timeout calls", len(clock.getDelayedCalls()))

    # cancel an inlineCallbacks waiting deferred
    waiting = defer.Deferred()

    @defer.inlineCallbacks
    def waiter():
        try:
            yield waiting
        except CancelledError:
            print("inline saw CancelledError")
            raise

    w = waiter()
    w.addErrback(lambda f: show("inline cancelled", f.type.__name__))
    w.cancel()

    # cancel a gatherResults
    a, b = defer.Deferred(), defer.Deferred()
    g = defer.gatherResults([a, b], consumeErrors=True)
    g.addErrback(lambda f: show("gather cancel", f.type.__name__))
    g.cancel()
    print("members cancelled", a.called, b.called)


def main(reactor):
    clock = task.Clock()
    lists(clock)
    cancellation(clock)
    d = defer.ensureDeferred(coro(clock))
    d.addCallback(lambda r: show("coro result", r))
    print("coro pending", d.called)
    clock.advance(1)
    # real reactor time
    d2 = task.deferLater(reactor, 0.01, lambda: "later")
    d2.addCallback(lambda r: show("deferLater", r))

    @defer.inlineCallbacks
    def returning():
        yield d2
        defer.returnValue("rv")

    r = returning()
    r.addCallback(lambda r: show("returnValue", r))
    return r


task.react(main)
