"""« Déplacer cette date » and cancelling one date tell the people coming: inbox and mail."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select

from estaminet.agenda import actions, answers
from estaminet.agenda.rules import Answer
from estaminet.agenda.service import AgendaService
from estaminet.people import inbox, outbox
from estaminet.people.inbox import Inbox
from estaminet.people.model import Role
from estaminet.people.schema import mail_outbox
from estaminet.realtime.hub import MemoryHub
from estaminet.settings import Settings
from estaminet.store import Database
from estaminet.web.templating import Templates
from tests.agenda.conftest import NOW, add_person
from tests.agenda.test_reminders import BRUSSELS, game_night


class Sent:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def send(self, message: EmailMessage) -> None:
        self.messages.append(message)


async def kinds(db: Database, user_id: str) -> list[str]:
    async with db.read() as conn:
        return [n.kind for n in reversed(await inbox.listing(conn, user_id))]


async def test_date_notices_moved_and_cancelled_dates_tell_who_comes(
    db: Database, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="k", base_url="https://lab.example.be")
    sent = Sent()
    mail = outbox.Outbox(db, sent, lambda: NOW)
    hub = MemoryHub()
    service = AgendaService(
        db, hub, Templates(), settings, Inbox(db, hub, Templates(), mail), lambda: NOW, sent
    )
    animator = await add_person(db, "anim", "Anim", Role.ANIMATOR)
    alice = await add_person(db, "alice", "Alice", email="alice@example.be")
    bruno = await add_person(db, "bruno", "Bruno", email="bruno@example.be")
    maybe = await add_person(db, "max", "Max", email="max@example.be")
    event_id = await actions.create_event(db, animator, game_night(), NOW, BRUSSELS)
    key = "20261204T2000"
    for person, said in ((alice, Answer.YES), (bruno, Answer.YES), (maybe, Answer.MAYBE)):
        await answers.answer(db, person, event_id, key, said, NOW, BRUSSELS)
    # Bruno does not want moved dates by mail (he still gets them in his inbox).
    async with db.begin() as conn:
        chosen = await outbox.mail_settings(conn, bruno.id)
        await outbox.set_mail_settings(conn, bruno.id, {**chosen, "agenda/moved": False})

    await actions.change_occurrence(
        db,
        animator,
        event_id,
        key,
        NOW,
        BRUSSELS,
        start=datetime(2026, 12, 5, 18, 0),
        duration=timedelta(hours=2),
    )
    assert await service.reminders.fire_due(NOW) == 2
    assert await kinds(db, alice.id) == ["agenda/moved"]
    assert await kinds(db, bruno.id) == ["agenda/moved"]  # waiting: told too
    assert await kinds(db, maybe.id) == []
    async with db.read() as conn:
        note = (await inbox.listing(conn, alice.id))[0]
    assert note.text("fr") is not None and "samedi 5 décembre, 18:00" in note.text("fr")
    assert note.link == f"/agenda/{event_id}/{key}"
    assert await mail.send_due(NOW) == 1
    assert [m["To"] for m in sent.messages] == ["alice@example.be"]
    assert str(sent.messages[0]["Subject"]).startswith("Date déplacée")
    body = sent.messages[0].get_body(("plain",))
    assert body is not None and "18:00" in body.get_content()

    # Moved again: told again. Then cancelled: told once more.
    await actions.change_occurrence(
        db,
        animator,
        event_id,
        key,
        NOW,
        BRUSSELS,
        start=datetime(2026, 12, 5, 19, 0),
        duration=timedelta(hours=2),
    )
    await actions.change_occurrence(db, animator, event_id, key, NOW, BRUSSELS, cancel=True)
    await service.reminders.fire_due(NOW)
    assert await kinds(db, alice.id) == ["agenda/moved", "agenda/cancelled"]
    assert await kinds(db, bruno.id) == ["agenda/moved", "agenda/cancelled"]
    assert await service.reminders.fire_due(NOW + timedelta(minutes=1)) == 0  # once
    async with db.read() as conn:
        queued = (await conn.execute(select(mail_outbox.c.recipient, mail_outbox.c.kind))).all()
    assert sorted(queued) == [
        ("alice@example.be", "agenda/cancelled"),
        ("alice@example.be", "agenda/moved"),
        ("bruno@example.be", "agenda/cancelled"),
    ]
