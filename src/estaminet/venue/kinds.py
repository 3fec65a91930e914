"""Room kinds: what a room *is* (a bar, a games room, an assembly hall), declared once each.

A kind is one :class:`KindSpec`: its name (the venue file's ``kind = "…"``),
a label, the colour of its rooms on the floor plan, the panels its rooms show
(named; each feature registers the panels it draws, see ``estaminet.services``)
and the voice its rooms get when the venue file does not say. :func:`declare`
registers it; from then on ``RoomKind(name)`` is that kind, and a venue file
may use it. See ``docs/new-room-kind.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from estaminet.kernel.i18n import N_, Msgid

__all__ = [
    "KindSpec",
    "RoomKind",
    "VoiceMode",
    "all_kinds",
    "declare",
    "spec_of",
    "withdraw",
]

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,15}$")  # the rooms table keeps 16 characters
_COLOUR = re.compile(r"^#[0-9a-f]{6}$")


class VoiceMode(StrEnum):
    NONE = "none"
    MESH = "mesh"
    CROWD = "crowd"


@dataclass(frozen=True)
class KindSpec:
    """One room kind, declared once."""

    name: str
    label: Msgid
    colour: str
    """The background of its rooms on the floor plan (``#rrggbb``)."""
    panels: tuple[str, ...] = ()
    """The panels its rooms show under their name, in order (registered by features)."""
    voice: VoiceMode = VoiceMode.MESH
    """The voice its rooms get when the venue file gives none."""


class _Kinds(type):
    """Iterating ``RoomKind`` lists every declared kind, like an enumeration."""

    def __iter__(cls) -> Iterator[RoomKind]:
        return iter(tuple(_declared.values()))


class RoomKind(str, metaclass=_Kinds):
    """The name of a declared kind: ``RoomKind("games") is RoomKind.GAMES``.

    Only declared kinds exist: ``RoomKind("disco")`` raises :class:`ValueError`.
    """

    HANGOUT: ClassVar[RoomKind]
    GAMES: ClassVar[RoomKind]
    STAGE: ClassVar[RoomKind]
    ASSEMBLY: ClassVar[RoomKind]
    HELP: ClassVar[RoomKind]
    ANNOUNCEMENTS: ClassVar[RoomKind]

    __slots__ = ()

    def __new__(cls, name: str) -> RoomKind:
        found = _declared.get(name) if isinstance(name, str) else None
        if found is None:
            raise ValueError(f"{name!r} is not a valid RoomKind")
        return found

    @property
    def value(self) -> str:
        """The kind's name, as a plain string (as an enumeration member has it)."""
        return str.__str__(self)

    @property
    def spec(self) -> KindSpec:
        return _specs[self.value]


_declared: dict[str, RoomKind] = {}
_specs: dict[str, KindSpec] = {}


def declare(spec: KindSpec) -> RoomKind:
    """Register ``spec`` and return its kind; declaring the same spec again is harmless."""
    if not _NAME.match(spec.name) or not _COLOUR.match(spec.colour):
        raise ValueError(f"room kind {spec.name!r}: a lowercase name and a #rrggbb colour")
    existing = _specs.get(spec.name)
    if existing is not None:
        if existing != spec:
            raise ValueError(f"another room kind is already declared as {spec.name!r}")
        return _declared[spec.name]
    kind = str.__new__(RoomKind, spec.name)
    _declared[spec.name], _specs[spec.name] = kind, spec
    return kind


def withdraw(name: str) -> None:
    """Forget a kind declared at run time (tests); rooms of that kind can no longer load."""
    _declared.pop(name, None)
    _specs.pop(name, None)


def spec_of(kind: str) -> KindSpec:
    """The declaration of ``kind``; :class:`LookupError` if it was never declared."""
    try:
        return _specs[kind]
    except KeyError:
        raise LookupError(f"no room kind declared as {kind!r}") from None


def all_kinds() -> tuple[KindSpec, ...]:
    """Every declared kind, in declaration order."""
    return tuple(_specs.values())


RoomKind.HANGOUT = declare(KindSpec("hangout", N_("Hangout"), "#fbf3e4"))
RoomKind.GAMES = declare(
    KindSpec("games", N_("Games room"), "#eef5ee", panels=("soirees", "tables"))
)
RoomKind.STAGE = declare(KindSpec("stage", N_("Stage"), "#f7ebf0", panels=("stage", "hat")))
RoomKind.ASSEMBLY = declare(
    KindSpec("assembly", N_("Assembly hall"), "#ecf1f8", panels=("sittings",))
)
RoomKind.HELP = declare(KindSpec("help", N_("Help desk"), "#fdf6dc", panels=("workshops",)))
RoomKind.ANNOUNCEMENTS = declare(
    KindSpec("announcements", N_("Announcements"), "#f3eee6", panels=("agenda",))
)
