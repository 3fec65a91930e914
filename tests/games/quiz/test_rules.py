"""Le Quiz's rules: scoring by server time, closing, watchers apart, secrecy, bad input."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from estaminet.games.kit.conformance import START
from estaminet.games.quiz import (
    GAME,
    NARRATOR_SEAT,
    REJECTION_MESSAGES,
    SAMPLE_SET,
    WATCHER_SEAT,
    SetProblem,
    State,
    check_set,
    is_right,
    points,
)
from estaminet.kernel.activity import SYSTEM, Rejection, Viewer, ViewerKind

CHOICE = {
    "text": "Capitale de la Belgique ?",
    "kind": "choice",
    "choices": ["Bruxelles", "Anvers", "Gand"],
    "right": [0],
    "accepted": [],
    "seconds": 10,
    "media": None,
}
FREE = {
    "text": "Ville du Doudou ?",
    "kind": "free",
    "choices": [],
    "right": [],
    "accepted": ["Mons"],
    "seconds": 20,
    "media": None,
}
QUIZ = {"title": "Essai", "questions": [CHOICE, FREE]}


def _start(seats: int = 3, **options: Any) -> State:
    state: State = GAME.setup(seats, {"quiz": QUIZ, **options}, 7, START)
    return state


def _play(state: State, actor: int, action: dict[str, Any], seconds: float = 1) -> State:
    result = GAME.apply(state, actor, action, START + timedelta(seconds=seconds))
    assert not isinstance(result, Rejection), result
    for event in result:
        state = GAME.evolve(state, event)
    return state


def _refused(state: State, actor: int, action: dict[str, Any], seconds: float = 1) -> str:
    result = GAME.apply(state, actor, action, START + timedelta(seconds=seconds))
    assert isinstance(result, Rejection)
    assert result.code in REJECTION_MESSAGES
    return result.code


def test_quiz_metadata_for_the_picker_and_the_soiree() -> None:
    assert GAME.duration_minutes == (10, 30)
    assert GAME.voice in ("needed", "welcome", "none")


def test_quiz_points_fall_from_1000_to_500_with_the_time_taken() -> None:
    assert points(CHOICE, {"answer": 0, "elapsed_ms": 0}) == 1000
    assert points(CHOICE, {"answer": 0, "elapsed_ms": 5000}) == 750
    assert points(CHOICE, {"answer": 0, "elapsed_ms": 10000}) == 500
    assert points(CHOICE, {"answer": 0, "elapsed_ms": 99000}) == 500
    assert points(CHOICE, {"answer": 1, "elapsed_ms": 0}) == 0
    assert points(CHOICE, None) == 0


def test_quiz_free_answers_forgive_accents_case_spaces_and_articles() -> None:
    liege = {**FREE, "accepted": ["Liège"]}
    for typed in ("Liège", "liege", "  LIÈGE ", "li-ège", "la Liège"):
        assert is_right(liege, typed), typed
    assert not is_right(liege, "Lièges")
    assert not is_right(liege, "")
    assert not is_right(CHOICE, "0")


def test_quiz_several_right_choices_any_one_counts() -> None:
    two = {**CHOICE, "right": [0, 2]}
    assert is_right(two, 0) and is_right(two, 2) and not is_right(two, 1)


def test_quiz_time_is_the_servers_and_the_log_order_is_the_arrival_order() -> None:
    state = _start()
    state = _play(state, 1, {"type": "answer", "choice": 0}, seconds=2)
    # A later arrival stamped earlier (clock skew between instances) is not counted faster.
    state = _play(state, 0, {"type": "answer", "choice": 0}, seconds=1)
    answers = state.answers
    assert answers[1] is not None and answers[1]["elapsed_ms"] == 2000
    assert answers[0] is not None and answers[0]["elapsed_ms"] == 2000
    assert (answers[1]["order"], answers[0]["order"]) == (1, 2)


def test_quiz_question_closes_when_every_player_answered_with_scores() -> None:
    state = _start(seats=2)
    state = _play(state, 0, {"type": "answer", "choice": 0}, seconds=0)
    assert state.phase == "question"
    state = _play(state, 1, {"type": "answer", "choice": 2}, seconds=4)
    assert state.phase == "scoreboard"
    assert state.scores == [1000, 0]
    rows = state.results[0]["rows"]
    assert [r["correct"] for r in rows] == [True, False]
    assert state.deadline == (START + timedelta(seconds=4 + 8)).isoformat()


def test_quiz_timeout_closes_then_opens_the_next_question() -> None:
    state = _start(seats=2)
    assert _refused(state, SYSTEM, {"type": "timeout"}, seconds=9) == "quiz/too_early"
    state = _play(state, SYSTEM, {"type": "timeout"}, seconds=10)
    assert state.phase == "scoreboard" and state.scores == [0, 0]
    state = _play(state, SYSTEM, {"type": "timeout"}, seconds=18)
    assert (state.phase, state.index) == ("question", 1)
    assert state.deadline == (START + timedelta(seconds=38)).isoformat()


def test_quiz_game_ends_after_the_last_question_with_placings_for_every_seat() -> None:
    state = _start(seats=3)
    state = _play(state, 0, {"type": "answer", "choice": 0}, seconds=0)
    state = _play(state, 1, {"type": "answer", "choice": 0}, seconds=0)
    state = _play(state, 2, {"type": "answer", "choice": 0}, seconds=0)
    state = _play(state, SYSTEM, {"type": "timeout"}, seconds=60)
    state = _play(state, 0, {"type": "answer", "text": "mons"}, seconds=61)
    state = _play(state, 1, {"type": "answer", "text": "Namur"}, seconds=61)
    state = _play(state, 2, {"type": "answer", "text": "Bergen ?"}, seconds=61)
    assert state.phase == "over"
    outcome = GAME.outcome(state)
    assert outcome is not None and outcome.reason == "highest_score"
    assert outcome.winners == frozenset({0})
    assert outcome.details["placings"] == {0: 1, 1: 2, 2: 2}
    assert GAME.deadline(state) is None
    assert _refused(state, 0, {"type": "answer", "choice": 0}) == "quiz/game_over"


def test_quiz_nobody_right_is_no_winner_and_ties_share_the_place() -> None:
    state = _start(seats=2, quiz={"title": "Un", "questions": [CHOICE]})
    state = _play(state, SYSTEM, {"type": "timeout"}, seconds=10)
    outcome = GAME.outcome(state)
    assert outcome is not None and outcome.reason == "no_winner"
    assert outcome.details["placings"] == {0: 1, 1: 1}


def test_quiz_watchers_answers_never_touch_the_players_game() -> None:
    state = _start(seats=1)
    state = _play(state, WATCHER_SEAT, {"type": "answer", "choice": 0, "watcher": "u1"}, 0)
    state = _play(state, WATCHER_SEAT, {"type": "answer", "choice": 1, "watcher": "u2"}, 1)
    assert state.phase == "question" and state.answers == [None]
    code = _refused(state, WATCHER_SEAT, {"type": "answer", "choice": 0, "watcher": "u1"})
    assert code == "quiz/already_answered"
    state = _play(state, 0, {"type": "answer", "choice": 1}, seconds=5)
    assert state.phase == "scoreboard" and state.scores == [0]
    assert state.watch_scores == {"u1": 1000, "u2": 0}
    board = GAME.view(state, Viewer.spectator())["watchers"]
    assert [(w["watcher"], w["score"], w["place"]) for w in board] == [
        ("u1", 1000, 1),
        ("u2", 0, 2),
    ]


def test_quiz_no_view_shows_a_right_answer_or_anothers_answer_before_the_close() -> None:
    state = _start(seats=2)
    state = _play(state, 0, {"type": "answer", "choice": 2}, seconds=1)
    state = _play(state, WATCHER_SEAT, {"type": "answer", "choice": 0, "watcher": "u9"}, 1)
    for viewer in (Viewer.player(1), Viewer.spectator(), Viewer.narrator()):
        wire = json.dumps(GAME.view(state, viewer))
        assert '"correct"' not in wire and '"answer"' not in wire, viewer
    mine = GAME.view(state, Viewer.player(0))
    assert mine["mine"] == {"question": 0, "seat": 0, "answer": 2}
    assert '"correct"' not in json.dumps(mine)
    replay = GAME.view(state, Viewer(ViewerKind.REPLAY))
    assert any(c.get("correct") for c in replay["question"]["choices"])
    state = _play(state, SYSTEM, {"type": "timeout"}, seconds=10)
    seen = GAME.view(state, Viewer.spectator())
    assert [c["correct"] for c in seen["question"]["choices"]] == [True, False, False]
    assert seen["last"]["rows"][0]["answer"] == 2


def test_quiz_free_answer_solution_hidden_until_the_close() -> None:
    state = _start(seats=1, quiz={"title": "Libre", "questions": [FREE]})
    assert "Mons" not in json.dumps(GAME.view(state, Viewer.player(0)))
    state = _play(state, 0, {"type": "answer", "text": " mons "}, seconds=2)
    view = GAME.view(state, Viewer.player(0))
    assert view["question"]["solutions"] == [{"question": 0, "accepted": "Mons"}]
    assert view["last"]["rows"][0]["answer"] == "mons"


def test_quiz_quiz_master_moves_on_from_the_scoreboard() -> None:
    state = _start(seats=1, narrator="human")
    assert _refused(state, NARRATOR_SEAT, {"type": "next"}) == "quiz/too_early"
    state = _play(state, 0, {"type": "answer", "choice": 0}, seconds=1)
    assert GAME.view(state, Viewer.narrator())["can_next"] is True
    state = _play(state, NARRATOR_SEAT, {"type": "next"}, seconds=2)
    assert (state.phase, state.index) == ("question", 1)


def test_quiz_without_a_quiz_master_next_does_not_exist() -> None:
    state = _start(seats=1)
    assert _refused(state, NARRATOR_SEAT, {"type": "next"}) == "quiz/unknown_action"


@pytest.mark.parametrize(
    ("actor", "action", "code"),
    [
        (0, {"type": "dance"}, "quiz/unknown_action"),
        (5, {"type": "answer", "choice": 0}, "quiz/not_a_player"),
        (WATCHER_SEAT, {"type": "answer", "choice": 0}, "quiz/not_a_player"),
        (WATCHER_SEAT, {"type": "answer", "choice": 0, "watcher": "x" * 65}, "quiz/not_a_player"),
        (0, {"type": "answer", "choice": 3}, "quiz/bad_choice"),
        (0, {"type": "answer", "choice": True}, "quiz/bad_choice"),
        (0, {"type": "answer", "text": "Bruxelles"}, "quiz/bad_choice"),
        (0, {"type": "timeout"}, "quiz/unknown_action"),
    ],
)
def test_quiz_bad_moves_are_refused_with_a_reason(
    actor: int, action: dict[str, Any], code: str
) -> None:
    assert _refused(_start(), actor, action) == code


def test_quiz_answering_twice_or_after_the_close_is_refused() -> None:
    state = _play(_start(seats=2), 0, {"type": "answer", "choice": 0})
    assert _refused(state, 0, {"type": "answer", "choice": 1}) == "quiz/already_answered"
    state = _play(state, SYSTEM, {"type": "timeout"}, seconds=10)
    assert _refused(state, 1, {"type": "answer", "choice": 1}, 11) == "quiz/question_closed"


@pytest.mark.parametrize("text", ["", "   ", "x" * 81, 3])
def test_quiz_bad_free_answers_are_refused(text: Any) -> None:
    state = _start(seats=1, quiz={"title": "Libre", "questions": [FREE]})
    assert _refused(state, 0, {"type": "answer", "text": text}) == "quiz/bad_answer"


@pytest.mark.parametrize(
    ("change", "code", "question"),
    [
        ({"title": " "}, "quiz/title_empty", None),
        ({"title": "t" * 81}, "quiz/title_long", None),
        ({"questions": []}, "quiz/question_count", None),
        ({"questions": [CHOICE, {**CHOICE, "text": ""}]}, "quiz/text_empty", 1),
        ({"questions": [{**CHOICE, "text": "q" * 301}]}, "quiz/text_long", 0),
        ({"questions": [{**CHOICE, "kind": "both"}]}, "quiz/bad_kind", 0),
        ({"questions": [{**CHOICE, "choices": ["seul"]}]}, "quiz/choice_count", 0),
        ({"questions": [{**CHOICE, "choices": ["a", " "]}]}, "quiz/choice_empty", 0),
        ({"questions": [{**CHOICE, "choices": ["a", "b" * 101]}]}, "quiz/choice_long", 0),
        ({"questions": [{**CHOICE, "choices": ["Oui", "oui"]}]}, "quiz/choice_twice", 0),
        ({"questions": [{**CHOICE, "right": []}]}, "quiz/no_right_choice", 0),
        ({"questions": [{**CHOICE, "right": [3]}]}, "quiz/bad_right_choice", 0),
        ({"questions": [{**FREE, "accepted": []}]}, "quiz/accepted_count", 0),
        ({"questions": [{**FREE, "accepted": ["--"]}]}, "quiz/accepted_empty", 0),
        ({"questions": [{**FREE, "accepted": ["a" * 81]}]}, "quiz/accepted_long", 0),
        ({"questions": [{**FREE, "seconds": 4}]}, "quiz/bad_seconds", 0),
        (
            {"questions": [{**FREE, "media": {"kind": "image", "name": "../x"}}]},
            "quiz/bad_media",
            0,
        ),
    ],
)
def test_quiz_bad_sets_name_the_problem_and_the_question(
    change: dict[str, Any], code: str, question: int | None
) -> None:
    problem = check_set({**QUIZ, **change})
    assert isinstance(problem, SetProblem)
    assert (problem.rejection.code, problem.question) == (code, question)
    assert code in REJECTION_MESSAGES
    assert GAME.validate_options({"quiz": {**QUIZ, **change}}, 2) is not None


def test_quiz_options_are_checked() -> None:
    assert GAME.validate_options(GAME.default_options(), 2) is None
    assert GAME.validate_options({}, 0) == Rejection("quiz/bad_players", {"low": 1, "high": 30})
    assert GAME.validate_options({"colour": 1}, 2) == Rejection("quiz/unknown_option")
    out = GAME.validate_options({"pause_seconds": 2}, 2)
    assert out is not None and out.code == "quiz/out_of_range"
    assert check_set(SAMPLE_SET) == SAMPLE_SET


def test_quiz_the_table_plays_its_copy_of_the_set() -> None:
    quiz = json.loads(json.dumps(QUIZ))
    state = GAME.setup(1, {"quiz": quiz}, 1, START)
    quiz["questions"][0]["text"] = "changed later"
    assert state.questions[0]["text"] == "Capitale de la Belgique ?"


def test_quiz_views_name_their_viewer_so_screens_are_never_shared_wrongly() -> None:
    # The table renders equal views once: a spectator must never get a player's screen.
    state = _play(_start(seats=2), SYSTEM, {"type": "timeout"}, seconds=10)
    spectator = GAME.view(state, Viewer.spectator())
    player = GAME.view(state, Viewer.player(1))
    assert spectator != player
    assert (spectator["seat"], player["seat"]) == (None, 1)


@pytest.mark.parametrize("raw", [None, "quiz", {"title": "T", "questions": ["pas une question"]}])
def test_quiz_a_set_that_is_not_a_set_is_refused(raw: Any) -> None:
    problem = check_set(raw)
    assert isinstance(problem, SetProblem) and problem.rejection.code == "quiz/bad_set"


def test_quiz_narrator_option_is_human_or_nothing() -> None:
    assert GAME.validate_options({"narrator": "human"}, 1) is None
    assert GAME.validate_options({"narrator": "robot"}, 1) == Rejection("quiz/unknown_option")
