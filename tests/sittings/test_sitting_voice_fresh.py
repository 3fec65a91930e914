"""After another instance committed a sitting's change, the room's silences are read past
this instance's cached sitting states (``SittingVoice.holds(fresh=True)``); an ordinary
read (a first join, one process) keeps using them. The database and the engine are
stand-ins: what is checked is which state each read uses."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest

from estaminet.sittings import voice as sitting_voice


class Engine:
    """The live engine's cache: the state it holds, and what the database holds now."""

    def __init__(self) -> None:
        self.cached: dict[int, str] = {1: "before"}
        self.stored: dict[int, str] = {1: "after"}
        self.listeners: list[Any] = []

    def on_change(self, listener: Any) -> None:
        self.listeners.append(listener)

    def forget(self, activity_id: int) -> None:
        self.cached.pop(activity_id, None)

    async def get(self, activity_id: int) -> Any:
        state = self.cached.setdefault(activity_id, self.stored[activity_id])
        return SimpleNamespace(state=state)


class Db:
    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[None]:
        yield None


async def test_a_fresh_read_reads_past_the_cached_sitting(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = Engine()
    tables: Any = SimpleNamespace(engine=engine, db=Db())
    voice: Any = SimpleNamespace(holds=SimpleNamespace(source=None))
    sitting = SimpleNamespace(id=1, status="running", players=[])

    async def room_by_slug(conn: Any, slug: str) -> Any:
        return SimpleNamespace(slug=slug) if slug == "ag" else None

    async def list_sittings(conn: Any, room: Any) -> list[Any]:
        return [sitting]

    def speakers(found: Any, state: str) -> frozenset[str] | None:
        return frozenset({state})

    monkeypatch.setattr(sitting_voice, "room_by_slug", room_by_slug)
    monkeypatch.setattr(sitting_voice.actions, "list_sittings", list_sittings)
    monkeypatch.setattr(sitting_voice, "_speakers", speakers)
    source = sitting_voice.SittingVoice(tables, voice)
    assert voice.holds.source == source.holds

    assert await source.holds("room:ag") == {"sitting:1": frozenset({"before"})}
    assert await source.holds("room:ag", True) == {"sitting:1": frozenset({"after"})}
    assert await source.holds("table:1", True) == {}
