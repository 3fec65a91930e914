"""A post that mentions nobody runs in one trip to aiosqlite's thread on SQLite
(``chat._post_in_one_trip``): it must store and return exactly what the SQLAlchemy path
stores and returns, refuse and roll back the same way, and fail as a database error
that leaves nothing behind. On PostgreSQL every post takes the SQLAlchemy path."""

from __future__ import annotations

import sqlite3
import traceback
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from estaminet.kernel.errors import Forbidden
from estaminet.kernel.user import User
from estaminet.people import actions
from estaminet.people.model import Role
from estaminet.store import Database
from estaminet.venue import chat
from estaminet.venue.rooms import room_by_slug
from estaminet.venue.schema import messages, room_restrictions
from tests.conftest import FixedClock
from tests.support.databases import count_trips

from .test_chat import MAX, setup_venue


async def _stored(db: Database, message_id: int) -> dict[str, Any]:
    """The message's row as the database holds it (SQLite: the stored text of the time)."""
    async with db.read() as conn:
        row = (
            await conn.exec_driver_sql(
                "SELECT author_id, author_name, body, html, created_at, edited_at, deleted_at,"
                " deleted_by, client_id FROM messages WHERE id = " + str(int(message_id))
            )
        ).one()
    return dict(row._mapping)


async def _last_seq(db: Database, slug: str) -> int:
    async with db.read() as conn:
        room = await room_by_slug(conn, slug)
    assert room is not None
    return room.last_seq


