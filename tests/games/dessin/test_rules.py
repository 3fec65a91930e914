"""Rules of Un dessin, un mot: choosing, strokes, guesses, hints, points, refusals, placings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from estaminet.games.dessin import (
    EASY,
    GAME,
    HARD,
    MAX_POINTS_PER_BATCH,
    MEDIUM,
    REJECTION_MESSAGES,
    State,
    classify,
)
from estaminet.games.kit.conformance import START
from estaminet.kernel.activity import SYSTEM, Rejection, Viewer, ViewerKind


def _play(state: State, actor: int, action: dict[str, Any], seconds: float = 0) -> State:
    result = GAME.apply(state, actor, action, START + timedelta(seconds=seconds))
    assert not isinstance(result, Rejection), result
    for event in result:
        state = GAME.evolve(state, event)
    return state


def _refused(state: State, actor: int, action: dict[str, Any], seconds: float = 0) -> str:
    result = GAME.apply(state, actor, action, START + timedelta(seconds=seconds))
    assert isinstance(result, Rejection), result
    assert result.code in REJECTION_MESSAGES
    return result.code.removeprefix("dessin/")


def _drawing(seats: int = 3, **options: Any) -> State:
    state = GAME.setup(seats, {**GAME.default_options(), **options}, 7, START)
    return _play(state, 0, {"type": "choose", "index": 1})


def _ink(state: State, ops: list[Any], seq: int | None = None) -> dict[str, Any]:
    return {"type": "ink", "turn": state.turn, "seq": seq or state.ink_seq + 1, "ops": ops}


def test_word_lists_have_at_least_150_distinct_words_each() -> None:
    for words in (EASY, MEDIUM, HARD):
        assert len(set(words)) == len(words) >= 150
    assert not set(EASY) & set(MEDIUM) and not set(MEDIUM) & set(HARD)


def test_setup_offers_one_word_of_each_level_to_seat_zero() -> None:
    state = GAME.setup(3, GAME.default_options(), 1, START)
    assert state.phase == "choosing" and GAME.drawer(state) == 0
    easy, medium, hard = state.offers
    assert easy in EASY and medium in MEDIUM and hard in HARD
    view = GAME.view(state, Viewer.player(0))
    assert [o["word"] for o in view["offers"]] == state.offers
    for viewer in (Viewer.player(1), Viewer.spectator()):
        assert GAME.view(state, viewer)["offers"] == []


def test_choosing_times_out_to_the_first_word() -> None:
    state = GAME.setup(3, GAME.default_options(), 1, START)
    assert _refused(state, SYSTEM, {"type": "timeout"}, 3) == "too_early"
    state = _play(state, SYSTEM, {"type": "timeout"}, 16)
    assert state.phase == "drawing" and state.word == state.offers[0]


def test_only_the_drawer_chooses_and_draws() -> None:
    state = GAME.setup(3, GAME.default_options(), 1, START)
    assert _refused(state, 1, {"type": "choose", "index": 0}) == "not_drawer"
    assert _refused(state, 0, {"type": "choose", "index": 3}) == "bad_choice"
    assert _refused(state, 0, _ink(state, [["c"]])) == "not_drawing"
    state = _play(state, 0, {"type": "choose", "index": 0})
    assert _refused(state, 0, {"type": "choose", "index": 0}) == "not_choosing"
    assert _refused(state, 1, _ink(state, [["c"]])) == "not_drawer"
    assert _refused(state, 5, {"type": "guess", "text": "x"}) == "not_a_player"
    assert _refused(state, 1, {"type": "dance"}) == "unknown_action"


def test_word_is_only_in_the_drawers_view_until_the_turn_ends() -> None:
    state = _drawing()
    word = state.word
    assert word is not None
    assert GAME.view(state, Viewer.player(0))["secret"]["word"] == word
    assert GAME.view(state, Viewer(ViewerKind.REPLAY))["secret"]["word"] == word
    for viewer in (Viewer.player(1), Viewer.player(2), Viewer.spectator(), Viewer.narrator()):
        view = GAME.view(state, viewer)
        assert view["secret"] is None
        assert view["pattern"] is not None and len(view["pattern"]) == len(word)


def test_strokes_fold_into_the_drawing_with_undo_and_clear() -> None:
    state = _drawing()
    state = _play(state, 0, _ink(state, [["b", 1, 2, 10, 10, 5, 5], ["m", 1, 1]]))
    state = _play(state, 0, _ink(state, [["m", 2, 2], ["e", 0, 50, 50, 1, 0]]))
    assert state.ink == [["b", 1, 2, 10, 10, 5, 5, 1, 1, 2, 2], ["e", 0, 50, 50, 1, 0]]
    state = _play(state, 0, _ink(state, [["u"], ["c"]]))
    assert state.ink == [["b", 1, 2, 10, 10, 5, 5, 1, 1, 2, 2], ["c"]]
    state = _play(state, 0, _ink(state, [["u"]]))
    assert GAME.view(state, Viewer.spectator())["ink"] == {
        "turn": 0,
        "seq": 4,
        "ops": [["b", 1, 2, 10, 10, 5, 5, 1, 1, 2, 2]],
    }


@pytest.mark.parametrize(
    "ops",
    [
        [],
        "b",
        [["b", 9, 0, 1, 1]],  # no such colour
        [["b", 0, 0, 801, 1]],  # off the grid
        [["b", 0, 0, 799, 1, 5, 0]],  # walks off the grid
        [["b", 0, 0, 1, 1, 1]],  # half a point
        [["b", 0, 0, 1.5, 1]],
        [["m", 1, 1]],  # nothing to go on
        [["x"]],
        [["c", 1]],
    ],
)
def test_bad_ink_is_refused(ops: Any) -> None:
    state = _drawing()
    assert _refused(state, 0, _ink(state, ops)) == "bad_ink"


def test_ink_from_an_old_turn_or_an_old_batch_is_refused() -> None:
    state = _drawing()
    assert _refused(state, 0, {**_ink(state, [["c"]]), "turn": 5}) == "old_turn"
    state = _play(state, 0, _ink(state, [["c"]], seq=4))
    assert _refused(state, 0, _ink(state, [["c"]], seq=4)) == "bad_ink"
    assert _refused(state, 0, _ink(state, [["u"], ["u"]])) == "nothing_to_undo"


def test_a_drawing_flood_is_refused() -> None:
    state = _drawing()
    big = ["b", 0, 0, 10, 10, *([1, 0] * MAX_POINTS_PER_BATCH)]
    assert _refused(state, 0, _ink(state, [big])) == "batch_too_big"
    assert _refused(state, 0, _ink(state, [["c"]] * 33)) == "bad_ink"
    # A burst of 12 batches at the same instant passes, the 13th is refused...
    for _ in range(12):
        state = _play(state, 0, _ink(state, [["c"]]), seconds=1)
    assert _refused(state, 0, _ink(state, [["c"]]), seconds=1) == "drawing_too_fast"
    # ...and a tenth of a second later, one more goes through.
    state = _play(state, 0, _ink(state, [["c"]]), seconds=1.1)


def test_a_drawing_has_a_size_limit() -> None:
    state = _drawing()
    stroke = ["b", 0, 0, 10, 10, *([1, 0, -1, 0] * 99)]
    for i in range(100):  # 199 points each: 19 900 of the 20 000
        state = _play(state, 0, _ink(state, [stroke]), seconds=i)
    assert _refused(state, 0, _ink(state, [stroke]), seconds=200) == "drawing_full"


@pytest.mark.parametrize(
    ("guess", "word", "verdict"),
    [
        ("Éléphant", "éléphant", "found"),
        ("c'est un éléphant ?", "éléphant", "found"),
        ("arc en ciel", "arc-en-ciel", "found"),
        ("oeuf", "œuf", "found"),
        ("elephant", "éléphant", "close"),
        ("éléphan", "éléphant", "close"),
        ("éléphnat", "éléphant", "close"),
        ("éléphants", "éléphant", "close"),
        ("girafe", "éléphant", "missed"),
        ("élé", "éléphant", "missed"),
    ],
)
def test_guesses_are_found_close_or_missed(guess: str, word: str, verdict: str) -> None:
    assert classify(guess, word) == verdict


def test_close_guess_tells_the_guesser_alone_and_the_chat_never_gets_it() -> None:
    state = _drawing()
    word = state.word
    assert word is not None
    move = GAME.chat_move(state, Viewer.player(1), "table", word[:-1])
    assert move == {"type": "guess", "text": word[:-1]}
    assert GAME.chat_move(state, Viewer.player(1), "table", "bonjour tout le monde") is None
    state = _play(state, 1, dict(move))
    assert GAME.view(state, Viewer.player(1))["near"][0]["seat"] == 1
    for viewer in (Viewer.player(0), Viewer.player(2), Viewer.spectator()):
        assert GAME.view(state, viewer)["near"] == []
    assert _refused(state, 1, {"type": "guess", "text": "bonjour"}) == "not_close"
    assert _refused(state, 1, {"type": "guess", "text": ""}) == "bad_guess"
    assert _refused(state, 1, {"type": "guess", "text": "x" * 101}) == "bad_guess"


def test_earlier_guessers_score_more_and_the_turn_ends_when_all_found() -> None:
    state = _drawing(seats=4)
    word = state.word
    assert word is not None
    state = _play(state, 2, {"type": "guess", "text": word.upper()}, seconds=10)
    # Having found, one is told so, and still not shown the word until the turn ends.
    assert GAME.view(state, Viewer.player(2))["i_found"] is True
    assert GAME.view(state, Viewer.player(2))["secret"] is None
    assert GAME.view(state, Viewer.player(1))["secret"] is None
    assert _refused(state, 2, {"type": "guess", "text": word}, 11) == "already_found"
    assert _refused(state, 0, {"type": "guess", "text": word}, 11) == "drawer_says_word"
    state = _play(state, 1, {"type": "guess", "text": word}, seconds=10)
    state = _play(state, 3, {"type": "guess", "text": word}, seconds=60)
    first, second, third = (f["points"] for f in state.found)
    assert first > second > third
    assert state.phase == "reveal"
    assert state.scores[0] == 60  # every guesser found: the drawer's whole share
    for viewer in (Viewer.player(1), Viewer.spectator()):
        assert GAME.view(state, viewer)["secret"]["word"] == word


def test_hints_reveal_letters_then_the_deadline_ends_the_turn() -> None:
    state = _drawing(hints=2, draw_seconds=90)
    assert state.word is not None
    state = _play(state, SYSTEM, {"type": "timeout"}, 31)
    pattern = GAME.view(state, Viewer.player(1))["pattern"]
    assert sum(1 for c in pattern if c is not None and c.isalpha()) == 1
    state = _play(state, SYSTEM, {"type": "timeout"}, 61)
    assert len(state.revealed) == 2 and state.phase == "drawing"
    state = _play(state, SYSTEM, {"type": "timeout"}, 91)
    assert state.phase == "reveal" and state.scores == [0, 0, 0]
    state = _play(state, SYSTEM, {"type": "timeout"}, 98)
    assert state.phase == "choosing" and GAME.drawer(state) == 1 and state.ink == []


def test_game_ends_after_everyone_drew_with_placings_for_every_seat() -> None:
    state = GAME.setup(3, GAME.default_options(), 3, START)
    clock = 0.0
    for turn in range(3):
        state = _play(state, turn, {"type": "choose", "index": 0}, clock)
        guesser = (turn + 1) % 3
        state = _play(state, guesser, {"type": "guess", "text": state.word or ""}, clock + 5)
        clock += 200
        while state.phase != "choosing" and state.phase != "over":
            state = _play(state, SYSTEM, {"type": "timeout"}, clock)
            clock += 100
    outcome = GAME.outcome(state)
    assert outcome is not None
    placings = outcome.details["placings"]
    assert set(placings) == {0, 1, 2}
    scores = outcome.details["scores"]
    for seat, place in placings.items():
        assert place == 1 + sum(1 for s in scores if s > scores[seat])
    assert GAME.legal_actions(state, 0) == [] and GAME.deadline(state) is None


def test_game_metadata() -> None:
    assert GAME.duration_minutes[0] < GAME.duration_minutes[1]
    assert GAME.voice in ("needed", "welcome", "none")


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"rounds": 9}, "dessin/out_of_range"),
        ({"draw_seconds": "80"}, "dessin/out_of_range"),
        ({"level": "impossible"}, "dessin/bad_level"),
        ({"colour": 1}, "dessin/unknown_option"),
    ],
)
def test_bad_options_are_refused(options: dict[str, Any], code: str) -> None:
    rejection = GAME.validate_options(options, 3)
    assert rejection is not None and rejection.code == code
    assert GAME.validate_options({}, 1) is not None
    assert GAME.validate_options({}, 13) is not None
