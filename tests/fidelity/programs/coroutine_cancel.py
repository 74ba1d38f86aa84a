"""Cancelling the Deferred of a coroutine (ensureDeferred) cancels the Deferred the coroutine
is awaiting, as the Deferred howto's cancellation section describes: its canceller runs and
the coroutine sees the cancellation where it awaits."""

from twisted.internet import defer, reactor, task

seen = []


async def waits(label):
    try:
        await defer.Deferred(lambda d: seen.append(label + ": awaited canceller ran"))
    except BaseException:
        # Twisted raises defer.CancelledError here; only the fact of cancellation is compared.
        seen.append(label + ": coroutine saw a cancellation")
        raise
    seen.append(label + ": not reached")


async def nested():
    await defer.ensureDeferred(waits("nested"))


@defer.inlineCallbacks
def main():
    for label, make in (("direct", lambda: waits("direct")), ("outer", nested)):
        d = defer.ensureDeferred(make())
        reactor.callLater(0.01, d.cancel)
        try:
            yield d
        except defer.CancelledError:
            seen.append(label + ": Deferred failed with CancelledError")
    # bridge fails the cancelled Deferred at once and the coroutine sees the cancellation on
    # the next loop turn (docs/porting.md): let that happen, and compare the lines sorted.
    yield task.deferLater(reactor, 0.05, lambda: None)
    for line in sorted(seen):
        print(line)


def finish(result):
    reactor.stop()


reactor.callWhenRunning(lambda: main().addBoth(finish))
reactor.run()
