"""The preparation form of an assembly, read and checked into the sitting's options and seats.

Seats are handed out to everyone concerned: the voting members and the
three roles, in the order of the people list (by name). Observers join
later as spectators and get no seat.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from starlette.datastructures import FormData

from estaminet.assembly import ASSEMBLY
from estaminet.kernel.errors import BadInput
from estaminet.kernel.i18n import N_
from estaminet.people.access import can_be_convened
from estaminet.people.model import User
from estaminet.sittings.order_text import parse_order_of_business

__all__ = [
    "QUORUM_CHOICES",
    "Convocation",
    "convocation_deadline",
    "eligible_people",
    "read_convocation",
]

QUORUM_CHOICES: tuple[str, ...] = ("1/3", "1/2", "2/3", "3/4")
"""The quorums offered in the form, as shares of the voting members."""

_MAX_TITLE = 200
_SHARE = re.compile(r"^\s*(\d{1,3})\s*/\s*(\d{1,3})\s*$")


@dataclass(frozen=True)
class Convocation:
    """A checked preparation: the title, the options for the rules, who sits where."""

    title: str
    options: dict[str, Any]
    seats: tuple[str, ...]
    """User ids by seat number."""


def eligible_people(people: Sequence[User]) -> list[User]:
    """Who may be convened: members and above, not banned (guests only observe)."""
    return [p for p in people if can_be_convened(p)]


def _text(form: FormData, name: str, limit: int) -> str:
    value = str(form.get(name, "") or "").strip()
    if len(value) > limit:
        raise BadInput(
            "sittings/text_long",
            N_("This text is too long (at most %(max)s characters)."),
            max=limit,
        )
    return value


def _number(form: FormData, name: str, default: int, low: int, high: int) -> int:
    raw = str(form.get(name, "") or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadInput("sittings/bad_number", N_("Please type a whole number.")) from None
    if not low <= value <= high:
        raise BadInput(
            "sittings/number_range",
            N_("Please choose a number from %(low)s to %(high)s."),
            low=low,
            high=high,
        )
    return value


def _date(form: FormData) -> str | None:
    raw = str(form.get("date", "") or "").strip()
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw).isoformat(timespec="minutes")
    except ValueError:
        raise BadInput("sittings/bad_date", N_("Please give a valid date and time.")) from None


def _quorum(form: FormData) -> str | None:
    raw = str(form.get("quorum", "none") or "none").strip()
    if raw == "none":
        return None
    found = _SHARE.match(raw)
    if not found or int(found.group(2)) == 0 or not 0 < int(found.group(1)) <= int(found.group(2)):
        raise BadInput("sittings/bad_quorum", N_("The quorum must be a share such as 1/2 or 2/3."))
    return f"{int(found.group(1))}/{int(found.group(2))}"


def _person(form: FormData, name: str, people: dict[str, User], required: bool) -> str | None:
    chosen = str(form.get(name, "") or "").strip()
    if not chosen:
        if required:
            raise BadInput("sittings/no_facilitator", N_("Choose who facilitates the assembly."))
        return None
    if chosen not in people:
        raise BadInput(
            "sittings/unknown_person", N_("Choose the roles among the members of the venue.")
        )
    return chosen


def read_convocation(form: FormData, people: Sequence[User]) -> Convocation:
    """Check the preparation form against the venue's people; raises :class:`BadInput`."""
    eligible = eligible_people(people)
    by_id = {p.id: p for p in eligible}
    title = _text(form, "title", _MAX_TITLE)
    if not title:
        raise BadInput("sittings/title_empty", N_("Give the assembly a title."))
    agenda = parse_order_of_business(_text(form, "agenda", 20000))
    if not agenda:
        raise BadInput("sittings/agenda_empty", N_("Write at least one agenda item."))
    roles = {
        "facilitator": _person(form, "facilitator", by_id, True),
        "secretary": _person(form, "secretary", by_id, False),
        "timekeeper": _person(form, "timekeeper", by_id, False),
    }
    everyone = str(form.get("voters_mode", "all")) != "list"
    if everyone:
        voters = [p.id for p in eligible]
    else:
        chosen = {str(v) for v in form.getlist("voters")}
        if not chosen <= by_id.keys():
            raise BadInput(
                "sittings/unknown_person", N_("Choose the voters among the members of the venue.")
            )
        voters = [p.id for p in eligible if p.id in chosen]
    if not voters:
        raise BadInput("sittings/no_voters", N_("Choose at least one voting member."))
    concerned = set(voters) | {holder for holder in roles.values() if holder is not None}
    seats = tuple(p.id for p in eligible if p.id in concerned)
    seat_of = {user_id: seat for seat, user_id in enumerate(seats)}
    proxies_allowed = form.get("proxies") == "on"
    options: dict[str, Any] = {
        "title": title,
        "date": _date(form),
        "place": _text(form, "place", 300) or None,
        "convocation": _text(form, "convocation", 20000),
        "agenda": agenda,
        "rules": {
            "voters": None if everyone else [seat_of[v] for v in voters],
            "quorum": _quorum(form),
            "proxies": {
                "allowed": proxies_allowed,
                "max_per_person": _number(form, "max_proxies", 1, 0, 100) if proxies_allowed else 0,
            },
            "speaking_seconds": _number(form, "speaking_minutes", 3, 1, 60) * 60,
            "point_of_order_seconds": 60,
            "live_counts": form.get("live_counts") == "on",
        },
        "roles": {
            role: None if holder is None else seat_of[holder] for role, holder in roles.items()
        },
    }
    refused = ASSEMBLY.validate_options(options, len(seats))
    if refused is not None:
        raise BadInput(
            "assembly/invalid_options",
            N_("The assembly is not prepared correctly: %(detail)s."),
            **dict(refused.params),
        )
    return Convocation(title, options, seats)


def convocation_deadline(sitting_day: date, notice_days: int) -> date:
    """The last day the convocation may be sent for an assembly on ``sitting_day``.

    ``notice_days`` comes from the settings (``assembly_notice_days``): the
    statutes or the law decide it, never this code.
    """
    return sitting_day - timedelta(days=notice_days)
