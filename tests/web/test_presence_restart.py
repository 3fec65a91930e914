"""Topics the hub numbers, across a restart of the server (the hub's era, docs/protocol.md):
a page that comes back with the last number it applied before the restart gets the room's
list of people as it is now, never the new process's changes laid over the old list (a
person who did not come back is gone, a person who arrived meanwhile is there); a snapshot
topic whose old number meets the new current one still sends its state; within one era a
resume is the changes only; a malformed era is refused. Every topic family numbered by the
hub is marked so. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import inspect
import re
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from bench.people_list import PeopleList

from estaminet.app import create_app
from estaminet.people.model import Role
from estaminet.settings import Settings
from tests.support.live_server import LiveServer, Person, free_port, start_server
from tests.web.test_access_changes import follow
from tests.web.test_presence import me, settle

SLUG = "scene"
TOPIC = f"presence:{SLUG}"


def _era_on_page(page: str) -> str:
    assert re.search(rf'data-topic="{TOPIC}" data-seq="\d+"', page), page[:400]
    found = re.search(r'<body [^>]*data-era="([0-9a-f]+)"', page)
    assert found, page[:400]
    return found.group(1)


class Venue:
    """The same venue (database, secret, port) served by one process after another."""

    def __init__(self, folder: Path, database_url: str) -> None:
        self.folder = folder
        self.database_url = database_url
        self.port = free_port()
        self._running: AbstractContextManager[LiveServer] | None = None
        self.server: LiveServer | None = None

    async def start(self) -> LiveServer:
        def started() -> tuple[AbstractContextManager[LiveServer], LiveServer]:
            serving = contextmanager(start_server)(
                self.folder, port=self.port, database_url=self.database_url
            )
            return serving, serving.__enter__()

        self._running, self.server = await asyncio.to_thread(started)
        return self.server

    async def stop(self) -> None:
        running, self._running = self._running, None
        if running is not None:
            await asyncio.to_thread(running.__exit__, None, None, None)


async def test_a_page_back_after_a_restart_gets_the_list_as_it_is_now(
    database_url: str, tmp_path: Path
) -> None:
    venue = Venue(tmp_path, database_url)
    made: list[Person] = []

    def person(server: LiveServer) -> Person:
        made.append(Person(server))
        return made[-1]

    try:
        first = await venue.start()
        wanda = person(first)
        await wanda.join(await first.invite(Role.MEMBER), "Wanda Watcher")
        guests: dict[str, Person] = {}
        for name in ("Ana", "Basile", "Chloé", "Dédé"):
            guests[name] = person(first)
            await guests[name].join(await first.invite(), name)
        ids = {name: await me(guest) for name, guest in guests.items()}

        watched, seq = PeopleList.from_page(SLUG, (await wanda.http.get(f"/r/{SLUG}")).text)
        era = _era_on_page((await wanda.http.get(f"/r/{SLUG}")).text)
        async with wanda.socket() as w:
            reply = await w.sub(TOPIC, after=seq, era=era)
            assert reply["era"] == era  # the page's era is the server's
            async with guests["Ana"].socket() as ana, guests["Basile"].socket() as basile:
                await follow(ana, f"room:{SLUG}")
                for frame in await settle(w, TOPIC):
                    watched.apply(frame["ops"])
                early = frame["seq"]
                await follow(basile, f"room:{SLUG}")
                last = 0
                for frame in await settle(w, TOPIC):
                    watched.apply(frame["ops"])
                    last = frame["seq"]
                assert watched.people() == [ids["Ana"], ids["Basile"]]
            # Within the same era, a resume is the changes missed, not the list again.
            async with wanda.socket() as again:
                reply = await again.sub(TOPIC, after=early, era=era)
                assert reply["era"] == era
                frames = [f for f in again.seen if f.get("topic") == TOPIC and "kind" in f]
                assert frames and all(f["kind"] == "presence" for f in frames), frames
                assert frames[0]["seq"] == early + 1
            await venue.stop()  # every socket is cut

        second = await venue.start()
        for guest in (wanda, *guests.values()):
            guest.server = second
        # Ana comes back, Basile does not; Chloé and Dédé arrive, each in a frame of her own,
        # so the new process's numbers pass the one Wanda's page stopped at.
        async with (
            guests["Ana"].socket() as ana,
            guests["Chloé"].socket() as chloe,
            guests["Dédé"].socket() as dede,
        ):
            for sock in (ana, chloe, dede):
                await follow(sock, f"room:{SLUG}")
                await asyncio.sleep(0.4)
            room_page = (await wanda.http.get(f"/r/{SLUG}")).text
            now, now_seq = PeopleList.from_page(SLUG, room_page)
            assert now.people() == [ids["Ana"], ids["Chloé"], ids["Dédé"]]
            assert now_seq > last, (now_seq, last)  # the case that matters: numbers met again
            assert _era_on_page(room_page) != era

            async with wanda.socket() as w:
                reply = await w.sub(TOPIC, after=last, era=era)
                assert reply["type"] == "subscribed", reply
                assert reply["era"] == _era_on_page(room_page)
                frames = [f for f in w.seen if f.get("topic") == TOPIC and "kind" in f]
                assert [f["kind"] for f in frames] == ["catch_up"], frames
                for frame in frames:
                    watched.apply(frame["ops"])
                assert watched.people() == now.people()
                assert watched.count == now.count

                # The games room's list of tables, numbered by the hub too: nothing was
                # published on it in either life, so the numbers meet (0 and 0). A page of
                # the old era still gets the list as it is; one of this era, nothing again.
                tables = "tables:jeux"
                await w.sub(tables, after=0, era=era)
                await w.sub(tables, after=0, era=_era_on_page(room_page))
                told = [f.get("kind") for f in w.seen if f.get("topic") == tables]
                assert told == ["catch_up", None, None], told

                # An era that is not one: refused, the connection kept, nothing followed.
                for bad in ("", "x" * 41, 7, ["era"]):
                    await w.send({"type": "sub", "topic": "presence:bar", "after": 0, "era": bad})
                    error = await w.expect(type="error")
                    assert error["code"] == "gateway/malformed", error
                assert (await w.sub("presence:bar", after=0))["type"] == "subscribed"
    finally:
        for someone in made:
            await someone.close()
        await venue.stop()


def test_every_topic_numbered_by_the_hub_is_told_apart_by_its_era(settings: Settings) -> None:
    """A topic family whose numbers are the hub's (its catch-up reads ``hub.current_seq`` or
    replays ``hub.recent``) is marked ``HubNumbered``, so that the gateway sends its era and
    checks the one it is given; the two numbered by the database (the room's chat, a
    person's inbox) are not."""
    gateway = create_app(settings, migrate=False).state.gateway
    by_the_database = set()
    for family in gateway.topic_families:
        provider = gateway._provider(f"{family}:x")
        source = inspect.getsource(type(provider).catch_up)
        hubs = "current_seq(" in source or ".recent(" in source
        assert hubs == getattr(provider, "numbered_by_hub", False), family
        if not hubs:
            by_the_database.add(family)
    assert by_the_database == {"room", "user"}, by_the_database
    assert len(gateway.topic_families) >= 15
