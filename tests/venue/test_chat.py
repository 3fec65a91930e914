"""Rooms and chat through the write path, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from estaminet.cli import DEMO_VENUE
from estaminet.kernel.errors import BadInput, Forbidden, NotFound
from estaminet.people import actions
from estaminet.people.model import Role, User
from estaminet.people.schema import notifications
from estaminet.store import Database
from estaminet.venue import chat
from estaminet.venue.plan import load_venue
from estaminet.venue.rooms import Room, access_room, apply_venue, list_rooms, room_by_slug
from estaminet.venue.schema import room_restrictions
from tests.conftest import FixedClock

MAX = 2000


async def setup_venue(db: Database, clock: FixedClock) -> tuple[Room, User, User]:
    await apply_venue(db, load_venue(DEMO_VENUE), clock())
    alice = await actions.create_user(db, "Alice", Role.MEMBER, clock())
    bob = await actions.create_user(db, "Bob Marley", Role.GUEST, clock())
    async with db.read() as conn:
        bar = await room_by_slug(conn, "bar")
    assert bar is not None
    return bar, alice, bob


async def test_rooms_apply_keeps_history(db: Database, clock: FixedClock) -> None:
    bar, alice, _ = await setup_venue(db, clock)
    await chat.post_message(db, alice, bar, "premier", clock(), max_length=MAX)
    spec = load_venue(DEMO_VENUE)
    renamed = replace(
        spec,
        rooms=tuple(
            replace(r, name_fr="Au comptoir") if r.slug == "bar" else r
            for r in spec.rooms
            if r.slug != "defouloir"
        ),
    )
    report = await apply_venue(db, renamed, clock())
    assert report.archived == ("defouloir",)
    assert "bar" in report.updated and not report.created
    async with db.read() as conn:
        bar_again = await room_by_slug(conn, "bar")
        assert bar_again is not None and bar_again.name_fr == "Au comptoir"
        assert bar_again.id == bar.id
        assert [m.body for m in await chat.history(conn, bar_again)] == ["premier"]
        assert "defouloir" not in [r.slug for r in await list_rooms(conn)]
    # Bringing the room back restores it with its history.
    await apply_venue(db, spec, clock())
    async with db.read() as conn:
        assert "defouloir" in [r.slug for r in await list_rooms(conn)]


async def test_rooms_access_team_and_members(db: Database, clock: FixedClock) -> None:
    _, alice, bob = await setup_venue(db, clock)
    async with db.read() as conn:
        with pytest.raises(Forbidden) as caught:
            await access_room(conn, bob, "bureau")
        assert caught.value.code == "venue/team_only"
        with pytest.raises(Forbidden) as caught:
            await access_room(conn, bob, "ag")
        assert caught.value.code == "venue/members_only"
        assert (await access_room(conn, alice, "ag")).slug == "ag"
        with pytest.raises(NotFound):
            await access_room(conn, alice, "nowhere")


async def test_chat_post_assigns_increasing_seq(db: Database, clock: FixedClock) -> None:
    bar, alice, bob = await setup_venue(db, clock)
    first = await chat.post_message(db, alice, bar, "un", clock(), max_length=MAX)
    second = await chat.post_message(db, bob, bar, "deux", clock(), max_length=MAX)
    assert second.message.seq == first.message.seq + 1
    async with db.read() as conn:
        room = await room_by_slug(conn, "bar")
    assert room is not None and room.last_seq == second.message.seq


async def test_chat_post_is_idempotent_with_client_id(db: Database, clock: FixedClock) -> None:
    bar, alice, _ = await setup_venue(db, clock)
    first = await chat.post_message(
        db, alice, bar, "une fois", clock(), max_length=MAX, client_id="c-1"
    )
    again = await chat.post_message(
        db, alice, bar, "une fois", clock(), max_length=MAX, client_id="c-1"
    )
    assert again.duplicate and again.message.id == first.message.id
    async with db.read() as conn:
        assert len(await chat.history(conn, bar)) == 1


async def test_chat_retry_and_refusal_use_no_number(db: Database, clock: FixedClock) -> None:
    """A retry (same client id) returns the first post, even once its author is muted; a
    retry and a refusal both leave the room's sequence where it was (resume stays exact)."""
    bar, alice, _ = await setup_venue(db, clock)
    first = await chat.post_message(
        db, alice, bar, "une fois", clock(), max_length=MAX, client_id="c-1"
    )
    async with db.begin() as conn:
        await conn.execute(
            insert(room_restrictions).values(
                room_id=bar.id, user_id=alice.id, kind="mute", until=clock() + timedelta(minutes=5)
            )
        )
    again = await chat.post_message(
        db, alice, bar, "une fois", clock(), max_length=MAX, client_id="c-1"
    )
    assert again.duplicate and again.message == first.message
    with pytest.raises(Forbidden) as caught:
        await chat.post_message(db, alice, bar, "encore", clock(), max_length=MAX, client_id="c-2")
    assert caught.value.code == "chat/muted"
    async with db.read() as conn:
        room = await room_by_slug(conn, "bar")
        assert room is not None and room.last_seq == first.message.seq
        assert [m.body for m in await chat.history(conn, bar)] == ["une fois"]
    clock.advance(minutes=6)
    later = await chat.post_message(
        db, alice, bar, "encore", clock(), max_length=MAX, client_id="c-2"
    )
    assert later.message.seq == first.message.seq + 1 and not later.duplicate


