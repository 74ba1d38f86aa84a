"""bridge.address: value semantics, reprs and equality as twisted.internet.address."""

from __future__ import annotations

import dataclasses
import pickle
import socket
from pathlib import Path

import pytest
from zope.interface.verify import verifyObject

from bridge.address import HostnameAddress, IPv4Address, IPv6Address, UNIXAddress
from bridge.interfaces import IAddress

taddress = pytest.importorskip("twisted.internet.address")

ADDRESSES: list[object] = [
    IPv4Address("TCP", "127.0.0.1", 8080),
    IPv4Address("UDP", "10.0.0.1", 53),
    IPv6Address("TCP", "::1", 443),
    IPv6Address("UDP", "fe80::1", 5353, 3, 2),
    HostnameAddress(b"example.com", 80),
    UNIXAddress(b"/tmp/some.sock"),
    UNIXAddress("/tmp/text.sock"),
    UNIXAddress(None),
]


@pytest.mark.parametrize("address", ADDRESSES, ids=repr)
def test_provides_iaddress(address: object) -> None:
    assert verifyObject(IAddress, address)


@pytest.mark.parametrize("address", ADDRESSES, ids=repr)
def test_repr_matches_twisted(address: object) -> None:
    theirs_cls = getattr(taddress, type(address).__name__)
    if isinstance(address, UNIXAddress):
        theirs = theirs_cls(address.name)
    else:
        theirs = theirs_cls(*dataclasses.astuple(address))  # type: ignore[call-overload]
    assert repr(address) == repr(theirs)


@pytest.mark.parametrize("address", ADDRESSES, ids=repr)
def test_pickle_and_hash(address: object) -> None:
    copy = pickle.loads(pickle.dumps(address))
    assert copy == address
    assert hash(copy) == hash(address)


def test_value_equality() -> None:
    assert IPv4Address("TCP", "127.0.0.1", 1) == IPv4Address("TCP", "127.0.0.1", 1)
    assert IPv4Address("TCP", "127.0.0.1", 1) != IPv4Address("UDP", "127.0.0.1", 1)
    assert IPv4Address("TCP", "::1", 1) != IPv6Address("TCP", "::1", 1)
    assert IPv6Address("TCP", "::1", 1) == IPv6Address("TCP", "::1", 1, 0, 0)
    assert len({IPv4Address("TCP", "h", 1), IPv4Address("TCP", "h", 1)}) == 1


def test_ordering_like_attrs() -> None:
    assert IPv4Address("TCP", "127.0.0.1", 1) < IPv4Address("TCP", "127.0.0.1", 2)


def test_frozen() -> None:
    address = IPv4Address("TCP", "127.0.0.1", 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        address.port = 2  # type: ignore[misc]


@pytest.mark.parametrize("cls", [IPv4Address, IPv6Address])
def test_bad_type_rejected(cls: type[IPv4Address] | type[IPv6Address]) -> None:
    with pytest.raises(ValueError, match="'type' must be one of 'TCP' or 'UDP'"):
        cls("SCTP", "127.0.0.1", 1)  # type: ignore[arg-type]


def test_unix_name_is_bytes() -> None:
    assert UNIXAddress("/tmp/x").name == b"/tmp/x"
    assert UNIXAddress(b"/tmp/x") == UNIXAddress("/tmp/x")
    assert UNIXAddress(None).name is None
    assert UNIXAddress(None) == UNIXAddress(None)
    assert UNIXAddress(None) != UNIXAddress(b"/tmp/x")


def test_unix_same_file_through_link(tmp_path: Path) -> None:
    target = tmp_path / "sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(target))
        link = tmp_path / "link"
        link.symlink_to(target)
        assert UNIXAddress(str(link)) == UNIXAddress(str(target))
        assert hash(UNIXAddress(str(link))) == hash(UNIXAddress(str(target)))
    assert UNIXAddress(str(tmp_path / "a")) != UNIXAddress(str(tmp_path / "b"))


def test_unix_abstract_namespace() -> None:
    assert UNIXAddress(b"\0abstract") != UNIXAddress(b"\0other")
    assert UNIXAddress(b"\0abstract") == UNIXAddress(b"\0abstract")
    assert repr(UNIXAddress(b"\0abstract")) == repr(taddress.UNIXAddress(b"\0abstract"))


def test_public_surface() -> None:
    import bridge.address as module

    assert sorted(module.__all__) == [
        "HostnameAddress",
        "IAddress",
        "IPv4Address",
        "IPv6Address",
        "UNIXAddress",
    ]
    for name in module.__all__:
        assert getattr(module, name).__doc__, name
