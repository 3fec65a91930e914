"""The voice hook: a table tells the (future) voice layer who is muted and who talks privately."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import estaminet.games  # noqa: F401 - registers the games
from estaminet.games.kit import get
from estaminet.live.engine import Live
from estaminet.realtime.hub import MemoryHub
from estaminet.tables.service import TableService
from estaminet.web.templating import Templates

NOW = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)


class FakeEngine:
    def __init__(self, live: Live) -> None:
        self.live = live

    def on_change(self, listener: Any) -> None:
        return None

    async def get(self, table_id: int) -> Live:
        return self.live


async def test_voice_plan_mutes_everyone_alike_at_night() -> None:
    rules = get("werewolf")
    state = rules.setup(8, {"captain": False}, 42, NOW)
    live = Live(1, "werewolf", rules, state, 0, "running")
    service = TableService(None, MemoryHub(), FakeEngine(live), Templates(), get, lambda: NOW)  # type: ignore[arg-type]
    plan = await service.voice_plan(1)
    assert plan is not None
    assert plan["muted_all"] is True  # the first night: everybody muted, nobody singled out
    ended = Live(1, "werewolf", rules, state, 0, "ended")
    service.engine = FakeEngine(ended)  # type: ignore[assignment]
    assert await service.voice_plan(1) is None
    other = Live(
        2,
        "lowest_unique",
        get("lowest_unique"),
        get("lowest_unique").setup(2, {}, 1, NOW),
        0,
        "running",
    )
    service.engine = FakeEngine(other)  # type: ignore[assignment]
    assert await service.voice_plan(2) is None  # a game without a voice plan
