"""Who follows a table's board, while departures await the video server.

When a game starts every page at the table reloads: the old tabs leave the board topic
and the new ones follow it, at once. A departure that empties the board awaits the video
server (releasing the person's place) before dropping the board; meanwhile the board may
have been made anew for a newcomer. Seen in the full suite on a fast machine: the old
departure dropped the new board, and the newcomer's camera was refused as "not
following" (``board/follow_first``).
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from estaminet.media.board import BoardService
from estaminet.realtime.connection import Principal
from estaminet.realtime.hub import MemoryHub


class SlowMedia:
    """The video server's part a departure uses: each person's release waits until let go."""

    def __init__(self) -> None:
        self.go: dict[str, asyncio.Event] = {}
        self.released: list[str] = []

    def let_go(self, user_id: str) -> None:
        self.go.setdefault(user_id, asyncio.Event()).set()

    async def release(self, space: str, user_id: str) -> None:
        await self.go.setdefault(user_id, asyncio.Event()).wait()
        self.released.append(user_id)


def _service(media: SlowMedia) -> BoardService:
    tables = SimpleNamespace(ended_listeners=[], engine=SimpleNamespace(on_change=lambda fn: None))
    return BoardService(MemoryHub(), None, tables, None, media=media)  # type: ignore[arg-type]


def _tab(number: int, user: str) -> Any:
    return SimpleNamespace(id=number, principal=Principal(user, user, "guest"))


async def test_a_departure_awaiting_the_video_server_keeps_the_board_a_newcomer_follows() -> None:
    media = SlowMedia()
    service = _service(media)
    old_a, old_b = _tab(1, "alix"), _tab(2, "brune")
    for tab in (old_a, old_b):
        await service.arrive(tab, 7)
    # Both old tabs leave (their pages reload); each awaits the video server.
    leaving = [asyncio.create_task(service.leave(tab, 7)) for tab in (old_a, old_b)]
    await asyncio.sleep(0)
    assert service.boards[7].followers == {}
    # Alix's departure is through: the board, empty, is dropped.
    media.let_go("alix")
    await leaving[0]
    assert 7 not in service.boards
    new_a = _tab(3, "alix")
    await service.arrive(new_a, 7)  # a new board, for the new tab
    # Brune's departure comes back from the video server: the new board stays.
    media.let_go("brune")
    await leaving[1]
    assert sorted(media.released) == ["alix", "brune"]
    assert service.boards[7].followers == {3: "alix"}
    new_b = _tab(4, "brune")
    await service.arrive(new_b, 7)
    assert service.boards[7].followers == {3: "alix", 4: "brune"}


async def test_the_last_departure_drops_the_board() -> None:
    media = SlowMedia()
    media.let_go("alix")
    service = _service(media)
    tab = _tab(1, "alix")
    await service.arrive(tab, 7)
    await service.leave(tab, 7)
    assert 7 not in service.boards
