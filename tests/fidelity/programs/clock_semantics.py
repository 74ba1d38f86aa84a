"""task.Clock corner cases tests rely on: calls added while advancing, equal times, reset
and delay ordering, LoopingCall skipping missed intervals, deferLater/addTimeout on a Clock."""

from twisted.internet import defer, task


def log(*a):
    print(*a)


clock = task.Clock()
order = []


def first():
    order.append(("first", clock.seconds()))
    clock.callLater(0, lambda: order.append(("nested zero", clock.seconds())))
    clock.callLater(1, lambda: order.append(("nested one", clock.seconds())))


clock.callLater(1, first)
clock.callLater(1, lambda: order.append(("second same time", clock.seconds())))
clock.advance(1)
log("after advance(1)", order)
clock.advance(1)
log("after advance(2)", order)

del order[:]
a = clock.callLater(5, order.append, "a")
b = clock.callLater(3, order.append, "b")
a.reset(1)
b.delay(-1)
clock.advance(10)
log("reset/delay order", order)

del order[:]
lc = task.LoopingCall(lambda: order.append(clock.seconds()))
lc.clock = clock
lc.start(1)
clock.advance(3.5)
clock.advance(0.5)
lc.stop()
log("LoopingCall missed intervals", order)

counts = []
lc = task.LoopingCall.withCount(counts.append)
lc.clock = clock
lc.start(1, now=False)
clock.pump([0.5, 0.5, 2.5, 0.5])
lc.stop()
log("withCount after pump", counts)

d = task.deferLater(clock, 1, lambda: "x")
d.addTimeout(2, clock)
clock.advance(1)
log("deferLater beat timeout", d.result, len(clock.getDelayedCalls()))

sleep = defer.Deferred()
clock.callLater(2, sleep.callback, "slept")
log("called early", sleep.called)
clock.advance(2)
log("called", sleep.called, sleep.result)
log("calls", clock.getDelayedCalls())
try:
    task.LoopingCall(lambda: None).start(-1)
except ValueError:
    log("negative interval ValueError")
