"""Question sets over HTTP: import, editor, files, a table's choice, watchers' answers, privacy."""

from __future__ import annotations

import io
import re
import struct
import wave
from typing import Any

from PIL import Image

from estaminet.people.model import Role
from estaminet.quizzes.csvformat import EXAMPLE
from tests.support.live_server import LiveServer, Person
from tests.tables.test_tables_live import create_table, post, seat_topic

BAD_CSV = (
    "question;type;choix1;choix2;bonnes\n"
    "Première ?;choix;Oui;Non;1\n"
    "Deuxième ?;choix;Oui;Non;1\n"
    "Troisième ?;choix;Oui;Non;5\n"
)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def _wav(seconds: float) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(struct.pack("<h", 0) * int(8000 * seconds))
    return out.getvalue()


async def _import(person: Person, data: bytes, title: str = "Importé") -> Any:
    token = await person.csrf("/quiz")
    return await person.http.post(
        "/quiz/import",
        data={"csrf": token, "title": title},
        files={"file": ("quiz.csv", data, "text/csv")},
    )


async def _sets(person: Person) -> list[str]:
    return re.findall(r'data-set="(\d+)"', (await person.http.get("/quiz")).text)


def _question(i: int, text: str, **fields: str) -> dict[str, str]:
    return {
        f"q{i}_text": text,
        f"q{i}_kind": "choice",
        f"q{i}_choice0": "Oui",
        f"q{i}_choice1": "Non",
        f"q{i}_right0": "on",
        f"q{i}_seconds": "15",
        **fields,
    }


async def test_sets_csv_import_all_or_nothing(live: LiveServer, people: Any) -> None:
    anim: Person = await people("Anim CSV", role=Role.MEMBER)
    bad = await _import(anim, BAD_CSV.encode())
    assert bad.status_code == 400
    assert "Ligne 4" in bad.text and "rien n" in bad.text.replace("&#39;", "'")
    assert await _sets(anim) == []
    good = await _import(anim, EXAMPLE.encode("utf-8-sig"), "Quiz du LAB")
    assert good.status_code == 303
    page = await anim.http.get(good.headers["location"])
    assert "4 questions importées" in page.text and "Cité ardente" in page.text
    assert len(await _sets(anim)) == 1
    example = await anim.http.get("/quiz/example.csv")
    assert example.status_code == 200 and example.headers["content-type"].startswith("text/csv")
    assert example.content.decode("utf-8-sig") == EXAMPLE


async def test_sets_are_for_members_and_their_author_alone(live: LiveServer, people: Any) -> None:
    guest: Person = await people("Invitée")
    assert (await guest.http.get("/quiz/new")).status_code == 403
    assert (await _import(guest, EXAMPLE.encode())).status_code == 403
    anim: Person = await people("Anim Secret", role=Role.MEMBER)
    other: Person = await people("Autre Membre", role=Role.MEMBER)
    made = await _import(anim, EXAMPLE.encode(), "Secret")
    set_id = made.headers["location"].split("/")[2]
    assert (await other.http.get(f"/quiz/{set_id}/edit")).status_code == 404
    token = await other.csrf("/quiz")
    refused = await other.http.post(f"/quiz/{set_id}/delete", data={"csrf": token})
    assert refused.status_code == 404
    assert (await anim.http.get(f"/quiz/{set_id}/edit")).status_code == 200


async def test_sets_editor_files_checked_by_content(live: LiveServer, people: Any) -> None:
    anim: Person = await people("Anim Fichiers", role=Role.MEMBER)
    token = await anim.csrf("/quiz/new")
    fields = {
        "csrf": token,
        "title": "Blind test",
        "count": "3",
        **_question(0, "Quelle couleur ?"),
        **_question(1, "Quel son ?"),
    }
    files = {
        "q0_media": ("rouge.png", _png(), "image/png"),
        "q1_media": ("son.wav", _wav(1.0), "audio/wav"),
    }
    made = await anim.http.post("/quiz/new", data=fields, files=files)
    assert made.status_code == 303, made.text[:600]
    page = (await anim.http.get(made.headers["location"])).text
    names = re.findall(r'src="/quiz/media/([0-9a-f]{32}\.(?:webp|wav))"', page)
    assert len(names) == 2 and names[0].endswith(".webp") and names[1].endswith(".wav")
    picture = await anim.http.get(f"/quiz/media/{names[0]}")
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/webp"
    sound = await anim.http.get(f"/quiz/media/{names[1]}")
    assert sound.headers["content-type"] == "audio/wav"
    assert (await anim.http.get("/quiz/media/" + "0" * 32 + ".wav")).status_code == 404
    assert (await anim.http.get("/quiz/media/..%2Fsecret.wav")).status_code == 404

    # Not a picture nor a sound (whatever the name), too long a sound: refused, nothing kept.
    before = await _sets(anim)
    for name, data, words in (
        ("photo.png", b"MZ\x90\x00 this is a program" * 50, "ni une image"),
        ("chanson.mp3", b"<html>pas un son</html>" * 40, "ni une image"),
        ("long.wav", _wav(31.0), "trop long"),
    ):
        token = await anim.csrf("/quiz/new")
        refused = await anim.http.post(
            "/quiz/new",
            data={"csrf": token, "title": "Refus", "count": "1", **_question(0, "Q ?")},
            files={"q0_media": (name, data, "application/octet-stream")},
        )
        assert refused.status_code == 400, name
        assert "Question 1" in refused.text and words in refused.text, name
    assert await _sets(anim) == before


