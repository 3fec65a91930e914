"""Agenda fixtures: people as rows, a service with a fake venue (toasts kept in a list)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from estaminet.people.model import Role, User
from estaminet.people.schema import users
from estaminet.store import Database
from tests.support.live_server import LiveServer, start_server_on

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


async def add_person(
    db: Database, user_id: str, name: str, role: Role = Role.MEMBER, email: str | None = None
) -> User:
    async with db.begin() as conn:
        await conn.execute(
            insert(users).values(
                id=user_id, display_name=name, role=role.value, created_at=NOW, email=email
            )
        )
    return User(user_id, name, role, email, None, False, NOW)


@dataclass
class FakeVenue:
    """Stands in for the venue's ``notify``: keeps each toast (who, what)."""

    notices: list[tuple[str, Mapping[str, Any]]] = field(default_factory=list)

    async def notify(self, user_id: str, template: str, context: Mapping[str, Any]) -> None:
        self.notices.append((user_id, context))


def serve_on(backend: str, folder: Path, **settings: Any) -> Iterator[LiveServer]:
    """The venue served for real on ``backend`` (``sqlite`` or ``postgresql``, a fresh database)."""
    yield from start_server_on(backend, folder, **settings)
