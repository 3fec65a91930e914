"""Practice tables: a would-be narrator alone with a table of bots.

The bots play by their game's pure policy (``bot_action`` in the game's
package, e.g. :mod:`estaminet.games.werewolf.bots`), each from its own seat's
view. :class:`PracticeBots` is the runner: it plays their moves at a human
pace through the one write path (:meth:`Engine.act`, the same that a
player's ``table.act`` takes: validated by the rules, logged, then published
to every screen). A bot never holds a socket.

A move belongs to one log position: it is chosen for ``seq`` and the engine
refuses it once the log has moved on (``at_seq``), so it is never played
twice, nor on a table that changed under it. Its thinking time runs from
when that position was first seen (``seen_at``, stored), so a restart does
not lose it nor make it start over; the runner that takes a move claims it
(``claim_until``) so two instances do not both work on it, and a runner that
died is replaced when its claim lapses.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.kernel.activity import Activity, Viewer
from estaminet.kernel.errors import EstaminetError
from estaminet.live import activities
from estaminet.live.engine import ActionRefused, Engine, Live
from estaminet.store import Database
from estaminet.tables.model import Practice
from estaminet.tables.rules_info import game_module
from estaminet.tables.schema import practice_tables

__all__ = [
    "BotPolicy",
    "PracticeBots",
    "add_practice",
    "bot_policy",
    "load_practice",
    "next_move",
    "set_paused",
]

log = logging.getLogger(__name__)


class BotPolicy(Protocol):
    def __call__(
        self, view: Mapping[str, Any], seed: int, step: int
    ) -> Mapping[str, Any] | None: ...


def bot_policy(rules: Activity[Any]) -> BotPolicy | None:
    """The game's bot (its package's ``bot_action``), or ``None``: no practice for that game."""
    policy: BotPolicy | None = getattr(game_module(rules), "bot_action", None)
    return policy


# -- the practice row -----------------------------------------------------------------


async def add_practice(conn: AsyncConnection, table_id: int, bots: int) -> None:
    await conn.execute(
        insert(practice_tables).values(activity_id=table_id, bots=bots, seq=0, finished=0)
    )


async def load_practice(conn: AsyncConnection, table_id: int) -> Practice | None:
    row = (
        await conn.execute(
            select(practice_tables.c.bots, practice_tables.c.paused_at).where(
                practice_tables.c.activity_id == table_id
            )
        )
    ).first()
    return None if row is None else Practice(int(row.bots), row.paused_at)


async def set_paused(
    conn: AsyncConnection, table_id: int, now: datetime, *, paused: bool
) -> timedelta:
    """Pause (or resume) the bots; on resuming, returns how long the pause lasted and moves
    the bots' thinking time on by as much."""
    row = (
        await conn.execute(
            select(practice_tables.c.paused_at, practice_tables.c.seen_at).where(
                practice_tables.c.activity_id == table_id
            )
        )
    ).one()
    if paused:
        await conn.execute(
            update(practice_tables)
            .where(practice_tables.c.activity_id == table_id)
            .values(paused_at=now)
        )
        return timedelta(0)
    lasted = max(timedelta(0), now - row.paused_at) if row.paused_at else timedelta(0)
    await conn.execute(
        update(practice_tables)
        .where(practice_tables.c.activity_id == table_id)
        .values(
            paused_at=None,
            seen_at=None if row.seen_at is None else row.seen_at + lasted,
            claim_until=None,
        )
    )
    return lasted


# -- choosing a move --------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    seat: int
    action: Mapping[str, Any]
    delay: float
    """Seconds of "thinking" from when the log reached this position."""


def next_move(live: Live, seed: int, bots: int, seconds: float) -> Move | None:
    """The next bot move at this log position, if a bot has one (seats in an order drawn from
    the seed and the position, so no seat always plays first)."""
    policy = bot_policy(live.rules)
    if policy is None or live.status != "running":
        return None
    rng = random.Random(f"{seed}:{live.seq}:practice")
    order = list(range(bots))
    rng.shuffle(order)
    for seat in order:
        view = live.rules.view(live.state, Viewer.player(seat))
        action = policy(view, seed, live.seq)
        if action is None:
            continue
        # A seat that is not called may be shown a stale screen (a narrator's undo): what it
        # chose there would be refused, so it waits.
        if dict(action) not in [dict(a) for a in live.rules.legal_actions(live.state, seat)]:
            continue
        return Move(seat, action, seconds * rng.uniform(0.6, 1.4))
    return None


_OTHERS_KEPT = 10_000
"""How many tables known not to be practice tables the runner keeps (a few ints each)."""

_PRECISION = timedelta(milliseconds=1)
"""Due times are rounded to the microsecond in the database: this close counts as due."""

# -- the runner ----------------------------------------------------------------------------


