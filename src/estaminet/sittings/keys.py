"""The key holders' pages and the secret ballot boxes: fetch, confirm and give back key shares.

When a secret vote opens, the server splits the box's private key into two
shares for the facilitator and the secretary (``estaminet.live.ballot_box``).
Their sitting pages keep them in the browser's storage, through two gateway
actions answered on the asking socket only (never published, never logged):

* ``ballot.keys {table}``: the shares this person keeps for the sitting's
  open boxes, while this server holds them;
* ``ballot.key {table, box, part, share}``: a page shows a share it keeps,
  to confirm it stored it, or, after a restart, to give the key back to a
  locked box.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from estaminet.kernel.errors import BadInput, Forbidden
from estaminet.kernel.i18n import N_
from estaminet.realtime.gateway import ActionContext, Gateway
from estaminet.sittings.actions import KIND
from estaminet.tables.service import TableService

__all__ = ["KeyDesk"]


class KeyDesk:
    """The two actions of the key holders' pages."""

    def __init__(self, service: TableService) -> None:
        self.service = service

    def install(self, gateway: Gateway) -> None:
        gateway.action("ballot.keys", self._keys)
        gateway.action("ballot.key", self._key)

    async def _seat(self, ctx: ActionContext, data: Mapping[str, Any]) -> tuple[int, int]:
        table_id = data.get("table")
        if isinstance(table_id, bool) or not isinstance(table_id, int):
            raise BadInput("gateway/malformed", N_("This message could not be read."))
        table = await self.service.table(table_id)
        viewer = self.service.viewer_for(table, ctx.principal.user_id)
        if table.kind != KIND or viewer is None or viewer.seat is None:
            raise Forbidden("ballots/not_a_keeper", N_("You do not keep this key."))
        return table_id, viewer.seat

    async def _keys(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        table_id, seat = await self._seat(ctx, data)
        return {"keys": await self.service.engine.key_shares(table_id, seat)}

    async def _key(self, ctx: ActionContext, data: Mapping[str, Any]) -> Mapping[str, Any]:
        table_id, seat = await self._seat(ctx, data)
        box = data.get("box")
        if not isinstance(box, str) or len(box) > 40:
            raise BadInput("gateway/malformed", N_("This message could not be read."))
        engine = self.service.engine
        unlocked = await engine.give_key_share(
            table_id, seat, box, data.get("part"), data.get("share")
        )
        return {"unlocked": unlocked}
