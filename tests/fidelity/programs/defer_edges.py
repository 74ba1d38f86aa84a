"""Less common but documented Deferred behaviour: repr, chaining, long chains, race,
DeferredList without consumeErrors, inlineCallbacks corner cases, coroutine helpers."""

import asyncio

from twisted.internet import defer


def log(*a):
    print(*a)


d = defer.Deferred()
log("repr new", repr(d))
d.callback(5)
log("repr fired", repr(d))
outer = defer.Deferred()
inner = defer.Deferred()
outer.addCallback(lambda _: inner)
outer.callback(None)
log("repr waiting", repr(outer).replace(hex(id(inner)), "INNER"))
inner.callback("done")
log("repr after inner", repr(outer))

# chainDeferred
a, b = defer.Deferred(), defer.Deferred()
a.chainDeferred(b)
b.addCallback(lambda r: log("chained", r))
a.callback("via chain")
log("a result after chain", a.result)

# a long chain of Deferreds returning Deferreds must not overflow the stack
first = defer.Deferred()
tail = first
for _ in range(5000):
    nxt = defer.Deferred()
    tail.addCallback(lambda r, n=nxt: n)
    nxt.callback(None)
    tail = nxt
seen = []
first.addCallback(lambda r: seen.append(r))
first.callback(None)
log("long chain", seen)
n = defer.succeed(0)
for _ in range(5000):
    n.addCallback(lambda r: defer.succeed(r + 1))
log("long callback list", n.result)

# DeferredList without consumeErrors leaves the failure in the original Deferred
bad = defer.fail(ValueError("left"))
dl = defer.DeferredList([bad])
dl.addCallback(lambda r: log("DL", r[0][0], r[0][1].type.__name__))
log("original still failed", type(bad.result).__name__)
bad.addErrback(lambda f: None)
good = defer.fail(ValueError("consumed"))
defer.DeferredList([good], consumeErrors=True)
log("consumed", good.result)

# race
d1, d2 = defer.Deferred(), defer.Deferred()
r = defer.race([d1, d2])
r.addCallback(lambda res: log("race", res))
d2.callback("second wins")
d1.addErrback(lambda f: log("race loser", f.type.__name__))


# inlineCallbacks corners
@defer.inlineCallbacks
def plain_values():
    x = yield 5  # non-Deferred values are sent straight back
    y = yield defer.succeed(6)
    return x + y


plain_values().addCallback(lambda r: log("yield plain value", r))


try:

    @defer.inlineCallbacks
    def not_a_generator():
        return 1

    not_a_generator()
except TypeError as e:
    log("non-generator TypeError", "inlineCallbacks" in str(e) or "generator" in str(e))


@defer.inlineCallbacks
def catches_cancel(waiting):
    try:
        yield waiting
    except defer.CancelledError:
        return "recovered from cancel"


w = defer.Deferred()
c = catches_cancel(w)
c.addBoth(lambda r: log("cancel recovered", r))
c.cancel()


# coroutine helpers
async def coro(x):
    return x * 2


log("fromCoroutine", defer.Deferred.fromCoroutine(coro(4)).result)
dd = defer.succeed(1)
log("ensureDeferred(Deferred) is same", defer.ensureDeferred(dd) is dd)
try:
    defer.ensureDeferred(42)
except defer.NotACoroutineError:
    log("NotACoroutineError")
log("maybeDeferred coroutine fn", defer.maybeDeferred(coro, 5).result)
log("iscoroutine", asyncio.iscoroutinefunction(coro))


async def awaits_failure():
    try:
        await defer.fail(KeyError("awaited"))
    except KeyError as e:
        return "caught " + repr(e)


log("await failure", defer.ensureDeferred(awaits_failure()).result)
log("debugging", defer.getDebugging())
