"""twisted.internet.task as the scheduling howto and its API docs describe it, driven by a
Clock: LoopingCall (attributes, withCount, skipped intervals, Deferred results, failures),
deferLater with cancellation, Cooperator/coiterate, and Clock itself."""

from twisted.internet import defer, task

clock = task.Clock()
print("clock starts", clock.seconds(), clock.rightNow)

# -- LoopingCall ---------------------------------------------------------------------------
calls = []
lc = task.LoopingCall(lambda *a, **kw: calls.append((clock.seconds(), a, kw)), 1, k=2)
lc.clock = clock
print("before start", lc.running, lc.interval, lc.starttime, lc.call, lc.f is not None, lc.a, lc.kw)
done = lc.start(2.0)
print("after start", lc.running, lc.interval, lc.starttime, lc.call is not None, calls)
clock.advance(2)
clock.advance(2)
print("calls", calls)
lc.stop()
print("after stop", lc.running, lc.call)
done.addCallback(lambda r: print("start() Deferred fired with the LoopingCall", r is lc))

# now=False, then a late clock: missed intervals are skipped (withCount reports them)
counts = []
lc = task.LoopingCall.withCount(counts.append)
lc.clock = clock
lc.start(1, now=False)
clock.advance(1)
clock.advance(3.5)
clock.advance(0.5)
lc.stop()
print("withCount", counts, clock.seconds())

# reset() restarts the interval from now
times = []
lc = task.LoopingCall(lambda: times.append(clock.seconds()))
lc.clock = clock
lc.start(2)
clock.advance(1)
lc.reset()
clock.advance(1)
clock.advance(1)
lc.stop()
print("reset", [t - times[0] for t in times])

# a call returning a Deferred: the next call waits for it
pending = []


def slow():
    d = defer.Deferred()
    pending.append(d)
    return d


lc = task.LoopingCall(slow)
lc.clock = clock
lc.start(1)
clock.advance(5)
print("waiting on the Deferred", len(pending), len(clock.getDelayedCalls()))
pending[0].callback(None)
clock.advance(1)
print("after it fired", len(pending))
lc.stop()
pending[-1].callback(None)

# a failing call stops the loop and fails the start() Deferred
state = {"n": 0}


def sometimes():
    state["n"] += 1
    if state["n"] == 3:
        raise ValueError("third call")


lc = task.LoopingCall(sometimes)
lc.clock = clock
d = lc.start(1)
d.addErrback(
    lambda f: print("loop failed", f.type.__name__, f.getErrorMessage(), lc.running, state["n"])
)
clock.pump([1, 1, 1, 1])
print("no more calls", state["n"], clock.getDelayedCalls())

# -- deferLater ----------------------------------------------------------------------------
d = task.deferLater(clock, 3, lambda a, b: a + b, 1, b=2)
d.addCallback(lambda r: print("deferLater", r, clock.seconds()))
clock.advance(3)
d = task.deferLater(clock, 3)
d.addCallback(lambda r: print("deferLater no callable", r))
clock.advance(3)
d = task.deferLater(clock, 3, lambda: 1 / 0)
d.addErrback(lambda f: print("deferLater error", f.type.__name__))
clock.advance(3)
d = task.deferLater(clock, 3, lambda: print("never"))
d.addErrback(lambda f: print("deferLater cancelled", f.type.__name__, len(clock.getDelayedCalls())))
d.cancel()

# -- Clock -----------------------------------------------------------------------------------
seen = []
c = task.Clock()
a = c.callLater(2, seen.append, "a")
b = c.callLater(1, seen.append, "b")
x = c.callLater(3, seen.append, "x")
print("pending", [dc.getTime() for dc in c.getDelayedCalls()], a.active())
x.cancel()
a.delay(2)
b.reset(5)
c.pump([1, 1, 1, 1, 1])
print("clock order", seen, c.seconds(), a.active(), a.called, x.cancelled)

# -- Cooperator / coiterate -------------------------------------------------------------------
ticks = []


def scheduler(x):
    return clock.callLater(0, x)


coop = task.Cooperator(
    scheduler=scheduler,
    terminationPredicateFactory=lambda: lambda: len(ticks) % 2 == 0 and len(ticks) > 0,
)


def work(name, n):
    for i in range(n):
        ticks.append((name, i))
        yield None


t1 = coop.cooperate(work("a", 3))
t2 = coop.cooperate(work("b", 2))
t1.whenDone().addCallback(lambda it: print("a done"))
t2.whenDone().addCallback(lambda it: print("b done"))
for _ in range(6):
    clock.advance(0)
print("cooperated", ticks)

# a generator yielding a Deferred pauses its task until the Deferred fires
gate = defer.Deferred()


def waits():
    ticks.append("before gate")
    yield gate
    ticks.append("after gate")


ticks.clear()
t3 = coop.cooperate(waits())
clock.advance(0)
clock.advance(0)
print("paused on Deferred", ticks)
gate.callback(None)
clock.advance(0)
clock.advance(0)
print("resumed", ticks)

# pause/resume/stop of a task
t4 = coop.cooperate(work("c", 10))
t4.pause()
try:
    t4.resume()
    t4.resume()
except task.NotPaused:
    print("NotPaused")
t4.stop()
t4.whenDone().addErrback(lambda f: print("stopped task", f.type.__name__))
try:
    t4.pause()
except task.TaskStopped:
    print("pause after stop TaskStopped")
coop.stop()
t5 = coop.cooperate(work("d", 1))
t5.whenDone().addErrback(lambda f: print("stopped cooperator", f.type.__name__))
print("cooperator running", coop.running)
print("end", clock.seconds())
