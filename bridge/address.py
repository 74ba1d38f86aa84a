"""Address objects returned by ``getPeer()`` and ``getHost()``.

This module mirrors ``twisted.internet.address``: :class:`IPv4Address`, :class:`IPv6Address`,
:class:`UNIXAddress` and :class:`HostnameAddress`, with Twisted's field names, reprs and
equality. They are frozen, slotted dataclasses: hashable value objects.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Literal

from zope.interface import implementer

from bridge.interfaces import IAddress

__all__ = ["HostnameAddress", "IAddress", "IPv4Address", "IPv6Address", "UNIXAddress"]

_TRANSPORT_TYPES = ("TCP", "UDP")


def _check_type(cls_name: str, value: str) -> None:
    if value not in _TRANSPORT_TYPES:
        raise ValueError(f"{cls_name}(type={value!r}, ...): 'type' must be one of 'TCP' or 'UDP'")


@implementer(IAddress)
@dataclass(frozen=True, slots=True, order=True)
class IPv4Address:
    """An IPv4 socket endpoint.

    :ivar type: ``"TCP"`` or ``"UDP"``.
    :ivar host: the IPv4 address in dotted-quad form, e.g. ``"127.0.0.1"``.
    :ivar port: the port number.
    """

    type: Literal["TCP", "UDP"]
    host: str
    port: int

    def __post_init__(self) -> None:
        _check_type("IPv4Address", self.type)


@implementer(IAddress)
@dataclass(frozen=True, slots=True, order=True)
class IPv6Address:
    """An IPv6 socket endpoint.

    :ivar type: ``"TCP"`` or ``"UDP"``.
    :ivar host: the IPv6 address in colon-hex form, e.g. ``"::1"``.
    :ivar port: the port number.
    :ivar flowInfo: the IPv6 flow label.
    :ivar scopeID: the IPv6 scope (interface) identifier.
    """

    type: Literal["TCP", "UDP"]
    host: str
    port: int
    flowInfo: int = 0
    scopeID: str | int = 0

    def __post_init__(self) -> None:
        _check_type("IPv6Address", self.type)


@implementer(IAddress)
@dataclass(frozen=True, slots=True, order=True)
class HostnameAddress:
    """The address of a ``HostnameEndpoint``: a host name and a port.

    :ivar hostname: the host name as bytes, e.g. ``b"example.com"``.
    :ivar port: the port number.
    """

    hostname: bytes
    port: int


def _as_filesystem_bytes(name: bytes | str | None) -> bytes | None:
    if name is None or isinstance(name, bytes):
        return name
    return os.fsencode(name)


@implementer(IAddress)
@dataclass(frozen=True, slots=True, eq=False, repr=False)
class UNIXAddress:
    """A UNIX socket endpoint.

    :ivar name: the socket's path as bytes (text is encoded with the file-system encoding),
        or ``None`` for an unbound socket. Linux abstract-namespace names start with a NUL.

    Two addresses are equal when their names are equal or name the same file.
    """

    name: bytes | None = field()

    def __init__(self, name: bytes | str | None) -> None:
        object.__setattr__(self, "name", _as_filesystem_bytes(name))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UNIXAddress):
            return NotImplemented
        if self.name == other.name:
            return True
        if not self.name or not other.name:
            return False
        try:
            return os.path.samefile(self.name, other.name)
        except OSError:
            return False
        except (TypeError, ValueError):
            # Abstract-namespace names contain NUL bytes, which os.path refuses.
            if sys.platform.startswith("linux"):
                return False
            raise

    def __hash__(self) -> int:
        if self.name is None:
            return hash((UNIXAddress, None))
        try:
            stat = os.stat(self.name)
        except (OSError, ValueError):
            return hash(self.name)
        return hash((stat.st_ino, stat.st_dev))

    def __repr__(self) -> str:
        shown = None if self.name is None else os.fsdecode(self.name)
        return f"UNIXAddress({shown!r})"
