"""A LineReceiver chat server: pick a name, then every line you send goes to everybody else.

Usage::

    python examples/chat_server.py --serve [--port PORT]   # then: nc 127.0.0.1 PORT

Without ``--serve`` it runs a scripted conversation: the server and three LineReceiver clients
in one process, printing the transcript each client sees, then exits.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bridge import defer, protocol
from bridge.basic import LineReceiver


class ChatProtocol(LineReceiver):
    """One user: first line is the name, later lines are broadcast as ``<name> text``."""

    delimiter = b"\n"
    factory: ChatFactory

    def connectionMade(self) -> None:
        self.name: str | None = None
        self.sendLine(b"Welcome! What is your name?")

    def lineReceived(self, line: bytes) -> None:
        text = line.decode("utf-8", "replace").strip()
        if self.name is None:
            if not text or text in self.factory.users:
                self.sendLine(b"That name is taken or empty, try another.")
                return
            self.name = text
            self.factory.users[text] = self
            self.sendLine(f"Hello {text}, {len(self.factory.users)} user(s) here.".encode())
            self.factory.broadcast(f"* {text} joined", exclude=self)
        else:
            self.factory.broadcast(f"<{self.name}> {text}", exclude=self)

    def connectionLost(self, reason: object = None) -> None:
        if self.name is not None and self.factory.users.get(self.name) is self:
            del self.factory.users[self.name]
            self.factory.broadcast(f"* {self.name} left")


class ChatFactory(protocol.ServerFactory):
    """Keep the users by name and fan lines out to them."""

    protocol = ChatProtocol

    def __init__(self) -> None:
        self.users: dict[str, ChatProtocol] = {}

    def broadcast(self, text: str, exclude: ChatProtocol | None = None) -> None:
        for user in list(self.users.values()):
            if user is not exclude:
                user.sendLine(text.encode())


class ScriptedUser(LineReceiver):
    """A demo client: record every line received; fire ``waiting`` when ``wanted`` shows up."""

    delimiter = b"\n"

    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: list[str] = []
        self.wanted: str | None = None
        self.waiting: defer.Deferred[None] | None = None

    def expect(self, text: str) -> defer.Deferred[None]:
        self.wanted, self.waiting = text, defer.Deferred()
        self._check()
        return self.waiting

    def lineReceived(self, line: bytes) -> None:
        self.seen.append(line.decode())
        self._check()

    def _check(self) -> None:
        if self.waiting is not None and any(self.wanted in line for line in self.seen):
            d, self.waiting = self.waiting, None
            d.callback(None)


@defer.inlineCallbacks
def conversation(reactor: Any) -> Any:
    """Run a three-user chat against an in-process server and print what each user saw."""
    from bridge import endpoints

    port = reactor.listenTCP(0, ChatFactory(), interface="127.0.0.1")
    endpoint = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port)
    users = {}
    for name in ("alice", "bob", "carol"):
        user = yield endpoints.connectProtocol(endpoint, ScriptedUser(name))
        yield user.expect("What is your name?")
        user.sendLine(name.encode())
        yield user.expect(f"Hello {name}")
        users[name] = user
    users["alice"].sendLine(b"hi everybody")
    yield defer.gatherResults([users[n].expect("<alice> hi everybody") for n in ("bob", "carol")])
    users["bob"].sendLine(b"hello alice")
    yield defer.gatherResults([users[n].expect("<bob> hello alice") for n in ("alice", "carol")])
    users["carol"].transport.loseConnection()
    yield defer.gatherResults([users[n].expect("* carol left") for n in ("alice", "bob")])
    for name, user in users.items():
        print(f"--- {name} saw ---")
        for line in user.seen:
            print(f"  {line}")
        if name != "carol":
            user.transport.loseConnection()
    yield port.stopListening()
    print("chat demo finished")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description="LineReceiver chat server")
    parser.add_argument("--serve", action="store_true", help="serve until interrupted")
    parser.add_argument("--port", type=int, default=0, help="port for --serve")
    args = parser.parse_args(argv)
    from bridge import reactor, task

    if args.serve:
        port = reactor.listenTCP(args.port, ChatFactory(), interface="127.0.0.1")
        print(f"chat server listening on 127.0.0.1:{port.getHost().port}", flush=True)
        reactor.run()
    else:
        task.react(conversation)


if __name__ == "__main__":
    main(sys.argv[1:])
