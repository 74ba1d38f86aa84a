"""The "Deferred reference" howto: chaining, DeferredList and gatherResults recipes,
cancellation, timeouts on a Clock, pause/unpause and the concurrency helpers."""

from twisted.internet import defer, task
from twisted.python import failure


def show(label, *values):
    print(label, *values)


# -- a callback returning a Deferred: the outer chain waits for it -----------------------
inner = defer.Deferred()
outer = defer.succeed(1)
outer.addCallback(lambda r: inner)
outer.addCallback(lambda r: show("chained result", r))
show("outer waits", outer.called, repr(outer.result is inner))
inner.callback("from inner")
show("outer done", outer.called, outer.result)

# chainDeferred: one Deferred's result feeds another
a, b = defer.Deferred(), defer.Deferred()
a.chainDeferred(b)
b.addCallback(lambda r: show("chainDeferred", r))
a.callback("passed on")

# -- callbacks and errbacks alternate as the result changes type ---------------------------
d = defer.Deferred()
d.addCallback(lambda r: show("cb1", r) or r)
d.addErrback(lambda f: show("eb1 not called") or "x")
d.addCallback(lambda r: 1 / 0)
d.addCallback(lambda r: show("cb skipped"))
d.addErrback(lambda f: show("eb2", f.type.__name__) or "recovered")
d.addBoth(lambda r: show("both", r))
d.callback("start")

# -- DeferredList recipes --------------------------------------------------------------------
d1, d2, d3 = defer.Deferred(), defer.Deferred(), defer.Deferred()
dl = defer.DeferredList([d1, d2, d3], consumeErrors=True)
dl.addCallback(
    lambda results: [show("dl item", ok, (r if ok else r.type.__name__)) for ok, r in results]
)
d3.callback("three")
d1.errback(ValueError("one"))
d2.callback("two")
show("SUCCESS/FAILURE", defer.SUCCESS, defer.FAILURE)

first = defer.Deferred()
second = defer.Deferred()
dl = defer.DeferredList([first, second], fireOnOneCallback=True)
dl.addCallback(lambda r: show("fireOnOneCallback", r))
second.callback("winner")
first.callback("late")

bad = defer.Deferred()
other = defer.Deferred()
dl = defer.DeferredList([other, bad], fireOnOneErrback=True, consumeErrors=True)


def first_error(f):
    f.trap(defer.FirstError)
    show(
        "FirstError",
        f.value.index,
        f.value.subFailure.type.__name__,
        f.value.subFailure.getErrorMessage(),
    )


dl.addErrback(first_error)
bad.errback(KeyError("k"))
other.callback(None)

empty = defer.DeferredList([])
empty.addCallback(lambda r: show("empty DeferredList", r))

# gatherResults: the results in order, or the first failure wrapped in FirstError
g = defer.gatherResults([defer.succeed(1), defer.succeed(2), defer.succeed(3)])
g.addCallback(lambda r: show("gatherResults", r))
g = defer.gatherResults([defer.succeed(1), defer.fail(RuntimeError("no"))], consumeErrors=True)
g.addErrback(
    lambda f: show(
        "gather failed", f.type.__name__, f.value.subFailure.type.__name__, f.value.index
    )
)


# -- cancellation --------------------------------------------------------------------------
def canceller(d):
    show("canceller called", d.called)


d = defer.Deferred(canceller)
d.addErrback(lambda f: show("cancelled with", f.type.__name__))
d.cancel()
show("after cancel", d.called)

# a canceller that fires the Deferred itself
d = defer.Deferred(lambda d: d.callback("cancel gave a value"))
d.addCallback(lambda r: show("cancel result", r))
d.cancel()

# cancelling a fired Deferred does nothing; cancelling the outer one cancels the inner one
d = defer.succeed("already")
d.cancel()
d.addCallback(lambda r: show("cancel after fire", r))
inner = defer.Deferred(lambda d: show("inner cancelled"))
outer = defer.succeed(None)
outer.addCallback(lambda r: inner)
outer.addErrback(lambda f: show("outer failure", f.type.__name__))
outer.cancel()

# cancelling a DeferredList cancels its members
m1, m2 = (
    defer.Deferred(lambda d: show("member 1 cancelled")),
    defer.Deferred(lambda d: show("member 2 cancelled")),
)
dl = defer.DeferredList([m1, m2], consumeErrors=True)
dl.addCallback(lambda r: show("list after cancel", [(ok, v.type.__name__) for ok, v in r]))
dl.cancel()

# -- timeouts, driven by a Clock -------------------------------------------------------------
clock = task.Clock()
d = defer.Deferred()
d.addTimeout(5, clock)
d.addErrback(lambda f: show("timed out", f.type.__name__, f.value.args))
clock.advance(4)
show("before timeout", d.called)
clock.advance(1)

d = defer.Deferred()
d.addTimeout(5, clock, onTimeoutCancel=lambda result, timeout: f"custom {timeout}")
d.addCallback(lambda r: show("onTimeoutCancel", r))
clock.advance(5)

d = defer.Deferred()
d.addTimeout(5, clock)
d.callback("in time")
d.addCallback(lambda r: show("no timeout", r, len(clock.getDelayedCalls())))

# -- pause/unpause ---------------------------------------------------------------------------
d = defer.Deferred()
d.addCallback(lambda r: show("ran after unpause", r))
d.pause()
d.callback("paused value")
show("paused called", d.called, d.paused)
d.unpause()

# -- maybeDeferred, execute, race ------------------------------------------------------------
defer.maybeDeferred(lambda: "plain").addCallback(lambda r: show("maybeDeferred", r))
defer.maybeDeferred(lambda: 1 / 0).addErrback(
    lambda f: show("maybeDeferred raise", f.type.__name__)
)
defer.execute(lambda x: x * 2, 21).addCallback(lambda r: show("execute", r))
r1, r2 = defer.Deferred(lambda d: show("race loser cancelled")), defer.Deferred()
defer.race([r1, r2]).addCallback(lambda r: show("race", r))
r2.callback("fast")

# -- DeferredLock, DeferredSemaphore, DeferredQueue -----------------------------------------
lock = defer.DeferredLock()
order = []


def hold(name):
    order.append(("start", name))
    d = defer.Deferred()
    clock.callLater(1, d.callback, name)
    return d.addCallback(lambda r: order.append(("end", r)))


lock.run(hold, "a")
lock.run(hold, "b")
show("lock locked", lock.locked, "waiting", len(lock.waiting))
clock.advance(1)
clock.advance(1)
show("lock order", order, lock.locked)

sem = defer.DeferredSemaphore(2)
results = defer.gatherResults([sem.run(lambda i=i: i * 10) for i in range(4)])
results.addCallback(lambda r: show("semaphore", r, sem.tokens, sem.limit))

q = defer.DeferredQueue()
q.get().addCallback(lambda r: show("queue got", r))
q.put("item 1")
q.put("item 2")
q.get().addCallback(lambda r: show("queue got", r))
small = defer.DeferredQueue(size=1)
small.put(1)
try:
    small.put(2)
except defer.QueueOverflow:
    show("QueueOverflow")

# -- Failure travelling through a chain ------------------------------------------------------
d = defer.Deferred()
d.addErrback(
    lambda f: show(
        "Failure arrives",
        isinstance(f, failure.Failure),
        f.check(ZeroDivisionError) is ZeroDivisionError,
    )
)
try:
    1 / 0  # noqa: B018
except ZeroDivisionError:
    d.errback()
show("done")
