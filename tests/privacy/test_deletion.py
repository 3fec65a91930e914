"""Deleting an account (one's own, or by an admin), signing out other devices, expired
sessions: through HTTP and the gateway, on each database; then every table is scanned."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import inspect, text, update
from websockets.exceptions import ConnectionClosed

from estaminet.people.model import Role
from estaminet.people.schema import sessions
from estaminet.store import Database, utcnow
from tests.support.live_server import LiveServer, Person, Socket, start_server_on
from tests.tables.test_tables_live import create_table
from tests.web.test_access_changes import admin_of, user_id


@pytest.fixture(scope="module")
def live(database_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The venue served for real, on each database."""
    yield from start_server_on(database_backend, tmp_path_factory.mktemp("live"))


async def close_code(sock: Socket) -> int | None:
    """Read until the server closes the socket; its close code."""
    try:
        async with asyncio.timeout(10):
            while True:
                await sock.ws.recv()
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


async def scan(live: LiveServer, needles: list[str]) -> list[str]:
    """Every place in every table of the database (reflected, not just the known ones)
    where one of ``needles`` appears."""
    db = Database(live.settings.resolved_database_url)
    found: list[str] = []
    try:
        async with db.read() as conn:
            names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
            for name in names:
                rows = await conn.execute(text(f'SELECT * FROM "{name}"'))
                for row in rows:
                    for column, value in row._mapping.items():
                        if isinstance(value, bytes | memoryview):
                            shown = bytes(value).decode("utf-8", "replace")
                        elif isinstance(value, dict | list):
                            shown = json.dumps(value, ensure_ascii=False)
                        else:
                            shown = str(value)
                        found += [f"{name}.{column} ~ {n}" for n in needles if n in shown]
    finally:
        await db.dispose()
    return found


async def in_database(live: LiveServer, sql: str, **params: Any) -> list[Any]:
    db = Database(live.settings.resolved_database_url)
    try:
        async with db.read() as conn:
            return list(await conn.execute(text(sql), params))
    finally:
        await db.dispose()


async def personal_link(person: Person, people: Any) -> Person:
    """The same person on a second device, through their personal link."""
    token = await person.csrf("/me")
    made = await person.http.post("/me/link", data={"csrf": token})
    link = re.search(r"/l/[\w-]+", made.text)
    assert link
    other: Person = await people()
    token = await other.csrf(link.group(0))
    assert (await other.http.post(link.group(0), data={"csrf": token})).status_code == 303
    return other


async def make_account(person: Person, admin: Person, email: str, password: str) -> None:
    token = await person.csrf("/me")
    claimed = await person.http.post(
        "/me/account", data={"csrf": token, "email": email, "password": password}
    )
    assert claimed.status_code == 303, claimed.text[:300]
    token = await admin.csrf("/admin/people")
    confirmed = await admin.http.post(
        f"/admin/people/{await user_id(person)}/confirm-email", data={"csrf": token}
    )
    assert confirmed.status_code == 303


