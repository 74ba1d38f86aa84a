"""Property tests: random operation sequences against a reference model and real Twisted."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.internet import defer as tdefer
from twisted.python import failure as tfailure

from bridge import defer as bdefer
from bridge.failure import Failure


class Boom(Exception):
    pass


# An operation is a tuple; the same sequence is applied to each implementation.
simple_ops = st.one_of(
    st.tuples(st.just("add"), st.integers(-5, 5)),
    st.tuples(st.just("raise"), st.integers(0, 3)),
    st.tuples(st.just("recover"), st.integers(-5, 5)),
    st.tuples(st.just("both"), st.just(0)),
    st.tuples(st.just("pause"), st.just(0)),
    st.tuples(st.just("unpause"), st.just(0)),
    st.tuples(st.just("callback"), st.integers(-5, 5)),
    st.tuples(st.just("errback"), st.integers(0, 3)),
)


def _describe(result: Any) -> Any:
    if isinstance(result, (Failure, tfailure.Failure)):
        return ("failure", result.type.__name__, str(result.value))
    return ("value", result)


def run_on(mod: Any, ops: list[tuple[str, int]], trace: list[Any]) -> Any:
    """Apply *ops* to a Deferred of *mod*; record every callback invocation in *trace*."""
    d = mod.Deferred()
    paused = 0
    fired = False
    for index, (op, arg) in enumerate(ops):
        if op == "add":
            d.addCallback(lambda r, i=index, a=arg: trace.append((i, "add", r)) or r + a)
        elif op == "raise":

            def raiser(r: Any, i: int = index, a: int = arg) -> Any:
                trace.append((i, "raise", r))
                raise Boom(str(a))

            d.addCallback(raiser)
        elif op == "recover":
            d.addErrback(lambda f, i=index, a=arg: trace.append((i, "recover", _describe(f))) or a)
        elif op == "both":
            d.addBoth(lambda r, i=index: trace.append((i, "both", _describe(r))) or r)
        elif op == "pause":
            d.pause()
            paused += 1
        elif op == "unpause" and paused:
            d.unpause()
            paused -= 1
        elif op == "callback" and not fired:
            fired = True
            d.callback(arg)
        elif op == "errback" and not fired:
            fired = True
            d.errback(Boom(str(arg)))
    while paused:
        d.unpause()
        paused -= 1
    final: list[Any] = []
    d.addBoth(lambda r: final.append(_describe(r)))
    return final[0] if final else ("no result",)


def model(ops: list[tuple[str, int]], trace: list[Any]) -> Any:
    """The reference: a queue of pending steps run in order whenever fired and unpaused."""
    queue: list[tuple[int, str, int]] = []
    state: dict[str, Any] = {"fired": False, "paused": 0, "ok": True, "value": None}

    def run() -> None:
        if not state["fired"] or state["paused"]:
            return
        while queue:
            i, op, arg = queue.pop(0)
            ok, value = state["ok"], state["value"]
            if op == "add" and ok:
                trace.append((i, "add", value))
                state["value"] = value + arg
            elif op == "raise" and ok:
                trace.append((i, "raise", value))
                state["ok"], state["value"] = False, ("failure", "Boom", str(arg))
            elif op == "recover" and not ok:
                trace.append((i, "recover", value))
                state["ok"], state["value"] = True, arg
            elif op == "both":
                trace.append((i, "both", ("value", value) if ok else value))

    for index, (op, arg) in enumerate(ops):
        if op in ("add", "raise", "recover", "both"):
            queue.append((index, op, arg))
            run()
        elif op == "pause":
            state["paused"] += 1
        elif op == "unpause" and state["paused"]:
            state["paused"] -= 1
            run()
        elif op in ("callback", "errback") and not state["fired"]:
            state["fired"] = True
            if op == "callback":
                state["value"] = arg
            else:
                state["ok"], state["value"] = False, ("failure", "Boom", str(arg))
            run()
    state["paused"] = 0
    run()
    if not state["fired"]:
        return ("no result",)
    return ("value", state["value"]) if state["ok"] else state["value"]


@settings(max_examples=200, deadline=None)
@given(st.lists(simple_ops, max_size=25))
def test_chain_matches_reference_model(ops: list[tuple[str, int]]) -> None:
    expected_trace: list[Any] = []
    actual_trace: list[Any] = []
    expected = model(ops, expected_trace)
    actual = run_on(bdefer, ops, actual_trace)
    assert actual_trace == expected_trace
    assert actual == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(simple_ops, max_size=25))
def test_chain_matches_twisted(ops: list[tuple[str, int]]) -> None:
    twisted_trace: list[Any] = []
    bridge_trace: list[Any] = []
    assert run_on(bdefer, ops, bridge_trace) == run_on(tdefer, ops, twisted_trace)
    assert bridge_trace == twisted_trace


# Nesting: callbacks that return other Deferreds, fired later in random order.
nested_ops = st.one_of(
    simple_ops,
    st.tuples(st.just("return_pending"), st.integers(0, 0)),
    st.tuples(st.just("return_fired"), st.integers(-5, 5)),
    st.tuples(st.just("fire_inner"), st.integers(0, 5)),
    st.tuples(st.just("fail_inner"), st.integers(0, 5)),
    st.tuples(st.just("cancel"), st.just(0)),
)


def run_nested(mod: Any, ops: list[tuple[str, int]], trace: list[Any]) -> Any:
    d = mod.Deferred()
    inners: list[Any] = []
    paused = 0
    fired = False
    for index, (op, arg) in enumerate(ops):
        if op == "return_pending":

            def make_pending(r: Any, i: int = index) -> Any:
                trace.append((i, "return_pending", r))
                inner = mod.Deferred()
                inners.append(inner)
                return inner

            d.addCallback(make_pending)
        elif op == "return_fired":
            d.addCallback(
                lambda r, i=index, a=arg: trace.append((i, "return_fired", r)) or mod.succeed(a)
            )
        elif op in ("fire_inner", "fail_inner"):
            pending = [x for x in inners if not x.called]
            if pending:
                target = pending[arg % len(pending)]
                if op == "fire_inner":
                    target.callback(arg)
                else:
                    target.errback(Boom(str(arg)))
        elif op == "cancel":
            d.cancel()
            fired = True
        elif op == "add":
            d.addCallback(lambda r, i=index, a=arg: trace.append((i, "add", r)) or r + a)
        elif op == "raise":

            def raiser(r: Any, i: int = index, a: int = arg) -> Any:
                trace.append((i, "raise", r))
                raise Boom(str(a))

            d.addCallback(raiser)
        elif op == "recover":
            d.addErrback(lambda f, i=index, a=arg: trace.append((i, "recover", _describe(f))) or a)
        elif op == "both":
            d.addBoth(lambda r, i=index: trace.append((i, "both", _describe(r))) or r)
        elif op == "pause":
            d.pause()
            paused += 1
        elif op == "unpause" and paused:
            d.unpause()
            paused -= 1
        elif op == "callback" and not fired:
            fired = True
            d.callback(arg)
        elif op == "errback" and not fired:
            fired = True
            d.errback(Boom(str(arg)))
    while paused:
        d.unpause()
        paused -= 1
    final: list[Any] = []
    d.addBoth(lambda r: final.append(_describe(r)))
    for inner in inners:
        if not inner.called:
            inner.cancel()
        inner.addErrback(lambda f: None)
    return final[0] if final else ("no result",)


@settings(max_examples=200, deadline=None)
@given(st.lists(nested_ops, max_size=30))
def test_nested_chains_match_twisted(ops: list[tuple[str, int]]) -> None:
    twisted_trace: list[Any] = []
    bridge_trace: list[Any] = []
    twisted_final = run_nested(tdefer, ops, twisted_trace)
    bridge_final = run_nested(bdefer, ops, bridge_trace)
    assert bridge_trace == twisted_trace
    assert bridge_final == twisted_final
