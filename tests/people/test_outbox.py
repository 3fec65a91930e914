"""The mail outbox against a real (local) SMTP server that hangs, refuses and goes away.

The worker's clock is injected: "later" is a number the test moves, nobody sleeps.
"""

from __future__ import annotations

import asyncio
import email
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import insert, select

from estaminet.agenda.mail import SmtpMailer
from estaminet.people import inbox, outbox
from estaminet.people.actions import create_user
from estaminet.people.model import Role
from estaminet.people.schema import mail_outbox
from estaminet.store import Database
from tests.conftest import FixedClock
from tests.support.live_server import LiveServer, Person, free_port


class Moody:
    """An SMTP server with moods per recipient: ``hang``, ``soft`` (451 twice), ``hard`` (550)."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self.tries: Counter[str] = Counter()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        who = address.split("@")[0]
        self.tries[who] += 1
        if who == "hard":
            return "550 No such mailbox here"
        if who == "soft" and self.tries[who] <= 2:
            return "451 Greylisted, try again later"
        if who == "hang" and self.tries[who] == 1:
            await asyncio.sleep(5)  # longer than the worker waits
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(str(message["To"]).split("@")[0])
        return "250 Message accepted"


@pytest.fixture
def smtp() -> Iterator[tuple[Moody, Controller]]:
    moody = Moody()
    controller = Controller(moody, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield moody, controller
    finally:
        controller.stop()


def message(to: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "lab@example.be"
    mail["To"] = to
    mail["Subject"] = "Rappel : Soirée jeux"
    mail.set_content("C'est demain.")
    return mail


async def queue(db: Database, clock: FixedClock, *names: str) -> dict[str, str]:
    """One person per name, with an address, and a reminder for each (inbox and outbox)."""
    ids = {}
    for name in names:
        person = await create_user(db, name, Role.MEMBER, clock(), email=f"{name}@example.be")
        ids[name] = person.id
        async with db.begin() as conn:
            note = await inbox.notify(
                conn,
                person.id,
                "agenda/24h",
                clock(),
                texts=inbox.texts_for(lambda locale: ("Rappel", None)),
                mail=message(f"{name}@example.be"),
            )
        assert note is not None
    return ids


async def states(db: Database) -> dict[str, tuple[str, int]]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(mail_outbox.c.recipient, mail_outbox.c.state, mail_outbox.c.attempts)
        )
        return {r.recipient.split("@")[0]: (r.state, r.attempts) for r in rows}


async def test_outbox_hanging_and_refusing_server_delays_nobody_else(
    db: Database, clock: FixedClock, smtp: tuple[Moody, Controller]
) -> None:
    moody, controller = smtp
    worker = outbox.Outbox(
        db, SmtpMailer("127.0.0.1", controller.port, starttls=False), clock, timeout=1.0
    )
    await queue(db, clock, "alice", "hang", "soft", "hard", "bruno")
    assert await worker.send_due() == 2
    # Alice's and Bruno's mail went out while the server hung on another.
    assert sorted(moody.received) == ["alice", "bruno"]
    assert await states(db) == {
        "alice": ("sent", 1),
        "bruno": ("sent", 1),
        "hang": ("pending", 1),  # no answer in time: later
        "soft": ("pending", 1),  # 451: later
        "hard": ("undeliverable", 1),  # 550: final
    }
    async with db.read() as conn:
        gone = await outbox.undeliverable(conn)
    assert [(m.recipient, m.kind) for m in gone] == [("hard@example.be", "agenda/24h")]
    assert gone[0].last_error is not None and "550" in gone[0].last_error
    # Not yet due: nothing is tried.
    assert await worker.send_due(clock.advance(seconds=30)) == 0
    # A minute after the first try: the hung one goes, the greylisted one is refused again.
    assert await worker.send_due(clock.advance(seconds=31)) == 1
    assert (await states(db))["soft"] == ("pending", 2)
    assert await worker.send_due(clock.advance(seconds=90)) == 0  # waits two minutes now
    assert await worker.send_due(clock.advance(seconds=31)) == 1
    assert await worker.send_due(clock.advance(hours=2)) == 0
    assert Counter(moody.received) == {"alice": 1, "bruno": 1, "hang": 1, "soft": 1}
    assert await worker.next_due() is None


async def test_outbox_server_away_for_a_while_then_mail_goes_once(
    db: Database, clock: FixedClock
) -> None:
    moody, port = Moody(), free_port()  # the mail server is away: nothing listens there
    worker = outbox.Outbox(db, SmtpMailer("127.0.0.1", port, starttls=False), clock, timeout=5.0)
    await queue(db, clock, "ann", "ben", "cleo")
    assert await worker.send_due() == 0
    assert await worker.send_due(clock.advance(seconds=61)) == 0
    assert set((await states(db)).values()) == {("pending", 2)}
    due = await worker.next_due()
    assert due is not None and due == clock() + timedelta(minutes=2)
    # It comes back: each mail goes once.
    again = Controller(moody, hostname="127.0.0.1", port=port)
    again.start()
    try:
        assert await worker.send_due(clock.advance(minutes=2)) == 3
        assert await worker.send_due(clock.advance(hours=1)) == 0
    finally:
        again.stop()
    assert sorted(moody.received) == ["ann", "ben", "cleo"]
    assert set((await states(db)).values()) == {("sent", 3)}


async def test_outbox_gives_up_after_its_tries_and_follows_choices(
    db: Database, clock: FixedClock
) -> None:
    class Down:
        async def send(self, message: EmailMessage) -> None:
            raise ConnectionRefusedError("connection refused")

    worker = outbox.Outbox(db, Down(), clock, max_attempts=3)
    ids = await queue(db, clock, "dora")
    for _ in range(3):
        await worker.send_due(clock.advance(hours=1))
    assert (await states(db))["dora"] == ("undeliverable", 3)
    async with db.read() as conn:
        gone = await outbox.undeliverable(conn)
    assert gone[0].last_error is not None and "refused" in gone[0].last_error
    # Dora does not want reminders by mail: the notice is in her inbox, no mail is queued.
    async with db.begin() as conn:
        await outbox.set_mail_settings(conn, ids["dora"], {"agenda/start": True})
        assert not await outbox.by_mail(conn, ids["dora"], "agenda/24h")
        assert await outbox.by_mail(conn, ids["dora"], "agenda/start")
        note = await inbox.notify(
            conn,
            ids["dora"],
            "agenda/24h",
            clock(),
            texts=inbox.texts_for(lambda locale: ("Rappel", None)),
            mail=message("dora@example.be"),
        )
    assert note is not None
    async with db.read() as conn:
        assert len((await conn.execute(select(mail_outbox))).all()) == 1
        assert (await inbox.unread_count(conn, ids["dora"])) == 2


async def test_outbox_undeliverable_mail_is_shown_to_admins_and_choices_saved(
    live: LiveServer, people: Any
) -> None:
    db = Database(live.settings.resolved_database_url)
    try:
        somebody = await create_user(db, "Zoé", Role.MEMBER, FixedClock()())
        async with db.begin() as conn:
            await conn.execute(
                insert(mail_outbox).values(
                    user_id=somebody.id,
                    kind="agenda/cancelled",
                    recipient="zoe@example.be",
                    message=b"x",
                    state="undeliverable",
                    attempts=8,
                    next_attempt_at=FixedClock()(),
                    last_error="550 No such mailbox here",
                    created_at=FixedClock()(),
                    done_at=FixedClock()(),
                )
            )
    finally:
        await db.dispose()
    admin = Person(live)
    try:
        await admin.sign_in_admin()
        page = await admin.http.get("/admin/mail")
        assert page.status_code == 200
        assert "zoe@example.be" in page.text and "550 No such mailbox here" in page.text
    finally:
        await admin.close()
    guest: Person = await people("Gaston")
    assert (await guest.http.get("/admin/mail")).status_code == 403
    me = await guest.http.get("/me")
    assert 'name="mail" value="agenda/24h" checked' in me.text
    assert 'name="mail" value="agenda/start" >' in me.text or 'value="agenda/start" >' in me.text
    token = await guest.csrf("/me")
    saved = await guest.http.post(
        "/me/mail", data={"csrf": token, "mail": ["agenda/start", "nonsense"]}
    )
    assert saved.status_code == 303
    me = await guest.http.get("/me")
    assert 'value="agenda/start" checked' in me.text
    assert 'value="agenda/24h" checked' not in me.text
