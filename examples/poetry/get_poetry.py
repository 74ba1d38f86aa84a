"""The poetry client: download poems from several slow servers at once.

A :class:`PoetryProtocol` collects the bytes of one poem; its :class:`PoetryClientFactory`
owns a Deferred that fires with the poem when the server hangs up (or fails if the connection
could not be made). :func:`get_poetry` hides all that behind one call returning a Deferred,
and :func:`get_poems` waits for several at once with ``DeferredList``.

Usage::

    python examples/poetry/get_poetry.py 127.0.0.1:10000 10001 ...

With no address it starts slow poetry servers for the bundled poems in the same process first
(see ``slowpoetry.py``), downloads them, and exits.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from bridge import defer, protocol


class PoetryProtocol(protocol.Protocol):
    """Accumulate the poem; hand it to the factory when the server closes the connection."""

    factory: PoetryClientFactory

    def connectionMade(self) -> None:
        self._chunks: list[bytes] = []

    def dataReceived(self, data: bytes) -> None:
        self._chunks.append(data)

    def connectionLost(self, reason: object = None) -> None:
        self.factory.poem_finished(b"".join(self._chunks))


class PoetryClientFactory(protocol.ClientFactory):
    """Make one connection's protocol and fire :attr:`deferred` exactly once."""

    protocol = PoetryProtocol

    def __init__(self) -> None:
        self.deferred: defer.Deferred[bytes] | None = defer.Deferred()

    def poem_finished(self, poem: bytes) -> None:
        if self.deferred is not None:
            d, self.deferred = self.deferred, None
            d.callback(poem)

    def clientConnectionFailed(self, connector: Any, reason: Any) -> None:
        if self.deferred is not None:
            d, self.deferred = self.deferred, None
            d.errback(reason)


def get_poetry(host: str, port: int) -> defer.Deferred[bytes]:
    """Download one poem from ``host:port``; return a Deferred that fires with its bytes."""
    from bridge import reactor

    factory = PoetryClientFactory()
    deferred = factory.deferred
    assert deferred is not None
    reactor.connectTCP(host, port, factory)
    return deferred


def parse_address(text: str) -> tuple[str, int]:
    """Turn ``"host:port"`` or ``"port"`` into ``(host, port)`` (host defaults to 127.0.0.1)."""
    host, _, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


def get_poems(addresses: list[tuple[str, int]]) -> defer.Deferred[list[Any]]:
    """Fetch every poem concurrently; print each as it arrives with its timing.

    The returned Deferred fires with DeferredList's ``[(success, poem_or_failure), ...]``.
    """
    start = time.perf_counter()

    def report(poem: bytes, n: int, host: str, port: int) -> bytes:
        elapsed = time.perf_counter() - start
        print(f"--- poem {n} from {host}:{port}: {len(poem)} bytes in {elapsed:.2f} s ---")
        print(poem.decode("utf-8"))
        return poem

    def failed(reason: Any, n: int, host: str, port: int) -> Any:
        print(f"--- poem {n} from {host}:{port} failed: {reason.getErrorMessage()}")
        return reason

    downloads = []
    for n, (host, port) in enumerate(addresses, 1):
        d = get_poetry(host, port)
        d.addCallbacks(report, failed, (n, host, port), None, (n, host, port), None)
        downloads.append(d)
    done: defer.Deferred[list[Any]] = defer.DeferredList(downloads, consumeErrors=True)

    def summary(results: list[Any]) -> list[Any]:
        ok = sum(1 for success, _ in results if success)
        elapsed = time.perf_counter() - start
        print(f"Got {ok} of {len(results)} poems in {elapsed:.2f} s (downloaded concurrently)")
        return results

    return done.addCallback(summary)


def main(argv: list[str]) -> int:
    """Download the poems at the given addresses (or from in-process servers) and stop."""
    from bridge import reactor

    if argv:
        addresses = [parse_address(a) for a in argv]
    else:
        from slowpoetry import POEMS, start_servers

        servers = start_servers(sorted(POEMS.glob("*.txt")))
        addresses = [("127.0.0.1", port.getHost().port) for _, port in servers]

    outcome: list[int] = []

    def finish(results: list[Any]) -> None:
        outcome.append(0 if all(success for success, _ in results) else 1)
        reactor.stop()

    get_poems(addresses).addCallback(finish)
    reactor.run()
    return outcome[0] if outcome else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
