"""Synchronous assertions on Deferreds, in the spirit of trial's successResultOf."""

from __future__ import annotations

from typing import Any, TypeVar

from bridge.defer import Deferred
from bridge.failure import Failure

__all__ = ["assert_no_result", "failure_result_of", "success_result_of"]

T = TypeVar("T")

_NOTHING = object()


def _take(d: Deferred[Any]) -> Any:
    box: list[Any] = []

    def observe(result: Any) -> Any:
        box.append(result)
        return result

    d.addBoth(observe)
    if not box:
        return _NOTHING
    if isinstance(box[0], Failure):
        # The failure is reported by the assertion (or returned): don't log it again at GC.
        d.addErrback(lambda _: None)
    return box[0]


def success_result_of(d: Deferred[T]) -> T:
    """Return the result *d* already has; fail the test if it has none or failed."""
    result = _take(d)
    if result is _NOTHING:
        raise AssertionError(f"success result expected on {d!r}, found no result instead")
    if isinstance(result, Failure):
        raise AssertionError(
            f"success result expected on {d!r}, found failure result instead:\n"
            + result.getTraceback()
        )
    return result  # type: ignore[no-any-return]


def failure_result_of(d: Deferred[Any], *expected: type[BaseException]) -> Failure:
    """Return the Failure *d* already has; fail the test if it has none or succeeded.

    :param expected: if given, the failure must match one of these exception types.
    """
    result = _take(d)
    if result is _NOTHING:
        raise AssertionError(f"failure result expected on {d!r}, found no result instead")
    if not isinstance(result, Failure):
        raise AssertionError(
            f"failure result expected on {d!r}, found success result ({result!r}) instead"
        )
    if expected and not result.check(*expected):
        names = " or ".join(e.__name__ for e in expected)
        raise AssertionError(
            f"failure of type {names} expected on {d!r}, found {result.type.__name__} "
            f"instead:\n" + result.getTraceback()
        )
    return result


def assert_no_result(d: Deferred[Any]) -> None:
    """Fail the test if *d* already has a result (a failure result is then consumed)."""
    result = _take(d)
    if result is not _NOTHING:
        if isinstance(result, Failure):
            raise AssertionError(
                f"no result expected on {d!r}, found failure result instead:\n"
                + result.getTraceback()
            )
        raise AssertionError(f"no result expected on {d!r}, found {result!r} instead")
