"""The agenda's live side: delivering notices (app and e-mail), lit rooms on the plan, blocks.

Topics ``agenda:now:<level>`` (level ``public``, ``members`` or ``team``)
carry which rooms have an event in progress, as seen at that level; a person
follows the level of their role. A notice lands in the person's inbox (the people
feature's ``notify``, in the reminder loop's claim transaction), then shows as a
toast on their tabs; by e-mail too when SMTP is set up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.agenda.events import EventInfo, events_between
from estaminet.agenda.feeds import calendar
from estaminet.agenda.mail import Mailer, reminder_email
from estaminet.agenda.recurrence import Occurrence
from estaminet.agenda.reminders import Delivery, Reminders
from estaminet.agenda.rules import (
    EventKind,
    Notice,
    Visibility,
    can_manage_events,
    can_see_event_role,
    visible_levels,
)
from estaminet.kernel.errors import Forbidden
from estaminet.kernel.i18n import LANGUAGES, N_
from estaminet.people import inbox
from estaminet.people.inbox import Inbox
from estaminet.people.model import Role, User
from estaminet.realtime.connection import Connection, Principal
from estaminet.realtime.frames import frame_for_locales
from estaminet.realtime.gateway import Gateway
from estaminet.realtime.hub import Hub
from estaminet.realtime.topics import HubNumbered, SnapshotTopics
from estaminet.settings import Settings
from estaminet.store import Database
from estaminet.translations import translate
from estaminet.venue.rooms import Room, list_rooms
from estaminet.web.templating import Templates

__all__ = ["AgendaService", "lit_topic"]

Lit = dict[str, tuple[EventInfo, Occurrence]]

_SUBJECTS: dict[Notice, str] = {
    Notice.DAY_BEFORE: N_("Reminder: %(title)s, %(when)s"),
    Notice.SOON: N_("In 15 minutes: %(title)s"),
    Notice.STARTING: N_("It's starting: %(title)s"),
    Notice.CANCELLED: N_("Cancelled: %(title)s, %(when)s"),
    Notice.PROMOTED: N_("A seat is free for you: %(title)s, %(when)s"),
    Notice.CHANGED: N_("The event has changed: %(title)s, %(when)s"),
    Notice.MOVED: N_("Date moved: %(title)s, now %(when)s"),
}
_BODIES: dict[Notice, str] = {
    Notice.DAY_BEFORE: N_("%(title)s is tomorrow, %(when)s. See you there!"),
    Notice.SOON: N_("%(title)s starts in 15 minutes (%(when)s)."),
    Notice.STARTING: N_("%(title)s is starting now."),
    Notice.CANCELLED: N_("%(title)s (%(when)s) is cancelled. Sorry!"),
    Notice.PROMOTED: N_(
        "Good news: a seat is free and you move up from the waiting list. "
        "You are expected at %(title)s, %(when)s."
    ),
    Notice.CHANGED: N_(
        "The event has changed: %(title)s is now %(when)s%(where)s. "
        "Your answer is kept; you can change it on the event's page."
    ),
    Notice.MOVED: N_(
        "A date you are coming to has moved: %(title)s is now %(when)s%(where)s. "
        "Your answer is kept; you can change it on the event's page."
    ),
}
_TOASTS: dict[Notice, str] = {
    Notice.DAY_BEFORE: N_("Reminder: %(title)s, %(when)s."),
    Notice.SOON: N_("%(title)s starts in 15 minutes."),
    Notice.CANCELLED: N_("Cancelled: %(title)s, %(when)s."),
    Notice.PROMOTED: N_(
        "A seat is free: you move up from the waiting list for %(title)s (%(when)s)."
    ),
    Notice.CHANGED: N_("The event has changed: %(title)s, now %(when)s."),
    Notice.MOVED: N_("A date has moved: %(title)s is now %(when)s."),
}


def lit_topic(level: Visibility) -> str:
    return f"agenda:now:{level.value}"


def _level(user: User) -> Visibility:
    """The widest visibility a person may see (their lit-rooms topic)."""
    levels = visible_levels(user)
    return levels[-1] if levels else Visibility.PUBLIC


class AgendaService:
    def __init__(
        self,
        db: Database,
        hub: Hub,
        templates: Templates,
        settings: Settings,
        notices: Inbox,
        clock: Callable[[], datetime],
        mailer: Mailer | None = None,
    ) -> None:
        self.db = db
        self.hub = hub
        self.templates = templates
        self.settings = settings
        self.notices = notices
        self.clock = clock
        self.mailer = mailer
        self.zone = ZoneInfo(settings.timezone)
        self.reminders = Reminders(db, self.zone, self.deliver, clock, record=self.record)
        self._lit: dict[Visibility, dict[str, tuple[int, str]]] = {}

    def install(self, gateway: Gateway) -> None:
        gateway.provide("agenda", _LitTopics(self))

    def wake(self) -> None:
        self.reminders.wake()

    async def run(self) -> None:
        await self.reminders.run(tick=self.refresh_lit)

    # -- delivering notices -------------------------------------------------------------------

    def when(self, occurrence: Occurrence, locale: str) -> str:
        return format_datetime(
            occurrence.start.astimezone(self.zone),
            "EEEE d MMMM, HH:mm",
            tzinfo=self.zone,
            locale="fr_BE" if locale == "fr" else "en_GB",
        )

    def link(self, delivery: Delivery) -> str:
        """Where a notice leads: the date's page; "it's starting" straight into the room."""
        event, occurrence = delivery.event, delivery.occurrence
        if delivery.notice is Notice.STARTING and event.room_slug:
            return f"/r/{event.room_slug}"
        return f"/agenda/{event.id}/{occurrence.key}"

    def words(self, delivery: Delivery, locale: str) -> tuple[str, str]:
        """The notice's sentence and its link's label, in ``locale``."""
        params = {
            "title": delivery.event.title,
            "when": self.when(delivery.occurrence, locale),
        }
        if delivery.notice is Notice.STARTING:
            starting = translate(locale, N_("it's starting"))
            text = f"{delivery.event.title} — {starting}"
            return text, translate(locale, N_("It's starting — join"))
        return translate(locale, _TOASTS[delivery.notice], params), translate(locale, N_("Open"))

    async def record(self, conn: AsyncConnection, delivery: Delivery) -> inbox.Notification | None:
        """In the claim's transaction: the notice in the person's inbox (once only), and
        its e-mail in the outbox when SMTP is set up (the person's choices decide)."""
        mail = None
        if self.mailer is not None and delivery.user.email:
            mail = await self._email(delivery)
        return await inbox.notify(
            conn,
            delivery.user.id,
            f"agenda/{delivery.notice.value}",
            self.clock(),
            texts=inbox.texts_for(lambda locale: self.words(delivery, locale)),
            link=self.link(delivery),
            dedupe=f"agenda:{delivery.notice_id}",
            mail=mail,
        )

    async def deliver(self, delivery: Delivery) -> None:
        """After the commit: a toast on the person's tabs (the outbox sends the e-mail)."""
        await self.notices.publish([delivery.recorded])

    async def _email(self, delivery: Delivery) -> EmailMessage:
        user, event, occurrence = delivery.user, delivery.event, delivery.occurrence
        locale = user.locale if user.locale in LANGUAGES else self.settings.default_locale
        params = {"title": event.title, "when": self.when(occurrence, locale), "where": ""}
        if event.room_slug:
            room = (await self.room_names(locale)).get(event.room_slug, event.room_slug)
            params["where"] = translate(locale, N_(", in %(room)s"), {"room": room})
        url = f"{self.settings.base_url.rstrip('/')}/agenda/{event.id}/{occurrence.key}"
        body = "\n\n".join(
            [
                translate(locale, _BODIES[delivery.notice], params),
                url,
                translate(locale, N_("The event is attached: open it to add it to your calendar.")),
            ]
        )
        assert user.email is not None
        return reminder_email(
            sender=self.settings.smtp_from,
            to=user.email,
            subject=translate(locale, _SUBJECTS[delivery.notice], params),
            body=body + "\n",
            ics=await self.ics([event]),
            now=self.clock(),
            locale=locale,
        )

    async def room_names(self, locale: str = "fr") -> dict[str, str]:
        async with self.db.read() as conn:
            return {room.slug: room.name(locale) for room in await list_rooms(conn)}

    async def ics(
        self, events: list[EventInfo], name: str | None = None, stamp: datetime | None = None
    ) -> bytes:
        """A calendar of ``events``. Feeds pass the latest change as ``stamp`` (DTSTAMP), so
        the same events give the same bytes (and ETag); an e-mail's attachment is stamped now.
        """
        return calendar(
            events,
            zone=self.zone,
            base_url=self.settings.base_url,
            name=name or self.settings.venue_name,
            room_names=await self.room_names(self.settings.default_locale),
            stamp=stamp or self.clock(),
        )

    # -- lit rooms ------------------------------------------------------------------------------

    async def lit(self, user: User | None, now: datetime) -> Lit:
        """The rooms with an event in progress that ``user`` may see (first event wins)."""
        async with self.db.read() as conn:
            found = await events_between(conn, user, self.zone, now, now + timedelta(seconds=1))
        return _lit_from(found)

    async def lit_at_level(self, level: Visibility, now: datetime) -> Lit:
        async with self.db.read() as conn:
            found = await events_between(
                conn,
                None,
                self.zone,
                now,
                now + timedelta(seconds=1),
                levels=[v for v in Visibility if _rank(v) <= _rank(level)],
            )
        return _lit_from(found)

    async def refresh_lit(self, now: datetime) -> datetime | None:
        """Publish the lit rooms of each level when they changed; when to look again."""
        rooms = None
        for level in Visibility:
            lit = await self.lit_at_level(level, now)
            summary = {slug: (e.id, o.key) for slug, (e, o) in lit.items()}
            if self._lit.get(level) == summary:
                continue
            first = level not in self._lit
            self._lit[level] = summary
            if first and not summary:
                continue
            if rooms is None:
                async with self.db.read() as conn:
                    rooms = await list_rooms(conn)
            await self._publish_lit(level, rooms, lit)
        return await self._next_change(now)

    async def _next_change(self, now: datetime) -> datetime | None:
        async with self.db.read() as conn:
            found = await events_between(
                conn, None, self.zone, now, now + timedelta(days=1), levels=list(Visibility)
            )
        moments = [m for _, o in found for m in (o.start, o.end) if m > now]
        return min(moments, default=None)

    async def _publish_lit(self, level: Visibility, rooms: list[Room], lit: Lit) -> None:
        topic = lit_topic(level)
        seq = await self.hub.next_seq(topic)
        frame = frame_for_locales(
            topic, seq, "agenda", lambda locale: {"ops": self.lit_ops(rooms, lit, locale)}
        )
        await self.hub.publish(frame, buffer=True)

    def lit_ops(self, rooms: list[Room], lit: Lit, locale: str) -> list[dict[str, Any]]:
        return [
            {
                "op": "replace",
                "target": f"[data-agenda-lit='{room.slug}']",
                "html": self.templates.render(
                    "agenda/_lit.html", locale, {"slug": room.slug, "lit": lit}
                ),
            }
            for room in rooms
        ]

    # -- blocks for other pages --------------------------------------------------------------------

    async def upcoming(self, user: User | None, limit: int = 5, days: int = 60) -> list[Any]:
        now = self.clock()
        async with self.db.read() as conn:
            found = await events_between(conn, user, self.zone, now, now + timedelta(days=days))
        return [(e, o) for e, o in found if not o.cancelled][:limit]

    async def plan_extras(self, context: Mapping[str, Any], user: User) -> dict[str, Any]:
        """What the floor plan shows of the agenda: lit rooms, the next events block."""
        now = self.clock()
        level = _level(user)
        return {
            "agenda_lit": await self.lit(user, now),
            "agenda_topic": lit_topic(level),
            "agenda_seq": await self.hub.current_seq(lit_topic(level)),
            "agenda_next": await self.upcoming(user),
        }

    async def hall_panel(self, context: Mapping[str, Any], room: Room, user: User) -> str:
        return self.templates.render(
            "agenda/_next.html",
            str(context["locale"]),
            {**context, "agenda_next": await self.upcoming(user, limit=3)},
        )

    async def workshops(
        self, user: User | None, limit: int = 4, days: int = 60
    ) -> list[tuple[EventInfo, Occurrence]]:
        """The coming (and running) workshops ``user`` may see, soonest first."""
        now = self.clock()
        async with self.db.read() as conn:
            found = await events_between(conn, user, self.zone, now, now + timedelta(days=days))
        return [
            (e, o)
            for e, o in found
            if e.kind is EventKind.WORKSHOP and not e.cancelled and not o.cancelled
        ][:limit]

    async def workshops_panel(self, context: Mapping[str, Any], room: Room, user: User) -> str:
        """L'atelier's panel: the skill-sharing workshops to come, and the one on now."""
        now = self.clock()
        return self.templates.render(
            "agenda/_workshops.html",
            str(context["locale"]),
            {
                **context,
                "room": room,
                "workshops": [
                    (event, occurrence, occurrence.start <= now < occurrence.end)
                    for event, occurrence in await self.workshops(user)
                ],
                "can_manage": can_manage_events(user),
            },
        )

    def today(self) -> date:
        return self.clock().astimezone(self.zone).date()


