"""Day rules: the Captain, the vote and its ties, the Idiot, the Scapegoat."""

from __future__ import annotations

from tests.games.werewolf.table import EIGHT, Table, V, W, to_vote


def test_captain_is_elected_by_relative_majority() -> None:
    table = Table(EIGHT)
    assert table.step == "election"
    for seat, target in enumerate([3, 3, 3, 4, 4, 5, None, None]):
        table.act(seat, "vote", target=target)
    assert table.state.captain == 3
    assert "%(seat)s is elected Captain." in table.log()


def test_captain_election_tie_is_drawn_by_lot() -> None:
    table = Table(EIGHT)
    for seat, target in enumerate([3, 3, 4, 4, None, None, None, None]):
        table.act(seat, "vote", target=target)
    assert table.state.captain in (3, 4)
    assert "The election is tied: the Captain is drawn by lot." in table.narration()


def test_captain_vote_counts_double() -> None:
    table = Table(EIGHT)
    table.vote_all(3)
    to_vote(table)
    # Captain 3 (2 votes) for seat 5; seats 0 and 1 for seat 6: 2 against 2... plus one more.
    table.act(3, "vote", target=5)
    table.act(0, "vote", target=6)
    table.act(1, "vote", target=6)
    table.act(2, "vote", target=5)
    table.timeout()
    assert not table.state.alive[5]
    assert table.state.alive[6]


def test_captain_breaks_a_tie() -> None:
    table = Table(EIGHT)
    table.vote_all(3)
    to_vote(table)
    table.act(0, "vote", target=5)
    table.act(1, "vote", target=5)
    table.act(3, "vote", target=6)
    table.timeout()
    assert table.step == "tie_break"
    assert table.state.candidates == [5, 6]
    assert table.refuse(3, "break_tie", target=4) == "werewolf/not_a_candidate"
    assert table.refuse(4, "break_tie", target=5) == "werewolf/not_your_turn"
    table.act(3, "break_tie", target=6)
    assert not table.state.alive[6]
    assert table.step in ("seer", "wolves")


def test_captain_tie_break_timeout_draws_by_lot() -> None:
    table = Table(EIGHT)
    table.vote_all(3)
    to_vote(table)
    table.act(0, "vote", target=5)
    table.act(3, "vote", target=6)
    table.timeout()
    table.timeout()
    assert sorted(table.state.alive[s] for s in (5, 6)) == [False, True]


def test_dead_captain_successor_chosen_by_him() -> None:
    table = Table(EIGHT)
    table.vote_all(4)
    table.until("wolves")
    table.act(0, "wolf_vote", target=4)
    table.act(1, "wolf_vote", target=4)
    assert table.step == "successor"
    assert table.refuse(4, "name_successor", target=4) == "werewolf/dead_target"
    assert table.refuse(5, "name_successor", target=5) == "werewolf/not_your_turn"
    table.act(4, "name_successor", target=5)
    assert table.state.captain == 5
    assert table.step == "debate"


def test_successor_timeout_draws_a_living_player() -> None:
    table = Table(EIGHT)
    table.vote_all(4)
    table.until("wolves")
    table.act(0, "wolf_vote", target=4)
    table.act(1, "wolf_vote", target=4)
    table.timeout()
    assert table.state.captain is not None and table.state.alive[table.state.captain]


def test_vote_ends_early_when_a_majority_is_reached() -> None:
    table = Table(EIGHT, captain=False)
    to_vote(table)
    assert table.state.living() == [0, 1, 2, 3, 4, 5, 6]
    for seat in (2, 3, 4):
        table.act(seat, "vote", target=0)
    assert table.step == "vote"  # 3 of 7: not yet a majority
    tally = table.view(5)["tally"]
    assert tally["counts"] == [{"target": 0, "votes": 3}]
    assert {"voter": 2, "target": 0} in tally["ballots"]
    table.act(5, "vote", target=0)  # 4 of 7
    assert not table.state.alive[0]
    assert table.step != "vote"


def test_vote_timeout_counts_absentees_as_abstaining() -> None:
    table = Table(EIGHT, captain=False)
    to_vote(table)
    table.act(2, "vote", target=1)
    table.timeout()
    assert not table.state.alive[1]


