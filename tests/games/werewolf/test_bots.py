"""Practice bots: whole games played by bots to the end, every move legal, from each seat's view."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from estaminet.games.kit.conformance import check_game, play
from estaminet.games.werewolf import GAME, NARRATOR_SEAT, bot_action
from estaminet.kernel.activity import Viewer
from tests.games.werewolf.test_conformance import EVERY_ROLE


def options(**changes: Any) -> dict[str, Any]:
    return {**GAME.default_options(), **changes}


@pytest.mark.parametrize("seats", [6, 9, 14, 18])
def test_bots_play_whole_games_with_an_apprentice_narrator(seats: int) -> None:
    playouts = check_game(
        GAME,
        seats=seats,
        options=options(narrator="human"),
        seeds=range(4),
        extra_actors=[NARRATOR_SEAT],
        bot=bot_action,
    )
    assert all(p.outcome is not None for p in playouts)


def test_bots_play_every_role_to_the_end() -> None:
    playouts = check_game(
        GAME,
        seats=12,
        options=options(narrator="human", composition=EVERY_ROLE),
        seeds=range(6),
        extra_actors=[NARRATOR_SEAT],
        bot=bot_action,
    )
    kinds = Counter(move["type"] for p in playouts for seat, move in p.moves if seat >= 0)
    # The bots use the powers of the deck, not just the vote.
    for kind in ("see", "protect", "wolf_vote", "heal", "vote", "ready", "cupid"):
        assert kinds[kind] > 0, kind


def test_many_seeds_without_checks_all_end() -> None:
    """Termination over many seeds (the full checks above run on fewer: they are slow)."""
    reasons: Counter[str] = Counter()
    for seed in range(60):
        playout = play(
            GAME,
            seats=8 + seed % 6,
            options=options(narrator="human"),
            seed=seed,
            extra_actors=[NARRATOR_SEAT],
            checks=False,
            bot=bot_action,
        )
        assert playout.outcome is not None
        reasons[playout.outcome.reason] += 1
    # Bots play both sides: neither camp wins every game.
    assert reasons["village_wins"] > 0 and reasons["wolves_win"] > 0


def _first_night(seats: int = 8, seed: int = 3) -> Any:
    state = GAME.setup(seats, options(narrator="human", captain=False), seed, _start())
    return state


def _start() -> Any:
    from estaminet.games.kit.conformance import START

    return START


def test_a_bot_reads_only_its_own_view_and_is_deterministic() -> None:
    state = _first_night()
    for seat in range(state.seats):
        view = GAME.view(state, Viewer.player(seat))
        assert bot_action(view, 7, 12) == bot_action(view, 7, 12)
    # A seat with nothing to do waits.
    villager = next(s for s, r in enumerate(state.roles) if r == "villager")
    assert bot_action(GAME.view(state, Viewer.player(villager)), 7, 1) is None


def test_wolves_agree_on_a_villager() -> None:
    state = _first_night(seats=10, seed=5)
    now = _start()
    # The narrator walks the night to the Werewolves' call.
    while state.step != "wolves":
        events = GAME.apply(state, NARRATOR_SEAT, {"type": "narrator_next", "confirm": True}, now)
        assert not hasattr(events, "code"), events
        for event in events:
            state = GAME.evolve(state, event)
    wolves = state.wolves()
    assert len(wolves) >= 2
    for step in range(10):
        moved = False
        for wolf in wolves:
            action = bot_action(GAME.view(state, Viewer.player(wolf)), 1, step * 10 + wolf)
            if action is None:
                continue
            assert action["type"] == "wolf_vote" and not state.is_wolf(action["target"])
            for event in GAME.apply(state, wolf, action, now):  # type: ignore[union-attr]
                state = GAME.evolve(state, event)
            moved = True
        if state.wolf_target is not None:
            break
        assert moved
    assert state.wolf_target is not None and not state.is_wolf(state.wolf_target)
