"""L'Intrus: every rule and every refusal, on hand-dealt tables."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from estaminet.games.intrus import (
    GAME,
    PAIRS,
    REJECTION_MESSAGES,
    State,
    clue_problem,
    rules_sections,
    same_family,
)
from estaminet.games.intrus.voting import decide
from estaminet.kernel.activity import SYSTEM, Rejection, Viewer, ViewerKind
from estaminet.translations import render

NOW = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
C, N, B = "civilian", "intruder", "blank"  # civil, intrus (N), Mr White (blank)


def deal(roles: Sequence[str], **options: Any) -> State:
    """A table with these roles, "plage" for the civils and "piscine" for the intrus; seat 0 starts."""
    state = GAME.setup(len(roles), {**GAME.default_options(), **options}, 7, NOW)
    data = GAME.dump(state)
    word = {C: "plage", N: "piscine", B: None}
    data.update(
        roles=list(roles),
        words=[word[r] for r in roles],
        civilian_word="plage",
        intruder_word="piscine",
        starter=0,
        order=list(range(len(roles))),
    )
    return GAME.load(data)


def act(state: State, actor: int, action: Mapping[str, Any], now: datetime = NOW) -> State:
    result = GAME.apply(state, actor, action, now)
    assert not isinstance(result, Rejection), result
    for event in result:
        state = GAME.evolve(state, json.loads(json.dumps(event)))
    return state


def refused(state: State, actor: int, action: Mapping[str, Any], now: datetime = NOW) -> str:
    before = json.dumps(GAME.dump(state), sort_keys=True)
    result = GAME.apply(state, actor, action, now)
    assert isinstance(result, Rejection), result
    assert result.code in REJECTION_MESSAGES
    assert json.dumps(GAME.dump(state), sort_keys=True) == before
    return result.code.removeprefix("intrus/")


def clues_round(state: State, clue: str = "indice") -> State:
    for seat in list(state.order):
        state = act(state, seat, {"type": "clue", "word": clue})
    return state


def to_vote(state: State) -> State:
    state = clues_round(state)
    for seat, up in enumerate(state.alive):
        if up:
            state = act(state, seat, {"type": "ready"})
    assert state.phase == "vote"
    return state


def votes(state: State, ballots: Mapping[int, int]) -> State:
    for voter, target in ballots.items():
        state = act(state, voter, {"type": "vote", "seat": target})
    return state


# --- the game's metadata and the word list ----------------------------------------------


def test_intrus_metadata_for_the_picker_and_the_soiree() -> None:
    assert GAME.duration_minutes == (10, 25)
    assert GAME.voice == "welcome"
    assert (GAME.min_players, GAME.max_players) == (4, 12)


def test_pairs_are_many_distinct_single_words() -> None:
    assert len(PAIRS) >= 150
    words = [w for pair in PAIRS for w in pair]
    assert len(words) == len(set(words))
    assert all(" " not in w and w for w in words)
    assert all(clue_problem(left, right) is None for left, right in PAIRS)


# --- dealing ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_setup_deals_one_pair_with_the_table_mix(seed: int) -> None:
    state = GAME.setup(7, {"intruders": 2, "blank": "yes"}, seed, NOW)
    assert sorted(state.roles) == sorted([B, C, C, C, C, N, N])
    assert {(state.civilian_word, state.intruder_word)} <= {*PAIRS, *[(b, a) for a, b in PAIRS]}
    for role, word in zip(state.roles, state.words, strict=True):
        assert word == {C: state.civilian_word, N: state.intruder_word, B: None}[role]


def test_setup_maybe_mr_white_is_sometimes_there() -> None:
    blanks = {B in GAME.setup(6, {"blank": "maybe"}, seed, NOW).roles for seed in range(40)}
    assert blanks == {True, False}


def test_options_refused_with_a_reason() -> None:
    assert GAME.validate_options({}, 4) is None
    assert GAME.validate_options({"blank": "yes"}, 5) is None
    cases = [
        ({}, 3, "bad_players"),
        ({}, 13, "bad_players"),
        ({"colour": 1}, 5, "unknown_option"),
        ({"blank": "sometimes"}, 5, "bad_option"),
        ({"intruders": 3}, 9, "out_of_range"),
        ({"vote_seconds": True}, 5, "out_of_range"),
        ({"clue_seconds": 5}, 5, "out_of_range"),
        ({"blank": "yes"}, 4, "too_few_civils"),
        ({"intruders": 2, "blank": "maybe"}, 6, "too_few_civils"),
    ]
    for options, players, code in cases:
        rejection = GAME.validate_options(options, players)
        assert rejection is not None and rejection.code == f"intrus/{code}", (options, players)


# --- clues -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clue", "code"),
    [
        ("", "empty_clue"),
        ("   ", "empty_clue"),
        ("sable chaud", "several"),
        ("x" * 31, "clue_too_long"),
        ("!!!", "letters_only"),
        ("sable.", "letters_only"),
        ("plage", "own_word"),
        ("PLAGE", "own_word"),
        ("Plâges", "own_word"),
        ("la plage", "several"),
        ("plagiste", "own_word"),
    ],
)
def test_clue_refused_with_a_reason(clue: str, code: str) -> None:
    state = deal([C, C, C, N])
    expected = "one_word" if code == "several" else code
    assert refused(state, 0, {"type": "clue", "word": clue}) == expected


def test_clue_accepts_one_word_with_a_hyphen_or_apostrophe() -> None:
    state = deal([C, C, C, N])
    for seat, clue in enumerate(["arc-en-ciel", "aujourd'hui", "Sable", "plage"]):
        state = act(state, seat, {"type": "clue", "word": f"  {clue} "})
    assert [c["clue"] for c in state.clues] == ["arc-en-ciel", "aujourd'hui", "Sable", "plage"]
    assert state.phase == "discussion"


def test_clue_the_other_word_is_not_refused_so_it_tells_nothing() -> None:
    # The intrus (seat 3) may say the civils' word: refusing it would reveal it to him.
    state = clues_round(deal([N, C, C, C]), "sable")
    assert refused(deal([N, C, C, C]), 0, {"type": "clue", "word": "piscines"}) == "own_word"
    assert act(deal([N, C, C, C]), 0, {"type": "clue", "word": "plage"}).turn == 1
    assert state.phase == "discussion"


def test_clue_refusals_out_of_turn_and_for_bad_types() -> None:
    state = deal([C, C, C, N])
    assert refused(state, 1, {"type": "clue", "word": "sable"}) == "not_your_turn"
    assert refused(state, 0, {"type": "clue", "word": 12}) == "bad_clue"
    assert refused(state, 0, {"type": "clue"}) == "bad_clue"
    assert refused(state, 0, {"type": "dance"}) == "unknown_action"
    assert refused(state, 9, {"type": "clue", "word": "sable"}) == "not_a_player"
    assert refused(state, 0, {"type": "ready"}) == "not_discussion"
    assert refused(state, 0, {"type": "vote", "seat": 1}) == "not_vote"
    assert refused(state, 0, {"type": "guess", "word": "plage"}) == "not_guess"


def test_clue_timeout_passes_the_turn_and_is_not_early() -> None:
    state = deal([C, C, C, N])
    assert refused(state, SYSTEM, {"type": "timeout"}) == "too_early"
    later = NOW + timedelta(seconds=40)
    state = act(state, SYSTEM, {"type": "timeout"}, later)
    assert state.clues == [{"round": 1, "seat": 0, "clue": None}]
    assert GAME.deadline(state) == later + timedelta(seconds=40)


def test_mr_white_gives_any_clue() -> None:
    state = act(deal([B, C, C, C, N]), 0, {"type": "clue", "word": "plage"})
    assert state.clues[0]["clue"] == "plage"


# --- discussion and vote ---------------------------------------------------------------


def test_discussion_ends_when_everyone_is_ready_or_on_time() -> None:
    state = clues_round(deal([C, C, C, N]))
    state = act(state, 0, {"type": "ready"})
    assert refused(state, 0, {"type": "ready"}) == "already_ready"
    timed = act(state, SYSTEM, {"type": "timeout"}, NOW + timedelta(seconds=90))
    assert timed.phase == "vote" and timed.candidates == [0, 1, 2, 3]
    for seat in (1, 2, 3):
        state = act(state, seat, {"type": "ready"})
    assert state.phase == "vote"


def test_vote_refusals() -> None:
    state = to_vote(deal([C, C, C, N]))
    assert refused(state, 0, {"type": "vote", "seat": 0}) == "own_vote"
    assert refused(state, 0, {"type": "vote", "seat": 7}) == "bad_target"
    assert refused(state, 0, {"type": "vote", "seat": "3"}) == "bad_target"
    state = act(state, 0, {"type": "vote", "seat": 3})
    assert refused(state, 0, {"type": "vote", "seat": 2}) == "already_voted"


def test_vote_most_voted_is_out_and_role_shown_to_all() -> None:
    state = votes(to_vote(deal([C, C, C, N, C])), {0: 3, 1: 3, 2: 0, 3: 0, 4: 3})
    assert state.alive == [True, True, True, False, True]
    assert state.eliminated == [{"seat": 3, "role": N, "round": 1}]
    assert state.phase == "over" and state.winner == "civilians"
    spectator = GAME.view(state, Viewer.spectator())
    assert spectator["outcome"]["places"] == [1, 1, 1, 2, 1]
    assert spectator["roles"][3] == {"seat": 3, "role": N}


def test_vote_tie_goes_to_a_second_ballot_then_nobody() -> None:
    state = votes(to_vote(deal([C, C, C, C, N])), {0: 1, 1: 0, 2: 1, 3: 0, 4: 2})
    assert state.phase == "vote" and state.ballot == 2 and state.candidates == [0, 1]
    assert refused(state, 2, {"type": "vote", "seat": 4}) == "bad_target"
    decided = votes(state, {0: 1, 1: 0, 2: 1, 3: 0, 4: 1})
    assert decided.alive == [True, False, True, True, True] and decided.round == 2
    # A second tie: nobody out, next round.
    tie = votes(to_vote(deal([C, C, C, C, N])), {0: 1, 1: 0, 2: 1, 3: 0, 4: 2})
    tie = votes(tie, {0: 1, 1: 0, 2: 1, 3: 0})
    tie = act(tie, SYSTEM, {"type": "timeout"}, NOW + timedelta(seconds=45))
    assert all(tie.alive) and tie.round == 2 and tie.phase == "clues"
    assert [b["again"] for b in tie.ballots] == [[0, 1], []]


def test_vote_nobody_voting_puts_nobody_out() -> None:
    assert decide([None, None, None], [0, 1, 2], 1) == (None, [])
    state = act(to_vote(deal([C, C, C, N])), SYSTEM, {"type": "timeout"}, NOW + timedelta(1))
    assert all(state.alive) and state.round == 2


def test_eliminated_player_cannot_act() -> None:
    state = votes(to_vote(deal([C, C, C, C, N])), {0: 1, 1: 0, 2: 1, 3: 1, 4: 1})
    assert state.alive[1] is False and state.phase == "clues"
    assert state.order == [2, 3, 4, 0]  # the next living seat starts the next round
    assert refused(state, 1, {"type": "clue", "word": "sable"}) == "eliminated"


# --- endings and placings --------------------------------------------------------------


def test_intrus_win_when_as_many_as_the_civils() -> None:
    state = votes(to_vote(deal([C, C, C, N])), {0: 1, 1: 0, 2: 1, 3: 1})
    state = votes(to_vote(state), {0: 2, 2: 0, 3: 2})
    assert state.phase == "over" and state.winner == "intruders"
    outcome = GAME.outcome(state)
    assert outcome is not None and outcome.reason == "outnumbered"
    assert outcome.winners == {3}
    assert outcome.details["placings"] == {0: 2, 1: 2, 2: 2, 3: 1}


def test_civils_win_and_share_first_place_even_when_out() -> None:
    state = votes(to_vote(deal([C, C, C, C, N])), {0: 1, 1: 0, 2: 1, 3: 1, 4: 1})
    state = votes(to_vote(state), {0: 4, 2: 4, 3: 4, 4: 0})
    outcome = GAME.outcome(state)
    assert outcome is not None and outcome.reason == "all_found"
    assert outcome.details["placings"] == {0: 1, 1: 1, 2: 1, 3: 1, 4: 2}


def test_mr_white_out_guesses_the_word_and_wins_alone() -> None:
    state = votes(to_vote(deal([B, C, C, C, N])), {0: 1, 1: 0, 2: 0, 3: 0, 4: 0})
    assert state.phase == "guess" and state.guesser == 0
    assert refused(state, 1, {"type": "guess", "word": "plage"}) == "not_guess"
    assert refused(state, 0, {"type": "guess", "word": ""}) == "bad_guess"
    assert refused(state, 0, {"type": "guess", "word": None}) == "bad_guess"
    won = act(state, 0, {"type": "guess", "word": " La PLAGE "})
    outcome = GAME.outcome(won)
    assert outcome is not None and outcome.reason == "blank_guessed"
    assert outcome.details["placings"] == {0: 1, 1: 2, 2: 2, 3: 2, 4: 2}
    lost = act(state, 0, {"type": "guess", "word": "piscine"})
    assert lost.phase == "clues" and lost.guesses[-1] == {
        "round": 1,
        "seat": 0,
        "guess": "piscine",
        "right": False,
    }
    timed = act(state, SYSTEM, {"type": "timeout"}, NOW + timedelta(seconds=45))
    assert timed.guesses[-1]["guess"] is None and timed.round == 2


def test_mr_white_last_one_out_who_misses_gives_the_civils_the_win() -> None:
    state = votes(to_vote(deal([C, C, C, N, B])), {0: 3, 1: 3, 2: 3, 3: 0, 4: 3})
    state = votes(to_vote(state), {0: 4, 1: 4, 2: 4, 4: 0})
    state = act(state, 4, {"type": "guess", "word": "sable"})
    outcome = GAME.outcome(state)
    assert outcome is not None and outcome.details["side"] == "civilians"
    assert outcome.details["placings"] == {0: 1, 1: 1, 2: 1, 3: 2, 4: 2}


def test_game_over_refuses_moves() -> None:
    state = votes(to_vote(deal([C, C, C, N])), {0: 3, 1: 3, 2: 3, 3: 0})
    assert refused(state, 0, {"type": "ready"}) == "game_over"
    assert GAME.deadline(state) is None


# --- views -----------------------------------------------------------------------------


def test_views_show_only_ones_own_word_and_no_role() -> None:
    state = deal([C, B, C, N, C])
    for seat in range(5):
        view = GAME.view(state, Viewer.player(seat))
        assert view["me"] == {"seat": seat, "word": state.words[seat]}
        text = json.dumps(view)
        others = {"plage", "piscine"} - {state.words[seat]}
        assert not [w for w in others if w in text]
        assert '"role":' not in text and not view["roles"] and not view["words"]
    watcher = json.dumps(GAME.view(state, Viewer.spectator()))
    assert "plage" not in watcher and "piscine" not in watcher and '"role"' not in watcher


def test_views_the_same_for_every_role_but_the_word() -> None:
    # Mr White's screen differs from a civil's only by the word: same timer, same actions.
    state = clues_round(deal([C, B, C, N, C]))
    views = [GAME.view(state, Viewer.player(seat)) for seat in range(5)]
    for view in views:
        view.pop("me")
    assert all(view == views[0] for view in views)


def test_views_replay_and_end_show_every_word_and_role() -> None:
    state = deal([C, C, C, N])
    replay = GAME.view(state, Viewer(ViewerKind.REPLAY))
    assert {w["word"] for w in replay["words"]} == {"plage", "piscine"}
    over = votes(to_vote(state), {0: 3, 1: 3, 2: 3, 3: 0})
    watcher = GAME.view(over, Viewer.spectator())
    assert [r["role"] for r in watcher["roles"]] == [C, C, C, N]
    assert watcher["pair"][0] == {"side": "civilians", "word": "plage"}


def test_views_a_vote_stays_secret_until_the_ballot_closes() -> None:
    state = act(to_vote(deal([C, C, C, N])), 0, {"type": "vote", "seat": 3})
    assert GAME.view(state, Viewer.player(0))["open_votes"][0]["target"] == 3
    assert GAME.view(state, Viewer.player(1))["open_votes"] == []
    assert GAME.view(state, Viewer.spectator())["voted"] == [True, False, False, False]


# --- reading words ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clue", "word", "same"),
    [
        ("Plage", "plage", True),
        ("plages", "plage", True),
        ("CHÂTEAUX", "château", True),
        ("chaton", "chat", True),
        ("l'oeuf", "œuf", True),
        ("Sorcières", "sorcière", True),
        ("mer", "merlan", False),  # a short word is not read as a start of another
        ("sable", "plage", False),
        ("piscine", "plage", False),
        ("bateau", "voilier", False),
    ],
)
def test_words_same_family_forgives_accents_case_plural_and_derived_words(
    clue: str, word: str, same: bool
) -> None:
    assert same_family(clue, word) is same


def test_words_rules_page_follows_the_table_options() -> None:
    lines = [
        render("fr", line)
        for _, section in rules_sections({"intruders": 2, "blank": "maybe", "vote_seconds": 30})
        for line in section
    ]
    assert (
        "À cette table : 2 intrus. Peut-être un Monsieur Blanc (une partie sur deux, personne ne le sait)."
        in lines
    )
    assert any("en 30 secondes" in line for line in lines)


def test_views_with_mr_white_maybe_nothing_tells_whether_he_is_in_play() -> None:
    # Two tables with "maybe": one dealt a Mr White, one not. A civil's screen is the same
    # at every step of the round (clues, discussion, vote), timers and actions included.
    with_him = deal([C, C, C, N, B], blank="maybe")
    without = deal([C, C, C, N, C], blank="maybe")
    steps = [lambda s: s, clues_round, to_vote]
    for step in steps:
        seen = [GAME.view(step(table), Viewer.player(0)) for table in (with_him, without)]
        assert seen[0] == seen[1]
        watched = [GAME.view(step(table), Viewer.spectator()) for table in (with_him, without)]
        assert watched[0] == watched[1]
