"""bridge: Twisted's reactor, Deferred and protocol stack on an asyncio event loop."""

from __future__ import annotations

__version__ = "0.1.0"
