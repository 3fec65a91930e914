"""Espions' rules: the deal, clues, guesses, turn ends, the assassin, deadlines, secrecy, refusals."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest

from estaminet.games.espions import (
    GAME,
    REJECTION_MESSAGES,
    WORDS,
    State,
    breakable,
    clue_problem,
    fold,
    same_word,
)
from estaminet.games.espions.grid import deal
from estaminet.games.kit.conformance import START
from estaminet.games.kit.secrecy import find_leaks
from estaminet.kernel.activity import SYSTEM, Rejection, Viewer, ViewerKind

RED_MASTER, BLUE_MASTER, RED, BLUE = 0, 1, 2, 3


def act(state: State, seat: int, action: Mapping[str, Any], when: Any = START) -> State:
    events = GAME.apply(state, seat, action, when)
    assert not isinstance(events, Rejection), events
    for event in events:
        state = GAME.evolve(state, event)
    return state


def refused(state: State, seat: int, action: Mapping[str, Any], code: str, **params: Any) -> None:
    result = GAME.apply(state, seat, action, START)
    assert isinstance(result, Rejection), result
    assert result.code == f"espions/{code}"
    assert result.code in REJECTION_MESSAGES
    for key, value in params.items():
        assert result.params[key] == value


def table(seats: int = 4, seed: int = 7) -> State:
    """A game where red starts (the tests read easier that way)."""
    state = GAME.setup(seats, {}, seed=seed, now=START)
    if state.starting != "red":
        return table(seats, seed + 1)
    return state


def cards_of(state: State, colour: str) -> list[int]:
    return [i for i, c in enumerate(state.key) if c == colour and not state.revealed[i]]


def clued(state: State, count: int = 2, word: str = "indice") -> State:
    return act(state, RED_MASTER, {"type": "clue", "word": word, "count": count})


# --- the word list and the deal ---------------------------------------------------------


def test_words_are_many_single_and_distinct() -> None:
    assert len(WORDS) >= 400
    assert all(word.isalpha() for word in WORDS)
    assert len({fold(word) for word in WORDS}) == len(WORDS)


def test_deal_gives_nine_eight_seven_and_the_assassin() -> None:
    starting, words, key = deal(random.Random(3))
    assert len(words) == len(set(words)) == 25
    other = "blue" if starting == "red" else "red"
    assert [key.count(c) for c in (starting, other, "neutral", "assassin")] == [9, 8, 7, 1]


def test_setup_is_deterministic_and_both_teams_start_sometimes() -> None:
    a, b = GAME.setup(4, {}, seed=5, now=START), GAME.setup(4, {}, seed=5, now=START)
    assert GAME.dump(a) == GAME.dump(b)
    assert {GAME.setup(4, {}, seed=s, now=START).starting for s in range(20)} == {"red", "blue"}


def test_teams_alternate_by_seat_and_first_seats_are_spymasters() -> None:
    view = GAME.view(table(5), Viewer.player(4))
    assert view["teams"] == ["red", "blue", "red", "blue", "red"]
    assert view["spymasters"] == {"red": 0, "blue": 1}
    assert view["me"] == {"seat": 4, "team": "red", "spymaster": False}


# --- clues ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"), [("Chat", "chat"), ("chats", "chat"), ("OEUF", "œuf"), ("Éléphant", "elephants")]
)
def test_clue_comparison_forgives_case_accents_and_plural(a: str, b: str) -> None:
    assert same_word(a, b)


@pytest.mark.parametrize(
    ("word", "problem"),
    [
        ("", "empty_clue"),
        ("   ", "empty_clue"),
        ("deux mots", "not_one_word"),
        ("r2d2", "not_one_word"),
        ("mer!", "not_one_word"),
        ("x" * 31, "clue_too_long"),
        ("CHÂTEAUX", "clue_on_grid"),
        ("châ\u00adteau", "clue_on_grid"),  # copied from the grid, with its soft hyphen
        ("\u200bmer", None),
        ("arc-en-ciel", None),
        ("aujourd'hui", None),
        ("Mer", None),
    ],
)
def test_clue_problem(word: str, problem: str | None) -> None:
    assert clue_problem(word, ["château", "chat"]) == problem


def test_clue_opens_guessing_with_its_deadline() -> None:
    state = clued(table(), count=3, word=" Voyage ")
    assert state.phase == "guess"
    assert state.clue == {"word": "Voyage", "count": 3}
    assert GAME.deadline(state) == START + timedelta(seconds=120)


def test_clue_refusals() -> None:
    state = table()
    hidden = state.words[0]
    clue = {"type": "clue", "word": "indice", "count": 2}
    refused(state, BLUE_MASTER, clue, "not_your_team")
    refused(state, RED, clue, "not_spymaster")
    refused(state, RED_MASTER, {**clue, "word": hidden.upper()}, "clue_on_grid")
    refused(state, RED_MASTER, {**clue, "word": ""}, "empty_clue")
    refused(state, RED_MASTER, {**clue, "word": None}, "empty_clue")
    refused(state, RED_MASTER, {**clue, "word": "deux mots"}, "not_one_word")
    refused(state, RED_MASTER, {**clue, "word": "a" * 31}, "clue_too_long")
    refused(state, RED_MASTER, {**clue, "count": 0}, "bad_count", max=9)
    refused(state, RED_MASTER, {**clue, "count": 10}, "bad_count")
    refused(state, RED_MASTER, {**clue, "count": "2"}, "bad_count")
    refused(state, RED_MASTER, {**clue, "count": True}, "bad_count")
    refused(clued(state), RED_MASTER, clue, "not_clue_time")


def test_a_revealed_word_may_be_a_clue() -> None:
    state = clued(table())
    mine = cards_of(state, "red")[0]
    state = act(state, RED, {"type": "guess", "card": mine})
    state = act(state, RED, {"type": "stop"})
    state = act(state, BLUE_MASTER, {"type": "clue", "word": state.words[mine], "count": 1})
    assert state.clue is not None


# --- guesses ----------------------------------------------------------------------------


def test_own_card_goes_on_up_to_number_plus_one() -> None:
    state = clued(table(), count=1)
    first, second = cards_of(state, "red")[:2]
    state = act(state, RED, {"type": "guess", "card": first})
    assert (state.turn, state.phase, state.guessed) == ("red", "guess", 1)
    state = act(state, RED, {"type": "guess", "card": second})
    assert (state.turn, state.phase) == ("blue", "clue")
    assert state.turns[-1] == {
        "team": "red",
        "word": "indice",
        "count": 1,
        "cards": [first, second],
        "end": "limit",
    }
    assert GAME.deadline(state) == START + timedelta(seconds=120)


@pytest.mark.parametrize("colour", ["neutral", "blue"])
def test_wrong_card_ends_the_turn(colour: str) -> None:
    state = clued(table(), count=3)
    state = act(state, RED, {"type": "guess", "card": cards_of(state, colour)[0]})
    assert (state.turn, state.phase, state.turns[-1]["end"]) == ("blue", "clue", "wrong")


def test_assassin_loses_at_once() -> None:
    state = clued(table(), count=3)
    state = act(state, RED, {"type": "guess", "card": state.key.index("assassin")})
    outcome = GAME.outcome(state)
    assert outcome is not None
    assert (outcome.reason, outcome.winners) == ("assassin", frozenset({1, 3}))
    assert outcome.details["placings"] == {0: 2, 1: 1, 2: 2, 3: 1}
    assert GAME.deadline(state) is None
    assert GAME.legal_actions(state, BLUE) == []


def test_first_team_with_all_cards_wins_even_by_the_other_team() -> None:
    state = table(5)
    for card in cards_of(state, "blue")[1:]:
        state.revealed[card] = True  # seven of blue's eight already found
    state = clued(state, count=2)
    state = act(state, RED, {"type": "guess", "card": cards_of(state, "blue")[0]})
    outcome = GAME.outcome(state)
    assert outcome is not None and outcome.reason == "all_found"
    assert outcome.winners == frozenset({1, 3})
    assert outcome.details["placings"] == {0: 2, 1: 1, 2: 2, 3: 1, 4: 2}
    assert outcome.details["winner"] == "blue"


def test_red_wins_with_its_ninth_card() -> None:
    state = table()
    for card in cards_of(state, "red")[1:]:
        state.revealed[card] = True
    state = clued(state, count=1)
    state = act(state, RED, {"type": "guess", "card": cards_of(state, "red")[0]})
    outcome = GAME.outcome(state)
    assert outcome is not None and outcome.winners == frozenset({0, 2})
    assert GAME.view(state, Viewer.player(RED))["outcome"]["winner"] == "red"


def test_stop_after_a_guess_passes_the_turn() -> None:
    state = clued(table())
    refused(state, RED, {"type": "stop"}, "guess_first")
    state = act(state, RED, {"type": "guess", "card": cards_of(state, "red")[0]})
    state = act(state, RED, {"type": "stop"})
    assert (state.turn, state.turns[-1]["end"]) == ("blue", "stopped")


def test_pointing_toggles_and_is_cleared_at_the_turn_end() -> None:
    state = clued(table(6), count=1)
    card = cards_of(state, "neutral")[0]
    state = act(state, RED, {"type": "point", "card": card})
    state = act(state, 4, {"type": "point", "card": card})
    assert GAME.view(state, Viewer.spectator())["cards"][card]["pointers"] == [RED, 4]
    state = act(state, 4, {"type": "point", "card": card})
    assert state.pointers[card] == [RED]
    state = act(state, 4, {"type": "guess", "card": card})
    assert all(p == [] for p in state.pointers)


def test_guess_refusals() -> None:
    state = table()
    guess = {"type": "guess", "card": cards_of(state, "red")[0]}
    refused(state, RED, guess, "not_guess_time")
    state = clued(state)
    refused(state, BLUE, guess, "not_your_team")
    refused(state, RED_MASTER, guess, "spymaster_guess")
    refused(state, RED, {"type": "guess", "card": 25}, "bad_card")
    refused(state, RED, {"type": "guess", "card": "3"}, "bad_card")
    refused(state, RED, {"type": "point", "card": -1}, "bad_card")
    state = act(state, RED, guess)
    refused(state, RED, guess, "already_revealed")
    refused(state, RED, {"type": "point", "card": guess["card"]}, "already_revealed")


def test_other_refusals() -> None:
    state = table()
    refused(state, RED, {"type": "dance"}, "unknown_action")
    refused(state, 9, {"type": "stop"}, "not_a_player")
    refused(state, SYSTEM, {"type": "timeout"}, "too_early")
    state = act(clued(state, 3), RED, {"type": "guess", "card": state.key.index("assassin")})
    refused(state, BLUE, {"type": "stop"}, "game_over")


# --- deadlines --------------------------------------------------------------------------


def test_silent_spymaster_passes_the_turn() -> None:
    state = table()
    deadline = GAME.deadline(state)
    assert deadline == START + timedelta(seconds=120)
    state = act(state, SYSTEM, {"type": "timeout"}, deadline)
    assert (state.turn, state.phase) == ("blue", "clue")
    assert state.turns == [{"team": "red", "word": None, "count": 0, "cards": [], "end": "timeout"}]
    assert GAME.deadline(state) == deadline + timedelta(seconds=120)


def test_guessing_time_ends_the_turn() -> None:
    state = GAME.setup(4, {"clue_seconds": 30, "guess_seconds": 45}, seed=7, now=START)
    master = 0 if state.starting == "red" else 1
    state = act(state, master, {"type": "clue", "word": "indice", "count": 2})
    deadline = GAME.deadline(state)
    assert deadline == START + timedelta(seconds=45)
    state = act(state, SYSTEM, {"type": "timeout"}, deadline)
    assert state.phase == "clue" and state.turns[-1]["end"] == "timeout"
    assert GAME.deadline(state) == deadline + timedelta(seconds=30)


def test_options_are_checked() -> None:
    assert GAME.validate_options({}, 4) is None
    assert GAME.validate_options({}, 3) == Rejection("espions/bad_players", {"low": 4, "high": 12})
    bad = GAME.validate_options({"clue_seconds": 10}, 4)
    assert isinstance(bad, Rejection) and bad.code == "espions/out_of_range"
    bad = GAME.validate_options({"guess_seconds": True}, 4)
    assert isinstance(bad, Rejection) and bad.code == "espions/out_of_range"
    bad = GAME.validate_options({"words": "x"}, 4)
    assert isinstance(bad, Rejection) and bad.code == "espions/unknown_option"


def test_metadata_for_the_picker_and_the_soiree() -> None:
    assert GAME.duration_minutes == (15, 30)
    assert GAME.voice in ("needed", "welcome", "none")


# --- secrecy ----------------------------------------------------------------------------


def _colours(view: Mapping[str, Any]) -> dict[int, str]:
    return {c["card"]: c["colour"] for c in view["cards"] if "colour" in c}


def test_only_spymasters_see_the_key_until_the_end() -> None:
    state = clued(table(6))
    shown = cards_of(state, "red")[0]
    state = act(state, RED, {"type": "guess", "card": shown})
    for seat in (RED_MASTER, BLUE_MASTER):
        assert len(_colours(GAME.view(state, Viewer.player(seat)))) == 25
    for viewer in [Viewer.player(s) for s in (2, 3, 4, 5)] + [
        Viewer.spectator(),
        Viewer.narrator(),
    ]:
        view = GAME.view(state, viewer)
        assert _colours(view) == {shown: "red"}
        assert view["key_shown"] is False
    assert len(_colours(GAME.view(state, Viewer(ViewerKind.REPLAY)))) == 25
    state = act(state, RED, {"type": "guess", "card": state.key.index("assassin")})
    assert len(_colours(GAME.view(state, Viewer.spectator()))) == 25


def test_leak_checker_catches_the_key_in_a_guessers_view() -> None:
    state = table()
    spymasters_view = GAME.view(state, Viewer.player(RED_MASTER))
    guesser = Viewer.player(RED)
    facts = GAME.knowledge(state)
    assert find_leaks(GAME.view(state, guesser), guesser, facts, GAME.guarded_keys) == []
    assert len(find_leaks(spymasters_view, guesser, facts, GAME.guarded_keys)) == 25


# --- how a word is set on a card --------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "shown"),
    [
        ("chat", "chat"),
        ("fromage", "fromage"),
        ("chocolat", "cho-colat"),
        ("bibliothèque", "biblio-thèque"),
        ("parapluie", "para-pluie"),
        ("hélicoptère", "héli-coptère"),
        ("grenouille", "gre-nouille"),
    ],
)
def test_long_words_get_one_soft_hyphen_between_syllables(word: str, shown: str) -> None:
    assert breakable(word).replace("\u00ad", "-") == shown


def test_every_long_word_of_the_list_can_break() -> None:
    assert all("\u00ad" in breakable(word) for word in WORDS if len(word) >= 8)
