"""The help desk as a service: asking, offering to help, taking a request, the help corner.

One write path: each action validates, writes in one transaction (with the inbox notices it
causes), and publishes after the commit: the request's own topic ``help:<id>`` (its status
card and its corner's chat, for the person who asked, the one helping and the admins) and
``helpdesk:queue`` (who is waiting, for the people who may help).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.helpdesk.rules import (
    TOPIC_LABELS,
    MicState,
    Status,
    Topic,
    check_message,
    check_topic,
    check_words,
    clean_page,
    escalation_due,
    position_in_queue,
)
from estaminet.helpdesk.schema import help_messages, help_requests, help_volunteers
from estaminet.kernel.errors import BadInput, Forbidden, NotFound
from estaminet.kernel.i18n import LANGUAGES, N_, Msgid
from estaminet.people import inbox
from estaminet.people.access import (
    can_follow_help,
    can_see_help_queue,
    hears_of_waiting_help,
    may_help,
)
from estaminet.people.inbox import Inbox
from estaminet.people.model import User
from estaminet.people.queries import active_user, display_names, people_not_banned
from estaminet.realtime.connection import Connection, Principal
from estaminet.realtime.frames import frame_for_locales
from estaminet.realtime.gateway import ActionContext, Gateway
from estaminet.realtime.hub import Hub
from estaminet.realtime.topics import HubNumbered, SnapshotTopics
from estaminet.store import Database
from estaminet.translations import translate
from estaminet.venue.rooms import Room, list_rooms
from estaminet.web.templating import Templates

__all__ = ["MAX_REQUESTS_PER_HOUR", "QUEUE_TOPIC", "HelpDesk", "HelpMessage", "HelpRequest"]

log = logging.getLogger(__name__)

QUEUE_TOPIC = "helpdesk:queue"
MAX_REQUESTS_PER_HOUR = 5
"""A person may ask this many times an hour (each request notifies every volunteer)."""


@dataclass(frozen=True)
class HelpRequest:
    id: int
    user_id: str
    asker: str
    topic: Topic
    words: str
    page: str
    mic: MicState
    status: Status
    created_at: datetime
    taken_by: str | None
    helper: str | None
    taken_at: datetime | None
    escalated_at: datetime | None
    closed_at: datetime | None
    position: int | None = None
    """1 for the first in line while waiting."""
    room: Room | None = None
    """The room of the page the person was on, if it was a room's."""

    @property
    def topic_label(self) -> Msgid:
        return TOPIC_LABELS[self.topic]

    @property
    def key(self) -> str:
        return f"help:{self.id}"


@dataclass(frozen=True)
class HelpMessage:
    id: int
    request_id: int
    author_id: str | None
    author: str
    body: str
    at: datetime


