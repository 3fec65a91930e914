"""The prepared assembly: title, agenda, rules and roles, read from the sitting's options.

Options are the JSON the animator saved when preparing the assembly::

    {
      "title": "AG du LAB", "date": "2025-03-01", "place": null,
      "convocation": "...",
      "agenda": [{"title": "Comptes", "minutes": 20, "links": ["https://..."],
                  "speaking_seconds": 120, "children": [...]}],
      "rules": {"voters": [0, 1, 2] | null, "quorum": "1/2" | null,
                "proxies": {"allowed": true, "max_per_person": 1},
                "speaking_seconds": 180, "point_of_order_seconds": 60,
                "live_counts": false},
      "roles": {"facilitator": 0, "secretary": 1, "timekeeper": 2}
    }

``voters: null`` means every seat votes; ``quorum: null`` means no quorum;
``place: null`` means the sitting is held online. Agenda items are numbered
by position ("1", "1.1", "2") and those numbers are their ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from estaminet.kernel.activity import Seat
from estaminet.kernel.i18n import N_, Text

__all__ = [
    "DEFAULT_OPTIONS",
    "MAX_TEXT",
    "InvalidPreparation",
    "OrderItem",
    "Preparation",
    "parse_fraction",
    "parse_preparation",
]

MAX_TEXT = 4000
"""The longest free text (proposal, note, objection) an action may carry."""

DEFAULT_OPTIONS: dict[str, Any] = {
    "title": "",
    "date": None,
    "place": None,
    "convocation": "",
    "agenda": [],
    "rules": {
        "voters": None,
        "quorum": None,
        "proxies": {"allowed": True, "max_per_person": 1},
        "speaking_seconds": 180,
        "point_of_order_seconds": 60,
        "live_counts": False,
    },
    "roles": {"facilitator": 0, "secretary": None, "timekeeper": None},
}


class InvalidPreparation(ValueError):
    """Why options cannot prepare a sitting: ``text`` says it in words for people."""

    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid)
        self.text = Text(msgid, params)


@dataclass(frozen=True)
class OrderItem:
    """One agenda item, flattened: ``id`` is its number ("2.1"), ``depth`` 0 for top level."""

    id: str
    title: str
    depth: int
    minutes: int
    links: tuple[str, ...]
    speaking_seconds: int


@dataclass(frozen=True)
class Preparation:
    """Everything fixed before the sitting opens."""

    seats: int
    title: str
    date: str | None
    place: str | None
    convocation: str
    agenda: tuple[OrderItem, ...]
    voters: frozenset[Seat]
    quorum: Fraction | None
    proxies_allowed: bool
    max_proxies: int
    point_of_order_seconds: int
    live_counts: bool
    facilitator: Seat
    secretary: Seat | None
    timekeeper: Seat | None

    def item(self, item_id: str) -> OrderItem | None:
        """The agenda entry with this number, if any."""
        return next((entry for entry in self.agenda if entry.id == item_id), None)


def parse_fraction(value: object, what: str) -> Fraction:
    """Read ``"2/3"`` (or an int) as an exact fraction in (0, 1].

    ``what`` names the value in words (a msgid marked with ``N_``); a bad
    value raises :class:`InvalidPreparation`.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidPreparation(N_("%(what)s must be a fraction such as 2/3"), what=Text(what))
    try:
        share = Fraction(value)
    except (ValueError, ZeroDivisionError):
        raise InvalidPreparation(
            N_("%(what)s must be a fraction such as 2/3"), what=Text(what)
        ) from None
    if not 0 < share <= 1:
        raise InvalidPreparation(N_("%(what)s must be between 0 and 1"), what=Text(what))
    return share


