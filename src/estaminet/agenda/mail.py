"""E-mail for reminders: a small ``Mailer`` interface, the SMTP adapter (aiosmtplib), the message.

Off unless ``smtp_host`` is set. Tests pass a plain fake or a local aiosmtpd server.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from typing import Protocol

import aiosmtplib

from estaminet.settings import Settings

__all__ = ["Mailer", "SmtpMailer", "make_mailer", "reminder_email"]


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class SmtpMailer:
    """Sends through the configured SMTP server (STARTTLS when asked, login when given)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        timeout: float = 30.0,
    ) -> None:
        self.host, self.port = host, port
        self.user, self.password = user, password
        self.starttls, self.timeout = starttls, timeout

    async def send(self, message: EmailMessage) -> None:
        await aiosmtplib.send(
            message,
            hostname=self.host,
            port=self.port,
            username=self.user or None,
            password=self.password or None,
            start_tls=self.starttls,
            timeout=self.timeout,
        )


def make_mailer(settings: Settings) -> Mailer | None:
    """The SMTP mailer when ``smtp_host`` is configured, else ``None`` (no e-mail)."""
    if not settings.smtp_host:
        return None
    return SmtpMailer(
        settings.smtp_host,
        settings.smtp_port,
        user=settings.smtp_user,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
    )


def reminder_email(
    *,
    sender: str,
    to: str,
    subject: str,
    body: str,
    ics: bytes,
    now: datetime,
    locale: str,
) -> EmailMessage:
    """A plain-text message in the person's language with the event as an .ics attachment."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = now
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    message["Content-Language"] = locale
    message.set_content(body)
    message.add_attachment(
        ics,
        maintype="text",
        subtype="calendar",
        filename="event.ics",
        params={"method": "PUBLISH"},
    )
    return message
