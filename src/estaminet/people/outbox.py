"""Mail through a durable outbox: written with the notice, sent by a worker that retries.

:func:`enqueue` writes the whole message in the caller's transaction (with the inbox
row), when the person has an address and chose that kind of notice by mail. The
:class:`Outbox` worker sends what is due, a few at a time (``concurrency``), each
within ``timeout`` seconds: a server that hangs holds one slot for that long, never
the in-app notices (another loop) nor the whole queue. A refused connection, a
timeout or a *4xx* answer is tried again later, waiting longer each time (one minute,
two, four… up to an hour); a *5xx* answer is final. After ``max_attempts`` tries, or
a *5xx*, the mail is marked **undeliverable**, with the last error: admins see it
at ``/admin/mail``. Time comes from the injected clock: tests never sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from typing import Any, Protocol

import aiosmtplib
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.kernel.i18n import N_
from estaminet.people.schema import mail_choices, mail_outbox
from estaminet.store import Database

__all__ = [
    "MAIL_KINDS",
    "Mailer",
    "Outbox",
    "OutboxMail",
    "by_mail",
    "enqueue",
    "mail_settings",
    "set_mail_settings",
    "undeliverable",
]

log = logging.getLogger(__name__)

MAIL_KINDS: dict[str, tuple[str, bool]] = {
    # kind: (what the person reads on their page, by mail unless they said otherwise)
    "agenda/24h": (N_("The reminder the day before"), True),
    "agenda/15m": (N_("The reminder 15 minutes before"), True),
    "agenda/start": (N_("\u201cIt's starting\u201d"), False),
    "agenda/changed": (N_("An event I come to changes"), True),
    "agenda/moved": (N_("A date I come to moves"), True),
    "agenda/cancelled": (N_("A date I come to is cancelled"), True),
    "agenda/promoted": (N_("A seat frees up for me on the waiting list"), True),
}
"""The notices that can also come by e-mail, in the order the settings page shows them."""

_MAX_BACKOFF = timedelta(hours=1)


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class OutboxMail:
    id: int
    kind: str
    recipient: str
    state: str
    attempts: int
    last_error: str | None
    created_at: datetime
    done_at: datetime | None


async def mail_settings(conn: AsyncConnection, user_id: str) -> dict[str, bool]:
    """Which notices ``user_id`` gets by mail (every kind of :data:`MAIL_KINDS`)."""
    chosen = dict(
        (
            await conn.execute(
                select(mail_choices.c.kind, mail_choices.c.by_mail).where(
                    mail_choices.c.user_id == user_id
                )
            )
        ).all()
    )
    return {kind: bool(chosen.get(kind, default)) for kind, (_, default) in MAIL_KINDS.items()}


async def set_mail_settings(
    conn: AsyncConnection, user_id: str, chosen: Mapping[str, bool]
) -> None:
    """Keep a person's choices (kinds not in :data:`MAIL_KINDS` are ignored)."""
    await conn.execute(delete(mail_choices).where(mail_choices.c.user_id == user_id))
    rows = [
        {"user_id": user_id, "kind": kind, "by_mail": bool(chosen.get(kind, False))}
        for kind in MAIL_KINDS
    ]
    await conn.execute(insert(mail_choices), rows)


async def by_mail(conn: AsyncConnection, user_id: str, kind: str) -> bool:
    if kind not in MAIL_KINDS:
        return False
    return (await mail_settings(conn, user_id))[kind]


