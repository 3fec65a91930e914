"""The pure rules of voice: who may join, over which transport, who hears whom.

No I/O, no clock, no randomness: the voice service (``media/voice.py``) feeds
these functions what it knows and carries out what they say.

Vocabulary:

- a *space* is one voice conversation: a room (``room:<slug>``) or a game table
  (``table:<id>``);
- inside a space, people belong to *groups*: everyone is in ``main``; a game
  may add private groups (the Werewolves at night). Two people are connected
  (browser to browser) when they share a group, and A's voice reaches B when
  A may *send* in a group B belongs to;
- the existence of a private group is told only to its members.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from estaminet.kernel.errors import EstaminetError, Forbidden
from estaminet.kernel.i18n import N_

__all__ = [
    "MAIN",
    "Handover",
    "Hold",
    "Permission",
    "PublicMember",
    "TablePerson",
    "Transport",
    "VoiceFull",
    "VoiceOff",
    "carried",
    "choose_transport",
    "connected",
    "floor_handover",
    "floor_silenced",
    "group_space",
    "mixing_groups",
    "next_hold",
    "peers_of",
    "public_member",
    "read_hold",
    "room_permission",
    "sends_to",
    "speaking_audience",
    "table_permissions",
]

MAIN = "main"


class Transport(StrEnum):
    MESH = "mesh"
    """Browser to browser: each person sends their voice to each other person."""
    JANUS = "janus"
    """A mixing media server (Janus AudioBridge) behind the ``CrowdVoice`` seam."""


class VoiceOff(Forbidden):
    default_message = N_("This room has no voice conversation.")


class VoiceFull(EstaminetError):
    status = 409
    default_message = N_(
        "The voice conversation is full (%(cap)s people at most here). "
        "You can still follow and write in the chat."
    )


def choose_transport(
    mode: str, current: Transport | None, count_after: int, cap: int, crowd: bool
) -> Transport:
    """The transport of a space when one more person joins it.

    ``mode`` is the room's ``voice`` setting (``none``, ``mesh``, ``crowd``);
    ``current`` the space's transport if people are already in it;
    ``count_after`` how many will be in it with the newcomer; ``crowd`` whether
    a mixing server is configured. Without one, ``crowd`` rooms fall back to
    mesh (the embedded default) within the cap.
    """
    if mode == "none":
        raise VoiceOff("voice/none")
    if current is Transport.JANUS:
        return Transport.JANUS
    if crowd and (mode == "crowd" or count_after > cap):
        return Transport.JANUS
    if count_after > cap:
        raise VoiceFull("voice/full", None, cap=cap)
    return Transport.MESH


@dataclass(frozen=True, slots=True)
class Permission:
    """Where one person is in a space's voice, and where their voice may go."""

    groups: frozenset[str] = frozenset({MAIN})
    send: frozenset[str] = frozenset({MAIN})
    night: bool = False
    """Everyone at the table is told "night: all microphones off" alike."""

    @property
    def private(self) -> frozenset[str]:
        """The private groups this person belongs to (only ever told to them)."""
        return self.groups - {MAIN}


def room_permission(moderator_muted: bool, silenced: bool = False) -> Permission:
    """In a room everyone hears everyone; a person muted by a moderator, or silenced by a
    sitting's silence on the room's voice (:func:`floor_silenced`), only listens."""
    return Permission(send=frozenset() if moderator_muted or silenced else frozenset({MAIN}))


Hold = tuple[str, frozenset[str]]
"""A silence on a room's voice: who asked for it (``sitting:<id>``), and who may still be heard."""


def floor_silenced(user_id: str, hold: Hold | None) -> bool:
    """Whether the silence in force on a room's voice keeps ``user_id`` from being heard.

    While an assembly's facilitator asks for silence, only the people the sitting
    names (the one who has the floor, the facilitator) are heard in its room.
    """
    return hold is not None and user_id not in hold[1]


def next_hold(
    in_force: Hold | None,
    holder: str,
    before: frozenset[str] | None,
    after: frozenset[str] | None,
) -> Hold | None:
    """The silence a room's voice obeys once ``holder`` asks for ``after`` (it asked ``before``).

    A room obeys one silence: the latest asked for (a sitting that changes who may be
    heard takes the room, so an old sitting left open never keeps a new one quiet);
    a holder asking again for the same thing changes nothing; ending a silence ends
    it only if it is the one in force.
    """
    if after == before:
        return in_force
    if after is not None:
        return (holder, after)
    if in_force is not None and in_force[0] != holder:
        return in_force
    return None


def read_hold(
    in_force: Hold | None,
    before: Mapping[str, frozenset[str]],
    after: Mapping[str, frozenset[str]],
    latest: str | None,
) -> Hold | None:
    """The silence a room's voice obeys once what every holder asks was read again: it was
    ``before`` (holder → who may be heard), it is ``after``; ``latest`` is the holder whose
    change prompted the reading (another instance applied it), if known.

    Each holder's change is played through ``next_hold``, ``latest``'s last (the newest),
    so the result is what the instance that applied the changes found.
    """
    changed = [h for h in {**before, **after} if h != latest and before.get(h) != after.get(h)]
    if latest is not None:
        changed.append(latest)
    hold = in_force
    for holder in changed:
        hold = next_hold(hold, holder, before.get(holder), after.get(holder))
    return hold


class Handover(StrEnum):
    """What handing the floor to someone in the voice does for their microphone."""

    OPEN = "open"
    """Nothing stops them: whatever held their voice back is lifted, everyone hears them."""
    ASK = "ask"
    """Their own switch is off: they are asked to turn it on (nobody else may do it)."""
    MODERATED = "moderated"
    """A moderator turned their microphone off: the floor does not override a moderator."""


