"""Reminders: durable rows, claimed atomically, sent once — also late, after a restart."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from estaminet.agenda import actions, answers, events
from estaminet.agenda.recurrence import Frequency, Recurrence
from estaminet.agenda.reminders import Delivery, Reminders
from estaminet.agenda.rules import Answer, EventKind, Notice, Visibility
from estaminet.people.model import Role
from estaminet.store import Database
from tests.agenda.conftest import NOW, add_person

BRUSSELS = ZoneInfo("Europe/Brussels")


def game_night(**changes: object) -> events.EventData:
    data = events.EventData(
        title="Soirée jeux",
        description="",
        kind=EventKind.GAME_NIGHT,
        room_slug=None,
        visibility=Visibility.MEMBERS,
        capacity=1,
        waitlist=True,
        start=datetime(2026, 11, 27, 20, 0),  # a Friday, local time
        duration=timedelta(hours=3),
        recurrence=Recurrence(Frequency.WEEKLY, count=4),
    )
    from dataclasses import replace

    return replace(data, **changes)  # type: ignore[arg-type]


async def test_reminders_sent_once_late_after_a_restart(db: Database) -> None:
    animator = await add_person(db, "anim", "Anim", Role.ANIMATOR)
    member = await add_person(db, "mia", "Mia")
    event_id = await actions.create_event(db, animator, game_night(), NOW, BRUSSELS)
    key = "20261127T2000"
    await answers.answer(db, member, event_id, key, Answer.YES, NOW, BRUSSELS)
    start = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)

    sent: list[Delivery] = []

    async def deliver(delivery: Delivery) -> None:
        sent.append(delivery)

    running = Reminders(db, BRUSSELS, deliver, lambda: NOW)
    assert await running.fire_due(NOW) == 0
    assert await running.next_due() == start - timedelta(hours=24)
    # The server is down from now until 10 minutes before the start: both reminders fell due.
    after_restart = Reminders(db, BRUSSELS, deliver, lambda: NOW)
    assert await after_restart.fire_due(start - timedelta(minutes=10)) == 2
    assert [d.notice for d in sent] == [Notice.DAY_BEFORE, Notice.SOON]
    # A second start sends nothing again.
    again = Reminders(db, BRUSSELS, deliver, lambda: NOW)
    assert await again.fire_due(start - timedelta(minutes=9)) == 0
    assert await again.fire_due(start + timedelta(minutes=1)) == 1
    assert sent[-1].notice is Notice.STARTING and sent[-1].user.id == "mia"
    assert await again.fire_due(start + timedelta(minutes=2)) == 0
    assert await again.next_due() is None


async def test_reminders_too_late_are_dropped_not_sent(db: Database) -> None:
    animator = await add_person(db, "anim", "Anim", Role.ANIMATOR)
    member = await add_person(db, "mia", "Mia")
    event_id = await actions.create_event(db, animator, game_night(), NOW, BRUSSELS)
    await answers.answer(db, member, event_id, "20261127T2000", Answer.MAYBE, NOW, BRUSSELS)
    sent: list[Delivery] = []

    async def deliver(delivery: Delivery) -> None:
        sent.append(delivery)

    # Down until after the event: the reminders make no sense any more, and are not retried.
    reminders = Reminders(db, BRUSSELS, deliver, lambda: NOW)
    assert await reminders.fire_due(datetime(2026, 11, 28, 12, 0, tzinfo=UTC)) == 0
    assert sent == [] and await reminders.next_due() is None


async def test_reminders_two_instances_never_send_twice(db: Database) -> None:
    animator = await add_person(db, "anim", "Anim", Role.ANIMATOR)
    member = await add_person(db, "mia", "Mia")
    event_id = await actions.create_event(db, animator, game_night(), NOW, BRUSSELS)
    await answers.answer(db, member, event_id, "20261127T2000", Answer.YES, NOW, BRUSSELS)
    sent: list[Delivery] = []

    async def deliver(delivery: Delivery) -> None:
        sent.append(delivery)

    import asyncio

    due = datetime(2026, 11, 27, 18, 50, tzinfo=UTC)
    one, two = (
        Reminders(db, BRUSSELS, deliver, lambda: NOW),
        Reminders(db, BRUSSELS, deliver, lambda: NOW),
    )
    counts = await asyncio.gather(one.fire_due(due), two.fire_due(due))
    assert sum(counts) == 2 and len(sent) == 2


async def test_waiting_list_promotion_schedules_and_notifies(db: Database) -> None:
    animator = await add_person(db, "anim", "Anim", Role.ANIMATOR)
    alice = await add_person(db, "alice", "Alice")
    bruno = await add_person(db, "bruno", "Bruno")
    event_id = await actions.create_event(db, animator, game_night(), NOW, BRUSSELS)
    key = "20261204T2000"
    assert (
        await answers.answer(db, alice, event_id, key, Answer.YES, NOW, BRUSSELS)
    ).answer is Answer.YES
    waiting = await answers.answer(db, bruno, event_id, key, Answer.YES, NOW, BRUSSELS)
    assert waiting.answer is Answer.WAITING and waiting.position == 1
    # The other dates of the series are untouched.
    async with db.read() as conn:
        other = await answers.answers_for(conn, event_id, "20261127T2000", None)
    assert other.counts[Answer.YES] == 0
    await answers.answer(db, alice, event_id, key, Answer.NO, NOW, BRUSSELS)
    async with db.read() as conn:
        summary = await answers.answers_for(conn, event_id, key, bruno)
    assert summary.mine is Answer.YES and summary.names[Answer.YES] == ["Bruno"]
    sent: list[Delivery] = []

    async def deliver(delivery: Delivery) -> None:
        sent.append(delivery)

    await Reminders(db, BRUSSELS, deliver, lambda: NOW).fire_due(NOW)
    assert [(d.notice, d.user.id) for d in sent] == [(Notice.PROMOTED, "bruno")]


async def test_cancelled_date_tells_who_said_yes_and_drops_its_reminders(db: Database) -> None:
    animator = await add_person(db, "anim", "Anim", Role.ANIMATOR)
    alice = await add_person(db, "alice", "Alice")
    maybe = await add_person(db, "max", "Max")
    event_id = await actions.create_event(db, animator, game_night(), NOW, BRUSSELS)
    key = "20261204T2000"
    await answers.answer(db, alice, event_id, key, Answer.YES, NOW, BRUSSELS)
    await answers.answer(db, maybe, event_id, key, Answer.MAYBE, NOW, BRUSSELS)
    await actions.change_occurrence(db, animator, event_id, key, NOW, BRUSSELS, cancel=True)
    sent: list[Delivery] = []

    async def deliver(delivery: Delivery) -> None:
        sent.append(delivery)

    reminders = Reminders(db, BRUSSELS, deliver, lambda: NOW)
    await reminders.fire_due(NOW)
    assert [(d.notice, d.user.id) for d in sent] == [(Notice.CANCELLED, "alice")]
    assert await reminders.fire_due(datetime(2026, 12, 4, 19, 5, tzinfo=UTC)) == 0
    # The other dates go on.
    async with db.read() as conn:
        event = await events.get_event(conn, event_id)
    assert event.series.overrides[key].cancelled and not event.cancelled


async def test_moved_date_moves_its_reminders(db: Database) -> None:
    animator = await add_person(db, "anim", "Anim", Role.ANIMATOR)
    alice = await add_person(db, "alice", "Alice")
    event_id = await actions.create_event(db, animator, game_night(), NOW, BRUSSELS)
    key = "20261204T2000"
    await answers.answer(db, alice, event_id, key, Answer.YES, NOW, BRUSSELS)
    await actions.change_occurrence(
        db,
        animator,
        event_id,
        key,
        NOW,
        BRUSSELS,
        start=datetime(2026, 12, 5, 18, 0),
        duration=timedelta(hours=2),
    )
    sent: list[Delivery] = []

    async def deliver(delivery: Delivery) -> None:
        sent.append(delivery)

    reminders = Reminders(db, BRUSSELS, deliver, lambda: NOW)
    # Alice is told the date moved, at once.
    assert await reminders.fire_due(NOW) == 1
    # Nothing at the old time; the "starting" notice at the new one (18:00 local = 17:00 UTC).
    assert await reminders.fire_due(datetime(2026, 12, 4, 19, 1, tzinfo=UTC)) == 1  # the 24 h one
    assert await reminders.fire_due(datetime(2026, 12, 5, 16, 59, tzinfo=UTC)) == 1  # 15 min
    assert await reminders.fire_due(datetime(2026, 12, 5, 17, 0, tzinfo=UTC)) == 1
    assert [d.notice for d in sent] == [
        Notice.MOVED,
        Notice.DAY_BEFORE,
        Notice.SOON,
        Notice.STARTING,
    ]
    assert sent[-1].occurrence.moved and sent[-1].occurrence.key == key


class _FailsOnce(Reminders):
    """A loop whose first look at the notices fails (a busy database, say)."""

    failures = 0

    async def fire_due(self, now: datetime | None = None) -> int:
        if self.failures == 0:
            self.failures += 1
            raise RuntimeError("database is locked")
        return await super().fire_due(now)


async def test_reminders_loop_after_a_failure_looks_again_soon_not_after_idle(
    db: Database,
) -> None:
    animator = await add_person(db, "anim", "Anim", Role.ANIMATOR)
    member = await add_person(db, "mia", "Mia")
    event_id = await actions.create_event(db, animator, game_night(), NOW, BRUSSELS)
    await answers.answer(db, member, event_id, "20261127T2000", Answer.YES, NOW, BRUSSELS)
    delivered = asyncio.Event()

    async def deliver(delivery: Delivery) -> None:
        delivered.set()

    # The day-before reminder is due; nothing will wake the loop up: only its retry can.
    due = datetime(2026, 11, 26, 19, 30, tzinfo=UTC)
    loop = _FailsOnce(db, BRUSSELS, deliver, lambda: due)
    task = asyncio.create_task(loop.run(idle=3600, retry=0))
    try:
        # Bounded: without the retry, the loop would sleep its idle hour.
        await asyncio.wait_for(delivered.wait(), timeout=30)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert loop.failures == 1
