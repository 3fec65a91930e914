"""A sitting across two real instances (PostgreSQL, Redis, nginx, two ``estaminet serve``):
each instance caches the sitting, and an action through one instance is never refused
because that instance's copy is behind a commit made through the other.

The case found with real processes: a hand raised through instance B, then "give the floor"
through instance A, whose copy of the sitting still had an empty queue (it answered
``assembly/queue_empty``). The engine checks a refusal against the log first
(docs/architecture.md, "Live activities"); ``tests/live/test_engine_instances.py`` runs the
same cases with two engines on both databases.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from estaminet.people.model import Role
from tests.scale.test_two_instances import (  # noqa: F401 - the module's own cluster
    Browser,
    Cluster,
    browsers,
    cluster,
)
from tests.support.live_server import Socket

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

SEAT_TOPIC = re.compile(r'data-topic="(table:\d+:seat:\d+)"')
FIRST_OFFER = re.compile(r"data-table-action='[^']*\"index\": 0[,}][^']*'[^>]*>([^<(]+) \(")


async def seat_of(person: Browser, sitting: int) -> int:
    page = (await person.http.get(f"/a/{sitting}")).text
    found = re.search(r'data-topic="table:\d+:seat:(\d+)"', page)
    assert found, page[:800]
    return int(found.group(1))


async def ok(sock: Socket, sitting: int, ref: str, **action: Any) -> dict[str, Any]:
    answer = await sock.act("table.act", {"table": sitting, "action": action}, ref=ref)
    assert answer["type"] == "ack", answer
    return answer


async def test_live_instances_a_hand_raised_through_b_then_the_floor_given_through_a(
    cluster: Cluster,  # noqa: F811
    browsers: Any,  # noqa: F811
) -> None:
    one, two = (cluster.port_of(s) for s in cluster.instances)
    animator = await browsers("Ana Animatrice", Role.ANIMATOR)
    anais = await browsers("Anaïs", Role.MEMBER)
    bruno = await browsers("Bruno", Role.MEMBER)
    chloe = await browsers("Chloé", Role.MEMBER)
    tim = await browsers("Tim", Role.MEMBER)
    ids = {name: await b.user_id() for name, b in [("a", anais), ("b", bruno), ("c", chloe)]}
    token = await animator.csrf("/r/ag/assemblies/new")
    response = await animator.http.post(
        "/r/ag/assemblies",
        data={
            "csrf": token,
            "title": "AG à deux instances",
            "date": "2026-12-04T19:00",
            "convocation": "Bienvenue.",
            "agenda": "Accueil (5 min)\nDivers (5 min)\n",
            "voters_mode": "list",
            "voters": list(ids.values()),
            "quorum": "1/2",
            "speaking_minutes": "2",
            "facilitator": ids["a"],
            "secretary": ids["b"],
            "timekeeper": await tim.user_id(),
        },
    )
    assert response.status_code == 303, response.text[:600]
    sitting = int(response.headers["location"].rsplit("/", 1)[1])
    await seat_of(chloe, sitting)  # convened: she has a seat
    fac_topic = f"table:{sitting}:seat:{await seat_of(anais, sitting)}"
    async with (
        anais.socket(on=one) as (fac, _),
        chloe.socket(on=two) as (member, _),
        bruno.socket(on=two) as (other, _),
    ):
        # Through A: A's engine holds the sitting, current.
        await ok(fac, sitting, "in", type="attendance.check_in")
        await ok(fac, sitting, "open", type="sitting.open")
        await ok(fac, sitting, "next", type="agenda.next_item")
        # Through B: Chloé comes in and raises her hand; A's copy does not hear of it.
        await ok(member, sitting, "c-in", type="attendance.check_in")
        await ok(member, sitting, "hand", type="speaker.raise_hand")
        # Through A again: the floor goes to the hand raised through B.
        await ok(fac, sitting, "floor", type="speaker.give_floor")
        # And B, now behind A's commit, lets Chloé end her turn.
        await ok(member, sitting, "end", type="speaker.end_turn")
        # Bruno's hand, through B: the facilitator's screen caught up on A shows it.
        await ok(other, sitting, "b-in", type="attendance.check_in")
        await ok(other, sitting, "b-hand", type="speaker.raise_hand")
        assert (await fac.sub(fac_topic))["type"] == "subscribed"
        whole = await fac.expect(type="event", topic=fac_topic, kind="catch_up")
        screen = str(whole["ops"][0]["html"])
        assert 'class="queue"' in screen, screen[:400]
        assert "Bruno" in screen.split('class="queue"')[1].split("</ol>")[0]


async def test_live_instances_turns_pass_from_one_instance_to_the_other(
    cluster: Cluster,  # noqa: F811
    browsers: Any,  # noqa: F811
) -> None:
    """L'Intrus, four players, two on each instance, in turn: the players try to give a clue
    one after the other, again and again; the one whose turn it is gets it through, wherever
    the last clue went (each pass moves on), and every other is refused as not their turn."""
    one, two = (cluster.port_of(s) for s in cluster.instances)
    host = await browsers("Hôte", Role.MEMBER)
    guests = [await browsers(name) for name in ("Inès", "Jules", "Karim")]
    token = await host.csrf("/r/jeux")
    response = await host.http.post(
        "/r/jeux/tables", data={"csrf": token, "game": "intrus", "title": "Deux instances"}
    )
    assert response.status_code == 303, response.text[:400]
    table = int(response.headers["location"].rsplit("/", 1)[1])
    for guest in guests:
        token = await guest.csrf(f"/t/{table}")
        joined = await guest.http.post(f"/t/{table}/join", data={"csrf": token, "role": "player"})
        assert joined.status_code == 303
    token = await host.csrf(f"/t/{table}")
    assert (await host.http.post(f"/t/{table}/start", data={"csrf": token})).status_code == 303
    players = [host, *guests]
    async with (
        players[0].socket(on=one) as (s0, _),
        players[1].socket(on=two) as (s1, _),
        players[2].socket(on=one) as (s2, _),
        players[3].socket(on=two) as (s3, _),
    ):
        socks = [s0, s1, s2, s3]
        given = 0
        for attempt in range(len(players)):  # each pass gives at least the next clue
            if given == len(players):
                break
            progressed = False
            for n, sock in enumerate(socks):
                if given == len(players):
                    break
                action = {"type": "clue", "word": "bidule"}
                answer = await sock.act(
                    "table.act", {"table": table, "action": action}, ref=f"{attempt}-{n}"
                )
                if answer["type"] == "ack":
                    given, progressed = given + 1, True
                else:
                    # Refused only when it is really not this player's turn.
                    assert answer["code"] == "intrus/not_your_turn", answer
            assert progressed, f"pass {attempt}: the player whose turn it is was refused"
        assert given == len(players)


async def test_live_instances_a_guess_through_the_other_instance_is_a_move_not_chat(
    cluster: Cluster,  # noqa: F811
    browsers: Any,  # noqa: F811
) -> None:
    """Le Dessin: the word chosen through A; the right guess, typed in the chat through B
    (whose copy of the table was read before the choice), is a move, posted nowhere: read
    from B's old copy it would have been chat, giving the word away. (No view topic is
    followed here: a topic's patches are based on the screen its publishing instance sent
    last, and that screen is kept per instance: a separate matter.)"""
    one, two = (cluster.port_of(s) for s in cluster.instances)
    host = await browsers("Hôte dessin", Role.MEMBER)
    guest = await browsers("Devine")
    token = await host.csrf("/r/jeux")
    response = await host.http.post(
        "/r/jeux/tables",
        data={"csrf": token, "game": "dessin", "title": "Deux", "option_hints": "0"},
    )
    assert response.status_code == 303, response.text[:400]
    table = int(response.headers["location"].rsplit("/", 1)[1])
    token = await guest.csrf(f"/t/{table}")
    joined = await guest.http.post(f"/t/{table}/join", data={"csrf": token, "role": "player"})
    assert joined.status_code == 303
    token = await host.csrf(f"/t/{table}")
    assert (await host.http.post(f"/t/{table}/start", data={"csrf": token})).status_code == 303
    pages = {p: (await p.http.get(f"/t/{table}")).text for p in (host, guest)}
    topics = {p: SEAT_TOPIC.search(page).group(1) for p, page in pages.items()}  # type: ignore[union-attr]
    drawer = next(p for p in pages if topics[p].endswith(":seat:0"))
    guesser = guest if drawer is host else host
    offer = FIRST_OFFER.search(pages[drawer].replace("&#34;", '"'))
    assert offer, pages[drawer][:2000]
    word = offer.group(1).strip()
    async with drawer.socket(on=one) as (d, _), guesser.socket(on=two) as (g, _):
        # B reads the table, still choosing: a word in the chat, posted.
        said = {"table": table, "channel": "table", "body": "zanzibar ?"}
        assert (await g.act("table.chat", said, ref="early"))["data"]["message"] is not None
        choose = {"type": "choose", "index": 0}
        assert (await d.act("table.act", {"table": table, "action": choose}))["type"] == "ack"
        right = {"table": table, "channel": "table", "body": word}
        ack = await g.act("table.chat", right, ref="guess")
        assert ack["type"] == "ack" and ack["data"]["message"] is None, ack
