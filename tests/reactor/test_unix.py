"""listenUNIX/connectUNIX over real UNIX sockets, on stdlib asyncio and on uvloop."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from zope.interface.verify import verifyObject

from bridge import error
from bridge.address import UNIXAddress
from bridge.interfaces import IConnector, IListeningPort, IUNIXTransport
from tests.reactor.test_tcp import (
    OneProtocolFactory,
    Recorder,
    RecordingClientFactory,
    _echo_factory,
)


@pytest.fixture
def sock_path(tmp_path: Path) -> Iterator[str]:
    # AF_UNIX paths are limited to ~107 bytes; pytest's tmp_path may be long.
    short = Path("/tmp") / f"bridge-{os.getpid()}-{tmp_path.name[-20:]}.sock"
    yield str(short)
    for p in (short, Path(str(short) + ".lock")):
        if p.is_symlink() or p.exists():
            p.unlink()


def test_echo_and_addresses(reactor: Any, run_until: Any, sock_path: str) -> None:
    port = reactor.listenUNIX(sock_path, _echo_factory())
    assert verifyObject(IListeningPort, port)
    assert port.getHost() == UNIXAddress(sock_path)
    assert os.stat(sock_path).st_mode & 0o777 == 0o666  # chmod() ignores the umask
    client = RecordingClientFactory()
    connector = reactor.connectUNIX(sock_path, client)
    assert verifyObject(IConnector, connector)
    assert connector.getDestination() == UNIXAddress(sock_path)
    proto = run_until(client.proto.made)
    assert verifyObject(IUNIXTransport, proto.transport)
    assert proto.transport.getPeer() == UNIXAddress(sock_path)
    proto.transport.write(b"unix!")

    async def echoed() -> None:
        while bytes(proto.data) != b"unix!":
            await asyncio.sleep(0.001)

    run_until(echoed())
    proto.transport.loseConnection()
    assert run_until(proto.lost).check(error.ConnectionDone)
    run_until(port.stopListening())
    assert not os.path.exists(sock_path)


def test_mode(reactor: Any, run_until: Any, sock_path: str) -> None:
    port = reactor.listenUNIX(sock_path, _echo_factory(), mode=0o600)
    assert os.stat(sock_path).st_mode & 0o777 == 0o600
    run_until(port.stopListening())


def test_server_side_peer_is_unnamed(reactor: Any, run_until: Any, sock_path: str) -> None:
    server = Recorder()
    port = reactor.listenUNIX(sock_path, OneProtocolFactory(server))
    reactor.connectUNIX(sock_path, RecordingClientFactory())
    run_until(server.made)
    assert server.transport.getPeer() == UNIXAddress(None)
    assert server.transport.getHost() == UNIXAddress(sock_path)
    server.transport.loseConnection()
    run_until(server.lost)
    run_until(port.stopListening())


def test_connect_to_missing_path_fails(reactor: Any, run_until: Any, sock_path: str) -> None:
    client = RecordingClientFactory()
    reactor.connectUNIX(sock_path, client)
    reason = run_until(client.failed)
    assert reason.check(error.ConnectError)


def test_connect_to_stale_socket_is_refused(reactor: Any, run_until: Any, sock_path: str) -> None:
    s = socket.socket(socket.AF_UNIX)
    s.bind(sock_path)
    s.close()  # the file stays, nobody listens
    client = RecordingClientFactory()
    reactor.connectUNIX(sock_path, client)
    assert run_until(client.failed).check(error.ConnectionRefusedError)


def test_listen_on_existing_path_raises_cannot_listen(
    reactor: Any, run_until: Any, sock_path: str
) -> None:
    port = reactor.listenUNIX(sock_path, _echo_factory())
    with pytest.raises(error.CannotListenError):
        reactor.listenUNIX(sock_path, _echo_factory())
    run_until(port.stopListening())


def test_want_pid_lock(reactor: Any, run_until: Any, sock_path: str) -> None:
    port = reactor.listenUNIX(sock_path, _echo_factory(), wantPID=True)
    assert int(os.readlink(sock_path + ".lock")) == os.getpid()
    with pytest.raises(error.CannotListenError, match="Cannot acquire lock"):
        reactor.listenUNIX(sock_path, _echo_factory(), wantPID=True)
    client = RecordingClientFactory()
    reactor.connectUNIX(sock_path, client, checkPID=True)
    proto = run_until(client.proto.made)
    proto.transport.loseConnection()
    run_until(proto.lost)
    run_until(port.stopListening())
    assert not os.path.lexists(sock_path + ".lock")
    assert not os.path.exists(sock_path)


def test_want_pid_takes_over_stale_lock_and_socket(
    reactor: Any, run_until: Any, sock_path: str
) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    os.symlink(dead.stdout.strip(), sock_path + ".lock")
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(sock_path)
    stale.close()
    port = reactor.listenUNIX(sock_path, _echo_factory(), wantPID=True)
    run_until(port.stopListening())


def test_check_pid_without_lock_fails(reactor: Any, run_until: Any, sock_path: str) -> None:
    port = reactor.listenUNIX(sock_path, _echo_factory())
    client = RecordingClientFactory()
    reactor.connectUNIX(sock_path, client, checkPID=True)
    assert run_until(client.failed).check(error.BadFileError)
    run_until(port.stopListening())


def test_send_file_descriptor_is_not_supported(
    reactor: Any, run_until: Any, sock_path: str
) -> None:
    server = Recorder()
    port = reactor.listenUNIX(sock_path, OneProtocolFactory(server))
    reactor.connectUNIX(sock_path, RecordingClientFactory())
    run_until(server.made)
    with pytest.raises(NotImplementedError, match="SCM_RIGHTS"):
        server.transport.sendFileDescriptor(0)
    server.transport.loseConnection()
    run_until(server.lost)
    run_until(port.stopListening())


def test_adopt_unix_stream_port(reactor: Any, run_until: Any, sock_path: str) -> None:
    raw = socket.socket(socket.AF_UNIX)
    raw.bind(sock_path)
    raw.listen(5)
    port = reactor.adoptStreamPort(raw.fileno(), socket.AF_UNIX, _echo_factory())
    raw.close()
    client = RecordingClientFactory()
    reactor.connectUNIX(sock_path, client)
    proto = run_until(client.proto.made)
    proto.transport.loseConnection()
    run_until(proto.lost)
    run_until(port.stopListening())
    assert os.path.exists(sock_path)  # the adopted socket's file is not ours to remove


def test_client_closing_in_connection_made_leaves_no_stale_socket(
    reactor: Any, run_until: Any, sock_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvloop: a handle closed before create_connection returns must not leave our socket
    object holding a stale descriptor (it would close a reused fd when collected)."""
    created: list[socket.socket] = []
    real_socket = socket.socket

    class Tracking(real_socket):  # type: ignore[misc,valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            created.append(self)

    class Quitter(Recorder):
        def connectionMade(self) -> None:
            super().connectionMade()
            self.transport.loseConnection()

    monkeypatch.setattr(socket, "socket", Tracking)
    port = reactor.listenUNIX(sock_path, _echo_factory())
    client = RecordingClientFactory(Quitter())
    reactor.connectUNIX(sock_path, client)
    run_until(client.proto.lost)
    run_until(port.stopListening())
    run_until(asyncio.sleep(0.02))
    assert len(created) >= 2
    assert [s for s in created if s.fileno() != -1] == []