async def enqueue(
    conn: AsyncConnection,
    user_id: str,
    recipient: str,
    kind: str,
    message: EmailMessage,
    now: datetime,
) -> None:
    """Put a message in the outbox, in the caller's transaction (see :func:`inbox.notify`)."""
    await conn.execute(
        insert(mail_outbox).values(
            user_id=user_id,
            kind=kind,
            recipient=recipient,
            message=message.as_bytes(),
            state="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )


async def undeliverable(conn: AsyncConnection, limit: int = 100) -> list[OutboxMail]:
    """The mail given up on, newest first (the admins' page)."""
    rows = await conn.execute(
        select(mail_outbox)
        .where(mail_outbox.c.state == "undeliverable")
        .order_by(mail_outbox.c.id.desc())
        .limit(limit)
    )
    return [
        OutboxMail(
            r.id, r.kind, r.recipient, r.state, r.attempts, r.last_error, r.created_at, r.done_at
        )
        for r in rows
    ]


class _Retry(Exception):
    """Worth trying again later (no connection, a timeout, a 4xx answer)."""


class _Final(Exception):
    """Never worth trying again (a 5xx answer)."""


def _classify(error: BaseException) -> Exception:
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in error.recipients]
        final = bool(codes) and all(500 <= code < 600 for code in codes)
        kind: type[Exception] = _Final if final else _Retry
        return kind("; ".join(f"{r.code} {r.message}" for r in error.recipients))
    if isinstance(error, aiosmtplib.SMTPResponseException) and 500 <= error.code < 600:
        return _Final(f"{error.code} {error.message}")
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return _Retry(f"{error.code} {error.message}")
    if isinstance(error, TimeoutError):
        return _Retry("no answer in time")
    return _Retry(f"{type(error).__name__}: {error}")


class Outbox:
    """The worker: sends due mail, a few at a time, each within a timeout, retrying."""

    def __init__(
        self,
        db: Database,
        mailer: Mailer | None,
        clock: Callable[[], datetime],
        *,
        concurrency: int = 4,
        timeout: float = 20.0,
        max_attempts: int = 8,
        first_delay: timedelta = timedelta(minutes=1),
    ) -> None:
        self.db = db
        self.mailer = mailer
        self.clock = clock
        self.concurrency = concurrency
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.first_delay = first_delay
        self.changed = asyncio.Event()

    def wake(self) -> None:
        self.changed.set()

    def backoff(self, attempts: int) -> timedelta:
        """How long to wait after the ``attempts``-th failed try."""
        delay: timedelta = self.first_delay * 2 ** max(0, min(attempts - 1, 20))
        return min(_MAX_BACKOFF, delay)

    async def send_due(self, now: datetime | None = None) -> int:
        """Send every mail due at ``now`` (each taken by one worker); how many went out."""
        if self.mailer is None:
            return 0
        now = now or self.clock()
        async with self.db.read() as conn:
            due = (
                await conn.execute(
                    select(mail_outbox.c.id, mail_outbox.c.next_attempt_at)
                    .where(mail_outbox.c.state == "pending", mail_outbox.c.next_attempt_at <= now)
                    .order_by(mail_outbox.c.next_attempt_at, mail_outbox.c.id)
                    .limit(100)
                )
            ).all()
        slots = asyncio.Semaphore(self.concurrency)

        async def one(mail_id: int, due_at: datetime) -> bool:
            async with slots:
                return await self._send_one(mail_id, due_at, now)

        sent = await asyncio.gather(*(one(mail_id, due_at) for mail_id, due_at in due))
        return sum(sent)

    async def _take(self, mail_id: int, due_at: datetime, now: datetime) -> Any:
        """Take a mail: count the try and hold it (another worker skips it meanwhile)."""
        held_until = now + timedelta(seconds=self.timeout * 2)
        async with self.db.begin() as conn:
            taken = await conn.execute(
                update(mail_outbox)
                .where(
                    mail_outbox.c.id == mail_id,
                    mail_outbox.c.state == "pending",
                    mail_outbox.c.next_attempt_at == due_at,
                )
                .values(attempts=mail_outbox.c.attempts + 1, next_attempt_at=held_until)
            )
            if taken.rowcount != 1:
                return None
            return (
                await conn.execute(select(mail_outbox).where(mail_outbox.c.id == mail_id))
            ).one()

    async def _send_one(self, mail_id: int, due_at: datetime, now: datetime) -> bool:
        row = await self._take(mail_id, due_at, now)
        if row is None:
            return False
        message = email.message_from_bytes(row.message, policy=policy.default)
        assert isinstance(message, EmailMessage)
        assert self.mailer is not None
        try:
            await asyncio.wait_for(self.mailer.send(message), timeout=self.timeout)
        except Exception as error:
            await self._failed(row, _classify(error), now)
            return False
        async with self.db.begin() as conn:
            await conn.execute(
                update(mail_outbox)
                .where(mail_outbox.c.id == mail_id)
                .values(state="sent", done_at=now, last_error=None)
            )
        return True

    async def _failed(self, row: Any, error: Exception, now: datetime) -> None:
        text = str(error)[:300]
        final = isinstance(error, _Final) or row.attempts >= self.max_attempts
        values: dict[str, Any] = {"last_error": text}
        if final:
            values.update(state="undeliverable", done_at=now)
            log.warning(
                "mail %s to %s is undeliverable after %s tries: %s",
                row.id,
                row.recipient,
                row.attempts,
                text,
            )
        else:
            values["next_attempt_at"] = now + self.backoff(row.attempts)
            log.info("mail %s not sent (try %s), again later: %s", row.id, row.attempts, text)
        async with self.db.begin() as conn:
            await conn.execute(
                update(mail_outbox).where(mail_outbox.c.id == row.id).values(**values)
            )

    async def next_due(self) -> datetime | None:
        async with self.db.read() as conn:
            return (
                await conn.execute(
                    select(mail_outbox.c.next_attempt_at)
                    .where(mail_outbox.c.state == "pending")
                    .order_by(mail_outbox.c.next_attempt_at)
                    .limit(1)
                )
            ).scalar()

    async def run(self, *, idle: float = 60.0) -> None:
        """The server's loop: send what is due, sleep until the next try (or a wake-up)."""
        if self.mailer is None:
            return
        while True:
            self.changed.clear()
            wait = idle
            try:
                await self.send_due(self.clock())
                due = await self.next_due()
                if due is not None:
                    wait = max(0.0, min(idle, (due - self.clock()).total_seconds()))
            except Exception:
                log.exception("mail outbox failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), timeout=wait + 0.01)
