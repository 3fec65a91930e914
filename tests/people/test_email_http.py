"""Proving an address by e-mail, through a real (local) SMTP server, on each database.

The answer to "here is my address" is the same whether the address is free or
already has an account: only the mailbox's owner learns which.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest

from estaminet.people.model import Role
from tests.support.live_server import LiveServer, Person, start_server_on
from tests.support.smtp import Inbox, smtp_server

PASSWORD = "un mot de passe long"


@pytest.fixture(scope="module")
def inbox() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def live(
    database_backend: str,
    tmp_path_factory: pytest.TempPathFactory,
    inbox: tuple[Inbox, int],
) -> Iterator[LiveServer]:
    """The venue with e-mail on, on each database."""
    mail = {
        "smtp_host": "127.0.0.1",
        "smtp_port": inbox[1],
        "smtp_starttls": False,
        "smtp_from": "lab@lab.example",
    }
    yield from start_server_on(database_backend, tmp_path_factory.mktemp("live"), **mail)


async def give_address(person: Person, address: str) -> tuple[int, str, str]:
    """Post the form; what the person sees: status, where it leads, that page's banner."""
    token = await person.csrf("/me")
    response = await person.http.post(
        "/me/account", data={"csrf": token, "email": address, "password": PASSWORD}
    )
    location = response.headers.get("location", "")
    shown = (await person.http.get(location)).text if location else response.text
    banner = re.search(r'<p class="banner" role="status">(.*?)</p>', shown, re.S)
    return response.status_code, location, banner.group(1) if banner else ""


async def mail_to(box: Inbox, address: str) -> Message:
    for _ in range(100):
        found = box.to(address)
        if found:
            return found[-1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no e-mail to {address}")


async def test_email_link_proves_the_address(
    live: LiveServer, people: Any, inbox: tuple[Inbox, int]
) -> None:
    box, _ = inbox
    address = f"jeanne-{live.settings.data_dir.name}@lab.example"
    jeanne: Person = await people("Jeanne")
    status, location, banner = await give_address(jeanne, address)
    assert (status, location) == (303, "/me?claimed=1")
    assert "Nous avons envoyé un lien" in banner
    assert (await jeanne.http.get("/r/ag")).status_code == 403  # not yet
    message = await mail_to(box, address)
    assert "confirm" in str(message["Subject"]).lower()
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    link = re.search(r"http://127\.0\.0\.1:\d+(/me/email/[\w-]+)", body.get_content())
    assert link, body.get_content()
    # Someone else (the mailbox's owner, on another device) follows the link.
    phone: Person = await people()
    token = await phone.csrf(link.group(1))
    confirmed = await phone.http.post(link.group(1), data={"csrf": token})
    assert confirmed.status_code == 303
    assert (await jeanne.http.get("/r/ag")).status_code == 200
    token = await phone.csrf("/login")
    signed = await phone.http.post(
        "/login", data={"csrf": token, "email": address, "password": PASSWORD}
    )
    assert signed.status_code == 303
    again = await phone.http.post(link.group(1), data={"csrf": token})
    assert again.status_code == 410  # a link works once


async def test_email_taken_address_gets_the_same_answer(
    live: LiveServer, people: Any, inbox: tuple[Inbox, int]
) -> None:
    box, _ = inbox
    taken = f"pris-{live.settings.data_dir.name}@lab.example"
    free = f"libre-{live.settings.data_dir.name}@lab.example"
    admin: Person = await people()
    await admin.sign_in_admin()
    owner: Person = await people("Propriétaire", role=Role.MEMBER)
    await give_address(owner, taken)
    link = re.search(r"(/me/email/[\w-]+)", str((await mail_to(box, taken)).get_body()))
    assert link
    token = await owner.csrf(link.group(1))
    assert (await owner.http.post(link.group(1), data={"csrf": token})).status_code == 303

    curious: Person = await people("Curieux")
    on_taken = await give_address(curious, taken)
    on_free = await give_address(curious, free)
    assert on_taken == on_free  # nothing tells the curious guest that an account exists
    note = str((await mail_to(box, taken)).get_body(preferencelist=("plain",)))
    assert "/login" in note and "/me/email/" not in note  # the owner is told, not the guest
    assert "/me/email/" in str((await mail_to(box, free)).get_body(preferencelist=("plain",)))
    assert (await curious.http.get("/r/ag")).status_code == 403


async def test_email_bad_input_is_refused_clearly(live: LiveServer, people: Any) -> None:
    guest: Person = await people("Gus")
    token = await guest.csrf("/me")
    short = await guest.http.post(
        "/me/account", data={"csrf": token, "email": "gus@lab.example", "password": "court"}
    )
    assert short.status_code == 400 and "au moins 10 caractères" in short.text
    bad = await guest.http.post(
        "/me/account", data={"csrf": token, "email": "pas une adresse", "password": PASSWORD}
    )
    assert bad.status_code == 400 and 'role="alert"' in bad.text
    unknown = await guest.http.get("/me/email/nothing-here")
    token = await guest.csrf("/me/email/nothing-here")
    refused = await guest.http.post("/me/email/nothing-here", data={"csrf": token})
    assert unknown.status_code == 200 and refused.status_code == 410
    assert "ne fonctionne pas" in refused.text
