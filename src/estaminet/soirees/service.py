"""Soirées live: the ``soiree:<id>`` topic, its banner above its tables, its scoreboards.

Everything on the topic is the same for everyone who may enter the soirée's
room: where its people are led (the table in play), the running order, the
evening scoreboard, the watchers' ranking and, at the end, the podium. A
person's page follows the banner's ``data-soiree-go`` when they are in the
soirée (``soiree.js``), so nobody hunts for the next table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from estaminet.agenda.events import events_between
from estaminet.games.kit import get as get_game
from estaminet.kernel.activity import Event
from estaminet.kernel.errors import NotFound
from estaminet.kernel.i18n import N_, Msgid
from estaminet.live.engine import Live
from estaminet.people.access import can_open_soiree
from estaminet.people.model import User
from estaminet.people.queries import active_user, display_names
from estaminet.realtime.connection import Connection, Principal
from estaminet.realtime.frames import LOCALES, frame_for_locales
from estaminet.realtime.gateway import Gateway
from estaminet.realtime.hub import Hub
from estaminet.realtime.topics import HubNumbered, SnapshotTopics
from estaminet.soirees import actions
from estaminet.soirees.actions import SoireeInfo
from estaminet.soirees.rules import (
    OTHER_PLACES_POINTS,
    POINTS,
    WATCHER_POINTS,
    GameResult,
    Line,
    VoteResult,
    board,
    placings_of,
    podium,
    watchers_board,
)
from estaminet.store import Database
from estaminet.tables import votes
from estaminet.tables.actions import load_table
from estaminet.tables.model import TableInfo
from estaminet.tables.service import TableService
from estaminet.venue.rooms import Room, access_room, room_by_slug
from estaminet.web.templating import Templates

__all__ = ["Evening", "SoireeService"]


@dataclass(frozen=True)
class GameRow:
    position: int
    key: str
    table: TableInfo | None
    question: Msgid
    results: list[tuple[str, int]]
    right: list[str]
    """The names a right guess named (who is), or the favourites."""


@dataclass(frozen=True)
class Evening:
    """What a soirée's page shows, computed from its tables (nothing of it is stored)."""

    soiree: SoireeInfo
    games: list[GameRow]
    scoreboard: list[Line]
    watchers: list[Line]
    names: dict[str, str]

    @property
    def podium(self) -> list[Line]:
        return podium(self.scoreboard)

    @property
    def watchers_podium(self) -> list[Line]:
        return podium(self.watchers)


