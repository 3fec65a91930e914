"""The screen's facts worked out in Python (games/werewolf/screen.py): from the view only."""

from __future__ import annotations

from typing import Any

from estaminet.games.werewolf import GAME, VillageSeat, screen_model
from estaminet.kernel.activity import Viewer
from tests.games.werewolf.table import EIGHT, Table, to_vote


def _who(seat: int) -> str:
    return f"P{seat}"


def _model(view: dict[str, Any], viewer: str = "player") -> Any:
    return screen_model(view, viewer, _who)


def test_a_day_vote_draws_each_ballot_and_writes_it_in_the_village() -> None:
    table = Table(EIGHT)
    table.vote_all(3)
    to_vote(table)
    table.act(3, "vote", target=5)
    table.act(2, "vote", target=5)
    table.act(4, "vote", target=None)  # abstains: no arrow
    model = _model(table.view(2))
    assert model.arrows == [
        {"from": 2, "to": 5, "kind": "vote"},
        {"from": 3, "to": 5, "kind": "vote"},
    ]
    by_seat = {item.seat: item for item in model.village}
    # The Captain's vote counts double: the counts are the view's, not the arrows'.
    assert by_seat[5].votes == 3 and by_seat[3].points_at == 5 and by_seat[4].points_at is None
    assert [c["mark"] for c in model.circle] == [None, None, None, None, None, 3, None, None]
    assert [item.me for item in model.village] == [s == 2 for s in range(8)]
    assert [c["me"] for c in model.circle] == [s == 2 for s in range(8)]
    # Who has voted has no move left; who has not has one, and a turn.
    assert model.turn == "" and model.choices == []
    waiting = _model(table.view(6))
    assert waiting.turn == "vote-1" and not waiting.cupid
    assert waiting.choices and all(a["type"] == "vote" for a in waiting.choices)
    assert by_seat[3].captain and model.circle[3]["captain"]
    assert not by_seat[7].alive and model.circle[7]["dead"]  # the wolves' victim
    assert by_seat[2] == VillageSeat(2, True, False, False, "seer", None, False, True, 5)
    # A seat's role is written only where the view tells it (the Seer knows her own).
    assert by_seat[0].role is None


def test_the_packs_votes_are_drawn_for_the_wolves_and_the_narrator_only() -> None:
    table = Table(EIGHT)
    table.vote_all(3)
    table.until("wolves")
    table.act(0, "wolf_vote", target=4)
    pack = [{"from": 0, "to": 4, "kind": "pack"}]
    assert _model(table.view(0)).arrows == pack
    assert _model(table.view(1)).arrows == pack  # the other wolf
    assert _model(table.view(3)).arrows == []  # a villager sees nothing of it
    spectator = GAME.view(table.state, Viewer.spectator())
    assert _model(spectator, "spectator").arrows == []
    narrator = GAME.view(table.state, Viewer.narrator())
    assert _model(narrator, "narrator").arrows == pack
    assert {item.seat: item.points_at for item in _model(table.view(1)).village}[0] == 4
    # Only a player has a turn (the cue that sounds on a new one); a villager has no move.
    assert _model(table.view(1)).turn == "wolves-1"
    assert _model(table.view(3)).turn == "" and _model(table.view(3)).choices == []
    assert _model(narrator, "narrator").turn == ""
    assert "werewolf--night" in _model(table.view(3)).game_class


def test_the_narrators_buttons_are_not_among_the_moves() -> None:
    table = Table(EIGHT, narrator="human")
    narrator = GAME.view(table.state, Viewer.narrator())
    assert any(a["type"].startswith("narrator_") for a in narrator["actions"])
    assert not any(a["type"].startswith("narrator_") for a in _model(narrator, "narrator").choices)