async def test_delete_my_account_leaves_no_trace_of_me(live: LiveServer, people: Any) -> None:
    admin = await admin_of(people)
    lea: Person = await people("Léa Partante", role=Role.MEMBER)
    omer: Person = await people("Omer Restant")
    lea_id = await user_id(lea)
    await make_account(lea, admin, "lea.partante@example.org", "un mot de passe long")
    async with lea.socket() as sock, omer.socket() as them:
        await sock.sub("room:bar")
        said = await sock.act("chat.send", {"room": "bar", "body": "Salut @Omer Restant !"})
        assert said["type"] == "ack"
        await them.sub("room:bar")
        answer = await them.act("chat.send", {"room": "bar", "body": "Coucou @Léa Partante"})
        assert answer["type"] == "ack"
    await create_table(lea, title="Tablée de Léa")
    token = await admin.csrf("/admin/people")  # moderation about her: a ban, then lifted
    for banned in ("1", "0"):
        await admin.http.post(
            f"/admin/people/{lea_id}/ban",
            data={"csrf": token, "banned": banned, "reason": "pour voir"},
        )
    lea_again = await sign_in_again(people)
    phone = await personal_link(lea_again, people)  # a second sign-in, with its device

    # A wrong password, or no form token: refused, with words, and nothing deleted.
    token = await lea_again.csrf("/me/delete")
    wrong = await lea_again.http.post("/me/delete", data={"csrf": token, "password": "non"})
    assert wrong.status_code == 400
    assert "Ce n'est pas ton mot de passe" in wrong.text.replace("&#39;", "'")
    forged = await lea_again.http.post("/me/delete", data={"password": "un mot de passe long"})
    assert forged.status_code == 403
    assert (await lea_again.http.get("/me")).status_code == 200

    # The scan sees her while she is here (it would not pass by seeing nothing).
    before = await scan(live, [lea_id, "Léa Partante", "lea.partante@example.org"])
    for place in ("users.email", "sessions.user_id", "messages.author_name", "notifications."):
        assert any(place in hit for hit in before), place
    async with lea_again.socket() as open_tab, phone.socket() as on_phone:
        gone = await lea_again.http.post(
            "/me/delete", data={"csrf": token, "password": "un mot de passe long"}
        )
        assert gone.status_code == 200 and "Ton compte est supprimé" in gone.text
        # Every tab of hers, on every device, is told at once.
        assert await close_code(open_tab) == 4401
        assert await close_code(on_phone) == 4401
    for device in (lea_again, phone):
        assert (await device.http.get("/me")).status_code in (303, 401)
        with pytest.raises(ConnectionClosed):
            async with device.socket():
                pass

    # Nothing in any table names her: not her id, her name or her address.
    assert await scan(live, [lea_id, "Léa Partante", "lea.partante@example.org"]) == []
    # Her message stays, signed "personne partie"; Omer's mention of her names nobody.
    kept = await in_database(
        live, "SELECT author_name, body FROM messages WHERE body LIKE :b", b="Salut @Omer%"
    )
    assert [tuple(r) for r in kept] == [("personne partie", "Salut @Omer Restant !")]
    mention = await in_database(
        live, "SELECT body, html FROM messages WHERE body LIKE :b", b="Coucou%"
    )
    assert mention[0][0] == "Coucou @personne partie"
    assert "data-user" not in mention[0][1]


async def sign_in_again(people: Any) -> Person:
    """A ban ends every sign-in: the person comes back by signing in again."""
    again: Person = await people()
    token = await again.csrf("/login")
    response = await again.http.post(
        "/login",
        data={
            "csrf": token,
            "email": "lea.partante@example.org",
            "password": "un mot de passe long",
        },
    )
    assert response.status_code == 303, response.text[:300]
    return again


async def test_admin_deletes_a_person_logged_without_naming_them(
    live: LiveServer, people: Any
) -> None:
    admin = await admin_of(people)
    moderator: Person = await people("Modeste Effaceur", role=Role.MODERATOR)
    zoe: Person = await people("Zoé Effacée")
    zoe_id = await user_id(zoe)
    people_page = await admin.http.get("/admin/people")
    assert f'href="/admin/people/{zoe_id}/delete"' in people_page.text
    # A moderator may not; an admin must type the word.
    assert (await moderator.http.get(f"/admin/people/{zoe_id}/delete")).status_code == 403
    token = await moderator.csrf("/me")
    refused = await moderator.http.post(
        f"/admin/people/{zoe_id}/delete", data={"csrf": token, "confirm": "supprimer"}
    )
    assert refused.status_code == 403
    token = await admin.csrf(f"/admin/people/{zoe_id}/delete")
    unconfirmed = await admin.http.post(
        f"/admin/people/{zoe_id}/delete", data={"csrf": token, "confirm": "oui"}
    )
    assert unconfirmed.status_code == 400
    assert "Tape le mot « supprimer » pour confirmer" in unconfirmed.text
    async with zoe.socket() as her_tab, admin.socket() as watching:
        await her_tab.sub("room:bar")
        said = await her_tab.act("chat.send", {"room": "bar", "body": "Zoé était là"})
        assert said["type"] == "ack"
        await watching.sub("room:bar")
        done = await admin.http.post(
            f"/admin/people/{zoe_id}/delete", data={"csrf": token, "confirm": "Supprimer "}
        )
        assert done.status_code == 303 and done.headers["location"] == "/admin/people?deleted=1"
        assert await close_code(her_tab) == 4401

        # An open tab in the room sees her message signed "personne partie" at once.
        def her_message(frame: dict[str, Any]) -> list[str]:
            return [
                op.get("html", "")
                for op in frame.get("ops", [])
                if "Zoé était là" in op.get("html", "")
            ]

        changed = await watching.take(
            lambda f: (
                f.get("topic") == "room:bar"
                and any("personne partie" in html for html in her_message(f))
            )
        )
        assert all("Zoé Effacée" not in html for html in her_message(changed))
    assert await scan(live, [zoe_id, "Zoé Effacée"]) == []
    logged = await in_database(
        live,
        "SELECT target_user_id, reason FROM moderation_log WHERE action = 'delete_account'",
    )
    assert logged and all(tuple(row) == (None, None) for row in logged)
    assert (await admin.http.get(f"/admin/people/{zoe_id}/delete")).status_code == 404


