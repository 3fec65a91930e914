"""Who gets a seat is who answered first, even when people answer at the same moment."""

from __future__ import annotations

import asyncio
from typing import Any

from estaminet.agenda.answers import answer_rows
from estaminet.people.model import Role
from estaminet.store import Database
from tests.agenda.test_agenda_http import event_path
from tests.support.live_server import LiveServer, Person

RUNS, PEOPLE = 4, 5


async def _answers(live: LiveServer, path: str) -> list[tuple[str, str]]:
    """The date's answers in the order of their times: (answer, user id)."""
    event_id, key = path.removeprefix("/agenda/").split("/")
    db = Database(live.settings.resolved_database_url)
    try:
        async with db.read() as conn:
            rows = await answer_rows(conn, int(event_id), key)
    finally:
        await db.dispose()
    return [(row.answer, row.user_id) for row in rows]


async def test_agenda_simultaneous_answers_seat_the_first_in_time(
    live: LiveServer, people: Any
) -> None:
    animator: Person = await people("Anim-ordre", Role.ANIMATOR)
    members: list[Person] = [await people(f"Membre {n}", Role.MEMBER) for n in range(PEOPLE)]
    for run in range(RUNS):
        path = await event_path(animator, title=f"Une seule place {run}", capacity="1")
        tokens = [await member.csrf(path) for member in members]
        answered = await asyncio.gather(
            *(
                member.http.post(f"{path}/answer", data={"csrf": token, "answer": "yes"})
                for member, token in zip(members, tokens, strict=True)
            )
        )
        assert all(response.status_code == 303 for response in answered)
        order = [kind for kind, _ in await _answers(live, path)]
        # The earliest answer has the seat; everyone after it waits, in their order.
        assert order == ["yes"] + ["waiting"] * (PEOPLE - 1), (run, order)
