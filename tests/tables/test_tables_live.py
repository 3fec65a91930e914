"""Game tables through HTTP and the gateway: lobby, start, per-seat views, actions, replay."""

from __future__ import annotations

import json
import re
from typing import Any

from estaminet.people.model import Role
from tests.support.live_server import LiveServer, Person


async def create_table(host: Person, game: str = "lowest_unique", **fields: str) -> int:
    token = await host.csrf("/r/jeux")
    response = await host.http.post(
        "/r/jeux/tables", data={"csrf": token, "game": game, "title": "Soirée", **fields}
    )
    assert response.status_code == 303, response.text[:400]
    return int(response.headers["location"].rsplit("/", 1)[1])


async def post(person: Person, table_id: int, what: str, **fields: str) -> int:
    token = await person.csrf(f"/t/{table_id}")
    response = await person.http.post(f"/t/{table_id}/{what}", data={"csrf": token, **fields})
    return response.status_code


async def started_with_spectators(
    people: Any, tag: str, count: int
) -> tuple[Person, Person, list[Person], int]:
    """A three-round table of two players (its host and Zoé) and ``count`` spectators, started."""
    host, zoe = await people(f"Hôte {tag}", role=Role.MEMBER), await people(f"Zoé {tag}")
    fans = [await people(f"Fan {tag}{i}") for i in range(count)]
    table_id = await create_table(host, option_rounds="3")
    assert await post(zoe, table_id, "join", role="player") == 303
    for fan in fans:
        assert await post(fan, table_id, "join", role="spectator") == 303
    assert await post(host, table_id, "start") == 303
    return host, zoe, fans, table_id


async def a_late_follower_starts_from(fan: Person, topic: str, patched: str) -> None:
    """Someone who follows ``topic`` now gets, whole, the screen the others rebuilt."""
    async with fan.socket() as late:
        await late.sub(topic)
        whole = await late.expect(type="event", topic=topic, kind="catch_up")
        assert whole["ops"][0]["html"] == patched


def seat_topic(page: str) -> str:
    found = re.search(r'data-topic="(table:\d+:(?:seat:\d+|watch|narrator))"', page)
    assert found, page[:800]
    return found.group(1)


async def test_tables_lobby_start_and_private_views(live: LiveServer, people: Any) -> None:
    host, zoe = await people("Hôte", role=Role.MEMBER), await people("Zoé")
    watcher, late = await people("Watcher"), await people("Late")
    table_id = await create_table(host, option_rounds="1")
    assert await post(zoe, table_id, "join", role="player") == 303
    assert await post(watcher, table_id, "join", role="spectator") == 303
    assert await post(zoe, table_id, "start") == 403  # only the host starts
    assert await post(host, table_id, "start") == 303
    assert await post(late, table_id, "join", role="player") == 409  # started: watch only
    host_topic = seat_topic((await host.http.get(f"/t/{table_id}")).text)
    zoe_topic = seat_topic((await zoe.http.get(f"/t/{table_id}")).text)
    watch_topic = seat_topic((await watcher.http.get(f"/t/{table_id}")).text)
    assert {host_topic, zoe_topic} == {f"table:{table_id}:seat:0", f"table:{table_id}:seat:1"}
    assert watch_topic == f"table:{table_id}:watch"
    async with host.socket() as h, zoe.socket() as z, watcher.socket() as w:
        assert (await z.sub(host_topic))[
            "code"
        ] == "tables/not_your_view"  # not someone else's seat
        assert (await w.sub(zoe_topic))["code"] == "tables/not_your_view"
        await h.sub(host_topic)
        await z.sub(zoe_topic)
        await w.sub(watch_topic)
        ack = await z.act("table.act", {"table": table_id, "action": {"type": "pick", "number": 7}})
        assert ack["type"] == "ack"
        zoe_view = (await z.expect(type="event", topic=zoe_topic, kind="view"))["ops"][0]["html"]
        host_view = (await h.expect(type="event", topic=host_topic, kind="view"))["ops"][0]["html"]
        watch_view = (await w.expect(type="event", topic=watch_topic, kind="view"))["ops"][0][
            "html"
        ]
        assert 'class="my-pick"' in zoe_view
        assert 'class="my-pick"' not in host_view and 'class="my-pick"' not in watch_view
        refused = await w.act(
            "table.act", {"table": table_id, "action": {"type": "pick", "number": 1}}, ref="w"
        )
        assert refused["code"] == "tables/not_playing"
        again = await z.act(
            "table.act", {"table": table_id, "action": {"type": "pick", "number": 2}}, ref="z2"
        )
        assert again["code"] == "lowest_unique/already_picked" and again["message"]
        bad = await h.act(
            "table.act", {"table": table_id, "action": {"type": "pick", "number": 999}}, ref="h0"
        )
        assert bad["code"] == "lowest_unique/bad_number" and "10" in bad["message"]
        done = await h.act(
            "table.act", {"table": table_id, "action": {"type": "pick", "number": 3}}, ref="h1"
        )
        assert done["type"] == "ack"
        final = await w.expect(type="event", topic=watch_topic, kind="view")
        assert "7" in final["ops"][0]["html"] and "3" in final["ops"][0]["html"]
    replay = await watcher.http.get(f"/t/{table_id}/replay?step=1")
    assert replay.status_code == 200 and "1" in replay.text
    assert (await late.http.get(f"/t/{table_id}/replay")).status_code == 404


