"""Requests for help nobody took go to the admins, once, after ``help_escalate_minutes``
(the desk's clock is moved; nothing sleeps)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from estaminet.helpdesk.schema import help_requests
from estaminet.helpdesk.service import MAX_REQUESTS_PER_HOUR, HelpDesk
from estaminet.kernel.errors import BadInput
from estaminet.people import inbox
from estaminet.people.actions import create_user
from estaminet.people.inbox import Inbox
from estaminet.people.model import Role
from estaminet.realtime.hub import MemoryHub
from estaminet.store import Database
from estaminet.web.templating import Templates

NOW = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


async def test_help_waiting_past_the_limit_goes_to_the_admins_once(db: Database) -> None:
    clock = Clock()
    hub = MemoryHub(buffer_size=64)
    templates = Templates("Europe/Brussels")
    desk = HelpDesk(
        db, hub, templates, Inbox(db, hub, templates), clock, escalate_minutes=5, check_seconds=60
    )
    admin = await create_user(db, "Ada Admin", Role.ADMIN, NOW)
    helper = await create_user(db, "Hugo Aide", Role.MEMBER, NOW)
    guest = await create_user(db, "Gil Perdu", Role.GUEST, NOW)
    await desk.set_volunteer(helper, True)
    asked = await desk.ask(guest, "sound", "Je n'entends rien", "/r/bar", "granted")
    assert asked.position == 1
    async with db.read() as conn:
        # The volunteer was told at once; the admin not yet.
        assert await inbox.unread_count(conn, helper.id) == 1
        assert await inbox.unread_count(conn, admin.id) == 0
    clock.now = NOW + timedelta(minutes=4, seconds=59)
    assert await desk.escalate() == 0
    clock.now = NOW + timedelta(minutes=5)
    assert await desk.escalate() == 1
    assert await desk.escalate() == 0  # once only
    async with db.read() as conn:
        notices = await inbox.listing(conn, admin.id)
        escalated = (
            await conn.execute(
                select(help_requests.c.escalated_at).where(help_requests.c.id == asked.id)
            )
        ).scalar_one()
    assert len(notices) == 1 and "Gil Perdu" in (notices[0].text("fr") or "")
    assert notices[0].link == f"/help/{asked.id}"
    assert escalated is not None
    # A request taken in time never goes to the admins.
    other = await create_user(db, "Oda Perdue", Role.GUEST, NOW)
    clock.now = NOW + timedelta(minutes=10)
    second = await desk.ask(other, "game", "", "/", "unknown")
    await desk.take(helper, second.id)
    clock.now = NOW + timedelta(minutes=30)
    assert await desk.escalate() == 0
    # The queue and the counts of a settled request.
    await desk.close(helper, second.id)
    assert await desk.helped_count() == 1
    assert [r.id for r in await desk.waiting()] == [asked.id]


async def test_help_asking_and_cancelling_in_a_loop_stops_at_the_hourly_limit(
    db: Database,
) -> None:
    """Each request notifies every volunteer: a sixth request within the hour is refused,
    with nothing written and nobody notified; an hour later one may ask again."""
    clock = Clock()
    hub = MemoryHub(buffer_size=64)
    templates = Templates("Europe/Brussels")
    desk = HelpDesk(
        db, hub, templates, Inbox(db, hub, templates), clock, escalate_minutes=5, check_seconds=60
    )
    helper = await create_user(db, "Vera Aide", Role.MEMBER, NOW)
    await desk.set_volunteer(helper, True)
    pest = await create_user(db, "Paul Boucle", Role.GUEST, NOW)
    for minute in range(MAX_REQUESTS_PER_HOUR):
        clock.now = NOW + timedelta(minutes=minute)
        asked = await desk.ask(pest, "other", f"encore {minute}", "/", "unknown")
        await desk.cancel(pest, asked.id)
    with pytest.raises(BadInput) as refused:
        await desk.ask(pest, "other", "une de trop", "/", "unknown")
    assert refused.value.code == "help/too_many"
    async with db.read() as conn:
        assert await inbox.unread_count(conn, helper.id) == MAX_REQUESTS_PER_HOUR
        kept = (await conn.execute(select(func.count()).select_from(help_requests))).scalar_one()
    assert kept == MAX_REQUESTS_PER_HOUR
    clock.now = NOW + timedelta(hours=1, minutes=1)
    assert (await desk.ask(pest, "other", "plus tard", "/", "unknown")).position == 1