def _lit_from(found: list[tuple[EventInfo, Occurrence]]) -> Lit:
    lit: Lit = {}
    for event, occurrence in found:
        if event.room_slug and not event.cancelled and not occurrence.cancelled:
            lit.setdefault(event.room_slug, (event, occurrence))
    return lit


def _rank(level: Visibility) -> int:
    return list(Visibility).index(level)


class _LitTopics(HubNumbered, SnapshotTopics):
    """``agenda:now:<level>``: rooms with an event in progress, for people of that level."""

    def __init__(self, service: AgendaService) -> None:
        self.service = service

    async def authorize(self, principal: Principal, topic: str) -> None:
        level = topic.rpartition(":")[2]
        if level not in {v.value for v in Visibility}:
            raise Forbidden("gateway/not_yours", N_("You are not allowed to do that."))
        if not can_see_event_role(Role(principal.role), Visibility(level)):
            raise Forbidden("gateway/not_yours", N_("You are not allowed to do that."))

    async def catch_up(self, connection: Connection, topic: str, after: int) -> int:
        hub = self.service.hub
        current = await hub.current_seq(topic)
        if after == current:
            return current
        missed = await hub.recent(topic, after) if after >= 0 else None
        if missed is not None:
            for frame in missed:
                connection.push(frame.text(connection.locale))
            return current
        level = Visibility(topic.rpartition(":")[2])
        lit = await self.service.lit_at_level(level, self.service.clock())
        async with self.service.db.read() as conn:
            rooms = await list_rooms(conn)
        connection.push_catch_up(
            topic, current, self.service.lit_ops(rooms, lit, connection.locale)
        )
        return current
