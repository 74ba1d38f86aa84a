"""Report errors nobody can receive (exceptions in scheduled calls, triggers, descriptors)."""

from __future__ import annotations

import logging

__all__ = ["log_error"]

_logger = logging.getLogger("bridge")


def log_error(why: str) -> None:
    """Log the exception being handled, with its traceback, through ``bridge.log.err``.

    Must be called from inside an ``except`` block.
    """
    try:
        from bridge import log
        from bridge.failure import Failure
    except ImportError:  # bridge.log not available yet: fall back to the same stdlib logger
        _logger.error(why, exc_info=True)
        return
    log.err(Failure(), why)
