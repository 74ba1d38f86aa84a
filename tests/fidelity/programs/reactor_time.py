"""callLater, DelayedCall, Clock, LoopingCall, deferLater, system event triggers, run/stop."""

from twisted.internet import defer, error, reactor, task
from twisted.internet.interfaces import IReactorTime


def log(*a):
    print(*a)


log("IReactorTime reactor", IReactorTime.providedBy(reactor))
log("IReactorTime Clock", IReactorTime.providedBy(task.Clock()))
log("seconds is float", isinstance(reactor.seconds(), float))

# Clock and DelayedCall
clock = task.Clock()
log("clock start", clock.seconds())
calls = []
dc1 = clock.callLater(2, calls.append, "two")
dc2 = clock.callLater(1, calls.append, "one")
dc3 = clock.callLater(1, calls.append, "one-b")
dc4 = clock.callLater(3, calls.append, "three")
log("getTime", dc1.getTime(), "active", dc1.active())
log("pending", len(clock.getDelayedCalls()))
dc4.cancel()
log("cancelled active", dc4.active(), dc4.cancelled, dc4.called)
try:
    dc4.cancel()
except error.AlreadyCancelled as e:
    log("AlreadyCancelled", type(e).__mro__[1].__name__)
clock.advance(1)
log("after 1", calls)
dc1.delay(1)
log("delayed getTime", dc1.getTime())
clock.advance(1.5)
log("after 2.5", calls)
dc1.reset(0.5)
clock.advance(0.5)
log("after reset", calls, dc1.called, dc1.active())
try:
    dc1.cancel()
except error.AlreadyCalled as e:
    log("AlreadyCalled", type(e).__mro__[1].__name__)
clock.pump([1, 1, 1])
log("clock now", clock.seconds())

# LoopingCall on a Clock
counts = []
lc = task.LoopingCall(lambda: counts.append(clock.seconds()))
lc.clock = clock
log("lc running", lc.running)
d = lc.start(2, now=True)
log("lc running", lc.running, counts)
clock.advance(2)
clock.advance(2)
clock.advance(5)
log("lc counts", counts)
lc.stop()
d.addCallback(lambda r: log("lc stopped result is lc", r is lc))

# withCount
skips = []
lc = task.LoopingCall.withCount(lambda n: skips.append(n))
lc.clock = clock
lc.start(1, now=False)
clock.advance(1)
clock.advance(3)
lc.stop()
log("withCount", skips)


# LoopingCall failure
def bad():
    raise ValueError("lc bad")


lc = task.LoopingCall(bad)
lc.clock = clock
d = lc.start(1)
d.addErrback(lambda f: log("lc failed", f.type.__name__, lc.running))

# deferLater on a clock, and cancelling it
d = task.deferLater(clock, 3, lambda x: x * 2, 21)
d.addCallback(lambda r: log("deferLater", r))
clock.advance(3)
d = task.deferLater(clock, 3, log, "never")
d.addErrback(lambda f: log("deferLater cancelled", f.type.__name__))
d.cancel()
log("clock calls left", len(clock.getDelayedCalls()))


# real reactor: ordering of callLater with equal and different delays, triggers
def trig(name):
    def f():
        log("trigger", name)

    return f


reactor.addSystemEventTrigger("before", "shutdown", trig("before shutdown"))
reactor.addSystemEventTrigger("during", "shutdown", trig("during shutdown"))
reactor.addSystemEventTrigger("after", "shutdown", trig("after shutdown"))
reactor.addSystemEventTrigger("before", "startup", trig("before startup"))
reactor.addSystemEventTrigger("after", "startup", trig("after startup"))
reactor.callWhenRunning(log, "callWhenRunning", reactor.running)
for i, delay in enumerate([0.03, 0, 0.01, 0, 0.02, 0.01]):
    reactor.callLater(delay, log, "callLater", i, delay)
dc = reactor.callLater(0.05, log, "cancelled call ran!")
dc.cancel()


def at_end():
    lc2 = task.LoopingCall(lambda: None)
    lc2.start(0.01)
    log("running", reactor.running)
    lc2.stop()
    reactor.stop()
    try:
        reactor.stop()
    except error.ReactorNotRunning as e:
        log("second stop", type(e).__name__)


reactor.callLater(0.1, at_end)
log("before run, running =", reactor.running)
reactor.run()
log("after run, running =", reactor.running)
try:
    reactor.stop()
except error.ReactorNotRunning:
    log("stop after run: ReactorNotRunning")
log("deferred pending check", isinstance(defer.Deferred(), defer.Deferred))