async def test_tables_rules_for_the_lobby(live: LiveServer, people: Any) -> None:
    host, other, guest = (
        await people("Host2", role=Role.MEMBER),
        await people("Other"),
        await people("Guest"),
    )
    table_id = await create_table(host)
    token = await host.csrf(f"/t/{table_id}")
    refused = await host.http.post(f"/t/{table_id}/start", data={"csrf": token})
    assert refused.status_code == 409  # one player is not enough: the page says how many
    assert "2" in refused.text and "6" in refused.text and "(1)" not in refused.text
    assert await post(other, table_id, "join", role="player") == 303
    assert await post(other, table_id, "join", role="dancer") == 400
    other_id = (await other.http.get("/me")).text.split('data-me="')[1].split('"')[0]
    assert await post(host, table_id, "host", user=other_id) == 303  # hand over
    assert await post(host, table_id, "start") == 403  # no longer the host
    assert await post(other, table_id, "kick", user="nobody") == 404
    host_id = (await host.http.get("/me")).text.split('data-me="')[1].split('"')[0]
    assert await post(other, table_id, "kick", user=host_id) == 303
    token = await guest.csrf("/r/jeux")
    private = await guest.http.post(
        "/r/jeux/tables", data={"csrf": token, "game": "lowest_unique", "private": "on"}
    )
    assert private.status_code == 403
    unknown = await guest.http.post("/r/jeux/tables", data={"csrf": token, "game": "chess"})
    assert unknown.status_code == 400
    wrong_room = await guest.http.post(
        "/r/bar/tables", data={"csrf": token, "game": "lowest_unique"}
    )
    assert wrong_room.status_code == 400
    long = await guest.http.post(
        "/r/jeux/tables", data={"csrf": token, "game": "lowest_unique", "title": "x" * 99}
    )
    assert long.status_code == 400
    assert await post(other, table_id, "end") == 303
    assert (await other.http.get(f"/t/{table_id}/replay")).status_code == 404  # never started


async def test_tables_private_table_is_hidden(live: LiveServer, people: Any) -> None:
    host, stranger = await people("PrivHost", role=Role.MEMBER), await people("Stranger")
    table_id = await create_table(host, private="on")
    assert (await stranger.http.get(f"/t/{table_id}")).status_code == 403
    assert (await stranger.http.get("/t/999999")).status_code == 404
    assert f"/t/{table_id}" not in (await stranger.http.get("/r/jeux")).text
    assert f"/t/{table_id}" in (await host.http.get("/r/jeux")).text