class SoireeService:
    def __init__(
        self,
        db: Database,
        hub: Hub,
        templates: Templates,
        tables: TableService,
        clock: Callable[[], datetime],
        zone: ZoneInfo,
    ) -> None:
        self.db = db
        self.zone = zone
        self.hub = hub
        self.templates = templates
        self.tables = tables
        self.clock = clock
        self._status: dict[int, str] = {}
        tables.engine.on_change(self._table_changed)
        tables.ended_listeners.append(self.table_ended)

    def install(self, gateway: Gateway) -> None:
        gateway.provide("soiree", _SoireeTopics(self))
        gateway.provide("soirees", _RoomSoirees(self))

    # -- reading ---------------------------------------------------------------------

    async def soiree(self, soiree_id: int) -> SoireeInfo:
        async with self.db.read() as conn:
            return await actions.load_soiree(conn, soiree_id)

    async def check_can_see(self, user: User, soiree: SoireeInfo) -> Room:
        async with self.db.read() as conn:
            return await access_room(conn, user, soiree.room_slug)

    async def evening(self, soiree: SoireeInfo) -> Evening:
        """The running order with each table, the scoreboards, from the tables' outcomes."""
        rows: list[GameRow] = []
        results: list[GameResult] = []
        ballots: list[VoteResult] = []
        async with self.db.read() as conn:
            for game in soiree.games:
                rules = get_game(game.key)
                table = None if game.table_id is None else await load_table(conn, game.table_id)
                question = votes.question(rules)
                if table is None or table.status != "ended":
                    rows.append(GameRow(game.position, game.key, table, question, [], []))
                    continue
                by_seat = {p.seat: p.user_id for p in table.players if p.seat is not None}
                places = placings_of((table.outcome or {}).get("details"))
                if places:
                    results.append(
                        GameResult(
                            game.position,
                            {by_seat[s]: p for s, p in places.items() if s in by_seat},
                        )
                    )
                tally = votes.counts(table.watch_votes)
                right = votes.right_seats(rules, table.outcome, tally)
                if table.watch_votes:
                    ballots.append(VoteResult(game.position, dict(table.watch_votes), right))
                seated = table.seat_names()
                rows.append(
                    GameRow(
                        game.position,
                        game.key,
                        table,
                        question,
                        votes.describe(table, table.watch_votes),
                        [seated[s] for s in sorted(right) if s in seated],
                    )
                )
            scoreboard = board(results)
            watchers = watchers_board(ballots)
            people = {line.user_id for line in scoreboard} | {line.user_id for line in watchers}
            names = await display_names(conn, people)
        return Evening(soiree, rows, scoreboard, watchers, names)

    def context(self, evening: Evening, locale: str) -> dict[str, Any]:
        return {
            "soiree": evening.soiree,
            "evening": evening,
            "locale": locale,
            "points": POINTS,
            "other_points": OTHER_PLACES_POINTS,
            "watcher_points": WATCHER_POINTS,
            "game_names": {
                game.key: get_game(game.key).names.get(locale, game.key)
                for game in evening.soiree.games
            },
            "go": go_path(evening.soiree),
        }

    def board_html(self, evening: Evening, locale: str) -> str:
        return self.templates.render("soirees/_board.html", locale, self.context(evening, locale))

    def banner_html(self, evening: Evening, locale: str) -> str:
        return self.templates.render("soirees/_banner.html", locale, self.context(evening, locale))

    # -- publishing ------------------------------------------------------------------

    async def list_html(self, room: Room, locale: str) -> str:
        """The games room's list of soirées (open and past): the same for everyone in it."""
        async with self.db.read() as conn:
            found = await actions.open_soirees(conn, room)
            past = await actions.past_soirees(conn, room)
        return self.templates.render(
            "soirees/_list.html", locale, {"room": room, "soirees": found, "past": past}
        )

    async def publish_list(self, room: Room) -> None:
        topic = f"soirees:{room.slug}"
        seq = await self.hub.next_seq(topic)
        html = {locale: await self.list_html(room, locale) for locale in LOCALES}
        await self.hub.publish(
            frame_for_locales(
                topic,
                seq,
                "soirees",
                lambda locale: {
                    "ops": [
                        {
                            "op": "inner",
                            "target": f"#soirees-list-{room.slug}",
                            "html": html[locale],
                        }
                    ]
                },
            )
        )

    async def publish(self, soiree_id: int) -> None:
        """After any change: the board and the banner, for everyone following the soirée,
        and the games room's list of soirées."""
        soiree = await self.soiree(soiree_id)
        async with self.db.read() as conn:
            room = await room_by_slug(conn, soiree.room_slug)
        if room is not None:
            await self.publish_list(room)
        evening = await self.evening(soiree)
        topic = soiree.topic
        seq = await self.hub.next_seq(topic)
        await self.hub.publish(
            frame_for_locales(
                topic, seq, "soiree", lambda locale: {"ops": self._ops(evening, locale)}
            )
        )

    def _ops(self, evening: Evening, locale: str) -> list[dict[str, Any]]:
        soiree_id = evening.soiree.id
        return [
            {
                "op": "replace",
                "target": f"#soiree-board-{soiree_id}",
                "html": self.board_html(evening, locale),
            },
            {
                "op": "replace",
                "target": f"#soiree-banner-{soiree_id}",
                "html": self.banner_html(evening, locale),
            },
        ]

    async def _table_changed(self, live: Live, events: Sequence[Event]) -> None:
        # A game of a soirée started or ended: its running order and scoreboards change.
        if self._status.get(live.id) == live.status:
            return
        self._status[live.id] = live.status
        async with self.db.read() as conn:
            soiree_id = await actions.soiree_of_table(conn, live.id)
        if soiree_id is not None:
            await self.publish(soiree_id)

    async def table_ended(self, table_id: int) -> None:
        """A soirée's table was ended by its host (not through a move)."""
        async with self.db.read() as conn:
            soiree_id = await actions.soiree_of_table(conn, table_id)
        if soiree_id is not None:
            await self.publish(soiree_id)

    # -- pieces of other pages -----------------------------------------------------------

    async def panel(self, request_context: Mapping[str, Any], room: Room, user: User) -> str:
        """The games room's soirées: those open, and the form to open one (animators)."""
        locale = str(request_context["locale"])
        can_open = can_open_soiree(user)
        now = self.clock()
        async with self.db.read() as conn:
            found = await actions.open_soirees(conn, room)
            past = await actions.past_soirees(conn, room)
            dates = (
                await events_between(
                    conn, user, self.zone, now - timedelta(hours=6), now + timedelta(days=14)
                )
                if can_open
                else []
            )
        return self.templates.render(
            "soirees/_panel.html",
            locale,
            {
                **request_context,
                "room": room,
                "soirees": found,
                "past": past,
                "list_seq": await self.hub.current_seq(f"soirees:{room.slug}"),
                "games": list(self.tables.games()),
                "can_open": can_open,
                "max_games": actions.MAX_GAMES,
                "dates": [(e, o) for e, o in dates if not o.cancelled][:20],
                "zone": self.zone,
            },
        )

    async def table_extra(
        self, request_context: Mapping[str, Any], table_id: int, user: User
    ) -> str:
        """Above a soirée's table: its banner (followed live; its people are led on)."""
        async with self.db.read() as conn:
            soiree_id = await actions.soiree_of_table(conn, table_id)
        if soiree_id is None:
            return ""
        soiree = await self.soiree(soiree_id)
        evening = await self.evening(soiree)
        locale = str(request_context["locale"])
        return self.templates.render(
            "soirees/_follow.html",
            locale,
            {
                **self.context(evening, locale),
                "following": soiree.member(user.id) is not None,
                "seq": await self.hub.current_seq(soiree.topic),
                "banner": self.banner_html(evening, locale),
            },
        )