async def test_the_last_admin_cannot_be_deleted(live: LiveServer, people: Any) -> None:
    admin = await admin_of(people)
    token = await admin.csrf("/me/delete")
    refused = await admin.http.post("/me/delete", data={"csrf": token, "confirm": "supprimer"})
    assert refused.status_code == 409
    assert "dernier·e admin" in refused.text
    assert (await admin.http.get("/admin/people")).status_code == 200


async def test_removed_messages_mode_erases_the_words(live: LiveServer, people: Any) -> None:
    live.settings.account_deletion_messages = "remove"
    try:
        rita: Person = await people("Rita Effacée")
        async with rita.socket() as sock:
            await sock.sub("room:bar")
            said = await sock.act("chat.send", {"room": "bar", "body": "mots de Rita à effacer"})
            assert said["type"] == "ack"
        page = await rita.http.get("/me/delete")
        assert "sont effacés" in page.text
        token = await rita.csrf("/me/delete")
        done = await rita.http.post("/me/delete", data={"csrf": token, "confirm": "supprimer"})
        assert done.status_code == 200
        assert await scan(live, ["mots de Rita", "Rita Effacée"]) == []
        privacy = await rita.http.get("/privacy")
        assert "sont effacés" in privacy.text
    finally:
        live.settings.account_deletion_messages = "anonymize"


async def test_sign_out_my_other_devices(live: LiveServer, people: Any) -> None:
    laptop: Person = await people("Lou Deux Appareils")
    phone = await personal_link(laptop, people)
    third = await personal_link(laptop, people)
    async with laptop.socket() as on_laptop, phone.socket() as on_phone:
        token = await laptop.csrf("/me/data")
        missing = await laptop.http.post("/me/sessions/others", data={})
        assert missing.status_code == 403  # no form token: nothing ended
        assert (await phone.http.get("/me")).status_code == 200
        done = await laptop.http.post("/me/sessions/others", data={"csrf": token})
        assert done.status_code == 303
        assert await close_code(on_phone) == 4401
        await on_laptop.send({"type": "ping"})
        await on_laptop.expect(type="pong")
    assert (await phone.http.get("/me")).status_code in (303, 401)
    assert (await third.http.get("/me")).status_code in (303, 401)
    page = await laptop.http.get(done.headers["location"])
    assert page.status_code == 200 and "2 connexions terminées" in page.text
    token = await laptop.csrf("/me/data")
    again = await laptop.http.post("/me/sessions/others", data={"csrf": token})
    page = await laptop.http.get(again.headers["location"])
    assert "connecté·e sur aucun autre appareil" in page.text
    odd = await laptop.http.get("/me/data?others=%F0%9F%92%A5")  # a made-up count: no banner
    assert odd.status_code == 200 and "déconnecté" not in odd.text.split('id="devices"')[1][:600]


async def test_expired_session_is_refused_on_http_and_socket(live: LiveServer, people: Any) -> None:
    old: Person = await people("Ancienne Session")
    assert (await old.http.get("/me")).status_code == 200
    person_id = await user_id(old)
    db = Database(live.settings.resolved_database_url)
    try:
        async with db.begin() as conn:  # the sign-in is 200 days old, used yesterday
            await conn.execute(
                update(sessions)
                .where(sessions.c.user_id == person_id)
                .values(
                    created_at=utcnow() - timedelta(days=200),
                    last_seen_at=utcnow() - timedelta(days=1),
                )
            )
    finally:
        await db.dispose()
    assert (await old.http.get("/me")).status_code in (303, 401)
    with pytest.raises(ConnectionClosed) as refused:
        async with old.socket():
            pass
    assert refused.value.rcvd is not None and refused.value.rcvd.code == 4401


async def test_privacy_page_states_the_real_settings(live: LiveServer, people: Any) -> None:
    visitor: Person = await people()
    page = await visitor.http.get("/privacy")
    assert page.status_code == 200
    assert "sans limite de temps" in page.text  # no retention set
    assert "après 180 jours" in page.text and "pas servi depuis 30 jours" in page.text
    assert "personne partie" in page.text
    live.settings.chat_retention_days = 90
    try:
        page = await visitor.http.get("/privacy")
        assert "effacés après 90 jours" in page.text
    finally:
        live.settings.chat_retention_days = None
    english: Person = await people(locale="en")
    assert "What" in (await english.http.get("/privacy")).text
    member: Person = await people("Footer Lecteur")
    for path in ("/", "/me", "/me/data", "/agenda"):
        assert 'href="/privacy"' in (await member.http.get(path)).text, path
