"""A move sends a frame only to the viewers whose screen it changes: the moment a frame
arrives never tells that someone else acted (the Witch's first potion, a spying Little Girl)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from estaminet.games.kit import all_games, get
from estaminet.games.kit.conformance import START, play
from estaminet.games.werewolf import game as game_module
from estaminet.games.werewolf.game import GAME
from estaminet.kernel.activity import SYSTEM, Rejection, Viewer
from estaminet.live.engine import Live
from estaminet.store import Database
from estaminet.tables import chat as table_chat
from estaminet.tables.model import Participant, TableInfo
from estaminet.tables.service import TableService, viewer_topic
from estaminet.web.templating import Templates
from tests.conftest import FixedClock
from tests.support.loop import Turns
from tests.tables.test_chat_history import new_table, say

NOW = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
ROLES = ["werewolf", "werewolf", "witch", "little_girl", "villager", "villager", "villager"]


class FakeHub:
    def __init__(self) -> None:
        self.frames: list[str] = []
        self.published: list[Any] = []
        self.seqs: dict[str, int] = {}

    async def next_seq(self, topic: str) -> int:
        self.seqs[topic] = self.seqs.get(topic, 0) + 1
        return self.seqs[topic]

    async def publish(self, frame: Any) -> None:
        self.frames.append(frame.topic)
        self.published.append(frame)


class FakeDb:
    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[None]:
        yield None

    read_now = read


async def no_history(
    conn: Any, table_id: int, channels: list[str], since: Any = None
) -> dict[str, list[Any]]:
    return {channel: [] for channel in channels}


def _service() -> tuple[TableService, FakeHub]:
    service = object.__new__(TableService)  # only the publishing half is used here
    hub = FakeHub()
    service.templates, service.view_templates, service.hub = Templates(), {}, hub
    service.db = FakeDb()  # type: ignore[assignment]
    service._rights, service._shown, service._sent, service._pieces = {}, {}, {}, {}
    return service, hub


def _table(seats: int) -> TableInfo:
    people = (
        *(Participant(f"u{i}", f"Joueur {i}", "player", i, i) for i in range(seats)),
        Participant("fan", "Fan", "spectator", None, seats),
    )
    return TableInfo(
        1, "werewolf", "game", 1, "jeux", "T", "u0", "running", {}, False, 50, NOW, None, people
    )


def _first_night() -> Any:
    """Seven seats dealt ``ROLES``, no Captain: the game at its first night."""
    options = {**GAME.default_options(), "captain": False, "little_girl_risk": 0}
    options["composition"] = {"werewolf": 2, "witch": 1, "little_girl": 1, "villager": 3}
    with mock.patch.object(game_module, "_deal", return_value=(ROLES, [])):
        return GAME.setup(7, options, 5, NOW)


def _apply(state: Any, seat: int, action: dict[str, Any]) -> Any:
    events = GAME.apply(state, seat, action, NOW)
    assert isinstance(events, list)
    for event in events:
        state = GAME.evolve(state, event)
    return state


async def test_frames_only_for_the_viewers_a_move_changes(monkeypatch: Any) -> None:
    monkeypatch.setattr(table_chat, "history", no_history)
    state = _first_night()
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


async def test_the_last_screen_of_a_topic_is_where_a_late_follower_starts(
    monkeypatch: Any,
) -> None:
    """``last_screen`` gives the screen of the topic's last frame, by its number: what its
    next patch is made against, so a late follower who starts from it can apply that patch.
    An older number, or a topic whose last frame this process did not publish, gets nothing
    (the follower's screen is then rendered for them)."""
    from estaminet.realtime import patch

    monkeypatch.setattr(table_chat, "history", no_history)
    state = GAME.setup(7, GAME.default_options(), 5, NOW)
    table, (service, hub) = _table(7), _service()
    watch = viewer_topic(1, Viewer.spectator())
    live = Live(1, "werewolf", GAME, state, 0, "running")
    await service.publish_views(table, live)
    first = service.last_screen(watch, hub.seqs[watch])
    assert first is not None and service.last_screen(watch, hub.seqs[watch] + 1) is None
    fresh = service.render_view(table, live, GAME.view(state, Viewer.spectator()),
                                Viewer.spectator(), "fr")  # fmt: skip
    assert first.html("fr") == fresh
    assert service.last_screen("table:2:watch", 1) is None
    moves = [(s, a) for s in range(7) for a in GAME.legal_actions(state, s)]
    seat, action = moves[0]
    state = _apply(state, seat, action)
    await service.publish_views(table, Live(1, "werewolf", GAME, state, 1, "running"))
    assert hub.seqs[watch] == 2, "the first move changes the spectators' screen"
    assert service.last_screen(watch, 1) is None
    latest = service.last_screen(watch, 2)
    assert latest is not None and latest is not first
    # Who started from the first screen (it was rendered for them) gets a patch, and the
    # patch applied to that start gives the latest screen, where a later follower starts.
    frame = next(f for f in reversed(hub.published) if f.topic == watch)
    op = json.loads(frame.text("fr"))["ops"][0]
    assert op["op"] == "patch"
    rebuilt = "".join(patch.apply_edits(patch.tokens(first.html("fr")), op["edits"]))
    assert rebuilt == latest.html("fr") and patch.checksum(rebuilt) == op["crc"]


def test_a_screen_nobody_read_is_followed_by_the_whole_screen_not_a_patch() -> None:
    """A topic's previous screen never rendered in a language (nobody read it there) is not
    rendered just to diff against: the next frame carries the whole new screen."""
    from estaminet.realtime import patch

    renders: list[str] = []

    def screen(text: str) -> patch.Screen:
        def render(locale: str) -> str:
            renders.append(f"{text}:{locale}")
            return f"<div><p>{text}</p><p>{locale}</p></div>"

        return patch.Screen(render)

    before, after = screen("un"), screen("deux")
    body = patch.changes("#table-view", before, after)
    assert body("fr")["ops"] == [patch.whole_op("#table-view", after.html("fr"))]
    assert renders == ["deux:fr"]  # the old screen was never rendered
    before.html("en")  # someone read the old one in English: a patch there
    op = patch.changes("#table-view", before, after)("en")["ops"][0]
    assert op["op"] == "patch" and op["crc"] == patch.checksum(after.html("en"))


async def test_the_chat_of_each_set_of_rights_is_rendered_once_per_move(monkeypatch: Any) -> None:
    """When rights change (the first screens, nightfall), the chat's logs and chooser are
    rendered once per set of rights and language, and each viewer gets the ones for theirs."""
    monkeypatch.setattr(table_chat, "history", no_history)
    state = _first_night()
    table, (service, hub) = _table(7), _service()
    service.templates = Templates(extra_dirs=[Path(table_chat.__file__).parent / "templates"])
    rendered: list[str] = []
    render = service.templates.render

    def counting(name: str, locale: str, context: Any = None) -> str:
        if name == "tables/_chat_logs.html":
            rendered.append(locale)
        return render(name, locale, context)

    service.templates.render = counting  # type: ignore[method-assign]
    await service.publish_views(table, Live(1, "werewolf", GAME, state, 0, "running"))
    texts = {frame.topic: frame.text("fr") for frame in hub.published}
    assert len(texts) == 8
    rights = {
        json.dumps(table_chat.permissions(GAME, state, viewer), sort_keys=True)
        for viewer in service.viewers(table)
    }
    assert 2 < len(rights) < 8  # the wolves, the Little Girl, the others, the spectators
    assert rendered == ["fr"] * len(rights)
    for viewer in service.viewers(table):
        ops = json.loads(texts[viewer_topic(1, viewer)])["ops"]
        logs = next(op["html"] for op in ops if op.get("target") == "#table-chat-logs")
        for channel in table_chat.permissions(GAME, state, viewer)["read"]:
            if not channel.endswith("_anonymous"):
                assert f'id="table-chat-log-{channel}"' in logs
        assert ('id="table-chat-log-wolves"' in logs) == (
            viewer in (Viewer.player(0), Viewer.player(1))
        )


async def test_the_chat_a_set_of_rights_reads_is_read_at_once_before_the_screens_leave(
    db: Database, clock: FixedClock
) -> None:
    """When rights change (the first screens, nightfall), each set of rights' chat is read
    before its screens leave: on SQLite at once on the event loop's thread (``read_now``),
    not after a trip to aiosqlite's thread while every screen waits. On both databases each
    viewer's chat holds what was said where they may read, and nothing else."""
    table_id = await new_table(db, clock)
    await say(db, table_id, "On mange le boulanger ?", NOW)
    table, (service, hub) = dataclasses.replace(_table(7), id=table_id), _service()
    service.db = db
    service.templates = Templates(extra_dirs=[Path(table_chat.__file__).parent / "templates"])
    state = _first_night()
    async with Turns(0) as turns:
        before = turns.count
        await service.publish_views(table, Live(table_id, "werewolf", GAME, state, 0, "running"))
        if db.is_sqlite:
            assert turns.count == before  # nothing handed to another thread and awaited
    texts = {frame.topic: frame.text("fr") for frame in hub.published}
    for viewer in service.viewers(table):
        ops = json.loads(texts[viewer_topic(table_id, viewer)])["ops"]
        logs = next(op["html"] for op in ops if op.get("target") == "#table-chat-logs")
        wolf = viewer in (Viewer.player(0), Viewer.player(1))
        assert ("On mange le boulanger ?" in logs) == wolf, viewer


@pytest.mark.parametrize("key", sorted(game.key for game in all_games()))
async def test_rendering_a_screen_leaves_its_view_as_it_was(key: str, monkeypatch: Any) -> None:
    """The table keeps each viewer's last view, as a value, to tell whether the next move
    changed it: rendering a screen must leave that view as the rules made it (a template
    that changed it would make the next move send a frame where nothing changed, telling
    the table that somebody acted). Every game, a whole random game, both languages."""
    monkeypatch.setattr(table_chat, "history", no_history)
    game = get(key)
    seats = max(game.min_players, min(6, game.max_players))
    people = (
        *(Participant(f"u{i}", f"Joueur {i}", "player", i, i) for i in range(seats)),
        Participant("fan", "Fan", "spectator", None, seats),
    )
    table = TableInfo(
        1, key, "game", 1, "jeux", "T", "u0", "running", {}, False, 50, NOW, None, people
    )
    service, hub = _service()
    service.templates = Templates(extra_dirs=[Path(table_chat.__file__).parent / "templates"])
    playout = play(game, seats=seats, options=game.default_options(), seed=3, checks=False)
    state = game.setup(seats, game.default_options(), 3, START)
    now = START
    moves = [*playout.moves, None]
    for step, move in enumerate(moves):
        live = Live(1, key, game, state, step, "running" if move else "ended")
        await service.publish_views(table, live)
        for frame in hub.published:
            frame.text("fr"), frame.text("en")  # every screen rendered, as its readers would
        hub.published.clear()
        streamed = getattr(game, "stream_keys", frozenset())  # kept up to date apart
        for viewer in service.viewers(table):
            kept = service._shown[viewer_topic(1, viewer)][1]
            fresh = {k: v for k, v in game.view(state, viewer).items() if k not in streamed}
            assert kept == fresh, (key, step, viewer)
        if move is None:
            break
        actor, action = move
        if actor == SYSTEM:
            now = max(now, game.deadline(state) or now) + timedelta(seconds=1)
        result = game.apply(state, actor, action, now)
        assert not isinstance(result, Rejection)
        for event in result:
            state = game.evolve(state, event)
    assert len(moves) > 3
