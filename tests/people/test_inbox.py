"""The inbox: numbered per person, stored once, read and listed; its page and its bell."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from estaminet.people import inbox
from estaminet.people.actions import create_user
from estaminet.people.model import Role
from estaminet.store import Database
from tests.support.live_server import LiveServer, Person

NOW = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)


def words(text: str) -> inbox.Texts:
    return inbox.texts_for(
        lambda locale: (f"{text} ({locale})", "Ouvrir" if locale == "fr" else "Open")
    )


async def test_inbox_numbers_each_person_in_turn_and_stores_once(db: Database) -> None:
    ann = await create_user(db, "Ann", Role.MEMBER, NOW)
    bob = await create_user(db, "Bob", Role.MEMBER, NOW)
    async with db.begin() as conn:
        first = await inbox.notify(
            conn, ann.id, "agenda/start", NOW, texts=words("un"), dedupe="a:1"
        )
        other = await inbox.notify(conn, bob.id, "mention", NOW, texts=words("deux"))
        again = await inbox.notify(
            conn, ann.id, "agenda/start", NOW, texts=words("un"), dedupe="a:1"
        )
        second = await inbox.notify(
            conn,
            ann.id,
            "agenda/24h",
            NOW,
            texts=words("trois"),
            link="/agenda/1/x",
            excerpt="x" * 300,
        )
        ghost = await inbox.notify(conn, "nobody", "mention", NOW, texts=words("?"))
    assert first is not None and other is not None and second is not None
    assert (first.seq, second.seq, other.seq) == (1, 2, 1)
    assert again is None and ghost is None  # once only; nobody to tell
    assert second.text("fr") == "trois (fr)" and second.action("en") == "Open"
    assert second.excerpt == "x" * 200
    async with db.read() as conn:
        assert await inbox.inbox_seq(conn, ann.id) == 2
        assert await inbox.unread_count(conn, ann.id) == 2
        assert [n.seq for n in await inbox.listing(conn, ann.id)] == [2, 1]
        assert [n.seq for n in await inbox.listing(conn, ann.id, before=2)] == [1]
        assert [n.seq for n in await inbox.unread_since(conn, ann.id, 1)] == [2]
    async with db.begin() as conn:
        read = await inbox.mark_read(conn, ann.id, NOW + timedelta(minutes=1))
        nothing = await inbox.mark_read(conn, ann.id, NOW + timedelta(minutes=2))
    assert read == 3 and nothing is None  # marking read takes the next number (the bell)
    async with db.read() as conn:
        assert await inbox.unread_count(conn, ann.id) == 0
        assert await inbox.unread_since(conn, ann.id, 0) == []
        assert await inbox.unread_count(conn, bob.id) == 1


async def test_inbox_numbers_stay_whole_under_concurrent_notices(db: Database) -> None:
    ann = await create_user(db, "Ann", Role.MEMBER, NOW)

    async def one(number: int) -> None:
        async with db.begin() as conn:
            await inbox.notify(conn, ann.id, "mention", NOW, texts=words(str(number)))

    await asyncio.gather(*(one(n) for n in range(12)))
    async with db.read() as conn:
        notes = await inbox.listing(conn, ann.id)
    assert sorted(n.seq for n in notes) == list(range(1, 13))


async def test_inbox_page_bell_and_catch_up(live: LiveServer, people: Any) -> None:
    alice: Person = await people("Alice")
    bob: Person = await people("Bob")
    page = (await bob.http.get("/")).text
    assert "data-bell" in page and "aucune non lue" in page
    seq = int(re.search(r'data-inbox-seq="(\d+)"', page).group(1))  # type: ignore[union-attr]
    me = re.search(r'data-me="(\w+)"', page).group(1)  # type: ignore[union-attr]
    async with alice.socket() as a:
        await a.sub("room:bar")
        for n in range(3):
            sent = await a.act(
                "chat.send", {"room": "bar", "body": f"@Bob coucou {n} <b>"}, ref=f"m{n}"
            )
            assert sent["type"] == "ack"
    page = (await bob.http.get("/")).text
    assert 'class="bell-count" aria-hidden="true">3<' in page and "3 non lues" in page
    # A tab that saw nothing since ``seq`` gets the three as toasts, with the bell.
    async with bob.socket() as b:
        await b.send({"type": "sub", "topic": f"user:{me}", "after": seq})
        caught = await b.expect(type="event", kind="catch_up")
        toasts = [op["html"] for op in caught["ops"] if op["op"] == "toast"]
        assert len(toasts) == 3 and all(
            "Alice t&#39;a mentionné" in t or "Alice" in t for t in toasts
        )
        assert "&lt;b&gt;" in toasts[0] and "<b>" not in toasts[0]  # escaped
        assert caught["ops"][-1]["target"] == "[data-bell]" and ">3<" in caught["ops"][-1]["html"]
        # Opening the inbox lists them (links, newest first) and marks them read everywhere.
        listed = await bob.http.get("/me/notices")
        assert listed.status_code == 200
        assert listed.text.count("inbox-item--unread") == 3
        assert listed.text.index("coucou 2") < listed.text.index("coucou 0")
        assert 'href="/r/bar#msg-' in listed.text
        bell = await b.take(lambda f: f.get("kind") == "notice")
        assert bell["ops"] == [
            {"op": "replace", "target": "[data-bell]", "html": bell["ops"][0]["html"]}
        ]
        assert "bell-count" not in bell["ops"][0]["html"]
    again = await bob.http.get("/me/notices")
    assert "inbox-item--unread" not in again.text and "coucou 1" in again.text
    assert "bell-count" not in again.text
    # A tab that comes back after they were read shows none of them.
    async with bob.socket() as b:
        await b.send({"type": "sub", "topic": f"user:{me}", "after": seq})
        caught = await b.expect(type="event", kind="catch_up")
        assert [op["op"] for op in caught["ops"]] == ["replace"]
    stranger = await people()
    assert (await stranger.http.get("/me/notices")).status_code == 401
    assert (await bob.http.get("/me/notices?before=zz")).status_code == 200
