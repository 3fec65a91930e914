"""Game tables live: lobby and per-viewer view topics, the ``table.*`` actions, publishing views.

Every byte a client receives about a game comes from ``rules.view(state, viewer)``
for that viewer: a player's topic carries only that seat's view, spectators
share one view, and the pieces of a screen that viewers show alike are rendered
once. After the first, a topic's views travel as patches of the one it last
carried (``realtime/patch.py``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from markupsafe import Markup

from estaminet.games.kit import all_games
from estaminet.kernel.activity import Activity, Event, Viewer, ViewerKind
from estaminet.kernel.errors import (
    BadInput,
    Conflict,
    EstaminetError,
    Forbidden,
    NotFound,
    RateLimited,
)
from estaminet.kernel.i18n import N_, Msgid
from estaminet.kernel.ratelimit import Monotonic, TokenBucket
from estaminet.kernel.storable import is_storable_int
from estaminet.live.engine import ActionRefused, Engine, Live
from estaminet.people.model import User
from estaminet.people.queries import active_user
from estaminet.realtime import patch
from estaminet.realtime.connection import Connection, Principal
from estaminet.realtime.frames import LOCALES, frame_for_locales
from estaminet.realtime.gateway import ActionContext, Gateway, user_topic
from estaminet.realtime.hub import Hub
from estaminet.realtime.topics import HubNumbered, SnapshotTopics
from estaminet.store import Database, SharedReads
from estaminet.tables import actions, votes
from estaminet.tables import chat as table_chat
from estaminet.tables.model import TableInfo, watcher_id
from estaminet.tables.picker import LENGTHS, VOICE_FILTERS, VOICE_LABELS, filters_from, pick
from estaminet.tables.practice import PracticeBots, bot_policy
from estaminet.tables.rules_info import game_module, participant_message, rule_message
from estaminet.tables.screen import Fragments, screen_helpers
from estaminet.translations import translate
from estaminet.venue.rooms import Room, access_room, room_by_slug
from estaminet.web.templating import Templates

__all__ = ["TableService", "sees", "viewer_topic", "watcher_id"]

# The game the "set up a table" form offers first: the one people come to play.
DEFAULT_GAME = "werewolf"
KEPT_TABLES = 256
"""How many running tables' copies :meth:`TableService.table_to_act` keeps (the oldest go first)."""
PIECES_KEPT = 512
"""Pieces of screens kept per table and language (:meth:`TableService._kept_pieces`); a
move adds a few (a seat that changed, each player's new moves)."""

log = logging.getLogger(__name__)


def viewer_topic(table_id: int, viewer: Viewer) -> str:
    """The topic that carries one kind of viewer's view of a table."""
    if viewer.kind is ViewerKind.PLAYER:
        return f"table:{table_id}:seat:{viewer.seat}"
    if viewer.kind is ViewerKind.NARRATOR:
        return f"table:{table_id}:narrator"
    return f"table:{table_id}:watch"


def rejection_message(rules: Activity[Any], code: str) -> Msgid:
    """The English message id a game gives for one of its rejection codes."""
    generic = {
        "live/not_running": N_("This is not running (any more)."),
    }
    return rule_message(rules, code, generic.get(code) or N_("This move is not possible now."))


