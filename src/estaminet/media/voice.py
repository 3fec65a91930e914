"""The voice service: who is in which voice conversation, signalling between browsers, moderation.

Voice state is kept in memory by this process, like presence: a person is in a
space's voice while the tab that joined follows the space's ``voice:`` topic
(a dropped socket leaves it). With several instances (``SharedState`` distributed),
each instance holds its own members as entries of the shared state and nudges the
others on the hub (``voice-sync:<space>``); an instance with members in a space
reads the others' (*remote* members, whose tabs it cannot reach) and applies the
same rules over the union, telling only its own tabs what changed for them. What
only the acting instance knows (a relayed signal, a private speaking notice, the end
of a call, "move to the mixing server") goes to a remote member through the hub, to
the instance holding their tab (``voice-relay:<instance>``). An instance that dies
has its members swept from the shared state after its lease (see ``realtime/shared_state``). What may be sent to whom is decided by the pure
rules in ``voice_rules``; this module only carries it out:

- ``voice:<space>`` (a topic): who is in the voice, muted, speaking — the same
  for everyone who follows it, and never anything about private groups; with several
  instances, published once venue-wide by whichever holds the space's lock, against
  the record of what was last published (catch-ups draw from it);
- ``{"type":"voice",…}`` frames pushed to one tab: the peers to connect to,
  relayed offers/answers/ICE candidates, where one's voice may go now, private
  speaking notices, and the end of a call.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from estaminet.kernel.activity import Event
from estaminet.kernel.errors import BadInput, EstaminetError, Forbidden, NotFound
from estaminet.kernel.i18n import N_
from estaminet.kernel.ratelimit import Monotonic, TokenBucket
from estaminet.live.engine import Live
from estaminet.media.crowd import CrowdTicket, CrowdUnavailable, CrowdVoice
from estaminet.media.holds import RoomHolds
from estaminet.media.signalling import push_signal, read_signal
from estaminet.media.voice_rules import (
    MAIN,
    Permission,
    TablePerson,
    Transport,
    carried,
    choose_transport,
    floor_handover,
    group_space,
    mixing_groups,
    peers_of,
    public_member,
    room_permission,
    sends_to,
    speaking_audience,
    table_permissions,
)
from estaminet.people.access import can_moderate, outranks
from estaminet.people.actions import log_moderation
from estaminet.people.model import User, initials_of
from estaminet.people.queries import active_user, user_by_id
from estaminet.realtime.connection import Connection, Principal
from estaminet.realtime.frames import Frame, encode, frame_for_locales
from estaminet.realtime.gateway import ActionContext, Gateway
from estaminet.realtime.hub import Hub
from estaminet.realtime.shared_state import MemorySharedState, SharedState
from estaminet.realtime.topics import HubNumbered
from estaminet.settings import Settings
from estaminet.store import Database
from estaminet.tables.service import TableService
from estaminet.translations import translate
from estaminet.venue import chat
from estaminet.venue.rooms import access_room
from estaminet.web.templating import Templates

__all__ = ["TurnCredentials", "VoiceService"]

log = logging.getLogger(__name__)

TurnCredentials = Callable[[str, datetime], Sequence[Mapping[str, Any]] | Mapping[str, Any] | None]
"""``(user_id, now)`` → ICE server entries (TURN with short-lived credentials), or none."""

_PUBLISH_DELAY = 0.15
_MALFORMED = N_("This message could not be read.")
# Pushes only the acting instance knows of, sent on to a remote member's instance; the
# others ("peer", "allow", "floor") each instance works out for its own tabs.
_RELAYED = frozenset({"signal", "speaking", "ended", "rejoin", "floor"})


@dataclass(eq=False)
class _Member:
    user_id: str
    display_name: str
    conn: Connection
    transport: Transport
    self_muted: bool = False
    speaking: bool = False
    table_person: TablePerson | None = None
    allowed: dict[str, Any] | None = None
    """The last ``allow`` this tab was told (only changes are sent)."""
    instance: str | None = None
    """``None``: this instance holds the tab; else the instance that does (a remote member)."""


@dataclass(eq=False)
class _Space:
    key: str
    mode: str
    room_id: int | None = None
    transport: Transport | None = None
    members: dict[str, _Member] = field(default_factory=dict)
    permissions: dict[str, Permission] = field(default_factory=dict)
    moderator_muted: set[str] = field(default_factory=set)
    plan: Mapping[str, Any] | None = None
    groups: dict[str, dict[str, CrowdTicket]] = field(default_factory=dict)
    """On a mixing server: each private group's own mixing room, member → their ticket."""

    @property
    def is_table(self) -> bool:
        return self.key.startswith("table:")


@dataclass(frozen=True)
class _Access:
    mode: str
    room_id: int | None = None
    table_person: TablePerson | None = None


SpaceCheck = Callable[[User, str], Awaitable[None]]
"""Decides who may join the voice spaces of a family other features serve (see ``add_family``)."""


def _malformed() -> BadInput:
    return BadInput("gateway/malformed", _MALFORMED)


def _space_key(data: Mapping[str, Any]) -> str:
    space = data.get("space")
    if not isinstance(space, str) or not 0 < len(space) <= 60 or ":" not in space:
        raise _malformed()
    return space


