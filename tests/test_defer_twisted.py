"""Differential tests: the same scenario on bridge.defer and on real Twisted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from twisted.internet import defer as tdefer
from twisted.internet import task as ttask
from twisted.python import failure as tfailure

from bridge import defer as bdefer
from bridge.failure import Failure

IMPLS = [pytest.param(bdefer, id="bridge"), pytest.param(tdefer, id="twisted")]


def outcome(d: Any) -> Any:
    box: list[Any] = []
    d.addBoth(box.append)
    if not box:
        return ("pending",)
    r = box[0]
    if isinstance(r, (Failure, tfailure.Failure)):
        inner = r.value
        if type(inner).__name__ == "FirstError":
            return ("failure", "FirstError", inner.index, type(inner.subFailure.value).__name__)
        return ("failure", type(inner).__name__)
    if isinstance(r, list):
        return ("value", [_plain(x) for x in r])
    return ("value", _plain(r))


def _plain(x: Any) -> Any:
    if isinstance(x, tuple):
        return tuple(_plain(y) for y in x)
    if isinstance(x, (Failure, tfailure.Failure)):
        return ("failure", type(x.value).__name__)
    return x


def same(scenario: Callable[[Any], Any]) -> None:
    assert scenario(bdefer) == scenario(tdefer)


def test_await_pending_consumes_fired_keeps() -> None:
    def scenario(m: Any) -> Any:
        pending, fired = m.Deferred(), m.succeed(3)

        async def co() -> Any:
            a = await pending
            b = await fired
            return a + b

        r = m.ensureDeferred(co())
        pending.callback(1)
        return outcome(r), pending.result, fired.result

    same(scenario)


def test_inline_callbacks_consumes_results() -> None:
    def scenario(m: Any) -> Any:
        pending, fired = m.Deferred(), m.succeed(3)

        @m.inlineCallbacks
        def gen() -> Any:
            a = yield pending
            b = yield fired
            c = yield 4
            return a + b + c

        r = gen()
        pending.callback(1)
        return outcome(r), pending.result, fired.result

    same(scenario)


def test_inline_callbacks_cancel_semantics() -> None:
    def scenario(m: Any) -> Any:
        first, second = m.Deferred(), m.Deferred()
        seen: list[str] = []

        @m.inlineCallbacks
        def gen() -> Any:
            try:
                yield first
            except m.CancelledError:
                seen.append("caught")
            x = yield second
            return x

        r = gen()
        r.cancel()
        before = outcome(m.succeed(None)), r.called
        second.callback(5)
        return before, outcome(r), seen

    same(scenario)


@pytest.mark.parametrize(
    "flags",
    [
        {},
        {"consumeErrors": True},
        {"fireOnOneCallback": True},
        {"fireOnOneErrback": True, "consumeErrors": True},
    ],
)
def test_deferred_list_flags(flags: dict[str, bool]) -> None:
    def scenario(m: Any) -> Any:
        a, b, c = m.Deferred(), m.Deferred(), m.Deferred()
        dl = m.DeferredList([a, b, c], **flags)
        b.errback(ValueError("b"))
        c.callback(3)
        a.callback(1)
        members = [outcome(x) for x in (a, b, c)]
        return outcome(dl), members

    same(scenario)


def test_gather_results_first_error() -> None:
    def scenario(m: Any) -> Any:
        a, b = m.Deferred(), m.Deferred()
        g = m.gatherResults([a, b], consumeErrors=True)
        b.errback(KeyError("k"))
        a.callback(1)
        return outcome(g)

    same(scenario)


def test_add_timeout_with_twisted_clock() -> None:
    def scenario(m: Any) -> Any:
        clock = ttask.Clock()
        d = m.Deferred()
        d.addTimeout(2, clock)
        clock.advance(1)
        early = d.called
        clock.advance(1)
        return early, outcome(d)

    same(scenario)


def test_chain_deferred() -> None:
    def scenario(m: Any) -> Any:
        a, b = m.Deferred(), m.Deferred()
        a.chainDeferred(b)
        a.errback(OSError("x"))
        return outcome(a), outcome(b)

    same(scenario)


def test_lock_and_semaphore_order() -> None:
    def scenario(m: Any) -> Any:
        lock = m.DeferredLock()
        order: list[int] = []
        for i in range(3):
            lock.run(lambda i=i: order.append(i))
        sem = m.DeferredSemaphore(2)
        waits = [sem.acquire() for _ in range(3)]
        states = [w.called for w in waits]
        sem.release()
        return order, states, waits[2].called, lock.locked

    same(scenario)


def test_queue() -> None:
    def scenario(m: Any) -> Any:
        q = m.DeferredQueue(size=2, backlog=1)
        g = q.get()
        q.put(1)
        q.put(2)
        q.put(3)
        try:
            q.put(4)
        except m.QueueOverflow:
            overflow = True
        return outcome(g), outcome(q.get()), overflow

    same(scenario)


def test_maybe_deferred_and_execute() -> None:
    def scenario(m: Any) -> Any:
        return (
            outcome(m.maybeDeferred(lambda: 1)),
            outcome(m.maybeDeferred(lambda: 1 / 0)),
            outcome(m.execute(lambda: 2)),
        )

    same(scenario)
