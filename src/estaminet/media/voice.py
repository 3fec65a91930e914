"""The voice service: who is in which voice conversation, signalling between browsers, moderation.

Voice state is kept in memory by this process, like presence: a person is in a
space's voice while the tab that joined follows the space's ``voice:`` topic
(a dropped socket leaves it). What may be sent to whom is decided by the pure
rules in ``voice_rules``; this module only carries it out:

- ``voice:<space>`` (a topic): who is in the voice, muted, speaking — the same
  for everyone who follows it, and never anything about private groups;
- ``{"type":"voice",…}`` frames pushed to one tab: the peers to connect to,
  relayed offers/answers/ICE candidates, where one's voice may go now, private
  speaking notices, and the end of a call.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
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
from estaminet.realtime.frames import encode, frame_for_locales
from estaminet.realtime.gateway import ActionContext, Gateway
from estaminet.realtime.hub import Hub
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
_SIGNAL_TYPES = frozenset({"offer", "answer", "candidate", "restart"})
_MALFORMED = N_("This message could not be read.")


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
    ) -> None:
        self.db = db
        self.hub = hub
        self.templates = templates
        self.settings = settings
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
        self._flush: asyncio.TimerHandle | None = None
        self._waiting: dict[int, tuple[Connection, str]] = {}
        self._watcher: asyncio.Task[None] | None = None
        self._families: dict[str, SpaceCheck] = {}
        if tables is not None:
            tables.engine.on_change(self._table_changed)

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
        await self.holds.read(key)
        space = self.spaces.get(key) or _Space(key, access.mode, access.room_id)
        self.spaces[key] = space
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
        space.transport = transport
        member = _Member(
            user_id, ctx.principal.display_name, conn, transport, table_person=access.table_person
        )
        space.members[user_id] = member
        if space.is_table and self.tables is not None and len(space.members) == 1:
            space.plan = await self._plan(int(key.partition(":")[2]))
        await self._recompute(space, joined=user_id)
        self._mark(key)
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
        if member.transport is Transport.JANUS and self.crowd is not None and release:
            with contextlib.suppress(CrowdUnavailable):
                await self.crowd.release(space.key, user_id)
        if not space.members:
            await self._sync_groups(space)
            if space.transport is Transport.JANUS and self.crowd is not None:
                with contextlib.suppress(CrowdUnavailable):
                    await self.crowd.close(space.key)
            self._forget_if_empty(space)
        else:
            await self._recompute(space)

    def _forget_if_empty(self, space: _Space) -> None:
        if not space.members and not space.moderator_muted and self.spaces.get(space.key) is space:
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

    async def _recompute(self, space: _Space, joined: str | None = None) -> None:
        """Apply the current rules: tell each person what changed for them, and only that."""
        before = space.permissions
        after = self._permissions(space)
        space.permissions = after
        await self._sync_groups(space)
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
                        offer=peer != joined and user_id < peer,
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
                member.speaking = False
                if member.transport is Transport.JANUS and self.crowd is not None:
                    mine = self._carried(space, user_id)
                    with contextlib.suppress(CrowdUnavailable):
                        await self.crowd.mute(space.key, user_id, MAIN not in mine.send)
                        for group, held in sorted(space.groups.items()):
                            if user_id in held:
                                room = group_space(space.key, group, self._group_key)
                                await self.crowd.mute(room, user_id, group not in mine.send)
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
            if u in space.members and space.members[u].transport is Transport.JANUS
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
        space = self.spaces.get(f"table:{live.id}")
        if space is None or not space.members or self.tables is None:
            return
        plan = await self._plan(live.id)
        if plan != space.plan:
            space.plan = plan
            # Seats are dealt when the game starts: read who sits where again.
            table = await self.tables.table(live.id)
            for member in space.members.values():
                me = table.participant(member.user_id)
                member.table_person = (
                    TablePerson(member.user_id, me.role, me.seat) if me is not None else None
                )
            await self._recompute(space)

    # -- a sitting's hold on its room's voice -------------------------------------------

    async def hold_floor(self, key: str, holder: str, speakers: frozenset[str] | None) -> None:
        """``holder`` asks for silence on a room's voice (``speakers``: who may still be heard)
        or for none (``None``); ``voice_rules.next_hold`` says which silence is in force.

        While it lasts, the others are muted the way a moderator mutes (their
        permission; on a mixing server, ``crowd.mute``), each told by an ``allow``
        frame with ``silenced``.
        """
        if not self.holds.ask(key, holder, speakers):
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
        target, signal = data.get("to"), data.get("signal")
        if not isinstance(target, str) or not isinstance(signal, dict):
            raise _malformed()
        if signal.get("type") not in _SIGNAL_TYPES:
            raise _malformed()
        size = len(encode(signal).encode("utf-8"))
        if size > self.settings.voice_max_signal_bytes:
            raise BadInput("voice/signal_too_large", N_("This call setup message is too large."))
        sdp = signal.get("sdp")
        if sdp is not None and not isinstance(sdp, str):
            raise _malformed()
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
        clean = {k: signal[k] for k in ("type", "sdp", "candidate") if k in signal}
        self._push(peer.conn, key, "signal", **{"from": member.user_id, "signal": clean})
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
        _, member = self._member(ctx, key)
        member.self_muted = muted
        if muted:
            member.speaking = False
        self._mark(key)
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

    # -- sending ----------------------------------------------------------------------

    def _push(self, conn: Connection, key: str, kind: str, **fields: Any) -> None:
        conn.push_json({"type": "voice", "space": key, "kind": kind, **fields})

    def _mark(self, key: str) -> None:
        """Coalesce the public voice state of a space: one update every 150 ms at most."""
        self._dirty.add(key)
        if self._flush is None:
            loop = asyncio.get_running_loop()
            self._flush = loop.call_later(_PUBLISH_DELAY, lambda: loop.create_task(self._publish()))

    async def _publish(self) -> None:
        self._flush = None
        dirty, self._dirty = self._dirty, set()
        for key in sorted(dirty):
            topic = f"voice:{key}"
            seq = await self.hub.next_seq(topic)
            await self.hub.publish(frame_for_locales(topic, seq, "voice", self._body(key)))

    def public_state(self, key: str) -> list[dict[str, Any]]:
        """Who is in the voice of ``key`` as anyone following it may know."""
        space = self.spaces.get(key)
        if space is None:
            return []
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

    def _body(self, key: str) -> Callable[[str], dict[str, Any]]:
        members = self.public_state(key)
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


class _VoiceTopics:
    """``voice:<space>``: who is in a space's voice, always as a fresh snapshot on resume."""

    def __init__(self, service: VoiceService) -> None:
        self.service = service

    async def authorize(self, principal: Principal, topic: str) -> None:
        await self.service.access(principal, topic.partition(":")[2])

    async def catch_up(self, connection: Connection, topic: str, after: int) -> int:
        current = await self.service.hub.current_seq(topic)
        if after != current:
            key = topic.partition(":")[2]
            members = self.service.public_state(key)
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
