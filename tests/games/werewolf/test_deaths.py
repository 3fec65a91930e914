"""Deaths and their chains (grief, the Hunter's shot, the successor) and victory."""

from __future__ import annotations

import pytest

from tests.games.werewolf.table import Table, V, W


def night_table(*roles: str, **options: object) -> Table:
    return Table(list(roles), captain=False, **options)


def wolves_kill(table: Table, victim: int) -> None:
    table.until("wolves")
    for wolf in table.state.living_wolves():
        if table.step == "wolves":
            table.act(wolf, "wolf_vote", target=victim)


def test_hunter_killed_at_night_shoots_at_once() -> None:
    table = night_table(W, W, "hunter", V, V, V, V, V)
    wolves_kill(table, 2)
    assert table.step == "hunter"
    assert table.state.actor == 2
    assert table.refuse(3, "shoot", target=0) == "werewolf/not_your_turn"
    table.act(2, "shoot", target=0)
    assert not table.state.alive[0]
    assert table.step == "debate"
    assert "%(seat)s is shot by the Hunter. Their role: %(role)s." in table.log()


def test_hunter_voted_out_shoots_at_once() -> None:
    table = night_table(W, W, "hunter", V, V, V, V, V)
    wolves_kill(table, 7)
    table.until("vote")
    table.vote_all(2)
    assert table.step == "hunter"
    table.act(2, "shoot", target=1)
    assert table.state.living() == [0, 3, 4, 5, 6]


def test_hunter_timeout_means_no_shot() -> None:
    table = night_table(W, W, "hunter", V, V, V, V, V)
    wolves_kill(table, 2)
    table.timeout()
    assert "The Hunter did not shoot in time." in table.log()
    assert table.state.living() == [0, 1, 3, 4, 5, 6, 7]


def test_hunter_role_is_known_even_without_reveal_option() -> None:
    table = night_table(W, W, "hunter", V, V, V, V, V, reveal_roles_on_death=False)
    wolves_kill(table, 2)
    assert {"seat": 2, "role": "hunter"} in table.view(5)["roles"]


def test_lover_dies_of_grief() -> None:
    table = night_table("cupid", W, W, V, V, V, V, V)
    table.act(0, "cupid", lovers=[3, 4])
    wolves_kill(table, 3)
    assert not table.state.alive[3] and not table.state.alive[4]
    assert "%(seat)s dies of grief for their lover. Their role: %(role)s." in table.log()
    # Once a lover dies, the couple is public.
    assert {"seat": 4, "lover": True} in table.view(6)["lovers"]


def test_hunter_shooting_a_lover_kills_both() -> None:
    table = night_table("cupid", W, W, "hunter", V, V, V, V)
    table.act(0, "cupid", lovers=[4, 5])
    wolves_kill(table, 3)
    table.act(3, "shoot", target=4)
    assert table.state.living() == [0, 1, 2, 6, 7]


def test_hunter_lover_shoots_after_grief() -> None:
    """Chain order: the lover's grief, then the Hunter's shot."""
    table = night_table("cupid", W, W, "hunter", V, V, V, V)
    table.act(0, "cupid", lovers=[3, 4])
    wolves_kill(table, 4)
    assert not table.state.alive[3] and not table.state.alive[4]
    assert table.step == "hunter"
    table.act(3, "shoot", target=1)
    assert table.state.living() == [0, 2, 5, 6, 7]


def test_chain_order_is_grief_then_shot_then_successor() -> None:
    table = Table(["cupid", W, W, "hunter", V, V, V, V])
    table.vote_all(3)  # the Hunter is Captain
    table.act(0, "cupid", lovers=[3, 5])
    wolves_kill(table, 3)
    assert [e["seat"] for e in table.events if e["type"] == "died"] == [3, 5]
    assert table.step == "hunter"
    table.act(3, "shoot", target=6)
    assert table.step == "successor"
    table.act(3, "name_successor", target=7)
    assert table.state.captain == 7
    assert [e["seat"] for e in table.events if e["type"] == "died"] == [3, 5, 6]


