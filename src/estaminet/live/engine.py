"""The live-activity engine: validate, append to the log (the commit point), then publish.

State is never stored as such: it is ``setup`` + the fold of the logged events,
with snapshots to shorten the fold. Any instance, after any restart, rebuilds
exactly the same state. Deadlines are rows (``activity_timers``), fired once by
:class:`Timers`; a stale timer (the log moved on) does nothing.

Activities with secret ballots (assembly sittings) also have encrypted
ballot boxes (:mod:`estaminet.live.ballot_box`): opened when the rules ask
for one, fed in the same transaction as the voter's event, read back on a
rebuild (locked when this process lacks the key) and unlocked by the key
holders' shares.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
import sqlite3
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.kernel.activity import SYSTEM, Activity, Event, Rejection, Seat
from estaminet.kernel.ballots import BoxSpec, SealedBallot, secret_ballots
from estaminet.kernel.errors import Conflict, NotFound
from estaminet.kernel.i18n import N_
from estaminet.live.ballot_box import BallotBoxes, read_contents, write_contents
from estaminet.live.schema import (
    activities,
    activity_events,
    activity_snapshots,
    activity_timers,
    ballot_boxes,
)
from estaminet.store import Database

__all__ = ["SEED_BITS", "SNAPSHOT_EVERY", "ActionRefused", "Engine", "Live", "new_seed"]

log = logging.getLogger(__name__)

SNAPSHOT_EVERY = 50
# An activity's seed is stored in ``activities.seed``, a BigInteger (signed 64 bits on
# PostgreSQL, like SQLite's INTEGER): 62 random bits always fit, with room to spare.
SEED_BITS = 62


def new_seed() -> int:
    """A fresh random seed for an activity (the only place one is drawn)."""
    return secrets.randbits(SEED_BITS)


class ActionRefused(Exception):
    """The rules refused an action: the rejection, for the edge to translate."""

    def __init__(self, rejection: Rejection) -> None:
        super().__init__(rejection.code)
        self.rejection = rejection


@dataclass(frozen=True)
class Live:
    """A running activity as the engine holds it: its rules, its state and log position."""

    id: int
    key: str
    rules: Activity[Any]
    state: Any
    seq: int
    status: str


Lookup = Callable[[str], Activity[Any]]
OnChange = Callable[[Live, Sequence[Event]], Awaitable[None]]


class Engine:
    def __init__(
        self,
        db: Database,
        lookup: Lookup,
        clock: Callable[[], datetime],
        *,
        distributed: bool = False,
    ) -> None:
        self.db = db
        self.lookup = lookup
        self.clock = clock
        self.distributed = distributed
        """Other instances commit to the same logs (``settings.hub == "redis"``): a cached
        state may be behind, so a refusal, or a view for a page, is checked against the
        database's log position first. Alone, the cache is always the latest: no extra read."""
        self._cache: dict[int, Live] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._listeners: list[OnChange] = []
        self.timers_changed = asyncio.Event()
        self._next_due: datetime | None = None
        """The earliest deadline the timer loop waits for: the last it read, or one this
        process set since (:meth:`_deadline_set`)."""
        self._set_while_reading: datetime | None = None
        """The earliest deadline set here since the loop last read: its read may have run
        before that deadline's commit, so it is kept beside what the read found."""
        self.boxes = BallotBoxes()
        """Secret ballot boxes and the keys this process holds (``boxes.reachable`` is set by
        the service that knows who has a page open)."""

    def on_change(self, listener: OnChange) -> None:
        """Call ``listener`` after each committed change (to publish views)."""
        self._listeners.append(listener)

    def _lock(self, activity_id: int) -> asyncio.Lock:
        lock = self._locks.get(activity_id)
        if lock is None:
            lock = self._locks[activity_id] = asyncio.Lock()
        return lock

    # -- loading ---------------------------------------------------------------

    async def get(self, activity_id: int) -> Live:
        """The activity's current state (cached; rebuilt from snapshot + log when needed)."""
        cached = self._cache.get(activity_id)
        if cached is not None:
            return cached
        async with self.db.read() as conn:
            live = await self._rebuild(conn, activity_id)
        self._cache[activity_id] = live
        return live

    async def latest(self, activity_id: int) -> Live:
        """The activity's latest committed state, for a view that a page or a catch-up builds.

        Alone, this is :meth:`get`. With other instances, one cheap read of the log position
        first: when this instance's copy is behind, it is rebuilt."""
        live = await self.get(activity_id)
        if self.distributed and await self._behind(live):
            self.forget(activity_id)
            live = await self.get(activity_id)
        return live

    async def _behind(self, live: Live) -> bool:
        """Whether the database's log for ``live`` moved past this copy (or its status changed,
        a host ending it through another instance)."""
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(activities.c.last_seq, activities.c.status).where(
                        activities.c.id == live.id
                    )
                )
            ).first()
        return row is None or int(row[0]) != live.seq or row[1] != live.status

    async def _rebuild(self, conn: AsyncConnection, activity_id: int) -> Live:
        row = (await conn.execute(select(activities).where(activities.c.id == activity_id))).first()
        if row is None:
            raise NotFound("live/unknown_activity", N_("This table does not exist (any more)."))
        a = row._mapping
        rules = self.lookup(a["key"])
        if a["seed"] is None:
            raise Conflict("live/not_started", N_("This has not started yet."))
        snap = (
            await conn.execute(
                select(activity_snapshots)
                .where(activity_snapshots.c.activity_id == activity_id)
                .order_by(activity_snapshots.c.seq.desc())
                .limit(1)
            )
        ).first()
        if snap is not None:
            state, seq = rules.load(snap._mapping["state"]), int(snap._mapping["seq"])
        else:
            state, seq = rules.setup(a["seats"], a["options"], a["seed"], a["started_at"]), 0
        events = await conn.execute(
            select(activity_events.c.seq, activity_events.c.data)
            .where(activity_events.c.activity_id == activity_id, activity_events.c.seq > seq)
            .order_by(activity_events.c.seq)
        )
        for event_seq, data in events:
            state = rules.evolve(state, data)
            seq = int(event_seq)
        state = await self._read_boxes(conn, activity_id, rules, state)
        return Live(activity_id, a["key"], rules, state, seq, a["status"])

    async def _read_boxes(
        self, conn: AsyncConnection, activity_id: int, rules: Activity[Any], state: Any
    ) -> Any:
        """Tell the rules what this process can read of each open box (locked without the key)."""
        sealing = secret_ballots(rules)
        wanted = _boxes(rules, state)
        if sealing is None or not wanted:
            return state
        rows = await conn.execute(
            select(ballot_boxes.c.box, ballot_boxes.c.contents).where(
                ballot_boxes.c.activity_id == activity_id
            )
        )
        readings = [
            await self.boxes.read(activity_id, box, contents)
            for box, contents in rows
            if box in wanted
        ]
        return sealing.refill_boxes(state, readings)

    async def replay(
        self, activity_id: int, step: int | None
    ) -> tuple[Any, int, int, Event | None]:
        """The state after ``step`` events (all when ``None``): (state, step, total, last event)."""
        async with self.db.read() as conn:
            row = (
                await conn.execute(select(activities).where(activities.c.id == activity_id))
            ).first()
            if row is None or row._mapping["seed"] is None:
                raise NotFound("live/unknown_activity", N_("This table does not exist (any more)."))
            a = row._mapping
            events = [
                data
                for (data,) in await conn.execute(
                    select(activity_events.c.data)
                    .where(activity_events.c.activity_id == activity_id)
                    .order_by(activity_events.c.seq)
                )
            ]
        rules = self.lookup(a["key"])
        total = len(events)
        step = total if step is None else max(0, min(total, step))
        state = rules.setup(a["seats"], a["options"], a["seed"], a["started_at"])
        for event in events[:step]:
            state = rules.evolve(state, event)
        return state, step, total, events[step - 1] if step else None

    def forget(self, activity_id: int) -> None:
        """Drop the cached state (tests simulate a restart with this)."""
        self._cache.pop(activity_id, None)

    # -- starting ---------------------------------------------------------------

    async def start(
        self,
        conn: AsyncConnection,
        activity_id: int,
        key: str,
        seats: int,
        options: Mapping[str, Any],
        seed: int,
        now: datetime,
    ) -> Live:
        """Record the start in the caller's transaction (seats, seed, options) and schedule."""
        if not 0 <= seed < 2**SEED_BITS:
            raise ValueError(f"an activity's seed is drawn on {SEED_BITS} bits, not {seed}")
        rules = self.lookup(key)
        state = rules.setup(seats, options, seed, now)
        await conn.execute(
            update(activities)
            .where(activities.c.id == activity_id)
            .values(
                status="running",
                seats=seats,
                seed=seed,
                options=dict(options),
                started_at=now,
                last_seq=0,
            )
        )
        await self._set_timer(conn, activity_id, rules.deadline(state), 0)
        live = Live(activity_id, key, rules, state, 0, "running")
        self._cache[activity_id] = live
        return live

    async def announce(self, live: Live) -> None:
        """Publish the current state (after the starting transaction committed)."""
        self._deadline_set(live.rules.deadline(live.state))
        async with self._lock(live.id):
            await self._publish(live, ())

    # -- acting -----------------------------------------------------------------

    async def act(
        self,
        activity_id: int,
        actor: Seat,
        action: Mapping[str, Any],
        now: datetime | None = None,
        *,
        at_seq: int | None = None,
    ) -> Sequence[Event]:
        """Apply one action for ``actor``: validated by the rules, logged, then published.

        ``at_seq``: the action belongs to that log position only (a bot's move, a timer's); once
        the log has moved past it (here, or on another instance), it is refused
        (``live/moved_on``), never applied to a state it was not meant for. The claim is the
        commit itself (``last_seq`` compared and moved in one statement), so two instances
        racing for one deadline fire it exactly once, and one that dies before committing
        leaves the timer's row for another.
        """
        now = now or self.clock()
        async with self._lock(activity_id):
            conflicts, checked = 0, False
            while True:
                live = await self.get(activity_id)
                decided = self._decide(live, actor, action, now, at_seq)
                if isinstance(decided, Rejection):
                    if self.distributed and not checked:
                        # Refused by a copy that another instance's commit may have made
                        # stale: refused only if the database's log is where this copy is.
                        checked = True
                        if await self._behind(live):
                            self.forget(activity_id)
                            continue
                    raise ActionRefused(decided)
                events, sealed = decided
                if not events:
                    return events
                try:
                    fresh = await self._commit(live, actor, events, now, sealed)
                except _Stale:
                    # Another instance appended first: rebuild and validate again.
                    self.forget(activity_id)
                    conflicts += 1
                    if conflicts == 3:
                        raise Conflict(
                            "live/busy", N_("Too many things at once; try again.")
                        ) from None
                    continue
                break
            # Publish while still holding the table's lock: views leave in commit order,
            # so a later move can never be overtaken by an older state.
            await self._publish(fresh, events)
        return events

    @staticmethod
    def _decide(
        live: Live, actor: Seat, action: Mapping[str, Any], now: datetime, at_seq: int | None
    ) -> Rejection | tuple[list[Event], list[SealedBallot]]:
        """What the rules make of the action on this copy: a refusal, or events (and sealed
        ballots) to commit. Pure: no I/O."""
        if at_seq is not None and live.seq != at_seq:
            return Rejection("live/moved_on")
        if live.status != "running" and (
            live.status != "ended" or live.rules.outcome(live.state) is None
        ):
            # Not started, or stopped early by its host. After a natural end the
            # rules still decide (a secretary may add notes to closed minutes).
            return Rejection("live/not_running")
        sealing = secret_ballots(live.rules)
        if sealing is not None:
            # A decision: events for the log, secret ballots for the box.
            decision = sealing.apply_sealed(live.state, actor, action, now)
            if isinstance(decision, Rejection):
                return decision
            return list(decision.events), list(decision.sealed)
        result = live.rules.apply(live.state, actor, action, now)
        if isinstance(result, Rejection):
            return result
        return list(result), []

    async def _publish(self, live: Live, events: Sequence[Event]) -> None:
        for listener in self._listeners:
            try:
                await listener(live, events)
            except Exception:
                log.exception("publishing activity %s failed", live.id)

    async def _commit(
        self,
        live: Live,
        actor: Seat,
        events: list[Event],
        now: datetime,
        sealed: Sequence[SealedBallot] = (),
    ) -> Live:
        state = live.state
        for event in events:
            state = live.rules.evolve(state, event)
        sealing = secret_ballots(live.rules)
        before, after = _boxes(live.rules, live.state), _boxes(live.rules, state)
        created: list[tuple[str, dict[str, Any]]] = []
        encrypted: list[tuple[str, list[int]]] = []
        for name, spec in after.items():
            if sealing is not None and name not in before:
                # A secret vote opens: a new key pair and an empty box.
                contents, reading = await self.boxes.create(live.id, spec)
                created.append((name, contents))
                state = sealing.refill_boxes(state, [reading])
        for ballot in sealed:
            if sealing is None:  # only rules with secret ballots seal any
                raise TypeError(f"{live.key}: a sealed ballot from rules without ballot boxes")
            state = sealing.deposit(state, ballot)
            encrypted.append(
                (ballot.box, await self.boxes.seal(live.id, ballot.box, ballot.vector))
            )
        seq = live.seq + len(events)
        outcome = live.rules.outcome(state)
        status = "ended" if outcome is not None else "running"
        ended = _Ended(
            status,
            now if outcome is not None else None,
            None
            if outcome is None
            else {
                "reason": outcome.reason,
                "winners": sorted(outcome.winners),
                "details": dict(outcome.details),
            },
        )
        rows = [
            {
                "activity_id": live.id,
                "seq": live.seq + i + 1,
                "actor": actor,
                "data": dict(event),
                "at": now,
            }
            for i, event in enumerate(events)
        ]
        snapshot = (
            live.rules.dump(state) if seq // SNAPSHOT_EVERY > live.seq // SNAPSHOT_EVERY else None
        )
        deadline = None if outcome is not None else live.rules.deadline(state)
        if self.db.is_sqlite and not created and not encrypted:
            # Every game's move: no ballot box to open or fill.
            await self._commit_in_one_trip(live, seq, ended, rows, snapshot, deadline)
        else:
            async with self.db.begin() as conn:
                # The claim: the log is where this copy is, and nobody stopped the activity
                # meanwhile (a host's stop moves the status, not the log).
                moved = await conn.execute(
                    update(activities)
                    .where(
                        activities.c.id == live.id,
                        activities.c.last_seq == live.seq,
                        activities.c.status == live.status,
                    )
                    .values(
                        last_seq=seq,
                        status=ended.status,
                        ended_at=ended.at,
                        outcome=ended.outcome,
                    )
                )
                if moved.rowcount != 1:
                    raise _Stale()
                await conn.execute(insert(activity_events), rows)
                for name, contents in created:
                    await write_contents(conn, live.id, name, contents, new=True)
                for name, sealed_vector in encrypted:
                    await self._deposit(conn, live.id, name, sealed_vector)
                if snapshot is not None:
                    await conn.execute(
                        insert(activity_snapshots).values(
                            activity_id=live.id, seq=seq, state=snapshot
                        )
                    )
                await self._set_timer(conn, live.id, deadline, seq)
        for name in before:
            if name not in after:  # counted or cancelled: the key is of no more use
                self.boxes.shut(live.id, name)
        fresh = Live(live.id, live.key, live.rules, state, seq, status)
        self._cache[live.id] = fresh
        self._deadline_set(deadline)
        return fresh

    async def _commit_in_one_trip(
        self,
        live: Live,
        seq: int,
        ended: _Ended,
        rows: list[dict[str, Any]],
        snapshot: dict[str, Any] | None,
        deadline: datetime | None,
    ) -> None:
        """SQLite: the same statements as :meth:`_commit`'s transaction, in one trip to
        aiosqlite's thread (see :meth:`Database.in_one_trip`), values converted as the
        columns' types do. Raises :class:`_Stale` (rolled back) if the claim fails."""
        as_json, as_time = self._sqlite_stores
        claim = (
            seq,
            ended.status,
            None if ended.at is None else as_time(ended.at),
            as_json(ended.outcome),
            live.id,
            live.seq,
            live.status,
        )
        events = [
            (row["activity_id"], row["seq"], row["actor"], as_json(row["data"]), as_time(row["at"]))
            for row in rows
        ]
        kept = None if snapshot is None else (live.id, seq, as_json(snapshot))
        timer = None if deadline is None else (live.id, as_time(deadline), seq)

        def work(raw: sqlite3.Connection) -> None:
            if raw.execute(_SQLITE_CLAIM, claim).rowcount != 1:
                raise _Stale()
            raw.executemany(_SQLITE_EVENT, events)
            if kept is not None:
                raw.execute(_SQLITE_SNAPSHOT, kept)
            raw.execute(_SQLITE_NO_TIMER, (live.id,))
            if timer is not None:
                raw.execute(_SQLITE_TIMER, timer)

        await self.db.in_one_trip(work)

    @functools.cached_property
    def _sqlite_stores(self) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
        """How SQLite stores a JSON column's value (the events' data, the outcome and the
        snapshot are all ``JSON``) and an instant: SQLAlchemy's conversions."""
        return self.db.sqlite_store(activity_events.c.data.type), self.db.sqlite_datetime[0]

    async def _deposit(
        self, conn: AsyncConnection, activity_id: int, box: str, sealed: list[int]
    ) -> None:
        """Add an encrypted ballot to its box: the one row is rewritten with the new sum."""
        current = await read_contents(conn, activity_id, box, lock=True)
        if current is None:
            raise Conflict("ballots/box_unknown", N_("This ballot box is not open."))
        await write_contents(conn, activity_id, box, self.boxes.add(current, sealed), new=False)

    # -- key holders ---------------------------------------------------------------

    async def key_shares(self, activity_id: int, seat: Seat) -> list[dict[str, Any]]:
        """The key shares ``seat`` keeps for the activity's open boxes, while this process has
        them (for that person's own page, never for anyone else)."""
        live = await self.latest(activity_id)
        wanted = _boxes(live.rules, live.state)
        holders: dict[str, list[Seat]] = {}
        async with self.db.read() as conn:
            for name in wanted:
                contents = await read_contents(conn, activity_id, name, lock=False)
                if contents is not None:
                    holders[name] = list(contents["holders"])
        return self.boxes.shares_for(activity_id, seat, holders)

    async def give_key_share(
        self, activity_id: int, seat: Seat, box: str, part: object, share: object
    ) -> bool:
        """A key holder's page shows its share of ``box``: confirms it is kept, or gives the key
        back to a locked box. Returns whether the box was unlocked. Refusals change nothing."""
        async with self._lock(activity_id):
            live = await self.latest(activity_id)
            if box not in _boxes(live.rules, live.state):
                raise Conflict("ballots/box_unknown", N_("This ballot box is not open."))
            async with self.db.begin() as conn:
                contents = await read_contents(conn, activity_id, box, lock=True)
                if contents is None:
                    raise Conflict("ballots/box_unknown", N_("This ballot box is not open."))
                presented = self.boxes.present(activity_id, box, contents, seat, part, share)
                if presented.contents is not None:
                    contents = presented.contents
                    await write_contents(conn, activity_id, box, contents, new=False)
            reading = await self.boxes.read(activity_id, box, contents)
            sealing = secret_ballots(live.rules)
            state = live.state if sealing is None else sealing.refill_boxes(live.state, [reading])
            fresh = Live(live.id, live.key, live.rules, state, live.seq, live.status)
            self._cache[activity_id] = fresh
            if presented.unlocked:
                # The vote may close by itself again: its deadline comes back.
                async with self.db.begin() as conn:
                    await self._set_timer(conn, activity_id, live.rules.deadline(state), live.seq)
                self._deadline_set(live.rules.deadline(state))
            await self._publish(fresh, ())
        return presented.unlocked

    async def _set_timer(
        self, conn: AsyncConnection, activity_id: int, due: datetime | None, seq: int
    ) -> None:
        await conn.execute(
            delete(activity_timers).where(activity_timers.c.activity_id == activity_id)
        )
        if due is not None:
            await conn.execute(
                insert(activity_timers).values(activity_id=activity_id, due_at=due, for_seq=seq)
            )

    async def suspend_timer(self, conn: AsyncConnection, activity_id: int) -> None:
        """Nothing fires for this activity until :meth:`resume_timer` (a paused practice)."""
        await conn.execute(
            delete(activity_timers).where(activity_timers.c.activity_id == activity_id)
        )

    async def resume_timer(
        self, conn: AsyncConnection, activity_id: int, paused_for: timedelta
    ) -> None:
        """The deadline comes back, later by the time the activity was paused."""
        live = await self.get(activity_id)
        if live.status != "running":
            return
        due = live.rules.deadline(live.state)
        if due is not None:
            due += paused_for
        await self._set_timer(conn, activity_id, due, live.seq)
        self._deadline_set(due)

    async def end(self, conn: AsyncConnection, activity_id: int, now: datetime) -> None:
        """Stop an activity early (the host ended the table), in the caller's transaction."""
        await conn.execute(
            update(activities)
            .where(activities.c.id == activity_id)
            .values(status="ended", ended_at=now, outcome={"reason": "stopped", "winners": []})
        )
        await conn.execute(
            delete(activity_timers).where(activity_timers.c.activity_id == activity_id)
        )
        self.boxes.shut_all(activity_id)
        cached = self._cache.get(activity_id)
        if cached is not None:
            self._cache[activity_id] = Live(
                cached.id, cached.key, cached.rules, cached.state, cached.seq, "ended"
            )

    # -- timers -----------------------------------------------------------------

    async def fire_due(self, now: datetime | None = None) -> int:
        """Fire every timer due at ``now`` (each once); returns how many fired."""
        now = now or self.clock()
        async with self.db.read() as conn:
            due = (
                await conn.execute(
                    select(activity_timers.c.activity_id, activity_timers.c.for_seq).where(
                        activity_timers.c.due_at <= now
                    )
                )
            ).all()
        fired = 0
        for activity_id, for_seq in due:
            live = await self.get(activity_id)
            if live.seq != for_seq or live.status != "running":
                self.forget(activity_id)  # stale here: another instance may have moved on
                continue
            try:
                done = await self.act(activity_id, SYSTEM, {"type": "timeout"}, now, at_seq=for_seq)
                if not done:
                    # Nothing to do after all (a vote waiting for its key): the next deadline.
                    await self._reschedule(activity_id, for_seq, now)
                    continue
                fired += 1
            except ActionRefused as refused:
                if refused.rejection.code == "live/moved_on":
                    continue  # another instance fired this deadline first
                log.warning("timeout refused on %s: %s", activity_id, refused.rejection.code)
                async with self.db.begin() as conn:
                    await conn.execute(
                        delete(activity_timers).where(
                            activity_timers.c.activity_id == activity_id,
                            activity_timers.c.for_seq == for_seq,
                        )
                    )
        return fired

    async def _reschedule(self, activity_id: int, for_seq: int, now: datetime) -> None:
        live = await self.get(activity_id)
        if live.seq != for_seq:
            return
        due = live.rules.deadline(live.state)
        async with self.db.begin() as conn:
            await self._set_timer(
                conn, activity_id, due if due is not None and due > now else None, for_seq
            )

    async def next_due(self) -> datetime | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(activity_timers.c.due_at).order_by(activity_timers.c.due_at).limit(1)
                )
            ).first()
        return None if row is None else row[0]

    def _deadline_set(self, due: datetime | None) -> None:
        """This process set an activity's deadline to ``due``: the timer loop wakes at it,
        if it is earlier than the one the loop waits for, without reading the timers.

        Called once the deadline is committed, or just before (a practice resumed in its
        caller's transaction): the loop keeps it until a read after it (:meth:`run_timers`).
        A deadline removed or moved later needs nothing: the loop wakes at the old time,
        reads, and finds nothing due."""
        if due is None:
            return
        if self._set_while_reading is None or due < self._set_while_reading:
            self._set_while_reading = due
        if self._next_due is None or due < self._next_due:
            self._next_due = due
            self.timers_changed.set()

    async def run_timers(self, *, idle: float = 30.0) -> None:
        """The timer loop of the server: sleeps until the next deadline, fires, repeats.

        It reads the timers when a deadline it knows of comes and at least every ``idle``
        seconds (what other instances set; with several, ``idle`` is short). A deadline this
        process sets comes with its time (:meth:`_deadline_set`): a move wakes the loop
        only if it brings the next deadline closer, and never costs a read of the timers
        (it cost two, on the event loop beside the move's own screens)."""
        loop = asyncio.get_running_loop()
        while True:
            found: datetime | None = None
            try:
                await self.fire_due()
                found = await self.next_due()
            except Exception:
                log.exception("timer loop failed; retrying")
            # A deadline set since the last read may not be in this one (its commit came
            # after the SELECT, or a practice resumed has not committed yet): kept, at worst
            # it costs one more read when it comes.
            meanwhile, self._set_while_reading = self._set_while_reading, None
            if meanwhile is not None and (found is None or meanwhile < found):
                found = meanwhile
            self._next_due = found
            look_again = loop.time() + idle
            while True:
                self.timers_changed.clear()
                wait = look_again - loop.time()
                if self._next_due is not None:
                    wait = min(wait, (self._next_due - self.clock()).total_seconds())
                try:
                    await asyncio.wait_for(
                        self.timers_changed.wait(), timeout=max(0.0, wait) + 0.01
                    )
                except TimeoutError:
                    break


