"""The venue file: one TOML file that draws the venue (pure parsing and validation).

Example: ``src/estaminet/venue/demo.toml`` (le LAB). ``estaminet venue apply FILE``
creates and updates rooms from it without losing their history.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from estaminet.kernel.errors import BadInput
from estaminet.kernel.storable import MAX_INT, check_storable, is_storable_int
from estaminet.venue.kinds import RoomKind, VoiceMode

__all__ = [
    "GRID_COLUMNS",
    "RoomKind",
    "RoomSpec",
    "VenueFileError",
    "VenueSpec",
    "Visibility",
    "VoiceMode",
    "load_venue",
    "parse_venue",
]

GRID_COLUMNS = 12
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$")


class Visibility(StrEnum):
    PUBLIC = "public"
    MEMBERS = "members"
    TEAM = "team"


class VenueFileError(ValueError):
    """The venue file is not valid; the message says where and why."""


@dataclass(frozen=True)
class RoomSpec:
    slug: str
    name_fr: str
    name_en: str
    kind: RoomKind
    visibility: Visibility
    x: int
    y: int
    w: int
    h: int
    description_fr: str = ""
    description_en: str = ""
    capacity: int | None = None
    voice: VoiceMode = VoiceMode.MESH
    team: tuple[str, ...] = ()
    """Email addresses of the team (for ``team`` rooms); people without an account are added in the app."""


@dataclass(frozen=True)
class VenueSpec:
    name: str
    rooms: tuple[RoomSpec, ...] = field(default_factory=tuple)
    rows: int = 8


def load_venue(path: Path) -> VenueSpec:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise VenueFileError(f"{path}: {exc}") from exc
    return parse_venue(data)


def _localized(room: dict[str, Any], key: str, where: str, required: bool) -> tuple[str, str]:
    value = room.get(key)
    if value is None and not required:
        return "", ""
    if isinstance(value, str):
        return value, value
    if not isinstance(value, dict) or not isinstance(value.get("fr"), str):
        raise VenueFileError(
            f"{where}: '{key}' needs at least a French text: {key} = {{ fr = \"…\" }}"
        )
    return value["fr"], str(value.get("en") or value["fr"])


def parse_venue(data: dict[str, Any]) -> VenueSpec:
    """Validate a parsed venue file; raise :class:`VenueFileError` with a precise message."""
    try:
        check_storable((data,))
    except BadInput:
        raise VenueFileError("the file holds a null character or a lone surrogate") from None
    venue = data.get("venue", {})
    name = venue.get("name")
    if not isinstance(name, str) or not name.strip():
        raise VenueFileError("[venue]: 'name' is required")
    rows = venue.get("rows", 8)
    rooms_data = data.get("rooms")
    if not isinstance(rooms_data, list) or not rooms_data:
        raise VenueFileError("at least one [[rooms]] entry is required")
    rooms: list[RoomSpec] = []
    seen: set[str] = set()
    for index, room in enumerate(rooms_data, start=1):
        where = f"[[rooms]] #{index}"
        slug = room.get("slug")
        if not isinstance(slug, str) or not _SLUG.match(slug):
            raise VenueFileError(f"{where}: 'slug' must be 2-40 lowercase letters, digits or '-'")
        where = f"room '{slug}'"
        if slug in seen:
            raise VenueFileError(f"{where}: the slug is used twice")
        seen.add(slug)
        name_fr, name_en = _localized(room, "name", where, required=True)
        desc_fr, desc_en = _localized(room, "description", where, required=False)
        try:
            kind = RoomKind(room.get("kind", "hangout"))
            visibility = Visibility(room.get("visibility", "public"))
            voice = VoiceMode(room.get("voice", kind.spec.voice))
        except ValueError as exc:
            raise VenueFileError(f"{where}: {exc}") from exc
        plan = room.get("plan")
        if not isinstance(plan, dict):
            raise VenueFileError(f"{where}: 'plan = {{ x = …, y = …, w = …, h = … }}' is required")
        try:
            x, y, w, h = (int(plan[k]) for k in ("x", "y", "w", "h"))
        except (KeyError, TypeError, ValueError) as exc:
            raise VenueFileError(f"{where}: plan needs whole numbers x, y, w, h") from exc
        if not all(is_storable_int(n) for n in (x, y, w, h)):
            raise VenueFileError(f"{where}: plan numbers must be below {MAX_INT}")
        if x < 1 or y < 1 or w < 1 or h < 1 or x + w - 1 > GRID_COLUMNS:
            raise VenueFileError(
                f"{where}: the plan is a grid of {GRID_COLUMNS} columns counted from 1"
            )
        capacity = room.get("capacity")
        if capacity is not None and (not is_storable_int(capacity) or capacity < 1):
            raise VenueFileError(f"{where}: capacity must be a positive whole number")
        team = room.get("team", [])
        if not isinstance(team, list) or not all(isinstance(t, str) for t in team):
            raise VenueFileError(f"{where}: team must be a list of email addresses")
        rooms.append(
            RoomSpec(
                slug=slug,
                name_fr=name_fr,
                name_en=name_en,
                kind=kind,
                visibility=visibility,
                x=x,
                y=y,
                w=w,
                h=h,
                description_fr=desc_fr,
                description_en=desc_en,
                capacity=capacity,
                voice=voice,
                team=tuple(team),
            )
        )
    max_row = max(r.y + r.h - 1 for r in rooms)
    return VenueSpec(name=name.strip(), rooms=tuple(rooms), rows=max(int(rows), max_row))
