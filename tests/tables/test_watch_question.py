"""The spectators' question at a table: a game may name it; a "who is" question has an answer."""

from __future__ import annotations

from estaminet.games import kit
from estaminet.kernel.i18n import N_
from estaminet.tables import votes


class _Intruder:
    """A game whose watchers guess who the intruder is (the answer comes with the outcome)."""

    watch_question = N_("Who is the intruder?")
    watch_kind = "who_is"


def test_watch_question_default_and_named_by_the_game() -> None:
    assert votes.question(kit.get("lowest_unique")) == "Who played best?"
    assert votes.question(kit.get("petit_bac")) == "Who wrote the funniest answers?"
    assert votes.question_kind(kit.get("petit_bac")) == "favourite"
    assert votes.question_kind(_Intruder()) == "who_is"  # type: ignore[arg-type]


def test_watch_question_right_seats() -> None:
    favourite = kit.get("petit_bac")
    assert votes.right_seats(favourite, None, {0: 2, 1: 2, 2: 1}) == frozenset({0, 1})
    assert votes.right_seats(favourite, None, {}) == frozenset()
    outcome = {"details": {"who_is": [2], "placings": {"0": 1}}}
    intruder = _Intruder()
    assert votes.right_seats(intruder, outcome, {0: 5}) == frozenset({2})  # type: ignore[arg-type]
    assert votes.right_seats(intruder, None, {0: 5}) == frozenset()  # type: ignore[arg-type]


def test_watch_question_seat_numbers() -> None:
    assert votes.seat_number("3") == 3 and votes.seat_number(" 0 ") == 0
    for bad in ("-1", "x", "", "12345", "٣", None):
        assert votes.seat_number(bad) is None


def test_the_games_name_their_watchers_question() -> None:
    import estaminet.games  # noqa: F401  (registers every game)

    assert votes.question(kit.get("dessin")) == "Who made the best drawing?"
    assert votes.question_kind(kit.get("dessin")) == "favourite"
    intrus = kit.get("intrus")
    assert votes.question(intrus) == "Who is the intruder?"
    assert votes.question_kind(intrus) == "who_is"


def test_l_intrus_gives_the_watchers_the_answer_at_the_end() -> None:
    """Every seat that was not a civilian is a right guess, whoever won."""
    from estaminet.games.intrus import CIVILIAN
    from estaminet.games.kit.conformance import play

    game = kit.get("intrus")
    for seed in range(12):
        played = play(game, seats=6, options=game.default_options(), seed=seed, checks=False)
        outcome = played.outcome
        assert outcome is not None
        roles = outcome.details["roles"]
        assert outcome.details["who_is"] == [s for s, r in enumerate(roles) if r != CIVILIAN]
        assert outcome.details["who_is"]  # there is always someone to find
