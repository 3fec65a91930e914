"""A whole Loup-Garou game through the gateway, driven by the buttons each player's screen shows.

Every frame each player receives is checked: a player never receives a role
they may not know (another living player's role, unless the rules told them).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import random
import re
from typing import Any

from estaminet.people.model import Role
from tests.support.live_server import LiveServer, Person, Socket
from tests.tables.test_tables_live import create_table, post, seat_topic

ACTION = re.compile(r"data-table-action='([^']*)'")
SEAT = re.compile(
    r'<li class="ww-seat([^"]*)">.*?<span class="ww-seat-name">(.*?)</span>(.*?)</li>', re.S
)
ROLE_BADGE = re.compile(r'<span class="badge ww-known-role">(.*?)</span>')
YOUR_ROLE = re.compile(r'<p class="ww-role">(.*?)</p>')


def actions_in(page: str) -> list[dict[str, Any]]:
    return [json.loads(html.unescape(raw)) for raw in ACTION.findall(page)]


def known_roles(page: str) -> dict[str, tuple[str, bool]]:
    """Seat name → (role shown, alive) in the village list of one screen."""
    found = {}
    for classes, name, rest in SEAT.findall(page):
        badge = ROLE_BADGE.search(rest)
        if badge:
            found[re.sub(r" \(.*\)$", "", html.unescape(name))] = (
                badge.group(1),
                "dead" not in classes,
            )
    return found


async def test_werewolf_whole_game_through_the_screens(live: LiveServer, people: Any) -> None:
    names = ["Alice", "Bruno", "Chloé", "Didier", "Emma", "Farid", "Gaëlle", "Hugo"]
    players: list[Person] = [await people(n, role=Role.MEMBER) for n in names]
    fan = await people("Spectatrice")
    table_id = await create_table(players[0], game="werewolf")
    for person in players[1:]:
        assert await post(person, table_id, "join", role="player") == 303
    assert await post(fan, table_id, "join", role="spectator") == 303
    assert await post(players[0], table_id, "start") == 303
    topics = [seat_topic((await p.http.get(f"/t/{table_id}")).text) for p in players]
    pages: dict[int, str] = {}
    my_role: dict[int, str] = {}
    rng = random.Random(7)

    async with asyncio.timeout(240), contextlib.AsyncExitStack() as stack:
        sockets: list[Socket] = []
        for person, topic in zip(players, topics, strict=True):
            sock = await stack.enter_async_context(person.socket())
            sockets.append(sock)
            await sock.sub(topic)
        for i, person in enumerate(players):
            pages[i] = (await person.http.get(f"/t/{table_id}")).text
            my_role[i] = YOUR_ROLE.search(pages[i]).group(1)
        wolves = {i for i, r in my_role.items() if r in ("Loup-Garou", "Werewolf")}
        assert 1 <= len(wolves) <= 3
        over = False
        for _ in range(400):
            moved = False
            order = list(range(len(players)))
            rng.shuffle(order)
            for i in order:
                choices = actions_in(pages[i])
                if not choices:
                    continue
                choice = rng.choice(choices)
                reply = await sockets[i].act(
                    "table.act", {"table": table_id, "action": choice}, ref=f"{_}-{i}"
                )
                if reply["type"] == "ack":
                    moved = True
                for frame in await sockets[i].quiet(0.05):
                    if frame.get("type") == "event" and frame.get("kind") in (
                        "view",
                        "catch_up",
                    ):
                        pages[i] = frame["ops"][0]["html"]
            await asyncio.sleep(0.05)
            for i, sock in enumerate(sockets):
                for frame in await sock.quiet(0.02):
                    if frame.get("type") == "event" and frame.get("kind") in (
                        "view",
                        "catch_up",
                    ):
                        pages[i] = frame["ops"][0]["html"]
            if any("ww-outcome" in page for page in pages.values()):
                over = True
                break
            if not moved:
                # Nobody can act: the table waits on a timer (a call whose player is dead
                # lasts up to the call's time and a quarter, 50 s): the server's clock skips it.
                live.skip(15)
                await asyncio.sleep(0.1)
        assert over, "the game did not reach its end"
        # No frame ever showed a player a living stranger's role they could not know.
        for i, sock in enumerate(sockets):
            for frame in sock.seen:
                if frame.get("type") != "event" or frame.get("topic") != topics[i]:
                    continue
                shown = frame["ops"][0]["html"]
                if "ww-outcome" in shown:
                    continue  # everything is revealed at the end
                for name, (role, alive) in known_roles(shown).items():
                    if name == names[i] or not alive:
                        continue
                    if i in wolves and role in ("Loup-Garou", "Werewolf"):
                        continue
                    assert my_role[i] in (
                        "Voyante",
                        "Seer",
                        "Cupidon",
                        "Cupid",
                        "Voleur",
                        "Thief",
                    ) or (i in wolves), f"{names[i]} ({my_role[i]}) was shown {name} = {role}"
    watch = (await fan.http.get(f"/t/{table_id}")).text
    assert "ww-outcome" in watch
    replay = await players[1].http.get(f"/t/{table_id}/replay?step=0")
    assert replay.status_code == 200


async def test_werewolf_options_and_composition_in_the_lobby(live: LiveServer, people: Any) -> None:
    host = await people("Meneuse", role=Role.MEMBER)
    table_id = await create_table(host, game="werewolf")
    page = (await host.http.get(f"/t/{table_id}")).text
    assert 'name="role_werewolf"' in page and 'name="option_captain"' in page
    token = await host.csrf(f"/t/{table_id}")
    fields = {
        "csrf": token,
        "option_reveal_roles_on_death": "on",
        "option_little_girl_risk": "35",
        "option_debate_seconds": "300",
        "custom_composition": "on",
        "role_werewolf": "3",
        "role_villager": "3",
    }
    assert (await host.http.post(f"/t/{table_id}/options", data=fields)).status_code == 303
    lobby = (await host.http.get(f"/t/{table_id}")).text
    assert "3 × " in lobby and "balance--wolves_favoured" in lobby
    assert 'name="option_little_girl_risk" min="0" max="100" value="35"' in lobby
    others = [await people(f"P{i}") for i in range(5)]
    for person in others:
        await post(person, table_id, "join", role="player")
    token = await host.csrf(f"/t/{table_id}")
    refused = await host.http.post(f"/t/{table_id}/start", data={"csrf": token})
    assert refused.status_code == 400  # 3 werewolves among 6: the rules refuse, the page says why
    assert (
        "werewolf/too_many_wolves" in refused.text
        or "Werewolves" in refused.text
        or "Loups" in refused.text
    )
    fields.update(csrf=token, role_werewolf="2", role_villager="2")
    assert (await host.http.post(f"/t/{table_id}/options", data=fields)).status_code == 303
    refused = await host.http.post(f"/t/{table_id}/start", data={"csrf": token})
    assert (
        refused.status_code == 400 and "4" in refused.text and "6" in refused.text
    )  # 4 cards, 6 needed
    bad = await host.http.post(
        f"/t/{table_id}/options", data={"csrf": token, "option_debate_seconds": "lots"}
    )
    assert bad.status_code == 400


async def test_werewolf_first_night_with_an_apprentice_narrator(
    live: LiveServer, people: Any
) -> None:
    narrator = await people("Apprentie", role=Role.MEMBER)
    players = [await people(n) for n in ["Jo", "Kim", "Léa", "Max", "Noé", "Oli", "Pia", "Quentin"]]
    table_id = await create_table(narrator, game="werewolf", narrator="on")
    for person in players:
        assert await post(person, table_id, "join", role="player") == 303
    assert await post(narrator, table_id, "start") == 303
    page = (await narrator.http.get(f"/t/{table_id}")).text
    assert seat_topic(page) == f"table:{table_id}:narrator"
    assert "ww-narrator" in page and "ww-read" in page  # the line to read aloud
    topics = [seat_topic((await p.http.get(f"/t/{table_id}")).text) for p in players]
    rng = random.Random(3)
    async with contextlib.AsyncExitStack() as stack:
        n = await stack.enter_async_context(narrator.socket())
        await n.sub(f"table:{table_id}:narrator")
        socks = [await stack.enter_async_context(p.socket()) for p in players]
        for sock, topic in zip(socks, topics, strict=True):
            await sock.sub(topic)
        screens = {i: (await p.http.get(f"/t/{table_id}")).text for i, p in enumerate(players)}
        narrator_screen = page
        undone = False
        saw_night = False
        for step in range(80):
            for i, sock in enumerate(socks):
                for frame in await sock.quiet(0.03):
                    if frame.get("kind") in ("view", "catch_up"):
                        screens[i] = frame["ops"][0]["html"]
            for frame in await n.quiet(0.05):
                if frame.get("kind") in ("view", "catch_up"):
                    narrator_screen = frame["ops"][0]["html"]
            if "werewolf--night" in narrator_screen:
                saw_night = True
            if saw_night and "werewolf--day" in narrator_screen:
                break
            for i, sock in enumerate(socks):
                choices = actions_in(screens[i])
                if choices:
                    await sock.act(
                        "table.act",
                        {"table": table_id, "action": rng.choice(choices)},
                        ref=f"p{step}-{i}",
                    )
            await asyncio.sleep(0.05)
            for frame in await n.quiet(0.05):
                if frame.get("kind") in ("view", "catch_up"):
                    narrator_screen = frame["ops"][0]["html"]
            moves = actions_in(narrator_screen)
            # "Next" as the screen offers it: confirmed when someone has not acted yet.
            going_on = [m for m in moves if m["type"] == "narrator_next"]
            assert len(going_on) == 1, narrator_screen[:2000]
            if going_on[0].get("confirm"):
                refused = await n.act(
                    "table.act",
                    {"table": table_id, "action": {"type": "narrator_next"}},
                    ref=f"r{step}",
                )
                assert refused["code"] == "werewolf/unconfirmed_default", refused
            reply = await n.act(
                "table.act", {"table": table_id, "action": going_on[0]}, ref=f"n{step}"
            )
            assert reply["type"] == "ack", reply
            narrator_screen = (await n.expect(type="event", kind="view"))["ops"][0]["html"]
            if not undone and {"type": "narrator_undo"} in actions_in(narrator_screen):
                reply = await n.act(
                    "table.act",
                    {"table": table_id, "action": {"type": "narrator_undo"}},
                    ref=f"u{step}",
                )
                assert reply["type"] == "ack"
                back = (await n.expect(type="event", kind="view"))["ops"][0]["html"]
                assert {"type": "narrator_undo"} not in actions_in(
                    back
                )  # one step back, nothing more to undo
                undone = True
                narrator_screen = back
        assert saw_night and "werewolf--day" in narrator_screen, "the first night did not end"
        assert undone, "the narrator never had a step to undo"
        for sock in socks:  # players never get the narrator's script
            assert not any("ww-narrator" in json.dumps(f) for f in sock.seen)
        forged = await socks[0].act(
            "table.act", {"table": table_id, "action": {"type": "narrator_next"}}, ref="forged"
        )
        assert forged["type"] == "error"
