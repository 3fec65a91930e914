"""What the Loup-Garou screen draws, worked out from one viewer's view: the template's set-up.

After every move a table renders one screen per viewer (18 players, the spectators,
the narrator), and every screen began by walking the seats, the ballots and the
pack's votes in Jinja to build the circle, the arrows and the village's facts: a
third of a screen's rendering. Here it is plain Python, read by
``templates/games/werewolf.html``. Only what ``view`` holds is used: the screen
still shows nothing its viewer's view does not say.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

__all__ = ["ScreenModel", "VillageSeat", "screen_model"]

_NARRATOR_BUTTONS = frozenset({"narrator_next", "narrator_undo"})


class VillageSeat(NamedTuple):
    """Everything one seat's item in the village list shows (and so its key among the
    pieces rendered once per move: :class:`~estaminet.tables.screen.Fragments`)."""

    seat: int
    alive: bool
    captain: bool
    lover: bool
    role: str | None
    """The seat's role, when this viewer knows it."""
    votes: int | None
    """Votes against it so far (during a vote)."""
    ready: bool
    me: bool
    points_at: int | None
    """Whom it votes for, when this viewer may see it."""


@dataclass(frozen=True, slots=True)
class ScreenModel:
    circle: list[dict[str, Any]]
    """One dict per seat for the shared layout's ``circle_html``."""
    arrows: list[dict[str, Any]]
    village: list[VillageSeat]
    lovers: list[int]
    choices: list[Mapping[str, Any]]
    """The viewer's moves, without the narrator's buttons (drawn in the script's box)."""
    cupid: bool
    """Whether one of them is Cupid's (a form to choose two lovers)."""
    turn: str
    game_class: str


def screen_model(view: Mapping[str, Any], viewer: str, who: Callable[[int], str]) -> ScreenModel:
    """The screen's facts for ``view``, seen by a ``viewer`` of that kind (``"player"``,
    ``"narrator"``…); ``who`` names a seat."""
    roles = {r["seat"]: r["role"] for r in view["roles"]}
    lovers = [lover["seat"] for lover in view["lovers"]]
    tally = view["tally"]
    counts: dict[int, int] = {c["target"]: c["votes"] for c in tally["counts"]} if tally else {}
    # The votes this viewer may see: the day's ballots (public) and, at night, the pack's
    # votes (for the werewolves and the narrator only, as their views say). Drawn as
    # arrows on the circle and written in the village list.
    arrows: list[dict[str, Any]] = []
    voted: dict[int, int] = {}
    if tally:
        for ballot in tally["ballots"]:
            if ballot["target"] is not None:
                arrows.append({"from": ballot["voter"], "to": ballot["target"], "kind": "vote"})
                voted[ballot["voter"]] = ballot["target"]
    for vote in _pack_votes(view, viewer):
        if vote["target"] is not None:
            arrows.append({"from": vote["seat"], "to": vote["target"], "kind": "pack"})
            voted[vote["seat"]] = vote["target"]
    you = view.get("you")
    mine = you["seat"] if you else None
    ready = set(view["ready"])
    circle: list[dict[str, Any]] = []
    village: list[VillageSeat] = []
    for seat in view["seats"]:
        s = seat["seat"]
        circle.append(
            {
                "seat": s,
                "name": who(s),
                "dead": not seat["alive"],
                "me": s == mine,
                "captain": seat["captain"],
                "mark": counts.get(s),
            }
        )
        village.append(
            VillageSeat(
                s,
                seat["alive"],
                seat["captain"],
                s in lovers,
                roles.get(s),
                counts.get(s),
                s in ready,
                s == mine,
                voted.get(s),
            )
        )
    choices = [a for a in view["actions"] if a["type"] not in _NARRATOR_BUTTONS]
    outcome = view["outcome"]
    turn = (
        f"{view['step']}-{view['night']}" if choices and not outcome and viewer == "player" else ""
    )
    game_class = f"werewolf werewolf--{view['phase']}" + (" werewolf--over" if outcome else "")
    cupid = any(a["type"] == "cupid" for a in choices)
    return ScreenModel(circle, arrows, village, lovers, choices, cupid, turn, game_class)


def _pack_votes(view: Mapping[str, Any], viewer: str) -> Sequence[Mapping[str, Any]]:
    you = view.get("you")
    pack = you.get("pack") if you else None
    if not pack:
        narrator = view.get("narrator")
        if narrator and viewer == "narrator" and view["phase"] == "night":
            pack = narrator["night"]["pack"]
    return pack["votes"] if pack else ()
