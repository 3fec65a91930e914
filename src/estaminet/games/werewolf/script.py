"""The narrator's script: phases and steps as data.

One table drives both narrators. The automatic narrator walks it, appends
each step's lines to the narration every view carries, and moves on when the
step's players have acted (or their timer ran out). The human (apprentice)
narrator's screen shows the same lines to read aloud, what the step is about
and tips, and moves on when the narrator presses "next" (at dawn, that press
reveals the night's victims: see ``reveal``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from estaminet.games.werewolf.roles import Role
from estaminet.kernel.i18n import N_

__all__ = [
    "CHAIN_STEPS",
    "DAY_ORDER",
    "NIGHT_ORDER",
    "STEPS",
    "TIP_ROLES",
    "Phase",
    "Step",
]


class Phase(StrEnum):
    """The broad moment of the game."""

    ELECTION = "election"
    NIGHT = "night"
    DAY = "day"
    END = "end"


@dataclass(frozen=True)
class Step:
    """One step of the script.

    ``role`` is the role called (woken at night, or acting by day); ``None``
    when everybody (or nobody) acts. A night step for a role of the deck is
    always called, even when that card is dead, powerless or among the
    Thief's spare cards, so that the calls themselves reveal nothing.
    """

    key: str
    phase: Phase
    role: Role | None
    first_night_only: bool
    lines: tuple[str, ...]
    """Read aloud when the step begins."""
    closing: tuple[str, ...]
    """Read aloud when it ends."""
    timer: str | None
    """The option holding the step's duration; ``None`` for a step nobody acts in."""
    what: str
    """For the narrator: what happens in this step."""
    tips: tuple[str, ...] = ()
    """For the apprentice narrator: how to run it well."""


def _step(
    key: str,
    phase: Phase,
    role: Role | None,
    lines: tuple[str, ...],
    what: str,
    *,
    closing: tuple[str, ...] = (),
    timer: str | None = None,
    first_night_only: bool = False,
    tips: tuple[str, ...] = (),
) -> Step:
    return Step(key, phase, role, first_night_only, lines, closing, timer, what, tips)


_NIGHT = "night_step_seconds"
_SPY_TIP = N_("The Little Girl may spy now, at her own risk.")

TIP_ROLES: dict[str, Role] = {_SPY_TIP: Role.LITTLE_GIRL}
"""Tips about a role: shown only when that role is in the deck."""