class TableService:
    def __init__(
        self,
        db: Database,
        hub: Hub,
        engine: Engine,
        templates: Templates,
        lookup: Callable[[str], Activity[Any]],
        clock: Callable[[], datetime],
        *,
        monotonic: Monotonic = time.monotonic,
        bot_seconds: float = 3.0,
    ) -> None:
        self.db = db
        self.hub = hub
        self.engine = engine
        self.templates = templates
        self.lookup = lookup
        self.clock = clock
        self.monotonic = monotonic
        self.view_templates: dict[str, str] = {}
        """Template of each activity's screen, when not ``games/<key>.html``."""
        self._buckets: dict[str, TokenBucket] = {}
        self._present: dict[int, dict[str, int]] = {}
        self._rights: dict[str, dict[str, list[str]]] = {}
        self._shown: dict[str, tuple[str, Mapping[str, Any]]] = {}
        """The last view published on each topic: an unchanged view is not sent again."""
        self._sent: dict[str, tuple[int, patch.Screen]] = {}
        """The screen last published on each topic, with its frame's number: the next one is
        sent as a patch of it, and whoever follows the topic after that frame starts from it."""
        self._status: dict[int, str] = {}
        self._pieces: dict[tuple[int, str], tuple[tuple[Any, ...], dict[Hashable, Markup]]] = {}
        """The pieces of screens (:class:`~estaminet.tables.screen.Fragments`) of each table's
        moves in each language, with the names they were rendered with: a player's moves, most
        seats of the village, the narration, often the same from one move to the next."""
        self._recent: dict[int, tuple[TableInfo, float]] = {}
        """The copy of each table its moves' screens use, and until when it is fresh."""
        self._refreshing: dict[int, asyncio.Task[None]] = {}
        self._tables = SharedReads(db, self._read_table)
        """Reads of a table, shared by the callers of the same moment (see :meth:`table`)."""
        self._running: dict[int, TableInfo] = {}
        """A copy of each running table read for a move (see :meth:`table_to_act`)."""
        self.ended_listeners: list[Callable[[int], Awaitable[None]]] = []
        """Called with a table's id when its host ends it (moves end a game through the engine's
        listeners): the soirée it belongs to updates its running order."""
        self.stage_guests: list[Callable[[TableInfo, User], Awaitable[bool]]] = []
        """Other ways to get a table's spectator view (its ``watch`` topic) without sitting at
        it: a stage showing the table (``media/stage_table.py``). Same view, same topic."""
        engine.on_change(self._changed)
        self.practice = PracticeBots(db, engine, clock, seconds=bot_seconds)
        """Plays the bots of practice tables (its ``run`` is a loop of the server)."""

    def install(self, gateway: Gateway) -> None:
        gateway.provide("table", _TableTopics(self))
        gateway.provide("tables", _RoomTables(self))
        gateway.action("table.act", self._act)
        gateway.action("table.chat", self._chat)

    # -- who is who --------------------------------------------------------------

    async def table(self, table_id: int) -> TableInfo:
        """The table as it is now, everyone at it: shared by the callers of the same moment
        (each gets a read begun after it asked). Five hundred spectators' sockets, coming
        back together, each read it to check and again to draw their view: read apart,
        hundreds of rows each time."""
        return await self._tables(table_id)

    async def _read_table(self, table_id: int) -> TableInfo:
        async with self.db.read() as conn:
            return await actions.load_table(conn, table_id)

    async def table_to_act(self, table_id: int, user_id: str) -> TableInfo:
        """The table, as a move by ``user_id`` needs it: a seated player's is read once a game.

        A move needs who its author is at the table and which game it plays. Reading the
        table reads everyone at it (hundreds, with spectators) and their names: most of a
        move's cost before its views. But a running game's seats do not change until it
        ends: seats are dealt at the start, leaving and kicks refuse a seated player, and
        nobody sits down later. So a copy read while the game ran, that shows ``user_id``
        in a seat, still says who they are and which game it is. Anyone else (a spectator,
        a narrator, who may become a spectator; a practice table, which its narrator pauses)
        is read afresh each time; and whether the game still runs is for the engine to say
        (it refuses a move once a game was stopped).
        """
        kept = self._running.get(table_id)
        if kept is not None:
            me = kept.participant(user_id)
            if me is not None and me.role == "player" and me.seat is not None:
                return kept
        table = await self.table(table_id)
        self._keep_for_moves(table)
        return table

    def _keep_for_moves(self, table: TableInfo) -> None:
        """Keep ``table``, just read, as the copy :meth:`table_to_act` gives seated players (or
        drop the copy when the game no longer runs, or is a practice)."""
        if table.status == "running" and table.practice is None:
            if table.id not in self._running and len(self._running) >= KEPT_TABLES:
                del self._running[next(iter(self._running))]
            self._running[table.id] = table
        else:
            self._running.pop(table.id, None)

    async def user(self, principal: Principal) -> User:
        async with self.db.read() as conn:
            return await active_user(conn, principal.user_id)

    async def check_can_see(self, user: User, table: TableInfo) -> None:
        """The table's room must be open to ``user``; a private table only to its people."""
        async with self.db.read() as conn:
            await access_room(conn, user, table.room_slug)
        if not sees(table, user.id):
            raise Forbidden("tables/private", N_("This table is private."))

    def viewer_for(self, table: TableInfo, user_id: str) -> Viewer | None:
        """How ``user_id`` sees the game: their seat, the narrator, or a spectator."""
        me = table.participant(user_id)
        if me is None:
            return None
        if me.role == "narrator":
            return Viewer.narrator()
        if me.seat is not None:
            return Viewer.player(me.seat)
        if me.role == "spectator":
            return Viewer.spectator()
        return None

    async def stage_guest(self, table: TableInfo, user: User) -> bool:
        """Whether ``user`` may follow the table's spectator view from elsewhere (a stage)."""
        for guest in self.stage_guests:
            if await guest(table, user):
                return True
        return False

    # -- actions -----------------------------------------------------------------

    async def _act(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        table_id, action = data.get("table"), data.get("action")
        if not is_storable_int(table_id) or not isinstance(action, dict):
            raise BadInput("gateway/malformed", N_("This message could not be read."))
        table = await self.table_to_act(table_id, ctx.principal.user_id)
        viewer = self.viewer_for(table, ctx.principal.user_id)
        rules = self.lookup(table.key)
        watcher = watcher_seat(rules)
        if viewer is None or (viewer.kind is ViewerKind.SPECTATOR and watcher is None):
            # An activity words this in its own terms (an assembly has members, not players).
            message = participant_message(rules, N_("Only the players at this table can do that."))
            raise Forbidden("tables/not_playing", message)
        if viewer.kind is ViewerKind.SPECTATOR and watcher is not None:
            # A game where watchers play along (Le Quiz): their moves go through the same
            # event log, as the game's watcher actor, named by the server, never the client.
            actor = watcher
            action = {**action, "watcher": watcher_id(table.id, ctx.principal.user_id)}
        else:
            actor = viewer.seat if viewer.seat is not None else narrator_seat(rules)
        if table.practice is not None and table.practice.paused:
            raise Conflict(
                "tables/practice_paused", N_("The practice is paused: resume it to go on.")
            )
        try:
            events = await self.engine.act(table_id, actor, action, ctx.now)
        except ActionRefused as refused:
            code = refused.rejection.code
            raise EstaminetError(
                code, rejection_message(rules, code), **dict(refused.rejection.params)
            ) from None
        return {"events": len(events)}

    async def _chat(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        table_id, channel, body = data.get("table"), data.get("channel"), data.get("body")
        if (
            not is_storable_int(table_id)
            or not isinstance(channel, str)
            or not isinstance(body, str)
        ):
            raise BadInput("gateway/malformed", N_("This message could not be read."))
        table = await self.table(table_id)
        viewer = self.viewer_for(table, ctx.principal.user_id)
        if viewer is None or table.status == "lobby":
            raise Forbidden("tables/channel_closed", N_("You cannot write in this channel now."))
        bucket = self._buckets.setdefault(ctx.principal.user_id, TokenBucket(6, 1.0))
        if not bucket.take(self.monotonic()):
            raise RateLimited(
                "chat/slow_down",
                N_("Slow down! Wait %(seconds)s s before sending again."),
                seconds=max(1, round(bucket.wait_time())),
            )
        # The latest state: on a copy behind another instance's commit, the rights would be
        # old and a guess that finds the word could be posted as chat, giving it away.
        live = await self.engine.latest(table_id)
        allowed = table_chat.permissions(live.rules, live.state, viewer)["write"]
        move = self._chat_move(live, viewer, channel, body)
        if move is not None and channel in allowed and viewer.seat is not None:
            # The message is a move (a guess that finds the word or comes close): it goes
            # to the rules, never to the chat, where it would give the word away.
            try:
                await self.engine.act(table_id, viewer.seat, move, ctx.now)
            except ActionRefused as refused:
                code = refused.rejection.code
                raise EstaminetError(
                    code, rejection_message(live.rules, code), **dict(refused.rejection.params)
                ) from None
            return {"message": None}
        user = await self.user(ctx.principal)
        message = await table_chat.post(
            self.db, user, table_id, channel, body, viewer.seat, allowed, ctx.now
        )
        await self.publish_chat(table, live, message)
        return {"message": message.id}

    @staticmethod
    def _chat_move(live: Live, viewer: Viewer, channel: str, body: str) -> Mapping[str, Any] | None:
        """The move a player's chat message stands for, if the game says so (``chat_move``)."""
        decide = getattr(live.rules, "chat_move", None)
        if decide is None or viewer.kind is not ViewerKind.PLAYER or live.status != "running":
            return None
        found: Mapping[str, Any] | None = decide(live.state, viewer, channel, body.strip())
        return found

    async def publish_chat(
        self, table: TableInfo, live: Live, message: table_chat.TableMessage
    ) -> None:
        """Append the message for every viewer who may read its channel (or its anonymous mirror)."""
        mirror = message.channel + table_chat.ANONYMOUS
        for viewer in self.viewers(table):
            readable = table_chat.permissions(live.rules, live.state, viewer)["read"]
            targets: list[tuple[str, bool]] = []
            if message.channel in readable:
                targets.append((message.channel, False))
            if mirror in readable:
                targets.append((mirror, True))
            if not targets:
                continue
            topic = viewer_topic(table.id, viewer)
            seq = await self.hub.next_seq(topic)
            await self.hub.publish(
                frame_for_locales(topic, seq, "chat", self._chat_body(message, targets))
            )

    def _chat_body(
        self, message: table_chat.TableMessage, targets: list[tuple[str, bool]]
    ) -> Callable[[str], dict[str, Any]]:
        def body(locale: str) -> dict[str, Any]:
            return {
                "ops": [
                    {
                        "op": "upsert",
                        "parent": f"#table-chat-log-{channel}",
                        "id": f"tmsg-{message.id}{'-a' if anonymous else ''}",
                        "html": self.templates.render(
                            "tables/_chat_message.html",
                            locale,
                            {"m": message, "anonymous": anonymous},
                        ),
                    }
                    for channel, anonymous in targets
                ]
            }

        return body

    # -- publishing -------------------------------------------------------------

    def viewers(self, table: TableInfo) -> list[Viewer]:
        """Who sees the table, one per screen: each seat, the narrator, the spectators last."""
        found = [Viewer.player(p.seat) for p in table.players if p.seat is not None]
        if table.narrator is not None:
            found.append(Viewer.narrator())
        found.append(Viewer.spectator())
        return found

    def last_screen(self, topic: str, seq: int) -> patch.Screen | None:
        """The screen of ``topic``'s frame number ``seq`` if that is the last this process
        published there: the base of the topic's next patch, which someone who follows the
        topic from that frame on must start from. Rendered once per language and shared by
        everyone who starts there (500 spectators). ``None`` for an older number, or a frame
        another instance published."""
        sent = self._sent.get(topic)
        return sent[1] if sent is not None and sent[0] == seq else None

    def render_view(
        self,
        table: TableInfo,
        live: Live,
        view: Mapping[str, Any],
        viewer: Viewer,
        locale: str,
        shared: Fragments | None = None,
    ) -> str:
        """One viewer's screen; ``shared`` holds the pieces already rendered for other viewers
        of the same move in this language (see :class:`~estaminet.tables.screen.Fragments`)."""
        game = game_module(live.rules)
        names = table.seat_names()
        return self.templates.render(
            self.view_templates.get(table.key, f"games/{table.key}.html"),
            locale,
            {
                "table": table,
                "view": view,
                "viewer": viewer,
                "names": names,
                "status": live.status,
                "locale": locale,
                "game": game,
                "watcher_names": table.watcher_names,
                **screen_helpers(game, names, locale, shared),
            },
        )

    async def _changed(self, live: Live, events: Sequence[Event]) -> None:
        # After every move: the people at the table rarely change between two moves (joins
        # and leaves on this instance drop the copy, see ``publish_lobby``), so the last copy
        # serves this move's screens; one older than a second is read again once they are
        # on their way (``_refresh_soon``), and what changed meanwhile elsewhere (a new name,
        # a watcher who sat down on another instance) shows from the next move on. Reading
        # a table of 500 before a move's screens was a fifth of the first move's time.
        now = self.monotonic()
        cached = self._recent.get(live.id)
        if cached is not None and live.status == cached[0].status:
            table = cached[0]
            if cached[1] <= now:
                self._refresh_soon(live.id)
        else:
            table = await self.table(live.id)
            self._recent[live.id] = (table, now + 1.0)
            # Read after the start's commit (or a later move's), while the game runs: the
            # copy the game's first move by a seated player would otherwise read again.
            self._keep_for_moves(table)
        stream = getattr(live.rules, "stream", None)
        data = stream(events) if stream is not None else None
        if data is not None and self._status.get(table.id) == live.status:
            # Only public, append-only data changed (a drawing's new strokes): one small
            # frame for every screen instead of a new view each.
            await self.publish_stream(table, data)
            return
        await self.publish_views(table, live)
        if live.status == "ended":
            self._running.pop(live.id, None)
            # No move follows: forget the screens kept as the base of the next patches.
            for viewer in self.viewers(table):
                self._sent.pop(viewer_topic(table.id, viewer), None)
            for locale in LOCALES:
                self._pieces.pop((table.id, locale), None)
        if self._status.get(table.id) != live.status:
            # The lobby (who sits, who watches) changes with the status, not with each move.
            self._status[table.id] = live.status
            await self.publish_lobby(table)

    def _refresh_soon(self, table_id: int) -> None:
        """Read the table again after this move's screens (one read at a time per table)."""
        if table_id in self._refreshing:
            return
        task = asyncio.get_running_loop().create_task(self._refresh(table_id))
        self._refreshing[table_id] = task
        task.add_done_callback(lambda _: self._refreshing.pop(table_id, None))

    async def _refresh(self, table_id: int) -> None:
        before = self._recent.get(table_id)
        try:
            table = await self.table(table_id)
        except Exception:  # deleted, or the database is away: the next move reads it
            log.debug("reading table %s again failed", table_id, exc_info=True)
            self._recent.pop(table_id, None)
            return
        if self._recent.get(table_id) is before:  # not dropped by a lobby change meanwhile
            self._recent[table_id] = (table, self.monotonic() + 1.0)
            self._keep_for_moves(table)

    async def publish_stream(self, table: TableInfo, data: Mapping[str, Any]) -> None:
        """The same ``stream`` op on every viewer's topic (what every view shows alike)."""
        ops = {"ops": [{"op": "stream", "target": "[data-stream]", "data": dict(data)}]}
        for viewer in self.viewers(table):
            topic = viewer_topic(table.id, viewer)
            seq = await self.hub.next_seq(topic)
            await self.hub.publish(frame_for_locales(topic, seq, "stream", neutral=ops))

    async def publish_views(self, table: TableInfo, live: Live) -> None:
        shared: dict[str, Fragments] = {}  # per language, for this move's screens
        logs: dict[str, dict[str, list[table_chat.TableMessage]]] = {}
        # The chat's logs and chooser per set of rights, rendered once per language for
        # every viewer who has them (at nightfall, every villager's alike).
        chats: dict[str, patch.Body] = {}
        streamed: frozenset[str] = getattr(live.rules, "stream_keys", frozenset())
        # The spectators' screen first (``viewers`` ends with it): one frame for everyone
        # who watches, on its way to them while each player's screen is rendered.
        *seated, watching = self.viewers(table)
        for viewer in (watching, *seated):
            view = live.rules.view(live.state, viewer)
            # What stream frames keep up to date does not make a new view by itself. Views
            # are compared as values (a tree of plain values, checked by the games' conformance
            # suite: equal states give equal views, not only equal JSON), at C speed and
            # stopping at the first difference; writing each out took a tenth of a move.
            shown = (
                live.status,
                {k: v for k, v in view.items() if k not in streamed} if streamed else view,
            )
            topic = viewer_topic(table.id, viewer)
            rights = table_chat.permissions(live.rules, live.state, viewer)
            if self._shown.get(topic) == shown and self._rights.get(topic) == rights:
                # Nothing changed for this viewer: no frame at all, so the moment a frame
                # arrives never tells that someone else acted (the Witch's first potion,
                # the Little Girl spying…).
                continue
            self._shown[topic] = shown
            # A screen depends on the viewer as well as on the view (a seat's own form, "you"),
            # so each viewer's is rendered for them; the pieces every viewer shows alike are
            # rendered once (``shared``), and all spectators share one topic, hence one frame.
            screen = self._html(table, live, view, viewer, shared)
            before = self._sent.get(topic)
            self._sent[topic] = (-1, screen)  # its number comes with its frame, below
            # What changed since this topic's own previous screen: nobody is ever sent a
            # piece of a screen that is not theirs.
            body = (
                patch.whole(VIEW, screen)
                if before is None
                else patch.changes(VIEW, before[1], screen)
            )
            if self._rights.get(topic) != rights:
                # The channels this viewer may use changed (night fell, someone died…).
                self._rights[topic] = rights
                since = table_chat.history_from(live.rules, live.state, viewer)
                rights_key = _key(rights) + json.dumps(since, sort_keys=True, default=str)
                if rights_key not in logs:
                    # At nightfall, once per set of rights (the village's, the pack's, the
                    # dead's…), before their screens leave: each channel's last page along
                    # its index, answered at once on SQLite (``read_now``), not after a trip
                    # to aiosqlite's thread while every screen waits (1-5 ms each).
                    async with self.db.read_now() as conn:
                        logs[rights_key] = await table_chat.history(
                            conn, table.id, rights["read"], since=since
                        )
                if rights_key not in chats:
                    chats[rights_key] = self._chat_replaced(table, rights, logs[rights_key])
                body = _joined(body, chats[rights_key])
            seq = await self.hub.next_seq(topic)
            self._sent[topic] = (seq, screen)
            await self.hub.publish(frame_for_locales(topic, seq, "view", body))

    def _chat_replaced(
        self,
        table: TableInfo,
        rights: dict[str, list[str]],
        logs: dict[str, list[table_chat.TableMessage]],
    ) -> patch.Body:
        """The ops that replace the chat's logs and chooser, per language on first use."""
        rendered: dict[str, dict[str, Any]] = {}

        def chat(locale: str) -> dict[str, Any]:
            if locale not in rendered:
                rendered[locale] = {"ops": self._chat_ops(table, rights, logs, locale)}
            return rendered[locale]

        return chat

    def _chat_ops(
        self,
        table: TableInfo,
        rights: dict[str, list[str]],
        logs: dict[str, list[table_chat.TableMessage]],
        locale: str,
    ) -> list[dict[str, Any]]:
        context = {"table": table, "rights": rights, "logs": logs, "locale": locale}
        return [
            {
                "op": "replace",
                "target": "#table-chat-logs",
                "html": self.templates.render("tables/_chat_logs.html", locale, context),
            },
            {
                "op": "replace",
                "target": "#table-chat-write",
                "html": self.templates.render("tables/_chat_write.html", locale, context),
            },
        ]

    async def chat_html(
        self,
        table: TableInfo,
        rights: dict[str, list[str]],
        locale: str,
        since: Mapping[str, datetime] | None = None,
    ) -> tuple[str, str]:
        """The chat logs and the channel chooser for these rights (``since``: see
        :func:`~estaminet.tables.chat.history_from`)."""
        async with self.db.read() as conn:
            logs = await table_chat.history(conn, table.id, rights["read"], since=since)
        logs_op, write_op = self._chat_ops(table, rights, logs, locale)
        return str(logs_op["html"]), str(write_op["html"])

    def _html(
        self,
        table: TableInfo,
        live: Live,
        view: Mapping[str, Any],
        viewer: Viewer,
        shared: dict[str, Fragments],
    ) -> patch.Screen:
        """The screen of ``view`` per language, rendered on first use and kept."""

        def render(locale: str) -> str:
            pieces = shared.get(locale)
            if pieces is None:
                pieces = shared[locale] = Fragments(self._kept_pieces(table, locale))
            return self.render_view(table, live, view, viewer, locale, pieces)

        return patch.Screen(render)

    def _kept_pieces(self, table: TableInfo, locale: str) -> dict[Hashable, Markup]:
        """The pieces kept from the table's earlier moves in ``locale``: a piece's key is
        everything it reads but the names and the language, so they are started afresh when
        a name changes, and when they grow past :data:`PIECES_KEPT`."""
        names = (table.key, tuple(table.seat_names().items()))
        kept = self._pieces.get((table.id, locale))
        if kept is None or kept[0] != names or len(kept[1]) > PIECES_KEPT:
            if kept is None and len(self._pieces) >= 2 * KEPT_TABLES:
                del self._pieces[next(iter(self._pieces))]  # the table least recently started
            kept = self._pieces[(table.id, locale)] = (names, {})
        return kept[1]

    async def panel(self, request_context: Mapping[str, Any], room: Room, user: User) -> str:
        """The games room's panel: its tables and the form to set one up."""
        locale = str(request_context["locale"])
        request = request_context.get("request")
        filters = filters_from(request.query_params if request is not None else {})
        async with self.db.read() as conn:
            tables = [t for t in await actions.list_tables(conn, room) if sees(t, user.id)]
        return self.templates.render(
            "tables/_panel.html",
            locale,
            {
                **request_context,
                "room": room,
                "tables": tables,
                "public_tables": [t for t in tables if not t.private],
                "mine": [t for t in tables if t.private],
                "games": self.games(),
                "default_game": DEFAULT_GAME,
                "practice_games": [g for g in self.games() if bot_policy(g) is not None],
                "game_names": self.game_names(locale),
                "filters": filters,
                "fitting": {game.key for game in pick(self.games(), filters)},
                "picker_lengths": LENGTHS,
                "picker_voices": VOICE_FILTERS,
                "voice_labels": VOICE_LABELS,
                "panel_seq": await self.hub.current_seq(f"tables:{room.slug}"),
            },
        )

    async def seat_presence(self, table_id: int, user_id: str, change: int) -> None:
        """Count a player's open screens; the lobby shows who is away (their seat is kept)."""
        seats = self._present.setdefault(table_id, {})
        before = seats.get(user_id, 0) > 0
        seats[user_id] = max(0, seats.get(user_id, 0) + change)
        if (seats[user_id] > 0) != before:
            table = await self.table(table_id)
            # Who is away is not in the copy the moves' screens use, and this one was just
            # read: it serves the next move, which would otherwise read the table again
            # (a table of 500, before its screens) because someone's page opened.
            self._recent[table_id] = (table, self.monotonic() + 1.0)
            await self.publish_lobby(table, keep_copy=True)

    async def seats_online(self, table_id: int, seats: Sequence[int]) -> set[int]:
        """Which of ``seats`` have the table's page open on this server now."""
        table = await self.table(table_id)
        present = self._present.get(table_id, {})
        return {
            p.seat
            for p in table.players
            if p.seat is not None and p.seat in seats and present.get(p.user_id, 0) > 0
        }

    def away(self, table: TableInfo) -> set[str]:
        """Seated players of a running game with no screen open."""
        if table.status != "running":
            return set()
        present = self._present.get(table.id, {})
        return {p.user_id for p in table.players if present.get(p.user_id, 0) == 0}

    async def voice_plan(self, table_id: int) -> dict[str, Any] | None:
        """For the voice layer only (never sent to a browser as such): who is muted at the
        table and who shares a private channel now, as the game's rules say; ``None`` if the
        game has no opinion. Everyone is muted alike, so muting reveals nothing."""
        live = await self.engine.get(table_id)
        plan = getattr(live.rules, "voice_plan", None)
        if plan is None or live.status != "running":
            return None
        result: dict[str, Any] = plan(live.state)
        return result

    def lobby_html(self, table: TableInfo, locale: str) -> str:
        rules = self.lookup(table.key)
        return self.templates.render(
            "tables/_lobby.html",
            locale,
            {
                "table": table,
                "rules": rules,
                "locale": locale,
                "away": self.away(table),
                "game": game_module(rules),
                "question": votes.question(rules),
                "results": votes.describe(table, table.watch_votes),
            },
        )

    async def panel_list_html(self, room: Room, locale: str) -> str:
        """The tables everyone who may enter the room sees: never a private one."""
        async with self.db.read() as conn:
            tables = await actions.list_tables(conn, room)
        return self._list_html(room, [t for t in tables if not t.private], locale)

    def _list_html(
        self, room: Room, tables: list[TableInfo], locale: str, *, template: str = "_list"
    ) -> str:
        return self.templates.render(
            f"tables/{template}.html",
            locale,
            {
                "tables": tables,
                "mine": tables,
                "room": room,
                "game_names": self.game_names(locale),
            },
        )

    def game_names(self, locale: str) -> dict[str, str]:
        return {game.key: game.names.get(locale, game.key) for game in self.games()}

    def games(self) -> list[Activity[Any]]:
        return list(all_games())

    async def publish_room_tables(self, room_slug: str, also: Iterable[str] = ()) -> None:
        """The room's list of tables, as each viewer may see it.

        ``tables:<room>`` carries the public tables (the same for everyone who may
        enter the room); each person at a private table (and each one in ``also``,
        who may just have left one) gets their own private tables on ``user:<id>``.
        """
        async with self.db.read() as conn:
            room = await room_by_slug(conn, room_slug)
            if room is None:
                return
            tables = await actions.list_tables(conn, room)
        private = [t for t in tables if t.private]
        concerned = {uid for t in private for uid in _people_of(t)} | set(also)
        for user_id in sorted(concerned):
            await self._publish_private_tables(
                room, [t for t in private if sees(t, user_id)], user_id
            )
        public = [t for t in tables if not t.private]
        topic = f"tables:{room.slug}"
        seq = await self.hub.next_seq(topic)
        html = {locale: self._list_html(room, public, locale) for locale in LOCALES}
        frame = frame_for_locales(
            topic,
            seq,
            "tables",
            lambda locale: {
                "ops": [
                    {"op": "inner", "target": f"#tables-list-{room.slug}", "html": html[locale]}
                ]
            },
        )
        await self.hub.publish(frame)

    async def _publish_private_tables(
        self, room: Room, mine: list[TableInfo], user_id: str
    ) -> None:
        topic = user_topic(user_id)
        seq = await self.hub.next_seq(topic)
        html = {locale: self._list_html(room, mine, locale, template="_mine") for locale in LOCALES}
        frame = frame_for_locales(
            topic,
            seq,
            "tables",
            lambda locale: {
                "ops": [
                    {"op": "inner", "target": f"#tables-mine-{room.slug}", "html": html[locale]}
                ]
            },
        )
        await self.hub.publish(frame, buffer=True)

    async def publish_lobby(
        self, table: TableInfo, also: Iterable[str] = (), *, keep_copy: bool = False
    ) -> None:
        """After a change in a table's lobby; ``also``: people who just left it;
        ``keep_copy``: only who is away changed (the copy the moves use still holds)."""
        if not keep_copy:
            self._recent.pop(table.id, None)
        await self.publish_room_tables(table.room_slug, also)
        topic = table.topic
        seq = await self.hub.next_seq(topic)
        frame = frame_for_locales(
            topic,
            seq,
            "lobby",
            lambda locale: {
                "ops": [
                    {
                        "op": "replace",
                        "target": f"#table-lobby-{table.id}",
                        "html": self.lobby_html(table, locale),
                    }
                ]
            },
        )
        await self.hub.publish(frame)

    def message(self, locale: str, error: EstaminetError) -> str:
        return translate(locale, error.message, error.params)


VIEW = "#table-view"
"""Where a table's screen is on the page."""


def sees(table: TableInfo, user_id: str) -> bool:
    """Whether ``user_id`` may see ``table`` (in a room they may enter): a private table
    only shows to its host and the people at it."""
    return not table.private or user_id in _people_of(table)


def _people_of(table: TableInfo) -> set[str]:
    people = {p.user_id for p in table.participants}
    if table.host_id is not None:
        people.add(table.host_id)
    return people


def _joined(first: patch.Body, then: patch.Body) -> patch.Body:
    """One body with ``first``'s ops, then ``then``'s."""

    def joined(locale: str) -> dict[str, Any]:
        return {"ops": [*first(locale)["ops"], *then(locale)["ops"]]}

    return joined


def _key(rights: dict[str, list[str]]) -> str:
    return json.dumps(rights, sort_keys=True)


def watcher_seat(rules: Activity[Any]) -> int | None:
    """The actor number of a spectator's move in a game where watchers play along (its
    package's ``WATCHER_SEAT``), or ``None``: spectators only watch."""
    seat = getattr(game_module(rules), "WATCHER_SEAT", None)
    return None if seat is None else int(seat)


def narrator_seat(rules: Activity[Any]) -> int:
    """The actor number a game uses for its human narrator (-2 unless it says otherwise)."""
    return int(getattr(game_module(rules), "NARRATOR_SEAT", -2))


class _RoomTables(HubNumbered, SnapshotTopics):
    """``tables:<room slug>``: the list of tables in a games room (snapshot on resume)."""

    def __init__(self, service: TableService) -> None:
        self.service = service

    async def authorize(self, principal: Principal, topic: str) -> None:
        user = await self.service.user(principal)
        async with self.service.db.read() as conn:
            await access_room(conn, user, topic.partition(":")[2])

    async def catch_up(self, connection: Connection, topic: str, after: int) -> int:
        slug = topic.partition(":")[2]
        async with self.service.db.read() as conn:
            room = await room_by_slug(conn, slug)
        current = await self.service.hub.current_seq(topic)
        if room is None or after == current:
            return current
        html = await self.service.panel_list_html(room, connection.locale)
        connection.push_catch_up(
            topic, current, [{"op": "inner", "target": f"#tables-list-{slug}", "html": html}]
        )
        return current


class _TableTopics(HubNumbered):
    """``table:<id>`` (lobby) and ``table:<id>:seat:<n>|narrator|watch`` (views)."""

    def __init__(self, service: TableService) -> None:
        self.service = service

    def _parse(self, topic: str) -> tuple[int, str]:
        parts = topic.split(":", 2)
        try:
            return int(parts[1]), parts[2] if len(parts) > 2 else ""
        except (IndexError, ValueError):
            raise NotFound("tables/unknown", N_("This table does not exist (any more).")) from None

    async def authorize(self, principal: Principal, topic: str) -> None:
        table_id, rest = self._parse(topic)
        table = await self.service.table(table_id)
        user = await self.service.user(principal)
        await self.service.check_can_see(user, table)
        if not rest:
            return
        viewer = self.service.viewer_for(table, user.id)
        if viewer is None or viewer_topic(table.id, viewer) != topic:
            if rest == "watch" and await self.service.stage_guest(table, user):
                return
            raise Forbidden("tables/not_your_view", N_("You are not allowed to do that."))

    async def catch_up(self, connection: Connection, topic: str, after: int) -> int:
        table_id, rest = self._parse(topic)
        service = self.service
        table = await service.table(table_id)
        current = await service.hub.current_seq(topic)
        locale = connection.locale
        if not rest:
            html = service.lobby_html(table, locale)
            target = f"#table-lobby-{table.id}"
        else:
            if table.status == "lobby":
                return current
            live = await service.engine.latest(table_id)
            viewer = service.viewer_for(table, connection.principal.user_id)
            if rest == "watch":  # a spectator, or a stage's watcher: the spectators' view
                viewer = Viewer.spectator()
            assert viewer is not None
            last = service.last_screen(topic, current)
            if last is not None:
                html = last.html(locale)
            else:
                view = live.rules.view(live.state, viewer)
                html = service.render_view(table, live, view, viewer, locale)
            rights = table_chat.permissions(live.rules, live.state, viewer)
            since = table_chat.history_from(live.rules, live.state, viewer)
            logs, write = await service.chat_html(table, rights, locale, since)
            connection.push_catch_up(
                topic,
                current,
                [
                    patch.whole_op(VIEW, html),
                    {"op": "replace", "target": "#table-chat-logs", "html": logs},
                    {"op": "replace", "target": "#table-chat-write", "html": write},
                ],
            )
            return current
        connection.push_catch_up(
            topic, current, [{"op": "replace", "target": target, "html": html}]
        )
        return current

    async def joined(self, connection: Connection, topic: str) -> None:
        table_id, rest = self._parse(topic)
        if rest.startswith("seat:"):
            await self.service.seat_presence(table_id, connection.principal.user_id, +1)

    async def left(self, connection: Connection, topic: str) -> None:
        table_id, rest = self._parse(topic)
        if rest.startswith("seat:"):
            await self.service.seat_presence(table_id, connection.principal.user_id, -1)
