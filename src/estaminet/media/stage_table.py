"""A games-room table shown on the stage (issue 15, *la soirée jeux sur la scène*).

An animator shows one public, running table on a stage (``stage.show_table``) and
takes it off (``stage.hide_table``). The stage's state then names the table; the
watchers' pages follow the table's **spectator** topic ``table:<id>:watch`` — the
very topic and per-viewer view a spectator at the table gets
(:meth:`~estaminet.tables.service.TableService.stage_guests` lets them in), so there
is no second path that could carry more. The table's narrator can send their voice
to those watchers through the table's VideoRoom room (``media/board.py``). A table
that ends leaves the stage by itself.

What is shown is kept in memory by this process, like the stage itself; with several
instances it is a part of the stage's record (``StageService.change``), read again by
each instance when nudged, and by an instance asked whether someone may watch a table
from a stage (``guest``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from estaminet.kernel.errors import BadInput, EstaminetError, Forbidden, NotFound
from estaminet.kernel.i18n import N_
from estaminet.kernel.storable import is_storable_int
from estaminet.live.engine import Live
from estaminet.media.stage import StageService
from estaminet.people.access import (
    can_animate_stage,
    may_show_table,
    may_watch_table_from_stage,
)
from estaminet.people.model import User
from estaminet.realtime.gateway import ActionContext, Gateway
from estaminet.store import Database
from estaminet.tables import actions
from estaminet.tables.model import TableInfo
from estaminet.tables.service import TableService
from estaminet.venue.kinds import RoomKind
from estaminet.venue.rooms import Room, access_room, visible_rooms
from estaminet.web.templating import Templates

__all__ = ["StageTables"]

_MALFORMED = N_("This message could not be read.")


def _slug(data: Mapping[str, Any]) -> str:
    room = data.get("room")
    if not isinstance(room, str) or not 0 < len(room) <= 60:
        raise BadInput("gateway/malformed", _MALFORMED)
    return room


class StageTables:
    """Which table each stage shows, who may show one, and who may watch it from there."""

    def __init__(
        self,
        db: Database,
        stage: StageService,
        tables: TableService,
        templates: Templates,
    ) -> None:
        self.db = db
        self.stage = stage
        self.tables = tables
        self.templates = templates
        self.shown: dict[str, int] = {}
        """Stage slug → the id of the table it shows."""
        self.gateway: Gateway | None = None
        stage.state_extras.append(self.state)
        stage.panel_parts.append(self.panel_part)
        stage.record_parts["table"] = (self.shown.get, self._put)
        tables.stage_guests.append(self.guest)
        tables.ended_listeners.append(self.table_ended)
        tables.engine.on_change(self._changed)

    def install(self, gateway: Gateway) -> None:
        self.gateway = gateway
        gateway.action("stage.show_table", self._show)
        gateway.action("stage.hide_table", self._hide)

    # -- who may -------------------------------------------------------------------

    def _put(self, slug: str, table_id: Any) -> None:
        """The table the stage's record says it shows (several instances)."""
        previous = self.shown.get(slug)
        if table_id is None:
            self.shown.pop(slug, None)
        else:
            self.shown[slug] = int(table_id)
        if previous is not None and previous != table_id:
            self._recheck()

    def stages_showing(self, table_id: int) -> list[str]:
        return [slug for slug, shown in self.shown.items() if shown == table_id]

    async def guest(self, table: TableInfo, user: User) -> bool:
        """Whether ``user`` watches ``table`` from a stage they may enter that shows it."""
        role = p.role if (p := table.participant(user.id)) is not None else None
        if self.stage.shared.distributed:  # shown through another instance, maybe
            for room in await self.stage_rooms(user):
                await self.stage.refresh(room.slug)
        for slug in self.stages_showing(table.id):
            if not may_watch_table_from_stage(user, role, private=table.private, shown=True):
                return False
            async with self.db.read() as conn:
                try:
                    await access_room(conn, user, slug)
                except EstaminetError:
                    continue
            return True
        return False

    # -- actions -------------------------------------------------------------------

    async def _show(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        slug = _slug(data)
        table_id = data.get("table")
        if not is_storable_int(table_id):
            raise BadInput("gateway/malformed", _MALFORMED)
        user, _ = await self.stage.access(ctx.principal, slug)
        if not can_animate_stage(user):
            raise Forbidden(
                "stage/not_animator", N_("Only the stage's animators can show a table on it.")
            )
        table = await self.tables.table(table_id)
        if table.kind != "game":
            raise NotFound("tables/unknown", N_("This table does not exist (any more)."))
        if table.private:
            raise Forbidden(
                "stage/table_private",
                N_("A private table cannot be shown on the stage: only its own people see it."),
            )
        if not may_show_table(user, private=table.private, ended=table.status == "ended"):
            raise Forbidden(
                "stage/table_over", N_("This table has ended: there is nothing left to show.")
            )
        await self.tables.check_can_see(user, table)
        async with self.stage.change(slug):
            previous = self.shown.get(slug)
            self.shown[slug] = table.id
        await self.stage.publish(slug)
        if previous is not None and previous != table.id:
            self._recheck()
        return {"table": table.id}

    async def _hide(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        slug = _slug(data)
        user, _ = await self.stage.access(ctx.principal, slug)
        if not can_animate_stage(user):
            raise Forbidden(
                "stage/not_animator", N_("Only the stage's animators can show a table on it.")
            )
        async with self.stage.change(slug):
            hidden = self.shown.pop(slug, None) is not None
        if hidden:
            await self.stage.publish(slug)
            self._recheck()
        return {"table": None}

    def _recheck(self) -> None:
        """Whoever followed a table's view only through a stage that no longer shows it
        stops receiving it (the gateway re-decides every subscription)."""
        if self.gateway is not None:
            self.gateway.recheck_here(None)

    # -- a table ending ------------------------------------------------------------

    async def table_ended(self, table_id: int) -> None:
        slugs = self.stages_showing(table_id)
        for slug in slugs:
            async with self.stage.change(slug):
                self.shown.pop(slug, None)
            await self.stage.publish(slug)
        if slugs:
            self._recheck()

    async def _changed(self, live: Live, events: object) -> None:
        if live.status == "ended" and self.stages_showing(live.id):
            await self.table_ended(live.id)

    # -- what the stage says -------------------------------------------------------

    def state(self, slug: str) -> Mapping[str, Any]:
        """The stage's ``table``: its id, the topic of its spectator view and of its board."""
        table_id = self.shown.get(slug)
        if table_id is None:
            return {"table": None}
        return {
            "table": {
                "id": table_id,
                "view": f"table:{table_id}:watch",
                "board": f"board:{table_id}",
            }
        }

    async def showable(self, user: User) -> list[TableInfo]:
        """The public running tables of the games rooms ``user`` may enter."""
        async with self.db.read() as conn:
            rooms: list[Room] = [
                r for r in await visible_rooms(conn, user) if r.kind is RoomKind.GAMES
            ]
            found: list[TableInfo] = []
            for room in rooms:
                found.extend(
                    t
                    for t in await actions.list_tables(conn, room)
                    if t.kind == "game" and not t.private and t.status == "running"
                )
        return found

    async def panel_part(self, context: Mapping[str, Any], room: Room, user: User) -> str:
        """On the stage: the shown table's place, and the animator's table picker."""
        locale = str(context["locale"])
        choices = await self.showable(user) if can_animate_stage(user) else []
        shown = self.shown.get(room.slug)
        title = None
        if shown is not None:
            async with self.db.read() as conn:
                try:
                    title = (await actions.load_table(conn, shown)).title
                except NotFound:
                    title = None
        return self.templates.render(
            "media/_stage_table.html",
            locale,
            {
                **context,
                "room": room,
                "choices": choices,
                "game_names": self.tables.game_names(locale),
                "can_animate": can_animate_stage(user),
                "shown": shown,
                "shown_title": title,
            },
        )

    async def stage_rooms(self, user: User) -> list[Room]:
        """The stages ``user`` may enter (the table page's « Montrer sur la scène »)."""
        async with self.db.read() as conn:
            return [r for r in await visible_rooms(conn, user) if r.kind is RoomKind.STAGE]
