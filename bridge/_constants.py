"""Twisted's ``constantly`` API (``Names``/``Values`` containers) on stdlib :class:`enum.Enum`.

Twisted declares a few enumerations with the ``constantly`` package (``TLSVersion``,
``StandardErrorBehavior``): their classes answer ``iterconstants()`` and ``lookupByName()``
and their members print as ``<TLSVersion=TLSv1_2>``. :class:`ConstantsEnum` gives a stdlib
enum the same surface.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import TypeVar

__all__ = ["ConstantsEnum"]

E = TypeVar("E", bound="ConstantsEnum")


class ConstantsEnum(enum.Enum):
    """An :class:`enum.Enum` that also speaks ``constantly``'s class API."""

    @classmethod
    def iterconstants(cls: type[E]) -> Iterator[E]:
        """Iterate over the constants, in definition order."""
        return iter(cls)

    @classmethod
    def lookupByName(cls: type[E], name: str) -> E:
        """Return the constant called *name*.

        :raises ValueError: if there is none (as ``constantly`` does).
        """
        member = cls.__members__.get(name)
        if member is None or name.startswith("_"):
            raise ValueError(name)
        return member

    def __repr__(self) -> str:
        return f"<{type(self).__name__}={self.name}>"

    __str__ = __repr__
