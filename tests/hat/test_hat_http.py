"""The solidarity hat over HTTP and the gateway, on a live server: an organiser opens a hat
for the stage, a guest pledges (refusals shown on the same form, nothing stored), the QR
code page, the progress live on ``hat:<id>``, the stage's panel and chat, the treasurer's
accounts (a forged mark refused, a bank export matched, a malformed one refused whole), the
CSV list, and the person's data page."""

from __future__ import annotations

import base64
import io
import re
from typing import Any

import zxingcpp
from PIL import Image

from estaminet.people.model import Role
from tests.support.live_server import LiveServer, Person


async def _open_hat(anim: Person, **fields: Any) -> Any:
    token = await anim.csrf("/hats/new?room=scene")
    data = {
        "csrf": token,
        "name": "La casa sin papel",
        "text": "Des colis alimentaires et des lits pour la nuit.\n\nÀ Bruxelles.",
        "beneficiary": "La casa sin papel ASBL",
        "iban": "BE68 5390 0754 7034",
        "bic": "",
        "goal": "500",
        "room": "scene",
        "event": "",
        **fields,
    }
    return await anim.http.post("/hats/new", data=data, files={"picture": ("", b"", "")})


async def _pledge(person: Person, hat_id: int, amount: str, anonymous: bool = False) -> Any:
    token = await person.csrf(f"/hats/{hat_id}")
    data = {"csrf": token, "amount": amount}
    if anonymous:
        data["anonymous"] = "on"
    return await person.http.post(f"/hats/{hat_id}/pledge", data=data)