def go_path(soiree: SoireeInfo) -> str:
    """Where the soirée leads its people now: the table in play, else the soirée's page."""
    game = soiree.current
    if soiree.status == "open" and game is not None and game.table_id is not None:
        return f"/t/{game.table_id}"
    return f"/s/{soiree.id}"


class _SoireeTopics(HubNumbered, SnapshotTopics):
    """``soiree:<id>``: for everyone who may enter the soirée's room (snapshot on resume)."""

    def __init__(self, service: SoireeService) -> None:
        self.service = service

    def _id(self, topic: str) -> int:
        raw = topic.partition(":")[2]
        if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
            raise NotFound("soirees/unknown", N_("This soirée does not exist (any more)."))
        return int(raw)

    async def authorize(self, principal: Principal, topic: str) -> None:
        soiree = await self.service.soiree(self._id(topic))
        async with self.service.db.read() as conn:
            user = await active_user(conn, principal.user_id)
        await self.service.check_can_see(user, soiree)

    async def catch_up(self, connection: Connection, topic: str, after: int) -> int:
        service = self.service
        current = await service.hub.current_seq(topic)
        if after == current:
            return current
        soiree = await service.soiree(self._id(topic))
        evening = await service.evening(soiree)
        connection.push_catch_up(topic, current, service._ops(evening, connection.locale))
        return current


class _RoomSoirees(HubNumbered, SnapshotTopics):
    """``soirees:<room slug>``: a games room's list of soirées (snapshot on resume)."""

    def __init__(self, service: SoireeService) -> None:
        self.service = service

    async def authorize(self, principal: Principal, topic: str) -> None:
        async with self.service.db.read() as conn:
            user = await active_user(conn, principal.user_id)
            await access_room(conn, user, topic.partition(":")[2])

    async def catch_up(self, connection: Connection, topic: str, after: int) -> int:
        slug = topic.partition(":")[2]
        current = await self.service.hub.current_seq(topic)
        async with self.service.db.read() as conn:
            room = await room_by_slug(conn, slug)
        if room is None or after == current:
            return current
        html = await self.service.list_html(room, connection.locale)
        connection.push_catch_up(
            topic, current, [{"op": "inner", "target": f"#soirees-list-{slug}", "html": html}]
        )
        return current
