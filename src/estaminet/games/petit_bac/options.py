"""The table's options: rounds, timers, letters left out and the categories.

Every option is a plain JSON value (a boolean per built-in category, one text
for the table's own categories, one for the letters left out) so the lobby's
forms can set it. ``categories(options)`` turns them into the round's columns.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from estaminet.games.petit_bac.rejections import reject
from estaminet.kernel.activity import Rejection
from estaminet.kernel.i18n import N_, Text

__all__ = [
    "BUILTIN_CATEGORIES",
    "DEFAULT_OPTIONS",
    "LIMITS",
    "MAX_ANSWER_LENGTH",
    "MAX_CATEGORIES",
    "MAX_CATEGORY_LENGTH",
    "MIN_CATEGORIES",
    "OPTION_NAMES",
    "categories",
    "custom_categories",
    "excluded_letters",
    "letters",
    "validate_options",
]

BUILTIN_CATEGORIES: dict[str, str] = {
    "first_name": N_("First name"),
    "country_or_city": N_("Country or city"),
    "animal": N_("Animal"),
    "job": N_("Job"),
    "fruit_or_vegetable": N_("Fruit or vegetable"),
    "object": N_("Object"),
    "brand": N_("Brand"),
    "celebrity": N_("Famous person"),
    "sport": N_("Sport"),
    "colour": N_("Colour"),
}
"""Built-in categories, in screen order, with their English names (French in the catalog)."""

_ON_BY_DEFAULT = ("first_name", "country_or_city", "animal", "job", "fruit_or_vegetable", "object")

DEFAULT_OPTIONS: dict[str, Any] = {
    "rounds": 3,
    "writing_seconds": 120,
    "review_seconds": 60,
    "excluded_letters": "KWXYZ",
    **{f"category_{key}": key in _ON_BY_DEFAULT for key in BUILTIN_CATEGORIES},
    "custom_categories": "",
}

LIMITS: dict[str, tuple[int, int]] = {
    "rounds": (1, 10),
    "writing_seconds": (20, 600),
    "review_seconds": (15, 300),
}

OPTION_NAMES: dict[str, str] = {
    "rounds": N_("Rounds"),
    "writing_seconds": N_("Time to write (seconds)"),
    "review_seconds": N_("Time to check the answers (seconds)"),
    "excluded_letters": N_("Letters left out"),
    "custom_categories": N_("The table's own categories"),
    "categories": N_("Categories"),
    "players": N_("Players"),
}

MIN_CATEGORIES = 3
MAX_CATEGORIES = 12
MAX_CATEGORY_LENGTH = 30
MAX_ANSWER_LENGTH = 40


def custom_categories(options: Mapping[str, Any]) -> list[str]:
    """The table's own categories: one per line or separated by commas, blanks dropped."""
    raw = str(options.get("custom_categories", ""))
    return [" ".join(part.split()) for part in raw.replace("\n", ",").split(",") if part.strip()]


def categories(options: Mapping[str, Any]) -> list[dict[str, str]]:
    """The round's columns: ``{"key": "animal"}`` for a built-in one, ``{"label": ...}`` else."""
    merged = {**DEFAULT_OPTIONS, **options}
    chosen: list[dict[str, str]] = [
        {"key": key} for key in BUILTIN_CATEGORIES if merged[f"category_{key}"] is True
    ]
    return chosen + [{"label": label} for label in custom_categories(merged)]


def excluded_letters(options: Mapping[str, Any]) -> set[str]:
    """The letters never drawn (upper case)."""
    raw = str({**DEFAULT_OPTIONS, **options}["excluded_letters"])
    return {ch for ch in raw.upper() if ch in string.ascii_uppercase}


def letters(options: Mapping[str, Any]) -> list[str]:
    """The letters that may be drawn, in alphabetical order."""
    left_out = excluded_letters(options)
    return [ch for ch in string.ascii_uppercase if ch not in left_out]


def validate_options(
    options: Mapping[str, Any], players: int, min_players: int, max_players: int
) -> Rejection | None:
    """Known options with the right types and limits; enough letters and categories."""
    if not min_players <= players <= max_players:
        return reject("bad_players", low=min_players, high=max_players)
    for key, value in options.items():
        if key not in DEFAULT_OPTIONS:
            return reject("unknown_option")
        expected = DEFAULT_OPTIONS[key]
        name = Text(OPTION_NAMES.get(key, N_("Categories")))
        if isinstance(expected, bool):
            if not isinstance(value, bool):
                return reject("bad_option", option=name)
        elif isinstance(expected, int):
            low, high = LIMITS[key]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                return reject("out_of_range", option=name, low=low, high=high)
        elif not isinstance(value, str):
            return reject("bad_option", option=name)
    merged = {**DEFAULT_OPTIONS, **options}
    raw_letters = str(merged["excluded_letters"]).replace(" ", "").replace(",", "")
    if any(ch.upper() not in string.ascii_uppercase for ch in raw_letters):
        return reject("bad_letters")
    if len(letters(merged)) < merged["rounds"]:
        return reject("too_few_letters", rounds=merged["rounds"])
    if any(len(label) > MAX_CATEGORY_LENGTH for label in custom_categories(merged)):
        return reject("category_too_long", max=MAX_CATEGORY_LENGTH)
    count = len(categories(merged))
    if not MIN_CATEGORIES <= count <= MAX_CATEGORIES:
        return reject("category_count", low=MIN_CATEGORIES, high=MAX_CATEGORIES, count=count)
    return None
