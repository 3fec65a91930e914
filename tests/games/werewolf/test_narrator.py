"""The apprentice narrator: the script on screen, "next", warnings and undo."""

from __future__ import annotations

from typing import Any

from estaminet.games.werewolf import GAME, NARRATOR_SEAT, NIGHT_ORDER, STEPS, channels, voice_plan
from estaminet.kernel.activity import Viewer
from tests.games.werewolf.table import Table, V, W

SEATS = [W, W, "seer", "witch", "guard", V, V, V]


def human(**options: object) -> Table:
    return Table(SEATS, captain=False, narrator="human", **options)


def narrator_view(table: Table) -> dict[str, object]:
    return GAME.view(table.state, Viewer.narrator())


def test_narrator_reads_each_step_and_presses_next() -> None:
    table = human()
    assert table.step == "nightfall"
    view = narrator_view(table)
    screen = view["narrator"]
    assert isinstance(screen, dict)
    assert [line["msgid"] for line in screen["read_aloud"]] == list(STEPS["nightfall"].lines)
    assert view["actions"] == [{"type": "narrator_next"}]
    table.next()
    assert table.step == "seer"
    screen = narrator_view(table)["narrator"]
    assert isinstance(screen, dict)
    assert screen["awake"] == "seer"
    assert screen["read_aloud"][-1]["msgid"] == STEPS["seer"].lines[0]


def test_narrator_step_waits_for_next_after_the_player_acted() -> None:
    table = human()
    table.next()
    table.act(2, "see", target=0)
    assert table.step == "seer" and table.state.step_done
    screen = narrator_view(table)["narrator"]
    assert isinstance(screen, dict)
    assert screen["night"]["seen"] == [{"night": 1, "seat": 0, "role": W}]
    table.next()
    assert table.step == "guard"


def test_narrator_is_warned_before_mistakes() -> None:
    table = human()
    table.next()
    screen = narrator_view(table)["narrator"]
    assert isinstance(screen, dict)
    warnings = [w["msgid"] for w in screen["warnings"]]
    assert any("going on now acts by default" in w for w in warnings)
    table.act(2, "see", target=0)
    table.next()
    table.act(4, "protect", target=5)
    table.next()
    table.act(0, "wolf_vote", target=6)
    table.act(1, "wolf_vote", target=6)
    table.next()
    table.act(3, "heal")
    table.act(3, "witch_done")
    table.next()
    while table.step != "guard":
        table.next() if table.state.step_done else table.timeout()
    screen = narrator_view(table)["narrator"]
    assert isinstance(screen, dict)
    assert "The Guard protected %(seat)s last night: not the same player again." in [
        w["msgid"] for w in screen["warnings"]
    ]
    while table.step != "witch":
        table.next()
    screen = narrator_view(table)["narrator"]
    assert isinstance(screen, dict)
    assert "The Witch has no healing potion left." in [w["msgid"] for w in screen["warnings"]]


def test_narrator_undo_returns_to_a_step_skipped_too_early() -> None:
    table = human()
    table.next()
    assert table.step == "seer"
    table.next()  # too early: the Seer had not chosen
    assert table.step == "guard"
    assert {"type": "narrator_undo"} in GAME.legal_actions(table.state, NARRATOR_SEAT)
    table.act(NARRATOR_SEAT, "narrator_undo")
    assert table.step == "seer" and not table.state.step_done
    table.act(2, "see", target=0)
    assert table.state.seen


def test_narrator_undo_is_refused_after_a_public_announcement() -> None:
    table = human()
    table.next()
    table.act(2, "see", target=0)
    table.next()  # to the Guard
    table.next()  # to the wolves (the Guard's turn lapses)
    table.act(0, "wolf_vote", target=6)
    table.act(1, "wolf_vote", target=6)
    table.next()
    table.act(3, "witch_done")
    table.next()  # dawn: the village wakes up, nothing is public yet
    assert table.step == "dawn" and table.state.alive[6]
    assert {"type": "narrator_undo"} in GAME.legal_actions(table.state, NARRATOR_SEAT)
    table.next()  # the victims are revealed
    assert table.step == "reveal"
    assert not table.state.alive[6]
    assert table.refuse(NARRATOR_SEAT, "narrator_undo") == "werewolf/nothing_to_undo"


