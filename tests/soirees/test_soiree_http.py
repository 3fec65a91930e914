"""Soirées through HTTP and the gateway: open, join, the banner that leads people on, the
watchers' vote form, refusals in French."""

from __future__ import annotations

import re
from typing import Any

from estaminet.people.model import Role
from tests.support.live_server import LiveServer, Person
from tests.tables.test_tables_live import post


async def open_soiree(animator: Person, title: str = "Veillée", *games: str) -> int:
    token = await animator.csrf("/r/jeux")
    fields = {f"game_{n}": key for n, key in enumerate(games or ("lowest_unique",), start=1)}
    response = await animator.http.post(
        "/r/jeux/soirees", data={"csrf": token, "title": title, **fields}
    )
    assert response.status_code == 303, response.text[:400]
    return int(response.headers["location"].rsplit("/", 1)[1])


async def soiree_post(person: Person, soiree_id: int, what: str, **fields: str) -> Any:
    token = await person.csrf(f"/s/{soiree_id}")
    return await person.http.post(f"/s/{soiree_id}/{what}", data={"csrf": token, **fields})


async def test_soiree_http_leads_its_people_to_the_next_table(
    live: LiveServer, people: Any
) -> None:
    animator = await people("Animatrice", role=Role.ANIMATOR)
    player, watcher, outsider = (
        await people("Joueuse"),
        await people("Guetteur"),
        await people("Passant"),
    )
    soiree_id = await open_soiree(animator, "Veillée", "lowest_unique", "petit_bac")
    room = (await outsider.http.get("/r/jeux")).text
    assert f'href="/s/{soiree_id}"' in room and "Veillée" in room
    assert "Ouvrir une soirée" not in room  # a guest cannot open one
    assert (await soiree_post(player, soiree_id, "join", role="player")).status_code == 303
    assert (await soiree_post(watcher, soiree_id, "join", role="watcher")).status_code == 303
    page = (await watcher.http.get(f"/s/{soiree_id}")).text
    assert f'data-topic="soiree:{soiree_id}"' in page and "data-soiree-follow" in page
    assert "10" in page and "Les ex æquo partagent" in page  # the rule, stated
    assert "data-soiree-follow" not in (await outsider.http.get(f"/s/{soiree_id}")).text
    async with watcher.socket() as w, outsider.socket() as o:
        for sock in (w, o):
            assert (await sock.sub(f"soiree:{soiree_id}"))["type"] == "subscribed"
        moved = await soiree_post(animator, soiree_id, "next")
        assert moved.status_code == 303
        table_id = int(moved.headers["location"].rsplit("/", 1)[1])
        frame = await w.expect(type="event", topic=f"soiree:{soiree_id}", kind="soiree")
        html = " ".join(op["html"] for op in frame["ops"])
        assert f'data-soiree-go="/t/{table_id}"' in html
        same = await o.expect(type="event", topic=f"soiree:{soiree_id}", kind="soiree")
        assert same["ops"] == frame["ops"]  # one view for everyone who may enter the room
    table = (await player.http.get(f"/t/{table_id}")).text
    assert "data-soiree-follow" in table and f'data-soiree-go="/t/{table_id}"' in table
    assert re.search(r'data-topic="soiree:\d+"', table)
    # The player sits, the watcher watches: the vote form is the watcher's alone.
    assert await post(animator, table_id, "options", option_rounds="1") == 303
    assert await post(animator, table_id, "start") == 303
    watching = (await watcher.http.get(f"/t/{table_id}")).text
    assert "Qui a le mieux joué" in watching and 'action="/t/' in watching
    assert "Qui a le mieux joué" not in (await player.http.get(f"/t/{table_id}")).text
    token = await watcher.csrf(f"/t/{table_id}")
    voted = await watcher.http.post(f"/t/{table_id}/vote", data={"csrf": token, "seat": "0"})
    assert voted.status_code == 303
    assert "Tu as désigné" in (await watcher.http.get(f"/t/{table_id}")).text
    again = await watcher.http.post(f"/t/{table_id}/vote", data={"csrf": token, "seat": "1"})
    assert again.status_code == 409 and "Tu as déjà voté" in again.text
    token = await player.csrf(f"/t/{table_id}")
    refused = await player.http.post(f"/t/{table_id}/vote", data={"csrf": token, "seat": "0"})
    assert refused.status_code == 403 and "ne votent pas" in refused.text
    busy = await soiree_post(animator, soiree_id, "next")
    assert busy.status_code == 409 and "pas finie" in busy.text


async def test_soiree_http_refusals_are_translated(live: LiveServer, people: Any) -> None:
    animator, guest = await people("Anim", role=Role.ANIMATOR), await people("Invitée")
    token = await guest.csrf("/r/jeux")
    forbidden = await guest.http.post(
        "/r/jeux/soirees", data={"csrf": token, "title": "Moi", "game_1": "lowest_unique"}
    )
    assert forbidden.status_code == 403 and "animateur·rices" in forbidden.text
    token = await animator.csrf("/r/jeux")
    for fields, words in (
        ({"title": "", "game_1": "lowest_unique"}, "Donne un nom"),
        ({"title": "Soir"}, "au moins un jeu"),
        ({"title": "Soir", "game_1": "échecs"}, "Ce jeu n"),
        ({"title": "Soir", "game_1": "lowest_unique", "event": "12:nope"}, "Cette date"),
        ({"title": "Soir", "game_1": "lowest_unique", "event": "abc"}, "Cette date"),
    ):
        response = await animator.http.post("/r/jeux/soirees", data={"csrf": token, **fields})
        assert response.status_code in (400, 404), (fields, response.status_code)
        assert words in response.text, fields
    async with guest.socket() as g:
        assert (await g.sub("soirees:jeux"))["type"] == "subscribed"
        soiree_id = await open_soiree(animator, "Nouvelle veillée")
        listed = await g.expect(type="event", topic="soirees:jeux", kind="soirees")
        assert "Nouvelle veillée" in listed["ops"][0]["html"]  # the games room's list, live
    bad_role = await soiree_post(guest, soiree_id, "join", role="narrator")
    assert bad_role.status_code == 400 and "jouer ou regarder" in bad_role.text
    not_host = await soiree_post(guest, soiree_id, "next")
    assert not_host.status_code == 403 and "anime la soirée" in not_host.text
    assert (await guest.http.get("/s/999999")).status_code == 404
    assert (await guest.http.get("/s/abc")).status_code == 404
    assert (await soiree_post(animator, soiree_id, "end")).status_code == 303
    page = (await guest.http.get(f"/s/{soiree_id}")).text
    assert "Le podium" in page and "pas de podium" in page
    room = (await guest.http.get("/r/jeux")).text  # kept: the room links to past soirées
    assert "Soirées passées" in room and f'href="/s/{soiree_id}"' in room
    late = await soiree_post(guest, soiree_id, "join", role="player")
    assert late.status_code == 409 and "Cette soirée est finie" in late.text
