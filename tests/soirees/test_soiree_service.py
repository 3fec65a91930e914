"""Soirées at service level, on each database: the running order, people led from table to
table, the evening scoreboard from the games' placings, the watchers' votes and ranking."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

import estaminet.games  # noqa: F401 - registers the built-in games
from estaminet.agenda.actions import create_event
from estaminet.agenda.events import EventData
from estaminet.agenda.recurrence import Frequency, Recurrence, key_of
from estaminet.agenda.rules import EventKind, Visibility
from estaminet.cli import DEMO_VENUE
from estaminet.games import kit
from estaminet.kernel.errors import BadInput, Conflict, EstaminetError, Forbidden
from estaminet.live.engine import Engine
from estaminet.people.actions import create_user
from estaminet.people.model import Role, User
from estaminet.privacy.deletion import delete_account
from estaminet.privacy.export import gather
from estaminet.realtime.hub import MemoryHub
from estaminet.soirees import actions
from estaminet.soirees.schema import soiree_members
from estaminet.soirees.service import SoireeService
from estaminet.store import Database
from estaminet.tables import actions as tables
from estaminet.tables.schema import table_votes
from estaminet.tables.service import TableService
from estaminet.translations import translate
from estaminet.venue.plan import load_venue
from estaminet.venue.rooms import Room, apply_venue, room_by_slug
from estaminet.web.templating import Templates
from tests.conftest import FixedClock


async def venue(db: Database, clock: FixedClock) -> Room:
    await apply_venue(db, load_venue(DEMO_VENUE), clock())
    async with db.read() as conn:
        room = await room_by_slug(conn, "jeux")
    assert room is not None
    return room


async def person(db: Database, clock: FixedClock, name: str, role: Role = Role.GUEST) -> User:
    return await create_user(db, name, role, clock())


async def play_lowest_unique(
    db: Database,
    engine: Engine,
    host: User,
    table_id: int,
    picks: dict[str, int],
    clock: FixedClock,
) -> None:
    """Start a one-round game and let each player (by user id) pick their number."""
    rules = kit.get("lowest_unique")
    await tables.set_options(db, host, table_id, rules, {"rounds": 1})
    table, _ = await tables.start_table(db, engine, host, table_id, rules, clock())
    seats = {p.user_id: p.seat for p in table.players}
    for user_id, number in picks.items():
        seat = seats[user_id]
        assert seat is not None
        await engine.act(table_id, seat, {"type": "pick", "number": number}, clock())


@pytest.fixture
async def engine(db: Database, clock: FixedClock) -> Engine:
    return Engine(db, kit.get, clock)


async def test_soiree_leads_people_and_counts_the_evening(
    db: Database, clock: FixedClock, engine: Engine
) -> None:
    room = await venue(db, clock)
    animator = await person(db, clock, "Anima", Role.ANIMATOR)
    ada, bob = await person(db, clock, "Ada"), await person(db, clock, "Bob")
    wendy, walt = await person(db, clock, "Wendy"), await person(db, clock, "Walt")
    soiree = await actions.create_soiree(
        db,
        animator,
        room,
        clock(),
        title="  Vendredi   jeux ",
        games=["lowest_unique", "", "lowest_unique"],
    )
    assert soiree.title == "Vendredi jeux" and [g.key for g in soiree.games] == [
        "lowest_unique",
        "lowest_unique",
    ]
    assert soiree.member(animator.id) is not None  # the animator plays by default
    for someone, role in ((ada, "player"), (bob, "player"), (wendy, "watcher"), (walt, "watcher")):
        _, table = await actions.join_soiree(db, someone, soiree.id, role, clock())
        assert table is None  # no table open yet
    # The next game: everyone is brought to its table, players seated, watchers watching.
    soiree, first = await actions.next_game(db, animator, soiree.id, room, clock())
    assert soiree.position == 0 and soiree.games[0].table_id == first.id
    assert {p.user_id for p in first.players} == {animator.id, ada.id, bob.id}
    assert {p.user_id for p in first.spectators} == {wendy.id, walt.id}
    assert first.host_id == animator.id
    await play_lowest_unique(db, engine, animator, first.id, {}, clock)
    # Watchers vote while the game is played; players may not.
    seats = {p.user_id: p.seat for p in (await load(db, first.id)).players}
    await tables.vote(db, wendy, first.id, str(seats[ada.id]), clock())
    await tables.vote(db, walt, first.id, seats[bob.id], clock())
    with pytest.raises(Forbidden) as refused:
        await tables.vote(db, ada, first.id, seats[bob.id], clock())
    assert refused.value.code == "tables/vote_players"
    with pytest.raises(Conflict) as twice:
        await tables.vote(db, wendy, first.id, seats[bob.id], clock())
    assert twice.value.code == "tables/voted"
    # The next game cannot open while this one is played.
    with pytest.raises(Conflict) as running:
        await actions.next_game(db, animator, soiree.id, room, clock())
    assert running.value.code == "soirees/game_running"
    # Ada 1, Bob 2, the animator 2: Ada wins the round (unique lowest).
    for user, number in ((ada, 1), (bob, 2), (animator, 2)):
        seat = seats[user.id]
        assert seat is not None
        await engine.act(first.id, seat, {"type": "pick", "number": number}, clock())
    ended = await load(db, first.id)
    assert ended.status == "ended"
    assert ended.watch_votes == {wendy.id: seats[ada.id], walt.id: seats[bob.id]}
    with pytest.raises(Conflict) as closed:
        await tables.vote(db, walt, first.id, seats[ada.id], clock())
    assert closed.value.code == "tables/vote_closed"

    # The second game; a late watcher joins while it waits for players.
    late = await person(db, clock, "Lina")
    soiree, second = await actions.next_game(db, animator, soiree.id, room, clock())
    _, came = await actions.join_soiree(db, late, soiree.id, "player", clock())
    assert came is not None and came.id == second.id
    assert late.id in {p.user_id for p in came.players}  # the lobby had a free seat
    await play_lowest_unique(db, engine, animator, second.id, {}, clock)
    seats2 = {p.user_id: p.seat for p in (await load(db, second.id)).players}
    await tables.vote(db, wendy, second.id, seats2[bob.id], clock())
    for user, number in ((ada, 3), (bob, 1), (animator, 3), (late, 3)):
        seat = seats2[user.id]
        assert seat is not None
        await engine.act(second.id, seat, {"type": "pick", "number": number}, clock())
    with pytest.raises(Conflict) as last:
        await actions.next_game(db, animator, soiree.id, room, clock())
    assert last.value.code == "soirees/no_more_games"
    soiree = await actions.end_soiree(db, animator, soiree.id, clock())
    assert soiree.status == "ended"

    # The evening, as the page computes it from the tables' placings and the votes.
    evening = await soirees_service(db, engine, clock).evening(soiree)
    totals = {evening.names[line.user_id]: (line.place, line.total) for line in evening.scoreboard}
    # Game 1: Ada 1st (10), Bob and Anima share the 2nd (7 each).
    # Game 2: Bob 1st (10), Ada, Anima and Lina share the 2nd (7 each).
    assert totals == {"Ada": (1, 17), "Bob": (1, 17), "Anima": (3, 14), "Lina": (4, 7)}
    podium = [evening.names[line.user_id] for line in evening.podium]
    assert set(podium[:2]) == {"Ada", "Bob"} and podium[2] == "Anima"  # tied: both first
    # Watchers: game 1's votes tie (one each: both with the majority), game 2 Wendy alone.
    watchers = {evening.names[line.user_id]: (line.place, line.total) for line in evening.watchers}
    assert watchers == {"Wendy": (1, 6), "Walt": (2, 3)}
    assert evening.games[0].results and evening.games[1].right == ["Bob"]


async def load(db: Database, table_id: int) -> Any:
    async with db.read() as conn:
        return await tables.load_table(conn, table_id)


def soirees_service(db: Database, engine: Engine, clock: FixedClock) -> SoireeService:
    hub, templates = MemoryHub(), Templates()
    table_service = TableService(db, hub, engine, templates, kit.get, clock)
    return SoireeService(db, hub, templates, table_service, clock, ZoneInfo("Europe/Brussels"))


async def test_soiree_refuses_bad_input_with_a_reason(
    db: Database, clock: FixedClock, engine: Engine
) -> None:
    room = await venue(db, clock)
    animator = await person(db, clock, "Anima", Role.ANIMATOR)
    guest = await person(db, clock, "Gus")
    cases: list[tuple[Any, str]] = [
        (
            actions.create_soiree(db, guest, room, clock(), title="Soir", games=["lowest_unique"]),
            "soirees/animators",
        ),
        (
            actions.create_soiree(
                db, animator, room, clock(), title="   ", games=["lowest_unique"]
            ),
            "soirees/title_empty",
        ),
        (
            actions.create_soiree(
                db, animator, room, clock(), title="x" * 61, games=["lowest_unique"]
            ),
            "soirees/title_long",
        ),
        (
            actions.create_soiree(db, animator, room, clock(), title="Soir", games=["", ""]),
            "soirees/no_games",
        ),
        (
            actions.create_soiree(db, animator, room, clock(), title="Soir", games=["chess"]),
            "soirees/unknown_game",
        ),
        (
            actions.create_soiree(
                db, animator, room, clock(), title="Soir", games=["lowest_unique"] * 7
            ),
            "soirees/too_many_games",
        ),
    ]
    async with db.read() as conn:
        bar = await room_by_slug(conn, "bar")
    assert bar is not None
    cases.append(
        (
            actions.create_soiree(
                db, animator, bar, clock(), title="Soir", games=["lowest_unique"]
            ),
            "soirees/not_a_games_room",
        )
    )
    for attempt, code in cases:
        with pytest.raises(EstaminetError) as refused:
            await attempt
        assert refused.value.code == code
        assert translate("fr", refused.value.message, refused.value.params) != refused.value.message
    soiree = await actions.create_soiree(
        db, animator, room, clock(), title="Soir", games=["lowest_unique"]
    )
    with pytest.raises(BadInput) as role:
        await actions.join_soiree(db, guest, soiree.id, "narrator", clock())
    assert role.value.code == "soirees/bad_role"
    with pytest.raises(Forbidden) as lead:
        await actions.next_game(db, guest, soiree.id, room, clock())
    assert lead.value.code == "soirees/not_host"
    with pytest.raises(Forbidden):
        await actions.end_soiree(db, guest, soiree.id, clock())
    soiree, table = await actions.next_game(db, animator, soiree.id, room, clock())
    # Votes: only watchers, only while the game runs, only for a player's seat.
    outsider = await person(db, clock, "Otto")
    with pytest.raises(Forbidden) as watch_first:
        await tables.vote(db, outsider, table.id, "0", clock())
    assert watch_first.value.code == "tables/vote_watch_first"
    await tables.join_table(db, outsider, table.id, "spectator", kit.get("lowest_unique"), clock())
    with pytest.raises(Conflict) as not_yet:
        await tables.vote(db, outsider, table.id, "0", clock())
    assert not_yet.value.code == "tables/vote_closed"
    await actions.join_soiree(db, guest, soiree.id, "player", clock())
    await play_lowest_unique(db, engine, animator, table.id, {}, clock)
    for bad in ("7", "-1", "abc", "", "00000000000001", None):
        with pytest.raises(BadInput) as seat:
            await tables.vote(db, outsider, table.id, bad, clock())
        assert seat.value.code == "tables/vote_seat"
    async with db.read() as conn:
        assert (await conn.execute(select(table_votes))).all() == []  # nothing was recorded
    await actions.end_soiree(db, animator, soiree.id, clock())
    with pytest.raises(Conflict) as over:
        await actions.join_soiree(db, outsider, soiree.id, "watcher", clock())
    assert over.value.code == "soirees/ended"


async def test_soiree_export_and_deletion_of_a_person(
    db: Database, clock: FixedClock, engine: Engine
) -> None:
    room = await venue(db, clock)
    animator = await person(db, clock, "Anima", Role.ANIMATOR)
    admin = await person(db, clock, "Root", Role.ADMIN)
    vera = await person(db, clock, "Vera")
    soiree = await actions.create_soiree(
        db, animator, room, clock(), title="Soir", games=["lowest_unique"]
    )
    await actions.join_soiree(db, vera, soiree.id, "watcher", clock())
    soiree, table = await actions.next_game(db, animator, soiree.id, room, clock())
    await tables.join_table(
        db, await person(db, clock, "Pia"), table.id, "player", kit.get("lowest_unique"), clock()
    )
    await play_lowest_unique(db, engine, animator, table.id, {}, clock)
    await tables.vote(db, vera, table.id, "0", clock())
    data = await gather(db, vera.id, clock())
    assert data["soirees"] == [
        {"soiree": soiree.id, "title": "Soir", "role": "watcher", "joined_at": clock()}
    ]
    assert [v["table"] for v in data["watch_votes"]] == [table.id]
    await delete_account(db, admin, vera.id, clock(), remove_messages=False, venue_locale="fr")
    await delete_account(db, admin, animator.id, clock(), remove_messages=False, venue_locale="fr")
    async with db.read() as conn:
        assert (await conn.execute(select(table_votes))).all() == []
        assert vera.id not in {r.user_id for r in await conn.execute(select(soiree_members))}
        assert (await actions.load_soiree(conn, soiree.id)).host_id is None


async def test_soiree_belongs_to_a_date_of_the_agenda(db: Database, clock: FixedClock) -> None:
    room = await venue(db, clock)
    animator = await person(db, clock, "Anima", Role.ANIMATOR)
    guest = await person(db, clock, "Gus")
    zone = ZoneInfo("Europe/Brussels")
    night = EventData(
        title="Soirée jeux",
        description="",
        kind=EventKind.GAME_NIGHT,
        room_slug="jeux",
        visibility=Visibility.MEMBERS,  # guests do not see it
        capacity=None,
        waitlist=False,
        start=datetime(2026, 12, 11, 20, 0),
        duration=timedelta(hours=3),
        recurrence=Recurrence(Frequency.WEEKLY, count=4),
    )
    event_id = await create_event(db, animator, night, clock(), zone)
    second = key_of(datetime(2026, 12, 18, 20, 0))
    async with db.read() as conn:
        assert await actions.agenda_date(conn, animator, f"{event_id}:{second}", zone) == (
            event_id,
            second,
        )
        for value, who in (
            (f"{event_id}:{second}", guest),  # not theirs to see
            (f"{event_id}:{key_of(datetime(2026, 12, 19, 20, 0))}", animator),  # not a date
            (f"{event_id}:nope", animator),
            (f"{event_id + 1}:{second}", animator),
            ("x:y", animator),
            ("", animator),
        ):
            with pytest.raises(BadInput) as refused:
                await actions.agenda_date(conn, who, value, zone)
            assert refused.value.code == "soirees/bad_event"
    soiree = await actions.create_soiree(
        db, animator, room, clock(), title="Soir", games=["petit_bac"], event=(event_id, second)
    )
    assert (soiree.event_id, soiree.occurrence) == (event_id, second)