@pytest.mark.parametrize(
    ("body", "code"),
    [("", "chat/empty"), ("   \n ", "chat/empty"), ("x" * (MAX + 1), "chat/too_long")],
)
async def test_chat_bad_body_changes_nothing(
    db: Database, clock: FixedClock, body: str, code: str
) -> None:
    bar, alice, _ = await setup_venue(db, clock)
    with pytest.raises(BadInput) as caught:
        await chat.post_message(db, alice, bar, body, clock(), max_length=MAX)
    assert caught.value.code == code
    async with db.read() as conn:
        assert await chat.history(conn, bar) == []
        room = await room_by_slug(conn, "bar")
    assert room is not None and room.last_seq == 0


async def test_chat_edit_own_only(db: Database, clock: FixedClock) -> None:
    bar, alice, bob = await setup_venue(db, clock)
    posted = await chat.post_message(db, alice, bar, "tpyo", clock(), max_length=MAX)
    clock.advance(minutes=1)
    edited = await chat.edit_message(
        db, alice, bar, posted.message.id, "typo", clock(), max_length=MAX
    )
    assert edited.body == "typo" and edited.edited_at == clock() and edited.seq > posted.message.seq
    with pytest.raises(Forbidden):
        await chat.edit_message(db, bob, bar, posted.message.id, "hack", clock(), max_length=MAX)


async def test_chat_source_is_given_to_the_author_only(db: Database, clock: FixedClock) -> None:
    bar, alice, bob = await setup_venue(db, clock)
    posted = await chat.post_message(
        db, alice, bar, "On se voit **samedi** ?", clock(), max_length=MAX
    )
    async with db.read() as conn:
        assert await chat.message_source(conn, alice, bar, posted.message.id) == (
            "On se voit **samedi** ?"
        )
        with pytest.raises(Forbidden):
            await chat.message_source(conn, bob, bar, posted.message.id)
        with pytest.raises(NotFound):
            await chat.message_source(conn, alice, bar, posted.message.id + 1000)
    await chat.delete_message(db, alice, bar, posted.message.id, clock())
    async with db.read() as conn:
        with pytest.raises(NotFound):
            await chat.message_source(conn, alice, bar, posted.message.id)


