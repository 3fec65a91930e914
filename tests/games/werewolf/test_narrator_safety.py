"""The apprentice narrator cannot skip a player by accident: a warning naming who and what
before acting by default, an undo of several steps, and players who see none of it."""

from __future__ import annotations

from typing import Any

from estaminet.games.werewolf import GAME, NARRATOR_SEAT, channels, voice_plan
from estaminet.kernel.activity import Viewer
from tests.games.werewolf.table import Table, V, W

SEATS = [W, W, "seer", "witch", "guard", V, V, V]


def human(**options: object) -> Table:
    table = Table(SEATS, captain=False, narrator="human", **options)
    table.next()  # nightfall → the Seer
    assert table.step == "seer"
    return table


def screen(table: Table) -> dict[str, Any]:
    narrator = GAME.view(table.state, Viewer.narrator())["narrator"]
    assert isinstance(narrator, dict)
    return narrator


def test_next_asks_to_confirm_who_would_be_skipped_and_what_happens() -> None:
    table = human()
    assert GAME.legal_actions(table.state, NARRATOR_SEAT)[0] == {
        "type": "narrator_next",
        "confirm": True,
    }
    defaults = screen(table)["defaults"]
    assert defaults == [
        {
            "msgid": "%(seat)s (the Seer) has not chosen: going on, she sees no role tonight.",
            "params": {"seat": 2},
        }
    ]
    assert table.refuse(NARRATOR_SEAT, "narrator_next") == "werewolf/unconfirmed_default"
    assert table.step == "seer"
    table.act(2, "see", target=0)
    assert screen(table)["defaults"] == []
    assert GAME.legal_actions(table.state, NARRATOR_SEAT)[0] == {"type": "narrator_next"}
    table.act(NARRATOR_SEAT, "narrator_next")
    assert table.step == "guard"


def test_defaults_name_the_wolves_and_the_voters() -> None:
    table = human()
    table.act(2, "see", target=0)
    table.next()
    table.act(4, "protect", target=5)
    table.next()
    assert table.step == "wolves"
    table.act(0, "wolf_vote", target=6)
    assert [d["msgid"] for d in screen(table)["defaults"]] == [
        "The Werewolves have not agreed: going on, their victim is drawn by lot "
        "among their most voted targets."
    ]


def test_a_ghost_call_needs_no_confirmation() -> None:
    table = Table(["thief", W, W, V, V, V, V, V], ("seer", V), captain=False, narrator="human")
    table.next()
    table.act(0, "thief_keep")
    table.next()
    assert table.step == "seer"  # the Seer is a spare card
    assert screen(table)["defaults"] == []
    table.act(NARRATOR_SEAT, "narrator_next")


def test_undo_goes_back_several_steps_up_to_the_last_reveal() -> None:
    table = human()
    table.next()  # skips the Seer
    table.next()  # skips the Guard
    assert table.step == "wolves"
    table.undo()
    assert table.step == "guard"
    table.undo()
    assert table.step == "seer" and not table.state.step_done
    table.undo()
    assert table.step == "nightfall"
    assert table.refuse(NARRATOR_SEAT, "narrator_undo") == "werewolf/nothing_to_undo"


def test_a_player_acting_makes_the_steps_before_final() -> None:
    table = human()
    table.next()
    table.undo()
    table.act(2, "see", target=5)
    assert table.refuse(NARRATOR_SEAT, "narrator_undo") == "werewolf/nothing_to_undo"


def test_undo_is_refused_after_the_reveal() -> None:
    table = human()
    table.act(2, "see", target=0)
    table.next()
    table.act(4, "protect", target=5)
    table.next()
    table.act(0, "wolf_vote", target=6)
    table.act(1, "wolf_vote", target=6)
    table.next()
    table.act(3, "witch_done")
    table.next()
    table.next()  # the reveal
    assert not table.state.alive[6]
    assert table.refuse(NARRATOR_SEAT, "narrator_undo") == "werewolf/nothing_to_undo"


def everyone_but(table: Table, *actors: int) -> list[Any]:
    viewers = [Viewer.player(s) for s in range(8) if s not in actors] + [Viewer.spectator()]
    return [(GAME.view(table.state, v), channels(table.state, v)) for v in viewers] + [
        voice_plan(table.state)
    ]


def test_players_see_nothing_of_the_narrator_s_backtracking() -> None:
    table = human()
    table.next()  # skips the Seer
    table.next()  # skips the Guard
    before = everyone_but(table, 2)
    table.undo()
    table.undo()
    assert table.step == "seer"
    # Nobody but the Seer, who is called again, sees the game go back.
    assert everyone_but(table, 2) == before
    seer = table.view(2)
    assert seer["step"] == "seer" and {"type": "see", "target": 0} in seer["actions"]
    assert screen(table)["veiled"]
    table.act(2, "see", target=0)
    assert everyone_but(table, 2) == before
    table.next()  # the Guard, again
    assert everyone_but(table, 2, 4) == before[:3] + before[4:]  # seat 4 is the Guard
    table.next()  # the Werewolves: where the table already was
    assert not screen(table)["veiled"]
    after = everyone_but(table, 2)
    assert [view["step"] for view, _ in after[:-1]] == ["wolves"] * 8
    assert after == before  # the same screens as before the undo: nothing flipped