async def test_hat_over_http_from_the_cause_to_the_accounts(live: LiveServer, people: Any) -> None:
    anim: Person = await people("Aline Anim", Role.ANIMATOR)
    marie: Person = await people("Marie Invitée")
    paul: Person = await people("Paul Membre", Role.MEMBER)
    # A guest may not prepare a hat; an invalid IBAN is refused on the form, nothing stored.
    assert (await marie.http.get("/hats/new")).status_code == 403
    bad = await _open_hat(anim, iban="BE68 5390 0754 7035")
    assert bad.status_code == 400 and "IBAN n" in bad.text and "valable" in bad.text
    assert 'value="La casa sin papel"' in bad.text  # what was typed stays
    assert "La casa sin papel" not in (await marie.http.get("/hats")).text
    made = await _open_hat(anim)
    assert made.status_code == 303, made.text[:400]
    hat_id = int(re.fullmatch(r"/hats/(\d+)", made.headers["location"]).group(1))  # type: ignore[union-attr]
    # The stage shows it, with its live progress.
    stage = (await marie.http.get("/r/scene")).text
    assert f'data-topic="hat:{hat_id}"' in stage and "Mettre quelque chose dans le chapeau" in stage
    async with paul.socket() as sock:
        # A hat that does not exist, or a topic that names none: refused, the socket stays.
        for wrong in ("hat:999999", "hat:abc", "hat:"):
            assert (await sock.sub(wrong))["type"] == "error", wrong
        assert (await sock.sub(f"hat:{hat_id}"))["type"] == "subscribed"
        assert (await sock.sub("room:scene"))["type"] == "subscribed"
        # Refusals: translated, on the same form, nothing stored, Paul's socket untouched.
        for amount, words in [("-5", "plus de zéro"), ("0", "plus de zéro"),
                              ("6000", "Au plus 5000"), ("dix", "Tape un montant")]:  # fmt: skip
            refused = await _pledge(marie, hat_id, amount)
            assert refused.status_code == 400 and words in refused.text, amount
            assert f'value="{amount}"' in refused.text
        assert not [f for f in await sock.quiet(0.3) if f.get("topic") == f"hat:{hat_id}"]
        done = await _pledge(marie, hat_id, "12,50")
        assert done.status_code == 303
        pledge_path = done.headers["location"]
        moved = await sock.take(lambda f: f.get("topic") == f"hat:{hat_id}" and f.get("ops"))
        assert moved["kind"] == "hat" and "12,50" in str(moved["ops"])
        thanked = await sock.take(lambda f: f.get("topic") == "room:scene" and f.get("ops"))
        assert "Marie Invitée" in str(thanked["ops"]) and "12,50" not in str(thanked["ops"])
    # In English, the same hat.
    english: Person = await people("Emma English", locale="en")
    shown_en = (await english.http.get(f"/hats/{hat_id}")).text
    assert "Put something in the hat" in shown_en and "€12.50" in shown_en
    # The pledge's page: the QR code, and the same details as text to copy.
    page = await marie.http.get(pledge_path)
    assert page.status_code == 200
    communication = re.search(r"\+\+\+\d{3}/\d{4}/\d{5}\+\+\+", page.text).group(0)  # type: ignore[union-attr]
    assert 'value="BE68 5390 0754 7034"' in page.text and 'value="12,50\xa0€"' in page.text
    png = re.search(r'src="data:image/png;base64,([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(base64.b64decode(png))))
    lines = decoded[0].text.split("\n")
    assert lines[6] == "BE68539007547034" and lines[7] == "EUR12.5"
    assert lines[9] == communication.strip("+").replace("/", "")
    # Nobody else sees Marie's pledge.
    assert (await paul.http.get(pledge_path)).status_code == 404
    # A forged "received": Marie (who pledged) and Paul are not treasurers.
    pledge_id = int(pledge_path.rsplit("/", 1)[1])
    for forger in (marie, paul):
        token = await forger.csrf(f"/hats/{hat_id}")
        forged = await forger.http.post(
            f"/hats/{hat_id}/pledges/{pledge_id}/received", data={"csrf": token, "received": "1"}
        )
        assert forged.status_code == 403
        assert (await forger.http.get(f"/hats/{hat_id}/accounts")).status_code == 403
        assert (await forger.http.get(f"/hats/{hat_id}/pledges.csv")).status_code == 403
    # Only a treasurer's mark counts as received: the hat still shows nothing received.
    shown = (await marie.http.get(f"/hats/{hat_id}")).text
    assert re.search(r"data-hat-received>0,00\s€</strong>", shown)
    assert re.search(r"data-hat-pledged>12,50\s€</strong>", shown)
    # The treasurer: a malformed export changes nothing and names the line.
    token = await anim.csrf(f"/hats/{hat_id}/accounts")
    broken = (
        "Date;Montant;Communication\n04/12/2026;12,50;" + communication + "\n04/12/2026;douze;x\n"
    )
    refused = await anim.http.post(
        f"/hats/{hat_id}/import",
        data={"csrf": token},
        files={"file": ("extrait.csv", broken.encode(), "text/csv")},
    )
    assert refused.status_code == 400 and "Ligne 3" in refused.text
    assert "Rien n'a été importé" in refused.text.replace("&#39;", "'")
    assert 'data-status="pledged"' in refused.text and 'data-status="received"' not in refused.text
    good = broken.split("\n04/12/2026;douze")[0] + "\n04/12/2026;20,00;Sans communication\n"
    read = await anim.http.post(
        f"/hats/{hat_id}/import",
        data={"csrf": token},
        files={"file": ("extrait.csv", good.encode("cp1252"), "text/csv")},
    )
    assert read.status_code == 200
    assert "1 virement correspond à une promesse" in read.text
    assert "Ligne 3 : 20,00" in read.text and 'data-status="received"' in read.text
    listing = await anim.http.get(f"/hats/{hat_id}/pledges.csv")
    assert listing.headers["content-type"].startswith("text/csv")
    text = listing.content.decode("utf-8-sig")
    assert "Marie Invitée;12,50;" + communication + ";reçue" in text
    # The organiser names Paul treasurer (from the hat's form): now he keeps the accounts.
    edit = (await anim.http.get(f"/hats/{hat_id}/edit")).text
    paul_id = re.search(r'<option value="(\w+)">Paul Membre</option>', edit).group(1)  # type: ignore[union-attr]
    token = await anim.csrf(f"/hats/{hat_id}/edit")
    nobody = await anim.http.post(
        f"/hats/{hat_id}/treasurers", data={"csrf": token, "user": "nobody", "keep": "1"}
    )
    assert nobody.status_code == 400 and "Choisis une personne" in nobody.text
    named = await anim.http.post(
        f"/hats/{hat_id}/treasurers", data={"csrf": token, "user": paul_id, "keep": "1"}
    )
    assert named.status_code == 303
    assert (await paul.http.get(f"/hats/{hat_id}/accounts")).status_code == 200
    # Marie's data page lists her pledge.
    mine = (await marie.http.get("/me/data")).text
    assert "La casa sin papel" in mine and communication in mine
    # Closed: the form is gone and a pledge posted anyway is refused, nothing stored.
    token = await anim.csrf(f"/hats/{hat_id}")
    assert (
        await anim.http.post(f"/hats/{hat_id}/open", data={"csrf": token, "open": "0"})
    ).status_code == 303
    token = await marie.csrf("/hats")
    late = await marie.http.post(f"/hats/{hat_id}/pledge", data={"csrf": token, "amount": "5"})
    assert late.status_code == 400 and "fermé" in late.text
    assert text.count("\n") == (await anim.http.get(f"/hats/{hat_id}/pledges.csv")).content.decode(
        "utf-8-sig"
    ).count("\n")
    assert f'data-topic="hat:{hat_id}"' not in (await marie.http.get("/r/scene")).text