STEPS: dict[str, Step] = {
    step.key: step
    for step in (
        _step(
            "election",
            Phase.ELECTION,
            None,
            (N_("Before the first night, the village elects its Captain. Everybody votes."),),
            N_(
                "Everybody votes for a Captain. The most voted wins; a tie is drawn by lot. "
                "The Captain's vote counts double and breaks ties."
            ),
            timer="election_seconds",
            tips=(N_("Let candidates say a few words before the vote."),),
        ),
        _step(
            "nightfall",
            Phase.NIGHT,
            None,
            (N_("Night falls on Thiercelieux. Everybody closes their eyes."),),
            N_("Everybody sleeps: microphones are muted for all."),
            tips=(
                N_(
                    "Speak slowly and keep the same pace for every call, "
                    "even for roles that are dead."
                ),
            ),
        ),
        _step(
            "thief",
            Phase.NIGHT,
            Role.THIEF,
            (N_("The Thief wakes up. He may swap his card for one of the two spare cards."),),
            N_(
                "The Thief sees the two spare cards and may take one; "
                "if both are Werewolves he must take one."
            ),
            closing=(N_("The Thief goes back to sleep."),),
            timer=_NIGHT,
            first_night_only=True,
        ),
        _step(
            "cupid",
            Phase.NIGHT,
            Role.CUPID,
            (N_("Cupid wakes up and chooses two players who will fall in love."),),
            N_("Cupid names two lovers (he may name himself)."),
            closing=(N_("Cupid goes back to sleep."),),
            timer=_NIGHT,
            first_night_only=True,
        ),
        _step(
            "lovers",
            Phase.NIGHT,
            None,
            (N_("The lovers wake up, recognise each other, and go back to sleep."),),
            N_(
                "Each lover now sees the other on their screen. If one dies, "
                "the other dies of grief."
            ),
            first_night_only=True,
        ),
        _step(
            "seer",
            Phase.NIGHT,
            Role.SEER,
            (N_("The Seer wakes up and chooses a player whose role she wants to see."),),
            N_("The Seer sees the true role of one player."),
            closing=(N_("The Seer goes back to sleep."),),
            timer=_NIGHT,
        ),
        _step(
            "guard",
            Phase.NIGHT,
            Role.GUARD,
            (N_("The Guard wakes up and chooses a player to protect tonight."),),
            N_(
                "The Guard protects one player from the Werewolves tonight "
                "(himself allowed, never the same player two nights in a row)."
            ),
            closing=(N_("The Guard goes back to sleep."),),
            timer=_NIGHT,
        ),
        _step(
            "wolves",
            Phase.NIGHT,
            Role.WEREWOLF,
            (N_("The Werewolves wake up, recognise each other and choose their victim together."),),
            N_(
                "The Werewolves vote in their private chat until they agree; "
                "when time runs out, their most voted target is taken (ties by lot)."
            ),
            closing=(N_("The Werewolves, full, go back to sleep."),),
            timer="wolves_seconds",
            tips=(_SPY_TIP,),
        ),
        _step(
            "witch",
            Phase.NIGHT,
            Role.WITCH,
            (
                N_(
                    "The Witch wakes up. I show her the Werewolves' victim. "
                    "She may heal them, poison someone, or do nothing."
                ),
            ),
            N_(
                "The Witch sees the victim; she may use her healing potion and her "
                "poison potion, each once in the game, both on the same night if she wants."
            ),
            closing=(N_("The Witch goes back to sleep."),),
            timer=_NIGHT,
        ),
        _step(
            "dawn",
            Phase.DAY,
            None,
            (N_("The sun rises over Thiercelieux. Everybody wakes up."),),
            N_(
                "Everybody wakes up. The players' screens do not show the night's victims yet: "
                'announce them, never how they died, and press "Reveal the victims" as you '
                "name them."
            ),
            tips=(
                N_("Take your time: tell a little story of the night before you name the victims."),
            ),
        ),
        _step(
            "reveal",
            Phase.DAY,
            None,
            (),
            N_(
                "The players' screens now show who died in the night. The dead no longer "
                "speak; a dying Hunter shoots at once."
            ),
        ),
        _step(
            "debate",
            Phase.DAY,
            None,
            (N_("The village debates: who are the Werewolves?"),),
            N_("The living debate; the dead stay silent. Players may say they are ready to vote."),
            timer="debate_seconds",
        ),
        _step(
            "vote",
            Phase.DAY,
            None,
            (N_("Time to vote. Everybody votes for the player to eliminate."),),
            N_(
                "All vote at once; the tally is public. The vote ends early when a "
                "player has more than half of the votes."
            ),
            timer="vote_seconds",
        ),
        _step(
            "revote",
            Phase.DAY,
            None,
            (N_("The vote is tied. Vote again, only between the tied players."),),
            N_(
                "Without a Captain, a tie is voted again among the tied; "
                "if it is still tied, nobody dies today."
            ),
            timer="vote_seconds",
        ),
        _step(
            "tie_break",
            Phase.DAY,
            None,
            (N_("The vote is tied. The Captain decides who is eliminated."),),
            N_("The Captain chooses among the tied players."),
            timer="reaction_seconds",
        ),
        _step(
            "hunter",
            Phase.DAY,
            Role.HUNTER,
            (N_("The Hunter, dying, takes aim: he shoots a player of his choice."),),
            N_("The dead Hunter shoots one living player at once."),
            timer="reaction_seconds",
        ),
        _step(
            "successor",
            Phase.DAY,
            None,
            (N_("The Captain names a successor."),),
            N_("The Captain, dead or revealed as the Idiot, hands the badge to a living player."),
            timer="reaction_seconds",
        ),
        _step(
            "scapegoat",
            Phase.DAY,
            Role.SCAPEGOAT,
            (N_("The Scapegoat, dying, chooses who may vote tomorrow."),),
            N_("The dead Scapegoat names the players allowed to vote at the next vote."),
            timer="reaction_seconds",
        ),
    )
}
"""Every step, by key."""

NIGHT_ORDER = ("nightfall", "thief", "cupid", "lovers", "seer", "guard", "wolves", "witch")
"""The night, in calling order (step 0, the Captain's election, comes before the first night)."""

DAY_ORDER = ("dawn", "debate", "vote")
"""The day, before the vote is resolved (which may call ``revote`` or ``tie_break``).

With a human narrator, ``dawn`` only wakes the village and ``reveal`` follows
it: the night's deaths are resolved (and shown on the table's screens) when the
narrator reveals them, not when the village wakes up.
"""

CHAIN_STEPS = frozenset({"hunter", "successor", "scapegoat"})
"""Steps that interrupt the flow to resolve a death; the flow then resumes."""
