"""Options, compositions and balance."""

from __future__ import annotations

from typing import Any

import pytest

from estaminet.games.werewolf import (
    DEFAULT_OPTIONS,
    GAME,
    REJECTION_MESSAGES,
    SUGGESTED_COMPOSITIONS,
    balance,
    suggested_composition,
    validate_options,
)
from estaminet.translations import translate


@pytest.mark.parametrize("players", range(6, 19))
def test_suggested_composition_fits_the_table_and_is_balanced(players: int) -> None:
    composition = suggested_composition(players)
    assert sum(composition.values()) == players
    assert validate_options({"composition": composition}, players) is None
    assert balance(composition).verdict == "balanced"
    assert balance(composition).village / players >= 2 / 3


def test_suggested_compositions_follow_the_digest() -> None:
    assert SUGGESTED_COMPOSITIONS[6] == {"werewolf": 1, "seer": 1, "witch": 1, "villager": 3}
    assert SUGGESTED_COMPOSITIONS[16]["werewolf"] == 4
    assert SUGGESTED_COMPOSITIONS[18]["scapegoat"] == 1


def test_balance_flags_lopsided_decks() -> None:
    assert balance({"werewolf": 4, "villager": 4}).verdict == "wolves_favoured"
    assert balance({"werewolf": 1, "villager": 9}).verdict == "village_favoured"


def test_defaults_validate_for_every_table_size() -> None:
    for players in range(6, 19):
        assert GAME.validate_options(GAME.default_options(), players) is None
    assert GAME.default_options() == DEFAULT_OPTIONS


BAD: list[tuple[dict[str, Any], int, str]] = [
    ({}, 5, "bad_player_count"),
    ({}, 19, "bad_player_count"),
    ({"colour": "red"}, 8, "unknown_option"),
    ({"captain": "yes"}, 8, "bad_option"),
    ({"narrator": "robot"}, 8, "bad_option"),
    ({"little_girl_risk": 101}, 8, "bad_option"),
    ({"vote_seconds": 0}, 8, "bad_timer"),
    ({"debate_seconds": True}, 8, "bad_timer"),
    ({"composition": {"werewolf": 2, "villager": 5}}, 8, "composition_size"),
    ({"composition": {"werewolf": 2, "villager": 5, "dragon": 1}}, 8, "unknown_role"),
    ({"composition": {"werewolf": 2, "seer": 2, "villager": 4}}, 8, "unique_role"),
    ({"composition": {"villager": 8}}, 8, "no_wolves"),
    ({"composition": {"werewolf": 4, "villager": 4}}, 8, "too_many_wolves"),
    ({"composition": {"werewolf": 2, "thief": 1, "villager": 5}}, 8, "composition_size"),
    ({"composition": {"werewolf": 1, "thief": 1, "villager": 8}}, 8, "thief_needs_two_wolves"),
    ({"composition": "classic"}, 8, "bad_option"),
    ({"composition": {"werewolf": -1, "villager": 9}}, 8, "bad_option"),
]


@pytest.mark.parametrize(("options", "players", "code"), BAD)
def test_validate_options_rejects(options: dict[str, Any], players: int, code: str) -> None:
    rejection = validate_options(options, players)
    assert rejection is not None and rejection.code == f"werewolf/{code}"


def test_validate_options_accepts_a_thief_with_two_spare_cards() -> None:
    deck = {"werewolf": 2, "thief": 1, "seer": 1, "villager": 6}
    assert validate_options({"composition": deck}, 8) is None


NB = "\u00a0"  # French typography: no-break spaces around « » and before ";"


@pytest.mark.parametrize(
    ("options", "players", "french", "english"),
    [
        (
            {"captain": "yes"},
            8,
            f"L'option «{NB}Élire un Capitaine (sa voix compte double et départage les égalités)"
            f"{NB}» a une valeur qui n'est pas permise.",
            "The option “Elect a Captain (double vote, breaks ties)” has a value that is not allowed.",
        ),
        (
            {"narrator": "robot"},
            8,
            f"L'option «{NB}Meneur·euse de jeu{NB}» a une valeur qui n'est pas permise.",
            "The option “Narrator” has a value that is not allowed.",
        ),
        (
            {"vote_seconds": 0},
            8,
            f"L'option «{NB}Vote{NB}» va de 10 à 900 secondes.",
            "The option “Vote” takes from 10 to 900 seconds.",
        ),
        (
            {"colour": "red"},
            8,
            "Cette option n'existe pas au Loup-Garou.",
            "This option does not exist in Loup-Garou.",
        ),
        (
            {"composition": {"werewolf": 2, "villager": 5, "dragon": 1}},
            8,
            "La composition contient une carte qui n'existe pas au Loup-Garou.",
            "The composition has a card that does not exist in Loup-Garou.",
        ),
        (
            {"composition": {"werewolf": 2, "seer": 2, "villager": 4}},
            8,
            f"Il ne peut y avoir qu'une seule carte de ce rôle{NB}: Voyante.",
            "There can be only one card of this role: Seer.",
        ),
        (
            {"composition": {"werewolf": 1}},
            6,
            f"La composition compte 1 carte{NB}; il en faut 6 (une par personne, plus deux cartes"
            " en réserve s'il y a un Voleur).",
            "The composition has 1 card; it needs 6 (one per player, plus two spare cards"
            " with a Thief).",
        ),
        (
            {"composition": {"werewolf": 2, "villager": 5}},
            8,
            f"La composition compte 7 cartes{NB}; il en faut 8 (une par personne, plus deux cartes"
            " en réserve s'il y a un Voleur).",
            "The composition has 7 cards; it needs 8 (one per player, plus two spare cards"
            " with a Thief).",
        ),
    ],
)
def test_validate_options_refusal_reads_whole_in_french_and_in_english(
    options: dict[str, Any], players: int, french: str, english: str
) -> None:
    rejection = validate_options(options, players)
    assert rejection is not None
    message = REJECTION_MESSAGES[rejection.code]
    assert translate("fr", message, rejection.params) == french
    assert translate("en", message, rejection.params) == english
