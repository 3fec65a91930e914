"""A games-room table on the stage, and board cameras, through the gateway (a real server,
real sockets, a fake VideoRoom; SQLite and PostgreSQL): who may show a table and who may then
watch it (the spectator topic, nothing more), who may publish on a table's board, and every
refusal changing nothing."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

from estaminet.people.model import Role
from tests.support.live_server import LiveServer, Person, Socket
from tests.tables.test_tables_live import create_table, post, seat_topic

from .test_stage_live import ROOM, TOPIC, FakeStage, state

NAMES = ["Ada", "Basile", "Cécile", "Dorian", "Estelle", "Fabien"]


@contextlib.asynccontextmanager
async def janus_on(live: LiveServer) -> AsyncIterator[FakeStage]:
    """The stage and the boards on one fake VideoRoom (as on the same Janus)."""
    fake = FakeStage()
    stage, board = live.app.state.stage, live.app.state.board
    stage.media = board.media = fake
    try:
        yield fake
    finally:
        stage.media = board.media = None


async def werewolf_table(people: Any, *, narrator: bool = False) -> tuple[int, list[Person]]:
    players = [await people(n, role=Role.MEMBER) for n in NAMES]
    host = players[0]
    fields = {"narrator": "on"} if narrator else {}
    if narrator:
        host = await people("Conteuse", role=Role.MEMBER)
    table_id = await create_table(host, game="werewolf", **fields)
    for person in players if narrator else players[1:]:
        assert await post(person, table_id, "join", role="player") == 303
    assert await post(host, table_id, "start") == 303
    return table_id, [host, *players] if narrator else players


def view_of(frame: dict[str, Any]) -> str:
    return str(frame["ops"][0]["html"])


async def refused(sock: Socket, topic: str) -> str:
    reply = await sock.sub(topic)
    assert reply["type"] == "error", reply
    return str(reply["code"])


async def test_a_table_on_the_stage_gives_its_watchers_the_spectators_view_only(
    live: LiveServer, people: Any
) -> None:
    animator = await people("Anim Jeux", role=Role.ANIMATOR)
    fan, watcher = await people("Spectateur"), await people("Regard Scène")
    table_id, players = await werewolf_table(people)
    assert await post(fan, table_id, "join", role="spectator") == 303
    watch = f"table:{table_id}:watch"
    seat = seat_topic((await players[0].http.get(f"/t/{table_id}")).text)
    async with (
        animator.socket() as a,
        watcher.socket() as w,
        fan.socket() as f,
        players[0].socket() as p,
    ):
        for sock in (a, w):
            assert (await sock.sub(TOPIC))["type"] == "subscribed"
        # Before the table is shown, the stage's watcher has no way in.
        assert await refused(w, watch) == "tables/not_your_view"
        by_watcher = await w.act("stage.show_table", {"room": ROOM, "table": table_id}, ref="s0")
        assert by_watcher["code"] == "stage/not_animator"
        shown = await a.act("stage.show_table", {"room": ROOM, "table": table_id}, ref="s1")
        assert shown["data"] == {"table": table_id}
        found = await state(w, lambda st: st.get("table") is not None)
        assert found["table"] == {"id": table_id, "view": watch, "board": f"board:{table_id}"}
        # The watcher follows the very topic a spectator follows, and gets the same screen.
        assert (await w.sub(watch))["type"] == "subscribed"
        assert (await f.sub(watch))["type"] == "subscribed"
        as_guest = view_of(await w.take(lambda fr: fr.get("topic") == watch))
        as_spectator = view_of(await f.take(lambda fr: fr.get("topic") == watch))
        assert as_guest == as_spectator
        assert 'class="ww-role"' not in as_guest  # nobody's own card: a spectator's screen
        # Never a player's or the narrator's topic; a player may not add the spectators' view.
        assert await refused(w, seat) == "tables/not_your_view"
        assert await refused(w, f"table:{table_id}:narrator") == "tables/not_your_view"
        assert await refused(p, watch) == "tables/not_your_view"
        # Taken off the stage: the watcher's subscription ends and may not come back.
        hidden = await a.act("stage.hide_table", {"room": ROOM}, ref="h1")
        assert hidden["data"] == {"table": None}
        await state(w, lambda st: st.get("table") is None)
        left = await w.take(lambda fr: fr.get("type") == "left" and fr.get("topic") == watch)
        assert left["reason"] == "access"
        assert await refused(w, watch) == "tables/not_your_view"
        # The real spectator keeps watching.
        assert not [fr for fr in f.seen if fr.get("type") == "left"]
        # Shown again, then another table instead: the first one's watchers lose it.
        await a.act("stage.show_table", {"room": ROOM, "table": table_id}, ref="s2")
        await state(w, lambda st: st.get("table") is not None)
        assert (await w.sub(watch))["type"] == "subscribed"
        other = await create_table(players[1])
        for name in ("Autre Une", "Autre Deux"):
            assert await post(await people(name), other, "join", role="player") == 303
        assert await post(players[1], other, "start") == 303
        await a.act("stage.show_table", {"room": ROOM, "table": other}, ref="s3")
        await state(w, lambda st: (st.get("table") or {}).get("id") == other)
        await w.take(lambda fr: fr.get("type") == "left" and fr.get("topic") == watch, within=5.0)
        assert await refused(w, watch) == "tables/not_your_view"
        assert (await w.sub(f"table:{other}:watch"))["type"] == "subscribed"
        await a.act("stage.hide_table", {"room": ROOM}, ref="h2")


async def _id(person: Person) -> str:
    page = (await person.http.get("/")).text
    found = re.search(r'data-me="([^"]+)"', page)
    assert found
    return found.group(1)


async def test_showing_a_table_is_refused_clearly_and_changes_nothing(
    live: LiveServer, people: Any
) -> None:
    animator = await people("Anim Refus", role=Role.ANIMATOR)
    host = await people("Hôte Privé", role=Role.MEMBER)
    private_id = await create_table(host, private="on")
    public_id = await create_table(host)
    for name in ("Joueuse Une", "Joueur Deux"):
        assert await post(await people(name), public_id, "join", role="player") == 303
    assert await post(host, public_id, "start") == 303
    async with animator.socket() as a:
        assert (await a.sub(TOPIC))["type"] == "subscribed"
        private = await a.act("stage.show_table", {"room": ROOM, "table": private_id}, ref="p")
        assert private["code"] == "stage/table_private"
        assert "privée" in private["message"]
        for ref, data, code in [
            ("m1", {"room": ROOM, "table": "un"}, "gateway/malformed"),
            ("m2", {"room": ROOM}, "gateway/malformed"),
            ("m3", {"table": public_id}, "gateway/malformed"),
            ("u", {"room": ROOM, "table": 987654}, "tables/unknown"),
            ("b", {"room": "bar", "table": public_id}, "stage/not_a_stage"),
        ]:
            assert (await a.act("stage.show_table", data, ref=ref))["code"] == code
        assert live.app.state.stage_tables.shown == {}
        assert live.app.state.stage.state(ROOM)["table"] is None
        # A table shown, then ended by its host: it leaves the stage by itself.
        assert (await a.act("stage.show_table", {"room": ROOM, "table": public_id}))["type"] == (
            "ack"
        )
        await state(a, lambda st: (st.get("table") or {}).get("id") == public_id)
        assert await post(host, public_id, "end") == 303
        await state(a, lambda st: st.get("table") is None)
        over = await a.act("stage.show_table", {"room": ROOM, "table": public_id}, ref="o")
        assert over["code"] == "stage/table_over"
        # Still connected: the next action is answered.
        assert (await a.act("stage.hide_table", {"room": ROOM}, ref="k"))["type"] == "ack"


async def test_board_cameras_only_seated_players_publish_and_watchers_watch(
    live: LiveServer, people: Any
) -> None:
    table_id, players = await werewolf_table(people, narrator=True)
    narrator, player = players[0], players[1]
    fan, stranger = await people("Spectatrice Plateau"), await people("Passant")
    animator = await people("Anim Plateau", role=Role.ANIMATOR)
    assert await post(fan, table_id, "join", role="spectator") == 303
    board = f"board:{table_id}"
    async with (
        janus_on(live) as fake,
        narrator.socket() as n,
        player.socket() as p,
        fan.socket() as f,
        stranger.socket() as s,
        animator.socket() as a,
    ):
        # Somebody who is not at the table (and no stage shows it) does not see its board.
        assert await refused(s, board) == "board/not_at_table"
        before = await s.act("board.ticket", {"table": table_id, "role": "watch"}, ref="s0")
        assert before["code"] == "board/not_at_table"
        for sock in (n, p, f):
            assert (await sock.sub(board))["type"] == "subscribed"
        # Follow first; then a watcher may watch but never publish.
        assert (await a.act("board.ticket", {"table": table_id, "role": "watch"}))["code"] == (
            "board/not_at_table"
        )
        watch = await f.act("board.ticket", {"table": table_id, "role": "watch"}, ref="w")
        assert watch["type"] == "ack"
        camera = await f.act("board.ticket", {"table": table_id, "role": "camera"}, ref="c0")
        assert camera["code"] == "board/not_player"
        assert "joueur" in camera["message"]
        says_live = await f.act(
            "board.live", {"table": table_id, "live": True, "kind": "camera"}, ref="l0"
        )
        assert says_live["code"] == "board/not_player"
        voice = await p.act("board.ticket", {"table": table_id, "role": "voice"}, ref="v0")
        assert voice["code"] == "board/not_narrator"
        assert (await n.act("board.ticket", {"table": table_id, "role": "camera"}))["code"] == (
            "board/not_player"
        )
        # A seated player shares the board; the narrator their voice.
        mine = await p.act("board.ticket", {"table": table_id, "role": "camera"}, ref="c1")
        player_id = await _id(player)
        assert mine["data"]["ticket"]["participant"] == fake.feed(board, player_id)
        on = await p.act(
            "board.live", {"table": table_id, "live": True, "kind": "camera"}, ref="l1"
        )
        assert on["data"] == {"live": True, "kind": "camera"}
        told = await f.take(
            lambda fr: fr.get("topic") == board and (fr.get("board") or {}).get("feeds")
        )
        assert told["board"]["feeds"] == [
            {
                "feed": fake.feed(board, player_id),
                "name": "Ada",
                "kind": "camera",
                "id": player_id,
            }
        ]
        voiced = await n.act("board.ticket", {"table": table_id, "role": "voice"}, ref="v1")
        assert voiced["type"] == "ack"
        narrator_id = await _id(narrator)
        # Janus's publishers are checked against exactly the seated players and the narrator.
        allowed = fake.guarded[-1]
        assert fake.feed(board, narrator_id) in allowed
        assert fake.feed(board, await _id(fan)) not in allowed
        # Bad input is refused, changes nothing, keeps the socket.
        for ref, data in [
            ("b1", {"table": "x", "role": "watch"}),
            ("b2", {"table": table_id, "role": "star"}),
        ]:
            assert (await p.act("board.ticket", data, ref=ref))["code"] == "gateway/malformed"
        odd = await p.act("board.live", {"table": table_id, "live": True, "kind": "x"}, ref="b3")
        assert odd["code"] == "gateway/malformed"
        assert len(live.app.state.board.state(table_id)["feeds"]) == 1
        # The table ends: every feed leaves its board, and nobody may publish on it again.
        assert await post(narrator, table_id, "end") == 303
        await f.take(
            lambda fr: (
                fr.get("topic") == board and fr.get("kind") == "board" and not fr["board"]["feeds"]
            )
        )
        assert player_id in fake.cut_off
        over = await p.act("board.ticket", {"table": table_id, "role": "camera"}, ref="c9")
        assert over["code"] == "board/not_player"
    # The player left the page: the tickets are revoked.
    for _ in range(100):
        if player_id in fake.released:
            break
        await asyncio.sleep(0.05)
    assert player_id in fake.released


async def test_the_stages_watchers_see_the_board_and_hear_the_narrator(
    live: LiveServer, people: Any
) -> None:
    table_id, players = await werewolf_table(people, narrator=True)
    narrator = players[0]
    animator, watcher = await people("Anim Voix", role=Role.ANIMATOR), await people("Écoute")
    board = f"board:{table_id}"
    async with (
        janus_on(live),
        narrator.socket() as n,
        animator.socket() as a,
        watcher.socket() as w,
    ):
        assert (await w.sub(TOPIC))["type"] == "subscribed"
        assert await refused(w, board) == "board/not_at_table"
        assert (await a.sub(TOPIC))["type"] == "subscribed"
        await a.act("stage.show_table", {"room": ROOM, "table": table_id})
        await state(w, lambda st: st.get("table") is not None)
        assert (await w.sub(board))["type"] == "subscribed"
        assert (await n.sub(board))["type"] == "subscribed"
        await n.act("board.ticket", {"table": table_id, "role": "voice"}, ref="v")
        await n.act("board.live", {"table": table_id, "live": True, "kind": "voice"}, ref="l")
        heard = await w.take(
            lambda fr: fr.get("topic") == board and (fr.get("board") or {}).get("feeds")
        )
        assert heard["board"]["feeds"][0]["kind"] == "voice"
        assert (await w.act("board.ticket", {"table": table_id, "role": "watch"}))["type"] == "ack"
        # Not a way to speak: a stage's watcher never publishes on the table's board.
        no = await w.act("board.ticket", {"table": table_id, "role": "voice"}, ref="x")
        assert no["code"] == "board/not_narrator"
        await a.act("stage.hide_table", {"room": ROOM}, ref="h")
        left = await w.take(lambda fr: fr.get("type") == "left" and fr.get("topic") == board)
        assert left["reason"] == "access"


async def test_a_table_page_without_janus_says_so_for_the_board(
    live: LiveServer, people: Any
) -> None:
    table_id, players = await werewolf_table(people)
    page = (await players[1].http.get(f"/t/{table_id}")).text
    assert "data-board-no-janus" in page
    assert "apt-get install janus" in page
    stranger = await people("Sans Table")
    assert "data-board=" not in (await stranger.http.get(f"/t/{table_id}")).text
