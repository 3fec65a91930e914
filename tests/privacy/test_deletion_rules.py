"""Deleting an account through the write path (no HTTP): each feature's part, both modes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

import estaminet.games  # noqa: F401 - registers the built-in games
from estaminet.games import kit
from estaminet.kernel.errors import Conflict, Forbidden
from estaminet.live.schema import activities
from estaminet.media.schema import stage_recordings
from estaminet.people import actions
from estaminet.people.model import Role
from estaminet.people.schema import invites, moderation_log
from estaminet.privacy.deletion import delete_account
from estaminet.store import Database
from estaminet.store.schema import load_all
from estaminet.tables import chat as table_chat
from estaminet.tables.actions import create_table
from estaminet.tables.schema import activity_chat
from estaminet.venue import chat
from estaminet.venue.rooms import room_by_slug
from tests.conftest import FixedClock
from tests.media.test_stage_recording import recorded_take
from tests.venue.test_chat import MAX, setup_venue


async def everywhere(db: Database, needles: list[str]) -> list[str]:
    """Where any of ``needles`` appears in any row of any feature's table."""
    found = []
    async with db.read() as conn:
        for table in load_all().sorted_tables:
            for row in await conn.execute(select(table)):
                for column, value in row._mapping.items():
                    shown = (
                        json.dumps(value, ensure_ascii=False)
                        if isinstance(value, dict | list)
                        else bytes(value).decode("utf-8", "replace")
                        if isinstance(value, bytes)
                        else str(value)
                    )
                    found += [f"{table.name}.{column}" for n in needles if n in shown]
    return found


async def a_moderator_with_traces(db: Database, clock: FixedClock) -> tuple[Any, Any, int, str]:
    bar, alice, bob = await setup_venue(db, clock)
    admin = await actions.create_user(db, "Admin", Role.ADMIN, clock())
    lea = await actions.create_user(db, "Léa Modératrice", Role.MODERATOR, clock())
    await chat.post_message(db, lea, bar, "Bonjour @Bob Marley", clock(), max_length=MAX)
    await chat.post_message(db, bob, bar, "Merci @Léa Modératrice", clock(), max_length=MAX)
    posted = await chat.post_message(db, alice, bar, "à effacer", clock(), max_length=MAX)
    await chat.delete_message(db, lea, bar, posted.message.id, clock())  # logged, by her
    await actions.create_invite(db, lea, clock())
    await actions.set_ban(db, admin, lea.id, clock(), banned=True, reason="Léa Modératrice")
    await actions.set_ban(db, admin, lea.id, clock(), banned=False)
    async with db.read() as conn:
        games = await room_by_slug(conn, "jeux")
    assert games is not None
    table = await create_table(
        db, lea, games, kit.get("lowest_unique"), clock(), title="Partie", options={}
    )
    await table_chat.post(db, lea, table.id, "table", "à la table", None, ["table"], clock())
    # She sang on the stage, recorded twice: one take processed, one waiting for it.
    for state, files in (
        ("done", [{"name": "Léa Modératrice", "file": "01-Lea.webm", "user": lea.id},
                  {"name": "Bob Marley", "file": "02-Bob.webm", "user": bob.id}]),
        ("pending", []),
    ):  # fmt: skip
        await recorded_take(
            db, clock(), state, {"11": ("Léa Modératrice", lea.id), "22": ("Bob Marley", bob.id)},
            files,
        )  # fmt: skip
    assert await everywhere(db, [lea.id, "Léa Modératrice"])  # the scan sees her
    return admin, lea, table.id, alice.id


@pytest.mark.parametrize("remove", [False, True], ids=["anonymize", "remove"])
async def test_deletion_leaves_no_trace_in_any_feature(
    db: Database, clock: FixedClock, remove: bool
) -> None:
    admin, lea, table_id, alice = await a_moderator_with_traces(db, clock)
    departure = await delete_account(
        db, admin, lea.id, clock(), remove_messages=remove, venue_locale="fr"
    )
    assert departure.user_id == lea.id and departure.messages
    assert await everywhere(db, [lea.id, "Léa Modératrice"]) == []
    # Her files are erased after the commit: her processed one, Janus's raw ones of her feed.
    assert [(left.files, left.feeds) for left in departure.recordings] == [
        (("01-Lea.webm",), (11,)),
        ((), (11,)),
    ]
    async with db.read() as conn:
        takes = (await conn.execute(select(stage_recordings).order_by(stage_recordings.c.id))).all()
    assert [json.loads(take.names) for take in takes] == [{"22": "Bob Marley"}] * 2
    assert [f["file"] for f in json.loads(takes[0].files)] == ["02-Bob.webm"]
    assert [json.loads(take.performers)["11"] for take in takes] == [None, None]
    async with db.read() as conn:
        table_rows = (await conn.execute(select(activity_chat.c.author_name))).all()
        host = (
            await conn.execute(select(activities.c.host_id).where(activities.c.id == table_id))
        ).scalar()
        log = (await conn.execute(select(moderation_log).order_by(moderation_log.c.id))).all()
        made_by = (await conn.execute(select(invites.c.created_by))).scalars().all()
    assert table_rows == ([] if remove else [("personne partie",)])
    assert host is None and made_by == [None]
    assert [(e.actor_id, e.action, e.target_user_id) for e in log] == [
        ("-", "delete_message", alice),  # what she did stays, unsigned
        (admin.id, "ban", None),
        (admin.id, "unban", None),
        (admin.id, "delete_account", None),
    ]
    assert all(e.reason is None for e in log[1:])


async def test_deletion_refuses_others_and_the_last_admin(db: Database, clock: FixedClock) -> None:
    _, alice, bob = await setup_venue(db, clock)
    admin = await actions.create_user(db, "Admin", Role.ADMIN, clock())
    with pytest.raises(Forbidden) as refused:
        await delete_account(db, alice, bob.id, clock(), remove_messages=False, venue_locale="fr")
    assert refused.value.code == "privacy/admins_only"
    with pytest.raises(Conflict) as last:
        await delete_account(db, admin, admin.id, clock(), remove_messages=False, venue_locale="fr")
    assert last.value.code == "privacy/last_admin"
    second = await actions.create_user(db, "Admine Deux", Role.ADMIN, clock())
    await delete_account(db, second, admin.id, clock(), remove_messages=False, venue_locale="fr")
    async with db.read() as conn:
        assert await actions.user_by_id(conn, admin.id) is None
        assert await actions.user_by_id(conn, bob.id) is not None
