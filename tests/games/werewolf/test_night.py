"""Night rules: the Thief, Cupid, the Seer, the Guard, the Werewolves, the Little Girl, the Witch."""

from __future__ import annotations

from typing import Any

import pytest

from tests.games.werewolf.table import Table, V, W

SIX = [W, "seer", "witch", V, V, V]


def night_table(*roles: str, spares: tuple[str, ...] = (), **options: object) -> Table:
    """A table without Captain, already in its first night."""
    return Table(list(roles), spares, captain=False, **options)


def test_seer_sees_the_true_role_only_in_her_own_view() -> None:
    table = night_table(*SIX)
    assert table.step == "seer"
    table.act(1, "see", target=0)
    assert table.view(1)["you"]["seen"] == [{"night": 1, "seat": 0, "role": W}]
    assert {"seat": 0, "role": W} not in table.view(3)["roles"]
    assert table.step == "wolves"


def test_wolves_agreeing_end_their_call_and_the_victim_dies_at_dawn() -> None:
    table = night_table(W, W, "seer", V, V, V, V, V)
    table.act(2, "see", target=3)
    table.act(0, "wolf_vote", target=4)
    assert table.step == "wolves"  # the other wolf has not voted yet
    table.act(1, "wolf_vote", target=5)
    table.act(1, "wolf_vote", target=4)
    assert table.step == "debate"
    assert table.alive() == [0, 1, 2, 3, 5, 6, 7]
    assert "%(seat)s died during the night. Their role: %(role)s." in table.log()


def test_wolves_timeout_takes_their_most_voted_target() -> None:
    table = night_table(W, W, W, "seer", V, V, V, V, V, V)
    table.act(3, "see", target=4)
    table.act(0, "wolf_vote", target=5)
    table.act(1, "wolf_vote", target=5)
    table.act(2, "wolf_vote", target=6)
    table.timeout()
    assert table.state.alive[5] is False
    assert table.state.alive[6] is True


def test_wolves_timeout_without_votes_draws_a_villager_by_lot() -> None:
    table = night_table(*SIX)
    table.timeout()  # the Seer's call
    table.timeout()  # the wolves' call: nobody voted
    target = table.state.wolf_target
    assert target is not None and target != 0
    assert table.events[-1]["type"] != "wolves_chose" or table.events[-1]["target"] == target


def test_witch_is_shown_the_victim_only_during_her_call() -> None:
    table = night_table(*SIX)
    table.act(1, "see", target=3)
    assert "victim" not in table.view(2)["you"]
    table.act(0, "wolf_vote", target=4)
    assert table.step == "witch"
    assert table.view(2)["you"]["victim"] == {"wolf_target": 4}
    assert "victim" not in table.view(3).get("you", {})
    table.act(2, "witch_done")
    assert "victim" not in table.view(2)["you"]


def test_witch_heals_the_victim() -> None:
    table = night_table(*SIX)
    table.act(1, "see", target=3)
    table.act(0, "wolf_vote", target=4)
    table.act(2, "heal")
    table.act(2, "witch_done")
    assert table.alive() == [0, 1, 2, 3, 4, 5]
    assert "Nobody died tonight." in table.log()


def test_witch_may_heal_herself() -> None:
    table = night_table(*SIX)
    table.act(1, "see", target=3)
    table.act(0, "wolf_vote", target=2)
    table.act(2, "heal")
    table.act(2, "witch_done")
    assert table.state.alive[2]


def test_witch_uses_both_potions_the_same_night() -> None:
    table = night_table(W, W, "seer", "witch", V, V, V, V)
    table.act(2, "see", target=3)
    table.act(0, "wolf_vote", target=4)
    table.act(1, "wolf_vote", target=4)
    table.act(3, "heal")
    table.act(3, "poison", target=0)  # both used: her call ends by itself
    assert table.step == "debate"
    assert table.alive() == [1, 2, 3, 4, 5, 6, 7]
    assert table.view(3)["you"]["potions"] == {"heal": False, "poison": False}


def test_witch_cannot_use_a_potion_twice() -> None:
    table = night_table(W, W, "seer", "witch", V, V, V, V, V)
    table.act(2, "see", target=3)
    table.act(0, "wolf_vote", target=4)
    table.act(1, "wolf_vote", target=4)
    table.act(3, "heal")
    assert table.refuse(3, "heal") == "werewolf/potion_used"
    table.act(3, "witch_done")
    table.until("witch")
    assert table.refuse(3, "heal") == "werewolf/potion_used"
    table.act(3, "poison", target=5)
    table.act(3, "witch_done") if table.step == "witch" else None
    table.until("witch")
    assert table.refuse(3, "poison", target=6) == "werewolf/potion_used"


