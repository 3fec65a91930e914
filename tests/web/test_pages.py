"""Pages over HTTP: invites, sign-in, security headers, CSRF, language, administration."""

from __future__ import annotations

import re
from typing import Any

from estaminet.people.model import Role
from tests.support.live_server import LiveServer, Person


async def test_pages_security_headers(live: LiveServer, people: Any) -> None:
    person: Person = await people()
    response = await person.http.get("/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    device = response.headers["set-cookie"]
    assert "HttpOnly" in device and "SameSite=Lax" in device


async def test_pages_session_cookie_flags(live: LiveServer, people: Any) -> None:
    person: Person = await people()
    response = await person.join(await live.invite(), "Jo")
    cookie = response.headers["set-cookie"]
    assert (
        cookie.startswith("estaminet_session=")
        and "HttpOnly" in cookie
        and "SameSite=Lax" in cookie
    )
    assert response.headers["location"] == "/?welcome=1"
    home = await person.http.get("/")
    assert 'class="plan-grid"' in home.text and "Au coin du bar" in home.text


async def test_pages_form_without_csrf_is_refused(live: LiveServer, people: Any) -> None:
    person: Person = await people()
    invite = await live.invite()
    await person.http.get(invite)
    response = await person.http.post(invite, data={"name": "Jo"})
    assert response.status_code == 403
    response = await person.http.post(invite, data={"name": "Jo", "csrf": "0" * 64})
    assert response.status_code == 403
    assert "estaminet_session" not in response.headers.get("set-cookie", "")


async def test_pages_cross_site_post_is_refused(live: LiveServer, people: Any) -> None:
    person: Person = await people("Jo")
    token = await person.csrf("/me")
    response = await person.http.post(
        "/me/name",
        data={"csrf": token, "name": "Pirate"},
        headers={"origin": "http://evil.example"},
    )
    assert response.status_code == 403


async def test_pages_invite_problems_are_friendly(live: LiveServer, people: Any) -> None:
    person: Person = await people()
    forged = await person.http.get("/i/forged-token")
    assert forged.status_code == 404 and "<h1>" in forged.text
    once = await live.invite(uses=1)
    first: Person = await people()
    assert (await first.join(once, "Premier")).status_code == 303
    second = await person.http.get(once)
    assert second.status_code == 410
    assert 'lang="fr"' in second.text


async def test_pages_invite_bad_name_keeps_the_form(live: LiveServer, people: Any) -> None:
    person: Person = await people()
    invite = await live.invite(uses=1)
    token = await person.csrf(invite)
    response = await person.http.post(invite, data={"csrf": token, "name": "x" * 60})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.text and "x" * 60 in response.text
    assert (await person.join(invite, "Bon nom")).status_code == 303  # the use was not spent


async def test_pages_team_room_is_refused_to_guest(live: LiveServer, people: Any) -> None:
    guest: Person = await people("Gus")
    assert (await guest.http.get("/r/bureau")).status_code == 403
    assert (await guest.http.get("/r/ag")).status_code == 403
    assert (await guest.http.get("/r/nope")).status_code == 404
    plan = await guest.http.get("/")
    assert "/r/bureau" not in plan.text and "/r/bar" in plan.text


async def test_pages_room_needs_sign_in(live: LiveServer, people: Any) -> None:
    stranger: Person = await people()
    response = await stranger.http.get("/r/bar")
    assert response.status_code == 401


async def test_pages_language_follows_browser_then_choice(live: LiveServer, people: Any) -> None:
    english: Person = await people(locale="en-GB,en;q=0.9")
    assert 'lang="en"' in (await english.http.get("/")).text
    french: Person = await people()
    assert 'lang="fr"' in (await french.http.get("/")).text
    token = await french.csrf("/")
    switched = await french.http.post("/lang", data={"csrf": token, "lang": "en", "next": "/login"})
    assert switched.status_code == 303 and switched.headers["location"] == "/login"
    assert 'lang="en"' in (await french.http.get("/login")).text
    token = await french.csrf("/")
    bad = await french.http.post(
        "/lang", data={"csrf": token, "lang": "xx", "next": "//evil.example"}
    )
    assert bad.status_code == 400
    token = await french.csrf("/")
    safe = await french.http.post(
        "/lang", data={"csrf": token, "lang": "fr", "next": "//evil.example"}
    )
    assert safe.headers["location"] == "/"


async def test_pages_admin_creates_invite_with_qr(live: LiveServer, people: Any) -> None:
    admin: Person = await people()
    await admin.sign_in_admin()
    token = await admin.csrf("/admin/invites")
    response = await admin.http.post(
        "/admin/invites",
        data={"csrf": token, "role": "member", "expires": "1d", "max_uses": "3", "note": "soirée"},
    )
    assert response.status_code == 303  # Post/Redirect/Get: the link shows on the invite's page
    shown = await admin.http.get(response.headers["location"])
    url = re.search(r'value="(http://127\.0\.0\.1:\d+/i/[^"]+)"', shown.text)
    assert url and 'src="data:image/svg+xml' in shown.text
    newcomer: Person = await people()
    assert (
        await newcomer.join(url.group(1).removeprefix(live.base), "Nouvelle")
    ).status_code == 303
    assert (
        "Member" in (await newcomer.http.get("/me")).text
        or "Membre" in (await newcomer.http.get("/me")).text
    )


async def test_pages_admin_pages_need_a_moderator(live: LiveServer, people: Any) -> None:
    member: Person = await people("Memb", role=Role.MEMBER)
    assert (await member.http.get("/admin/invites")).status_code == 403
    assert (await member.http.get("/admin/people")).status_code == 403
    token = await member.csrf("/me")
    assert (await member.http.post("/admin/invites", data={"csrf": token})).status_code == 403


async def test_pages_admin_bad_invite_input(live: LiveServer, people: Any) -> None:
    admin: Person = await people()
    await admin.sign_in_admin()
    token = await admin.csrf("/admin/invites")
    response = await admin.http.post("/admin/invites", data={"csrf": token, "max_uses": "many"})
    assert response.status_code == 400 and 'role="alert"' in response.text


async def test_pages_personal_link_signs_in_on_another_device(
    live: LiveServer, people: Any
) -> None:
    guest: Person = await people("Voyageuse")
    token = await guest.csrf("/me")
    page = await guest.http.post("/me/link", data={"csrf": token})
    link = re.search(r'value="http://127\.0\.0\.1:\d+(/l/[^"]+)"', page.text)
    assert link
    phone: Person = await people()
    token = await phone.csrf(link.group(1))
    response = await phone.http.post(link.group(1), data={"csrf": token})
    assert response.status_code == 303
    assert "Voyageuse" in (await phone.http.get("/me")).text


async def test_pages_guest_becomes_member(live: LiveServer, people: Any) -> None:
    guest: Person = await people("Futur membre")
    token = await guest.csrf("/me")
    response = await guest.http.post(
        "/me/account",
        data={"csrf": token, "email": "futur@example.org", "password": "un bon mot de passe"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/me?claimed=1"
    waiting = await guest.http.get("/me?claimed=1")
    assert "attend maintenant qu'un·e admin la confirme" in waiting.text
    assert "futur@example.org" in waiting.text
    # No SMTP here: the address counts once an admin confirms it (not before).
    assert (await guest.http.get("/r/ag")).status_code == 403
    guest_id = waiting.text.split('data-me="')[1].split('"')[0]
    admin: Person = await people()
    await admin.sign_in_admin()
    listing = await admin.http.get("/admin/people")
    assert "futur@example.org" in listing.text
    token = await admin.csrf("/admin/people")
    confirmed = await admin.http.post(
        f"/admin/people/{guest_id}/confirm-email", data={"csrf": token}
    )
    assert confirmed.status_code == 303
    assert (await guest.http.get("/r/ag")).status_code == 200  # members' room now open
    other: Person = await people()
    token = await other.csrf("/login")
    signed = await other.http.post(
        "/login",
        data={"csrf": token, "email": "futur@example.org", "password": "un bon mot de passe"},
    )
    assert signed.status_code == 303
    token = await other.csrf("/login")
    wrong = await other.http.post(
        "/login", data={"csrf": token, "email": "futur@example.org", "password": "faux"}
    )
    assert wrong.status_code == 400 and 'role="alert"' in wrong.text


async def test_pages_ban_closes_the_door(live: LiveServer, people: Any) -> None:
    admin: Person = await people()
    await admin.sign_in_admin()
    troll: Person = await people("Troll à bannir")
    troll_id = (await troll.http.get("/me")).text.split('data-me="')[1].split('"')[0]
    token = await admin.csrf("/admin/people")
    response = await admin.http.post(
        f"/admin/people/{troll_id}/ban", data={"csrf": token, "banned": "1", "reason": "insultes"}
    )
    assert response.status_code == 303
    assert (await troll.http.get("/r/bar")).status_code == 401
    log = await admin.http.get("/admin/people")
    assert "insultes" in log.text
    again = await troll.join(await live.invite(), "Pas un troll")
    assert again.status_code == 403


async def test_pages_history_fragment(live: LiveServer, people: Any) -> None:
    alice: Person = await people("Historienne")
    async with alice.socket() as a:
        await a.sub("room:jeux")
        ids = []
        for i in range(3):
            ack = await a.act("chat.send", {"room": "jeux", "body": f"h{i}"}, ref=str(i))
            ids.append(ack["data"]["message"])
    fragment = await alice.http.get(f"/r/jeux/messages?before={ids[-1]}")
    assert fragment.status_code == 200 and ">h0<" in fragment.text and ">h2<" not in fragment.text
    assert (await alice.http.get("/r/jeux/messages?before=abc")).status_code == 400


async def test_pages_plan_css_places_rooms(live: LiveServer, people: Any) -> None:
    person: Person = await people()
    css = await person.http.get("/venue/plan.css")
    assert ".plan-room--bar { grid-column: 1 / span 5; grid-row: 2 / span 3; }" in css.text
    again = await person.http.get("/venue/plan.css", headers={"if-none-match": css.headers["etag"]})
    assert again.status_code == 304


async def test_pages_admin_manages_a_team_room(live: LiveServer, people: Any) -> None:
    admin: Person = await people()
    await admin.sign_in_admin()
    member: Person = await people("Trésorière", role=Role.MEMBER)
    member_id = (await member.http.get("/me")).text.split('data-me="')[1].split('"')[0]
    assert (await member.http.get("/r/bureau")).status_code == 403
    page = await admin.http.get("/admin/people")
    assert 'id="teams"' in page.text and "/admin/rooms/bureau/team" in page.text
    token = await admin.csrf("/admin/people")
    added = await admin.http.post(
        "/admin/rooms/bureau/team", data={"csrf": token, "user": member_id, "member": "1"}
    )
    assert added.status_code == 303
    assert (await member.http.get("/r/bureau")).status_code == 200
    token = await member.csrf("/me")
    refused = await member.http.post(
        "/admin/rooms/bureau/team", data={"csrf": token, "user": member_id, "member": "0"}
    )
    assert refused.status_code == 403
    token = await admin.csrf("/admin/people")
    removed = await admin.http.post(
        "/admin/rooms/bureau/team", data={"csrf": token, "user": member_id, "member": "0"}
    )
    assert removed.status_code == 303
    assert (await member.http.get("/r/bureau")).status_code == 403
    wrong = await admin.http.post(
        "/admin/rooms/bar/team", data={"csrf": token, "user": member_id, "member": "1"}
    )
    assert wrong.status_code == 404
