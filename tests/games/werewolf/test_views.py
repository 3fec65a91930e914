"""Views per viewer, chat channels and the voice plan."""

from __future__ import annotations

import json

from estaminet.games.werewolf import GAME, channels, voice_plan
from estaminet.kernel.activity import Viewer, ViewerKind
from tests.games.werewolf.table import Table, V, W

SEATS = [W, W, "seer", "witch", "cupid", V, V, V]


def night() -> Table:
    return Table(SEATS, captain=False)


def test_views_villager_sees_only_their_own_role() -> None:
    table = night()
    view = table.view(5)
    assert view["roles"] == [{"seat": 5, "role": V}]
    assert view["you"]["role"] == V
    assert W not in json.dumps(view["roles"])


def test_views_wolves_see_each_other() -> None:
    view = night().view(0)
    assert {"seat": 1, "role": W} in view["roles"]
    assert "pack" in view["you"]


def test_views_spectators_see_the_public_state_unless_the_option_says_otherwise() -> None:
    table = night()
    assert GAME.view(table.state, Viewer.spectator())["roles"] == []
    table = Table(SEATS, captain=False, spectators_see_roles=True)
    assert len(GAME.view(table.state, Viewer.spectator())["roles"]) == 8
    assert "graveyard" not in channels(table.state, Viewer.spectator())["write"]


def test_views_dead_see_public_roles_or_all_with_the_option() -> None:
    for option, expected in ((False, 1), (True, 8)):
        table = Table(SEATS, captain=False, dead_see_roles=option)
        table.act(4, "cupid", lovers=[6, 7])
        table.act(2, "see", target=0)
        table.act(0, "wolf_vote", target=5)
        table.act(1, "wolf_vote", target=5)
        table.act(3, "witch_done")
        dead = table.view(5)
        assert len(dead["roles"]) == expected


def test_views_role_revealed_on_death_only_with_the_option() -> None:
    for reveal in (True, False):
        table = Table(SEATS, captain=False, reveal_roles_on_death=reveal)
        table.act(4, "cupid", lovers=[6, 7])
        table.act(2, "see", target=0)
        table.act(0, "wolf_vote", target=5)
        table.act(1, "wolf_vote", target=5)
        table.act(3, "witch_done")
        assert ({"seat": 5, "role": V} in table.view(7)["roles"]) is reveal
        # The cause of a night death is never told.
        assert {"seat": 5} in table.view(7)["deaths"]


def test_views_narrator_and_replay_see_everything() -> None:
    table = night()
    for viewer in (Viewer.narrator(), Viewer(ViewerKind.REPLAY)):
        view = GAME.view(table.state, viewer)
        assert len(view["roles"]) == 8
        assert "narrator" in view


def test_views_carry_phase_deadline_alive_narration_and_actions() -> None:
    table = night()
    view = table.view(4)
    assert view["phase"] == "night" and view["step"] == "cupid" and view["awake"] == "cupid"
    assert view["deadline"] == table.state.deadline
    assert view["alive"] == list(range(8))
    assert view["narration"][0]["msgid"].startswith("Night falls")
    assert {"type": "cupid", "lovers": [0, 1]} in view["actions"]
    assert table.view(5)["actions"] == []


def test_views_at_the_end_reveal_everything() -> None:
    table = Table([W, "seer", V, V, V, V], captain=False)
    table.until("vote")
    table.vote_all(0)
    assert len(table.view(3)["roles"]) == 6
    assert table.view(3)["outcome"]["reason"] == "village_wins"


def test_channels_follow_the_game() -> None:
    table = night()
    wolf = channels(table.state, Viewer.player(0))
    assert "wolves" in wolf["write"] and "village" not in wolf["write"]
    villager = channels(table.state, Viewer.player(5))
    assert villager["write"] == [] and "graveyard" not in villager["read"]
    table.act(4, "cupid", lovers=[6, 7])
    assert "lovers" in channels(table.state, Viewer.player(6))["write"]
    table.act(2, "see", target=0)
    table.act(0, "wolf_vote", target=5)
    table.act(1, "wolf_vote", target=5)
    table.act(3, "witch_done")
    assert table.step == "debate"
    assert "village" in channels(table.state, Viewer.player(2))["write"]
    assert channels(table.state, Viewer.player(5)) == {
        "read": ["village", "graveyard"],
        "write": ["graveyard"],
    }
    assert "graveyard" not in channels(table.state, Viewer.player(2))["read"]
    assert "wolves" not in channels(table.state, Viewer.spectator())["read"]


def test_voice_plan_mutes_everyone_alike_at_night() -> None:
    table = night()
    assert voice_plan(table.state) == {"muted_all": True, "private_channels": {}, "listen_only": []}
    table.act(4, "cupid", lovers=[6, 7])
    table.act(2, "see", target=3)
    assert voice_plan(table.state) == {
        "muted_all": True,
        "private_channels": {"wolves": [0, 1]},
        "listen_only": [],
    }
    for viewer in (Viewer.player(5), Viewer.spectator()):
        assert "private_channels" not in json.dumps(GAME.view(table.state, viewer))
    table.act(0, "wolf_vote", target=5)
    table.act(1, "wolf_vote", target=5)
    table.act(3, "witch_done")
    assert voice_plan(table.state) == {
        "muted_all": False,
        "private_channels": {},
        "listen_only": [5],  # the dead keep listening, no longer heard
    }
