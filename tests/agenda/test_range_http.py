"""One bad date cannot break the agenda: the range rule on every path, feeds that skip and
log, conditional GETs, the visibility that follows the room, phone photos; SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import vobject
from PIL import Image
from sqlalchemy import insert

from estaminet.agenda.schema import agenda_events
from estaminet.people.model import Role
from estaminet.store import Database
from tests.agenda.conftest import serve_on
from tests.agenda.test_agenda_http import answer, create, event_path, local, soon
from tests.agenda.test_edit_http import edit, fields
from tests.support.live_server import LiveServer, Person


@pytest.fixture(scope="module")
def live(database_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from serve_on(database_backend, tmp_path_factory.mktemp("range"))


async def create_with(animator: Person, files: dict[str, Any], **fields: Any) -> Any:
    """The event form, sent with a file."""
    token = await animator.csrf("/agenda/new")
    start = soon()
    data = {
        "csrf": token,
        "title": "Affiche",
        "kind": "concert",
        "start": local(start),
        "end": local(start + timedelta(hours=2)),
        "visibility": "public",
        **fields,
    }
    # A phone photo takes a moment to resize on a busy machine.
    return await animator.http.post("/agenda/new", data=data, files=files, timeout=60)


def error_code(response: Any) -> str | None:
    found = re.search(r'data-error-code="([\w/]+)"', response.text)
    return found.group(1) if found else None


async def test_range_dates_outside_are_refused_on_every_form(live: LiveServer, people: Any) -> None:
    animator: Person = await people("Anima", Role.ANIMATOR)
    for start, end in (
        ("9999-12-31T20:00", "9999-12-31T22:00"),
        ("0001-01-01T20:00", "0001-01-01T22:00"),
        ("1999-12-31T20:00", "1999-12-31T22:00"),
        ("2100-12-31T23:00", "2101-01-01T01:00"),
    ):
        refused = await create(animator, title="Hors du temps", start=start, end=end)
        assert refused.status_code == 400, (start, refused.text[:300])
        assert error_code(refused) == "agenda/out_of_range"
        assert "entre les années 2000 et 2100" in refused.text
    # A series whose last date falls after 2100, and a count above the real limit.
    late = await create(
        animator,
        start="2100-10-01T20:00",
        end="2100-10-01T22:00",
        repeat="weekly",
        repeat_count="20",
    )
    assert error_code(late) == "agenda/out_of_range"
    many = await create(animator, repeat="weekly", repeat_count="500")
    assert error_code(many) == "agenda/number_range" and "de 1 à 200" in many.text
    # The last years of the range are fine.
    assert (
        await create(animator, start="2100-12-31T20:00", end="2100-12-31T22:00")
    ).status_code == 303
    path = await event_path(animator, title="Soirée normale")
    event_id = path.split("/")[2]
    edited = await edit(animator, event_id, start="9999-12-31T20:00", end="9999-12-31T22:00")
    assert edited.status_code == 400 and error_code(edited) == "agenda/out_of_range"
    token = await animator.csrf(path)
    moved = await animator.http.post(
        f"{path}/move", data={"csrf": token, "start": "0001-01-01T20:00", "end": "0001-01-01T21:00"}
    )
    assert moved.status_code == 400 and error_code(moved) == "agenda/out_of_range"
    page = (await animator.http.get(path)).text
    assert "Soirée normale" in page  # nothing changed
    # The month view shows the whole range, and nothing beyond it.
    assert "2100" in (await animator.http.get("/agenda?month=2100-12")).text
    assert (await animator.http.get("/agenda?month=2101-01")).status_code == 200


async def _bad_row(live: LiveServer, title: str) -> int:
    """An event beyond the range, written straight into the database (as an old version could)."""
    db = Database(live.settings.resolved_database_url)
    now = datetime.now(UTC)
    try:
        async with db.begin() as conn:
            result = await conn.execute(
                insert(agenda_events).values(
                    uid=f"{title}@test",
                    title=title,
                    description="",
                    kind="game_night",
                    room_slug=None,
                    visibility="public",
                    capacity=None,
                    waitlist=True,
                    picture=None,
                    status="confirmed",
                    start_local="9999-12-30T20:00",
                    duration_minutes=120,
                    frequency="none",
                    until=None,
                    count=None,
                    first_start=now - timedelta(days=1),
                    last_end=datetime(9999, 12, 30, 21, 0, tzinfo=UTC),
                    created_by=None,
                    created_at=now,
                    updated_at=now,
                    sequence=0,
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])
    finally:
        await db.dispose()


async def test_range_a_stored_bad_event_takes_nothing_down(
    live: LiveServer, people: Any, caplog: pytest.LogCaptureFixture
) -> None:
    animator: Person = await people("Anim2", Role.ANIMATOR)
    good = await event_path(
        animator, title="Concert du bon jour", visibility="public", kind="concert"
    )
    bad = await _bad_row(live, "Au bout du temps")
    stranger: Person = await people()
    member: Person = await people("Mia", Role.MEMBER)
    with caplog.at_level(logging.WARNING, logger="estaminet.agenda"):
        feed = await stranger.http.get("/agenda/public.ics")
    assert feed.status_code == 200
    titles = [e.summary.value for e in vobject.readOne(feed.text).vevent_list]
    assert "Concert du bon jour" in titles and "Au bout du temps" not in titles
    assert any(f"agenda event {bad}" in r.getMessage() for r in caplog.records)
    # The private feed, the month view, the plan and the hall too.
    token = await member.csrf("/agenda/subscribe")
    shown = await member.http.post("/agenda/subscribe/new", data={"csrf": token})
    feed_url = re.search(r"/agenda/feed/[\w-]+\.ics", shown.text)
    assert feed_url
    private = await member.http.get(feed_url.group(0))
    assert private.status_code == 200 and "Concert du bon jour" in private.text
    assert "Au bout du temps" not in private.text
    assert (await member.http.get("/agenda")).status_code == 200
    assert (await member.http.get("/")).status_code == 200
    assert (await member.http.get(good)).status_code == 200
    # Its own page, .ics, answers and edit say clearly what is wrong (no 500)…
    for address in (
        f"/agenda/{bad}",
        f"/agenda/{bad}/99991230T2000",
        f"/agenda/{bad}/event.ics",
        f"/agenda/{bad}/edit",
    ):
        answered = await animator.http.get(address)
        assert answered.status_code == 409, (address, answered.status_code)
        assert error_code(answered) == "agenda/stored_out_of_range"
        assert "entre" not in answered.text or "2000" in answered.text
    refused = await answer(member, good, "yes")
    assert refused.status_code == 303
    page = await animator.http.get(f"/agenda/{bad}")
    assert "Annuler l'évènement" in page.text
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert token
    edited = await animator.http.post(
        f"/agenda/{bad}/edit",
        data={"csrf": token.group(1), "version": "0", **fields(title="Réparé")},
    )
    assert edited.status_code == 409 and error_code(edited) == "agenda/stored_out_of_range"
    # …and whoever manages events can still cancel it.
    cancelled = await animator.http.post(f"/agenda/{bad}/cancel", data={"csrf": token.group(1)})
    assert cancelled.status_code == 303
    assert "Annulé" in (await animator.http.get(f"/agenda/{bad}")).text
    assert (await stranger.http.get("/agenda/public.ics")).status_code == 200


async def test_range_feeds_answer_conditional_gets(live: LiveServer, people: Any) -> None:
    animator: Person = await people("Anim3", Role.ANIMATOR)
    path = await event_path(animator, title="Quiz du mardi", visibility="public")
    event_id = path.split("/")[2]
    stranger: Person = await people()
    for address in ("/agenda/public.ics", f"/agenda/{event_id}/event.ics"):
        first = await stranger.http.get(address)
        again = await stranger.http.get(address)
        assert first.status_code == 200 and first.content == again.content
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert etag == again.headers["etag"]
        unchanged = await stranger.http.get(address, headers={"if-none-match": etag})
        assert unchanged.status_code == 304 and unchanged.content == b""
        assert unchanged.headers["etag"] == etag
        since = await stranger.http.get(address, headers={"if-modified-since": modified})
        assert since.status_code == 304
        other = await stranger.http.get(address, headers={"if-none-match": '"something-else"'})
        assert other.status_code == 200
        # If-None-Match decides when both are sent.
        both = await stranger.http.get(
            address, headers={"if-none-match": '"old"', "if-modified-since": modified}
        )
        assert both.status_code == 200
        bad_date = await stranger.http.get(address, headers={"if-modified-since": "hier"})
        assert bad_date.status_code == 200
    before = (await stranger.http.get("/agenda/public.ics")).headers["etag"]
    assert (
        await edit(animator, event_id, title="Quiz du mercredi", visibility="public")
    ).status_code == 303
    changed = await stranger.http.get("/agenda/public.ics", headers={"if-none-match": before})
    assert changed.status_code == 200 and "Quiz du mercredi" in changed.text
    assert changed.headers["etag"] != before


async def test_range_visibility_follows_the_room_and_the_form_says_who(
    live: LiveServer, people: Any
) -> None:
    animator: Person = await people("Anim4", Role.ANIMATOR)
    form = (await animator.http.get("/agenda/new")).text
    assert 'value="room" selected' in form and "Comme la salle" in form
    assert 'data-visibility="public"' in form and "Qui le verra" in form
    # Game night in the game room (open to guests), with the form's defaults.
    night = await event_path(animator, title="Soirée jeux LAB", room="jeux", visibility="room")
    guest: Person = await people("Gus")
    assert (await guest.http.get(night)).status_code == 200
    # No room: members (as before); an explicit choice wins over the room.
    members_only = await event_path(animator, title="Sans salle", room="", visibility="room")
    assert (await guest.http.get(members_only)).status_code == 404
    team = await event_path(animator, title="Équipe", room="jeux", visibility="team")
    assert (await guest.http.get(team)).status_code == 404
    # Shown again after a mistake, the form keeps the choice and says who will see it.
    start = soon()
    again = await create(animator, visibility="team", end=local(start - timedelta(hours=1)))
    assert again.status_code == 400 and 'value="team" selected' in again.text
    assert "l'équipe uniquement" in again.text


def photo(width: int, height: int, quality: int = 95) -> bytes:
    """A phone-like photo: big, noisy (so JPEG cannot squeeze it), with an EXIF rotation."""
    image = Image.effect_noise((width, height), 90).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # taken upright, stored sideways
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, exif=exif)
    return buffer.getvalue()


async def test_range_phone_photo_is_resized_and_offered_in_sizes(
    live: LiveServer, people: Any
) -> None:
    animator: Person = await people("Anim5", Role.ANIMATOR)
    data = photo(3000, 2000)
    assert 2 * 1024 * 1024 < len(data) < 10 * 1024 * 1024
    made = await create_with(animator, {"picture": ("IMG_0001.jpg", data, "image/jpeg")})
    assert made.status_code == 303, made.text[:500]
    landing = await animator.http.get(made.headers["location"])
    path = landing.headers["location"].split("?")[0]
    page = (await animator.http.get(path)).text
    srcset = re.search(r'srcset="([^"]+)"', page)
    assert srcset, page[page.find("agenda-picture") - 200 :][:600]
    sources = dict(
        (width, url)
        for url, width in (part.strip().split(" ") for part in srcset.group(1).split(","))
    )
    assert set(sources) == {"480w", "960w", "1600w"}
    stranger: Person = await people()
    sizes = {}
    for width, url in sources.items():
        served = await stranger.http.get(url)
        assert served.status_code == 200 and served.headers["content-type"] == "image/webp"
        assert "immutable" in served.headers["cache-control"]
        with Image.open(io.BytesIO(served.content)) as image:
            sizes[width] = image.size
    # Upright (EXIF rotation applied: portrait), at most the width asked for.
    assert sizes["480w"] == (480, 720) and sizes["960w"] == (960, 1440)
    assert sizes["1600w"][0] <= 1600 and sizes["1600w"][1] > sizes["1600w"][0]
    assert len((await stranger.http.get(sources["480w"])).content) < len(data) // 10
    # Too large for the setting, and not a picture: clear messages.
    huge = await create_with(
        animator, {"picture": ("big.jpg", b"\xff" * (10 * 1024 * 1024 + 1), "image/jpeg")}
    )
    assert huge.status_code == 400 and error_code(huge) == "agenda/picture_large"
    assert "10 Mo" in huge.text
    fake = await create_with(animator, {"picture": ("x.jpg", b"GIF89a not really", "image/jpeg")})
    assert error_code(fake) == "agenda/picture_type"
    # Another file name in the folder is not served through this event.
    stem = sources["480w"].rsplit("/", 1)[1].split("-")[0]
    assert (
        await stranger.http.get(f"/agenda/{path.split('/')[2]}/pictures/{stem}-123.webp")
    ).status_code == 404
