"""Drive asyncio code from Deferred code.

The program is a classic reactor program (``task.react``), and calls asyncio libraries from
its Deferred-based code:

* ``Deferred.fromCoroutine``/``ensureDeferred`` coroutines may ``await asyncio.sleep``,
  ``asyncio.wait_for`` and real asyncio Tasks (Twisted's own trampoline cannot);
* ``bridge.aio.to_deferred`` turns a coroutine, Task or Future into a Deferred for callback
  chains and ``inlineCallbacks``;
* an asyncio streams client (``asyncio.open_connection``) talks to a bridge ``Protocol``
  server on the same loop;
* cancelling the Deferred cancels the asyncio task behind it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any

from bridge import aio, defer, protocol, task


class Upper(protocol.Protocol):
    """A bridge server protocol: reply with the line upper-cased."""

    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data.upper())


async def asyncio_client(port: int, text: str) -> str:
    """Plain asyncio code: a streams client."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(text.encode() + b"\n")
    reply = await reader.readline()
    writer.close()
    await writer.wait_closed()
    return reply.decode().strip()


async def coroutine_with_asyncio(port: int) -> str:
    """A coroutine run by ensureDeferred that uses asyncio freely."""
    await asyncio.sleep(0.01)
    current = asyncio.current_task()
    reply = await asyncio.wait_for(asyncio_client(port, "from ensureDeferred"), timeout=5)
    return f"{reply} (inside asyncio task: {current is not None})"


async def sleeps_forever(flag: list[str]) -> None:
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        flag.append("the asyncio task saw CancelledError")
        raise


@defer.inlineCallbacks
def main(reactor: Any) -> Generator[Any, Any, None]:
    port = reactor.listenTCP(0, protocol.Factory.forProtocol(Upper), interface="127.0.0.1")
    number = port.getHost().port

    reply = yield aio.to_deferred(asyncio_client(number, "hello from inlineCallbacks"))
    print(f"inlineCallbacks yielded an asyncio coroutine: {reply}")

    reply = yield defer.Deferred.fromCoroutine(coroutine_with_asyncio(number))
    print(f"Deferred.fromCoroutine: {reply}")

    d = aio.to_deferred(asyncio_client(number, "callback chain"))
    d.addCallback(lambda text: f"{text}!")
    print(f"a callback chain on an asyncio coroutine: {(yield d)}")

    flag: list[str] = []
    forever = aio.to_deferred(asyncio.ensure_future(sleeps_forever(flag)))
    reactor.callLater(0.02, forever.cancel)
    try:
        yield forever
    except defer.CancelledError:
        yield task.deferLater(reactor, 0, lambda: None)  # let the task finish unwinding
        print(f"cancelling the Deferred cancelled the task: {', '.join(flag)}")
    yield port.stopListening()


if __name__ == "__main__":
    task.react(main)
