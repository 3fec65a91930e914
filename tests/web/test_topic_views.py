"""Every topic's frames are views for their viewer: a socket never shows more than the pages.

For each kind of person (a guest, a member, a team member, a player, a
spectator, the host of a private table), every topic their pages follow (their ``data-topic``) is
subscribed from scratch (catch-up), then changes are made everywhere (chat in
each room, tables set up, joined, played); whatever the socket received must
be found on the pages that person can open. The topics come from the
gateway's registry: a topic family that no page follows fails the test, so a
new topic cannot slip by unchecked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest

from estaminet.people.model import Role
from tests.soirees.test_soiree_http import open_soiree, soiree_post
from tests.support.live_server import LiveServer, Person, Socket, start_server_on
from tests.tables.test_tables_live import create_table, post
from tests.web.test_access_changes import admin_of, set_team, user_id


@pytest.fixture(scope="module")
def live(database_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The venue served for real, on each database."""
    yield from start_server_on(
        database_backend, tmp_path_factory.mktemp("live"), chat_rate_burst=50
    )


_TOPIC = re.compile(r'data-topic="([^"]+)"')
_HREF = re.compile(r'href="(/[^"#?]*)')
_TAG = re.compile(r"<[^>]+>")

MARKERS: set[str] = set()
"""Everything that identifies someone or something in this test: names, titles, messages.
(Words that describe a passing state, "nobody here", "away", are not facts about anyone.)"""


def facts(html: str) -> set[str]:
    """What a piece of HTML tells: which people, tables and messages, which places it links to."""
    text = unescape(_TAG.sub(" ", html))
    return {m for m in MARKERS if m in text} | {f"href:{h}" for h in _HREF.findall(html)}


def frame_html(frame: dict[str, Any]) -> str:
    return " ".join(str(op.get("html", "")) for op in frame.get("ops", []))


async def pages_of(person: Person) -> dict[str, str]:
    """Every page this person can open from the plan: the plan, each room, each table, the
    help desk and the requests for help it links to."""
    found: dict[str, str] = {}
    queue = ["/"]
    while queue:
        path = queue.pop()
        if path in found:
            continue
        response = await person.http.get(path)
        if response.status_code != 200:
            continue
        found[path] = response.text
        for link in _HREF.findall(response.text):
            if re.fullmatch(r"/(r/[\w-]+|t/\d+|s/\d+|help|help/\d+)", link):
                queue.append(link)
    return found


async def gather(sock: Socket) -> list[dict[str, Any]]:
    await sock.send({"type": "ping"})
    await sock.expect(type="pong")
    return [f for f in await sock.quiet(0.5) if f.get("type") == "event"]


def leaks(frames: list[dict[str, Any]], pages: dict[str, str]) -> dict[str, set[str]]:
    """What each topic's frames told that none of the pages following it shows."""
    follow: dict[str, set[str]] = {}
    everything: set[str] = set()
    for html in pages.values():
        shown = facts(html)
        everything |= shown
        for topic in _TOPIC.findall(html):
            follow.setdefault(topic, set()).update(shown)
    found: dict[str, set[str]] = {}
    for frame in frames:
        topic = frame["topic"]
        # A person's own topic (notices, their private tables) is checked against all their pages.
        shown = follow.get(topic, everything) if not topic.startswith("user:") else everything
        extra = facts(frame_html(frame)) - shown
        if extra:
            found.setdefault(topic, set()).update(extra)
    return found