def test_narrator_undo_only_right_after_next() -> None:
    table = human()
    table.next()
    table.act(2, "see", target=0)
    assert table.refuse(NARRATOR_SEAT, "narrator_undo") == "werewolf/nothing_to_undo"


def test_silent_narrator_does_not_freeze_the_game() -> None:
    table = human()
    table.timeout()  # nightfall: the narrator did not press next
    assert table.step == "seer"
    table.timeout()  # the Seer's time runs out: her turn is over, waiting for the narrator
    assert table.step == "seer" and table.state.step_done
    table.timeout()
    assert table.step == "guard"


def test_script_is_data_for_both_narrators() -> None:
    for key in NIGHT_ORDER:
        step = STEPS[key]
        assert step.lines, key
        assert step.what, key
    assert [k for k in NIGHT_ORDER if STEPS[k].first_night_only] == ["thief", "cupid", "lovers"]


def test_auto_narration_lines_come_in_script_order() -> None:
    table = Table(SEATS, captain=False)
    table.act(2, "see", target=0)
    said = table.narration()
    expected = [
        STEPS["nightfall"].lines[0],
        STEPS["seer"].lines[0],
        STEPS["seer"].closing[0],
        STEPS["guard"].lines[0],
    ]
    positions = [said.index(line) for line in expected]
    assert positions == sorted(positions)


# -- dawn: the narrator reveals the night's victims -----------------------------------------

DIED = "%(seat)s died during the night. Their role: %(role)s."


def to_dawn(table: Table, *, heal: bool = False, victim: int = 6) -> None:
    """A first night where the Werewolves attack ``victim``; the narrator wakes the village."""
    table.next()
    table.act(2, "see", target=0)
    table.next()
    table.act(4, "protect", target=5 if victim != 5 else 7)
    table.next()
    table.act(0, "wolf_vote", target=victim)
    table.act(1, "wolf_vote", target=victim)
    table.next()
    if heal:
        table.act(3, "heal")
    table.act(3, "witch_done")
    table.next()
    assert table.step == "dawn"


def table_views(table: Table, seats: list[int]) -> list[dict[str, Any]]:
    viewers = [Viewer.player(seat) for seat in seats] + [Viewer.spectator()]
    return [GAME.view(table.state, viewer) for viewer in viewers]


def test_dawn_players_and_spectators_cannot_tell_a_death_before_the_reveal() -> None:
    killed, healed = human(), human()
    to_dawn(killed)
    to_dawn(healed, heal=True)
    # Everybody but the Witch (who knows what she did): the very same screens, chat and voice.
    others = [0, 1, 2, 4, 5, 6, 7]
    assert table_views(killed, others) == table_views(healed, others)
    assert voice_plan(killed.state) == voice_plan(healed.state)
    villager = killed.view(5)
    assert villager["alive"] == list(range(8)) and villager["deaths"] == []
    assert all(seat["alive"] for seat in villager["seats"])
    assert DIED not in [line["msgid"] for line in villager["log"] + villager["narration"]]
    victim = killed.view(6)
    assert victim["you"]["alive"] and victim["channels"] == {
        "read": ["village"],
        "write": ["village"],
    }
    assert voice_plan(killed.state)["listen_only"] == []


