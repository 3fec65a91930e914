"""The e-mail that proves an address: its link, or a word to the owner when it is taken."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr

from estaminet.kernel.i18n import N_
from estaminet.translations import translate

__all__ = ["confirmation_email"]


def confirmation_email(
    *,
    sender: str,
    to: str,
    venue: str,
    base_url: str,
    token: str | None,
    hours: int,
    now: datetime,
    locale: str,
) -> EmailMessage:
    """The link that confirms ``to`` (``token``), or, when ``to`` already has an account
    (``token`` is ``None``), a note to its owner: the person who typed it learns nothing."""
    base = base_url.rstrip("/")
    params = {"venue": venue, "hours": hours}
    if token is not None:
        subject = translate(locale, N_("%(venue)s: confirm your email address"), params)
        lines = [
            translate(
                locale,
                N_(
                    "Someone (you, we hope) gave this address to create an account at %(venue)s. "
                    "To confirm it, open this link within %(hours)s hours:"
                ),
                params,
            ),
            f"{base}/me/email/{token}",
            translate(locale, N_("If it was not you, ignore this message: nothing will change.")),
        ]
    else:
        subject = translate(locale, N_("%(venue)s: your email address"), params)
        lines = [
            translate(
                locale,
                N_(
                    "Someone gave this address to create an account at %(venue)s, "
                    "but it already belongs to an account. If it was you, sign in here:"
                ),
                params,
            ),
            f"{base}/login",
            translate(locale, N_("If it was not you, ignore this message: nothing will change.")),
        ]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = now
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    message["Content-Language"] = locale
    message.set_content("\n\n".join(lines) + "\n")
    return message