def test_mixed_couple_wins_as_the_last_two_alive() -> None:
    table = night_table("cupid", W, V, V, V, V, wolves_win_at_parity=False)
    table.act(0, "cupid", lovers=[1, 2])
    wolves_kill(table, 3)
    table.until("vote")
    table.vote_all(4)
    wolves_kill(table, 5)
    table.until("vote")
    table.vote_all(0)
    assert table.outcome() == ("lovers_win", {1, 2})


def test_mixed_couple_does_not_win_with_the_village() -> None:
    table = night_table("cupid", W, W, V, V, V, V, V)
    table.act(0, "cupid", lovers=[1, 3])
    table.until("vote")
    table.vote_all(2)
    table.until("vote")
    # The wolf lover still lives: the village has not won.
    assert table.outcome() is None


def test_village_wins_when_no_wolf_is_left() -> None:
    table = night_table(W, "seer", V, V, V, V)
    wolves_kill(table, 5)
    table.until("vote")
    table.vote_all(0)
    assert table.outcome() == ("village_wins", {1, 2, 3, 4, 5})
    assert table.step == "vote" or table.state.phase == "end"
    assert table.state.deadline is None


@pytest.mark.parametrize(("parity", "over"), [(True, True), (False, False)])
def test_wolves_win_at_parity_only_with_the_option(parity: bool, over: bool) -> None:
    table = night_table(W, W, V, V, V, V, wolves_win_at_parity=parity)
    wolves_kill(table, 2)
    table.until("vote")
    table.vote_all(3)
    # Two wolves and two villagers left.
    assert table.state.living() == [0, 1, 4, 5]
    assert (table.outcome() is not None) == over
    if over:
        assert table.outcome() == ("wolves_win", {0, 1})


def test_wolves_win_when_no_villager_is_left() -> None:
    table = night_table(W, W, V, V, V, V, wolves_win_at_parity=False)
    for victim, voted in ((2, 3), (4, 5)):
        wolves_kill(table, victim)
        table.until("vote")
        table.vote_all(voted)
    assert table.outcome() == ("wolves_win", {0, 1})


def test_nobody_wins_when_all_are_dead() -> None:
    table = night_table("cupid", W, "hunter", V, V, V, wolves_win_at_parity=False)
    table.act(0, "cupid", lovers=[1, 2])
    wolves_kill(table, 3)
    table.until("vote")
    table.vote_all(4)
    wolves_kill(table, 5)
    # Living: cupid 0, wolf 1, hunter 2. Vote out Cupid; then the wolf kills... use the hunter:
    table.until("vote")
    table.vote_all(2)
    # The Hunter (a lover) dies, his lover (the wolf) dies of grief, he shoots Cupid.
    assert table.step == "hunter"
    table.act(2, "shoot", target=0)
    assert table.outcome() == ("nobody", set())


def test_victory_waits_for_the_dying_hunter_s_shot() -> None:
    """Parity is reached by the vote, but the Hunter's shot comes first."""
    table = night_table(W, W, "hunter", V, V, V, V, V)
    wolves_kill(table, 7)
    table.until("vote")
    table.vote_all(6)
    wolves_kill(table, 5)
    table.until("vote")
    table.vote_all(2)  # two wolves against two villagers, but the Hunter shoots first
    assert table.step == "hunter"
    table.act(2, "shoot", target=0)
    assert table.outcome() is None
    assert table.state.living() == [1, 3, 4]


def test_elder_voted_out_takes_the_villagers_powers() -> None:
    table = night_table(W, W, "seer", "elder", "hunter", "idiot", V, V, V)
    wolves_kill(table, 8)
    table.until("vote")
    table.vote_all(3)
    assert table.state.powers_lost
    assert "The village has killed the Elder: every villager loses their power." in table.log()
    assert {"seat": 3, "role": "elder"} in table.view(6)["roles"]
    table.until("seer")
    assert table.view(2)["actions"] == []
    assert table.refuse(2, "see", target=0) == "werewolf/powers_lost"
    # The Hunter no longer shoots, and the Idiot is no longer spared.
    wolves_kill(table, 4)
    assert table.step != "hunter"
    table.until("vote")
    table.vote_all(5)
    assert not table.state.alive[5]