def test_nobody_voting_eliminates_nobody() -> None:
    table = Table(EIGHT, captain=False)
    to_vote(table)
    table.timeout()
    assert "Nobody voted: nobody is eliminated today." in table.log()
    assert len(table.alive()) == 7


def test_without_captain_a_tie_is_voted_again_among_the_tied() -> None:
    table = Table(EIGHT, captain=False)
    to_vote(table)
    table.act(2, "vote", target=0)
    table.act(3, "vote", target=1)
    table.timeout()
    assert table.step == "revote"
    assert table.refuse(4, "vote", target=5) == "werewolf/not_a_candidate"
    table.act(4, "vote", target=0)
    table.timeout()
    assert not table.state.alive[0]


def test_without_captain_still_tied_nobody_dies() -> None:
    table = Table(EIGHT, captain=False)
    to_vote(table)
    table.act(2, "vote", target=0)
    table.act(3, "vote", target=1)
    table.timeout()
    table.act(2, "vote", target=0)
    table.act(3, "vote", target=1)
    table.timeout()
    assert "Still tied: nobody is eliminated today." in table.log()
    assert len(table.alive()) == 7


def test_idiot_voted_out_is_revealed_spared_and_loses_his_vote() -> None:
    table = Table([W, W, "seer", "idiot", V, V, V, V], captain=False)
    to_vote(table)
    table.vote_all(3)
    assert table.state.alive[3]
    assert 3 in table.state.idiots
    assert {"seat": 3, "role": "idiot"} in table.view(5)["roles"]
    table.until("vote")
    assert table.refuse(3, "vote", target=0) == "werewolf/cannot_vote"
    assert table.view(3)["actions"] == []


def test_idiot_voted_out_a_second_time_dies() -> None:
    table = Table([W, W, "seer", "idiot", V, V, V, V, V, V], captain=False)
    to_vote(table, victim=9)
    table.vote_all(3)
    table.until("wolves")
    table.act(0, "wolf_vote", target=8)
    table.act(1, "wolf_vote", target=8)
    table.until("vote")
    table.vote_all(3)
    assert not table.state.alive[3]


def test_idiot_captain_hands_the_badge_on() -> None:
    table = Table([W, W, "seer", "idiot", V, V, V, V])
    table.vote_all(3)
    to_vote(table)
    table.vote_all(3)
    assert table.step == "successor"
    table.act(3, "name_successor", target=4)
    assert table.state.captain == 4


def test_scapegoat_dies_on_a_tie_and_chooses_tomorrow_s_voters() -> None:
    table = Table([W, W, "seer", "scapegoat", V, V, V, V, V], captain=False)
    to_vote(table, victim=8)
    table.act(2, "vote", target=0)
    table.act(4, "vote", target=1)
    table.timeout()
    assert not table.state.alive[3]
    assert table.step == "scapegoat"
    assert table.refuse(3, "choose_voters", voters=[]) == "werewolf/no_voters"
    table.act(3, "choose_voters", voters=[4, 5])
    table.until("wolves")
    table.act(0, "wolf_vote", target=7)
    table.act(1, "wolf_vote", target=7)
    table.until("vote")
    assert table.refuse(2, "vote", target=0) == "werewolf/cannot_vote"
    table.act(4, "vote", target=0)
    table.act(5, "vote", target=0)
    assert not table.state.alive[0]
    table.until("vote")
    assert table.state.voters is None  # one day only
    table.act(2, "vote", target=1)


def test_scapegoat_timeout_lets_everybody_vote() -> None:
    table = Table([W, W, "seer", "scapegoat", V, V, V, V, V], captain=False)
    to_vote(table, victim=8)
    table.act(2, "vote", target=0)
    table.act(4, "vote", target=1)
    table.timeout()
    table.timeout()
    assert table.state.voters is None


def test_debate_ends_when_every_living_player_is_ready() -> None:
    table = Table(EIGHT, captain=False)
    table.until("debate")
    for seat in table.alive():
        table.act(seat, "ready")
    assert table.step == "vote"