class VoiceService:
    """Voice in rooms and at game tables (mesh, or a mixing server through ``CrowdVoice``)."""

    def __init__(
        self,
        db: Database,
        hub: Hub,
        templates: Templates,
        settings: Settings,
        clock: Callable[[], datetime],
        *,
        tables: TableService | None = None,
        crowd: CrowdVoice | None = None,
        turn_credentials: TurnCredentials | None = None,
        group_key: bytes | None = None,
        monotonic: Monotonic = time.monotonic,
        shared: SharedState | None = None,
    ) -> None:
        self.db = db
        self.hub = hub
        self.templates = templates
        self.settings = settings
        self.shared: SharedState = shared if shared is not None else MemorySharedState()
        """With several instances: the members of each instance, and who is muted by a
        moderator, venue-wide."""
        self._following: dict[str, Callable[[], None]] = {}
        self._relaying: Callable[[], None] | None = None
        self._reloads: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        self._sends: set[asyncio.Task[None]] = set()
        self.clock = clock
        self.monotonic = monotonic
        self.tables = tables
        self.crowd = crowd
        self.turn_credentials = turn_credentials
        # Names the private groups' mixing rooms; the server's secret, or one per process.
        self._group_key = hmac.new(
            group_key or secrets.token_bytes(32), b"estaminet voice groups", hashlib.sha256
        ).digest()
        self.spaces: dict[str, _Space] = {}
        self.holds = RoomHolds()
        """The silences sittings ask of rooms' voices (``holds.source`` refills them)."""
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._dirty: set[str] = set()
        self._holds_changed: dict[str, str | None] = {}
        """Spaces whose silences another instance changed (whose change), to read again."""
        self._flush: asyncio.TimerHandle | None = None
        self._waiting: dict[int, tuple[Connection, str]] = {}
        self._watcher: asyncio.Task[None] | None = None
        self._families: dict[str, SpaceCheck] = {}
        if tables is not None:
            tables.engine.on_change(self._table_changed)
        self.shared.watch(_VOICE, self._swept)

    def add_family(self, family: str, check: SpaceCheck) -> None:
        """Voice spaces named ``<family>:<rest>`` that another feature decides (the help
        corners): ``check(person, rest)`` raises the refusal unless the person may join.
        Such spaces are browser to browser (a handful of people)."""
        if family in ("room", "table") or family in self._families:
            raise ValueError(f"the voice family {family!r} is already served")
        self._families[family] = check

    def install(self, gateway: Gateway) -> None:
        gateway.provide("voice", _VoiceTopics(self))
        gateway.action("voice.join", self._join)
        gateway.action("voice.leave", self._leave)
        gateway.action("voice.signal", self._signal)
        gateway.action("voice.speaking", self._speaking)
        gateway.action("voice.mute", self._mute)
        gateway.action("voice.moderate", self._moderate)

    # -- access ----------------------------------------------------------------

    async def access(self, principal: Principal, space: str) -> _Access:
        """May this person follow and join ``space``'s voice? Raises the refusal if not."""
        family, _, rest = space.partition(":")
        async with self.db.read() as conn:
            user = await active_user(conn, principal.user_id)
            if family == "room":
                room = await access_room(conn, user, rest)
                if await chat.restriction(conn, room, user, "kick", self.clock()):
                    raise Forbidden(
                        "venue/kicked",
                        N_("A moderator has asked you to leave this room for a while."),
                    )
                return _Access(room.voice.value, room.id)
        check = self._families.get(family)
        if check is not None:
            await check(user, rest)
            return _Access("mesh", None)
        if family == "table" and self.tables is not None and rest.isdigit():
            table = await self.tables.table(int(rest))
            await self.tables.check_can_see(user, table)
            me = table.participant(user.id)
            if me is None:
                raise Forbidden(
                    "voice/not_at_table", N_("Sit at this table or watch it to join its voice.")
                )
            return _Access("mesh", None, TablePerson(user.id, me.role, me.seat))
        raise NotFound("voice/unknown_space", N_("This voice conversation does not exist."))

    def ice_servers(self, user_id: str, now: datetime) -> list[dict[str, Any]]:
        """STUN from the settings, plus TURN credentials for this person when configured."""
        servers: list[dict[str, Any]] = []
        if self.settings.voice_stun_urls:
            servers.append({"urls": list(self.settings.voice_stun_urls)})
        if self.turn_credentials is not None:
            extra = self.turn_credentials(user_id, now)
            if isinstance(extra, Mapping):
                servers.append(dict(extra))
            elif extra:
                servers.extend(dict(entry) for entry in extra)
        return servers

    # -- joining and leaving -------------------------------------------------------

    async def _join(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        key = _space_key(data)
        access = await self.access(ctx.principal, key)
        conn, user_id = ctx.connection, ctx.principal.user_id
        if f"voice:{key}" not in conn.subscriptions:
            raise BadInput("voice/follow_first", _MALFORMED)
        if not self._rate("join", user_id, 10, 0.5):
            raise EstaminetError("voice/slow_down", N_("Too many tries; wait a moment."))
        self._relay_here()
        if not self.shared.distributed:
            await self.holds.read(key)
        space = self.spaces.get(key) or _Space(key, access.mode, access.room_id)
        self.spaces[key] = space
        if self.shared.distributed:
            fresh = key not in self._following
            self._follow(key)
            if fresh:  # not followed here until now: the silences held here may be behind
                await self.holds.read(key, fresh=True)
            await self._load_remote(space)
        old = space.members.get(user_id)
        if old is not None:
            if old.conn is not conn:
                self._push(old.conn, key, "ended", reason="elsewhere")
            await self._remove(space, user_id, release=False)
        try:
            transport = choose_transport(
                access.mode,
                space.transport if space.members else None,
                len(space.members) + 1,
                self.settings.voice_mesh_cap,
                self.crowd is not None,
            )
        except EstaminetError:
            self._forget_if_empty(space)
            raise
        ticket: CrowdTicket | None = None
        if transport is Transport.JANUS:
            assert self.crowd is not None
            try:
                ticket = await self.crowd.admit(key, user_id, ctx.principal.display_name)
            except CrowdUnavailable:
                self._forget_if_empty(space)
                self._wait_for_crowd(conn, key)
                raise
            if space.transport is Transport.MESH and space.members:
                # The mesh is full: everyone moves to the mixing server.
                for member in space.members.values():
                    self._push(member.conn, key, "rejoin")
        # Awaiting above may have emptied (and forgotten) the space: make sure it is known.
        space = self.spaces.setdefault(key, space)
        if self.shared.distributed:
            self._follow(key)
        space.transport = transport
        member = _Member(
            user_id, ctx.principal.display_name, conn, transport, table_person=access.table_person
        )
        space.members[user_id] = member
        first_here = sum(1 for m in space.members.values() if m.instance is None) == 1
        if space.is_table and self.tables is not None and self.shared.distributed:
            await self._refresh_table(space, seats=True)  # the others' seats too
        elif space.is_table and self.tables is not None and first_here:
            space.plan = await self._plan(int(key.partition(":")[2]))
        await self._recompute(space, joined=user_id)
        self._mark(key)
        await self._announce(space, member)
        reply: dict[str, Any] = {
            "space": key,
            "transport": transport.value,
            "ice_servers": self.ice_servers(user_id, ctx.now),
            "allow": self._allow(space, user_id),
        }
        if ticket is not None:
            reply["ticket"] = _ticket(ticket)
        else:
            reply["peers"] = [
                {"id": peer, "name": space.members[peer].display_name}
                for peer in peers_of(user_id, space.permissions)
            ]
        return reply

    async def _leave(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        key = _space_key(data)
        space = self.spaces.get(key)
        member = space.members.get(ctx.principal.user_id) if space else None
        if space is not None and member is not None and member.conn is ctx.connection:
            await self._remove(space, member.user_id)
        return {"space": key}

    async def drop(self, conn: Connection, key: str) -> None:
        """The tab stopped following the space (closed, navigated away, lost its socket)."""
        self._waiting.pop(conn.id, None)
        space = self.spaces.get(key)
        if space is None:
            return
        member = space.members.get(conn.principal.user_id)
        if member is not None and member.conn is conn:
            await self._remove(space, member.user_id)

    async def _remove(self, space: _Space, user_id: str, *, release: bool = True) -> None:
        member = space.members.pop(user_id, None)
        if member is None:
            return
        before = space.permissions.pop(user_id, None)
        if before is not None:
            for peer, permission in space.permissions.items():
                if peer in space.members and before.groups & permission.groups:
                    self._push(
                        space.members[peer].conn,
                        space.key,
                        "peer",
                        peer=_who(member),
                        present=False,
                    )
        self._mark(space.key)
        local = member.instance is None
        if local:
            await self._withdraw(space.key, user_id)
        if member.transport is Transport.JANUS and self.crowd is not None and release and local:
            with contextlib.suppress(CrowdUnavailable):
                await self.crowd.release(space.key, user_id)
        if not space.members:
            await self._sync_groups(space)
            # Someone joining again (``release=False``) comes right back: the mixing room
            # stays, or two people reconnecting at once (their server died) would have the
            # second one's rejoin destroy the room the first was just given a ticket for.
            if space.transport is Transport.JANUS and self.crowd is not None and release:
                with contextlib.suppress(CrowdUnavailable):
                    await self.crowd.close(space.key)
            self._forget_if_empty(space)
        else:
            await self._recompute(space)
            if self.shared.distributed:
                self._forget_if_empty(space)  # only others' members left: not followed here

    def _forget_if_empty(self, space: _Space) -> None:
        if self.spaces.get(space.key) is not space:
            return
        if self.shared.distributed:
            # Others' members are known only while this instance has some of its own.
            if any(m.instance is None for m in space.members.values()):
                return
            del self.spaces[space.key]
            unfollow = self._following.pop(space.key, None)
            if unfollow is not None:
                unfollow()
            return
        if not space.members and not space.moderator_muted:
            del self.spaces[space.key]

    # -- permissions -----------------------------------------------------------------

    def _silenced(self, space: _Space, user_id: str) -> bool:
        """Whether a sitting's silence keeps this person from being heard in a room."""
        return not space.is_table and self.holds.silenced(space.key, user_id)

    def _permissions(self, space: _Space) -> dict[str, Permission]:
        if not space.is_table:
            return {
                u: room_permission(u in space.moderator_muted, self._silenced(space, u))
                for u in space.members
            }
        people = [
            m.table_person or TablePerson(m.user_id, "spectator") for m in space.members.values()
        ]
        return table_permissions(space.plan, people, frozenset(space.moderator_muted))

    def _carried(self, space: _Space, user_id: str) -> Permission:
        """This person's permission as their transport carries it (a mixing room: ``main`` only)."""
        return carried(space.permissions[user_id], space.members[user_id].transport)

    def _allow(self, space: _Space, user_id: str) -> dict[str, Any]:
        """Where this person's voice may go now — the only frame that names private groups,
        and only to their members; on a mixing server each channel carries this member's
        ticket for the group's own mixing room."""
        mine = self._carried(space, user_id)
        everyone = space.permissions
        channels: list[dict[str, Any]] = []
        for group in sorted(mine.private):
            channel: dict[str, Any] = {
                "name": group.partition(":")[2],
                "members": sorted(u for u, p in everyone.items() if group in p.groups),
            }
            ticket = space.groups.get(group, {}).get(user_id)
            if ticket is not None:
                channel["ticket"] = _ticket(ticket)
            channels.append(channel)
        return {
            "send_to": sorted(u for u, p in everyone.items() if u != user_id and sends_to(mine, p)),
            "night": mine.night,
            "muted_by_moderator": user_id in space.moderator_muted,
            "silenced": self._silenced(space, user_id),
            "channels": channels,
        }

    async def _recompute(
        self, space: _Space, joined: str | None = None, newcomers: frozenset[str] = frozenset()
    ) -> None:
        """Apply the current rules: tell each person what changed for them, and only that."""
        before = space.permissions
        after = self._permissions(space)
        space.permissions = after
        await self._sync_groups(space)
        stopped: list[_Member] = []
        for user_id, member in list(space.members.items()):
            if user_id not in after or space.members.get(user_id) is not member:
                continue  # joined or left while the mixing server answered: their turn comes
            old_peers = set(peers_of(user_id, before)) if user_id in before else set()
            new_peers = set(peers_of(user_id, after))
            if user_id != joined:
                for peer in sorted((new_peers - old_peers) & set(space.members)):
                    # Who calls whom: a newcomer calls everyone; otherwise the smaller id calls.
                    self._push(
                        member.conn,
                        space.key,
                        "peer",
                        peer=_who(space.members[peer]),
                        present=True,
                        offer=peer != joined and peer not in newcomers and user_id < peer,
                    )
                for peer in sorted(old_peers - new_peers):
                    if peer in space.members:
                        self._push(
                            member.conn,
                            space.key,
                            "peer",
                            peer=_who(space.members[peer]),
                            present=False,
                        )
            allow = self._allow(space, user_id)
            if allow != member.allowed:
                member.allowed = allow
                if user_id != joined:
                    self._push(member.conn, space.key, "allow", **allow)
            was = before.get(user_id)
            if was is None or was.send != after[user_id].send:
                if member.speaking and member.instance is None:
                    stopped.append(member)  # the others read it from the shared state
                member.speaking = False
                if (
                    member.transport is Transport.JANUS
                    and self.crowd is not None
                    and member.instance is None
                ):
                    mine = self._carried(space, user_id)
                    with contextlib.suppress(CrowdUnavailable):
                        await self.crowd.mute(space.key, user_id, MAIN not in mine.send)
                        for group, held in sorted(space.groups.items()):
                            if user_id in held:
                                room = group_space(space.key, group, self._group_key)
                                await self.crowd.mute(room, user_id, group not in mine.send)
        for member in stopped:
            await self._announce(space, member)
        self._mark(space.key)

    async def _sync_groups(self, space: _Space) -> None:
        """Open, fill, empty and close the private groups' own mixing rooms as the rules say.

        Only the people the rules put in a group (and whose voice is on the mixing
        server) are admitted to its room; whoever leaves the group (the step ends, a
        member dies or leaves the voice) has their ticket released, and a group
        nobody is in any more has its room removed.
        """
        if self.crowd is None:
            return
        mixed = {
            u: p
            for u, p in space.permissions.items()
            if u in space.members
            and space.members[u].transport is Transport.JANUS
            and space.members[u].instance is None  # each instance admits its own
        }
        wanted = mixing_groups(mixed, Transport.JANUS)
        for group in sorted(set(space.groups) - set(wanted)):
            held = space.groups.pop(group)
            room = group_space(space.key, group, self._group_key)
            with contextlib.suppress(CrowdUnavailable):
                for user_id in sorted(held):
                    await self.crowd.release(room, user_id)
                await self.crowd.close(room)
        for group, members in wanted.items():
            held = space.groups.setdefault(group, {})
            room = group_space(space.key, group, self._group_key)
            for user_id in sorted(set(held) - members):
                del held[user_id]
                with contextlib.suppress(CrowdUnavailable):
                    await self.crowd.release(room, user_id)
            for user_id in sorted(members - set(held)):
                member = space.members[user_id]
                try:
                    ticket = await self.crowd.admit(room, user_id, member.display_name)
                    current = space.groups.get(group)
                    if current is not held or user_id not in space.members:
                        # The group closed (or they left) while we waited: take it back,
                        # unless a later change has already given them a fresh one.
                        if user_id not in (current or {}):
                            await self.crowd.release(room, user_id)
                        continue
                    held[user_id] = ticket
                    if group not in carried(mixed[user_id], Transport.JANUS).send:
                        await self.crowd.mute(room, user_id, True)
                except CrowdUnavailable:
                    continue  # their main call goes on; the next change tries again

    async def _plan(self, table_id: int) -> Mapping[str, Any] | None:
        """The game's voice plan now; ``None`` in the lobby or when the game has none."""
        assert self.tables is not None
        try:
            return await self.tables.voice_plan(table_id)
        except EstaminetError:  # not started yet
            return None

    async def _table_changed(self, live: Live, events: Sequence[Event]) -> None:
        """After each table commit: the game may have muted everyone or opened a private channel."""
        key = f"table:{live.id}"
        if self.shared.distributed:
            # The other instances' members hear of it by reading the plan again themselves.
            await self._nudge(key)
        space = self.spaces.get(key)
        if space is None or not space.members or self.tables is None:
            return
        if await self._refresh_table(space):
            await self._recompute(space)

    async def _refresh_table(self, space: _Space, *, seats: bool = False) -> bool:
        """Read the game's voice plan again (and, when it changed or ``seats``, who sits
        where: seats are dealt when the game starts); ``True`` if anything changed."""
        assert self.tables is not None
        table_id = int(space.key.partition(":")[2])
        if seats and self.shared.distributed:
            # Another instance committed: this one's cached game state may be behind it.
            self.tables.engine.forget(table_id)
        plan = await self._plan(table_id)
        changed = plan != space.plan
        if not changed and not seats:
            return False
        space.plan = plan
        table = await self.tables.table(table_id)
        for member in space.members.values():
            me = table.participant(member.user_id)
            person = TablePerson(member.user_id, me.role, me.seat) if me is not None else None
            changed = changed or person != member.table_person
            member.table_person = person
        return changed

    # -- a sitting's hold on its room's voice -------------------------------------------

    async def hold_floor(self, key: str, holder: str, speakers: frozenset[str] | None) -> None:
        """``holder`` asks for silence on a room's voice (``speakers``: who may still be heard)
        or for none (``None``); ``voice_rules.next_hold`` says which silence is in force.

        While it lasts, the others are muted the way a moderator mutes (their
        permission; on a mixing server, ``crowd.mute``), each told by an ``allow``
        frame with ``silenced``.
        """
        changed = self.holds.ask(key, holder, speakers)
        if self.shared.distributed and (changed or key not in self._following):
            # The other instances with members in the room read its silences again.
            held = {"from": self.shared.instance, "holder": holder}
            self._send(self._nudge(key, holds=held))
        if not changed:
            return
        space = self.spaces.get(key)
        if space is not None and space.members:
            await self._recompute(space)

    def hand_floor(self, key: str, user_id: str) -> None:
        """Tell the person just given the floor, if they are in this voice, what it means for
        their microphone (``voice_rules.floor_handover``): heard now, asked to switch their
        own microphone on, or still muted by a moderator."""
        space = self.spaces.get(key)
        member = space.members.get(user_id) if space is not None else None
        if space is None or member is None or user_id not in space.permissions:
            return
        handover = floor_handover(self._carried(space, user_id), member.self_muted)
        self._push(member.conn, key, "floor", handover=handover.value)

    # -- signalling -------------------------------------------------------------------

    def _member(self, ctx: ActionContext, key: str) -> tuple[_Space, _Member]:
        space = self.spaces.get(key)
        member = space.members.get(ctx.principal.user_id) if space else None
        if space is None or member is None or member.conn is not ctx.connection:
            raise Forbidden("voice/not_joined", N_("Join the voice conversation first."))
        return space, member

    def _rate(self, kind: str, user_id: str, burst: int, per_second: float) -> bool:
        bucket = self._buckets.get((kind, user_id))
        if bucket is None:
            if len(self._buckets) > 20_000:
                self._buckets.clear()
            bucket = self._buckets[(kind, user_id)] = TokenBucket(burst, per_second)
        return bucket.take(self.monotonic())

    async def _signal(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        key = _space_key(data)
        target = data.get("to")
        if not isinstance(target, str):
            raise _malformed()
        clean = read_signal(
            data.get("signal"),
            max_bytes=self.settings.voice_max_signal_bytes,
            too_large="voice/signal_too_large",
        )
        space, member = self._member(ctx, key)
        peer = space.members.get(target)
        if (
            peer is None
            or peer is member
            or space.transport is not Transport.MESH
            or target not in peers_of(member.user_id, space.permissions)
        ):
            raise Forbidden(
                "voice/not_in_voice", N_("This person is not in your voice conversation.")
            )
        if not self._rate("signal", member.user_id, 120, 30.0):
            raise EstaminetError(
                "voice/slow_down", N_("Too many call setup messages; wait a moment.")
            )
        push_signal(peer.conn, key, member.user_id, clean)
        return {}

    async def _speaking(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        key = _space_key(data)
        speaking = data.get("speaking")
        if not isinstance(speaking, bool):
            raise _malformed()
        space, member = self._member(ctx, key)
        if not self._rate("speaking", member.user_id, 8, 4.0):
            return {}  # a flickering detector: the next change will say the truth
        mine = self._carried(space, member.user_id)
        speaking = speaking and not member.self_muted and bool(mine.send)
        if member.speaking == speaking:
            return {}
        member.speaking = speaking
        audience = speaking_audience(member.user_id, {**space.permissions, member.user_id: mine})
        if audience is None:
            self._mark(key)
            await self._announce(space, member)
        else:
            for other in sorted(audience):
                if other in space.members:
                    self._push(
                        space.members[other].conn,
                        key,
                        "speaking",
                        user=member.user_id,
                        speaking=speaking,
                    )
        return {}

    async def _mute(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        key = _space_key(data)
        muted = data.get("muted")
        if not isinstance(muted, bool):
            raise _malformed()
        space, member = self._member(ctx, key)
        member.self_muted = muted
        if muted:
            member.speaking = False
        self._mark(key)
        await self._announce(space, member)
        return {"muted": muted}

    # -- moderation -------------------------------------------------------------------

    async def _moderate(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        key = _space_key(data)
        target_id, action = data.get("user"), data.get("action")
        if not isinstance(target_id, str) or action not in ("mute", "unmute", "remove"):
            raise _malformed()
        await self.access(ctx.principal, key)
        async with self.db.read() as conn:
            actor = await active_user(conn, ctx.principal.user_id)
            target = await user_by_id(conn, target_id)
        if not can_moderate(actor):
            raise Forbidden("venue/not_moderator", N_("Only moderators can do that."))
        space = self.spaces.get(key)
        if space is None and self.shared.distributed:
            # Nobody in this voice on this instance: the members are the others'.
            space = _Space(key, "mesh")
            await self._load_remote(space)
        if target is None or space is None or target.id not in space.members:
            raise NotFound(
                "voice/not_in_voice", N_("This person is not in your voice conversation.")
            )
        if not outranks(actor, target):
            raise Forbidden("venue/cannot_moderate", N_("You cannot moderate this person."))
        reason = data.get("reason")
        await self._log(
            actor,
            f"voice_{action}",
            ctx.now,
            target,
            space,
            reason if isinstance(reason, str) else None,
        )
        member = space.members[target.id]
        if action == "remove":
            self._push(
                member.conn,
                key,
                "ended",
                reason="removed",
                message=translate(
                    member.conn.locale,
                    N_("A moderator has removed you from the voice conversation."),
                ),
            )
            await self._remove(space, target.id)
        else:
            if action == "mute":
                space.moderator_muted.add(target.id)
            else:
                space.moderator_muted.discard(target.id)
            member.speaking = member.speaking and action == "unmute"
            if self.shared.distributed:
                if action == "mute":
                    await self.shared.hold(_MUTED, key, target.id, "1")
                else:
                    await self.shared.release(_MUTED, key, target.id)
                await self._nudge(key)
            await self._recompute(space)
        return {"user": target.id, "action": action}

    async def _log(
        self,
        actor: User,
        action: str,
        now: datetime,
        target: User,
        space: _Space,
        reason: str | None,
    ) -> None:
        async with self.db.begin() as conn:
            await log_moderation(
                conn,
                actor,
                action,
                now,
                target_user_id=target.id,
                room_id=space.room_id,
                reason=f"{space.key}: {reason}" if reason else space.key,
            )

    # -- the crowd server coming back ---------------------------------------------------

    def _wait_for_crowd(self, conn: Connection, key: str) -> None:
        self._waiting[conn.id] = (conn, key)
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.get_running_loop().create_task(self._watch_crowd())

    async def _watch_crowd(self) -> None:
        """While someone waits for the mixing server, ask it now and then if it is back."""
        assert self.crowd is not None
        while self._waiting:
            await asyncio.sleep(self.settings.voice_crowd_retry_seconds)
            try:
                healthy = await self.crowd.healthy()
            except Exception:
                healthy = False
            if healthy:
                waiting, self._waiting = self._waiting, {}
                for conn, key in waiting.values():
                    self._push(conn, key, "back")

    async def crowd_moved(self, moved: set[str]) -> None:
        """The mixing server under these rooms went away (``media.janus.placement``): the
        people in them, and those waiting to join them, reconnect to wherever the rooms
        are placed now (new tickets), told so; a private group's room is opened again."""
        for space in list(self.spaces.values()):
            groups = [
                g for g in space.groups if group_space(space.key, g, self._group_key) in moved
            ]
            for group in groups:
                del space.groups[group]
            if space.key in moved:
                for member in list(space.members.values()):
                    if member.transport is Transport.JANUS:
                        self._moved(member.conn, space.key)
            elif groups and space.members:
                await self._recompute(space)
        for conn_id, (conn, key) in list(self._waiting.items()):
            if key in moved:
                del self._waiting[conn_id]
                self._moved(conn, key)

    def _moved(self, conn: Connection, key: str) -> None:
        message = translate(conn.locale, N_("The voice is moving to another server…"))
        self._push(conn, key, "moved", message=message)

    # -- sending ----------------------------------------------------------------------

    def _push(self, conn: Connection, key: str, kind: str, **fields: Any) -> None:
        conn.push_json({"type": "voice", "space": key, "kind": kind, **fields})

    # -- several instances ----------------------------------------------------------------

    def _relay_here(self) -> None:
        """Receive what other instances send on to this instance's tabs."""
        if self.shared.distributed and self._relaying is None:
            self._relaying = self.hub.subscribe(
                f"voice-relay:{self.shared.instance}", self._relayed
            )

    def _follow(self, key: str) -> None:
        if key not in self._following:
            self._following[key] = self.hub.subscribe(
                f"voice-sync:{key}", lambda frame: self._synced(key, frame)
            )

    def _synced(self, key: str, frame: Frame) -> None:
        """A nudge on ``voice-sync:<key>``: read the members again (and, when a sitting's
        change was committed on another instance, the room's silences)."""
        held = (frame.control or {}).get("holds")
        if isinstance(held, dict) and held.get("from") != self.shared.instance:
            holder = held.get("holder")
            self._holds_changed[key] = holder if isinstance(holder, str) else None
        self._reload_soon(key)

    async def _nudge(self, key: str, **extra: Any) -> None:
        """Tell the other instances with members in ``key`` to read the members again."""
        frame = Frame(f"voice-sync:{key}", 0, {}, {"action": "voice_sync", **extra})
        await self.hub.publish(frame)

    async def _announce(self, space: _Space, member: _Member) -> None:
        """This instance's member, as the others see it (joined, muted, speaking)."""
        if not self.shared.distributed or member.instance is not None:
            return
        person = member.table_person
        value = {
            "i": self.shared.instance,
            "n": member.display_name,
            "t": member.transport.value,
            "m": member.self_muted,
            "s": member.speaking,
            "l": member.conn.locale,
            "p": [person.kind, person.seat] if person is not None else None,
        }
        await self.shared.hold(_VOICE, space.key, member.user_id, encode(value))
        await self._nudge(space.key)

    async def _withdraw(self, key: str, user_id: str) -> None:
        if self.shared.distributed:
            await self.shared.release(_VOICE, key, user_id)
            await self._nudge(key)

    def _swept(self, keys: set[str]) -> None:
        """An instance died: its members left every space it had them in."""
        for key in keys:
            self._reload_soon(key)
            self._send(self._nudge(key))
            self._mark(key)  # the roster, even when nobody is left in the voice to publish it

    def _reload_soon(self, key: str) -> None:
        """Read the others' members of ``key`` again: now, or once more after the current read."""
        if key in self._reloads:
            self._again.add(key)
            return
        task = asyncio.get_running_loop().create_task(self._reload(key))
        self._reloads[key] = task
        task.add_done_callback(lambda _: self._reloaded(key))

    def _reloaded(self, key: str) -> None:
        self._reloads.pop(key, None)
        if key in self._again:
            self._again.discard(key)
            self._reload_soon(key)

    async def _reload(self, key: str) -> None:
        holds_changed = key in self._holds_changed
        latest = self._holds_changed.pop(key, None)
        space = self.spaces.get(key)
        if space is None:
            return
        try:
            before = set(space.members)
            changed = await self._load_remote(space)
            if holds_changed and not space.is_table:
                # A sitting's change committed elsewhere: the silences, read again here.
                changed = await self.holds.reread(key, latest) or changed
            if space.is_table and self.tables is not None and space.members:
                # A table commit elsewhere: the plan, and the seats, as this instance reads them.
                changed = await self._refresh_table(space, seats=True) or changed
            if changed:
                if not space.members:
                    self._forget_if_empty(space)
                    return
                # Who just arrived elsewhere calls everyone here (as a newcomer does).
                await self._recompute(space, newcomers=frozenset(set(space.members) - before))
                self._mark(key)
        except Exception:
            log.exception("voice: reading the other instances' members of %s failed", key)

    async def _load_remote(self, space: _Space) -> bool:
        """Bring the other instances' members of ``space`` up to date; ``True`` if changed."""
        held = await self.shared.held(_VOICE, space.key)
        muted = {member for member, _ in await self.shared.held(_MUTED, space.key)}
        remote: dict[str, _Member] = {}
        for user_id, raw in held:
            value = json.loads(raw)
            if value["i"] == self.shared.instance:
                continue
            local = space.members.get(user_id)
            if local is not None and local.instance is None:
                continue  # their newer tab here wins; the other instance is told "elsewhere"
            remote[user_id] = self._held_member(user_id, value)
        changed = muted != space.moderator_muted
        space.moderator_muted = muted
        for user_id, member in list(space.members.items()):
            if member.instance is not None and user_id not in remote:
                await self._remove(space, user_id, release=False)
                changed = True
        for user_id, member in remote.items():
            old = space.members.get(user_id)
            if old is not None and old.instance == member.instance and space.is_table:
                member.table_person = old.table_person  # as read from the table here
            if old is None or (
                old.instance,
                old.transport,
                old.self_muted,
                old.speaking,
                old.table_person,
            ) != (
                member.instance,
                member.transport,
                member.self_muted,
                member.speaking,
                member.table_person,
            ):
                if old is not None:
                    member.allowed = old.allowed
                space.members[user_id] = member
                changed = True
        if remote and space.transport is None:
            space.transport = next(iter(remote.values())).transport
        return changed

    def _held_member(self, user_id: str, value: Mapping[str, Any]) -> _Member:
        """A member as an instance holds it in the shared state (``_announce``)."""
        person = value.get("p")
        return _Member(
            user_id,
            value["n"],
            _Relay(self, value["i"], user_id, value.get("l", "fr")),  # type: ignore[arg-type]
            Transport(value["t"]),
            self_muted=bool(value["m"]),
            speaking=bool(value["s"]),
            table_person=TablePerson(user_id, person[0], person[1]) if person else None,
            instance=value["i"],
        )

    def _send(self, awaitable: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(awaitable)
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    def relay(self, instance: str, user_id: str, frame: dict[str, Any]) -> None:
        """Send ``frame`` on to ``user_id``'s tab on ``instance``."""
        control = {"action": "voice_relay", "to": user_id, "frame": frame}
        self._send(self.hub.publish(Frame(f"voice-relay:{instance}", 0, {}, control)))

    def _relayed(self, frame: Frame) -> None:
        control = frame.control or {}
        pushed, user_id = control.get("frame"), control.get("to")
        if not isinstance(pushed, dict) or not isinstance(user_id, str):
            return
        space = self.spaces.get(str(pushed.get("space")))
        member = space.members.get(user_id) if space is not None else None
        if space is None or member is None or member.instance is not None:
            return
        member.conn.push_json(pushed)
        if pushed.get("kind") == "ended":  # removed by a moderator, or joined elsewhere
            self._send(self._remove(space, user_id))

    def _mark(self, key: str) -> None:
        """Coalesce the public voice state of a space: one update every 150 ms at most."""
        self._dirty.add(key)
        if self._flush is None:
            loop = asyncio.get_running_loop()
            self._flush = loop.call_later(_PUBLISH_DELAY, lambda: loop.create_task(self._publish()))

    async def _publish(self) -> None:
        self._flush = None
        dirty, self._dirty = self._dirty, set()
        if self.shared.distributed:
            await self._publish_shared(dirty)
            return
        for key in sorted(dirty):
            topic = f"voice:{key}"
            seq = await self.hub.next_seq(topic)
            members = self.public_state(key)
            await self.hub.publish(frame_for_locales(topic, seq, "voice", self._body(key, members)))

    async def _publish_shared(self, dirty: set[str]) -> None:
        """Several instances: a space's roster goes out once venue-wide. The instance holding
        the space's lock compares the roster of every instance's members with the record of
        what was last published, and publishes it if it differs (then writes the record);
        a space another instance is publishing is looked at again a moment later."""
        for key in sorted(dirty):
            try:
                async with self.shared.lock(f"voice:{key}") as mine:
                    if not mine:
                        self._mark(key)  # another instance is publishing it: again later
                        continue
                    before = await self.published(key)
                    members = await self._venue_roster(key)
                    if members == (before[1] if before is not None else []):
                        continue  # already told (by whichever instance), or nothing to tell
                    topic = f"voice:{key}"
                    seq = await self.hub.next_seq(topic)
                    record = encode({"seq": seq, "members": members})
                    await self.shared.set_record(f"voice:{key}", record)
                    frame = frame_for_locales(topic, seq, "voice", self._body(key, members))
                    await self.hub.publish(frame)
            except Exception:
                log.exception("voice: publishing the roster of %s failed", key)

    async def published(self, key: str) -> tuple[int, list[dict[str, Any]]] | None:
        """With several instances: the roster of ``key`` last published (by any instance),
        and its seq; ``None`` if none was."""
        raw = await self.shared.record(f"voice:{key}")
        if raw is None:
            return None
        data = json.loads(raw)
        return int(data["seq"]), list(data["members"])

    async def _venue_roster(self, key: str) -> list[dict[str, Any]]:
        """``public_state`` over every instance's members, as the shared state holds them now."""
        seen = _Space(key, "mesh")
        seen.moderator_muted = {member for member, _ in await self.shared.held(_MUTED, key)}
        for user_id, raw in await self.shared.held(_VOICE, key):
            seen.members[user_id] = self._held_member(user_id, json.loads(raw))
        here = self.spaces.get(key) if key in self._following else None
        if seen.is_table and self.tables is not None and key.partition(":")[2].isdigit():
            if here is not None:  # kept up to date by the nudges: the plan and the seats
                seen.plan = here.plan
                for user_id, member in seen.members.items():
                    if user_id in here.members:
                        member.table_person = here.members[user_id].table_person
            elif seen.members:
                await self._refresh_table(seen, seats=True)
        elif here is None:
            await self.holds.read(key, fresh=True)  # not followed here: it may be behind
        seen.permissions = self._permissions(seen)
        return self._public(seen)

    def public_state(self, key: str) -> list[dict[str, Any]]:
        """Who is in the voice of ``key`` as anyone following it may know."""
        space = self.spaces.get(key)
        if space is None:
            return []
        return self._public(space)

    def _public(self, space: _Space) -> list[dict[str, Any]]:
        found = []
        for member in sorted(space.members.values(), key=lambda m: m.display_name.lower()):
            permission = space.permissions.get(member.user_id)
            if permission is None:
                continue
            shown = public_member(member.user_id, permission, member.self_muted, member.speaking)
            found.append(
                {
                    "id": member.user_id,
                    "name": member.display_name,
                    "initials": initials_of(member.display_name),
                    "muted": shown.muted,
                    "speaking": shown.speaking,
                }
            )
        return found

    def _body(self, key: str, members: list[dict[str, Any]]) -> Callable[[str], dict[str, Any]]:
        return lambda locale: {"ops": self.ops(key, members, locale), "voice": {"members": members}}

    def ops(self, key: str, members: list[dict[str, Any]], locale: str) -> list[dict[str, Any]]:
        context = {"space": key, "members": members}
        return [
            {
                "op": "replace",
                "target": f"[data-voice-members='{key}']",
                "html": self.templates.render("media/_voice_members.html", locale, context),
            },
            {
                "op": "replace",
                "target": f"[data-voice-summary='{key}']",
                "html": self.templates.render("media/_voice_summary.html", locale, context),
            },
        ]


def _ticket(ticket: CrowdTicket) -> dict[str, Any]:
    return {
        "server": ticket.server,
        "room": ticket.room,
        "participant": ticket.participant,
        "token": ticket.token,
        "expires_at": ticket.expires_at.isoformat(),
    }


def _who(member: _Member) -> dict[str, str]:
    return {"id": member.user_id, "name": member.display_name}


_VOICE = "voice"
_MUTED = "voice-muted"


class _Relay:
    """Stands for a remote member's tab: what only this instance knows goes through the hub
    to the instance holding it; the rest that instance works out for itself."""

    def __init__(self, service: VoiceService, instance: str, user_id: str, locale: str) -> None:
        self.service = service
        self.instance = instance
        self.user_id = user_id
        self.locale = locale
        self.id = -1

    def push_json(self, frame: dict[str, Any]) -> None:
        if frame.get("kind") in _RELAYED:
            self.service.relay(self.instance, self.user_id, frame)


class _VoiceTopics(HubNumbered):
    """``voice:<space>``: who is in a space's voice, always as a fresh snapshot on resume."""

    def __init__(self, service: VoiceService) -> None:
        self.service = service

    async def authorize(self, principal: Principal, topic: str) -> None:
        await self.service.access(principal, topic.partition(":")[2])

    async def catch_up(self, connection: Connection, topic: str, after: int) -> int:
        service, key = self.service, topic.partition(":")[2]
        if service.shared.distributed:
            # What was last published, by whichever instance: a late joiner is shown what
            # the others have; a frame numbered but not published yet comes live.
            record = await service.published(key)
            if record is not None:
                current, members = record
            else:  # never published, or Redis is away: the union as far as it is known
                current = await service.hub.current_seq(topic)
                members = await service._venue_roster(key) if current else []
        else:
            current = await service.hub.current_seq(topic)
            members = service.public_state(key) if after != current else []
        if after != current:
            connection.push_catch_up(
                topic,
                current,
                self.service.ops(key, members, connection.locale),
                voice={"members": members},
            )
        return current

    async def joined(self, connection: Connection, topic: str) -> None:
        return None

    async def left(self, connection: Connection, topic: str) -> None:
        await self.service.drop(connection, topic.partition(":")[2])