async def test_tables_chat_channels_follow_the_rules(live: LiveServer, people: Any) -> None:
    host, zoe, fan = (
        await people("ChatHost", role=Role.MEMBER),
        await people("ChatZoé"),
        await people("Fan"),
    )
    table_id = await create_table(host)
    await post(zoe, table_id, "join", role="player")
    await post(fan, table_id, "join", role="spectator")
    assert await post(host, table_id, "start") == 303
    zoe_topic = seat_topic((await zoe.http.get(f"/t/{table_id}")).text)
    fan_topic = seat_topic((await fan.http.get(f"/t/{table_id}")).text)
    async with zoe.socket() as z, fan.socket() as f:
        await z.sub(zoe_topic)
        await f.sub(fan_topic)
        said = await f.act(
            "table.chat", {"table": table_id, "channel": "spectators", "body": "allez Zoé"}
        )
        assert said["type"] == "ack"
        assert "allez Zoé" in (await f.expect(type="event", kind="chat"))["ops"][0]["html"]
        cheat = await f.act(
            "table.chat", {"table": table_id, "channel": "table", "body": "il a 3"}, ref="c"
        )
        assert cheat["code"] == "tables/channel_closed"
        said = await z.act(
            "table.chat", {"table": table_id, "channel": "table", "body": "bonne chance"}, ref="z"
        )
        assert said["type"] == "ack"
        seen_by_fan = await f.expect(type="event", kind="chat")
        assert "bonne chance" in seen_by_fan["ops"][0]["html"]
        frames = await z.quiet(0.5)
        assert not any("allez Zoé" in json.dumps(frame) for frame in frames + z.seen)
    page = (await zoe.http.get(f"/t/{table_id}")).text
    assert "bonne chance" in page and "allez Zoé" not in page


async def test_tables_away_player_keeps_the_seat(live: LiveServer, people: Any) -> None:
    host, zoe = await people("AwayHost", role=Role.MEMBER), await people("AwayZoé")
    table_id = await create_table(host)
    await post(zoe, table_id, "join", role="player")
    assert await post(host, table_id, "start") == 303
    zoe_topic = seat_topic((await zoe.http.get(f"/t/{table_id}")).text)
    host_topic = seat_topic((await host.http.get(f"/t/{table_id}")).text)
    async with host.socket() as h:
        await h.sub(host_topic)
        await h.sub(f"table:{table_id}")
        async with zoe.socket() as z:
            await z.sub(zoe_topic)
            await h.expect(type="event", topic=f"table:{table_id}", kind="lobby")
        gone = await h.expect(type="event", topic=f"table:{table_id}", kind="lobby")
        assert "badge--away" in gone["ops"][0]["html"] and "AwayZoé" in gone["ops"][0]["html"]
    assert await post(zoe, table_id, "leave") == 409  # the seat is kept during the game


async def test_tables_host_tools_refuse_what_would_break_a_game(
    live: LiveServer, people: Any
) -> None:
    host, zoe, fan = (
        await people("ToolHost", role=Role.MEMBER),
        await people("ToolZoé"),
        await people("ToolFan"),
    )
    table_id = await create_table(host)
    await post(zoe, table_id, "join", role="player")
    await post(fan, table_id, "join", role="spectator")
    fan_id = (await fan.http.get("/me")).text.split('data-me="')[1].split('"')[0]
    zoe_id = (await zoe.http.get("/me")).text.split('data-me="')[1].split('"')[0]
    assert await post(host, table_id, "host", user=fan_id) == 400  # a spectator cannot host
    assert await post(host, table_id, "start") == 303
    token = await host.csrf(f"/t/{table_id}")
    refused = await host.http.post(f"/t/{table_id}/kick", data={"csrf": token, "user": zoe_id})
    assert refused.status_code == 409  # her seat is kept during the game, and the host is told so
    assert "ToolZoé joue dans cette partie" in refused.text
    assert "Ta place" not in refused.text  # not the refusal meant for the player herself
    assert await post(host, table_id, "kick", user=fan_id) == 303  # a spectator can be shown out
    assert (
        await post(zoe, table_id, "join", role="player") == 303
    )  # already seated: nothing changes
    assert (await zoe.http.get(f"/t/{table_id}/replay?step=abc")).status_code == 404  # not over yet


