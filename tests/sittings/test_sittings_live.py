"""Sittings through HTTP and the gateway: prepare, proxies, a whole AG, minutes, the projector."""

from __future__ import annotations

import importlib
import re
import zlib
from typing import Any

import pytest

from estaminet.people.model import Role
from tests.support.live_server import LiveServer, Person, Socket

AGENDA = "Accueil (5 min)\nBudget 2025 (10 min) https://example.org/budget.pdf\n- Détail\n"


async def user_id(person: Person) -> str:
    page = (await person.http.get("/me")).text
    return page.split('data-me="')[1].split('"')[0]


async def prepare(admin: Person, **fields: Any) -> Any:
    token = await admin.csrf("/r/ag/assemblies/new")
    data = {
        "csrf": token,
        "title": "AG de printemps",
        "date": "2025-03-01T19:00",
        "convocation": "Bienvenue à toutes et tous.",
        "agenda": AGENDA,
        "voters_mode": "list",
        "quorum": "1/2",
        "proxies": "on",
        "max_proxies": "1",
        "speaking_minutes": "2",
        **fields,
    }
    return await admin.http.post("/r/ag/assemblies", data=data)


async def convene(admin: Person, **fields: Any) -> int:
    response = await prepare(admin, **fields)
    assert response.status_code == 303, response.text[:600]
    return int(response.headers["location"].rsplit("/", 1)[1])


async def seat_of(person: Person, sitting: int) -> tuple[str, int | None]:
    page = (await person.http.get(f"/a/{sitting}")).text
    found = re.search(r'data-topic="(table:\d+:(?:seat:(\d+)|watch))"', page)
    assert found, page[:800]
    return found.group(1), None if found.group(2) is None else int(found.group(2))


async def act(sock: Socket, sitting: int, ref: str, **action: Any) -> dict[str, Any]:
    return await sock.act("table.act", {"table": sitting, "action": action}, ref=ref)


async def ok(sock: Socket, sitting: int, ref: str, **action: Any) -> None:
    answer = await act(sock, sitting, ref, **action)
    assert answer["type"] == "ack", answer


async def refused(sock: Socket, sitting: int, ref: str, code: str, **action: Any) -> str:
    answer = await act(sock, sitting, ref, **action)
    assert answer["type"] == "error" and answer["code"] == code, answer
    message = str(answer["message"])
    assert message and "%(" not in message
    return message


async def latest_view(sock: Socket, topic: str) -> str:
    """The last view published on ``topic`` so far (waits for at least one)."""
    frames = [f for f in await sock.quiet(0.4) if f.get("topic") == topic and f.get("kind")]
    assert frames, f"no view on {topic}"
    return str(frames[-1]["ops"][0]["html"])


@pytest.fixture
async def venue(live: LiveServer, people: Any) -> dict[str, Any]:
    """An admin and seven members; the voters, the roles and an outsider."""
    admin = await people()
    await admin.sign_in_admin()
    names = ["Anaïs", "Bruno", "Chloé", "Dédé", "Élise", "Fanny", "Gaston", "Tim", "Oscar"]
    folks = {name: await people(name, role=Role.MEMBER) for name in names}
    ids = {name: await user_id(person) for name, person in folks.items()}
    return {"admin": admin, "folks": folks, "ids": ids}


def roles(ids: dict[str, str], voters: list[str]) -> dict[str, Any]:
    return {
        "voters": [ids[n] for n in voters],
        "facilitator": ids["Anaïs"],
        "secretary": ids["Bruno"],
        "timekeeper": ids["Tim"],
    }


VOTERS = ["Anaïs", "Bruno", "Chloé", "Dédé", "Élise", "Fanny", "Gaston"]


