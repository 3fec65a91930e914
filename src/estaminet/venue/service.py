"""The venue's live side: chat actions over the gateway, room and presence topics, moderation.

Publishing always happens after the transaction that made the change has
committed (the ``chat`` functions commit before returning).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar, cast

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.kernel.errors import BadInput, Forbidden, NotFound, RateLimited
from estaminet.kernel.i18n import N_
from estaminet.kernel.ratelimit import Monotonic
from estaminet.kernel.storable import is_storable_int
from estaminet.people.access import can_moderate, can_moderate_person, can_see_room
from estaminet.people.actions import log_moderation
from estaminet.people.inbox import Inbox, texts_for
from estaminet.people.model import User, initials_of
from estaminet.people.queries import user_by_id
from estaminet.realtime.connection import Connection, Principal
from estaminet.realtime.frames import Frame, frame_for_locales
from estaminet.realtime.gateway import ActionContext, Gateway, user_topic
from estaminet.realtime.hub import Hub
from estaminet.realtime.shared_state import MemorySharedState, SharedState
from estaminet.realtime.topics import HubNumbered, SnapshotTopics
from estaminet.settings import Settings
from estaminet.store import Database
from estaminet.translations import translate
from estaminet.venue import chat
from estaminet.venue.presence import (
    FACES,
    SHOWN,
    Presence,
    PresentPerson,
    Snapshot,
    list_changes,
)
from estaminet.venue.rooms import (
    Room,
    check_room_access,
    list_rooms,
    room_by_slug,
    room_last_seq,
    rooms_version,
)
from estaminet.venue.schema import room_restrictions
from estaminet.web.templating import Templates

__all__ = ["VenueService", "person_id", "plan_topic"]

log = logging.getLogger(__name__)

_T = TypeVar("_T")

_PRESENCE_DELAY = 0.25
RENDERED_MESSAGES = 2048
"""How many rendered messages a venue keeps (see :meth:`VenueService.render_message`)."""
_SPACE = "presence"


def _person(principal: Principal) -> PresentPerson:
    return PresentPerson(
        principal.display_name, principal.user_id, initials_of(principal.display_name)
    )


class VenueService:
    def __init__(
        self,
        db: Database,
        hub: Hub,
        templates: Templates,
        settings: Settings,
        clock: Callable[[], datetime],
        notices: Inbox,
        *,
        monotonic: Monotonic = time.monotonic,
        shared: SharedState | None = None,
    ) -> None:
        self.db = db
        self.hub = hub
        self.templates = templates
        self.settings = settings
        self.clock = clock
        self.monotonic = monotonic
        self.notices = notices
        self.presence = Presence()
        """This instance's tabs in each room; with ``shared`` distributed, the venue's
        presence is the union of every instance's (``realtime/shared_state.py``)."""
        self.shared: SharedState = shared if shared is not None else MemorySharedState()
        self.shared.watch(_SPACE, self._swept)
        self._users: dict[str, tuple[User | None, float]] = {}
        self._rooms: dict[str, tuple[Room | None, float]] = {}
        # Bumped by every ``forget_*``: a read that began before it is not cached (it may be stale).
        self._epoch = 0
        self._kicks: dict[str, tuple[dict[str, datetime], float]] = {}
        self._gateway: Gateway | None = None
        self._dirty: set[str] = set()
        self._flush: asyncio.TimerHandle | None = None
        # What was last published for each room's presence, with its seq: pages and
        # catch-ups are drawn from it, so they show exactly what the frames so far say.
        self._published: dict[str, tuple[int, Snapshot]] = {}
        # The last whole list rendered for each room and language (see ``presence_ops``).
        self._presence_pages: dict[tuple[str, str], tuple[Snapshot, list[dict[str, Any]]]] = {}
        # One writer per room at a time, from the seq taken to the frame published, so a
        # room's chat frames leave this instance in seq order (on PostgreSQL, two commits
        # in a row could otherwise publish the later first and make every tab resync).
        self._in_order: dict[int, asyncio.Lock] = {}
        # Messages as they were last rendered, by what they say and the language: every tab
        # that comes back to a room after a restart catches up on the same few messages.
        self._rendered: dict[tuple[chat.ChatMessage, str], str] = {}

    def install(self, gateway: Gateway) -> None:
        self._gateway = gateway
        gateway.provide("room", _RoomTopics(self))
        # Who is in a room is for whoever may read its chat (the same check, made once
        # when a room page follows both).
        gateway.provide("presence", _PresenceTopics(self), access_of="room")
        gateway.provide("plan", _PlanTopics(self))
        gateway.action("chat.send", self._send)
        gateway.action("chat.edit", self._edit)
        gateway.action("chat.delete", self._delete)
        gateway.action("chat.source", self._source)
        gateway.action("room.mute", self._mute)
        gateway.action("room.kick", self._kick)

    # -- loading -------------------------------------------------------------

    async def _user(self, principal: Principal) -> User:
        # People and rooms are read on every chat action: a short cache saves two queries
        # per message; a ban also closes the person's sockets at once (see ``forget_user``).
        user_id = principal.user_id
        user = await self._cached(self._users, user_id, lambda conn: user_by_id(conn, user_id))
        if user is None or user.banned:
            raise Forbidden("people/banned", N_("You can no longer enter this venue."))
        return user

    def access_mark(self) -> tuple[int, float]:
        """Taken just before a person is read elsewhere (a request's sign-in), to hand the
        result to :meth:`remember_user`."""
        return self._epoch, self.monotonic()

    def remember_user(self, user: User, mark: tuple[int, float]) -> None:
        """A person read elsewhere moments ago, kept as if read here (a socket's first
        subscriptions then need not read them again); not if access changed since."""
        epoch, started = mark
        if epoch == self._epoch:
            _remember(self._users, user.id, user, started)

    def forget_user(self, user_id: str) -> None:
        """Drop a cached person (after a ban or a role change)."""
        self._epoch += 1
        self._users.pop(user_id, None)

    def forget_rooms(self) -> None:
        """Drop cached rooms and who is kicked from them (after a team or visibility change,
        a kick)."""
        self._epoch += 1
        self._rooms.clear()
        self._kicks.clear()

    def forget_access(self, user_id: str | None) -> None:
        """Someone's access (or a room's, ``None``) changed: drop what the caches decided."""
        if user_id is not None:
            self.forget_user(user_id)
        self.forget_rooms()

    async def _room(self, slug: str) -> Room | None:
        return await self._cached(self._rooms, slug, lambda conn: room_by_slug(conn, slug))

    async def _cached(
        self,
        cache: dict[str, tuple[Any, float]],
        key: str,
        read: Callable[[AsyncConnection], Awaitable[_T]],
    ) -> _T:
        """``cache[key]`` if read less than ``_CACHE_SECONDS`` ago, else ``read`` afresh (kept
        only if no ``forget_*`` came while it ran: it may be stale)."""
        now = self.monotonic()
        hit = cache.get(key)
        if hit is not None and hit[1] > now:
            return cast(_T, hit[0])
        epoch = self._epoch
        # Reads by key (a person, a room and its team, who is kicked): on SQLite answered
        # at once on the loop's thread, so the arrivals of a restart that find the cache
        # empty together read it once, not each (issue 20).
        async with self.db.read_now() as conn:
            value = await read(conn)
        if epoch == self._epoch:
            _remember(cache, key, value, now)
        return value

    async def _room_for(
        self, user: User, data: Mapping[str, Any], now: datetime, *, check_kick: bool = True
    ) -> Room:
        slug = data.get("room")
        if not isinstance(slug, str) or len(slug) > 40:
            raise BadInput("gateway/malformed", N_("This message could not be read."))
        room = check_room_access(await self._room(slug), user)
        if not check_kick:
            return room
        # Who is kicked is read once per room for the arrivals of the next seconds (a room
        # page follows two topics; a restart brings everyone back at once); a kick drops it
        # on every instance (``Gateway.forget_everywhere``).
        kicked = await self._cached(
            self._kicks, room.slug, lambda conn: chat.restricted(conn, room, "kick", now)
        )
        until = kicked.get(user.id)
        if until is not None and until > now:
            raise Forbidden(
                "venue/kicked", N_("A moderator has asked you to leave this room for a while.")
            )
        return room

    async def watch_rooms(self, changed: Callable[[], None], every: float) -> None:
        """Call ``changed()`` when the venue file was applied (by ``estaminet venue apply``,
        another process): rooms' visibility or teams may have changed. Checks every ``every`` s."""
        async with self.db.read() as conn:
            seen = await rooms_version(conn)
        while True:
            await asyncio.sleep(every)
            try:
                async with self.db.read() as conn:
                    version = await rooms_version(conn)
            except Exception:
                log.warning("reading the rooms' version failed", exc_info=True)
                continue
            if version != seen:
                seen = version
                changed()

    # -- chat actions ----------------------------------------------------------

    async def _check_rate(self, user_id: str) -> None:
        """One message's worth of the person's venue-wide allowance (on any instance)."""
        wait = await self.shared.take(
            f"chat:{user_id}",
            self.settings.chat_rate_burst,
            self.settings.chat_rate_per_second,
            self.monotonic(),
        )
        if wait:
            raise RateLimited(
                "chat/slow_down",
                N_("Slow down! Wait %(seconds)s s before sending again."),
                seconds=max(1, round(wait)),
            )

    async def _send(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        user = await self._user(ctx.principal)
        # ``post_message`` checks the kick with the mute, in its transaction.
        room = await self._room_for(user, data, ctx.now, check_kick=False)
        body = data.get("body")
        client_id = data.get("client_id")
        if not isinstance(body, str) or (client_id is not None and not isinstance(client_id, str)):
            raise BadInput("gateway/malformed", N_("This message could not be read."))
        await self._check_rate(user.id)
        async with self._sequenced(room):
            posted = await chat.post_message(
                self.db,
                user,
                room,
                body,
                ctx.now,
                max_length=self.settings.chat_max_length,
                client_id=client_id,
            )
            if not posted.duplicate:
                await self.publish_message(room, posted.message)
        if not posted.duplicate:
            await self.notices.publish(posted.notices)
        return {"message": posted.message.id, "seq": posted.message.seq}

    async def _message_target(
        self, ctx: ActionContext, data: Mapping[str, Any]
    ) -> tuple[User, Room, int]:
        """Who acts, in which room, on which message (``data["message"]``)."""
        user = await self._user(ctx.principal)
        room = await self._room_for(user, data, ctx.now)
        message_id = data.get("message")
        if not is_storable_int(message_id):
            raise BadInput("gateway/malformed", N_("This message could not be read."))
        return user, room, message_id

    async def _edit(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        user, room, message_id = await self._message_target(ctx, data)
        body = data.get("body")
        if not isinstance(body, str):
            raise BadInput("gateway/malformed", N_("This message could not be read."))
        await self._check_rate(user.id)
        async with self._sequenced(room):
            message = await chat.edit_message(
                self.db,
                user,
                room,
                message_id,
                body,
                ctx.now,
                max_length=self.settings.chat_max_length,
            )
            await self.publish_message(room, message)
        return {"message": message.id, "seq": message.seq}

    async def _source(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        """The text of one's own message, to edit it (messages are sent without it)."""
        user, room, message_id = await self._message_target(ctx, data)
        async with self.db.read() as conn:
            return {
                "message": message_id,
                "body": await chat.message_source(conn, user, room, message_id),
            }

    async def _delete(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        user, room, message_id = await self._message_target(ctx, data)
        async with self._sequenced(room):
            message = await chat.delete_message(self.db, user, room, message_id, ctx.now)
            await self.publish_message(room, message)
        return {"message": message.id, "seq": message.seq}

    # -- moderation --------------------------------------------------------------

    async def _restrict(
        self, ctx: ActionContext, data: Mapping[str, Any], kind: str
    ) -> tuple[User, Room, User, datetime]:
        actor = await self._user(ctx.principal)
        if not can_moderate(actor):
            raise Forbidden("venue/not_moderator", N_("Only moderators can do that."))
        room = await self._room_for(actor, data, ctx.now)
        target_id, minutes = data.get("user"), data.get("minutes", 10)
        if (
            not isinstance(target_id, str)
            or not isinstance(minutes, int)
            or isinstance(minutes, bool)
        ):
            raise BadInput("gateway/malformed", N_("This message could not be read."))
        if not 1 <= minutes <= 60 * 24 * 30:
            raise BadInput("venue/bad_duration", N_("Choose between 1 minute and 30 days."))
        async with self.db.read() as conn:
            target = await user_by_id(conn, target_id)
        if target is None:
            raise NotFound("people/unknown_person", N_("This person does not exist."))
        if not can_moderate_person(actor, target):
            raise Forbidden("venue/cannot_moderate", N_("You cannot moderate this person."))
        until = ctx.now + timedelta(minutes=minutes)
        reason = data.get("reason") if isinstance(data.get("reason"), str) else None
        async with self.db.begin() as conn:
            await conn.execute(
                delete(room_restrictions).where(
                    room_restrictions.c.room_id == room.id,
                    room_restrictions.c.user_id == target.id,
                    room_restrictions.c.kind == kind,
                )
            )
            await conn.execute(
                insert(room_restrictions).values(
                    room_id=room.id, user_id=target.id, kind=kind, until=until
                )
            )
            await log_moderation(
                conn,
                actor,
                kind,
                ctx.now,
                target_user_id=target.id,
                room_id=room.id,
                until=until,
                reason=reason,
            )
        return actor, room, target, until

    async def _mute(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        _, room, target, until = await self._restrict(ctx, data, "mute")

        def words(locale: str) -> tuple[str, str | None]:
            text = translate(
                locale,
                N_("A moderator has muted you in %(room)s until %(until)s."),
                {
                    "room": room.name(locale),
                    "until": self.templates.env(locale).filters["time"](until),
                },
            )
            return text, None

        await self.notices.send(
            target.id, "moderation", ctx.now, texts=texts_for(words), link=f"/r/{room.slug}"
        )
        return {"until": until.isoformat()}

    async def _kick(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        _, room, target, until = await self._restrict(ctx, data, "kick")
        # Committed: no instance may let them back in on what it remembered of the room.
        if self._gateway is not None:
            await self._gateway.forget_everywhere(target.id)
        await self.control(target.id, {"action": "leave", "topic": room.topic, "reason": "kicked"})
        # Out of the room is out of its voice conversation too.
        await self.control(
            target.id, {"action": "leave", "topic": f"voice:{room.topic}", "reason": "kicked"}
        )
        return {"until": until.isoformat()}

    # -- publishing ----------------------------------------------------------------

    def render_message(self, message: chat.ChatMessage, locale: str) -> str:
        """One message's HTML, rendered once per state of the message and language.

        The key is the whole message (an edit or a deletion takes a new number, and its
        author's name and text are part of it): whatever differs renders anew. Kept for the
        last :data:`RENDERED_MESSAGES` messages, the oldest going first."""
        key = (message, locale)
        found = self._rendered.get(key)
        if found is None:
            if len(self._rendered) >= RENDERED_MESSAGES:
                del self._rendered[next(iter(self._rendered))]
            found = self._rendered[key] = self.templates.render(
                "venue/_message.html",
                locale,
                {"m": message},  # all it reads: the key
            )
        return found

    def _sequenced(self, room: Room) -> asyncio.Lock:
        """The lock a change to ``room``'s chat holds from its seq to its publication."""
        lock = self._in_order.get(room.id)
        if lock is None:
            lock = self._in_order[room.id] = asyncio.Lock()
        return lock

    async def publish_message(self, room: Room, message: chat.ChatMessage) -> None:
        """Publish the current state of one message (after commit)."""
        frame = frame_for_locales(
            room.topic,
            message.seq,
            "chat",
            lambda locale: {"ops": [self._upsert_op(room, message, locale)]},
        )
        await self.hub.publish(frame)

    async def post_notice(
        self, room: Room, body: str, now: datetime, *, author_id: str | None, author_name: str
    ) -> chat.ChatMessage:
        """The venue writes in a room's chat (see :func:`chat.post_notice`), in order with
        the posts, and publishes it after the commit."""
        async with self._sequenced(room):
            message = await chat.post_notice(
                self.db, room, body, now, author_id=author_id, author_name=author_name
            )
            await self.publish_message(room, message)
        return message

    def _upsert_op(self, room: Room, message: chat.ChatMessage, locale: str) -> dict[str, Any]:
        return {
            "op": "upsert",
            "parent": f"#chat-log-{room.slug}",
            "id": f"msg-{message.id}",
            "html": self.render_message(message, locale),
        }

    async def control(self, user_id: str, control: Mapping[str, Any]) -> None:
        """Tell every connection of ``user_id`` to leave a topic or close."""
        topic = user_topic(user_id)
        await self.hub.publish(Frame(topic, 0, {}, control))

    # -- presence ------------------------------------------------------------------

    def mark_presence(self, slug: str) -> None:
        """Coalesce presence changes: one update per room every quarter second at most."""
        self._dirty.add(slug)
        if self._flush is None:
            loop = asyncio.get_running_loop()
            self._flush = loop.call_later(
                _PRESENCE_DELAY, lambda: loop.create_task(self._flush_presence())
            )

    def _swept(self, slugs: set[str]) -> None:
        """Another instance's people were swept away (it died), or ours put back: publish."""
        for slug in slugs:
            self.mark_presence(slug)

    async def _flush_presence(self) -> None:
        self._flush = None
        dirty, self._dirty = self._dirty, set()
        if self.shared.distributed:
            await self._flush_shared(dirty)
            return
        plan: dict[str, list[tuple[str, Snapshot]]] = {}
        for slug in sorted(dirty):
            before = self.published(slug)
            after = self.presence.snapshot(slug)
            if after == before:
                continue  # someone came and went within the same quarter second
            topic = f"presence:{slug}"
            seq = await self.hub.next_seq(topic)
            frame = frame_for_locales(
                topic, seq, "presence", partial(self._changes_body, slug, before, after)
            )
            self._published[slug] = (seq, after)
            await self.hub.publish(frame, buffer=True)
            await self._plan_change(plan, slug, before, after)
        await self._publish_plan(plan)

    async def _plan_change(
        self,
        plan: dict[str, list[tuple[str, Snapshot]]],
        slug: str,
        before: Snapshot,
        after: Snapshot,
    ) -> None:
        """Adds a room's new occupancy to ``plan`` (by floor plan topic) if what the floor plan
        shows of it changed. The room is read through the short cache (its visibility decides
        the topic; a change of visibility drops the cache): during a storm of arrivals, a
        flush every quarter second used to read every room."""
        if (before.count, before.faces) == (after.count, after.faces):
            return
        room = await self._room(slug)
        if room is not None:
            plan.setdefault(plan_topic(room), []).append((slug, after))

    async def _publish_plan(self, plan: dict[str, list[tuple[str, Snapshot]]]) -> None:
        for topic, rooms_now in sorted(plan.items()):
            seq = await self.hub.next_seq(topic)
            frame = frame_for_locales(topic, seq, "occupancy", partial(self._plan_body, rooms_now))
            await self.hub.publish(frame, buffer=True)

    async def _flush_shared(self, dirty: set[str]) -> None:
        """Several instances: the venue's presence is the union of theirs. For each room,
        the instance holding its lock compares the union with what was last published
        (a record every instance reads) and publishes the difference, once venue-wide;
        a room locked by another instance is looked at again a moment later."""
        plan: dict[str, list[tuple[str, Snapshot]]] = {}
        async with contextlib.AsyncExitStack() as locks:
            for slug in sorted(dirty):
                if not await locks.enter_async_context(self.shared.lock(f"presence:{slug}")):
                    self.mark_presence(slug)  # another instance is publishing it: again later
                    continue
                await self.refresh_published([slug])
                before = self.published(slug)
                held = await self.shared.held(_SPACE, slug)
                people = [PresentPerson(*json.loads(value)) for _, value in held]
                shown = tuple(people[:SHOWN])
                after = Snapshot(shown, len(people), shown[:FACES])
                if after == before:
                    continue
                topic = f"presence:{slug}"
                seq = await self.hub.next_seq(topic)
                frame = frame_for_locales(
                    topic, seq, "presence", partial(self._changes_body, slug, before, after)
                )
                self._published[slug] = (seq, after)
                await self.shared.set_record(f"presence:{slug}", _snapshot_record(seq, after))
                await self.hub.publish(frame, buffer=True)
                await self._plan_change(plan, slug, before, after)
            # Still under the rooms' locks: the floor plan's frames follow the same order.
            await self._publish_plan(plan)

    async def refresh_published(self, slugs: Iterable[str]) -> None:
        """With several instances, read what was last published for these rooms (by any
        instance) before ``published``/``presence_seq`` are used; alone, nothing to do."""
        if not self.shared.distributed:
            return
        for slug in slugs:
            raw = await self.shared.record(f"presence:{slug}")
            if raw is not None:
                self._published[slug] = _read_snapshot_record(raw)

    def _changes_body(
        self, slug: str, before: Snapshot, after: Snapshot, locale: str
    ) -> dict[str, Any]:
        return {"ops": self.presence_changes(slug, before, after, locale)}

    def _plan_body(self, rooms: list[tuple[str, Snapshot]], locale: str) -> dict[str, Any]:
        return {"ops": [self.occupants_op(slug, locale, snap) for slug, snap in rooms]}

    def published(self, slug: str) -> Snapshot:
        """The room's presence as the frames published so far tell it."""
        return self._published.get(slug, (0, Snapshot()))[1]

    def presence_seq(self, slug: str) -> int:
        """The seq of the last presence frame of ``slug`` this instance published."""
        return self._published.get(slug, (0, Snapshot()))[0]

    def _person_html(self, slug: str, person: PresentPerson, locale: str) -> str:
        return self.templates.render("venue/_person.html", locale, {"slug": slug, "p": person})

    def presence_changes(
        self, slug: str, before: Snapshot, after: Snapshot, locale: str
    ) -> list[dict[str, Any]]:
        """What changed on a room's list of people, as ops (never the whole list)."""
        removed, appended = list_changes(
            [p.user_id for p in before.shown], [p.user_id for p in after.shown]
        )
        people = {p.user_id: p for p in after.shown}
        ops: list[dict[str, Any]] = [
            {"op": "remove", "target": f"#{person_id(slug, uid)}"} for uid in removed
        ]
        if after.count and not before.count:
            ops.append({"op": "remove", "target": f"#{person_id(slug, 'none')}"})
        ops.extend(
            {
                "op": "upsert",
                "parent": f"[data-people='{slug}']",
                "id": person_id(slug, uid),
                "html": self._person_html(slug, people[uid], locale),
            }
            for uid in appended
        )
        if before.count and not after.count:
            ops.append(
                {
                    "op": "upsert",
                    "parent": f"[data-people='{slug}']",
                    "id": person_id(slug, "none"),
                    "html": self.templates.render("venue/_nobody.html", locale, {"slug": slug}),
                }
            )
        if before.count != after.count:
            ops.append(
                {"op": "inner", "target": f"[data-people-count='{slug}']", "html": f"{after.count}"}
            )
        if before.more != after.more:
            ops.append(self._more_op(slug, after, locale))
        return ops

    def _more_op(self, slug: str, snap: Snapshot, locale: str) -> dict[str, Any]:
        return {
            "op": "inner",
            "target": f"[data-people-more='{slug}']",
            "html": self.templates.render(
                "venue/_people_more.html", locale, {"slug": slug, "snap": snap}
            ),
        }

    def presence_ops(self, slug: str, locale: str) -> list[dict[str, Any]]:
        """The whole list as published (a catch-up after a gap), rendered once per list
        and language: after a restart, every page of a busy room asks for it at once."""
        snap = self.published(slug)
        kept = self._presence_pages.get((slug, locale))
        if kept is not None and kept[0] is snap:
            return kept[1]
        ops = [
            {
                "op": "replace",
                "target": f"[data-people='{slug}']",
                "html": self.templates.render(
                    "venue/_people.html", locale, {"slug": slug, "snap": snap}
                ),
            },
            {"op": "inner", "target": f"[data-people-count='{slug}']", "html": f"{snap.count}"},
            self._more_op(slug, snap, locale),
        ]
        if len(self._presence_pages) >= _CACHE_MAX:
            self._presence_pages.clear()
        self._presence_pages[(slug, locale)] = (snap, ops)
        return ops

    def occupants_op(self, slug: str, locale: str, snap: Snapshot | None = None) -> dict[str, Any]:
        """A room's box on the floor plan: how many, and the first faces."""
        shown = self.published(slug) if snap is None else snap
        return {
            "op": "replace",
            "target": f"[data-occupants='{slug}']",
            "html": self.templates.render(
                "venue/_occupants.html", locale, {"slug": slug, "snap": shown}
            ),
        }

    async def rooms(self) -> list[Room]:
        async with self.db.read() as conn:
            return await list_rooms(conn)


def _snapshot_record(seq: int, snap: Snapshot) -> str:
    people = [[p.display_name, p.user_id, p.initials] for p in snap.shown]
    return json.dumps({"seq": seq, "count": snap.count, "shown": people})


def _read_snapshot_record(raw: str) -> tuple[int, Snapshot]:
    data = json.loads(raw)
    shown = tuple(PresentPerson(*person) for person in data["shown"])
    return int(data["seq"]), Snapshot(shown, int(data["count"]), shown[:FACES])


def person_id(slug: str, user_id: str) -> str:
    """The element id of a person in a room's list (``none``: the "nobody here" line)."""
    return f"pp-{slug}-{user_id}"


def plan_topic(room: Room) -> str:
    """The floor plan's summary topic carrying ``room``'s occupancy: one per audience, so
    nobody is told how many people are in a room they may not see."""
    if room.visibility.value == "public":
        return "plan:public"
    if room.visibility.value == "members":
        return "plan:members"
    return f"plan:team:{room.slug}"


_CACHE_SECONDS = 2.0
_CACHE_MAX = 10_000


def _remember(cache: dict[str, tuple[Any, float]], key: str, value: Any, now: float) -> None:
    if len(cache) >= _CACHE_MAX:
        cache.clear()
    cache[key] = (value, now + _CACHE_SECONDS)


class _RoomTopics:
    """``room:<slug>``: the room's chat, resumed from the database."""

    def __init__(self, venue: VenueService) -> None:
        self.venue = venue

    async def authorize(self, principal: Principal, topic: str) -> None:
        user = await self.venue._user(principal)
        await self.venue._room_for(user, {"room": topic.partition(":")[2]}, self.venue.clock())

    async def catch_up(self, connection: Connection, topic: str, after: int) -> int:
        # The room as :meth:`authorize` just read it (its name, its team: seconds old at
        # most); only where its chat stands is read afresh, in one light statement (a
        # thousand tabs come back at once after a restart, issue 20).
        room = await self.venue._room(topic.partition(":")[2])
        if room is None:
            raise NotFound("venue/unknown_room", N_("This room does not exist."))
        # Reads by key, answered at once on SQLite (``read_now``): the last number, then at
        # most a page of what was missed, along the index of the room's numbers.
        async with self.venue.db.read_now() as conn:
            last_seq = await room_last_seq(conn, room.id)
            if last_seq is None:
                raise NotFound("venue/unknown_room", N_("This room does not exist."))
            if after < 0 or after >= last_seq:
                return last_seq
            # A tab that missed more than a page of changes gets the last page again (and
            # "earlier messages" on scroll), never the whole gap: a catch-up is one page at most.
            page_size = self.venue.settings.chat_page_size
            changed = await chat.changes_since(conn, room, after, limit=page_size)
            if changed is None:
                recent = await chat.history(conn, room, limit=page_size)
        locale = connection.locale
        if changed is None:
            html = self.venue.templates.render(
                "venue/_chat_log.html", locale, {"room": room, "messages": recent, "has_more": True}
            )
            ops: list[dict[str, Any]] = [
                {"op": "replace", "target": f"#chat-log-{room.slug}", "html": html}
            ]
        else:
            ops = [self.venue._upsert_op(room, m, locale) for m in changed]
        connection.push_catch_up(topic, last_seq, ops)
        return last_seq

    async def joined(self, connection: Connection, topic: str) -> None:
        slug = topic.partition(":")[2]
        person = _person(connection.principal)
        venue = self.venue
        if venue.presence.enter(slug, person) and venue.shared.distributed:
            value = json.dumps([person.display_name, person.user_id, person.initials])
            await venue.shared.hold(_SPACE, slug, person.user_id, value)
        venue.mark_presence(slug)

    async def left(self, connection: Connection, topic: str) -> None:
        slug = topic.partition(":")[2]
        venue = self.venue
        if venue.presence.leave(slug, connection.principal.user_id):
            if venue.shared.distributed:
                await venue.shared.release(_SPACE, slug, connection.principal.user_id)
            venue.mark_presence(slug)


class _PresenceTopics(HubNumbered, SnapshotTopics):
    """``presence:<slug>``: who is in a room, from a bounded buffer or a fresh snapshot."""

    def __init__(self, venue: VenueService) -> None:
        self.venue = venue

    async def authorize(self, principal: Principal, topic: str) -> None:
        await _RoomTopics(self.venue).authorize(principal, topic)

    async def catch_up(self, connection: Connection, topic: str, after: int) -> int:
        hub = self.venue.hub
        current = await hub.current_seq(topic)
        if after == current:
            return current
        missed = await hub.recent(topic, after) if after >= 0 else None
        slug = topic.partition(":")[2]
        if self.venue.shared.distributed:
            # Another instance may have taken the next number and not published yet: the
            # catch-up goes as far as the record (or the buffer) does, the rest comes live.
            if missed is None:
                await self.venue.refresh_published([slug])
                current = self.venue.presence_seq(slug)
            else:
                current = missed[-1].seq if missed else after
        if missed is None:
            connection.push_catch_up(
                topic, current, self.venue.presence_ops(slug, connection.locale)
            )
        else:
            for frame in missed:
                connection.push(frame.text(connection.locale))
        return current


class _PlanTopics(HubNumbered, SnapshotTopics):
    """``plan:public``, ``plan:members``, ``plan:team:<slug>``: the floor plan's occupancy,
    one summary per audience (how many people in each room, the first faces)."""

    def __init__(self, venue: VenueService) -> None:
        self.venue = venue

    async def authorize(self, principal: Principal, topic: str) -> None:
        user = await self.venue._user(principal)
        audience = topic.removeprefix("plan:")
        if audience == "public":
            return
        if audience == "members":
            if not can_see_room(user, "members", in_team=False):
                raise Forbidden("venue/members_only", N_("This room is for members."))
            return
        slug = audience.removeprefix("team:")
        if audience == slug or not slug or len(slug) > 40:
            raise NotFound("venue/unknown_room", N_("This room does not exist."))
        check_room_access(await self.venue._room(slug), user)

    async def catch_up(self, connection: Connection, topic: str, after: int) -> int:
        hub = self.venue.hub
        current = await hub.current_seq(topic)
        if after == current:
            return current
        missed = await hub.recent(topic, after) if after >= 0 else None
        if missed is None:
            rooms = [room for room in await self.venue.rooms() if plan_topic(room) == topic]
            await self.venue.refresh_published(room.slug for room in rooms)
            connection.push_catch_up(
                topic,
                current,
                [self.venue.occupants_op(room.slug, connection.locale) for room in rooms],
            )
        else:
            for frame in missed:
                connection.push(frame.text(connection.locale))
        return current
