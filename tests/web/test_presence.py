"""Presence travels as changes: an arrival costs every follower the same few hundred bytes in
a room of two or of a hundred, a late joiner's page equals the list the others built from
the frames, a big room names its first people and counts the rest, and the floor plan's
summary topics tell nobody about a room they may not see."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

import pytest
from bench.people_list import PeopleList

from estaminet.people.model import Role
from estaminet.venue import presence as presence_module
from tests.support.live_server import Person, Socket
from tests.web.test_access_changes import follow


async def me(person: Person) -> str:
    return (await person.http.get("/me")).text.split('data-me="')[1].split('"')[0]


async def settle(sock: Socket, topic: str) -> list[dict[str, Any]]:
    """Every frame on ``topic`` until a quiet half second (presence is coalesced by 250 ms)."""
    got: list[dict[str, Any]] = []
    while True:
        frames = [f for f in await sock.quiet(0.6) if f.get("topic") == topic]
        if not frames:
            return got
        got.extend(frames)


async def test_a_late_joiner_sees_the_list_the_others_built(people: Any) -> None:
    slug = "scene"
    watcher: Person = await people("Wanda Watcher", Role.MEMBER)
    watched, seq = PeopleList.from_page(slug, (await watcher.http.get(f"/r/{slug}")).text)
    names = ["Ana", "Basile", "Chloé", "Dédé", "Eliott", "Fatou"]
    guests = [await people(name) for name in names]
    ids = [await me(g) for g in guests]
    async with AsyncExitStack() as stack, watcher.socket() as w:
        await w.sub(f"presence:{slug}", after=seq)
        sockets: list[Socket] = []
        for guest in guests:
            sock = await stack.enter_async_context(guest.socket())
            await follow(sock, f"room:{slug}")
            sockets.append(sock)
            for frame in await settle(w, f"presence:{slug}"):
                watched.apply(frame["ops"])
                # one arrival: the newcomer and the count, never the others again
                text = str(frame)
                assert sum(n in text for n in names) == 1, frame
                assert len(text.encode()) < 700, len(text.encode())
        # Basile and Eliott open a second tab and close it: they are still here
        async with AsyncExitStack() as second_tabs:
            for index in (1, 4):
                second = await second_tabs.enter_async_context(guests[index].socket())
                await follow(second, f"room:{slug}")
        assert not await settle(w, f"presence:{slug}")
        assert set(ids) <= set(watched.people())
        # then they close their first tab: they leave
        for index in (1, 4):
            await sockets[index].ws.close()
        for frame in await settle(w, f"presence:{slug}"):
            watched.apply(frame["ops"])
        async with guests[1].socket() as back:  # Basile comes back: now last
            await follow(back, f"room:{slug}")
            for frame in await settle(w, f"presence:{slug}"):
                watched.apply(frame["ops"])
            expected = [ids[0], ids[2], ids[3], ids[5], ids[1]]
            here = [i for i in watched.people() if i in ids]
            assert here == expected

            late: Person = await people("Lola Late", Role.MEMBER)
            page, _ = PeopleList.from_page(slug, (await late.http.get(f"/r/{slug}")).text)
            assert page == watched

            # a tab that missed frames beyond the buffer gets the list as published
            async with late.socket() as lost:
                await lost.send({"type": "sub", "topic": f"presence:{slug}"})
                reply_frames = await settle(lost, f"presence:{slug}")
                rebuilt = PeopleList(slug, [], 0, "")
                for frame in reply_frames:
                    rebuilt.apply(frame.get("ops", []))
                assert any(f.get("kind") == "catch_up" for f in reply_frames)
                assert rebuilt.people() == watched.people() and rebuilt.count == watched.count


async def test_a_big_room_names_the_first_and_counts_the_others(
    people: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(presence_module, "SHOWN", 3)
    monkeypatch.setattr(presence_module, "FACES", 2)
    slug = "atelier"
    watcher: Person = await people("Vic Viewer", Role.MEMBER)
    watched, seq = PeopleList.from_page(slug, (await watcher.http.get(f"/r/{slug}")).text)
    guests = [await people(f"Invité {n}") for n in range(5)]
    ids = [await me(g) for g in guests]
    async with AsyncExitStack() as stack, watcher.socket() as w:
        await follow(w, "plan:public")
        await w.sub(f"presence:{slug}", after=seq)
        for guest in guests:
            await follow(await stack.enter_async_context(guest.socket()), f"room:{slug}")
        frames = await settle(w, f"presence:{slug}")
        for frame in frames:
            watched.apply(frame["ops"])
        assert watched.people() == ids[:3]
        assert watched.count == 5 and "2" in watched.more
        plan = [f for f in w.pending + w.seen if f.get("topic") == "plan:public"]
        # the last word on this room's box (another room's may come after it)
        box = [
            op["html"]
            for frame in plan
            for op in frame.get("ops") or ()
            if f'data-occupants="{slug}"' in op.get("html", "")
        ][-1]
        assert "5 personnes" in box and box.count('class="avatar"') == 2 and "+3" in box
        # beyond the first three, an arrival is a count: no name travels
        late_guest = await people("Zoé Dernière")
        await follow(await stack.enter_async_context(late_guest.socket()), f"room:{slug}")
        frames = await settle(w, f"presence:{slug}")
        assert frames and "Zoé" not in str(frames)
        for frame in frames:
            watched.apply(frame["ops"])
        assert watched.count == 6 and watched.people() == ids[:3]


async def test_the_floor_plan_tells_nobody_of_a_room_they_may_not_see(people: Any) -> None:
    guest: Person = await people("Gaston Guest")
    member: Person = await people("Mona Member", Role.MEMBER)
    async with guest.socket() as g, member.socket() as m:
        assert (await g.sub("plan:public"))["type"] == "subscribed"
        refused = await g.sub("plan:members")
        assert refused["type"] == "error" and refused["code"] == "venue/members_only"
        assert "membres" in refused["message"]
        refused = await g.sub("plan:team:bureau")
        assert refused["type"] == "error" and refused["code"] == "venue/team_only"
        refused = await g.sub("plan:team:nowhere")
        assert refused["type"] == "error" and refused["code"] == "venue/unknown_room"
        assert (await g.sub("plan:whatever"))["type"] == "error"
        await follow(m, "plan:members", "plan:public")
        # the member goes into the assembly room: only members hear of it
        async with member.socket() as inside:
            await follow(inside, "room:ag")
            got = await m.expect(type="event", topic="plan:members", within=5)
            assert got["kind"] == "occupancy" and "ag" in got["ops"][0]["target"]
            await asyncio.sleep(0.6)
            assert not [f for f in await g.quiet(0.3) if "ag" in str(f.get("ops", ""))]
        # the guest's socket is still usable
        await g.send({"type": "ping"})
        await g.expect(type="pong")