async def test_preparation_form_and_bad_input(live: LiveServer, venue: dict[str, Any]) -> None:
    admin, folks, ids = venue["admin"], venue["folks"], venue["ids"]
    form = await admin.http.get("/r/ag/assemblies/new")
    assert form.status_code == 200 and "Anaïs" in form.text
    assert (await folks["Chloé"].http.get("/r/ag/assemblies/new")).status_code == 403
    panel = await folks["Chloé"].http.get("/r/ag")
    assert "/r/ag/assemblies/new" not in panel.text
    assert (await prepare(admin, title="", **roles(ids, VOTERS))).status_code == 400
    assert (await prepare(admin, agenda="  \n", **roles(ids, VOTERS))).status_code == 400
    assert (await prepare(admin, quorum="3/2", **roles(ids, VOTERS))).status_code == 400
    assert (
        await prepare(admin, **{**roles(ids, VOTERS), "facilitator": "nobody"})
    ).status_code == 400
    bad_date = await prepare(admin, date="demain", **roles(ids, VOTERS))
    assert bad_date.status_code == 400
    sitting = await convene(admin, **roles(ids, VOTERS))
    panel = await admin.http.get("/r/ag")
    assert f"/a/{sitting}" in panel.text and "AG de printemps" in panel.text
    _topic, seat = await seat_of(folks["Tim"], sitting)
    assert seat is not None  # the timekeeper sits, as an observer
    page = await folks["Oscar"].http.get(f"/a/{sitting}")
    assert "/watch" in page.text  # not convened: may follow as an observer


async def test_proxies_limits_through_the_gateway(live: LiveServer, venue: dict[str, Any]) -> None:
    admin, folks, ids = venue["admin"], venue["folks"], venue["ids"]
    sitting = await convene(admin, **roles(ids, VOTERS))
    seats = {n: (await seat_of(folks[n], sitting))[1] for n in ["Chloé", "Dédé", "Élise", "Tim"]}
    async with (
        folks["Chloé"].socket() as chloe,
        folks["Dédé"].socket() as dede,
        folks["Élise"].socket() as elise,
        folks["Tim"].socket() as tim,
    ):
        topic = f"table:{sitting}:seat:{seats['Chloé']}"
        await chloe.sub(topic)
        await refused(
            chloe, sitting, "self", "assembly/proxy_to_self", type="proxy.give", to=seats["Chloé"]
        )
        await refused(
            tim, sitting, "tim", "assembly/not_a_voter", type="proxy.give", to=seats["Chloé"]
        )
        await ok(dede, sitting, "d1", type="proxy.give", to=seats["Chloé"])
        view = await latest_view(chloe, topic)
        assert "Dédé" in view
        limit = await refused(
            elise, sitting, "e1", "assembly/proxy_limit", type="proxy.give", to=seats["Chloé"]
        )
        assert limit == "Ce membre détient déjà 1 procuration, le maximum permis."
        nobody = await refused(elise, sitting, "e0", "assembly/malformed", type="proxy.give")
        assert (
            nobody
            == "Cette demande est incomplète ou mal formée\u00a0: indique qui reçoit la procuration."
        )
        await refused(
            chloe, sitting, "chain", "assembly/proxy_chain", type="proxy.give", to=seats["Élise"]
        )
        assert not [f for f in await chloe.quiet(0.3) if f.get("topic") == topic]  # nothing changed
        await ok(dede, sitting, "d2", type="proxy.withdraw")
        await refused(dede, sitting, "d3", "assembly/no_proxy", type="proxy.withdraw")
        await ok(elise, sitting, "e2", type="proxy.give", to=seats["Chloé"])


async def test_refusal_details_in_the_viewer_language(
    live: LiveServer, venue: dict[str, Any], people: Any
) -> None:
    admin, folks, ids = venue["admin"], venue["folks"], venue["ids"]
    zoe = await people("Zoe", role=Role.MEMBER, locale="en")
    ids = {**ids, "Zoe": await user_id(zoe)}
    sitting = await convene(admin, **roles(ids, [*VOTERS, "Zoe"]))
    async with zoe.socket() as english, folks["Chloé"].socket() as french:
        detail = {"type": "proxy.give", "to": "Chloé"}
        said = await refused(english, sitting, "z1", "assembly/malformed", **detail)
        assert (
            said
            == "This request is incomplete or malformed: the member who receives the proxy must be a whole number."
        )
        said = await refused(french, sitting, "c1", "assembly/malformed", **detail)
        assert said == (
            "Cette demande est incomplète ou mal formée\u00a0: "
            "le membre qui reçoit la procuration doit être un nombre entier."
        )
        ballot = {"type": "vote.prepare", "vote": {"method": "lottery"}}
        said = await refused(english, sitting, "z2", "assembly/not_facilitator", **ballot)
        assert said == "Only the facilitator can do this."


