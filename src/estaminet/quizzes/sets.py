"""The write path and the reads of question sets; each set belongs to its author.

Every set kept has passed :func:`estaminet.games.quiz.check_set` (the editor,
the CSV import and a table's options apply the same checks), so a set that was
saved can always be played. Loading a set for someone goes through
:func:`access_set`, the one place that says who may open it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.games.quiz import REJECTION_MESSAGES, SetProblem, check_set
from estaminet.kernel.errors import BadInput, Forbidden, NotFound
from estaminet.kernel.i18n import N_, Msgid
from estaminet.people.access import can_edit_quiz_set, can_write_quiz_sets
from estaminet.people.model import User
from estaminet.quizzes.schema import quiz_media, quiz_sets
from estaminet.store import Database

__all__ = [
    "QuizSet",
    "SetRefused",
    "access_set",
    "create_set",
    "delete_set",
    "forget_person",
    "media_exists",
    "media_of",
    "record_media",
    "sets_for_export",
    "sets_of",
    "update_set",
]


@dataclass(frozen=True)
class QuizSet:
    id: int
    author_id: str
    title: str
    content: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @property
    def questions(self) -> list[dict[str, Any]]:
        questions: list[dict[str, Any]] = self.content["questions"]
        return questions


class SetRefused(BadInput):
    """A set that does not pass the checks; ``question`` is 0-based (``None``: the set)."""

    def __init__(self, problem: SetProblem, message: Msgid) -> None:
        super().__init__(problem.rejection.code, message, **dict(problem.rejection.params))
        self.question = problem.question


def _row(row: Any) -> QuizSet:
    return QuizSet(
        id=row.id,
        author_id=row.author_id,
        title=row.title,
        content=json.loads(row.content),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _checked(raw: Any) -> dict[str, Any]:
    checked = check_set(raw)
    if isinstance(checked, SetProblem):
        message = REJECTION_MESSAGES.get(
            checked.rejection.code, N_("This question set cannot be read.")
        )
        raise SetRefused(checked, message)
    return checked


def _require_writer(user: User) -> None:
    if not can_write_quiz_sets(user):
        raise Forbidden(
            "quiz/members_only", N_("Members write question sets: ask an animator for an account.")
        )


async def sets_of(conn: AsyncConnection, user_id: str) -> list[QuizSet]:
    """The person's own sets, the last changed first."""
    rows = await conn.execute(
        select(quiz_sets)
        .where(quiz_sets.c.author_id == user_id)
        .order_by(quiz_sets.c.updated_at.desc(), quiz_sets.c.id.desc())
    )
    return [_row(row) for row in rows]


async def access_set(conn: AsyncConnection, user: User, set_id: int) -> QuizSet:
    """The set ``set_id`` if ``user`` may open it (its author): else "does not exist"."""
    row = (await conn.execute(select(quiz_sets).where(quiz_sets.c.id == set_id))).first()
    if row is None or not can_edit_quiz_set(user, row.author_id):
        # Someone else's set is not even said to exist (its answers are its author's).
        raise NotFound("quiz/unknown_set", N_("This question set does not exist (any more)."))
    return _row(row)


async def create_set(db: Database, user: User, raw: Any, now: datetime) -> int:
    """Keep a new set (all its questions, or nothing if one is refused)."""
    _require_writer(user)
    content = _checked(raw)
    async with db.begin() as conn:
        result = await conn.execute(
            insert(quiz_sets).values(
                author_id=user.id,
                title=content["title"],
                content=json.dumps(content, ensure_ascii=False),
                created_at=now,
                updated_at=now,
            )
        )
        new_id = result.inserted_primary_key
        assert new_id is not None
        return int(new_id[0])


async def update_set(db: Database, user: User, set_id: int, raw: Any, now: datetime) -> None:
    """Replace a set's questions (tables that already took a copy keep theirs)."""
    _require_writer(user)
    content = _checked(raw)
    async with db.begin() as conn:
        await access_set(conn, user, set_id)
        await conn.execute(
            update(quiz_sets)
            .where(quiz_sets.c.id == set_id)
            .values(
                title=content["title"],
                content=json.dumps(content, ensure_ascii=False),
                updated_at=now,
            )
        )


async def delete_set(db: Database, user: User, set_id: int) -> None:
    async with db.begin() as conn:
        await access_set(conn, user, set_id)
        await conn.execute(delete(quiz_sets).where(quiz_sets.c.id == set_id))


async def record_media(
    conn: AsyncConnection, user: User, name: str, kind: str, now: datetime
) -> None:
    """Note who uploaded a picture or sound (for their export, and to forget it with them)."""
    await conn.execute(
        insert(quiz_media).values(name=name, author_id=user.id, kind=kind, created_at=now)
    )


async def media_of(conn: AsyncConnection, user_id: str) -> list[str]:
    """The files the person uploaded."""
    rows = await conn.execute(
        select(quiz_media.c.name)
        .where(quiz_media.c.author_id == user_id)
        .order_by(quiz_media.c.name)
    )
    return [row.name for row in rows]


async def media_exists(conn: AsyncConnection, name: str) -> str | None:
    """The kind of a kept file, or ``None`` if the venue holds no such file."""
    row = (await conn.execute(select(quiz_media.c.kind).where(quiz_media.c.name == name))).first()
    return None if row is None else str(row.kind)


async def sets_for_export(conn: AsyncConnection, user_id: str) -> list[dict[str, Any]]:
    """The person's sets, whole (their export), and the files they uploaded."""
    return [
        {
            "title": s.title,
            "created_at": s.created_at,
            "updated_at": s.updated_at,
            "questions": " · ".join(_readable(n, q) for n, q in enumerate(s.questions, 1)),
        }
        for s in await sets_of(conn, user_id)
    ]


def _readable(number: int, question: dict[str, Any]) -> str:
    if question["kind"] == "choice":
        right = {question["choices"][k] for k in question["right"]}
        answers = " / ".join(f"{c} ✓" if c in right else c for c in question["choices"])
    else:
        answers = " / ".join(f"{a} ✓" for a in question["accepted"])
    media = f" [{question['media']['name']}]" if question["media"] else ""
    return f"{number}. {question['text']} ({answers}; {question['seconds']} s){media}"


async def forget_person(conn: AsyncConnection, user_id: str) -> list[str]:
    """An account is deleted: its sets and its uploads go. Returns the files to delete after
    the commit (a table that already played a set keeps its copy of the questions, without
    the pictures and sounds)."""
    names = await media_of(conn, user_id)
    await conn.execute(delete(quiz_sets).where(quiz_sets.c.author_id == user_id))
    await conn.execute(delete(quiz_media).where(quiz_media.c.author_id == user_id))
    return names
