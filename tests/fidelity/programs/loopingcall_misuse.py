"""LoopingCall misuse: starting a running call, stopping a stopped one (Twisted asserts)."""

from twisted.internet import task

clock = task.Clock()
lc = task.LoopingCall(lambda: None)
lc.clock = clock
lc.start(1)
try:
    lc.start(1)
except Exception as e:
    print("start twice:", type(e).__name__, isinstance(e, AssertionError))
lc.stop()
try:
    lc.stop()
except Exception as e:
    print("stop twice:", type(e).__name__, isinstance(e, AssertionError))
