"""The facts the privacy page states, read from the venue's real settings (never a promise
the configuration does not keep)."""

from __future__ import annotations

from dataclasses import dataclass

from estaminet.settings import Settings

__all__ = ["PolicyFacts", "policy_facts"]


@dataclass(frozen=True)
class PolicyFacts:
    chat_retention_days: int | None
    """Chat older than this is erased; ``None``: kept while the venue runs."""
    remove_messages: bool
    """A deleted account's messages are erased (else kept, signed "someone who left")."""
    session_max_age_days: int
    session_idle_days: int
    mail_on: bool
    """The venue sends e-mail (an address is then used for notices and reminders)."""
    logs_addresses: bool
    """The server's log writes visitors' IP addresses."""
    stun_servers: tuple[str, ...]
    """Servers outside the venue that browsers ask for their public address (voice)."""
    turn_servers: tuple[str, ...]


def policy_facts(settings: Settings, mail_on: bool) -> PolicyFacts:
    return PolicyFacts(
        chat_retention_days=settings.chat_retention_days,
        remove_messages=settings.account_deletion_messages == "remove",
        session_max_age_days=settings.session_max_age_days,
        session_idle_days=settings.session_idle_days,
        mail_on=mail_on,
        logs_addresses=settings.log_client_addresses,
        stun_servers=tuple(settings.voice_stun_urls),
        turn_servers=tuple(settings.turn_urls),
    )
