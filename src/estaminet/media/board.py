"""The board camera (*jeux de société de chez soi*) and the narrator's voice on the stage.

Each game table gets its own Janus VideoRoom room (space ``board:<table id>``) on
the stage's Janus, with the same tickets (core token + the room's ``allowed``
list, see :mod:`estaminet.media.janus.videoroom`). A seated player may publish a
camera pointed at a physical board (video only: the table's voice stays the
table's); the narrator may publish their voice (audio only) for the watchers of a
stage that shows the table. Who may publish or watch is decided in
``people/access.py``; Janus cannot tell a watcher's token from a publisher's, so
while anyone follows a board its publishers are checked every few seconds and any
feed nobody allowed is kicked (as on the stage).

The topic ``board:<table id>`` carries the feeds live now (feed number, name,
camera or voice). State is in memory, like the stage's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from estaminet.kernel.errors import BadInput, EstaminetError, Forbidden
from estaminet.kernel.i18n import N_
from estaminet.kernel.storable import is_storable_int
from estaminet.live.engine import Live
from estaminet.media.crowd import CrowdUnavailable
from estaminet.media.stage import StageMedia
from estaminet.media.stage_table import StageTables
from estaminet.people.access import (
    can_animate_stage,
    may_share_board,
    may_voice_table,
    may_watch_board,
)
from estaminet.people.model import User
from estaminet.realtime.connection import Connection, Principal
from estaminet.realtime.frames import frame_for_locales
from estaminet.realtime.gateway import ActionContext, Gateway
from estaminet.realtime.hub import Hub
from estaminet.realtime.topics import HubNumbered
from estaminet.tables.model import TableInfo
from estaminet.tables.service import TableService
from estaminet.web.templating import Templates

__all__ = ["BoardService"]

log = logging.getLogger(__name__)

_MALFORMED = N_("This message could not be read.")
GUARD_SECONDS = 3.0
"""How often a board's publishers are checked against who may publish, while anyone follows it."""
KINDS = ("camera", "voice")
"""What a feed on a table's board carries: a camera on the board (video), the narrator's voice."""


@dataclass(eq=False)
class _Board:
    table_id: int
    live: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Who publishes now: user id → (display name, kind)."""
    followers: dict[int, str] = field(default_factory=dict)
    """Connections following ``board:<id>``: connection id → user id."""

    @property
    def space(self) -> str:
        return f"board:{self.table_id}"


def _malformed() -> BadInput:
    return BadInput("gateway/malformed", _MALFORMED)


def _publishers(table: TableInfo) -> set[str]:
    """Everyone who may publish on this table's board now (seated players, the narrator)."""
    ended = table.status == "ended"
    return {
        p.user_id
        for p in table.participants
        if may_share_board(p.role, p.seat, ended=ended) or may_voice_table(p.role, ended=ended)
    }


