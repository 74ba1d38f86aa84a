"""listenUDP over loopback, on stdlib asyncio and on uvloop."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

import pytest
from zope.interface.verify import verifyObject

from bridge import error, protocol
from bridge.address import IPv4Address, IPv6Address
from bridge.interfaces import IMulticastTransport, IUDPTransport
from tests.reactor.test_tcp import _has_ipv6


class Collector(protocol.DatagramProtocol):
    noisy = False

    def __init__(self) -> None:
        self.received: list[tuple[bytes, Any]] = []
        self.events: list[str] = []
        self.refused = 0

    def startProtocol(self) -> None:
        self.events.append("start")

    def stopProtocol(self) -> None:
        self.events.append("stop")

    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        self.received.append((datagram, addr))

    def connectionRefused(self) -> None:
        self.refused += 1


async def _until(pred: Any) -> None:
    while not pred():
        await asyncio.sleep(0.001)


def test_send_and_receive(reactor: Any, run_until: Any) -> None:
    a, b = Collector(), Collector()
    pa = reactor.listenUDP(0, a, interface="127.0.0.1")
    pb = reactor.listenUDP(0, b, interface="127.0.0.1")
    assert verifyObject(IUDPTransport, pa)
    assert a.events == ["start"]
    host_a, host_b = pa.getHost(), pb.getHost()
    assert isinstance(host_a, IPv4Address) and host_a.type == "UDP"
    assert a.transport is pa
    pa.write(b"ping", ("127.0.0.1", host_b.port))
    pa.writeSequence([b"pi", b"ng2"], ("127.0.0.1", host_b.port))
    run_until(_until(lambda: len(b.received) == 2))
    assert b.received == [
        (b"ping", ("127.0.0.1", host_a.port)),
        (b"ping2", ("127.0.0.1", host_a.port)),
    ]
    run_until(pa.stopListening())
    assert a.events == ["start", "stop"]
    assert a.transport is None
    run_until(pb.stopListening())


def test_port_repr_follows_twisteds_format(reactor: Any, run_until: Any) -> None:
    proto = protocol.DatagramProtocol()
    port = reactor.listenUDP(0, proto, interface="127.0.0.1")
    assert repr(port) == f"<{protocol.DatagramProtocol} on {port.getHost().port}>"
    run_until(port.stopListening())
    assert repr(port) == f"<{protocol.DatagramProtocol} not connected>"


def test_write_needs_ip_address_and_bytes(reactor: Any, run_until: Any) -> None:
    p = reactor.listenUDP(0, Collector(), interface="127.0.0.1")
    with pytest.raises(error.InvalidAddressError):
        p.write(b"x", ("localhost", 9))
    with pytest.raises(TypeError, match="bytes-like"):
        p.write("text", ("127.0.0.1", 9))
    with pytest.raises(AssertionError, match="needs an address"):
        p.write(b"x")
    run_until(p.stopListening())


def test_too_long_datagram_raises_message_length_error(reactor: Any, run_until: Any) -> None:
    p = reactor.listenUDP(0, Collector(), interface="127.0.0.1")
    with pytest.raises(error.MessageLengthError):
        p.write(b"x" * 70_000, ("127.0.0.1", p.getHost().port))
    run_until(p.stopListening())


def test_max_packet_size_truncates(reactor: Any, run_until: Any) -> None:
    b = Collector()
    pb = reactor.listenUDP(0, b, interface="127.0.0.1", maxPacketSize=10)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
        raw.sendto(b"0123456789abcdef", ("127.0.0.1", pb.getHost().port))
    run_until(_until(lambda: b.received))
    assert b.received[0][0] == b"0123456789"
    run_until(pb.stopListening())


def test_connected_port_and_connection_refused(reactor: Any, run_until: Any) -> None:
    a, b = Collector(), Collector()
    pa = reactor.listenUDP(0, a, interface="127.0.0.1")
    pb = reactor.listenUDP(0, b, interface="127.0.0.1")
    pa.connect("127.0.0.1", pb.getHost().port)
    with pytest.raises(RuntimeError, match="already connected"):
        pa.connect("127.0.0.1", pb.getHost().port)
    pa.write(b"to b")
    run_until(_until(lambda: b.received))
    with pytest.raises(AssertionError, match="connected to"):
        pa.write(b"x", ("127.0.0.1", 9))
    run_until(pb.stopListening())
    # Nobody listens now: the ICMP port-unreachable comes back as connectionRefused().

    async def refused() -> None:
        while not a.refused:
            pa.write(b"anyone?")
            await asyncio.sleep(0.01)

    run_until(refused())
    run_until(pa.stopListening())


def test_connect_needs_ip(reactor: Any, run_until: Any) -> None:
    p = reactor.listenUDP(0, Collector(), interface="127.0.0.1")
    with pytest.raises(error.InvalidAddressError):
        p.connect("localhost", 9)
    run_until(p.stopListening())


def test_listen_on_used_port_raises_cannot_listen(reactor: Any) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", 0))
        with pytest.raises(error.CannotListenError):
            reactor.listenUDP(busy.getsockname()[1], Collector(), interface="127.0.0.1")


def test_exception_in_datagram_received_is_logged(
    reactor: Any, run_until: Any, caplog: pytest.LogCaptureFixture
) -> None:
    class Boom(Collector):
        def datagramReceived(self, datagram: bytes, addr: Any) -> None:
            super().datagramReceived(datagram, addr)
            if datagram == b"boom":
                raise ValueError("boom in datagramReceived")

    b = Boom()
    pb = reactor.listenUDP(0, b, interface="127.0.0.1")
    with caplog.at_level(logging.ERROR, logger="bridge"):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
            raw.sendto(b"boom", ("127.0.0.1", pb.getHost().port))
            raw.sendto(b"after", ("127.0.0.1", pb.getHost().port))
        run_until(_until(lambda: len(b.received) == 2))
    assert "boom in datagramReceived" in caplog.text
    run_until(pb.stopListening())


def test_broadcast_option(reactor: Any, run_until: Any) -> None:
    p = reactor.listenUDP(0, Collector(), interface="127.0.0.1")
    assert p.getBroadcastAllowed() is False
    p.setBroadcastAllowed(True)
    assert p.getBroadcastAllowed() is True
    run_until(p.stopListening())


@pytest.mark.skipif(not _has_ipv6(), reason="no IPv6 loopback")
def test_ipv6(reactor: Any, run_until: Any) -> None:
    a, b = Collector(), Collector()
    pa = reactor.listenUDP(0, a, interface="::1")
    pb = reactor.listenUDP(0, b, interface="::1")
    assert isinstance(pa.getHost(), IPv6Address)
    pa.write(b"six", ("::1", pb.getHost().port))
    run_until(_until(lambda: b.received))
    assert b.received[0] == (b"six", ("::1", pa.getHost().port))
    run_until(pa.stopListening())
    run_until(pb.stopListening())


def test_reactor_shutdown_stops_udp_ports(reactor: Any) -> None:
    a = Collector()
    p = reactor.listenUDP(0, a, interface="127.0.0.1")
    reactor.callLater(0.01, reactor.stop)
    reactor.callLater(5, reactor.stop)  # safety net
    reactor.run()
    assert a.events == ["start", "stop"]
    assert not p.connected


def test_multicast_join_send_receive_leave(reactor: Any, run_until: Any) -> None:
    group = "239.255.77.77"
    member = Collector()
    port = reactor.listenMulticast(0, member, listenMultiple=True)
    assert verifyObject(IMulticastTransport, port)
    number = port.getHost().port
    run_until(port.joinGroup(group, "127.0.0.1"))
    assert run_until(port.setOutgoingInterface("127.0.0.1")) == 1
    assert port.getOutgoingInterface() == "127.0.0.1"
    port.setLoopbackMode(True)
    assert port.getLoopbackMode() is True
    port.setTTL(2)
    assert port.getTTL() == 2
    port.write(b"to the group", (group, number))
    run_until(_until(lambda: member.received))
    assert member.received[0][0] == b"to the group"
    run_until(port.leaveGroup(group, "127.0.0.1"))
    with pytest.raises(error.MulticastJoinError):
        run_until(port.leaveGroup(group, "127.0.0.1"))  # not a member any more
    run_until(port.stopListening())


def test_multicast_listen_multiple_shares_the_port(reactor: Any, run_until: Any) -> None:
    first = reactor.listenMulticast(0, Collector(), listenMultiple=True)
    second = reactor.listenMulticast(first.getHost().port, Collector(), listenMultiple=True)
    run_until(first.stopListening())
    run_until(second.stopListening())


def test_adopt_datagram_port(reactor: Any, run_until: Any) -> None:
    raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    raw.bind(("127.0.0.1", 0))
    b = Collector()
    port = reactor.adoptDatagramPort(raw.fileno(), socket.AF_INET, b)
    raw.close()  # the port holds its own duplicate
    assert port.getHost().port > 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.sendto(b"adopted", ("127.0.0.1", port.getHost().port))
    run_until(_until(lambda: b.received))
    assert b.received[0][0] == b"adopted"
    with pytest.raises(error.UnsupportedAddressFamily):
        reactor.adoptDatagramPort(0, socket.AF_UNIX, Collector())
    run_until(port.stopListening())


def test_stop_listening_before_the_loop_ran(reactor: Any, run_until: Any) -> None:
    a = Collector()
    p = reactor.listenUDP(0, a, interface="127.0.0.1")
    d = p.stopListening()
    run_until(d)
    run_until(asyncio.sleep(0.02))
    assert a.events == ["start", "stop"]
    assert p.getHandle() is None


def test_listen_on_a_host_name_is_an_invalid_address(reactor: Any) -> None:
    """As Twisted's UDP ports: the interface must be an IP address, not a name."""
    with pytest.raises(error.InvalidAddressError) as info:
        reactor.listenUDP(0, Collector(), interface="localhost")
    assert info.value.args == ("localhost", "not an IPv4 or IPv6 address.")