def _int(value: object, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidPreparation(
            N_("%(what)s must be a whole number from %(low)s to %(high)s"),
            what=Text(what),
            low=low,
            high=high,
        )
    return value


def _text(value: object, what: str, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidPreparation(
            N_("%(what)s must be a text of at most %(limit)s characters"),
            what=Text(what),
            limit=limit,
        )
    return value


def _seat(value: object, what: str, seats: int, optional: bool) -> Seat | None:
    if value is None and optional:
        return None
    return _int(value, what, 0, seats - 1)


def _agenda(items: object, prefix: str, depth: int, speaking: int, out: list[OrderItem]) -> None:
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise InvalidPreparation(N_("the agenda must be a list of items"))
    if depth > 3:
        raise InvalidPreparation(N_("agenda items nest at most four levels deep"))
    for position, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            raise InvalidPreparation(N_("an agenda item is not described correctly"))
        number = f"{prefix}{position}"
        links = item.get("links", [])
        if not isinstance(links, Sequence) or isinstance(links, str):
            raise InvalidPreparation(N_("the links of an agenda item must be a list"))
        own = item.get("speaking_seconds")
        out.append(
            OrderItem(
                id=number,
                title=_text(item.get("title"), N_("an agenda item's title"), 300),
                depth=depth,
                minutes=_int(item.get("minutes", 0), N_("the planned minutes"), 0, 24 * 60),
                links=tuple(_text(link, N_("a link"), 2000) for link in links),
                speaking_seconds=speaking
                if own is None
                else _int(own, N_("the speaking time in seconds"), 10, 3600),
            )
        )
        _agenda(item.get("children", []), f"{number}.", depth + 1, speaking, out)


def parse_preparation(options: Mapping[str, Any], seats: int) -> Preparation:
    """Read and check the prepared assembly; raises :class:`InvalidPreparation` with the reason."""
    if seats < 1:
        raise InvalidPreparation(N_("an assembly needs at least one member"))
    rules = options.get("rules", DEFAULT_OPTIONS["rules"])
    roles = options.get("roles", DEFAULT_OPTIONS["roles"])
    if not isinstance(rules, Mapping) or not isinstance(roles, Mapping):
        raise InvalidPreparation(N_("the rules and the roles are not described correctly"))
    defaults = DEFAULT_OPTIONS["rules"]
    raw_voters = rules.get("voters")
    if raw_voters is None:
        voters = frozenset(range(seats))
    elif isinstance(raw_voters, Sequence) and not isinstance(raw_voters, str):
        voters = frozenset(_int(v, N_("a voting member's seat"), 0, seats - 1) for v in raw_voters)
    else:
        raise InvalidPreparation(N_("the voters must be a list of members, or everyone"))
    raw_quorum = rules.get("quorum")
    proxies = rules.get("proxies", defaults["proxies"])
    if not isinstance(proxies, Mapping):
        raise InvalidPreparation(N_("the rules for proxies are not described correctly"))
    speaking = _int(
        rules.get("speaking_seconds", 180), N_("the speaking time in seconds"), 10, 3600
    )
    agenda: list[OrderItem] = []
    _agenda(options.get("agenda", []), "", 0, speaking, agenda)
    place = options.get("place")
    return Preparation(
        seats=seats,
        title=_text(options.get("title", ""), N_("the title"), 300),
        date=None
        if options.get("date") is None
        else _text(options.get("date"), N_("the date"), 40),
        place=None if place is None else _text(place, N_("the place"), 300),
        convocation=_text(options.get("convocation", ""), N_("the convocation"), 20000),
        agenda=tuple(agenda),
        voters=voters,
        quorum=None if raw_quorum is None else parse_fraction(raw_quorum, N_("the quorum")),
        proxies_allowed=bool(proxies.get("allowed", True)),
        max_proxies=_int(
            proxies.get("max_per_person", 1), N_("the number of proxies per member"), 0, 100
        ),
        point_of_order_seconds=_int(
            rules.get("point_of_order_seconds", 60),
            N_("the time for a point of order in seconds"),
            10,
            3600,
        ),
        live_counts=bool(rules.get("live_counts", False)),
        facilitator=_int(roles.get("facilitator", 0), N_("the facilitator's seat"), 0, seats - 1),
        secretary=_seat(roles.get("secretary"), N_("the secretary's seat"), seats, True),
        timekeeper=_seat(roles.get("timekeeper"), N_("the timekeeper's seat"), seats, True),
    )
