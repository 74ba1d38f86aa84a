"""An inlineCallbacks generator (or a Deferred's callback()) handed a Deferred as the final
result: Twisted 26 passes the Deferred object on as the value and does not raise."""

from twisted.internet import defer


@defer.inlineCallbacks
def returns_deferred():
    yield None
    return defer.succeed("inner result")


try:
    returns_deferred().addCallback(lambda r: print("return Deferred ->", type(r).__name__))
except AssertionError:
    print("AssertionError")
d = defer.Deferred()
try:
    d.callback(defer.succeed(1))
    print("callback(Deferred) ->", type(d.result).__name__)
except AssertionError:
    print("callback(Deferred) AssertionError")
