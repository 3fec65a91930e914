"""Small things a person trips on: the wording of the admin pages, the games room's form."""

from __future__ import annotations

import re
from typing import Any

from estaminet.people.model import Role
from estaminet.web.templating import vowel_initial
from tests.support.live_server import LiveServer, Person


def test_small_things_vowel_initial_names() -> None:
    assert vowel_initial("Awa") and vowel_initial("Élise") and vowel_initial(" ines")
    assert not vowel_initial("Léa") and not vowel_initial("Hugo") and not vowel_initial("")


async def test_small_things_people_page_elides_and_tells_accounts_apart(
    live: LiveServer, people: Any
) -> None:
    await people("Awa")
    await people("Léa")
    await people("Mo", Role.MEMBER)
    admin: Person = await people()
    await admin.sign_in_admin()
    page = (await admin.http.get("/admin/people")).text
    assert "Rôle d'Awa" in page and "Rôle de Awa" not in page
    assert "Rôle de Léa" in page
    rows = {
        name: row
        for row in re.findall(r'<tr data-person="[^"]+".*?</tr>', page, re.S)
        for name in ("Awa", "Mo", "Admin")
        if f">{name}<" in row or f">{name} <" in row
    }
    assert "invité·e, sans compte" in rows["Awa"]
    assert "invité·e, sans compte" not in rows["Mo"]
    assert "pas encore d'adresse e-mail" in rows["Admin"]


async def test_small_things_unlimited_invite_says_so(live: LiveServer, people: Any) -> None:
    await live.invite(uses=None)
    await live.invite(uses=3)
    admin: Person = await people()
    await admin.sign_in_admin()
    page = (await admin.http.get("/admin/invites")).text
    uses = re.findall(r'<td data-label="Utilisations">([^<]*)</td>', page)
    assert any(cell.strip().endswith("(illimité)") for cell in uses), uses
    assert any(cell.strip().endswith("/ 3") for cell in uses), uses
    # Unlimited is said in words, never as a bare "0" (times elsewhere on the page may end in 0).
    assert not any(re.fullmatch(r"\s*0(\s*/\s*0)?\s*", cell) for cell in uses), uses


async def test_small_things_games_room_offers_werewolf_first(live: LiveServer, people: Any) -> None:
    guest: Person = await people("Jo")
    page = (await guest.http.get("/r/jeux")).text
    selected = re.findall(r'<option value="([\w-]+)" selected>', page)
    assert selected == ["werewolf"]


async def test_small_things_second_namesake_is_offered_an_initial(
    live: LiveServer, people: Any
) -> None:
    first: Person = await people("Zoé")
    assert "Zoé B." not in (await first.http.get("/?welcome=1")).text
    second: Person = await people("zoé")
    welcome = (await second.http.get("/?welcome=1")).text
    assert "Quelqu'un s'appelle déjà zoé ici" in welcome and "« zoé B. »" in welcome
    assert 'href="/me"' in welcome
    third: Person = await people("Zoé")
    assert "« Zoé C. »" not in (await third.http.get("/?welcome=1")).text  # B. is free
    token = await second.csrf("/me")
    await second.http.post("/me/name", data={"csrf": token, "name": "Zoé B."})
    assert "« Zoé C. »" in (await third.http.get("/?welcome=1")).text
    # The plan itself, without the welcome, says nothing more.
    assert "s'appelle déjà" not in (await third.http.get("/")).text
