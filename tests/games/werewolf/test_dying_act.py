"""Someone who has just died and still acts (the Hunter's shot, the Captain's successor, the
Scapegoat's choice) learns nothing of the dead until the act is done: views, chat, voice."""

from __future__ import annotations

from typing import Any

from estaminet.games.werewolf import GAME, channels, voice_plan
from estaminet.kernel.activity import Viewer
from tests.games.werewolf.table import Table, V, W


def wolves_kill(table: Table, victim: int) -> None:
    table.until("wolves")
    for wolf in table.state.living_wolves():
        if table.step == "wolves":
            table.act(wolf, "wolf_vote", target=victim)


def assert_knows_nothing_of_the_dead(table: Table, seat: int) -> None:
    view = table.view(seat)
    # Only the public roles, their own, and nothing the graveyard tells.
    public = {d["seat"] for d in table.state.deaths if d["public"]} | {seat}
    assert {r["seat"] for r in view["roles"]} <= public
    rights = channels(table.state, Viewer.player(seat))
    assert "graveyard" not in rights["read"] and "graveyard" not in rights["write"]
    assert view["channels"] == rights
    assert seat not in voice_plan(table.state)["listen_only"]


def assert_among_the_dead(table: Table, seat: int) -> None:
    view = table.view(seat)
    assert len(view["roles"]) == table.state.seats  # the dead see every role (option on)
    assert "graveyard" in channels(table.state, Viewer.player(seat))["read"]
    assert seat in voice_plan(table.state)["listen_only"]


def test_dying_hunter_at_night_reads_no_graveyard_and_no_role_while_aiming() -> None:
    table = Table([W, W, "hunter", V, V, V, V, V], captain=False, dead_see_roles=True)
    wolves_kill(table, 2)
    assert table.step == "hunter" and not table.state.alive[2]
    assert_knows_nothing_of_the_dead(table, 2)
    assert {"type": "shoot", "target": 0} in table.view(2)["actions"]
    table.act(2, "shoot", target=5)
    assert_among_the_dead(table, 2)


def test_dying_hunter_voted_out_learns_nothing_while_aiming() -> None:
    table = Table([W, W, "hunter", V, V, V, V, V], captain=False, dead_see_roles=True)
    wolves_kill(table, 7)
    table.until("vote")
    table.vote_all(2)
    assert table.step == "hunter"
    assert_knows_nothing_of_the_dead(table, 2)
    table.timeout()
    assert_among_the_dead(table, 2)


def test_dying_captain_naming_a_successor_learns_nothing_until_named() -> None:
    table = Table([W, W, "seer", V, V, V, V, V], dead_see_roles=True)
    table.vote_all(3)  # seat 3 is Captain
    wolves_kill(table, 3)
    assert table.step == "successor" and table.state.actor == 3
    assert_knows_nothing_of_the_dead(table, 3)
    table.act(3, "name_successor", target=4)
    assert_among_the_dead(table, 3)


def test_dying_hunter_captain_learns_nothing_until_both_acts_are_done() -> None:
    table = Table([W, W, "hunter", V, V, V, V, V], dead_see_roles=True)
    table.vote_all(2)  # the Hunter is Captain
    wolves_kill(table, 2)
    assert table.step == "hunter"
    assert_knows_nothing_of_the_dead(table, 2)
    table.act(2, "shoot", target=6)
    assert table.step == "successor"
    assert_knows_nothing_of_the_dead(table, 2)  # the successor is still to name
    table.act(2, "name_successor", target=7)
    assert_among_the_dead(table, 2)


def test_dying_scapegoat_chooses_voters_without_reading_the_dead() -> None:
    table = Table([W, W, "scapegoat", V, V, V, V, V], captain=False, dead_see_roles=True)
    wolves_kill(table, 7)
    table.until("vote")
    for seat, target in ((0, 3), (1, 3), (3, 4), (4, 3), (5, 4), (6, 4)):
        table.act(seat, "vote", target=target)
    table.act(2, "vote", target=None)
    assert table.step == "scapegoat" and not table.state.alive[2]
    assert_knows_nothing_of_the_dead(table, 2)
    table.act(2, "choose_voters", voters=[3, 4])
    assert_among_the_dead(table, 2)


def test_dying_actor_views_pass_the_secrecy_model() -> None:
    table = Table([W, W, "hunter", V, V, V, V, V], captain=False, dead_see_roles=True)
    wolves_kill(table, 2)
    facts = GAME.knowledge(table.state)
    allowed: list[dict[str, Any]] = [
        dict(f.items) for f in facts if f.audience.allows(Viewer.player(2)) and "role" in f.items
    ]
    assert {"seat": 0, "role": W} not in allowed
