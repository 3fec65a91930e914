"""The watchers' vote at a table: a question about the players, one vote per watcher.

A game may name its question (``watch_question``, an English message id:
« meilleur dessin », « qui est l'intrus ? »); the default is « Qui a le mieux
joué ? ». A question is a *favourite* (the most named players are the right
guess) or, when the game says ``watch_kind = "who_is"``, a guess whose answer
the game gives at the end in ``Outcome.details["who_is"]`` (the right seats).

Watchers vote while the game is played; the votes stay secret until it ends,
then everyone sees the count. Players never vote here. :func:`cast` is the one
write path (``tables.actions.vote``, the ``/t/<id>/vote`` form).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.kernel.activity import Activity
from estaminet.kernel.i18n import N_, Msgid
from estaminet.tables.model import TableInfo
from estaminet.tables.schema import table_votes

__all__ = [
    "DEFAULT_QUESTION",
    "choices",
    "counts",
    "describe",
    "forget_voter",
    "question",
    "question_kind",
    "right_seats",
    "seat_number",
    "vote_of",
    "votes_by",
]

DEFAULT_QUESTION: Msgid = N_("Who played best?")


def question(rules: Activity[Any]) -> Msgid:
    """The question a game asks its watchers (its ``watch_question``, else the default)."""
    found = getattr(rules, "watch_question", None)
    return found if isinstance(found, str) else DEFAULT_QUESTION


def question_kind(rules: Activity[Any]) -> str:
    """``"who_is"`` when the game knows the answer, else ``"favourite"``."""
    return "who_is" if getattr(rules, "watch_kind", None) == "who_is" else "favourite"


def right_seats(
    rules: Activity[Any], outcome: Mapping[str, Any] | None, counts: Mapping[int, int]
) -> frozenset[int]:
    """The seats a right guess names: the game's answer (who is), or the most named."""
    if question_kind(rules) == "who_is":
        details = (outcome or {}).get("details") or {}
        seats = details.get("who_is") or []
        return frozenset(int(s) for s in seats if isinstance(s, int | str) and str(s).isdigit())
    if not counts:
        return frozenset()
    best = max(counts.values())
    return frozenset(seat for seat, count in counts.items() if count == best)


def seat_number(raw: object) -> int | None:
    text = str(raw).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 4:
        return None
    return int(text)


async def vote_of(conn: AsyncConnection, table_id: int, user_id: str) -> int | None:
    """The seat ``user_id`` named at ``table_id``, if they voted."""
    row = (
        await conn.execute(
            select(table_votes.c.seat).where(
                table_votes.c.activity_id == table_id, table_votes.c.voter_id == user_id
            )
        )
    ).first()
    return None if row is None else int(row.seat)


async def choices(conn: AsyncConnection, table_id: int) -> dict[str, int]:
    """Every vote at ``table_id``: voter → seat (read only once the game is over)."""
    rows = await conn.execute(
        select(table_votes.c.voter_id, table_votes.c.seat).where(
            table_votes.c.activity_id == table_id
        )
    )
    return {row.voter_id: int(row.seat) for row in rows}


def counts(votes: Mapping[str, int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for seat in votes.values():
        found[seat] = found.get(seat, 0) + 1
    return found


async def votes_by(conn: AsyncConnection, user_id: str) -> list[dict[str, Any]]:
    """The votes ``user_id`` cast as a watcher (their export)."""
    rows = await conn.execute(
        select(table_votes.c.activity_id, table_votes.c.seat, table_votes.c.at)
        .where(table_votes.c.voter_id == user_id)
        .order_by(table_votes.c.at)
    )
    return [{"table": row.activity_id, "seat": row.seat, "at": row.at} for row in rows]


async def forget_voter(conn: AsyncConnection, user_id: str) -> None:
    """A person leaves: their votes go (the counts shown after a game lose them)."""
    await conn.execute(delete(table_votes).where(table_votes.c.voter_id == user_id))


def describe(table: TableInfo, votes: Mapping[str, int]) -> list[tuple[str, int]]:
    """The count per player, most named first, for the results."""
    names = table.seat_names()
    tally = counts(votes)
    return sorted(
        ((names.get(seat, "?"), count) for seat, count in tally.items()), key=lambda x: -x[1]
    )