def test_dawn_narrator_sees_the_victims_and_reveals_them_with_next() -> None:
    table = human()
    to_dawn(table)
    screen = narrator_view(table)["narrator"]
    assert isinstance(screen, dict)
    assert screen["victims"] == [{"msgid": DIED, "params": {"seat": 6, "role": V}}]
    assert [line["msgid"] for line in screen["read_aloud"]] == [
        STEPS["witch"].closing[0],
        *STEPS["dawn"].lines,
    ]
    table.next()
    assert table.step == "reveal"
    screen = narrator_view(table)["narrator"]
    assert isinstance(screen, dict) and screen["victims"] is None
    assert [line["msgid"] for line in screen["read_aloud"]] == [DIED]
    for view in table_views(table, [5, 6]):
        assert view["deaths"] == [{"seat": 6}]
        assert not view["seats"][6]["alive"] and 6 not in view["alive"]
        assert {"seat": 6, "role": V} in view["roles"]
        assert DIED in [line["msgid"] for line in view["log"]]
    assert table.view(6)["channels"]["write"] == ["graveyard"]
    assert voice_plan(table.state)["listen_only"] == [6]
    assert channels(table.state, Viewer.player(6))["read"] == ["village", "graveyard"]
    table.next()
    assert table.step == "debate"


def test_dawn_narrator_reads_that_nobody_died() -> None:
    table = human()
    to_dawn(table, heal=True)
    screen = narrator_view(table)["narrator"]
    assert isinstance(screen, dict)
    assert screen["victims"] == [{"msgid": "Nobody died tonight.", "params": {}}]
    assert "Nobody died tonight." not in table.log()
    table.next()
    assert table.log()[-1] == "Nobody died tonight." and table.alive() == list(range(8))


def test_dawn_silent_narrator_reveals_when_time_is_up() -> None:
    table = human()
    to_dawn(table)
    assert table.state.deadline is not None
    table.timeout()
    assert table.step == "reveal" and not table.state.alive[6]
    table.timeout()
    assert table.step == "debate"


def test_dawn_hunter_shoots_and_lovers_grieve_only_at_the_reveal() -> None:
    table = Table([W, W, "hunter", "cupid", "witch", V, V, V], captain=False, narrator="human")
    table.next()
    table.act(3, "cupid", lovers=[2, 5])
    table.next()  # to the lovers
    table.next()  # to the wolves
    table.act(0, "wolf_vote", target=2)
    table.act(1, "wolf_vote", target=2)
    table.next()
    table.act(4, "witch_done")
    table.next()
    assert table.step == "dawn" and table.alive() == list(range(8))
    assert table.view(2)["actions"] == []
    screen = narrator_view(table)["narrator"]
    assert isinstance(screen, dict)
    assert [line["msgid"] for line in screen["victims"]] == [
        DIED,
        "%(seat)s dies of grief for their lover. Their role: %(role)s.",
    ]
    assert table.view(7)["lovers"] == []  # the couple is still a secret
    table.next()
    assert table.step == "hunter" and not table.state.alive[2] and not table.state.alive[5]
    assert {"type": "shoot", "target": 0} in table.view(2)["actions"]
    assert len(table.view(7)["lovers"]) == 2
    table.act(2, "shoot", target=0)
    table.next()
    assert table.step == "debate"


def test_dawn_automatic_narrator_announces_the_victims_at_once() -> None:
    table = Table(SEATS, captain=False)
    table.act(2, "see", target=0)
    table.act(4, "protect", target=5)
    table.act(0, "wolf_vote", target=6)
    table.act(1, "wolf_vote", target=6)
    table.act(3, "witch_done")
    assert table.step == "debate" and not table.state.alive[6]
    assert "reveal" not in [e["step"] for e in table.events if e["type"] == "step"]


def test_wolves_tip_names_the_little_girl_only_when_she_is_in_the_deck() -> None:
    spy = "The Little Girl may spy now, at her own risk."
    for roles, shown in ((SEATS, False), ([W, W, "seer", "witch", "little_girl", V, V, V], True)):
        table = Table(roles, captain=False, narrator="human")
        while table.step != "wolves":
            table.next()
        tips = [tip["msgid"] for tip in narrator_view(table)["narrator"]["tips"]]  # type: ignore[index]
        assert (spy in tips) is shown
