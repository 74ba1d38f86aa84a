"""mypy infers Deferred types through callbacks, coroutines and helpers."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

SNIPPET = """
from typing_extensions import assert_type
from bridge.defer import Deferred, succeed, ensureDeferred, inlineCallbacks, gatherResults
from bridge.failure import Failure
from bridge import aio

d = succeed(1)
assert_type(d, Deferred[int])
assert_type(d.addCallback(lambda r: str(r)), Deferred[str])
assert_type(d.addCallback(lambda r, k: r + k, 2), Deferred[int])
assert_type(d.addCallback(lambda r: succeed(b"x")), Deferred[bytes])

def recover(f: Failure) -> str:
    return "x"

assert_type(succeed(1).addErrback(recover), Deferred[int | str])

async def co() -> int:
    x = await succeed(2)
    assert_type(x, int)
    return x

assert_type(aio.to_deferred(co()), Deferred[int])
assert_type(gatherResults([succeed(1), succeed(2)]), Deferred[list[int]])

def bad(r: int, k: str) -> None: ...

succeed(1).addCallback(bad, 3)  # E: wrong extra argument type
"""


def test_mypy_infers_deferred_types(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api")
    source = tmp_path / "snippet.py"
    source.write_text(textwrap.dedent(SNIPPET))
    out, _err, _status = api.run(
        ["--strict", "--no-error-summary", "--cache-dir", str(tmp_path / "cache"), str(source)]
    )
    lines = [line for line in out.splitlines() if "error" in line]
    # Exactly one error: the deliberately wrong call on the last line.
    assert len(lines) == 1, out
    last_line = len(textwrap.dedent(SNIPPET).splitlines())
    assert f":{last_line}:" in lines[0] and "addCallback" in lines[0], out