def floor_handover(permission: Permission, self_muted: bool) -> Handover:
    """What happens to the microphone of someone who has just been given the floor.

    The server may lift its own mutes (a sitting's silence, which follows the
    floor) but never switches on a person's own microphone: a microphone opened
    by someone else would be a privacy breach. So the person is *asked* when
    their own switch is off; a moderator's mute (no ``main`` in ``send`` after
    the silence was lifted) stays until a moderator lifts it.
    """
    if MAIN not in permission.send:
        return Handover.MODERATED
    return Handover.ASK if self_muted else Handover.OPEN


@dataclass(frozen=True, slots=True)
class TablePerson:
    """Someone at a game table, as the voice rules see them."""

    user_id: str
    kind: str
    """``player``, ``narrator`` or ``spectator``."""
    seat: int | None = None


def table_permissions(
    plan: Mapping[str, Any] | None,
    people: Iterable[TablePerson],
    moderator_muted: frozenset[str] = frozenset(),
) -> dict[str, Permission]:
    """Each person's permission at a table, from the game's voice plan.

    The plan (``voice_plan(state)`` of the game, ``None`` when the game has no
    opinion or is not running) may say ``muted_all`` (every player's microphone
    off: the night), ``private_channels`` (name → seats who share a private
    channel now) and ``listen_only`` (seats who hear but are not heard: the dead).
    Spectators only listen while a game runs, so they never spoil it; the
    narrator speaks even at night.
    """
    plan = plan or {}
    running = bool(plan)
    night = bool(plan.get("muted_all"))
    listen_only = {int(s) for s in plan.get("listen_only", ())}
    channels: dict[int, set[str]] = {}
    for name, seats in sorted((plan.get("private_channels") or {}).items()):
        for seat in seats:
            channels.setdefault(int(seat), set()).add(f"private:{name}")
    found: dict[str, Permission] = {}
    for person in people:
        private = (
            frozenset(channels.get(person.seat, ())) if person.seat is not None else frozenset()
        )
        groups = frozenset({MAIN}) | private
        if person.kind == "narrator":
            send = {MAIN}
        elif person.kind == "spectator":
            send = set() if running else {MAIN}
        elif person.seat in listen_only or night:
            send = set()
        else:
            send = {MAIN}
        send |= private
        if person.user_id in moderator_muted:
            send = set()
        found[person.user_id] = Permission(groups, frozenset(send), night)
    return found


def carried(permission: Permission, transport: Transport) -> Permission:
    """What ``transport`` can carry of a permission.

    Mesh carries it all (each browser sends to each allowed peer). A mixing
    room (Janus) has one mix for everyone, so ``main`` is carried by the space's
    own mixing room and each private group by *a mixing room of its own*
    (:func:`group_space`), joined only by the group's members: the permission is
    carried whole, and whoever may speak only in a private group is muted in
    the main mix (``MAIN`` is not in their ``send``).
    """
    if transport is Transport.MESH:
        return permission
    return Permission(permission.groups, permission.send & permission.groups, permission.night)


def group_space(space: str, group: str, key: bytes) -> str:
    """The mixing space that carries a private group of ``space`` on a mixing server.

    Its name ends with an HMAC of the group (keyed by the server's secret): it
    names neither the group nor its purpose, so even a log line or a media
    server's room list reveals nothing about who is in which private channel.
    """
    digest = hmac.new(key, f"{space}\x1f{group}".encode(), hashlib.sha256).hexdigest()
    return f"{space}:g:{digest[:20]}"


def mixing_groups(
    everyone: Mapping[str, Permission], transport: Transport
) -> dict[str, frozenset[str]]:
    """The private groups a mixing transport carries as rooms of their own, and who is in each.

    Mesh needs no extra room (``{}``). Each group lists exactly the people whose
    carried permission puts them in it: a non-member never gets a ticket for it.
    """
    if transport is Transport.MESH:
        return {}
    found: dict[str, set[str]] = {}
    for user_id, permission in everyone.items():
        for group in carried(permission, transport).private:
            found.setdefault(group, set()).add(user_id)
    return {group: frozenset(members) for group, members in sorted(found.items())}


def connected(a: Permission, b: Permission) -> bool:
    """Whether two people may signal each other (they share a group)."""
    return bool(a.groups & b.groups)


def sends_to(a: Permission, b: Permission) -> bool:
    """Whether A's voice may reach B."""
    return bool(a.send & b.groups)


def peers_of(me: str, everyone: Mapping[str, Permission]) -> list[str]:
    """Who ``me`` is connected to, in a stable order."""
    mine = everyone[me]
    return sorted(u for u, p in everyone.items() if u != me and connected(mine, p))


def speaking_audience(me: str, everyone: Mapping[str, Permission]) -> frozenset[str] | None:
    """Who may be told that ``me`` is speaking: ``None`` for everyone following the space
    (they speak in ``main``), else only the members of their private groups (possibly nobody).
    """
    mine = everyone[me]
    if MAIN in mine.send:
        return None
    return frozenset(u for u, p in everyone.items() if u != me and mine.send & p.groups)


@dataclass(frozen=True, slots=True)
class PublicMember:
    """What everyone following a space may know of one person in its voice."""

    user_id: str
    muted: bool
    speaking: bool


def public_member(
    user_id: str, permission: Permission, self_muted: bool, speaking: bool
) -> PublicMember:
    """One person as everyone sees them: muted when they cannot be heard in ``main``.

    Someone speaking in a private group looks exactly like anyone else whose
    microphone is off: their own mute switch and their speaking are not shown.
    """
    heard = MAIN in permission.send
    return PublicMember(
        user_id, muted=not heard or self_muted, speaking=heard and speaking and not self_muted
    )
