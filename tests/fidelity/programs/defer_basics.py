"""Deferred howto basics: callbacks, errbacks, Failure, succeed/fail, maybeDeferred."""

from twisted.internet import defer
from twisted.python import failure


def show(label, value):
    print(label, repr(value))


# callback chain ordering and value passing
d = defer.Deferred()
d.addCallback(lambda r: r + 1)
d.addCallback(lambda r: r * 2)
d.addBoth(lambda r: show("chain", r) or r)
print("called before", d.called)
d.callback(1)
print("called after", d.called)


# errback path, trap, getErrorMessage, check, type/value
def eb(f):
    print("eb type", f.type.__name__, "value", repr(f.value))
    print("eb msg", f.getErrorMessage())
    print("eb check", f.check(KeyError, ValueError).__name__, f.check(TypeError))
    f.trap(ValueError)
    return "recovered"


d = defer.fail(ValueError("boom"))
d.addErrback(eb)
d.addCallback(lambda r: show("after eb", r))

# exception inside callback becomes Failure
d = defer.succeed(3)
d.addCallback(lambda r: 1 / 0)
d.addCallbacks(lambda r: show("no", r), lambda f: show("zde", f.type.__name__))

# trap re-raising the failure
d = defer.fail(KeyError("k"))
d.addErrback(lambda f: f.trap(ValueError))
d.addErrback(lambda f: show("untrapped", f.type.__name__))

# addCallbacks with args
d = defer.succeed("x")
d.addCallbacks(
    lambda r, a, b=None: show("cb args", (r, a, b)),
    lambda f: None,
    callbackArgs=(1,),
    callbackKeywords={"b": 2},
)

# maybeDeferred
for fn in (lambda: 5, lambda: 1 / 0, lambda: defer.succeed(6), lambda: defer.fail(KeyError("z"))):
    md = defer.maybeDeferred(fn)
    md.addCallbacks(lambda r: show("maybe ok", r), lambda f: show("maybe err", f.type.__name__))

# chaining a Deferred returned from a callback
outer = defer.Deferred()
inner = defer.Deferred()
outer.addCallback(lambda r: inner)
outer.addCallback(lambda r: show("outer got", r))
outer.callback("first")
print("outer paused, called", outer.called)
inner.callback("inner-value")

# AlreadyCalledError
d = defer.succeed(1)
try:
    d.callback(2)
except defer.AlreadyCalledError as e:
    print("already called", type(e).__name__, isinstance(e, Exception))

# Failure from an exception, str and repr-ish facts
try:
    raise RuntimeError("explicit")
except RuntimeError:
    f = failure.Failure()
print("failure type", f.type is RuntimeError, f.getErrorMessage())
print("failure value", repr(f.value))
f2 = failure.Failure(ValueError("direct"))
try:
    f2.raiseException()
except ValueError as e:
    print("raised", repr(e))
print("failure tb lines >0", len(f.getTraceback().splitlines()) > 0)

# errback with non-Failure exception instance
d = defer.Deferred()
d.addErrback(lambda f: show("wrapped", (type(f).__name__, f.type.__name__)))
d.errback(KeyError("q"))

# pause/unpause
d = defer.Deferred()
d.addCallback(lambda r: show("paused cb", r))
d.pause()
d.callback("p")
print("before unpause")
d.unpause()

# result attribute after fire
d = defer.succeed(10)
print("result attr", d.result)
