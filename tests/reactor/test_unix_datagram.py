"""listenUNIXDatagram / connectUNIXDatagram (IReactorUNIXDatagram), on both loops."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from zope.interface.verify import verifyObject

from bridge import error, protocol
from bridge._reactor import AsyncioReactor
from bridge.address import UNIXAddress
from bridge.defer import Deferred
from bridge.interfaces import (
    IListeningPort,
    IReactorUNIXDatagram,
    IUNIXDatagramConnectedTransport,
    IUNIXDatagramTransport,
)


class Echo(protocol.DatagramProtocol):
    def __init__(self) -> None:
        self.events: list[Any] = []

    def startProtocol(self) -> None:
        self.events.append("start")

    def stopProtocol(self) -> None:
        self.events.append("stop")

    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        self.events.append((datagram, addr and os.path.basename(addr)))
        if addr:
            self.transport.write(datagram.upper(), addr)  # type: ignore[union-attr]


class Client(protocol.ConnectedDatagramProtocol):
    def __init__(self) -> None:
        self.got: Deferred[bytes] = Deferred()
        self.failed: list[Any] = []

    def startProtocol(self) -> None:
        self.transport.write(b"ping")  # type: ignore[union-attr]

    def datagramReceived(self, datagram: bytes, addr: Any = None) -> None:
        self.got.callback(datagram)

    def connectionFailed(self, failure: Any) -> None:
        self.failed.append(failure)


def test_round_trip(reactor: AsyncioReactor, run_until: Any, tmp_path: Path) -> None:
    assert verifyObject(IReactorUNIXDatagram, reactor)
    server_path, client_path = str(tmp_path / "s"), str(tmp_path / "c")
    server = Echo()
    port = reactor.listenUNIXDatagram(server_path, server, mode=0o600)
    assert verifyObject(IUNIXDatagramTransport, port)
    assert verifyObject(IListeningPort, port)
    assert port.getHost() == UNIXAddress(server_path)
    assert os.stat(server_path).st_mode & 0o777 == 0o600
    client = Client()
    cport = reactor.connectUNIXDatagram(server_path, client, bindAddress=client_path)
    assert verifyObject(IUNIXDatagramConnectedTransport, cport)
    assert not IListeningPort.providedBy(cport)
    assert cport.getPeer() == UNIXAddress(server_path)
    assert run_until(client.got) == b"PING"
    run_until(cport.stopListening())
    run_until(port.stopListening())
    assert server.events == ["start", (b"ping", "c"), "stop"]
    assert os.path.exists(server_path)  # left in place, as in Twisted


def test_unbound_sender_has_no_address(
    reactor: AsyncioReactor, run_until: Any, tmp_path: Path
) -> None:
    server = Echo()
    port = reactor.listenUNIXDatagram(str(tmp_path / "s"), server)
    cport = reactor.connectUNIXDatagram(str(tmp_path / "s"), Client())
    assert cport.getHost() == UNIXAddress("")
    done: Deferred[None] = Deferred()
    reactor.callLater(0.2, done.callback, None)
    run_until(done)
    assert (b"ping", None) in server.events
    run_until(cport.stopListening())
    run_until(port.stopListening())


def test_errors(reactor: AsyncioReactor, tmp_path: Path) -> None:
    with pytest.raises(error.CannotListenError):
        reactor.listenUNIXDatagram(str(tmp_path / "no" / "dir"), Echo())
    client = Client()
    reactor.connectUNIXDatagram(str(tmp_path / "missing"), client)
    [failure] = client.failed
    assert failure.check(FileNotFoundError)
