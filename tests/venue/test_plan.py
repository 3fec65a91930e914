"""The venue file: the demo parses, mistakes get precise messages."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from estaminet.cli import DEMO_VENUE
from estaminet.venue.plan import RoomKind, VenueFileError, Visibility, load_venue, parse_venue


def test_plan_demo_venue_is_le_lab() -> None:
    venue = load_venue(DEMO_VENUE)
    assert venue.name == "le LAB"
    names = {room.name_fr for room in venue.rooms}
    assert {
        "Le hall",
        "Au coin du bar",
        "La salle de jeux",
        "La scène",
        "La salle des AG",
        "Le défouloir",
        "L'atelier",
        "Le bureau",
    } == names
    bureau = next(r for r in venue.rooms if r.slug == "bureau")
    assert bureau.visibility is Visibility.TEAM
    kinds = {r.kind for r in venue.rooms}
    assert kinds == set(RoomKind)


GOOD: dict[str, Any] = {
    "venue": {"name": "Test"},
    "rooms": [{"slug": "bar", "name": {"fr": "Le bar"}, "plan": {"x": 1, "y": 1, "w": 2, "h": 1}}],
}


def broken(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(GOOD)
    data["rooms"][0].update(changes)
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rooms": GOOD["rooms"]}, "'name' is required"),
        ({"venue": {"name": "x"}}, "at least one [[rooms]]"),
        (broken(slug="Bad Slug"), "'slug' must be"),
        (broken(name=3), "at least a French text"),
        (broken(kind="disco"), "'disco' is not a valid RoomKind"),
        (broken(visibility="secret"), "not a valid Visibility"),
        (broken(plan=None), "'plan = { x"),
        (broken(plan={"x": 1, "y": 1, "w": "wide", "h": 1}), "whole numbers"),
        (broken(plan={"x": 11, "y": 1, "w": 4, "h": 1}), "grid of 12 columns"),
        (broken(capacity=0), "capacity must be"),
        (broken(team="a@b.c"), "team must be a list"),
    ],
)
def test_plan_mistakes_are_explained(data: dict[str, Any], message: str) -> None:
    with pytest.raises(VenueFileError) as caught:
        parse_venue(data)
    assert message in str(caught.value)


def test_plan_duplicate_slug() -> None:
    data = copy.deepcopy(GOOD)
    data["rooms"].append(copy.deepcopy(data["rooms"][0]))
    with pytest.raises(VenueFileError, match="used twice"):
        parse_venue(data)


def test_plan_english_name_defaults_to_french() -> None:
    room = parse_venue(GOOD).rooms[0]
    assert room.name_en == "Le bar"
