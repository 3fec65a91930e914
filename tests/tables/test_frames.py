"""A move sends a frame only to the viewers whose screen it changes: the moment a frame
arrives never tells that someone else acted (the Witch's first potion, a spying Little Girl)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from unittest import mock

from estaminet.games.werewolf import game as game_module
from estaminet.games.werewolf.game import GAME
from estaminet.kernel.activity import Viewer
from estaminet.live.engine import Live
from estaminet.tables import chat as table_chat
from estaminet.tables.model import Participant, TableInfo
from estaminet.tables.service import TableService, viewer_topic
from estaminet.web.templating import Templates

NOW = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
ROLES = ["werewolf", "werewolf", "witch", "little_girl", "villager", "villager", "villager"]


class FakeHub:
    def __init__(self) -> None:
        self.frames: list[str] = []
        self.seqs: dict[str, int] = {}

    async def next_seq(self, topic: str) -> int:
        self.seqs[topic] = self.seqs.get(topic, 0) + 1
        return self.seqs[topic]

    async def publish(self, frame: Any) -> None:
        self.frames.append(frame.topic)


class FakeDb:
    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[None]:
        yield None


async def no_history(
    conn: Any, table_id: int, channels: list[str], since: Any = None
) -> dict[str, list[Any]]:
    return {channel: [] for channel in channels}


def _service() -> tuple[TableService, FakeHub]:
    service = object.__new__(TableService)  # only the publishing half is used here
    hub = FakeHub()
    service.templates, service.view_templates, service.hub = Templates(), {}, hub
    service.db = FakeDb()  # type: ignore[assignment]
    service._rights, service._shown, service._sent = {}, {}, {}
    return service, hub


def _table(seats: int) -> TableInfo:
    people = (
        *(Participant(f"u{i}", f"Joueur {i}", "player", i, i) for i in range(seats)),
        Participant("fan", "Fan", "spectator", None, seats),
    )
    return TableInfo(
        1, "werewolf", "game", 1, "jeux", "T", "u0", "running", {}, False, 50, NOW, None, people
    )


def _apply(state: Any, seat: int, action: dict[str, Any]) -> Any:
    events = GAME.apply(state, seat, action, NOW)
    assert isinstance(events, list)
    for event in events:
        state = GAME.evolve(state, event)
    return state


async def test_frames_only_for_the_viewers_a_move_changes(monkeypatch: Any) -> None:
    monkeypatch.setattr(table_chat, "history", no_history)
    options = {**GAME.default_options(), "captain": False, "little_girl_risk": 0}
    options["composition"] = {"werewolf": 2, "witch": 1, "little_girl": 1, "villager": 3}
    with mock.patch.object(game_module, "_deal", return_value=(ROLES, [])):
        state = GAME.setup(7, options, 5, NOW)
    table, (service, hub) = _table(7), _service()
    watch = viewer_topic(1, Viewer.spectator())
    villager = viewer_topic(1, Viewer.player(4))
    await service.publish_views(table, Live(1, "werewolf", GAME, state, 0, "running"))
    assert len(hub.frames) == 8  # everybody's first screen
    hub.frames.clear()
    state = _apply(state, 3, {"type": "spy"})
    await service.publish_views(table, Live(1, "werewolf", GAME, state, 1, "running"))
    assert villager not in hub.frames and watch not in hub.frames
    assert viewer_topic(1, Viewer.player(3)) in hub.frames  # she sees she is spying
    state = _apply(state, 0, {"type": "wolf_vote", "target": 5})
    state = _apply(state, 1, {"type": "wolf_vote", "target": 5})
    assert state.step == "witch"
    await service.publish_views(table, Live(1, "werewolf", GAME, state, 3, "running"))
    hub.frames.clear()
    state = _apply(state, 2, {"type": "heal"})
    await service.publish_views(table, Live(1, "werewolf", GAME, state, 4, "running"))
    assert hub.frames == [viewer_topic(1, Viewer.player(2))]


async def test_the_spectators_frame_leaves_first_then_the_seats_in_order(monkeypatch: Any) -> None:
    """One frame serves everyone who watches: it is published before the players' screens
    are rendered, and the seats follow in their order (no seat's place in the queue depends
    on anyone's role or move)."""
    monkeypatch.setattr(table_chat, "history", no_history)
    state = GAME.setup(7, GAME.default_options(), 5, NOW)
    table, (service, hub) = _table(7), _service()
    await service.publish_views(table, Live(1, "werewolf", GAME, state, 0, "running"))
    assert hub.frames == [
        viewer_topic(1, Viewer.spectator()),
        *(viewer_topic(1, Viewer.player(seat)) for seat in range(7)),
    ]