async def test_topic_views_socket_shows_no_more_than_the_pages(
    live: LiveServer, people: Any
) -> None:
    MARKERS.update(
        {"Hôtesse", "Gaspard", "Marcelle", "Théo", "Pauline", "Sacha", "Admin", "Anima"}
        | {"Conciliabule", "Grande tablée", "Messeséquestre", "Table publique"}
        | {f"Nouvelles {slug}" for slug in ("bar", "jeux", "ag", "bureau")}
        | {"Micro muet", "Au secours du coin", "Veillée"}
        | {"Marmite solidaire", "+++"}  # a hat's name; a pledge's communication never goes out
    )
    admin = await admin_of(people)
    host = await people("Hôtesse", role=Role.MEMBER)
    guest = await people("Gaspard")
    member = await people("Marcelle", role=Role.MEMBER)
    team = await people("Théo", role=Role.MEMBER)
    player = await people("Pauline")
    spectator = await people("Sacha")
    # An animator: the stage's raised hands (stagedesk:<slug>) are theirs alone.
    animator = await people("Anima", role=Role.ANIMATOR)
    await set_team(admin, "bureau", await user_id(team), member=True)
    secret = await create_table(host, private="on", title="Conciliabule")
    open_table = await create_table(host, title="Grande tablée", option_rounds="3")
    assert await post(player, open_table, "join", role="player") == 303
    assert await post(spectator, open_table, "join", role="spectator") == 303
    assert await post(host, open_table, "start") == 303
    # The guest asks for help: their request's corner (help:<id>), the members' queue.
    token = await guest.csrf("/help")
    asked = await guest.http.post(
        "/help", data={"csrf": token, "topic": "mic", "words": "Micro muet", "page": "/r/bar"}
    )
    assert asked.status_code == 303
    help_path = asked.headers["location"]
    help_id = int(help_path.rsplit("/", 1)[1])
    # A solidarity hat on the stage (hat:<id>): its progress, for everyone signed in.
    token = await admin.csrf("/hats/new")
    made = await admin.http.post(
        "/hats/new",
        data={
            "csrf": token,
            "name": "Marmite solidaire",
            "beneficiary": "ASBL Marmite",
            "iban": "BE68 5390 0754 7034",
            "goal": "300",
            "room": "scene",
        },
    )
    assert made.status_code == 303, made.text[:300]
    hat_path = made.headers["location"]
    # An evening's soirée (soiree:<id>), opened by the admin (an animator would do).
    soiree_id = await open_soiree(admin, "Veillée", "lowest_unique")

    viewers = {
        "guest": guest,
        "member": member,
        "team": team,
        "player": player,
        "spectator": spectator,
        "host": host,  # at a private table (only its host can be: nobody else sees it)
        "animator": animator,
    }
    covered: set[str] = set()
    sockets: dict[str, Socket] = {}
    async with (
        guest.socket() as g,
        member.socket() as m,
        team.socket() as t,
        player.socket() as p,
        spectator.socket() as s,
        host.socket() as h,
        animator.socket() as a,
    ):
        sockets = {
            "guest": g,
            "member": m,
            "team": t,
            "player": p,
            "spectator": s,
            "host": h,
            "animator": a,
        }
        before: dict[str, dict[str, str]] = {}
        for name, person in viewers.items():
            before[name] = await pages_of(person)
            topics = sorted({t for html in before[name].values() for t in _TOPIC.findall(html)})
            covered |= {topic.split(":", 1)[0] for topic in topics}
            for topic in topics:
                reply = await sockets[name].sub(topic)
                assert reply["type"] == "subscribed", (name, topic, reply)
        # Catch-up: nothing more than the pages show (once everyone is in: presence is live).
        for name, sock in sockets.items():
            frames = await gather(sock)
            assert leaks(frames, await pages_of(viewers[name])) == {}, name

        # Live changes everywhere the person could be concerned.
        for slug in ("bar", "jeux", "ag", "bureau"):
            speaker = h if slug != "bureau" else t
            sent = await speaker.act("chat.send", {"room": slug, "body": f"Nouvelles {slug}"})
            assert sent["type"] == "ack", sent
        await create_table(host, private="on", title="Messeséquestre")
        third = await create_table(host, title="Table publique")
        assert await post(spectator, secret, "join", role="player") == 403
        assert await post(player, third, "join", role="spectator") == 303
        token = await member.csrf(help_path)
        assert (
            await member.http.post(f"{help_path}/take", data={"csrf": token})
        ).status_code == 303
        said = await g.act("help.say", {"request": help_id, "body": "Au secours du coin"}, ref="h1")
        assert said["type"] == "ack", said
        token = await guest.csrf(hat_path)
        pledged = await guest.http.post(
            f"{hat_path}/pledge", data={"csrf": token, "amount": "8", "anonymous": "on"}
        )
        assert pledged.status_code == 303
        assert (await soiree_post(spectator, soiree_id, "join", role="player")).status_code == 303
        assert (await soiree_post(admin, soiree_id, "next")).status_code == 303
        await p.act("table.act", {"table": open_table, "action": {"type": "pick", "number": 3}})
        await h.act("table.act", {"table": open_table, "action": {"type": "pick", "number": 5}})
        for name, sock in sockets.items():
            frames = await gather(sock)
            assert frames, name
            after = await pages_of(viewers[name])
            assert leaks(frames, after) == {}, name
            if name == "host":  # a private table's list reaches its host alone, on their topic
                mine = [
                    f for f in frames if f["topic"].startswith("user:") and f["kind"] == "tables"
                ]
                assert mine and "Messeséquestre" in frame_html(mine[-1])
                assert "Messeséquestre" in after["/r/jeux"]

    assert set(live.app.state.gateway.topic_families) <= covered | {"user"}, (
        "a topic no page follows is not checked here: add it to a page or to this test"
    )
