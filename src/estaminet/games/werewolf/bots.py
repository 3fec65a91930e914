"""Bots for practice tables: a seat that plays by the default rules, from its own view only.

:func:`bot_action` is pure and deterministic. It reads nothing but what the
seat's player would see on their screen (``view(state, Viewer.player(seat))``:
their role, what they learned, the public tally, the actions their screen
offers) and draws its choices from a generator seeded by the game's seed, the
log position and the seat. It never sees the state itself, so a bot can know
no more than a player in its seat.

The play is plain, as a table of beginners plays: the Werewolves agree on a
villager (each follows the first of the pack who chose), the Seer looks at
someone she does not know yet, the Witch usually saves the victim and now
and then poisons, everybody votes (for a Werewolf they know, else often with
the village's leading suspect), the dying Hunter shoots, the Captain hands
over the badge. A bot that has already done its part for the step waits
(``None``): the narrator, or the step's timer, moves the game on.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from estaminet.games.werewolf.roles import Role

__all__ = ["bot_action"]

Action = dict[str, Any]


def bot_action(view: Mapping[str, Any], seed: int, step: int) -> Action | None:
    """The action a bot in the viewer's seat takes now, or ``None`` to wait.

    ``view`` is that seat's own view; ``seed`` the game's seed and ``step`` the
    log position (how many events the table has logged), so the same table at
    the same point always gets the same move. The action returned is always
    one of ``view["actions"]`` (the legal actions of that seat).
    """
    actions: list[Action] = [dict(a) for a in view.get("actions", [])]
    you = view.get("you")
    if not actions or not isinstance(you, Mapping):
        return None
    seat = int(you["seat"])
    rng = random.Random(f"{seed}:{step}:{seat}:bot")
    mind = _Mind(view, seat)
    kinds = {a["type"] for a in actions}
    if "wolf_vote" in kinds:
        return _wolves(actions, mind, rng)
    if "spy" in kinds:
        return actions[0] if rng.random() < 0.25 else None
    if kinds & {"heal", "poison", "witch_done"}:
        return _witch(actions, mind, rng)
    if "vote" in kinds:
        return _vote(actions, view, mind, rng)
    if "ready" in kinds:
        return actions[0]
    if kinds & {"thief_keep", "thief_take"}:
        keep = [a for a in actions if a["type"] == "thief_keep"]
        return keep[0] if keep and rng.random() < 0.6 else rng.choice(actions)
    if "cupid" in kinds:
        return rng.choice(actions)
    if "see" in kinds:
        unknown = [a for a in actions if a["target"] not in mind.known]
        return rng.choice(unknown or actions)
    if kinds & {"shoot", "break_tie", "name_successor"}:
        return _name_one(actions, mind, rng, hostile=kinds != {"name_successor"})
    if "choose_voters" in kinds:
        everybody = max(actions, key=lambda a: len(a["voters"]))
        return everybody
    return rng.choice(actions)


class _Mind:
    """What the seat knows, read from its view."""

    def __init__(self, view: Mapping[str, Any], seat: int) -> None:
        you = view["you"]
        self.seat = seat
        self.role = str(you["role"])
        self.known: dict[int, str] = {int(r["seat"]): str(r["role"]) for r in view["roles"]}
        self.wolf = self.role == Role.WEREWOLF
        self.lovers = {int(lover["seat"]) for lover in view["lovers"]}
        self.alive = set(view["alive"])
        pack = you.get("pack") or {}
        self.view_pack: list[Mapping[str, Any]] = list(pack.get("votes", []))
        victim = you.get("victim")
        self.victim: int | None = None if victim is None else int(victim["wolf_target"])
        poisoned = you.get("poison_tonight")
        self.poison_tonight: int | None = None if poisoned is None else int(poisoned["poisoned"])

    def partner(self) -> int | None:
        if self.seat in self.lovers:
            others = self.lovers - {self.seat}
            return next(iter(others), None)
        return None

    def friend(self, seat: int) -> bool:
        """Someone this seat would not harm: itself, its lover, a fellow Werewolf."""
        if seat == self.seat or seat == self.partner():
            return True
        return self.wolf and self.known.get(seat) == Role.WEREWOLF

    def suspect(self, seat: int) -> bool:
        """A Werewolf this villager knows of (seen by the Seer, shown on a death)."""
        return not self.wolf and self.known.get(seat) == Role.WEREWOLF


def _targets(actions: Sequence[Action]) -> list[int]:
    return [a["target"] for a in actions if a.get("target") is not None]


def _wolves(actions: list[Action], mind: _Mind, rng: random.Random) -> Action | None:
    """Agree fast: follow the vote of the first wolf (by seat) who voted; else choose one."""
    pack = mind.view_pack
    mine = next((v["target"] for v in pack if v["seat"] == mind.seat), None)
    leader = next(
        (v for v in sorted(pack, key=lambda v: v["seat"]) if v["target"] is not None), None
    )
    offered = {a["target"]: a for a in actions}
    if leader is not None and leader["seat"] != mind.seat:
        if mine == leader["target"]:
            return None
        if leader["target"] in offered:
            return offered[leader["target"]]
    if mine is not None:
        return None  # the others follow my choice
    spare = [t for t in offered if t != mind.partner()]
    return offered[rng.choice(spare or list(offered))]


def _witch(actions: list[Action], mind: _Mind, rng: random.Random) -> Action:
    heal = next((a for a in actions if a["type"] == "heal"), None)
    victim = mind.victim
    saving = victim is not None and (victim in (mind.seat, mind.partner()) or rng.random() < 0.7)
    if heal is not None and saving:
        return heal
    poisons = [a for a in actions if a["type"] == "poison" and not mind.friend(a["target"])]
    if poisons and mind.poison_tonight is None:
        known = [a for a in poisons if mind.suspect(a["target"])]
        if known:
            return known[0]
        if rng.random() < 0.15:
            candidates = [a for a in poisons if a["target"] != victim]
            if candidates:
                return rng.choice(candidates)
    return next(a for a in actions if a["type"] == "witch_done")


def _vote(
    actions: list[Action], view: Mapping[str, Any], mind: _Mind, rng: random.Random
) -> Action:
    ballots = {a["target"]: a for a in actions if a["type"] == "vote"}
    choices = [t for t in ballots if t is not None and not mind.friend(t)]
    if not choices:
        choices = [t for t in ballots if t is not None and t != mind.seat]
    if not choices:
        return ballots.get(None) or actions[0]
    wolves = [t for t in choices if mind.suspect(t)]
    if wolves:
        return ballots[wolves[0]]
    tally = view.get("tally") or {}
    counts = Counter({int(c["target"]): int(c["votes"]) for c in tally.get("counts", [])})
    leading = [t for t, _ in counts.most_common() if t in choices]
    if leading and rng.random() < 0.6:
        return ballots[leading[0]]
    return ballots[rng.choice(choices)]


def _name_one(actions: list[Action], mind: _Mind, rng: random.Random, *, hostile: bool) -> Action:
    """One seat named: the Hunter's shot, the Captain's tie-break (at an enemy), a successor
    (to a friend, when there is one)."""
    targets = _targets(actions)
    if hostile:
        wolves = [t for t in targets if mind.suspect(t)]
        enemies = wolves or [t for t in targets if not mind.friend(t)] or targets
    else:
        enemies = (
            [t for t in targets if mind.friend(t)]
            or [t for t in targets if not mind.suspect(t)]
            or targets
        )
    chosen = rng.choice(enemies)
    return next(a for a in actions if a.get("target") == chosen)
