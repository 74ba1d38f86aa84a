"""str() of an IDelayedCall (what Twisted prints for pending calls, e.g. in trial's
dirty-reactor report)."""

from twisted.internet import task


def work(x, y=None):
    pass


clock = task.Clock()
dc = clock.callLater(5, work, "x", y=2)
print(str(dc))
clock.advance(2)
print(str(dc))
dc.cancel()
print(str(dc))
dc2 = clock.callLater(1, work, 1)
clock.advance(1)
print(str(dc2))
