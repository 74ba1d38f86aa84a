"""Version checks for Python and uvloop, kept in one place.

Everything in bridge that depends on the interpreter or on the uvloop version asks this
module instead of testing ``sys.version_info`` itself.
"""

from __future__ import annotations

import sys
import time
from asyncio import AbstractEventLoop

__all__ = [
    "PY311",
    "PY312",
    "PY313",
    "clock_resolution",
    "is_uvloop",
    "uvloop_available",
    "uvloop_version",
]

#: True on Python 3.11 and later (``asyncio.timeout``, ``TaskGroup``, ``except*``).
PY311 = sys.version_info >= (3, 11)
#: True on Python 3.12 and later (eager tasks: ``asyncio.Task(..., eager_start=True)``).
PY312 = sys.version_info >= (3, 12)
#: True on Python 3.13 and later.
PY313 = sys.version_info >= (3, 13)

_MONOTONIC_RESOLUTION = time.get_clock_info("monotonic").resolution


def uvloop_version() -> tuple[int, ...] | None:
    """Return the installed uvloop version as a tuple of ints, or None without uvloop."""
    try:
        from importlib.metadata import PackageNotFoundError, version

        text = version("uvloop")
    except (ImportError, PackageNotFoundError):
        return None
    parts = []
    for piece in text.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def uvloop_available() -> bool:
    """Return True when uvloop can be imported."""
    return uvloop_version() is not None


def is_uvloop(loop: AbstractEventLoop) -> bool:
    """Return True when *loop* is a uvloop loop (without importing uvloop)."""
    return type(loop).__module__.split(".", 1)[0] == "uvloop"


def clock_resolution(loop: AbstractEventLoop) -> float:
    """Return the resolution of ``loop.time()`` in seconds.

    .. note:: uvloop's clock advances in whole milliseconds; the stdlib loop uses
       ``time.monotonic()``.
    """
    if is_uvloop(loop):
        return 1e-3
    return float(_MONOTONIC_RESOLUTION)


# --- twisted-name aliases (H7) ---
