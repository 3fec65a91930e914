"""L'atelier's help desk over HTTP and the gateway: asking, volunteers notified, the queue,
taking a request, the private corner (its chat and who may follow it), settling, bad input."""

from __future__ import annotations

import re
from typing import Any

from estaminet.people.model import Role
from tests.support.live_server import LiveServer, Person


async def _ask(person: Person, **fields: Any) -> Any:
    token = await person.csrf("/help?from=/r/bar")
    data = {"csrf": token, "topic": "mic", "words": "Mon micro ne marche pas", "page": "/r/bar",
            "mic": "denied", **fields}  # fmt: skip
    return await person.http.post("/help", data=data)


def _request_id(response: Any) -> int:
    assert response.status_code == 303, response.text[:500]
    found = re.fullmatch(r"/help/(\d+)", response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


async def _offer_help(person: Person) -> None:
    token = await person.csrf("/help")
    done = await person.http.post("/help/available", data={"csrf": token, "available": "1"})
    assert done.status_code == 303


async def test_help_asked_taken_talked_and_settled(live: LiveServer, people: Any) -> None:
    camille: Person = await people("Camille Aide", Role.MEMBER)
    await _offer_help(camille)
    lou: Person = await people("Lou Perdu")
    # Lou's page has « J'ai besoin d'aide », which says where Lou was.
    room = (await lou.http.get("/r/bar")).text
    assert 'href="/help?from=/r/bar"' in room and "besoin d" in room
    form = (await lou.http.get("/help?from=/r/bar")).text
    assert 'name="page" value="/r/bar"' in form and "Mon micro" in form
    async with camille.socket() as helper_sock:
        assert (await helper_sock.sub("helpdesk:queue"))["type"] == "subscribed"
        request_id = _request_id(await _ask(lou))
        # The volunteer gets a notice (toast and bell) and the queue changes live.
        notice = await helper_sock.take(
            lambda f: f.get("kind") == "notice" and "Lou Perdu" in str(f.get("ops"))
        )
        assert f"/help/{request_id}" in str(notice["ops"])
        queued = await helper_sock.take(
            lambda f: f.get("topic") == "helpdesk:queue" and f.get("ops")
        )
        assert "Mon micro ne marche pas" in str(queued["ops"])
    # Lou sees where they stand; asking again gives the same request back.
    corner = (await lou.http.get(f"/help/{request_id}")).text
    assert "le prochain" in corner or "prochain" in corner
    assert "refusé dans le navigateur" in corner and 'href="/r/bar">Au coin du bar' in corner
    assert _request_id(await _ask(lou, words="encore")) == request_id
    # Nobody else sees the corner: a guest gets "not found", the same as for no request.
    nosy: Person = await people("Nina Curieuse")
    assert (await nosy.http.get(f"/help/{request_id}")).status_code == 404
    assert (await nosy.http.get("/help/999999")).status_code == 404
    assert "Mon micro ne marche pas" not in (await nosy.http.get("/help")).text
    async with nosy.socket() as sock:
        assert (await sock.sub(f"help:{request_id}"))["type"] == "error"
        assert (await sock.sub("helpdesk:queue"))["type"] == "error"
        refused = await sock.act("help.say", {"request": request_id, "body": "coucou"})
        assert refused["type"] == "error"
    # Camille takes it: Lou is told who is coming, both land in the corner.
    async with lou.socket() as lou_sock:
        assert (await lou_sock.sub(f"help:{request_id}"))["type"] == "subscribed"
        token = await camille.csrf(f"/help/{request_id}")
        taken = await camille.http.post(f"/help/{request_id}/take", data={"csrf": token})
        assert taken.status_code == 303 and taken.headers["location"] == f"/help/{request_id}"
        status = await lou_sock.take(
            lambda f: f.get("topic") == f"help:{request_id}" and f.get("kind") == "help"
        )
        assert "Camille Aide" in str(status["ops"])
        told = await lou_sock.take(lambda f: f.get("kind") == "notice")
        assert "Camille Aide" in str(told["ops"])
        # They write to each other in the corner; both see it live.
        async with camille.socket() as helper_sock:
            assert (await helper_sock.sub(f"help:{request_id}"))["type"] == "subscribed"
            said = await lou_sock.act("help.say", {"request": request_id, "body": "Merci !"})
            assert said["type"] == "ack" and said["data"]["message"] > 0
            seen = await helper_sock.take(lambda f: f.get("kind") == "help" and "Merci" in str(f))
            assert seen["ops"][0]["op"] == "upsert"
            # Bad input: translated, nothing kept, the socket stays.
            empty = await lou_sock.act("help.say", {"request": request_id, "body": "  "}, ref="a2")
            assert empty["type"] == "error" and empty["code"] == "chat/empty"
            long = await lou_sock.act(
                "help.say", {"request": request_id, "body": "x" * 1001}, ref="a3"
            )
            assert long["type"] == "error" and "1000" in long["message"]
            odd = await lou_sock.act("help.say", {"request": "1", "body": "x"}, ref="a4")
            assert odd["type"] == "error"
            assert (
                await lou_sock.act("help.say", {"request": request_id, "body": "Ça va"}, ref="a5")
            )["type"] == "ack"
    page = (await camille.http.get(f"/help/{request_id}")).text
    assert "Merci !" in page and "Ça va" in page and page.count("help-msg-") == 2
    assert 'data-voice="help:' in page  # the corner's own voice
    # A second volunteer can no longer take it.
    other: Person = await people("Otto Aide", Role.MEMBER)
    token = await other.csrf("/help")
    late = await other.http.post(f"/help/{request_id}/take", data={"csrf": token})
    assert late.status_code in {400, 404}
    # Settled: the corner closes, the count of people helped grows (no content shown).
    before = (await other.http.get("/help")).text
    token = await lou.csrf(f"/help/{request_id}")
    done = await lou.http.post(f"/help/{request_id}/settled", data={"csrf": token})
    assert done.status_code == 303
    after = (await other.http.get("/help")).text
    counts = [
        re.search(r"(\d+) (?:personne a été aidée|personnes ont été aidées)", t)
        for t in (before, after)
    ]
    assert counts[0] and counts[1] and int(counts[1].group(1)) == int(counts[0].group(1)) + 1
    closed = await lou.http.get(f"/help/{request_id}")
    assert "Réglé" in closed.text and 'data-voice="help:' not in closed.text


async def test_help_bad_input_changes_nothing(live: LiveServer, people: Any) -> None:
    mia: Person = await people("Mia Question")
    bad_topic = await _ask(mia, topic="dance")
    assert bad_topic.status_code == 400 and "Choisis" in bad_topic.text
    too_long = await _ask(mia, words="x" * 301)
    assert too_long.status_code == 400 and "300" in too_long.text
    assert "x" * 301 in too_long.text  # what was typed is kept in the form
    nul = await _ask(mia, words="a\x00b")
    assert nul.status_code == 400
    no_csrf = await mia.http.post("/help", data={"topic": "mic"})
    assert no_csrf.status_code == 403
    assert "Ta demande" not in (await mia.http.get("/help")).text  # nothing was asked
    # A page from elsewhere is not kept: the floor plan stands in.
    request_id = _request_id(await _ask(mia, page="https://evil.example/x"))
    assert 'href="https://evil.example' not in (await mia.http.get(f"/help/{request_id}")).text
    # A guest may not offer help nor take requests.
    token = await mia.csrf("/help")
    assert (
        await mia.http.post("/help/available", data={"csrf": token, "available": "1"})
    ).status_code == 403
    # Cancelled by the person who asked: gone from the queue.
    token = await mia.csrf(f"/help/{request_id}")
    assert (
        await mia.http.post(f"/help/{request_id}/cancel", data={"csrf": token})
    ).status_code == 303
    member: Person = await people("Max Membre", Role.MEMBER)
    assert "Mia Question" not in (await member.http.get("/help")).text


async def test_help_page_and_language_switch_refuse_paths_to_other_sites(
    live: LiveServer, people: Any
) -> None:
    """A backslash is a slash to a browser: ``/\\evil.example`` would lead away from the venue."""
    ida: Person = await people("Ida Lien")
    request_id = _request_id(await _ask(ida, page="/\\evil.example"))
    corner = (await ida.http.get(f"/help/{request_id}")).text
    assert "evil.example" not in corner
    token = await ida.csrf("/")
    switched = await ida.http.post(
        "/lang", data={"csrf": token, "lang": "en", "next": "/\\evil.example"}
    )
    assert switched.status_code == 303 and switched.headers["location"] == "/"
    kept = await ida.http.post(
        "/lang", data={"csrf": token, "lang": "fr", "next": "/agenda?month=2026-12"}
    )
    assert kept.headers["location"] == "/agenda?month=2026-12"