class PracticeBots:
    """Plays the bots' moves of every running, unpaused practice table when they are due."""

    def __init__(
        self,
        db: Database,
        engine: Engine,
        clock: Callable[[], datetime],
        *,
        seconds: float = 3.0,
        lease: float = 30.0,
    ) -> None:
        self.db = db
        self.engine = engine
        self.clock = clock
        self.seconds = seconds
        """A bot's thinking time, on average (from 0.6 to 1.4 times this)."""
        self.lease = lease
        self._wake = asyncio.Event()
        self._tables: frozenset[int] = frozenset()
        """The practice tables the last look found unfinished (paused or not): a move at one
        of them wakes the runner."""
        self._others: set[int] = set()
        """Tables a look found not to be practice tables, after a move there: their moves
        (every real game's) no longer wake the runner, so they cost no read."""
        self._unknown: set[int] = set()
        """Tables that moved since the last look and are in neither set: a table set up as a
        practice on another instance is found at its first move here."""
        engine.on_change(self._changed)

    async def _changed(self, live: Live, events: object) -> None:
        if live.id in self._tables:
            self._wake.set()
        elif live.id not in self._others:
            self._unknown.add(live.id)
            self._wake.set()

    def wake(self) -> None:
        """Look again now (a practice paused or resumed). A practice set up is found at its
        start, its first move here."""
        self._wake.set()

    async def step(self, now: datetime | None = None) -> float | None:
        """Play every bot move due at ``now``; returns the seconds until the next one is due
        (``None``: none is waiting)."""
        now = now or self.clock()
        unknown, self._unknown = self._unknown, set()
        async with self.db.read() as conn:
            rows = (
                await conn.execute(select(practice_tables).where(practice_tables.c.finished == 0))
            ).all()
        self._tables = frozenset(int(row.activity_id) for row in rows)
        if len(self._others) > _OTHERS_KEPT:
            self._others.clear()  # looked up again at their next move
        self._others |= unknown - self._tables
        wait: float | None = None
        for row in rows:
            if row.paused_at is not None:
                continue  # the narrator paused it: its bots wait
            try:
                due = await self._table(dict(row._mapping), now)
            except Exception:
                log.exception("practice table %s: a bot's move failed", row.activity_id)
                self.engine.forget(row.activity_id)
                continue
            if due is not None:
                seconds = max(0.0, (due - now).total_seconds())
                wait = seconds if wait is None else min(wait, seconds)
        return wait

    async def _table(self, row: Mapping[str, Any], now: datetime) -> datetime | None:
        table_id = int(row["activity_id"])
        async with self.db.read() as conn:
            record = await activities.load_activity(conn, table_id)
        if record is None or record.status == "ended":
            async with self.db.begin() as conn:
                await conn.execute(
                    update(practice_tables)
                    .where(practice_tables.c.activity_id == table_id)
                    .values(finished=1)
                )
            return None
        if record.status != "running" or record.seed is None:
            return None  # still in its lobby
        live = await self.engine.get(table_id)
        if live.status != "running":
            return None
        seen_at: datetime | None = row["seen_at"]
        if live.seq < row["seq"]:
            self.engine.forget(table_id)  # another instance moved on: this cache is behind
            return now
        if live.seq > row["seq"] or seen_at is None:
            async with self.db.begin() as conn:
                moved = await conn.execute(
                    update(practice_tables)
                    .where(
                        practice_tables.c.activity_id == table_id,
                        practice_tables.c.seq == row["seq"],
                    )
                    .values(seq=live.seq, seen_at=now, claim_until=None)
                )
            if moved.rowcount != 1:
                return now  # someone else saw it first: read again
            seen_at = now
        move = next_move(live, record.seed, int(row["bots"]), self.seconds)
        if move is None:
            return None  # the bots wait for the narrator, or for the step's timer
        due = seen_at + timedelta(seconds=move.delay)
        if due - now > _PRECISION:
            return due
        claim_until: datetime | None = row["claim_until"]
        if live.seq == row["seq"] and claim_until is not None and claim_until > now:
            return claim_until  # another runner is on it
        async with self.db.begin() as conn:
            claimed = await conn.execute(
                update(practice_tables)
                .where(
                    practice_tables.c.activity_id == table_id,
                    practice_tables.c.seq == live.seq,
                    practice_tables.c.paused_at.is_(None),
                    or_(
                        practice_tables.c.claim_until.is_(None),
                        practice_tables.c.claim_until <= now,
                    ),
                )
                .values(claim_until=now + timedelta(seconds=self.lease))
            )
        if claimed.rowcount != 1:
            return now + timedelta(seconds=self.lease)
        try:
            await self.engine.act(table_id, move.seat, move.action, now, at_seq=live.seq)
        except ActionRefused as refused:
            # The log moved on meanwhile (the narrator went on): the bots look again.
            log.info("practice table %s: bot refused (%s)", table_id, refused.rejection.code)
            return now
        except EstaminetError:
            self.engine.forget(table_id)  # busy: look again in a moment
            return now + timedelta(seconds=1)
        return now

    async def run(self, *, idle: float = 30.0) -> None:
        """The server's loop: sleeps until a bot's move is due or a table changes, plays it."""
        while True:
            self._wake.clear()
            try:
                wait = await self.step()
            except Exception:
                log.exception("practice bots failed; retrying")
                wait = None
            timeout = idle if wait is None else min(idle, wait)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=timeout + 0.01)