class BoardService:
    """The VideoRoom room of each game table: board cameras and the narrator's voice."""

    def __init__(
        self,
        hub: Hub,
        templates: Templates,
        tables: TableService,
        stage_tables: StageTables,
        *,
        media: StageMedia | None = None,
        ice_servers: Callable[[str, datetime], list[dict[str, Any]]] | None = None,
    ) -> None:
        self.hub = hub
        self.templates = templates
        self.tables = tables
        self.stage_tables = stage_tables
        self.media = media
        self.ice_servers = ice_servers
        self.boards: dict[int, _Board] = {}
        self._guarding: asyncio.Task[None] | None = None
        tables.ended_listeners.append(self.table_ended)
        tables.engine.on_change(self._changed)

    def install(self, gateway: Gateway) -> None:
        gateway.provide("board", _BoardTopics(self))
        gateway.action("board.ticket", self._ticket)
        gateway.action("board.live", self._live)

    def board(self, table_id: int) -> _Board:
        return self.boards.setdefault(table_id, _Board(table_id))

    # -- who may -------------------------------------------------------------------

    async def access(self, principal: Principal, table_id: int) -> tuple[User, TableInfo]:
        """The person and the table, if they may watch its board; raises the refusal if not."""
        table = await self.tables.table(table_id)
        user = await self.tables.user(principal)
        await self.tables.check_can_see(user, table)
        me = table.participant(user.id)
        role = me.role if me is not None else None
        guest = role is None and await self.stage_tables.guest(table, user)
        if table.kind != "game" or not may_watch_board(role, stage_guest=guest):
            raise Forbidden(
                "board/not_at_table",
                N_(
                    "Only the people at this table, and the watchers of a stage showing it, "
                    "see its board."
                ),
            )
        return user, table

    def _may_publish(self, table: TableInfo, user_id: str, kind: str) -> None:
        me = table.participant(user_id)
        role, seat = (me.role, me.seat) if me is not None else (None, None)
        ended = table.status == "ended"
        if kind == "camera" and not may_share_board(role, seat, ended=ended):
            raise Forbidden(
                "board/not_player",
                N_("Only a player seated at this table can share a camera on its board."),
            )
        if kind == "voice" and not may_voice_table(role, ended=ended):
            raise Forbidden(
                "board/not_narrator",
                N_("Only the table's narrator can send their voice to the stage."),
            )

    def _require_media(self) -> StageMedia:
        if self.media is None:
            raise EstaminetError(
                "board/no_janus",
                N_(
                    "The board camera needs the Janus video server, which is not installed "
                    "here (apt-get install janus). The game goes on without it."
                ),
            )
        return self.media

    # -- actions -------------------------------------------------------------------

    @staticmethod
    def _table_id(data: Mapping[str, Any]) -> int:
        table_id = data.get("table")
        if not is_storable_int(table_id):
            raise _malformed()
        assert isinstance(table_id, int)
        return table_id

    async def _ticket(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        table_id = self._table_id(data)
        role = data.get("role")
        if role not in ("watch", *KINDS):
            raise _malformed()
        user, table = await self.access(ctx.principal, table_id)
        board = self.board(table_id)
        if ctx.connection.id not in board.followers:
            raise BadInput("board/follow_first", _MALFORMED)
        if role != "watch":
            self._may_publish(table, user.id, str(role))
        media = self._require_media()
        ticket = await media.admit(board.space, user.id)
        self._keep_guarding()
        ice = self.ice_servers(user.id, ctx.now) if self.ice_servers else []
        return {
            "ticket": {
                "server": ticket.server,
                "room": ticket.room,
                "participant": ticket.participant,
                "token": ticket.token,
                "expires_at": ticket.expires_at.isoformat(),
            },
            "ice_servers": ice,
        }

    async def _live(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        table_id = self._table_id(data)
        live, kind = data.get("live"), data.get("kind")
        if not isinstance(live, bool) or kind not in KINDS:
            raise _malformed()
        user, table = await self.access(ctx.principal, table_id)
        board = self.board(table_id)
        if live:
            if ctx.connection.id not in board.followers:
                raise BadInput("board/follow_first", _MALFORMED)
            self._may_publish(table, user.id, str(kind))
            board.live[user.id] = (user.display_name, str(kind))
        else:
            board.live.pop(user.id, None)
        await self._guard(board, table)
        await self.publish(table_id)
        return {"live": live, "kind": kind}

    # -- Janus ---------------------------------------------------------------------

    async def _guard(self, board: _Board, table: TableInfo) -> None:
        """Janus cannot tell a watcher's ticket from a publisher's: kick the strangers."""
        allowed_people = _publishers(table)
        gone = [u for u in board.live if u not in allowed_people]
        for user_id in gone:
            board.live.pop(user_id, None)
        if self.media is not None:
            allowed = {self.media.feed(board.space, u) for u in allowed_people}
            with contextlib.suppress(CrowdUnavailable):
                await self.media.guard(board.space, allowed)
        if gone:
            await self.publish(board.table_id)

    def _keep_guarding(self) -> None:
        if self._guarding is None or self._guarding.done():
            self._guarding = asyncio.get_running_loop().create_task(self._guard_loop())

    async def _guard_loop(self) -> None:
        while any(board.followers for board in self.boards.values()):
            await asyncio.sleep(GUARD_SECONDS)
            for board in list(self.boards.values()):
                if not board.followers:
                    continue
                try:
                    await self._guard(board, await self.tables.table(board.table_id))
                except Exception:  # an upkeep task must outlive a surprise
                    log.exception("board guard failed")

    async def table_ended(self, table_id: int) -> None:
        """A table that ends takes every camera and voice off its board."""
        board = self.boards.get(table_id)
        if board is None:
            return
        people = list(board.live)
        board.live.clear()
        if self.media is not None:
            for user_id in people:
                with contextlib.suppress(CrowdUnavailable):
                    await self.media.cut(board.space, user_id)
        await self.publish(table_id)

    async def _changed(self, live: Live, events: object) -> None:
        if live.status == "ended" and live.id in self.boards:
            await self.table_ended(live.id)

    # -- state ---------------------------------------------------------------------

    def state(self, table_id: int) -> dict[str, Any]:
        board = self.boards.get(table_id) or _Board(table_id)
        media = self.media
        return {
            "feeds": [
                {
                    "feed": media.feed(board.space, user_id) if media is not None else 0,
                    "name": name,
                    "kind": kind,
                    "id": user_id,
                }
                for user_id, (name, kind) in board.live.items()
            ],
            "janus": media is not None,
        }

    async def publish(self, table_id: int) -> None:
        topic = f"board:{table_id}"
        seq = await self.hub.next_seq(topic)
        await self.hub.publish(
            frame_for_locales(
                topic, seq, "board", neutral={"ops": [], "board": self.state(table_id)}
            )
        )

    async def arrive(self, connection: Connection, table_id: int) -> None:
        self.board(table_id).followers[connection.id] = connection.principal.user_id

    async def leave(self, connection: Connection, table_id: int) -> None:
        board = self.boards.get(table_id)
        if board is None or board.followers.pop(connection.id, None) is None:
            return
        user_id = connection.principal.user_id
        if user_id in board.followers.values():
            return
        was_live = board.live.pop(user_id, None) is not None
        if self.media is not None:
            with contextlib.suppress(CrowdUnavailable):
                await self.media.release(board.space, user_id)
        if was_live:
            await self.publish(table_id)
        # Only this board, if nobody came back meanwhile: while the release was awaited,
        # others may have left and the table's board been made anew for a newcomer (all
        # pages reload as a game starts), and that one is not this departure's to drop.
        if not board.followers and not board.live and self.boards.get(table_id) is board:
            del self.boards[table_id]

    # -- the table page ------------------------------------------------------------

    async def table_extra(self, context: Mapping[str, Any], table_id: int, user: User) -> str:
        """Above a game table's page: its board cameras, and « Montrer sur la scène »."""
        table = await self.tables.table(table_id)
        me = table.participant(user.id)
        role, seat = (me.role, me.seat) if me is not None else (None, None)
        if table.kind != "game" or table.practice is not None:
            return ""
        ended = table.status == "ended"
        watching = may_watch_board(role, stage_guest=False)
        stages = (
            await self.stage_tables.stage_rooms(user)
            if can_animate_stage(user) and not table.private and not ended
            else []
        )
        if not watching and not stages:
            return ""
        topic = f"board:{table_id}"
        return self.templates.render(
            "media/_board.html",
            str(context["locale"]),
            {
                **context,
                "table": table,
                "topic": topic,
                "seq": await self.hub.current_seq(topic),
                "janus": self.media is not None,
                "watching": watching and not ended,
                "can_share": may_share_board(role, seat, ended=ended),
                "can_voice": may_voice_table(role, ended=ended),
                "stages": stages,
                "shown_on": self.stage_tables.stages_showing(table_id),
            },
        )


class _BoardTopics(HubNumbered):
    """``board:<table id>``: the feeds live on a table's board (a fresh snapshot on resume)."""

    def __init__(self, service: BoardService) -> None:
        self.service = service

    @staticmethod
    def _id(topic: str) -> int:
        try:
            return int(topic.partition(":")[2])
        except ValueError:
            raise BadInput("gateway/malformed", _MALFORMED) from None

    async def authorize(self, principal: Principal, topic: str) -> None:
        await self.service.access(principal, self._id(topic))

    async def catch_up(self, connection: Connection, topic: str, after: int) -> int:
        current = await self.service.hub.current_seq(topic)
        if after != current:
            state = self.service.state(self._id(topic))
            connection.push_catch_up(topic, current, [], board=state)
        return current

    async def joined(self, connection: Connection, topic: str) -> None:
        await self.service.arrive(connection, self._id(topic))

    async def left(self, connection: Connection, topic: str) -> None:
        await self.service.leave(connection, self._id(topic))