async def test_tables_views_travel_as_patches_a_late_joiner_sees_the_same(
    live: LiveServer, people: Any
) -> None:
    """After the first view, a move sends each viewer a patch of their own previous view;
    spectators all get the same frame; a late spectator's whole view equals the patched one."""
    host, zoe, fans, table_id = await started_with_spectators(people, "P", 3)
    host_topic = seat_topic((await host.http.get(f"/t/{table_id}")).text)
    zoe_topic = seat_topic((await zoe.http.get(f"/t/{table_id}")).text)
    watch = f"table:{table_id}:watch"
    async with host.socket() as h, zoe.socket() as z, fans[0].socket() as f0:
        async with fans[1].socket() as f1:
            for sock, topic in ((h, host_topic), (z, zoe_topic), (f0, watch), (f1, watch)):
                await sock.sub(topic)
                catch_up = await sock.expect(type="event", topic=topic, kind="catch_up")
                assert catch_up["ops"][0] == {
                    "op": "replace",
                    "target": "#table-view",
                    "html": catch_up["ops"][0]["html"],
                    "keep": True,
                }
            raw: list[str] = []
            for round_, (a, b) in enumerate(((4, 5), (2, 9))):
                assert (
                    await h.act(
                        "table.act",
                        {"table": table_id, "action": {"type": "pick", "number": a}},
                        ref=f"h{round_}",
                    )
                )["type"] == "ack"
                mine = await z.expect(type="event", topic=zoe_topic, kind="view")
                assert (
                    await z.act(
                        "table.act",
                        {"table": table_id, "action": {"type": "pick", "number": b}},
                        ref=f"z{round_}",
                    )
                )["type"] == "ack"
                for sock in (f0, f1):
                    for _ in range(2):
                        frame = await sock.expect(type="event", topic=watch, kind="view")
                        op = frame["ops"][0]
                        # A patch, much smaller than the view it rebuilds.
                        assert op["op"] == "patch"
                        edits = json.dumps(op["edits"], ensure_ascii=False)
                        assert len(edits) * 3 < len(op["html"])
                        assert "my-pick" not in edits  # nobody's own pick
                        if sock is f0:
                            raw.append(edits)
                        else:
                            assert edits == raw.pop(0)  # every spectator: the same frame
                assert mine["ops"][0]["op"] == "patch"
            patched = "".join(f0.kept[(watch, "#table-view")])
        await a_late_follower_starts_from(fans[2], watch, patched)


async def test_tables_followers_start_from_the_topic_s_last_screen_rendered_once(
    live: LiveServer, people: Any
) -> None:
    """Spectators who follow a table after its last frame all start from that frame's screen,
    rendered once for all of them (not once each), and the next move reaches them as a patch
    of it that rebuilds what a later follower starts from."""
    tables = live.app.state.tables
    host, _zoe, fans, table_id = await started_with_spectators(people, "R", 4)
    watch = f"table:{table_id}:watch"
    render = tables.render_view
    rendered: list[str] = []

    def counted(table: Any, live_: Any, view: Any, viewer: Any, *args: Any) -> str:
        rendered.append(viewer.kind.value)
        return str(render(table, live_, view, viewer, *args))

    tables.render_view = counted
    try:
        async with fans[0].socket() as f0, fans[1].socket() as f1, fans[2].socket() as f2:
            starts = []
            for sock in (f0, f1, f2):
                await sock.sub(watch)
                starts.append((await sock.expect(type="event", topic=watch, kind="catch_up"))[
                    "ops"][0]["html"])  # fmt: skip
            assert starts[0] == starts[1] == starts[2]
            assert rendered.count("spectator") == 1
            async with host.socket() as h:
                pick = {"table": table_id, "action": {"type": "pick", "number": 4}}
                assert (await h.act("table.act", pick, ref="r1"))["type"] == "ack"
                for sock in (f0, f1, f2):
                    frame = await sock.expect(type="event", topic=watch, kind="view")
                    assert frame["ops"][0]["op"] == "patch"
                patched = "".join(f0.kept[(watch, "#table-view")])
            await a_late_follower_starts_from(fans[3], watch, patched)
            assert rendered.count("spectator") == 2  # the start, then the move's screen
    finally:
        tables.render_view = render
