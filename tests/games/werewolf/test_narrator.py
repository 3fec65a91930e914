"""The apprentice narrator: the script on screen, "next", warnings and undo."""

from __future__ import annotations

from estaminet.games.werewolf import GAME, NARRATOR_SEAT, NIGHT_ORDER, STEPS
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
    table.next()  # dawn: the death is announced
    assert table.step == "dawn"
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
