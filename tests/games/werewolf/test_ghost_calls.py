"""Ghost calls (a role that is a spare card, dead or powerless) look and last like real calls
to everyone but the narrator: same deadline, same lines, same kind of ending."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest

from estaminet.games.kit.conformance import ConformanceError, check_game
from estaminet.games.werewolf import GAME, NARRATOR_SEAT
from estaminet.games.werewolf import flow as flow_module
from estaminet.kernel.activity import Viewer
from tests.games.werewolf.table import Table, V, W

# The same composition; the Seer is dealt in one, a spare card in the other.
REAL = (["thief", W, W, "seer", V, V, V, V], ("villager", "villager"))
GHOST = (["thief", W, W, V, V, V, V, V], ("seer", "villager"))
WATCHERS = [Viewer.player(seat) for seat in (1, 4, 5, 6, 7)] + [Viewer.spectator()]


def at_the_seer(roles: list[str], spares: tuple[str, ...], **options: Any) -> Table:
    table = Table(roles, spares, captain=False, **options)
    if table.state.human_narrator:
        table.next()
        table.act(0, "thief_keep")
        table.next()
        return table
    table.act(0, "thief_keep")
    assert table.step == "seer"
    return table


def seen_by_watchers(table: Table) -> list[dict[str, Any]]:
    views = [GAME.view(table.state, viewer) for viewer in WATCHERS]
    for view in views:
        view.pop("you", None)  # seat 1 is a wolf in both deals
    return views


def test_ghost_call_shows_the_same_deadline_as_a_real_call_to_every_seat() -> None:
    real, ghost = at_the_seer(*REAL), at_the_seer(*GHOST)
    expected = (real.now + timedelta(seconds=40)).isoformat()
    assert real.state.deadline == expected
    for viewer in [Viewer.player(seat) for seat in range(8)] + [Viewer.spectator()]:
        assert GAME.view(ghost.state, viewer)["deadline"] == expected
        assert GAME.view(real.state, viewer)["deadline"] == expected
    assert seen_by_watchers(real) == seen_by_watchers(ghost)


def test_ghost_call_ends_as_if_someone_had_chosen() -> None:
    """A ghost call ends at a hidden instant within the timer, with no "Time is up.";
    everyone's screens then match a table where the Seer chose at that very instant."""
    ghost = at_the_seer(*GHOST)
    due = GAME.deadline(ghost.state)
    assert due is not None and due < ghost.now + timedelta(seconds=40)
    ghost.timeout()
    assert ghost.step == "guard" or ghost.step == "wolves"
    assert "Time is up." not in ghost.narration()
    real = at_the_seer(*REAL)
    real.now = ghost.now
    real.act(3, "see", target=4)
    assert seen_by_watchers(real) == seen_by_watchers(ghost)


def test_ghost_call_ends_within_the_real_timer_or_times_out_like_a_real_one() -> None:
    endings = set()
    for seed in range(40):
        table = Table(*GHOST, captain=False)
        table.state.seed = seed
        table.act(0, "thief_keep")
        start, due = table.now, GAME.deadline(table.state)
        assert due is not None and start < due <= start + timedelta(seconds=40)
        table.timeout()
        assert table.step != "seer"
        endings.add("Time is up." in table.narration())
    assert endings == {True, False}  # sometimes early, sometimes the whole timer


def test_real_call_ends_early_without_a_frame_of_its_own() -> None:
    """The Witch heals then poisons: nobody else's screen changes in between."""
    table = Table([W, W, "witch", V, V, V, V, V], captain=False)
    table.act(0, "wolf_vote", target=5)
    table.act(1, "wolf_vote", target=5)
    assert table.step == "witch"
    before = [GAME.view(table.state, Viewer.player(seat)) for seat in (0, 3, 4)]
    table.act(2, "heal")
    assert [GAME.view(table.state, Viewer.player(seat)) for seat in (0, 3, 4)] == before


def test_human_narrator_moving_on_says_the_same_for_a_ghost_and_a_real_call() -> None:
    real, ghost = at_the_seer(*REAL, narrator="human"), at_the_seer(*GHOST, narrator="human")
    for table in (real, ghost):
        table.act(NARRATOR_SEAT, "narrator_next", confirm=True)
    assert seen_by_watchers(real) == seen_by_watchers(ghost)
    # The Seer acting does not change the table's timer either.
    real, ghost = at_the_seer(*REAL, narrator="human"), at_the_seer(*GHOST, narrator="human")
    real.act(3, "see", target=4)
    assert seen_by_watchers(real) == seen_by_watchers(ghost)


def test_conformance_catches_a_ghost_call_with_its_own_timer() -> None:
    """The kit's timing check: a game showing ghost calls their own shorter timer fails it."""
    original = flow_module._timing

    def leaky(
        b: flow_module.Builder, key: str, acting: bool
    ) -> tuple[bool, str | None, str | None]:
        done, deadline, due = original(b, key, acting)
        return (done, due, None) if due is not None and not acting else (done, deadline, due)

    composition = {"thief": 1, "werewolf": 2, "seer": 1, "witch": 1, "guard": 1, "villager": 4}
    with (
        mock.patch.object(flow_module, "_timing", leaky),
        pytest.raises(ConformanceError, match="deadline"),
    ):
        check_game(
            GAME,
            seats=8,
            options={**GAME.default_options(), "composition": composition},
            seeds=range(6),
        )