def test_witch_cannot_poison_herself() -> None:
    table = night_table(*SIX)
    table.act(1, "see", target=3)
    table.act(0, "wolf_vote", target=4)
    assert table.refuse(2, "poison", target=2) == "werewolf/not_yourself"


def test_guard_protects_from_the_wolves_but_not_from_the_poison() -> None:
    table = night_table(W, "seer", "witch", "guard", V, V, V)
    table.act(1, "see", target=0)
    table.act(3, "protect", target=4)
    table.act(0, "wolf_vote", target=4)
    table.act(2, "poison", target=3)
    table.act(2, "witch_done")
    assert table.state.alive[4]
    assert not table.state.alive[3]


def test_guard_may_protect_himself_but_not_the_same_player_twice_in_a_row() -> None:
    table = night_table(W, "seer", "witch", "guard", V, V, V)
    table.act(1, "see", target=0)
    table.act(3, "protect", target=3)
    table.act(0, "wolf_vote", target=3)
    table.act(2, "witch_done")
    assert table.state.alive[3]
    table.until("guard")
    assert table.refuse(3, "protect", target=3) == "werewolf/same_protection_twice"
    assert {"type": "protect", "target": 3} not in table.view(3)["actions"]
    table.act(3, "protect", target=4)


def test_guard_who_let_time_run_out_may_protect_anyone_next_night() -> None:
    table = night_table(W, "seer", "witch", "guard", V, V, V)
    table.act(1, "see", target=0)
    table.act(3, "protect", target=5)
    table.act(0, "wolf_vote", target=4)
    table.act(2, "witch_done")
    table.until("guard")
    table.timeout()
    table.until("guard")
    table.act(3, "protect", target=5)


def test_elder_survives_the_first_bite_only() -> None:
    table = night_table(W, "seer", "elder", V, V, V)
    table.act(1, "see", target=3)
    table.act(0, "wolf_vote", target=2)
    assert table.state.alive[2]
    assert "Nobody died tonight." in table.log()
    table.until("wolves")
    table.act(0, "wolf_vote", target=2)
    assert not table.state.alive[2]
    assert not table.state.powers_lost  # killed by the wolves: no curse


def test_elder_poisoned_dies_and_the_village_loses_its_powers() -> None:
    table = night_table(W, W, "seer", "witch", "elder", V, V, V)
    table.act(2, "see", target=3)
    table.act(0, "wolf_vote", target=5)
    table.act(1, "wolf_vote", target=5)
    table.act(3, "poison", target=4)
    table.act(3, "witch_done")
    assert not table.state.alive[4]
    assert table.state.powers_lost
    table.until("seer")
    assert table.refuse(2, "see", target=0) == "werewolf/powers_lost"
    assert table.view(2)["actions"] == []


@pytest.mark.parametrize(("risk", "caught"), [(100, True), (0, False)])
def test_little_girl_spies_at_the_stated_risk(risk: int, caught: bool) -> None:
    table = night_table(W, W, "seer", "little_girl", V, V, V, V, little_girl_risk=risk)
    table.act(2, "see", target=0)
    table.act(3, "spy")
    assert table.state.exposed == ([3] if caught else [])
    if caught:
        # Caught: she becomes the wolves' victim and the wolves see her role.
        assert table.state.wolf_target == 3
        assert not table.state.alive[3]
    else:
        assert "wolves_anonymous" in table.view(3)["channels"]["read"]
        assert "wolves" not in table.view(3)["channels"]["read"]
        assert table.refuse(3, "spy") == "werewolf/already_spied"


def test_little_girl_caught_is_known_to_the_wolves() -> None:
    table = night_table(W, W, "seer", "little_girl", "witch", V, V, V, V, little_girl_risk=100)
    table.act(2, "see", target=0)
    table.act(3, "spy")
    assert table.step == "witch"
    assert {"seat": 3, "role": "little_girl"} in table.view(0)["roles"]
    assert {"seat": 3, "role": "little_girl"} not in table.view(5)["roles"]
    table.act(4, "heal")  # the Witch may still save her
    table.act(4, "witch_done")
    assert table.state.alive[3]


