"""Chat's smaller holes (issue 12, point 8), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from estaminet.kernel.errors import Forbidden
from estaminet.people import actions
from estaminet.people.model import Role
from estaminet.people.schema import notifications
from estaminet.store import Database
from estaminet.venue import chat
from estaminet.venue.markdown import render_markdown, strip_bidi_controls
from tests.conftest import FixedClock
from tests.venue.test_chat import MAX, setup_venue


async def test_chat_edit_and_delete_reach_the_mention_notices(
    db: Database, clock: FixedClock
) -> None:
    bar, alice, bob = await setup_venue(db, clock)
    posted = await chat.post_message(
        db, alice, bar, "@Bob Marley mon code est 4242", clock(), max_length=MAX
    )
    assert posted.mentioned == (bob.id,)
    await chat.edit_message(
        db, alice, bar, posted.message.id, "@Bob Marley oublie ça", clock(), max_length=MAX
    )
    async with db.read() as conn:
        excerpt = (
            await conn.execute(
                select(notifications.c.excerpt).where(
                    notifications.c.message_id == posted.message.id
                )
            )
        ).scalar_one()
        assert excerpt == "@Bob Marley oublie ça"
    await chat.delete_message(db, alice, bar, posted.message.id, clock())
    async with db.read() as conn:
        excerpts = (
            await conn.execute(
                select(notifications.c.excerpt).where(
                    notifications.c.message_id == posted.message.id
                )
            )
        ).scalars()
        assert list(excerpts) == [None]


async def test_chat_strips_bidi_controls(db: Database, clock: FixedClock) -> None:
    bar, alice, _ = await setup_venue(db, clock)
    posted = await chat.post_message(
        db, alice, bar, "photo\u202egnp.exe \u2066ok\u2069 \u200fmark", clock(), max_length=MAX
    )
    assert posted.message.body == "photognp.exe ok \u200fmark"
    assert "\u202e" not in posted.message.html
    edited = await chat.edit_message(
        db, alice, bar, posted.message.id, "\u202dà l'envers", clock(), max_length=MAX
    )
    assert edited.body == "à l'envers"


def test_strip_bidi_controls_keeps_right_to_left_text() -> None:
    assert strip_bidi_controls("שלום \u202aabc\u202c") == "שלום abc"


def test_markdown_mention_inside_a_link_address_keeps_the_link() -> None:
    html = render_markdown("Voir [le profil](https://example.org/@Zoe) et @Zoe", [("u1", "Zoe")])
    assert 'href="https://example.org/@Zoe"' in html
    assert '<span class="mention" data-user="u1">@Zoe</span>' in html
    assert html.count("mention") == 1
    bare = render_markdown("<https://example.org/@Zoe>", [("u1", "Zoe")])
    assert 'href="https://example.org/@Zoe"' in bare


async def test_moderation_never_reaches_upwards_in_chat(db: Database, clock: FixedClock) -> None:
    bar, alice, bob = await setup_venue(db, clock)
    moderator = await actions.create_user(db, "Modeste", Role.MODERATOR, clock())
    other_moderator = await actions.create_user(db, "Momo", Role.MODERATOR, clock())
    admin = await actions.create_user(db, "Ada", Role.ADMIN, clock())
    by_admin = await chat.post_message(db, admin, bar, "annonce", clock(), max_length=MAX)
    by_peer = await chat.post_message(db, other_moderator, bar, "pair", clock(), max_length=MAX)
    by_bob = await chat.post_message(db, bob, bar, "salut", clock(), max_length=MAX)
    for message in (by_admin, by_peer):
        with pytest.raises(Forbidden) as refused:
            await chat.delete_message(db, moderator, bar, message.message.id, clock())
        assert refused.value.code == "venue/cannot_moderate"
    assert (await chat.delete_message(db, moderator, bar, by_bob.message.id, clock())).deleted
    assert (await chat.delete_message(db, admin, bar, by_peer.message.id, clock())).deleted
    del alice