def pdf_text(data: bytes) -> str:
    """The text drawn with the standard font (streams inflated, literal strings joined)."""
    chunks = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            body = zlib.decompress(stream)
        except zlib.error:
            body = stream
        chunks += re.findall(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj", body)
    return "\n".join(
        c.replace(rb"\(", b"(").replace(rb"\)", b")").decode("latin-1") for c in chunks
    )


async def test_a_whole_sitting_through_the_gateway(
    live: LiveServer, venue: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    admin, folks, ids = venue["admin"], venue["folks"], venue["ids"]
    sitting = await convene(admin, **roles(ids, VOTERS))
    seat = {n: (await seat_of(folks[n], sitting))[1] for n in [*VOTERS, "Tim"]}
    token = await folks["Oscar"].csrf(f"/a/{sitting}")
    watched = await folks["Oscar"].http.post(f"/a/{sitting}/watch", data={"csrf": token})
    assert watched.status_code == 303
    watch_topic = f"table:{sitting}:watch"
    assert (await seat_of(folks["Oscar"], sitting))[0] == watch_topic
    fac_topic = f"table:{sitting}:seat:{seat['Anaïs']}"
    names = [*VOTERS, "Tim", "Oscar"]
    async with (
        folks["Anaïs"].socket() as fac,
        folks["Bruno"].socket() as sec,
        folks["Chloé"].socket() as chloe,
        folks["Dédé"].socket() as dede,
        folks["Élise"].socket() as elise,
        folks["Fanny"].socket() as fanny,
        folks["Gaston"].socket() as gaston,
        folks["Tim"].socket() as tim,
        folks["Oscar"].socket() as oscar,
    ):
        socks = dict(
            zip(names, [fac, sec, chloe, dede, elise, fanny, gaston, tim, oscar], strict=True)
        )
        await fac.sub(fac_topic)
        await oscar.sub(watch_topic)
        # Gaston cannot come: Fanny will vote for him.
        await ok(gaston, sitting, "g", type="proxy.give", to=seat["Fanny"])
        await ok(fac, sitting, "in", type="attendance.check_in")
        await refused(chloe, sitting, "c0", "assembly/not_facilitator", type="sitting.open")
        await ok(fac, sitting, "open", type="sitting.open")
        await ok(fac, sitting, "next", type="agenda.next_item")
        await ok(
            fac,
            sitting,
            "prep",
            type="vote.prepare",
            vote={"method": "majority", "question": "Approuver les comptes ?"},
        )
        why = await refused(
            fac, sitting, "q", "assembly/quorum_not_reached", type="vote.open", vote=1
        )
        assert "4" in why  # 4 of 7 needed
        screen = await latest_view(oscar, watch_topic)
        assert "Approuver les comptes" in screen and "1/2" in screen
        for name in ["Bruno", "Chloé", "Dédé", "Élise", "Fanny", "Tim"]:
            await ok(socks[name], sitting, f"in-{name}", type="attendance.check_in")
        screen = await latest_view(oscar, watch_topic)
        assert "quorum--reached" in screen and "Gaston" in screen
        # The queue: a point of order jumps ahead of those who asked to speak.
        await ok(chloe, sitting, "h1", type="speaker.raise_hand")
        await ok(dede, sitting, "h2", type="speaker.raise_hand")
        await ok(elise, sitting, "h3", type="speaker.point_of_order")
        await ok(fanny, sitting, "s1", type="signal.show", signal="agree")
        await refused(chloe, sitting, "c1", "assembly/not_facilitator", type="speaker.give_floor")
        screen = await latest_view(oscar, watch_topic)
        queue = screen.split('class="queue"')[1].split("</ol>")[0]
        assert queue.index("Élise") < queue.index("Chloé") < queue.index("Dédé")
        assert "signal-count--on" in screen
        await ok(fac, sitting, "floor", type="speaker.give_floor")
        await ok(elise, sitting, "end", type="speaker.end_turn")
        # The open yes / no / abstain vote.
        await ok(fac, sitting, "open1", type="vote.open", vote=1)
        ballots = {
            "Anaïs": "yes",
            "Bruno": "yes",
            "Chloé": "no",
            "Dédé": "abstain",
            "Élise": "yes",
            "Fanny": "yes",
        }
        for name, ballot in ballots.items():
            await ok(socks[name], sitting, f"v-{name}", type="vote.cast", vote=1, ballot=ballot)
        await ok(
            fanny,
            sitting,
            "v-proxy",
            type="vote.cast",
            vote=1,
            ballot="no",
            **{"for": seat["Gaston"]},
        )
        await refused(
            chloe,
            sitting,
            "twice",
            "assembly/already_voted",
            type="vote.cast",
            vote=1,
            ballot="yes",
        )
        await refused(
            tim, sitting, "tim", "assembly/not_a_voter", type="vote.cast", vote=1, ballot="yes"
        )
        message = await refused(
            oscar, sitting, "oscar", "tables/not_playing", type="vote.cast", vote=1, ballot="yes"
        )
        assert "assemblée" in message and "table" not in message  # assembly words, not a game's
        await refused(chloe, sitting, "c2", "assembly/not_facilitator", type="vote.close", vote=1)
        await ok(fac, sitting, "close1", type="vote.close", vote=1)
        await refused(
            dede, sitting, "late", "assembly/vote_closed", type="vote.cast", vote=1, ballot="yes"
        )
        screen = await latest_view(oscar, watch_topic)
        assert "result-bar" in screen and "yna-0" in screen
        # Item 2: a secret majority-judgment vote among three options.
        await ok(fac, sitting, "next2", type="agenda.next_item")
        spec = {
            "method": "judgment",
            "question": "Quel lieu ?",
            "options": ["Grange", "Parc", "Salle"],
            "secret": True,
        }
        await ok(fac, sitting, "prep2", type="vote.prepare", vote=spec)
        await ok(fac, sitting, "open2", type="vote.open", vote=2)
        grades = {
            "Anaïs": [0, 2, 4],
            "Bruno": [1, 2, 3],
            "Chloé": [0, 3, 6],
            "Dédé": [2, 1, 5],
            "Élise": [1, 0, 4],
            "Fanny": [0, 2, 6],
        }
        for name, marks in grades.items():
            ballot = [{"option": o, "grade": g} for o, g in enumerate(marks)]
            await ok(socks[name], sitting, f"j-{name}", type="vote.cast", vote=2, ballot=ballot)
        twice = [{"option": 0, "grade": 1}, {"option": 0, "grade": 2}]
        await refused(
            fanny,
            sitting,
            "gt",
            "assembly/grade_twice",
            type="vote.cast",
            vote=2,
            ballot=twice,
            **{"for": seat["Gaston"]},
        )
        missing = [{"option": 0, "grade": 1}]  # the others count as "To reject"
        await ok(
            fanny,
            sitting,
            "j-g",
            type="vote.cast",
            vote=2,
            ballot=missing,
            **{"for": seat["Gaston"]},
        )
        await ok(fac, sitting, "close2", type="vote.close", vote=2)
        screen = await latest_view(oscar, watch_topic)
        assert "grade-0" in screen and "Grange" in screen
        await ok(
            sec,
            sitting,
            "note",
            type="minutes.note",
            text="Le lieu est choisi à l'unanimité moins une voix.",
        )
        await refused(
            chloe, sitting, "note2", "assembly/not_secretary", type="minutes.note", text="x"
        )
        await ok(fac, sitting, "bye", type="sitting.close")
        await ok(
            sec, sitting, "after", type="minutes.note", text="Clôture à 21 h 30."
        )  # after closing
    minutes = await folks["Chloé"].http.get(f"/a/{sitting}/minutes.md")
    assert minutes.status_code == 200 and minutes.headers["content-type"].startswith(
        "text/markdown"
    )
    text = minutes.text
    assert "Gaston" in text and "Anaïs" in text  # attendance, with Gaston represented
    assert "4" in text and "Grange" in text and "Quel lieu" in text
    squashed = re.sub(r"\s+", " ", text)  # French puts a no-break space before the colon
    assert "Chloé: no" in squashed or "Chloé : non" in squashed  # open vote: who voted what
    assert "l'unanimité moins une voix" in text
    assert "Clôture à 21 h 30." in text
    monkeypatch.setattr(
        importlib.import_module("estaminet.sittings.minutes_pdf"), "FONT_DIRS", ()
    )  # the standard font: text readable in the file
    pdf = await folks["Chloé"].http.get(f"/a/{sitting}/minutes.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    drawn = pdf_text(pdf.content)
    assert "Gaston" in drawn and "Anaïs" in drawn and "Grange" in drawn and "Quel lieu" in drawn
    screen_page = await folks["Oscar"].http.get(f"/a/{sitting}/screen")
    assert screen_page.status_code == 200 and "sitting-page--screen" in screen_page.text
    assert (await venue["admin"].http.get(f"/a/{sitting}")).status_code == 200  # still readable
