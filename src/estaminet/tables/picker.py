"""The game picker of a games room: each game's card and the filters people choose from.

A game states its size (``min_players``, ``max_players``), its length
(``duration_minutes``) and how much it relies on the table's voice (``voice``);
the picker filters on them by the number of people, a length and "no voice
needed". The same filters run in the browser (``game-picker.js``) on the
``data-*`` attributes each card carries, and here for a page without scripts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from estaminet.kernel.activity import Activity
from estaminet.kernel.i18n import N_, Msgid
from estaminet.kernel.storable import is_storable_int

__all__ = ["LENGTHS", "VOICE_FILTERS", "VOICE_LABELS", "Filters", "filters_from", "pick"]

LENGTHS: Mapping[str, Msgid] = {
    "": N_("Any length"),
    "15": N_("A quick one (15 minutes or less)"),
    "45": N_("Up to 45 minutes"),
}
"""The length filter: a game fits when its shortest game lasts at most that many minutes."""

VOICE_FILTERS: Mapping[str, Msgid] = {
    "": N_("With or without voice"),
    "optional": N_("No voice needed"),
}

VOICE_LABELS: Mapping[str, Msgid] = {
    "needed": N_("Needed"),
    "welcome": N_("Welcome, not needed"),
    "none": N_("Not needed"),
}
"""How a card says it, after "Voice:"."""


@dataclass(frozen=True)
class Filters:
    people: int | None = None
    length: str = ""
    voice: str = ""

    @property
    def active(self) -> bool:
        return self.people is not None or bool(self.length) or bool(self.voice)


def filters_from(query: Mapping[str, str]) -> Filters:
    """The filters of a GET form; anything unreadable is no filter (a picker never fails)."""
    raw = str(query.get("people", "")).strip()
    people = int(raw) if raw.isascii() and raw.isdigit() and is_storable_int(int(raw)) else None
    length = str(query.get("length", ""))
    voice = str(query.get("voice", ""))
    return Filters(
        people=people if people else None,
        length=length if length in LENGTHS else "",
        voice=voice if voice in VOICE_FILTERS else "",
    )


def fits(game: Activity[Any], filters: Filters) -> bool:
    if filters.people is not None and not game.min_players <= filters.people <= game.max_players:
        return False
    if filters.length and game.duration_minutes[0] > int(filters.length):
        return False
    return not (filters.voice == "optional" and game.voice == "needed")


def pick(games: Iterable[Activity[Any]], filters: Filters) -> list[Activity[Any]]:
    """The games that fit the filters, in the catalogue's order."""
    return [game for game in games if fits(game, filters)]