def test_elder_shot_by_the_hunter_takes_the_powers_too() -> None:
    table = night_table(W, W, "hunter", "elder", "seer", V, V, V)
    wolves_kill(table, 2)
    table.act(2, "shoot", target=3)
    assert table.state.powers_lost


def test_elder_dying_of_grief_keeps_the_powers() -> None:
    table = night_table("cupid", W, W, "elder", V, V, V, V)
    table.act(0, "cupid", lovers=[3, 4])
    wolves_kill(table, 4)
    assert not table.state.alive[3]
    assert not table.state.powers_lost


# -- a night with several victims: all announced first, then the chains ----------------------


def poison_night(table: Table, *, victim: int, poisoned: int, witch: int) -> None:
    wolves_kill(table, victim)
    assert table.step == "witch"
    table.act(witch, "poison", target=poisoned)
    table.act(witch, "witch_done")


def test_night_victims_are_all_announced_before_the_hunter_shoots() -> None:
    table = night_table(W, W, "hunter", "witch", V, V, V, V)
    poison_night(table, victim=2, poisoned=5, witch=3)
    assert table.step == "hunter"
    assert not table.state.alive[2] and not table.state.alive[5]
    assert [e["seat"] for e in table.events if e["type"] == "died"] == [2, 5]
    targets = {a["target"] for a in table.view(2)["actions"]}
    assert 5 not in targets and 0 in targets
    assert table.refuse(2, "shoot", target=5) == "werewolf/dead_target"
    table.act(2, "shoot", target=0)
    log = table.log()
    assert log.count("%(seat)s died during the night. Their role: %(role)s.") == 2
    shot = [line for line in table.state.log if line["msgid"].startswith("%(seat)s is shot")]
    assert [line["params"]["seat"] for line in shot] == [0]


def test_dying_captain_cannot_name_the_poisoned_player() -> None:
    table = Table([W, W, "seer", "witch", V, V, V, V])
    table.vote_all(4)  # seat 4 is Captain
    table.until("wolves")
    poison_night(table, victim=4, poisoned=6, witch=3)
    assert table.step == "successor"
    assert not table.state.alive[6]
    assert 6 not in {a["target"] for a in table.view(4)["actions"]}
    assert table.refuse(4, "name_successor", target=6) == "werewolf/dead_target"


def test_night_chains_run_in_the_digest_order_after_every_victim_is_known() -> None:
    """Grief, then the Hunter's shot, then the successor; victory checked at the end."""
    table = Table(["cupid", W, W, "hunter", "witch", V, V, V, V])
    table.vote_all(3)  # the Hunter is Captain
    table.act(0, "cupid", lovers=[3, 5])
    wolves_kill(table, 3)
    table.act(4, "poison", target=6)
    table.act(4, "witch_done")
    assert [e["seat"] for e in table.events if e["type"] == "died"] == [3, 6, 5]
    assert table.step == "hunter"
    table.act(3, "shoot", target=1)
    assert table.step == "successor"
    table.act(3, "name_successor", target=7)
    assert table.state.captain == 7


def test_mixed_couple_is_its_own_camp_at_parity() -> None:
    """A wolf lover, another wolf, the villager lover and one villager: the lone free wolf
    does not outnumber the couple and the villager."""
    table = night_table("cupid", W, W, V, V, V)
    table.act(0, "cupid", lovers=[1, 3])
    wolves_kill(table, 5)
    table.until("vote")
    table.vote_all(0)
    assert table.state.living() == [1, 2, 3, 4]
    assert table.outcome() is None


def test_mixed_couple_counts_against_the_free_wolves() -> None:
    table = night_table("cupid", W, W, V, V, V)
    table.act(0, "cupid", lovers=[1, 3])
    wolves_kill(table, 5)
    table.until("vote")
    table.vote_all(0)
    wolves_kill(table, 4)
    table.until("debate")
    # The free wolf alone against the couple: nobody has won yet.
    assert table.state.living() == [1, 2, 3]
    assert table.outcome() is None
    table.until("vote")
    table.vote_all(2)
    assert table.outcome() == ("lovers_win", {1, 3})
