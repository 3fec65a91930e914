"""Editing an event: capacity and the waiting list, new times, "this and following dates", refusals."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from estaminet.agenda import actions, answers, edits, events
from estaminet.agenda.recurrence import Frequency, Recurrence
from estaminet.agenda.reminders import Delivery, Reminders
from estaminet.agenda.rules import Answer, EventKind, Notice, Visibility
from estaminet.agenda.schema import agenda_notices
from estaminet.kernel.errors import BadInput, Conflict, Forbidden
from estaminet.people.model import Role, User
from estaminet.store import Database
from tests.agenda.conftest import NOW, add_person

BRUSSELS = ZoneInfo("Europe/Brussels")
MINUTE = timedelta(minutes=1)


def game_night(**changes: Any) -> events.EventData:
    data = events.EventData(
        title="Soirée jeux",
        description="",
        kind=EventKind.GAME_NIGHT,
        room_slug="jeux",
        visibility=Visibility.MEMBERS,
        capacity=1,
        waitlist=True,
        start=datetime(2026, 11, 27, 20, 0),  # a Friday, local time
        duration=timedelta(hours=3),
        recurrence=Recurrence(Frequency.WEEKLY, count=4),
    )
    return replace(data, **changes)


async def notices(db: Database, user: User, event_id: int | None = None) -> list[tuple[str, str]]:
    async with db.read() as conn:
        query = select(agenda_notices.c.occurrence, agenda_notices.c.kind).where(
            agenda_notices.c.user_id == user.id
        )
        if event_id is not None:
            query = query.where(agenda_notices.c.event_id == event_id)
        return sorted((r.occurrence, r.kind) for r in (await conn.execute(query)).all())


async def summary(db: Database, event_id: int, key: str) -> dict[Answer, list[str]]:
    async with db.read() as conn:
        return (await answers.answers_for(conn, event_id, key, None)).ids


async def event(db: Database, event_id: int) -> events.EventInfo:
    async with db.read() as conn:
        return await events.get_event(conn, event_id)


async def test_edits_more_places_move_the_waiting_list_up_in_order(db: Database) -> None:
    anim = await add_person(db, "anim", "Anim", Role.ANIMATOR)
    ann, bob, cat, dan = [await add_person(db, i, i.title()) for i in ("ann", "bob", "cat", "dan")]
    event_id = await actions.create_event(db, anim, game_night(), NOW, BRUSSELS)
    key = "20261204T2000"
    for minute, person in enumerate((ann, bob, cat)):
        await answers.answer(db, person, event_id, key, Answer.YES, NOW + minute * MINUTE, BRUSSELS)
    assert (await summary(db, event_id, key))[Answer.WAITING] == ["bob", "cat"]

    later = NOW + timedelta(hours=1)
    await edits.edit_event(db, anim, event_id, game_night(capacity=2), later, BRUSSELS, version=0)
    seats = await summary(db, event_id, key)
    assert seats[Answer.YES] == ["ann", "bob"] and seats[Answer.WAITING] == ["cat"]
    assert (key, Notice.PROMOTED.value) in await notices(db, bob)
    assert not any(kind == Notice.PROMOTED.value for _, kind in await notices(db, cat))

    # Fewer places: those coming stay; a new yes waits.
    await edits.edit_event(db, anim, event_id, game_night(capacity=1), later, BRUSSELS, version=1)
    assert (await summary(db, event_id, key))[Answer.YES] == ["ann", "bob"]
    seating = await answers.answer(db, dan, event_id, key, Answer.YES, later, BRUSSELS)
    assert seating.answer is Answer.WAITING and seating.position == 2

    # No limit any more: everyone waiting comes.
    await edits.edit_event(
        db, anim, event_id, game_night(capacity=None), later, BRUSSELS, version=2
    )
    assert (await summary(db, event_id, key))[Answer.YES] == ["ann", "bob", "cat", "dan"]
    assert (await event(db, event_id)).sequence == 3


async def test_edits_waiting_list_off_keeps_who_waits_and_refuses_newcomers(db: Database) -> None:
    anim = await add_person(db, "anim", "Anim", Role.ANIMATOR)
    ann, bob, cat, dan = [await add_person(db, i, i.title()) for i in ("ann", "bob", "cat", "dan")]
    event_id = await actions.create_event(db, anim, game_night(), NOW, BRUSSELS)
    key = "20261204T2000"
    for minute, person in enumerate((ann, bob)):
        await answers.answer(db, person, event_id, key, Answer.YES, NOW + minute * MINUTE, BRUSSELS)

    await edits.edit_event(db, anim, event_id, game_night(waitlist=False), NOW, BRUSSELS, version=0)
    assert not (await event(db, event_id)).waitlist
    with pytest.raises(Conflict) as full:
        await answers.answer(db, cat, event_id, key, Answer.YES, NOW, BRUSSELS)
    assert full.value.code == "agenda/full"
    # Bob keeps his place in line and moves up when Ann leaves.
    await answers.answer(db, ann, event_id, key, Answer.NO, NOW, BRUSSELS)
    seats = await summary(db, event_id, key)
    assert (
        seats[Answer.YES] == ["bob"] and seats[Answer.WAITING] == [] and seats[Answer.NO] == ["ann"]
    )

    await edits.edit_event(db, anim, event_id, game_night(), NOW, BRUSSELS, version=1)
    seating = await answers.answer(db, dan, event_id, key, Answer.YES, NOW, BRUSSELS)
    assert seating.answer is Answer.WAITING and seating.position == 1
    assert (await summary(db, event_id, "20261211T2000"))[Answer.YES] == []  # other dates alike


async def test_edits_new_time_keeps_answers_moves_reminders_and_tells_once(db: Database) -> None:
    anim = await add_person(db, "anim", "Anim", Role.ANIMATOR)
    ann = await add_person(db, "ann", "Ann")
    event_id = await actions.create_event(db, anim, game_night(capacity=None), NOW, BRUSSELS)
    for key in ("20261204T2000", "20261211T2000"):
        await answers.answer(db, ann, event_id, key, Answer.YES, NOW, BRUSSELS)
    await actions.change_occurrence(db, anim, event_id, "20261218T2000", NOW, BRUSSELS, cancel=True)

    earlier = game_night(capacity=None, start=datetime(2026, 11, 27, 19, 30))
    edited = await edits.edit_event(db, anim, event_id, earlier, NOW, BRUSSELS, version=1)
    assert edited.event_id == event_id
    changed = await event(db, event_id)
    assert changed.series.start == datetime(2026, 11, 27, 19, 30)
    assert changed.series.overrides["20261218T1930"].cancelled  # the cancelled date stays so
    assert "20261218T2000" not in changed.series.overrides
    assert (await summary(db, event_id, "20261211T1930"))[Answer.YES] == ["ann"]
    kinds = await notices(db, ann)
    assert [k for k in kinds if k[0].endswith("T2000")] == []
    assert kinds.count(("20261204T1930", Notice.DAY_BEFORE.value)) == 1
    # One "it changed" notice per person, for the first date that changed.
    assert [k for k in kinds if k[1] == Notice.CHANGED.value] == [
        ("20261204T1930", Notice.CHANGED.value)
    ]
    async with db.read() as conn:
        due = (
            await conn.execute(
                select(agenda_notices.c.due_at).where(
                    agenda_notices.c.occurrence == "20261204T1930",
                    agenda_notices.c.kind == Notice.STARTING.value,
                )
            )
        ).scalar_one()
    assert due == datetime(2026, 12, 4, 18, 30, tzinfo=UTC)

    # A second change tells again (the first notice was sent).
    sent: list[Delivery] = []

    async def deliver(delivery: Delivery) -> None:
        sent.append(delivery)

    assert await Reminders(db, BRUSSELS, deliver, lambda: NOW).fire_due(NOW) == 1
    assert sent[0].notice is Notice.CHANGED
    back = game_night(capacity=None)
    await edits.edit_event(db, anim, event_id, back, NOW, BRUSSELS, version=2)
    assert await Reminders(db, BRUSSELS, deliver, lambda: NOW).fire_due(NOW) == 1
    assert sent[1].occurrence.key == "20261204T2000"


async def test_edits_dates_that_vanish_are_cancelled_for_who_came(db: Database) -> None:
    anim = await add_person(db, "anim", "Anim", Role.ANIMATOR)
    ann, bob = await add_person(db, "ann", "Ann"), await add_person(db, "bob", "Bob")
    event_id = await actions.create_event(db, anim, game_night(capacity=None), NOW, BRUSSELS)
    await answers.answer(db, ann, event_id, "20261204T2000", Answer.YES, NOW, BRUSSELS)
    await answers.answer(db, bob, event_id, "20261211T2000", Answer.YES, NOW, BRUSSELS)
    every_other = game_night(capacity=None, recurrence=Recurrence(Frequency.BIWEEKLY, count=4))
    await edits.edit_event(db, anim, event_id, every_other, NOW, BRUSSELS, version=0)

    assert await notices(db, ann) == [("20261204T2000", Notice.CANCELLED.value)]
    assert await summary(db, event_id, "20261211T2000") == {
        **{a: [] for a in Answer},
        Answer.YES: ["bob"],
    }
    assert Notice.CHANGED.value not in {kind for _, kind in await notices(db, bob)}
    sent: list[Delivery] = []

    async def deliver(delivery: Delivery) -> None:
        sent.append(delivery)

    assert await Reminders(db, BRUSSELS, deliver, lambda: NOW).fire_due(NOW) == 1
    told = sent[0]
    assert (told.notice, told.user.id, told.occurrence.cancelled) == (Notice.CANCELLED, "ann", True)
    assert told.occurrence.start == datetime(2026, 12, 4, 19, 0, tzinfo=UTC)


async def test_edits_a_series_under_way_changes_this_and_following_dates(db: Database) -> None:
    anim = await add_person(db, "anim", "Anim", Role.ANIMATOR)
    ann, bob = await add_person(db, "ann", "Ann"), await add_person(db, "bob", "Bob")
    event_id = await actions.create_event(db, anim, game_night(), NOW, BRUSSELS)
    await answers.answer(db, ann, event_id, "20261127T2000", Answer.YES, NOW, BRUSSELS)
    await answers.answer(db, bob, event_id, "20261211T2000", Answer.YES, NOW, BRUSSELS)
    later = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)  # two dates are over
    shown = edits.editable_series(await event(db, event_id), BRUSSELS, later)
    assert shown.start == datetime(2026, 12, 11, 20, 0) and shown.recurrence.count == 2

    too_early = game_night(start=datetime(2026, 12, 1, 20, 0))
    with pytest.raises(BadInput) as refused:
        await edits.edit_event(db, anim, event_id, too_early, later, BRUSSELS, version=0)
    assert refused.value.code == "agenda/edit_from_past"

    following = game_night(
        title="Soirée jeux (hiver)",
        start=datetime(2026, 12, 11, 19, 0),
        recurrence=Recurrence(Frequency.WEEKLY, count=2),
    )
    edited = await edits.edit_event(db, anim, event_id, following, later, BRUSSELS, version=0)
    assert edited.event_id != event_id
    old, new = await event(db, event_id), await event(db, edited.event_id)
    assert (
        old.title == "Soirée jeux" and old.series.recurrence.until == datetime(2026, 12, 4).date()
    )
    assert old.series.recurrence.count is None and old.sequence == 1
    assert (await summary(db, event_id, "20261127T2000"))[Answer.YES] == ["ann"]
    assert new.title == "Soirée jeux (hiver)" and new.uid != old.uid and new.sequence == 0
    assert (await summary(db, edited.event_id, "20261211T1900"))[Answer.YES] == ["bob"]
    assert (await notices(db, bob, edited.event_id)).count(
        ("20261211T1900", Notice.CHANGED.value)
    ) == 1
    assert await notices(db, bob, event_id) == []
    # Links to the dates that moved to the new event lead there; the past dates stay.
    async with db.read() as conn:
        assert await edits.moved_to(conn, event_id, "20261211T2000") == (
            edited.event_id,
            "20261211T1900",
        )
        assert await edits.moved_to(conn, event_id, "20261127T2000") is None


async def test_edits_old_addresses_of_a_date_follow_it_in_one_hop(db: Database) -> None:
    anim = await add_person(db, "anim", "Anim", Role.ANIMATOR)
    event_id = await actions.create_event(db, anim, game_night(capacity=None), NOW, BRUSSELS)

    async def moves(*keys: str) -> list[tuple[int, str] | None]:
        async with db.read() as conn:
            return [await edits.moved_to(conn, event_id, key) for key in keys]

    def at(hour: int, minute: int = 0, **changes: Any) -> events.EventData:
        return game_night(capacity=None, start=datetime(2026, 11, 27, hour, minute), **changes)

    await edits.edit_event(db, anim, event_id, at(19, 30), NOW, BRUSSELS, version=0)
    assert await moves("20261204T2000", "20261204T1930") == [(event_id, "20261204T1930"), None]
    # Back to 20:00: that address is a date again, and 19:30's leads to it.
    await edits.edit_event(db, anim, event_id, at(20), NOW, BRUSSELS, version=1)
    assert await moves("20261204T2000", "20261204T1930") == [None, (event_id, "20261204T2000")]
    # Once more: every earlier address leads straight to the date's latest one.
    await edits.edit_event(db, anim, event_id, at(21), NOW, BRUSSELS, version=2)
    assert await moves("20261204T2000", "20261204T1930", "20261211T1930") == [
        (event_id, "20261204T2100"),
        (event_id, "20261204T2100"),
        (event_id, "20261211T2100"),
    ]
    # Every other week (27 November, 11 December): 4 December vanishes (its people were
    # told it is cancelled), and its old links with it; 11 December's still lead to it.
    every_other = at(21, recurrence=Recurrence(Frequency.BIWEEKLY, count=2))
    await edits.edit_event(db, anim, event_id, every_other, NOW, BRUSSELS, version=3)
    assert await moves("20261204T2000", "20261204T1930", "20261204T2100") == [None] * 3
    assert await moves("20261211T2000") == [(event_id, "20261211T2100")]


async def test_edits_refused_change_nothing(db: Database) -> None:
    anim = await add_person(db, "anim", "Anim", Role.ANIMATOR)
    member = await add_person(db, "mia", "Mia")
    one_off = game_night(recurrence=Recurrence())
    event_id = await actions.create_event(db, anim, one_off, NOW, BRUSSELS)
    cases: list[tuple[User, events.EventData, int, type[Exception], str]] = [
        (member, replace(one_off, title="Pirate"), 0, Forbidden, "agenda/not_animator"),
        (anim, replace(one_off, title="Vieux"), 7, Conflict, "agenda/stale"),
        (anim, replace(one_off, duration=-MINUTE * 60), 0, BadInput, "agenda/end_before_start"),
        (
            anim,
            replace(one_off, start=datetime(2027, 3, 28, 2, 30)),
            0,
            BadInput,
            "agenda/nonexistent_time",
        ),
    ]
    for who, data, version, error, code in cases:
        with pytest.raises(error) as refused:
            await edits.edit_event(db, who, event_id, data, NOW, BRUSSELS, version=version)
        assert getattr(refused.value, "code", None) == code
    unchanged = await event(db, event_id)
    assert (unchanged.title, unchanged.sequence) == ("Soirée jeux", 0)
    assert unchanged.series.start == one_off.start


async def test_edits_narrower_visibility_stops_reminders_to_who_may_no_longer_see(
    db: Database,
) -> None:
    anim = await add_person(db, "anim", "Anim", Role.ANIMATOR)
    mia = await add_person(db, "mia", "Mia")
    event_id = await actions.create_event(db, anim, game_night(), NOW, BRUSSELS)
    await answers.answer(db, mia, event_id, "20261127T2000", Answer.YES, NOW, BRUSSELS)
    team_only = game_night(visibility=Visibility.TEAM)
    await edits.edit_event(db, anim, event_id, team_only, NOW, BRUSSELS, version=0)
    sent: list[Delivery] = []

    async def deliver(delivery: Delivery) -> None:
        sent.append(delivery)

    start = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
    assert await Reminders(db, BRUSSELS, deliver, lambda: NOW).fire_due(start) == 0
    assert sent == []


async def test_edits_a_cancelled_event_cannot_be_changed(db: Database) -> None:
    anim = await add_person(db, "anim", "Anim", Role.ANIMATOR)
    event_id = await actions.create_event(db, anim, game_night(), NOW, BRUSSELS)
    await actions.cancel_event(db, anim, event_id, NOW, BRUSSELS)
    with pytest.raises(Conflict) as refused:
        await edits.edit_event(
            db, anim, event_id, game_night(title="Revenu"), NOW, BRUSSELS, version=1
        )
    assert refused.value.code == "agenda/edit_cancelled"
    assert (await event(db, event_id)).title == "Soirée jeux"