@dataclass(frozen=True, slots=True)
class _Ended:
    """What a move writes of the activity's end: its status, when and how it ended."""

    status: str
    at: datetime | None
    outcome: dict[str, Any] | None


# On SQLite a move that opens no ballot box and seals no ballot (every game's) runs the
# statements of ``Engine._commit``'s transaction, written as SQL, in one trip to
# aiosqlite's thread: SQLAlchemy's building, running and reading back of each of them
# cost several times SQLite's own work (a chat post does the same, venue/chat.py).
# tests/live/test_engine_one_trip.py compares what both ways store.
_SQLITE_CLAIM = (
    "UPDATE activities SET last_seq = ?, status = ?, ended_at = ?, outcome = ?"
    " WHERE id = ? AND last_seq = ? AND status = ?"
)
_SQLITE_EVENT = (
    "INSERT INTO activity_events (activity_id, seq, actor, data, at) VALUES (?, ?, ?, ?, ?)"
)
_SQLITE_SNAPSHOT = "INSERT INTO activity_snapshots (activity_id, seq, state) VALUES (?, ?, ?)"
_SQLITE_NO_TIMER = "DELETE FROM activity_timers WHERE activity_id = ?"
_SQLITE_TIMER = "INSERT INTO activity_timers (activity_id, due_at, for_seq) VALUES (?, ?, ?)"


class _Stale(Exception):
    pass


def _boxes(rules: Activity[Any], state: Any) -> dict[str, BoxSpec]:
    """The secret ballot boxes the rules need open now (none for most activities)."""
    sealing = secret_ballots(rules)
    return {} if sealing is None else dict(sealing.ballot_boxes(state))
