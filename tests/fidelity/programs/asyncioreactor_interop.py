"""asyncio interop under Twisted's asyncio reactor, the documented way.

The program installs asyncioreactor with no loop, so the reactor runs on
asyncio.get_event_loop(): Futures made on that loop before and during the run belong to the
reactor's loop. (Cancelling the Deferred behind asFuture is a documented deliberate
difference, so it is not printed here.)
"""

from twisted.internet import asyncioreactor

asyncioreactor.install()

import asyncio  # noqa: E402 (after asyncioreactor.install(), as Twisted requires)

from twisted.internet import defer, reactor, task  # noqa: E402


async def asyncio_side(n):
    await asyncio.sleep(0.01)
    return n * 2


async def main():
    loop = asyncio.get_event_loop()
    print("same loop:", loop is reactor._asyncioEventloop)
    r = await defer.Deferred.fromFuture(asyncio.ensure_future(asyncio_side(21))).asFuture(loop)
    print("fromFuture(ensure_future):", r)
    d = defer.Deferred()
    reactor.callLater(0.01, d.callback, "fired")
    print("asFuture:", await d.asFuture(loop))
    print("deferLater:", await task.deferLater(reactor, 0.01, lambda: "later").asFuture(loop))
    f3 = loop.create_future()
    d3 = defer.Deferred.fromFuture(f3)
    d3.cancel()
    await asyncio.sleep(0)
    print("fromFuture cancel -> future cancelled:", f3.cancelled())
    d3.addErrback(lambda f: print("fromFuture cancel ->", f.type.__name__))
    await asyncio.sleep(0.01)
    results = await defer.gatherResults(
        [task.deferLater(reactor, 0.01 * i, lambda i=i: i) for i in range(3)]
    ).asFuture(loop)
    print("gatherResults:", results)
    return "done"


def run():
    d = defer.Deferred.fromFuture(asyncio.ensure_future(main()))
    d.addBoth(lambda r: print("main ->", r))
    d.addBoth(lambda _: reactor.stop())


reactor.callWhenRunning(run)
reactor.run()
print("reactor stopped")
