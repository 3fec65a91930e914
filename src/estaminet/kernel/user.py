"""Who someone is in the venue: roles and the read model of a person.

Shared vocabulary: every feature and the web shell speak of a :class:`User`, so it
lives below them all (the people feature reads and writes the rows behind it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from estaminet.kernel.i18n import N_

__all__ = ["ROLE_LABELS", "Role", "User", "initials_of"]


class Role(StrEnum):
    GUEST = "guest"
    MEMBER = "member"
    ANIMATOR = "animator"
    MODERATOR = "moderator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


_RANKS = {role: rank for rank, role in enumerate(Role)}

ROLE_LABELS: dict[Role, str] = {
    Role.GUEST: N_("Guest"),
    Role.MEMBER: N_("Member"),
    Role.ANIMATOR: N_("Animator"),
    Role.MODERATOR: N_("Moderator"),
    Role.ADMIN: N_("Admin"),
}


@dataclass(frozen=True)
class User:
    id: str
    display_name: str
    role: Role
    email: str | None
    locale: str | None
    has_password: bool
    created_at: datetime
    banned_at: datetime | None = None
    inbox_seq: int = 0
    """The last number of the person's notices (``user:`` topic), as of this request."""
    unread: int = 0
    """Unread notices, as of this request (the bell's count)."""

    @property
    def banned(self) -> bool:
        return self.banned_at is not None

    @property
    def initials(self) -> str:
        return initials_of(self.display_name)


def initials_of(name: str) -> str:
    """What an avatar shows: first and last initials, or the first two letters of one word."""
    parts = [p for p in name.replace("-", " ").split() if p]
    if not parts:
        return "?"
    if len(parts) == 1:
        return parts[0][:2].upper()
    return (parts[0][0] + parts[-1][0]).upper()
