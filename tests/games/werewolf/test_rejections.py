"""Bad input: every refused action leaves the state untouched and has a message."""

from __future__ import annotations

from typing import Any

import pytest

from estaminet.games.werewolf import GAME, NARRATOR_SEAT, REJECTION_MESSAGES
from estaminet.games.werewolf.moves import legal_actions
from estaminet.kernel.activity import SYSTEM, Rejection
from estaminet.kernel.i18n import Plural
from tests.games.werewolf.table import Table, V, W

SEATS = [W, W, "seer", "witch", "guard", V, V, V]


def at_seer() -> Table:
    return Table(SEATS, captain=False)


def at_witch() -> Table:
    table = at_seer()
    table.act(2, "see", target=0)
    table.act(4, "protect", target=5)
    table.act(0, "wolf_vote", target=6)
    table.act(1, "wolf_vote", target=6)
    assert table.step == "witch"
    return table


def at_vote() -> Table:
    table = at_seer()
    table.act(2, "see", target=0)
    table.act(4, "protect", target=5)
    table.act(0, "wolf_vote", target=7)
    table.act(1, "wolf_vote", target=7)
    table.act(3, "witch_done")
    table.until("vote")
    return table


CASES: list[tuple[str, Any, int, dict[str, Any], str]] = [
    ("villager acting as seer", at_seer, 5, {"type": "see", "target": 0}, "not_your_turn"),
    ("wolf voting by day", at_seer, 0, {"type": "vote", "target": 5}, "wrong_phase"),
    ("vote during the night", at_seer, 5, {"type": "vote", "target": 0}, "wrong_phase"),
    (
        "wolf vote before the wolves' call",
        at_seer,
        0,
        {"type": "wolf_vote", "target": 5},
        "wrong_phase",
    ),
    ("seer looking at herself", at_seer, 2, {"type": "see", "target": 2}, "not_yourself"),
    ("seer: unknown seat", at_seer, 2, {"type": "see", "target": 42}, "unknown_target"),
    ("seer: negative seat", at_seer, 2, {"type": "see", "target": -1}, "unknown_target"),
    ("seer: not a number", at_seer, 2, {"type": "see", "target": "0"}, "unknown_target"),
    ("seer: a boolean", at_seer, 2, {"type": "see", "target": True}, "unknown_target"),
    ("seer: no target", at_seer, 2, {"type": "see"}, "malformed_action"),
    ("forged seat", at_seer, 5, {"type": "see", "target": 0, "seat": 2}, "forged_action"),
    ("unknown action", at_seer, 2, {"type": "fly"}, "unknown_action"),
    ("no type", at_seer, 2, {"target": 3}, "unknown_action"),
    ("not a seat", at_seer, 99, {"type": "see", "target": 0}, "unknown_player"),
    ("timeout by a player", at_seer, 2, {"type": "timeout"}, "unknown_action"),
    (
        "narrator action in auto mode",
        at_seer,
        NARRATOR_SEAT,
        {"type": "narrator_next"},
        "not_narrator",
    ),
    ("narrator action by a player", at_seer, 2, {"type": "narrator_undo"}, "not_narrator"),
    ("poison by day", at_vote, 3, {"type": "poison", "target": 5}, "wrong_phase"),
    ("wolf eats a wolf", at_witch, 0, {"type": "wolf_vote", "target": 1}, "wrong_phase"),
    ("witch: poison unknown", at_witch, 3, {"type": "poison", "target": 8}, "unknown_target"),
    ("witch out of turn", at_vote, 3, {"type": "heal"}, "wrong_phase"),
    ("vote for the dead", at_vote, 2, {"type": "vote", "target": 7}, "dead_target"),
    ("vote for nobody known", at_vote, 2, {"type": "vote", "target": 8}, "unknown_target"),
    ("dead player voting", at_vote, 7, {"type": "vote", "target": 0}, "dead_player"),
    ("vote without target", at_vote, 2, {"type": "vote"}, "malformed_action"),
    ("shoot without being the hunter", at_vote, 2, {"type": "shoot", "target": 0}, "wrong_phase"),
    (
        "scapegoat's choice out of turn",
        at_vote,
        2,
        {"type": "choose_voters", "voters": [1]},
        "wrong_phase",
    ),
]


@pytest.mark.parametrize(
    ("setup", "actor", "action", "code"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_rejections_leave_the_state_unchanged(
    setup: Any, actor: int, action: dict[str, Any], code: str
) -> None:
    table = setup()
    before = GAME.dump(table.state)
    result = GAME.apply(table.state, actor, action, table.now)
    assert isinstance(result, Rejection)
    assert result.code == f"werewolf/{code}"
    assert GAME.dump(table.state) == before
    assert result.code in REJECTION_MESSAGES


def test_rejections_double_actions() -> None:
    table = at_seer()
    table.act(2, "see", target=0)
    assert table.refuse(2, "see", target=1) == "werewolf/wrong_phase"
    table.act(4, "protect", target=5)
    table.act(0, "wolf_vote", target=6)
    assert table.refuse(0, "wolf_vote", target=6) == "werewolf/already_voted"
    assert table.refuse(0, "wolf_vote", target=1) == "werewolf/fellow_wolf"
    assert table.refuse(5, "wolf_vote", target=6) == "werewolf/not_your_turn"


def test_rejections_dead_players_cannot_act() -> None:
    table = at_vote()
    table.vote_all(2)  # the Seer is voted out
    table.until("seer")
    assert table.refuse(2, "see", target=0) == "werewolf/dead_player"
    assert legal_actions(table.state, 2) == []


def test_rejections_vote_twice() -> None:
    table = at_vote()
    table.act(5, "vote", target=0)
    assert table.refuse(5, "vote", target=1) == "werewolf/already_voted"


def test_rejections_timeout_before_the_deadline() -> None:
    table = at_seer()
    result = GAME.apply(table.state, SYSTEM, {"type": "timeout"}, table.now)
    assert isinstance(result, Rejection) and result.code == "werewolf/too_early"


def test_rejections_stale_timer_after_the_step_changed() -> None:
    table = at_seer()
    old_deadline = GAME.deadline(table.state)
    table.act(2, "see", target=0)
    table.act(4, "protect", target=5)
    assert old_deadline is not None
    result = GAME.apply(table.state, SYSTEM, {"type": "timeout"}, old_deadline)
    assert isinstance(result, Rejection) and result.code == "werewolf/too_early"


def test_rejections_after_the_end() -> None:
    table = Table([W, "seer", V, V, V, V], captain=False)
    table.until("vote")
    table.vote_all(0)
    assert table.outcome() is not None
    assert table.refuse(1, "vote", target=2) == "werewolf/game_over"


def test_rejections_every_code_has_an_english_message() -> None:
    for code, message in REJECTION_MESSAGES.items():
        assert code.startswith("werewolf/")
        forms = (message.singular, message.plural) if isinstance(message, Plural) else (message,)
        for form in forms:
            assert form and form[0].isupper() and form.endswith(".")
