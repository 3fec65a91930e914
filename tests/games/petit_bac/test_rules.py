"""Le Petit Bac's rules: comparison, letter check, scoring, contests, deadlines and bad input."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest

from estaminet.games.kit.conformance import START
from estaminet.games.petit_bac import GAME, REJECTION_MESSAGES, State, comparison_key, starts_with
from estaminet.games.petit_bac.options import DEFAULT_OPTIONS, categories, letters
from estaminet.games.petit_bac.scoring import placings, points, verdicts
from estaminet.kernel.activity import SYSTEM, Rejection, Viewer

CATEGORIES = 6


def act(state: State, seat: int, action: Mapping[str, Any], when: Any = START) -> State:
    events = GAME.apply(state, seat, action, when)
    assert not isinstance(events, Rejection), events
    for event in events:
        state = GAME.evolve(state, event)
    return state


def refused(state: State, seat: int, action: Mapping[str, Any], code: str) -> None:
    result = GAME.apply(state, seat, action, START)
    assert isinstance(result, Rejection), result
    assert result.code == f"petit_bac/{code}"
    assert result.code in REJECTION_MESSAGES


def sheet(*answers: str) -> list[str]:
    return [*answers, *[""] * (CATEGORIES - len(answers))]


def with_letter(letter: str, seats: int = 3, **options: Any) -> State:
    state = GAME.setup(seats, options, seed=1, now=START)
    state.letter = letter
    return state


def to_review(state: State) -> State:
    deadline = GAME.deadline(state)
    assert deadline is not None
    return act(state, SYSTEM, {"type": "timeout"}, deadline)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Rémi", "remi"),
        (" RE-MI ", "Rémi"),
        ("Saint-Étienne", "saint etienne"),
        ("l'Ours", "ours"),
        ("Le Lion", "lion"),
        ("Œuf", "oeuf"),
        ("CÉLINE", "céline"),
    ],
)
def test_words_compare_forgiving_accents_case_spaces_hyphens_articles(a: str, b: str) -> None:
    assert comparison_key(a) == comparison_key(b)


def test_words_different_answers_stay_different() -> None:
    assert comparison_key("Rome") != comparison_key("Romy")


@pytest.mark.parametrize(
    ("answer", "letter", "ok"),
    [
        ("Éléphant", "E", True),
        ("éléphant", "e", True),
        ("L'Ours", "O", True),
        ("La Paz", "L", True),
        ("  remi", "R", True),
        ("Ours", "R", False),
        ("", "R", False),
        ("-", "R", False),
    ],
)
def test_words_letter_check_after_normalisation(answer: str, letter: str, ok: bool) -> None:
    assert starts_with(answer, letter) is ok


def test_scoring_unique_shared_and_none() -> None:
    answers = [["Rémi", "Rome", ""], ["remi", "Riga", "Ours"], ["Raoul", "Riga", "Rat"]]
    verdict = verdicts(answers, "R", [])
    assert verdict == [
        ["valid", "valid", "empty"],
        ["valid", "valid", "wrong_letter"],
        ["valid", "valid", "valid"],
    ]
    assert points(answers, verdict) == [[5, 10, 0], [5, 5, 0], [10, 5, 10]]


def test_scoring_refused_answer_scores_nothing_and_unshares_the_other() -> None:
    answers = [["Rome"], ["rome"], ["Riga"]]
    contest = {"seat": 1, "category": 0, "by": 0, "votes": [False, None, False]}
    verdict = verdicts(answers, "R", [contest])
    assert verdict == [["valid"], ["refused"], ["valid"]]
    assert points(answers, verdict) == [[10], [0], [10]]


def test_scoring_placings_share_equal_totals() -> None:
    assert placings([30, 45, 30, 10]) == [2, 1, 2, 4]


def test_round_answers_secret_until_the_reveal_only_who_has_finished() -> None:
    state = with_letter("R")
    state = act(state, 0, {"type": "answers", "answers": sheet("Rémi")})
    state = act(state, 1, {"type": "answers", "answers": ["Rx"] * CATEGORIES})
    mine = GAME.view(state, Viewer.player(0))
    assert [a["answer"] for a in mine["sheets"][0]][:1] == ["Rémi"] and len(mine["sheets"]) == 1
    for viewer in (Viewer.player(2), Viewer.spectator(), Viewer.narrator()):
        seen = GAME.view(state, viewer)
        own = [row["seat"] for sheet in seen["sheets"] for row in sheet]
        assert set(own) <= {viewer.seat} and seen["reveal"] == []
        assert "Rémi" not in str(seen)
        assert seen["finished"] == [False, True, False]


def test_round_stop_needs_a_full_sheet_and_closes_everyone() -> None:
    state = with_letter("R")
    refused(state, 0, {"type": "answers", "answers": sheet("Rémi"), "stop": True}, "not_complete")
    state = act(state, 0, {"type": "answers", "answers": ["Rex"] * CATEGORIES, "stop": True})
    assert state.phase == "review" and state.stopped_by == 0
    refused(state, 1, {"type": "answers", "answers": sheet("Rome")}, "writing_over")
    assert GAME.view(state, Viewer.spectator())["reveal"][0]["rows"][0]["answer"] == "Rex"


def test_round_deadline_default_closes_the_sheets_and_the_review() -> None:
    state = with_letter("R")
    assert GAME.deadline(state) == START + timedelta(seconds=DEFAULT_OPTIONS["writing_seconds"])
    deadline = GAME.deadline(state)
    assert deadline is not None
    early = GAME.apply(state, SYSTEM, {"type": "timeout"}, deadline - timedelta(seconds=1))
    assert isinstance(early, Rejection) and early.code == "petit_bac/too_early"
    state = act(state, SYSTEM, {"type": "timeout"}, deadline)
    assert state.phase == "review"
    review_end = GAME.deadline(state)
    assert review_end == deadline + timedelta(seconds=DEFAULT_OPTIONS["review_seconds"])
    state = act(state, SYSTEM, {"type": "timeout"}, review_end)
    assert state.phase == "writing" and state.round == 2 and len(state.history) == 1
    assert state.letter != state.history[0]["letter"]


def test_challenge_vote_majority_of_the_others_refuses() -> None:
    state = with_letter("R", seats=4)
    state = act(state, 0, {"type": "answers", "answers": ["Rat"] * CATEGORIES})
    state = to_review(state)
    state = act(state, 1, {"type": "contest", "seat": 0, "category": 2})
    # 3 other players: contester + one more vote against is 2 of 3, a majority.
    state = act(state, 2, {"type": "vote", "seat": 0, "category": 2, "valid": False})
    row = GAME.view(state, Viewer.player(3))["reveal"][2]["rows"][0]
    assert row["verdict"] == "refused" and row["contest"]["against"] == 2


def test_challenge_vote_tie_keeps_the_answer() -> None:
    state = with_letter("R", seats=3)
    state = act(state, 0, {"type": "answers", "answers": ["Rat"] * CATEGORIES})
    state = to_review(state)
    state = act(state, 1, {"type": "contest", "seat": 0, "category": 2})
    state = act(state, 2, {"type": "vote", "seat": 0, "category": 2, "valid": True})
    for seat in range(3):
        state = act(state, seat, {"type": "ready"})
    assert state.round == 2
    assert state.history[0]["verdicts"][0][2] == "valid"
    assert state.scores[0] == 10 * CATEGORIES


def test_review_ends_early_when_all_ready_and_votes_in() -> None:
    state = to_review(with_letter("R", seats=2))
    state = act(state, 0, {"type": "ready"})
    assert state.phase == "review"
    state = act(state, 1, {"type": "ready"})
    assert state.phase == "writing" and state.round == 2


def test_game_ends_with_ranking_and_placings() -> None:
    state = with_letter("R", seats=3, rounds=1)
    state = act(state, 0, {"type": "answers", "answers": ["Rat"] * CATEGORIES})
    state = act(state, 1, {"type": "answers", "answers": sheet("Rémi")})
    state = act(state, 2, {"type": "answers", "answers": sheet("remi", "Rome")})
    state = to_review(state)
    for seat in range(3):
        state = act(state, seat, {"type": "ready"})
    outcome = GAME.outcome(state)
    assert outcome is not None and outcome.winners == frozenset({0})
    assert outcome.details["placings"] == {0: 1, 1: 3, 2: 2}
    assert state.scores == [60, 5, 15]  # six unique "Rat"; "Rémi" = "remi" shared; "Rome" unique
    assert GAME.legal_actions(state, 0) == [] and GAME.deadline(state) is None


@pytest.mark.parametrize(
    ("seat", "action", "code"),
    [
        (0, {"type": "jump"}, "unknown_action"),
        (9, {"type": "answers", "answers": sheet()}, "not_a_player"),
        (0, {"type": "answers", "answers": ["R"] * 2}, "bad_answers"),
        (0, {"type": "answers", "answers": [1] * CATEGORIES}, "bad_answers"),
        (0, {"type": "answers", "answers": "Rémi"}, "bad_answers"),
        (0, {"type": "answers", "answers": sheet("R" * 41)}, "too_long"),
        (0, {"type": "answers", "answers": sheet(), "stop": "yes"}, "bad_answers"),
        (0, {"type": "contest", "seat": 1, "category": 0}, "not_review"),
        (0, {"type": "vote", "seat": 1, "category": 0, "valid": True}, "not_review"),
        (0, {"type": "ready"}, "not_review"),
    ],
)
def test_rejects_bad_input_while_writing(seat: int, action: dict[str, Any], code: str) -> None:
    refused(with_letter("R"), seat, action, code)


def test_rejects_bad_input_while_reviewing() -> None:
    state = with_letter("R")
    state = act(state, 0, {"type": "answers", "answers": ["Rat"] * CATEGORIES})
    state = to_review(state)
    refused(state, 0, {"type": "answers", "answers": sheet("Rome")}, "writing_over")
    refused(state, 0, {"type": "contest", "seat": 0, "category": 0}, "own_answer")
    refused(state, 1, {"type": "contest", "seat": 0, "category": 9}, "bad_target")
    refused(state, 1, {"type": "contest", "seat": 2, "category": 0}, "not_contestable")
    refused(state, 1, {"type": "vote", "seat": 0, "category": 0, "valid": False}, "not_contested")
    state = act(state, 1, {"type": "contest", "seat": 0, "category": 0})
    refused(state, 2, {"type": "contest", "seat": 0, "category": 0}, "already_contested")
    refused(state, 0, {"type": "vote", "seat": 0, "category": 0, "valid": True}, "own_answer_vote")
    refused(state, 1, {"type": "vote", "seat": 0, "category": 0, "valid": True}, "already_voted")
    refused(state, 2, {"type": "vote", "seat": 0, "category": 0, "valid": "oui"}, "bad_vote")
    state = act(state, 2, {"type": "ready"})
    refused(state, 2, {"type": "ready"}, "already_ready")


def test_letters_drawn_by_lot_leave_out_rare_ones_and_never_repeat() -> None:
    assert not set("KWXYZ") & set(letters(DEFAULT_OPTIONS))
    drawn = {GAME.setup(3, {}, seed=seed, now=START).letter for seed in range(60)}
    assert not drawn & set("KWXYZ") and len(drawn) > 5
    options = {"rounds": 2, "excluded_letters": "CDEFGHIJKLMNOPQRSTUVWXYZ"}
    assert GAME.validate_options(options, 3) is None
    state = GAME.setup(3, options, 1, START)
    first = state.letter
    state = to_review(state)
    deadline = GAME.deadline(state)
    state = act(state, SYSTEM, {"type": "timeout"}, deadline)
    assert {first, state.letter} == {"A", "B"}


def test_options_categories_default_set_and_custom() -> None:
    names = categories(DEFAULT_OPTIONS)
    assert [c["key"] for c in names] == [
        "first_name",
        "country_or_city",
        "animal",
        "job",
        "fruit_or_vegetable",
        "object",
    ]
    custom = categories(
        {"category_job": False, "custom_categories": "Marque,\n Chanteur  ou chanteuse"}
    )
    assert custom[-2:] == [{"label": "Marque"}, {"label": "Chanteur ou chanteuse"}]
    assert len(custom) == 7


@pytest.mark.parametrize(
    ("options", "players", "code"),
    [
        ({}, 1, "bad_players"),
        ({"rounds": 0}, 3, "out_of_range"),
        ({"rounds": "3"}, 3, "out_of_range"),
        ({"colour": 1}, 3, "unknown_option"),
        ({"category_animal": "yes"}, 3, "bad_option"),
        ({"excluded_letters": "K1"}, 3, "bad_letters"),
        ({"excluded_letters": "ABCDEFGHIJKLMNOPQRSTUVWX", "rounds": 3}, 3, "too_few_letters"),
        ({"custom_categories": "x" * 31}, 3, "category_too_long"),
        (
            {f"category_{k}": False for k in ("first_name", "country_or_city", "animal", "job")},
            3,
            "category_count",
        ),
    ],
)
def test_options_rejected(options: dict[str, Any], players: int, code: str) -> None:
    rejection = GAME.validate_options(options, players)
    assert rejection is not None and rejection.code == f"petit_bac/{code}"
    assert rejection.code in REJECTION_MESSAGES


def test_options_defaults_accepted() -> None:
    assert GAME.validate_options(GAME.default_options(), 4) is None