async def test_chat_delete_by_author_or_moderator(db: Database, clock: FixedClock) -> None:
    from estaminet.people.queries import moderation_entries

    bar, alice, bob = await setup_venue(db, clock)
    mod = await actions.create_user(db, "Modo", Role.MODERATOR, clock())
    a = await chat.post_message(db, alice, bar, "à effacer", clock(), max_length=MAX)
    b = await chat.post_message(db, bob, bar, "insulte", clock(), max_length=MAX)
    with pytest.raises(Forbidden):
        await chat.delete_message(db, bob, bar, a.message.id, clock())
    gone = await chat.delete_message(db, alice, bar, a.message.id, clock())
    assert gone.deleted and gone.body == "" and gone.html == ""
    await chat.delete_message(db, mod, bar, b.message.id, clock())
    with pytest.raises(NotFound):
        await chat.delete_message(db, alice, bar, a.message.id, clock())
    async with db.read() as conn:
        log = await moderation_entries(conn)
    assert [(e["action"], e["message_id"]) for e in log] == [("delete_message", b.message.id)]


async def test_chat_history_pages_backwards(db: Database, clock: FixedClock) -> None:
    bar, alice, _ = await setup_venue(db, clock)
    for i in range(7):
        await chat.post_message(db, alice, bar, f"m{i}", clock(), max_length=MAX)
    async with db.read() as conn:
        last = await chat.history(conn, bar, limit=3)
        assert [m.body for m in last] == ["m4", "m5", "m6"]
        before = await chat.history(conn, bar, before=last[0].id, limit=3)
        assert [m.body for m in before] == ["m1", "m2", "m3"]


async def test_chat_changes_since_gives_current_state(db: Database, clock: FixedClock) -> None:
    bar, alice, _ = await setup_venue(db, clock)
    one = await chat.post_message(db, alice, bar, "un", clock(), max_length=MAX)
    seen = one.message.seq
    two = await chat.post_message(db, alice, bar, "deux", clock(), max_length=MAX)
    await chat.edit_message(db, alice, bar, one.message.id, "un (corrigé)", clock(), max_length=MAX)
    await chat.delete_message(db, alice, bar, two.message.id, clock())
    async with db.read() as conn:
        changed = await chat.changes_since(conn, bar, seen, limit=10)
        assert changed is not None
        assert [(m.body, m.deleted) for m in changed] == [("un (corrigé)", False), ("", True)]
        assert await chat.changes_since(conn, bar, 0, limit=1) is None


async def test_chat_mention_notifies(db: Database, clock: FixedClock) -> None:
    bar, alice, bob = await setup_venue(db, clock)
    posted = await chat.post_message(db, alice, bar, "salut @bob marley !", clock(), max_length=MAX)
    assert posted.mentioned == (bob.id,)
    assert 'data-user="' + bob.id in posted.message.html
    async with db.read() as conn:
        rows = (await conn.execute(select(notifications))).all()
    assert [(r.user_id, r.kind, r.message_id) for r in rows] == [
        (bob.id, "mention", posted.message.id)
    ]


async def test_chat_mention_of_someone_who_cannot_see_the_room(
    db: Database, clock: FixedClock
) -> None:
    await setup_venue(db, clock)
    alice = await actions.create_user(db, "Alicia", Role.MEMBER, clock())
    await actions.create_user(db, "Guesty", Role.GUEST, clock())
    async with db.read() as conn:
        ag = await room_by_slug(conn, "ag")
    assert ag is not None
    posted = await chat.post_message(db, alice, ag, "@Guesty tu viens ?", clock(), max_length=MAX)
    assert posted.mentioned == ()


async def test_chat_muted_person_cannot_post(db: Database, clock: FixedClock) -> None:
    bar, alice, _ = await setup_venue(db, clock)
    async with db.begin() as conn:
        await conn.execute(
            insert(room_restrictions).values(
                room_id=bar.id, user_id=alice.id, kind="mute", until=clock() + timedelta(minutes=5)
            )
        )
    with pytest.raises(Forbidden) as caught:
        await chat.post_message(db, alice, bar, "je parle", clock(), max_length=MAX)
    assert caught.value.code == "chat/muted"
    clock.advance(minutes=6)
    await chat.post_message(db, alice, bar, "je parle", clock(), max_length=MAX)