def test_thief_must_take_a_wolf_when_both_spares_are_wolves() -> None:
    roles = ["thief", W, "seer", V, V, V, V, V]
    table = night_table(*roles, spares=(W, W))
    assert table.step == "thief"
    assert table.refuse(0, "thief_keep") == "werewolf/must_take_wolf"
    assert {"type": "thief_keep"} not in table.view(0)["actions"]
    table.act(0, "thief_take", card=1)
    assert table.state.roles[0] == W
    assert table.state.spares == [W, "thief"]
    table.act(2, "see", target=3)
    assert {"seat": 0, "role": W} in table.view(1)["roles"]  # the pack knows him now


def test_thief_may_keep_his_card_or_swap() -> None:
    table = night_table("thief", W, W, "seer", V, V, V, V, spares=("witch", V))
    assert table.view(0)["you"]["spares"] == [
        {"card": 0, "spare": "witch"},
        {"card": 1, "spare": V},
    ]
    assert "spares" not in table.view(1)["you"]
    table.act(0, "thief_take", card=0)
    assert table.state.roles[0] == "witch"
    assert table.refuse(0, "thief_take", card=1) == "werewolf/wrong_phase"


def test_thief_keeping_his_card_plays_as_a_villager() -> None:
    table = night_table("thief", W, W, "seer", V, V, V, V, spares=("witch", V))
    table.act(0, "thief_keep")
    assert table.state.roles[0] == "thief"
    assert table.step == "seer"


def test_thief_timeout_keeps_or_takes_the_first_wolf() -> None:
    table = night_table("thief", W, "seer", V, V, V, V, V, spares=(W, W))
    table.timeout()
    assert table.state.roles[0] == W


def test_cupid_makes_lovers_who_see_each_other() -> None:
    table = night_table("cupid", W, "seer", V, V, V, V, V)
    assert table.step == "cupid"
    table.act(0, "cupid", lovers=[3, 4])
    assert table.step == "seer"  # the lovers' call needs no action
    assert "The lovers wake up, recognise each other, and go back to sleep." in table.narration()
    lovers = [{"seat": 3, "lover": True}, {"seat": 4, "lover": True}]
    assert table.view(3)["lovers"] == lovers
    assert table.view(0)["lovers"] == lovers
    assert table.view(5)["lovers"] == []
    assert "lovers" in table.view(3)["channels"]["read"]


def test_cupid_may_name_himself_but_not_the_same_player_twice() -> None:
    table = night_table("cupid", W, "seer", V, V, V, V, V)
    assert table.refuse(0, "cupid", lovers=[3, 3]) == "werewolf/same_player_twice"
    table.act(0, "cupid", lovers=[0, 3])
    assert table.state.lovers == [0, 3]


def test_first_night_calls_are_not_repeated() -> None:
    table = night_table("cupid", "thief", W, W, "seer", V, V, V, V, V, spares=(V, V))
    first = [table.step]
    table.until("debate")
    first += [e["step"] for e in table.events if e["type"] == "step"]
    table.events.clear()
    table.timeout()
    table.until("debate")
    second = [e["step"] for e in table.events if e["type"] == "step"]
    assert {"thief", "cupid", "lovers", "seer", "wolves"} <= set(first)
    assert second == ["vote", "nightfall", "seer", "wolves", "dawn", "debate"]


def test_dead_or_absent_roles_are_still_called() -> None:
    """The Seer's card among the spares: her call still happens (a ghost call)."""
    table = night_table("thief", W, W, V, V, V, V, V, spares=("seer", V))
    table.act(0, "thief_keep")
    assert table.step == "seer"
    assert table.state.deadline is not None
    table.timeout()
    assert table.step == "wolves"


@pytest.mark.parametrize(
    ("roles", "step", "check"),
    [
        ([W, "seer", V, V, V, V], "seer", lambda s: s.seen == []),
        ([W, "guard", V, V, V, V], "guard", lambda s: s.protected is None),
        (["cupid", W, V, V, V, V], "cupid", lambda s: s.lovers == []),
        ([W, "seer", "witch", V, V, V], "witch", lambda s: not s.heal_used and not s.poison_used),
    ],
    ids=["seer-no-look", "guard-no-protection", "cupid-no-couple", "witch-nothing"],
)
def test_timeout_defaults_for_a_player_who_dropped(roles: list[str], step: str, check: Any) -> None:
    table = night_table(*roles)
    table.until(step)
    table.timeout()
    assert table.step != step
    said = [e["text"]["msgid"] for e in table.events if e["type"] == "say"]
    assert "Time is up." in said
    assert check(table.state)