async def test_sets_editor_names_the_bad_question(live: LiveServer, people: Any) -> None:
    anim: Person = await people("Anim Erreur", role=Role.MEMBER)
    token = await anim.csrf("/quiz/new")
    fields = {
        "csrf": token,
        "title": "Erreur",
        "count": "2",
        **_question(0, "Bonne ?"),
        **_question(1, "Sans bonne réponse ?", q1_right0=""),
    }
    refused = await anim.http.post("/quiz/new", data=fields)
    assert refused.status_code == 400
    assert "Question 2" in refused.text and "Sans bonne réponse ?" in refused.text
    assert await _sets(anim) == []


async def test_sets_a_table_plays_its_copy_and_watchers_play_along(
    live: LiveServer, people: Any
) -> None:
    host: Person = await people("Hôte Quiz", role=Role.MEMBER)
    zoe: Person = await people("Zoé Quiz")
    watcher: Person = await people("Wendy Regarde")
    made = await _import(host, EXAMPLE.encode(), "Quiz du jeudi")
    set_id = made.headers["location"].split("/")[2]
    table_id = await create_table(host, game="quiz")
    token = await host.csrf(f"/quiz?table={table_id}")
    chosen = await host.http.post(f"/quiz/{set_id}/play", data={"csrf": token, "table": table_id})
    assert chosen.status_code == 303
    assert "Quiz du jeudi" in (await host.http.get(f"/t/{table_id}")).text
    # Only the host chooses; someone else's set cannot be chosen.
    token = await zoe.csrf(f"/quiz?table={table_id}")
    assert (
        await zoe.http.post("/quiz/sample/play", data={"csrf": token, "table": table_id})
    ).status_code == 403
    # Changing the set afterwards does not change the table's copy.
    token = await host.csrf(f"/quiz/{set_id}/edit")
    await host.http.post(
        f"/quiz/{set_id}/edit",
        data={"csrf": token, "title": "Changé", "count": "1", **_question(0, "Autre ?")},
    )
    assert await post(zoe, table_id, "join", role="player") == 303
    assert await post(watcher, table_id, "join", role="spectator") == 303
    assert await post(host, table_id, "start") == 303
    page = (await zoe.http.get(f"/t/{table_id}")).text
    assert "Cité ardente" in page and "Autre ?" not in page
    assert "Liège" in page and "La bonne réponse" not in page and "quiz-shown--right" not in page

    async with watcher.socket() as w, zoe.socket() as z, host.socket() as h:
        watch_topic = seat_topic((await watcher.http.get(f"/t/{table_id}")).text)
        assert watch_topic.endswith(":watch")
        await w.sub(watch_topic)
        answered = await w.act(
            "table.act", {"table": table_id, "action": {"type": "answer", "choice": 1}}
        )
        assert answered["type"] == "ack"
        # A watcher who claims to be someone else is still themselves (the server names them).
        again = await w.act(
            "table.act",
            {"table": table_id, "action": {"type": "answer", "choice": 0, "watcher": "x"}},
            ref="a2",
        )
        assert again["type"] == "error" and "déjà répondu" in again["message"]
        for sock in (z, h):
            done = await sock.act(
                "table.act", {"table": table_id, "action": {"type": "answer", "choice": 1}}
            )
            assert done["type"] == "ack"
    shown = (await watcher.http.get(f"/t/{table_id}")).text
    assert "tableau des spectateurs" in shown.lower()
    board = shown.split("quiz-watch-board", 1)[1]
    assert "Wendy Regarde" in board
    scores = shown.split("quiz-scoreboard", 1)[1].split("</table>", 1)[0]
    assert "Wendy" not in scores


async def test_sets_in_the_export_and_gone_with_the_account(live: LiveServer, people: Any) -> None:
    anim: Person = await people("Anim Export", role=Role.MEMBER)
    await _import(anim, EXAMPLE.encode(), "Mon quiz exporté")
    data = (await anim.http.get("/me/data.json")).json()
    assert [s["title"] for s in data["quiz_sets"]] == ["Mon quiz exporté"]
    assert "Liège ✓" in data["quiz_sets"][0]["questions"]
    assert "Mon quiz exporté" in (await anim.http.get("/me/data")).text
    token = await anim.csrf("/me/delete")
    gone = await anim.http.post("/me/delete", data={"csrf": token, "confirm": "supprimer"})
    assert gone.status_code == 200
    from tests.privacy.test_deletion import in_database

    assert (
        await in_database(live, "SELECT id FROM quiz_sets WHERE title = :t", t="Mon quiz exporté")
        == []
    )