class HelpDesk:
    def __init__(
        self,
        db: Database,
        hub: Hub,
        templates: Templates,
        notices: Inbox,
        clock: Callable[[], datetime],
        *,
        escalate_minutes: int,
        check_seconds: float,
    ) -> None:
        self.db = db
        self.hub = hub
        self.templates = templates
        self.notices = notices
        self.clock = clock
        self.escalate_minutes = escalate_minutes
        self.check_seconds = check_seconds
        self._wake = asyncio.Event()
        self.gateway: Gateway | None = None

    def install(self, gateway: Gateway) -> None:
        self.gateway = gateway
        gateway.provide("help", _CornerTopics(self))
        gateway.provide("helpdesk", _QueueTopics(self))
        gateway.action("help.say", self._say_action)

    # -- reading -------------------------------------------------------------------------

    async def _rows(self, conn: AsyncConnection, *where: Any) -> list[HelpRequest]:
        rows = (
            await conn.execute(
                select(help_requests)
                .where(*where)
                .order_by(help_requests.c.created_at, help_requests.c.id)
            )
        ).all()
        ids = {r.user_id for r in rows} | {r.taken_by for r in rows if r.taken_by}
        names = await display_names(conn, ids) if ids else {}
        waiting = await self._waiting_ids(conn)
        rooms = {room.slug: room for room in await list_rooms(conn)} if rows else {}
        return [
            HelpRequest(
                id=r.id,
                user_id=r.user_id,
                asker=names.get(r.user_id, "?"),
                topic=Topic(r.topic),
                words=r.words,
                page=r.page,
                mic=MicState.read(r.mic),
                status=Status(r.status),
                created_at=r.created_at,
                taken_by=r.taken_by,
                helper=names.get(r.taken_by) if r.taken_by else None,
                taken_at=r.taken_at,
                escalated_at=r.escalated_at,
                closed_at=r.closed_at,
                position=position_in_queue(waiting, r.id),
                room=rooms.get(r.page.removeprefix("/r/")) if r.page.startswith("/r/") else None,
            )
            for r in rows
        ]

    @staticmethod
    async def _waiting_ids(conn: AsyncConnection) -> list[int]:
        rows = await conn.execute(
            select(help_requests.c.id)
            .where(help_requests.c.status == Status.WAITING.value)
            .order_by(help_requests.c.created_at, help_requests.c.id)
        )
        return list(rows.scalars())

    async def request(self, request_id: int) -> HelpRequest | None:
        async with self.db.read() as conn:
            found = await self._rows(conn, help_requests.c.id == request_id)
        return found[0] if found else None

    async def open_request_of(self, user_id: str) -> HelpRequest | None:
        """The person's request still waiting or being helped (one at a time)."""
        async with self.db.read() as conn:
            found = await self._rows(
                conn,
                help_requests.c.user_id == user_id,
                help_requests.c.status.in_((Status.WAITING.value, Status.TAKEN.value)),
            )
        return found[-1] if found else None

    async def helping(self, user_id: str) -> list[HelpRequest]:
        """The requests this person took and that are not settled yet."""
        async with self.db.read() as conn:
            return await self._rows(
                conn,
                help_requests.c.taken_by == user_id,
                help_requests.c.status == Status.TAKEN.value,
            )

    async def waiting(self) -> list[HelpRequest]:
        async with self.db.read() as conn:
            return await self._rows(conn, help_requests.c.status == Status.WAITING.value)

    async def messages(self, request_id: int) -> list[HelpMessage]:
        async with self.db.read() as conn:
            return await _messages(conn, request_id)

    async def is_volunteer(self, user_id: str) -> bool:
        async with self.db.read() as conn:
            found = await conn.execute(
                select(help_volunteers.c.user_id).where(help_volunteers.c.user_id == user_id)
            )
            return found.first() is not None

    async def volunteers_count(self) -> int:
        async with self.db.read() as conn:
            return int(
                (await conn.execute(select(func.count()).select_from(help_volunteers))).scalar_one()
            )

    async def helped_count(self, days: int = 30) -> int:
        """How many requests were settled with a helper lately (a count, no content)."""
        since = self.clock() - timedelta(days=days)
        async with self.db.read() as conn:
            found = await conn.execute(
                select(func.count())
                .select_from(help_requests)
                .where(
                    help_requests.c.status == Status.DONE.value,
                    help_requests.c.taken_at.is_not(None),
                    help_requests.c.closed_at >= since,
                )
            )
            return int(found.scalar_one())

    async def followable(self, user: User, request_id: int) -> HelpRequest:
        """The request, if ``user`` may follow it (else the same "not found" for all)."""
        found = await self.request(request_id)
        if found is None or not can_follow_help(user, found.user_id, found.taken_by):
            raise NotFound("help/unknown", N_("This request for help does not exist (any more)."))
        return found

    # -- the write path ------------------------------------------------------------------

    async def ask(
        self, user: User, topic: object, words: object, page: object, mic: object
    ) -> HelpRequest:
        """Ask for help; a person with a request still open gets that one back."""
        checked_topic = check_topic(topic)
        checked_words = check_words(words)
        now = self.clock()
        async with self.db.begin() as conn:
            open_one = (
                await conn.execute(
                    select(help_requests.c.id).where(
                        help_requests.c.user_id == user.id,
                        help_requests.c.status.in_((Status.WAITING.value, Status.TAKEN.value)),
                    )
                )
            ).scalar()
            if open_one is not None:
                request_id = int(open_one)
                notes: list[inbox.Notification | None] = []
            else:
                await _check_not_too_many(conn, user.id, now)
                request_id = int(
                    (
                        await conn.execute(
                            insert(help_requests)
                            .values(
                                user_id=user.id,
                                topic=checked_topic.value,
                                words=checked_words,
                                page=clean_page(page),
                                mic=MicState.read(mic).value,
                                status=Status.WAITING.value,
                                created_at=now,
                            )
                            .returning(help_requests.c.id)
                        )
                    ).scalar_one()
                )
                notes = await self._tell_volunteers(conn, user, request_id, checked_topic, now)
        await self.notices.publish(notes)
        if open_one is None:
            await self._publish_queue()
            self._wake.set()
        found = await self.request(request_id)
        assert found is not None
        return found

    async def _tell_volunteers(
        self, conn: AsyncConnection, asker: User, request_id: int, topic: Topic, now: datetime
    ) -> list[inbox.Notification | None]:
        rows = await conn.execute(select(help_volunteers.c.user_id))
        helpers = [uid for uid in rows.scalars() if uid != asker.id]
        if not helpers:
            return []
        allowed = {uid for uid, _, role in await people_not_banned(conn) if may_help(role)}
        notes = []
        for uid in helpers:
            if uid not in allowed:
                continue
            notes.append(
                await inbox.notify(
                    conn,
                    uid,
                    "help/asked",
                    now,
                    texts=inbox.texts_for(
                        lambda locale: (
                            translate(
                                locale,
                                N_("%(name)s asks for help: %(topic)s"),
                                {
                                    "name": asker.display_name,
                                    "topic": translate(locale, TOPIC_LABELS[topic]),
                                },
                            ),
                            translate(locale, N_("See the request")),
                        )
                    ),
                    link=f"/help/{request_id}",
                    dedupe=f"help:{request_id}:asked",
                )
            )
        return notes

    async def cancel(self, user: User, request_id: int) -> None:
        """The person who asked no longer needs help."""
        now = self.clock()
        async with self.db.begin() as conn:
            row = await _locked(conn, request_id)
            if row is None or row.user_id != user.id:
                raise NotFound(
                    "help/unknown", N_("This request for help does not exist (any more).")
                )
            if not Status(row.status).open:
                return
            await conn.execute(
                update(help_requests)
                .where(help_requests.c.id == request_id)
                .values(status=Status.CANCELLED.value, closed_at=now)
            )
        await self._publish_request(request_id)
        await self._publish_queue()
        await self._corner_closed(row.user_id, row.taken_by)

    async def take(self, user: User, request_id: int) -> HelpRequest:
        """A volunteer takes a waiting request: both land in its corner."""
        if not can_see_help_queue(user):
            raise Forbidden("help/not_helper", N_("Members help here; ask an admin to become one."))
        now = self.clock()
        note: inbox.Notification | None = None
        async with self.db.begin() as conn:
            row = await _locked(conn, request_id)
            if row is None:
                raise NotFound(
                    "help/unknown", N_("This request for help does not exist (any more).")
                )
            if row.user_id == user.id:
                raise BadInput(
                    "help/own", N_("This is your own request: someone else will take it.")
                )
            if row.status == Status.TAKEN.value and row.taken_by == user.id:
                pass  # taken twice by the same person (a double click): nothing changes
            elif row.status != Status.WAITING.value:
                raise BadInput(
                    "help/taken",
                    N_("Someone is already helping with this request, or it is settled."),
                )
            else:
                await conn.execute(
                    update(help_requests)
                    .where(help_requests.c.id == request_id)
                    .values(status=Status.TAKEN.value, taken_by=user.id, taken_at=now)
                )
                note = await inbox.notify(
                    conn,
                    row.user_id,
                    "help/taken",
                    now,
                    texts=inbox.texts_for(
                        lambda locale: (
                            translate(
                                locale,
                                N_("%(name)s is coming to help you."),
                                {"name": user.display_name},
                            ),
                            translate(locale, N_("Open the help corner")),
                        )
                    ),
                    link=f"/help/{request_id}",
                    dedupe=f"help:{request_id}:taken",
                )
        await self.notices.publish([note])
        await self._publish_request(request_id)
        await self._publish_queue()
        found = await self.request(request_id)
        assert found is not None
        return found

    async def close(self, user: User, request_id: int) -> None:
        """« C'est réglé »: the person who asked or the one helping settles the request."""
        now = self.clock()
        async with self.db.begin() as conn:
            row = await _locked(conn, request_id)
            if row is None or not can_follow_help(user, row.user_id, row.taken_by):
                raise NotFound(
                    "help/unknown", N_("This request for help does not exist (any more).")
                )
            if not Status(row.status).open:
                return
            settled = Status.DONE if row.taken_by else Status.CANCELLED
            await conn.execute(
                update(help_requests)
                .where(help_requests.c.id == request_id)
                .values(status=settled.value, closed_at=now)
            )
        await self._publish_request(request_id)
        await self._publish_queue()
        await self._corner_closed(row.user_id, row.taken_by)

    async def say(self, user: User, request_id: int, body: object) -> int:
        """A message in the help corner's chat (the two people, and admins)."""
        text = check_message(body)
        now = self.clock()
        async with self.db.begin() as conn:
            row = await _locked(conn, request_id)
            if row is None or not can_follow_help(user, row.user_id, row.taken_by):
                raise NotFound(
                    "help/unknown", N_("This request for help does not exist (any more).")
                )
            if not Status(row.status).open:
                raise BadInput("help/closed", N_("This request is settled: the corner is closed."))
            message_id = int(
                (
                    await conn.execute(
                        insert(help_messages)
                        .values(request_id=request_id, author_id=user.id, body=text, at=now)
                        .returning(help_messages.c.id)
                    )
                ).scalar_one()
            )
        message = HelpMessage(message_id, request_id, user.id, user.display_name, text, now)
        topic = f"help:{request_id}"
        seq = await self.hub.next_seq(topic)
        html = {
            locale: self.templates.render("helpdesk/_message.html", locale, {"m": message})
            for locale in LANGUAGES
        }
        frame = frame_for_locales(
            topic,
            seq,
            "help",
            lambda locale: {
                "ops": [
                    {
                        "op": "upsert",
                        "parent": f"#help-log-{request_id}",
                        "id": f"help-msg-{message_id}",
                        "html": html[locale],
                    }
                ]
            },
        )
        await self.hub.publish(frame)
        return message_id

    async def set_volunteer(self, user: User, available: bool) -> None:
        """« Je peux aider »: notified of each new request (members and up)."""
        if not can_see_help_queue(user):
            raise Forbidden("help/not_helper", N_("Members help here; ask an admin to become one."))
        async with self.db.begin() as conn:
            await conn.execute(delete(help_volunteers).where(help_volunteers.c.user_id == user.id))
            if available:
                await conn.execute(
                    insert(help_volunteers).values(user_id=user.id, since=self.clock())
                )

    async def _corner_closed(self, *people: str | None) -> None:
        """A settled corner's voice ends: the people in it are re-checked on every instance
        (its ``voice:help:<id>`` topic is no longer theirs, so their call there ends)."""
        if self.gateway is None:
            return
        for user_id in {p for p in people if p}:
            await self.gateway.access_changed(user_id)

    # -- requests nobody took: to the admins ----------------------------------------------

    async def escalate(self) -> int:
        """Tell the admins of every request waiting past ``escalate_minutes`` (once each)."""
        now = self.clock()
        async with self.db.begin() as conn:
            rows = (
                await conn.execute(
                    select(help_requests).where(
                        help_requests.c.status == Status.WAITING.value,
                        help_requests.c.escalated_at.is_(None),
                    )
                )
            ).all()
            due = [r for r in rows if escalation_due(r.created_at, now, self.escalate_minutes)]
            if not due:
                return 0
            admins = [
                uid for uid, _, role in await people_not_banned(conn) if hears_of_waiting_help(role)
            ]
            names = await display_names(conn, {r.user_id for r in due})
            notes = []
            for row in due:
                await conn.execute(
                    update(help_requests)
                    .where(help_requests.c.id == row.id)
                    .values(escalated_at=now)
                )
                words = _waiting_words(names.get(row.user_id, "?"))
                for admin in admins:
                    if admin == row.user_id:
                        continue
                    notes.append(
                        await inbox.notify(
                            conn,
                            admin,
                            "help/waiting",
                            now,
                            texts=inbox.texts_for(words),
                            link=f"/help/{row.id}",
                            dedupe=f"help:{row.id}:waiting",
                        )
                    )
        await self.notices.publish(notes)
        await self._publish_queue()
        return len(due)

    async def run(self) -> None:
        """The escalation loop of a running server: now, then every ``check_seconds`` (or
        sooner after a new request)."""
        while True:
            try:
                await self.escalate()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("help desk: escalation failed; trying again later")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.check_seconds)

    # -- what the pages show, and publishing -----------------------------------------------

    def status_html(self, found: HelpRequest, locale: str) -> str:
        return self.templates.render(
            "helpdesk/_status.html",
            locale,
            {"req": found, "escalate_minutes": self.escalate_minutes},
        )

    def log_html(self, request_id: int, messages: list[HelpMessage], locale: str) -> str:
        return self.templates.render(
            "helpdesk/_log.html", locale, {"request_id": request_id, "messages": messages}
        )

    def queue_html(self, waiting: list[HelpRequest], locale: str) -> str:
        return self.templates.render(
            "helpdesk/_queue.html",
            locale,
            {"waiting": waiting, "now": self.clock(), "escalate_minutes": self.escalate_minutes},
        )

    def status_op(self, found: HelpRequest, locale: str) -> dict[str, Any]:
        return {
            "op": "replace",
            "target": f"[data-help-status='{found.id}']",
            "html": self.status_html(found, locale),
        }

    async def _publish_request(self, request_id: int) -> None:
        found = await self.request(request_id)
        if found is None:
            return
        topic = found.key
        seq = await self.hub.next_seq(topic)
        html = {locale: self.status_op(found, locale) for locale in LANGUAGES}
        await self.hub.publish(
            frame_for_locales(topic, seq, "help", lambda locale: {"ops": [html[locale]]})
        )

    async def _publish_queue(self) -> None:
        waiting = await self.waiting()
        seq = await self.hub.next_seq(QUEUE_TOPIC)
        html = {locale: self.queue_html(waiting, locale) for locale in LANGUAGES}
        await self.hub.publish(
            frame_for_locales(
                QUEUE_TOPIC,
                seq,
                "help",
                lambda locale: {
                    "ops": [{"op": "replace", "target": "[data-help-queue]", "html": html[locale]}]
                },
            )
        )
        # Everyone waiting moved up the line: their cards say where they are now.
        for found in waiting:
            await self._publish_request(found.id)

    # -- the live action ------------------------------------------------------------------

    async def _say_action(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        request_id = data.get("request")
        if (
            not isinstance(request_id, int)
            or isinstance(request_id, bool)
            or not 0 < request_id < 2**31
        ):
            raise BadInput("gateway/malformed", N_("This message could not be read."))
        async with self.db.read() as conn:
            user = await active_user(conn, ctx.principal.user_id)
        message_id = await self.say(user, request_id, data.get("body"))
        return {"message": message_id}


async def _check_not_too_many(conn: AsyncConnection, user_id: str, now: datetime) -> None:
    """Each request tells every volunteer: asking and cancelling in a loop would flood them."""
    asked = (
        await conn.execute(
            select(func.count())
            .select_from(help_requests)
            .where(
                help_requests.c.user_id == user_id,
                help_requests.c.created_at >= now - timedelta(hours=1),
            )
        )
    ).scalar_one()
    if asked >= MAX_REQUESTS_PER_HOUR:
        raise BadInput(
            "help/too_many",
            N_(
                "You have asked for help many times this hour. Someone will come: "
                "meanwhile, ask in a room's chat."
            ),
        )


def _waiting_words(name: str) -> Callable[[str], tuple[str, str | None]]:
    def words(locale: str) -> tuple[str, str | None]:
        return (
            translate(
                locale, N_("Nobody has taken %(name)s's request for help yet."), {"name": name}
            ),
            translate(locale, N_("See the request")),
        )

    return words


async def _locked(conn: AsyncConnection, request_id: int) -> Any:
    return (
        await conn.execute(
            select(help_requests).where(help_requests.c.id == request_id).with_for_update()
        )
    ).first()


async def _messages(conn: AsyncConnection, request_id: int) -> list[HelpMessage]:
    rows = (
        await conn.execute(
            select(help_messages)
            .where(help_messages.c.request_id == request_id)
            .order_by(help_messages.c.id)
        )
    ).all()
    names = await display_names(conn, {r.author_id for r in rows if r.author_id})
    return [
        HelpMessage(
            r.id, r.request_id, r.author_id, names.get(r.author_id or "", "?"), r.body, r.at
        )
        for r in rows
    ]


class _CornerTopics(HubNumbered, SnapshotTopics):
    """``help:<id>``: a request's status card and its corner's chat, for the people who may
    follow it; a resume gets both whole (a short conversation)."""

    def __init__(self, desk: HelpDesk) -> None:
        self.desk = desk

    async def _found(self, principal: Principal, topic: str) -> HelpRequest:
        rest = topic.partition(":")[2]
        if not rest.isdigit() or len(rest) > 9:
            raise Forbidden("gateway/not_yours", N_("You are not allowed to do that."))
        async with self.desk.db.read() as conn:
            user = await active_user(conn, principal.user_id)
        try:
            return await self.desk.followable(user, int(rest))
        except NotFound:
            raise Forbidden("gateway/not_yours", N_("You are not allowed to do that.")) from None

    async def authorize(self, principal: Principal, topic: str) -> None:
        await self._found(principal, topic)

    async def catch_up(self, connection: Connection, topic: str, after: int) -> int:
        current = await self.desk.hub.current_seq(topic)
        if after == current:
            return current
        found = await self._found(connection.principal, topic)
        messages = await self.desk.messages(found.id)
        locale = connection.locale
        ops = [
            self.desk.status_op(found, locale),
            {
                "op": "replace",
                "target": f"#help-log-{found.id}",
                "html": self.desk.log_html(found.id, messages, locale),
            },
        ]
        connection.push_catch_up(topic, current, ops)
        return current


class _QueueTopics(HubNumbered, SnapshotTopics):
    """``helpdesk:queue``: who is waiting for help, for the people who may help."""

    def __init__(self, desk: HelpDesk) -> None:
        self.desk = desk

    async def authorize(self, principal: Principal, topic: str) -> None:
        if topic != QUEUE_TOPIC:
            raise Forbidden("gateway/not_yours", N_("You are not allowed to do that."))
        async with self.desk.db.read() as conn:
            user = await active_user(conn, principal.user_id)
        if not can_see_help_queue(user):
            raise Forbidden("gateway/not_yours", N_("You are not allowed to do that."))

    async def catch_up(self, connection: Connection, topic: str, after: int) -> int:
        current = await self.desk.hub.current_seq(topic)
        if after == current:
            return current
        html = self.desk.queue_html(await self.desk.waiting(), connection.locale)
        connection.push_catch_up(
            topic, current, [{"op": "replace", "target": "[data-help-queue]", "html": html}]
        )
        return current
