"""The first visit's tour on the floor plan: shown until finished or skipped, once per person."""

from __future__ import annotations

from typing import Any

from tests.support.live_server import LiveServer, Person


async def test_tour_is_offered_until_finished_or_skipped(live: LiveServer, people: Any) -> None:
    tina: Person = await people("Tina Tour")
    plan = (await tina.http.get("/")).text
    assert "data-tour" in plan and "Petit tour du lieu" in plan
    assert "Étape %(n)s sur %(total)s" in plan  # the counter's words, filled in by tour.js
    # The last step leads to the venue's help room (l'atelier in the demo).
    assert 'href="/r/atelier"' in plan and "Aller à L&#39;atelier" in plan
    # Without the form's token nothing changes: the tour is still offered.
    refused = await tina.http.post("/me/tour", data={})
    assert refused.status_code == 403
    assert "data-tour" in (await tina.http.get("/")).text
    # Finished (or skipped: the same form): the plan no longer shows it.
    token = await tina.csrf("/")
    done = await tina.http.post("/me/tour", data={"csrf": token})
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert "data-tour" not in (await tina.http.get("/")).text
    # Asked for again ("?tour=1"), it shows; finishing twice keeps the first date.
    assert "data-tour" in (await tina.http.get("/?tour=1")).text
    exported = (await tina.http.get("/me/data.json")).json()
    first = exported["profile"]["first_visit_tour_done_at"]
    assert first
    again = await tina.http.post("/me/tour", data={"csrf": await tina.csrf("/?tour=1")})
    assert again.status_code == 303
    exported = (await tina.http.get("/me/data.json")).json()
    assert exported["profile"]["first_visit_tour_done_at"] == first
    # Another person still gets their own tour; a stranger cannot finish anyone's.
    uma: Person = await people("Uma Tour")
    assert "data-tour" in (await uma.http.get("/")).text
    stranger: Person = await people()
    token = await uma.csrf("/")
    assert (await stranger.http.post("/me/tour", data={"csrf": token})).status_code in {
        302,
        303,
        401,
        403,
    }
    assert "data-tour" in (await uma.http.get("/")).text


async def test_tour_in_english(live: LiveServer, people: Any) -> None:
    eve: Person = await people("Eve Tour", locale="en")
    plan = (await eve.http.get("/")).text
    assert "A short tour of the venue" in plan and "Skip the tour" in plan
