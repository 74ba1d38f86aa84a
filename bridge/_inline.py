"""Coroutines, generators and asyncio Futures as Deferreds (filled in below)."""

from __future__ import annotations

from typing import Any

from bridge._defer_core import Deferred


def as_future(d: Deferred[Any], loop: Any) -> Any:
    raise NotImplementedError


def from_future(future: Any) -> Deferred[Any]:
    raise NotImplementedError


def from_coroutine(coro: Any) -> Deferred[Any]:
    raise NotImplementedError
