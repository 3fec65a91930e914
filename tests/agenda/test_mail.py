"""E-mail reminders through a real (local) SMTP server: French, with the event attached."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import vobject

from estaminet.agenda import actions, answers, edits
from estaminet.agenda.mail import SmtpMailer
from estaminet.agenda.rules import Answer
from estaminet.agenda.service import AgendaService
from estaminet.people.inbox import Inbox as PeopleInbox
from estaminet.people.inbox import listing
from estaminet.people.model import Role, User
from estaminet.people.outbox import Outbox
from estaminet.realtime.hub import MemoryHub
from estaminet.settings import Settings
from estaminet.store import Database
from estaminet.web.templating import Templates
from tests.agenda.conftest import NOW, add_person
from tests.agenda.test_reminders import BRUSSELS, game_night
from tests.support.smtp import Inbox, smtp_server


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as server:
        yield server


Mailing = tuple[Inbox, Database, Outbox, AgendaService]


@pytest.fixture
def mailing(database_url: str, tmp_path: Path, smtp: tuple[Inbox, int]) -> Mailing:
    """An agenda service that sends its e-mail to the local SMTP server of ``smtp``."""
    inbox, port = smtp
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        secret_key="k",
        base_url="https://lab.example.be",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
        smtp_from="agenda@lab.example.be",
    )
    db = Database(database_url)
    hub = MemoryHub()
    mailer = SmtpMailer("127.0.0.1", port, starttls=False)
    mail = Outbox(db, mailer, lambda: NOW)
    service = AgendaService(
        db,
        hub,
        Templates(),
        settings,
        PeopleInbox(db, hub, Templates(), mail),
        lambda: NOW,
        mailer,
    )
    return inbox, db, mail, service


async def _mia_comes_to_game_night(db: Database) -> tuple[User, int]:
    """An animator's weekly game night, and Mia (with an e-mail address) says yes to the first."""
    animator = await add_person(db, "anim", "Anim", Role.ANIMATOR)
    member = await add_person(db, "mia", "Mia", email="mia@example.be")
    event_id = await actions.create_event(db, animator, game_night(), NOW, BRUSSELS)
    await answers.answer(db, member, event_id, "20261127T2000", Answer.YES, NOW, BRUSSELS)
    return animator, event_id


async def test_mail_reminder_arrives_in_french_with_the_event(
    mailing: Mailing,
) -> None:
    inbox, db, mail, service = mailing
    try:
        await _mia_comes_to_game_night(db)
        start = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
        assert await service.reminders.fire_due(start - timedelta(hours=23)) == 1
        assert inbox.messages == []  # in the outbox: the mail worker sends it
        assert await mail.send_due(NOW) == 1
        async with db.read() as conn:
            notes = await listing(conn, "mia")
    finally:
        await db.dispose()
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "mia@example.be"
    assert message["Subject"].startswith("Rappel")
    assert "vendredi 27 novembre" in message["Subject"]
    parts = {part.get_content_type(): part for part in message.walk()}
    body = parts["text/plain"].get_payload(decode=True).decode()
    assert "c'est demain" in body and "https://lab.example.be/agenda/" in body
    ics = parts["text/calendar"].get_payload(decode=True).decode()
    assert vobject.readOne(ics).vevent.summary.value == "Soirée jeux"
    # In Mia's inbox too (and shown as a toast where she has a tab open).
    assert [(n.user_id, n.kind) for n in notes] == [("mia", "agenda/24h")]


async def test_mail_changed_event_says_so_with_the_new_version(
    mailing: Mailing,
) -> None:
    inbox, db, mail, service = mailing
    try:
        animator, event_id = await _mia_comes_to_game_night(db)
        earlier = game_night(start=datetime(2026, 11, 27, 19, 30))
        await edits.edit_event(db, animator, event_id, earlier, NOW, BRUSSELS, version=0)
        assert await service.reminders.fire_due(NOW) == 1
        assert await mail.send_due(NOW) == 1
        async with db.read() as conn:
            notes = await listing(conn, "mia")
    finally:
        await db.dispose()
    message = inbox.messages[0]
    assert message["Subject"].startswith("L'évènement a changé")
    body = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    text = body.get_payload(decode=True).decode()
    assert "19:30" in text and "Ta réponse est gardée" in text
    ics = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    vevent = vobject.readOne(ics.get_payload(decode=True).decode()).vevent
    assert vevent.sequence.value == "1"
    assert [(n.user_id, n.kind) for n in notes] == [("mia", "agenda/changed")]
