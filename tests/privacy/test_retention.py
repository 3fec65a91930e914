"""Chat retention and session expiry with an injected clock, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from estaminet.people import actions
from estaminet.people.model import Role
from estaminet.people.schema import notifications, sessions
from estaminet.people.tokens import hash_token
from estaminet.privacy.retention import Retention
from estaminet.store import Database
from estaminet.venue import chat
from estaminet.venue.schema import messages
from tests.conftest import FixedClock
from tests.venue.test_chat import MAX, setup_venue

LIMITS = actions.SessionLimits(max_age=timedelta(days=180), idle=timedelta(days=30))


async def bodies(db: Database) -> list[str]:
    async with db.read() as conn:
        return list((await conn.execute(select(messages.c.body).order_by(messages.c.id))).scalars())


async def test_retention_erases_only_what_is_older_than_its_days(
    db: Database, clock: FixedClock
) -> None:
    bar, alice, bob = await setup_venue(db, clock)
    await chat.post_message(db, alice, bar, "vieux @Bob Marley", clock(), max_length=MAX)
    clock.advance(days=20)
    await chat.post_message(db, bob, bar, "récent", clock(), max_length=MAX)
    clock.advance(days=15)  # the first is 35 days old, the second 15
    assert await Retention(db, clock, None, 60).once() == 0  # off: everything stays
    assert await bodies(db) == ["vieux @Bob Marley", "récent"]
    assert await Retention(db, clock, 30, 60).once() == 1
    assert await bodies(db) == ["récent"]
    async with db.read() as conn:  # the mention notice keeps no word of what was erased
        excerpts = list((await conn.execute(select(notifications.c.excerpt))).scalars())
    assert excerpts == [None]


async def test_retention_runs_in_the_server_loop_with_the_clock_it_is_given(
    db: Database, clock: FixedClock
) -> None:
    bar, alice, _ = await setup_venue(db, clock)
    await chat.post_message(db, alice, bar, "jour 0", clock(), max_length=MAX)
    rounds: list[float] = []

    async def sleep(seconds: float) -> None:
        # No real waiting: each round, a day passes on the test's clock.
        rounds.append(seconds)
        if len(rounds) == 3:
            raise asyncio.CancelledError
        clock.advance(days=1)
        if len(rounds) == 2:
            await chat.post_message(db, alice, bar, "jour 2", clock(), max_length=MAX)

    clock.advance(days=1)
    with pytest.raises(asyncio.CancelledError):
        await Retention(db, clock, 2, 3600, sleep=sleep).run()
    # Round 1 (day 1) and round 2 (day 2) keep "jour 0"; round 3 (day 3) erases it.
    assert rounds == [3600, 3600, 3600]
    assert await bodies(db) == ["jour 2"]


async def test_session_expires_when_idle_or_too_old(db: Database, clock: FixedClock) -> None:
    admin = await actions.create_user(db, "Admin", Role.ADMIN, clock())
    _, token = await actions.create_invite(db, admin, clock())
    _, idle = await actions.accept_invite(db, token, "Ida", "device-idle-aaaaaaa", clock())
    _, _ = await actions.accept_invite(db, token, "Max", "device-max-aaaaaaaa", clock())
    _, busy = await actions.accept_invite(db, token, "Bea", "device-busy-aaaaaaa", clock())
    start = clock()

    async def seen(session: str) -> bool:
        return await actions.session_user(db, session, now=clock(), limits=LIMITS) is not None

    # Used every 20 days, a sign-in lives until its 180th day, not one more.
    while clock() < start + timedelta(days=179):
        assert await seen(busy)
        clock.advance(days=20)
    clock.current = start + timedelta(days=179, hours=23)
    assert await seen(busy)
    clock.current = start + timedelta(days=180, minutes=1)
    assert not await seen(busy)
    async with db.read() as conn:  # it is still there, and still not revoked: time alone ends it
        row = (await conn.execute(select(sessions.c.revoked_at))).first()
    assert row is not None and row.revoked_at is None

    # Never used after the first day: gone after 30 idle days.
    clock.current = start
    assert await seen(idle)
    clock.current = start + timedelta(days=29, hours=23)
    assert await seen(idle)  # and this use starts the idle time again
    clock.current = start + timedelta(days=59, hours=22)
    assert await seen(idle)
    clock.current = start + timedelta(days=90)
    assert not await seen(idle)
    # Without a clock (tools, tests of other features), only revocation counts.
    assert await actions.session_user(db, idle) is not None


async def test_old_sign_ins_end_and_their_sockets_are_told(db: Database, clock: FixedClock) -> None:
    admin = await actions.create_user(db, "Admin", Role.ADMIN, clock())
    _, token = await actions.create_invite(db, admin, clock())
    old_user, old = await actions.accept_invite(db, token, "Vieux", "device-old-aaaaaaaa", clock())
    clock.advance(days=100)
    _, token = await actions.create_invite(db, admin, clock())
    new_user, new = await actions.accept_invite(db, token, "Neuf", "device-new-aaaaaaaa", clock())
    told: list[tuple[str, str]] = []

    async def ended(user_id: str, session: str) -> None:
        told.append((user_id, session))

    sweep = Retention(db, clock, None, 3600, session_max_age=LIMITS.max_age, session_ended=ended)
    clock.advance(days=79)  # the old one is 179 days old: nothing ends
    await sweep.once()
    assert told == []
    clock.advance(days=1, minutes=1)
    await sweep.once()
    assert told == [(old_user.id, hash_token(old))]
    assert await actions.session_user(db, old) is None  # revoked, even without a clock
    assert await actions.session_user(db, new) == new_user
    await sweep.once()  # told once, not every round
    assert len(told) == 1