async def test_a_post_in_one_trip_stores_and_returns_what_the_sqlalchemy_path_does(
    db: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    bar, alice, _ = await setup_venue(db, clock)
    async with db.read() as conn:
        other = await room_by_slug(conn, "jeux")
    assert other is not None
    now = clock() + timedelta(microseconds=123_456)  # the stored text keeps microseconds
    text = "Salut **tout** le monde <b>!</b>"

    trips = count_trips(monkeypatch)
    quick = await chat.post_message(db, alice, bar, text, now, max_length=MAX, client_id="q-1")
    assert len(trips) == (1 if db.is_sqlite else 0)
    # The same post through SQLAlchemy's statements, in another room.
    monkeypatch.setattr(chat, "_post_in_one_trip", None)  # any use of it would fail
    monkeypatch.setattr(Database, "is_sqlite", property(lambda _self: False))
    slow = await chat.post_message(db, alice, other, text, now, max_length=MAX, client_id="q-1")
    monkeypatch.undo()
    assert len(trips) == (1 if db.is_sqlite else 0)

    # What is returned is what a read gives back, field for field.
    async with db.read() as conn:
        assert [quick.message] == await chat.history(conn, bar)
        assert [slow.message] == await chat.history(conn, other)
    assert quick.message.created_at == now and quick.message.created_at.tzinfo is not None
    # What is stored is the same, down to the text of the time.
    assert await _stored(db, quick.message.id) == await _stored(db, slow.message.id)
    for field in ("author_id", "author_name", "body", "html", "created_at", "seq"):
        assert getattr(quick.message, field) == getattr(slow.message, field), field
    assert quick.mentioned == slow.mentioned == () and not quick.duplicate
    assert quick.notices == slow.notices == ()


async def test_one_trip_refusals_and_retries_use_no_number(db: Database, clock: FixedClock) -> None:
    """Kicked before muted, a retry returns the first post, a restriction that has ended
    refuses nothing; a refusal or a retry leaves the room's number where it was."""
    bar, alice, bob = await setup_venue(db, clock)
    first = await chat.post_message(db, bob, bar, "un", clock(), max_length=MAX, client_id="b-1")
    until = clock() + timedelta(minutes=5)
    async with db.begin() as conn:
        for kind in ("mute", "kick"):
            await conn.execute(
                insert(room_restrictions).values(
                    room_id=bar.id, user_id=alice.id, kind=kind, until=until
                )
            )
        await conn.execute(
            insert(room_restrictions).values(
                room_id=bar.id, user_id=bob.id, kind="mute", until=clock() - timedelta(seconds=1)
            )
        )
    with pytest.raises(Forbidden) as caught:
        await chat.post_message(db, alice, bar, "non", clock(), max_length=MAX, client_id="a-1")
    assert caught.value.code == "venue/kicked"
    assert await _last_seq(db, "bar") == first.message.seq

    again = await chat.post_message(db, bob, bar, "un", clock(), max_length=MAX, client_id="b-1")
    assert again.duplicate and again.message == first.message
    assert await _last_seq(db, "bar") == first.message.seq

    # Bob's mute ended a second ago: he posts, with the next number.
    second = await chat.post_message(db, bob, bar, "deux", clock(), max_length=MAX)
    assert second.message.seq == first.message.seq + 1 and not second.duplicate
    # At its last instant a restriction still holds (``until > now``).
    clock.advance(minutes=5)
    async with db.begin() as conn:
        await conn.execute(
            room_restrictions.delete().where(
                room_restrictions.c.user_id == alice.id, room_restrictions.c.kind == "kick"
            )
        )
    with pytest.raises(Forbidden) as caught:
        await chat.post_message(
            db, alice, bar, "non", clock() - timedelta(microseconds=1), max_length=MAX
        )
    assert caught.value.code == "chat/muted"
    posted = await chat.post_message(db, alice, bar, "oui", clock(), max_length=MAX)
    assert posted.message.seq == second.message.seq + 1
    async with db.read() as conn:
        assert [m.body for m in await chat.history(conn, bar)] == ["un", "deux", "oui"]


async def test_a_post_the_database_refuses_leaves_nothing(db: Database, clock: FixedClock) -> None:
    """An author whose row is gone (deleted meanwhile): the insert breaks the foreign key;
    the error is the database's, as on the SQLAlchemy path, its values kept out of the
    message, and the room's number is not used up."""
    bar, _, _ = await setup_venue(db, clock)
    # Made at run time: a traceback's source lines cannot show them, only the values could.
    name, body = "-".join(("Fantôme", "secret")), "-".join(("mot", "de", "passe"))
    ghost = User("f" * 32, name, Role.MEMBER, None, None, False, clock())
    with pytest.raises(IntegrityError) as caught:
        await chat.post_message(db, ghost, bar, body, clock(), max_length=MAX)
    # Neither the error nor what a log would print of it (the whole chain) shows them.
    logged = "".join(traceback.format_exception(caught.value))
    for said in (str(caught.value), logged):
        assert name not in said
        assert body not in said
    assert await _last_seq(db, "bar") == 0
    async with db.read() as conn:
        assert (await conn.execute(select(messages.c.id))).all() == []
    # The connection it used goes on serving.
    chloe = await actions.create_user(db, "Chloé", Role.MEMBER, clock())
    posted = await chat.post_message(db, chloe, bar, "me voici", clock(), max_length=MAX)
    assert posted.message.seq == 1


async def test_a_unit_of_work_in_one_trip_commits_whole_or_not_at_all(
    db: Database, clock: FixedClock
) -> None:
    """What ``work`` wrote is committed when it returns and rolled back when it raises,
    whether the error is its own or the database's; SQLite only."""
    bar, _, _ = await setup_venue(db, clock)
    bump = "UPDATE rooms SET last_seq = last_seq + 1 WHERE id = ?"
    if not db.is_sqlite:
        with pytest.raises(RuntimeError):
            await db.in_one_trip(lambda raw: None)
        return

    def bump_then(raw: sqlite3.Connection, then: str) -> int:
        raw.execute(bump, (bar.id,))
        if then == "own":
            raise LookupError("changed my mind")
        if then == "database":
            raw.execute("INSERT INTO rooms (id) VALUES (?)", (bar.id,))
        return int(raw.execute("SELECT last_seq FROM rooms WHERE id = ?", (bar.id,)).fetchone()[0])

    assert await db.in_one_trip(lambda raw: bump_then(raw, "keep")) == 1
    with pytest.raises(LookupError):
        await db.in_one_trip(lambda raw: bump_then(raw, "own"))
    with pytest.raises(IntegrityError):
        await db.in_one_trip(lambda raw: bump_then(raw, "database"))
    assert await _last_seq(db, "bar") == 1
    # Nothing was left open: the next unit of work, either way, starts clean.
    assert await db.in_one_trip(lambda raw: bump_then(raw, "keep")) == 2
    async with db.begin() as conn:
        await conn.exec_driver_sql("UPDATE rooms SET last_seq = 10 WHERE slug = 'bar'")
    assert await _last_seq(db, "bar") == 10


async def test_posts_at_the_same_moment_each_take_their_own_number(
    db: Database, clock: FixedClock
) -> None:
    """Twenty posts sent together, and a SQLAlchemy write among them: each post gets its own
    number, none is lost, no "database is locked" (the trip holds the same write lock as
    ``begin()``)."""
    import asyncio

    bar, alice, bob = await setup_venue(db, clock)

    async def other_write() -> None:
        async with db.begin() as conn:
            await conn.execute(
                insert(room_restrictions).values(
                    room_id=bar.id, user_id=bob.id, kind="mute", until=clock() - timedelta(days=1)
                )
            )

    posted, _ = await asyncio.gather(
        asyncio.gather(
            *(
                chat.post_message(
                    db, alice, bar, f"n° {i}", clock(), max_length=MAX, client_id=f"c-{i}"
                )
                for i in range(20)
            )
        ),
        other_write(),
    )
    assert sorted(p.message.seq for p in posted) == list(range(1, 21))
    assert len({p.message.id for p in posted}) == 20
    assert await _last_seq(db, "bar") == 20
    async with db.read() as conn:
        assert len(await chat.history(conn, bar)) == 20
