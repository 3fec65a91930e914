"""The agenda over HTTP and the gateway: access, answers and the waiting list, bad input, feeds."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import vobject
from PIL import Image

from estaminet.people.model import Role
from tests.support.live_server import LiveServer, Person

BRUSSELS = ZoneInfo("Europe/Brussels")


def local(moment: datetime) -> str:
    return moment.astimezone(BRUSSELS).strftime("%Y-%m-%dT%H:%M")


def soon(days: int = 3, hour: int = 20) -> datetime:
    day = datetime.now(BRUSSELS).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=BRUSSELS)


async def create(animator: Person, **fields: Any) -> Any:
    token = await animator.csrf("/agenda/new")
    start = soon()
    data = {
        "csrf": token,
        "title": "Soirée jeux",
        "kind": "game_night",
        "description": "On joue au **Loup-Garou**.",
        "start": local(start),
        "end": local(start + timedelta(hours=3)),
        "room": "jeux",
        "visibility": "members",
        "repeat": "none",
        **fields,
    }
    return await animator.http.post("/agenda/new", data=data)


async def event_path(animator: Person, **fields: Any) -> str:
    created = await create(animator, **fields)
    assert created.status_code == 303, created.text[:800]
    landing = await animator.http.get(created.headers["location"])
    assert landing.status_code == 303
    return str(landing.headers["location"]).split("?")[0]


async def answer(person: Person, path: str, value: str) -> Any:
    token = await person.csrf(path)
    return await person.http.post(f"{path}/answer", data={"csrf": token, "answer": value})


async def test_agenda_members_event_is_hidden_from_guests_and_strangers(
    live: LiveServer, people: Any
) -> None:
    animator: Person = await people("Anima", Role.ANIMATOR)
    path = await event_path(animator, title="Réunion membres")
    team = await event_path(animator, title="Réunion équipe", visibility="team")
    public = await event_path(animator, title="Concert public", visibility="public", kind="concert")
    guest: Person = await people("Gus")
    member: Person = await people("Mia", Role.MEMBER)
    stranger: Person = await people()
    assert (await guest.http.get(path)).status_code == 404
    assert (await stranger.http.get(path)).status_code == 404
    assert (await member.http.get(path)).status_code == 200
    assert (await member.http.get(path[:-4] + "2100")).status_code == 404  # not one of its dates
    assert (await member.http.get(team)).status_code == 404
    assert (await animator.http.get(team)).status_code == 200
    assert (await stranger.http.get(public)).status_code == 200
    month = (await stranger.http.get("/agenda?month=" + soon().strftime("%Y-%m"))).text
    assert "Concert public" in month and "Réunion membres" not in month
    guest_month = (await guest.http.get("/agenda?month=" + soon().strftime("%Y-%m"))).text
    assert "Réunion" not in guest_month and "Concert public" in guest_month


async def test_agenda_waiting_list_moves_up_and_notifies(live: LiveServer, people: Any) -> None:
    animator: Person = await people("Anim2", Role.ANIMATOR)
    path = await event_path(animator, title="Petit jeu", capacity="1")
    first: Person = await people("Alice", Role.MEMBER)
    second: Person = await people("Bruno", Role.MEMBER)
    assert (await answer(first, path, "yes")).headers["location"].endswith("saved=1")
    async with second.socket() as sock:
        waiting = await answer(second, path, "yes")
        assert waiting.headers["location"].endswith("waiting=1")
        page = (await second.http.get(path)).text
        assert 'data-mine="waiting"' in page, page[page.find("agenda-answers") :][:1500]
        assert "liste d'attente" in page
        await answer(first, path, "no")
        promoted = await sock.take(
            lambda f: f.get("kind") == "notice" and "Petit jeu" in str(f.get("ops"))
        )
        assert "liste d" in promoted["ops"][0]["html"]
    page = (await second.http.get(path)).text
    assert 'data-mine="yes"' in page
    assert 'data-names="yes">Bruno<' in page


async def test_agenda_full_event_without_waiting_list_is_refused(
    live: LiveServer, people: Any
) -> None:
    animator: Person = await people("Anim3", Role.ANIMATOR)
    path = await event_path(animator, title="Atelier", capacity="1", waitlist="off")
    first: Person = await people("Chloé", Role.MEMBER)
    second: Person = await people("Dan", Role.MEMBER)
    await answer(first, path, "yes")
    refused = await answer(second, path, "yes")
    assert refused.status_code == 409 and "complet" in refused.text
    assert "data-mine" not in (await second.http.get(path)).text


async def test_agenda_bad_input_changes_nothing(live: LiveServer, people: Any) -> None:
    animator: Person = await people("Anim4", Role.ANIMATOR)
    start = soon()
    cases = {
        "agenda/end_before_start": {"end": local(start - timedelta(hours=1))},
        "agenda/endless": {"repeat": "weekly"},
        "agenda/nonexistent_time": {"start": "2027-03-28T02:30", "end": "2027-03-28T04:00"},
        "agenda/bad_choice": {"kind": "rave"},
    }
    for code, fields in cases.items():
        response = await create(animator, title=f"Raté {code}", **fields)
        assert response.status_code == 400, code
        assert f'data-error-code="{code}"' in response.text, code
    agenda = (await animator.http.get("/agenda?month=" + start.strftime("%Y-%m"))).text
    assert "Raté" not in agenda
    guest: Person = await people("Gaston")
    assert (await create(guest, title="Pirate")).status_code == 403


async def test_agenda_markdown_script_is_sanitised(live: LiveServer, people: Any) -> None:
    animator: Person = await people("Anim5", Role.ANIMATOR)
    path = await event_path(
        animator, description="<script>alert(1)</script> [x](javascript:alert(1)) **ok**"
    )
    page = (await animator.http.get(path)).text
    assert "<script>alert" not in page and 'href="javascript' not in page
    assert "<strong>ok</strong>" in page


async def test_agenda_answer_to_cancelled_or_past_event_is_refused(
    live: LiveServer, people: Any
) -> None:
    animator: Person = await people("Anim6", Role.ANIMATOR)
    path = await event_path(animator, title="Annulé")
    token = await animator.csrf(path)
    event_id = path.split("/")[2]
    cancelled = await animator.http.post(f"/agenda/{event_id}/cancel", data={"csrf": token})
    assert cancelled.status_code == 303
    member: Person = await people("Eva", Role.MEMBER)
    page = (await member.http.get(path)).text
    assert "Annulé" in page and "agenda-event--cancelled" in page
    token = await member.csrf(path)
    refused = await member.http.post(f"{path}/answer", data={"csrf": token, "answer": "yes"})
    assert refused.status_code == 400 and 'data-error-code="agenda/cancelled"' in refused.text
    past_start = datetime.now(BRUSSELS) - timedelta(days=2)
    past = await event_path(
        animator, start=local(past_start), end=local(past_start + timedelta(hours=1))
    )
    token = await member.csrf(past)
    refused = await member.http.post(f"{past}/answer", data={"csrf": token, "answer": "yes"})
    assert refused.status_code == 400 and 'data-error-code="agenda/past"' in refused.text


async def test_agenda_feeds_parse_with_a_second_parser(live: LiveServer, people: Any) -> None:
    animator: Person = await people("Anim7", Role.ANIMATOR)
    path = await event_path(
        animator, title="Jeux du vendredi", visibility="public", repeat="weekly", repeat_count="4"
    )
    event_id = path.split("/")[2]
    keys = re.findall(
        rf'href="/agenda/{event_id}/(\d{{8}}T\d{{4}})"', (await animator.http.get(path)).text
    )
    token = await animator.csrf(path)
    await animator.http.post(f"/agenda/{event_id}/{keys[0]}/cancel", data={"csrf": token})
    moved = datetime.strptime(keys[1], "%Y%m%dT%H%M") + timedelta(hours=1)
    token = await animator.csrf(path)
    await animator.http.post(
        f"/agenda/{event_id}/{keys[1]}/move",
        data={
            "csrf": token,
            "start": moved.strftime("%Y-%m-%dT%H:%M"),
            "end": (moved + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    stranger: Person = await people()
    feed = await stranger.http.get("/agenda/public.ics")
    assert feed.headers["content-type"].startswith("text/calendar")
    parsed = vobject.readOne(feed.text)
    events = [e for e in parsed.vevent_list if e.summary.value == "Jeux du vendredi"]
    master = next(e for e in events if not hasattr(e, "recurrence_id"))
    override = next(e for e in events if hasattr(e, "recurrence_id"))
    assert master.uid.value == override.uid.value
    assert "FREQ=WEEKLY" in master.rrule.value and "COUNT=4" in master.rrule.value
    assert len(master.exdate.value) == 1
    assert hasattr(parsed, "vtimezone")
    starts = list(
        master.getrruleset().between(
            datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
        )
    )
    assert len(starts) == 3  # four, one cancelled
    single = await stranger.http.get(f"/agenda/{event_id}/event.ics")
    assert vobject.readOne(single.text).vevent.uid.value == master.uid.value
    # A cancelled event says so.
    token = await animator.csrf(path)
    await animator.http.post(f"/agenda/{event_id}/cancel", data={"csrf": token})
    again = vobject.readOne((await stranger.http.get("/agenda/public.ics")).text)
    statuses = {e.status.value for e in again.vevent_list if e.uid.value == master.uid.value}
    assert statuses == {"CANCELLED"}


async def test_agenda_private_feed_token_is_secret_and_revocable(
    live: LiveServer, people: Any
) -> None:
    animator: Person = await people("Anim8", Role.ANIMATOR)
    await event_path(animator, title="Réunion équipe privée", visibility="team")
    assert 'href="/agenda/subscribe"' in (await animator.http.get("/me")).text
    token = await animator.csrf("/agenda/subscribe")
    made = await animator.http.post("/agenda/subscribe/new", data={"csrf": token})
    url = re.search(r'value="(http[^"]+/agenda/feed/[^"]+\.ics)"', made.text)
    assert url, made.text[:500]
    feed_path = url.group(1).removeprefix(live.base)
    stranger: Person = await people()
    feed = await stranger.http.get(feed_path)
    assert feed.status_code == 200 and "Réunion équipe privée" in feed.text
    vobject.readOne(feed.text)
    forged = await stranger.http.get("/agenda/feed/forged-token-123456.ics")
    assert forged.status_code == 404 and "lien" in forged.text
    token = await animator.csrf("/agenda/subscribe")
    await animator.http.post("/agenda/subscribe/revoke", data={"csrf": token})
    assert (await stranger.http.get(feed_path)).status_code == 404


async def test_agenda_starting_notification_over_the_socket(live: LiveServer, people: Any) -> None:
    animator: Person = await people("Anim9", Role.ANIMATOR)
    now = datetime.now(BRUSSELS).replace(second=0, microsecond=0)
    path = await event_path(
        animator,
        title="Ça commence",
        start=local(now),
        end=local(now + timedelta(hours=2)),
    )
    member: Person = await people("Fred", Role.MEMBER)
    async with member.socket() as sock:
        await answer(member, path, "yes")
        frame = await sock.take(
            lambda f: f.get("kind") == "notice" and "Ça commence" in str(f.get("ops"))
        )
        html = frame["ops"][0]["html"]
        assert 'href="/r/jeux"' in html and "rejoindre" in html
    plan = (await member.http.get("/")).text
    assert 'data-agenda-lit="jeux"' in plan and "Ça commence" in plan


async def test_agenda_assembly_states_the_convocation_date_and_offers_preparation(
    live: LiveServer, people: Any
) -> None:
    animator: Person = await people("Anim10", Role.ANIMATOR)
    start = soon(days=40, hour=19)
    path = await event_path(
        animator,
        title="AG de printemps",
        kind="assembly",
        room="ag",
        description="Bienvenue.",
        start=local(start),
        end=local(start + timedelta(hours=2)),
    )
    page = (await animator.http.get(path)).text
    deadline = start.date() - timedelta(days=live.settings.assembly_notice_days)
    assert "Convocation à envoyer au plus tard le" in page
    assert (
        f"{deadline.day} " in page and f"({live.settings.assembly_notice_days} jours avant)" in page
    )
    link = re.search(r'href="(/r/ag/assemblies/new\?[^"]+)"', page)
    assert link, page[:2000]
    form = (await animator.http.get(link.group(1).replace("&amp;", "&"))).text
    assert 'value="AG de printemps"' in form and f'value="{local(start)}"' in form


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (140, 47, 35)).save(buffer, "PNG")
    return buffer.getvalue()


async def test_agenda_picture_is_checked_and_served_to_who_may_see(
    live: LiveServer, people: Any
) -> None:
    animator: Person = await people("Anim11", Role.ANIMATOR)
    token = await animator.csrf("/agenda/new")
    start = soon()
    fields = {
        "csrf": token,
        "title": "Concert photo",
        "kind": "concert",
        "start": local(start),
        "end": local(start + timedelta(hours=2)),
        "visibility": "members",
    }
    fake = await animator.http.post(
        "/agenda/new",
        data=fields,
        files={"picture": ("x.png", b"<script>no</script>", "image/png")},
    )
    assert fake.status_code == 400 and 'data-error-code="agenda/picture_type"' in fake.text
    token = await animator.csrf("/agenda/new")
    picture_bytes = png()
    made = await animator.http.post(
        "/agenda/new",
        data={**fields, "csrf": token},
        files={"picture": ("p.png", picture_bytes, "image/png")},
    )
    assert made.status_code == 303, made.text[:500]
    path = (await animator.http.get(made.headers["location"])).headers["location"].split("?")[0]
    picture = re.search(
        r'src="(/agenda/\d+/pictures/[0-9a-f]{32}-960\.webp)"', (await animator.http.get(path)).text
    )
    assert picture
    served = await animator.http.get(picture.group(1))
    assert served.status_code == 200 and served.headers["content-type"] == "image/webp"
    with Image.open(io.BytesIO(served.content)) as kept:  # re-encoded, never made larger
        assert kept.format == "WEBP" and kept.size == (4, 3)
        assert kept.convert("RGB").getpixel((1, 1)) == pytest.approx((140, 47, 35), abs=8)
    stranger: Person = await people()
    assert (await stranger.http.get(picture.group(1))).status_code == 404


async def test_agenda_next_events_on_the_hall_and_the_plan(live: LiveServer, people: Any) -> None:
    animator: Person = await people("Anim12", Role.ANIMATOR)
    await event_path(animator, title="Quiz du hall", visibility="public")
    guest: Person = await people("Hugo")
    hall = (await guest.http.get("/r/hall")).text
    assert "Prochains évènements" in hall and "Quiz du hall" in hall
    plan = (await guest.http.get("/")).text
    assert "Quiz du hall" in plan and 'data-topic="agenda:now:public"' in plan


async def test_agenda_lit_topics_follow_the_role(live: LiveServer, people: Any) -> None:
    guest: Person = await people("Ivo")
    async with guest.socket() as sock:
        assert (await sock.sub("agenda:now:public"))["type"] == "subscribed"
        refused = await sock.sub("agenda:now:team")
        assert refused["type"] == "error"
        assert (await sock.sub("agenda:now:nope"))["type"] == "error"


async def test_agenda_moving_a_date_refuses_bad_times_and_changes_nothing(
    live: LiveServer, people: Any
) -> None:
    animator: Person = await people("Anim13", Role.ANIMATOR)
    path = await event_path(animator, title="Déplacée", repeat="weekly", repeat_count="3")
    before = (await animator.http.get(path)).text
    cases = {
        "agenda/end_before_start": ("2027-03-26T20:00", "2027-03-26T19:00"),
        "agenda/nonexistent_time": ("2027-03-28T02:30", "2027-03-28T04:00"),
        "agenda/bad_date": ("demain", "2027-03-28T04:00"),
    }
    for code, (start, end) in cases.items():
        token = await animator.csrf(path)
        refused = await animator.http.post(
            f"{path}/move", data={"csrf": token, "start": start, "end": end}
        )
        assert refused.status_code == 400 and f'data-error-code="{code}"' in refused.text, code
    member: Person = await people("Nina", Role.MEMBER)
    token = await member.csrf(path)
    forbidden = await member.http.post(
        f"{path}/move", data={"csrf": token, "start": "2027-03-26T20:00", "end": "2027-03-26T22:00"}
    )
    assert forbidden.status_code == 403
    after = (await animator.http.get(path)).text
    when = re.compile(r'<p class="agenda-when-text">.*?</p>', re.S)
    assert when.search(before).group(0) == when.search(after).group(0)  # type: ignore[union-attr]


async def test_agenda_workshops_are_shown_in_the_help_room(live: LiveServer, people: Any) -> None:
    """Skill-sharing workshops (events of kind *workshop*) are listed in l'atelier, the rooms
    of kind ``help``, to those who may see them; other kinds of event are not."""
    animator: Person = await people("Anim13", Role.ANIMATOR)
    await event_path(
        animator,
        title="Prendre en main son micro",
        kind="workshop",
        room="atelier",
        visibility="public",
    )
    await event_path(
        animator, title="Atelier du bureau", kind="workshop", room="atelier", visibility="members"
    )
    await event_path(animator, title="Soirée quiz", kind="game_night", visibility="public")
    guest: Person = await people("Hugo Atelier")
    room = (await guest.http.get("/r/atelier")).text
    assert "Ateliers" in room and "Prendre en main son micro" in room
    assert "Atelier du bureau" not in room  # members only
    assert "Soirée quiz" not in room  # not a workshop
    assert "/agenda/new?kind=workshop" not in room  # a guest plans nothing
    member: Person = await people("Mia Atelier", Role.MEMBER)
    assert "Atelier du bureau" in (await member.http.get("/r/atelier")).text
    # The animator's "plan a workshop here" opens the form with the kind and the room chosen.
    own = (await animator.http.get("/r/atelier")).text
    assert "/agenda/new?kind=workshop&amp;room=atelier" in own
    form = (await animator.http.get("/agenda/new?kind=workshop&room=atelier")).text
    assert re.search(r'<option value="workshop"\s+selected', form)
    assert re.search(r'<option value="atelier"[^>]*selected', form)
    # Anything else in the address is ignored, the form opens as usual.
    odd = await animator.http.get("/agenda/new?kind=rave&room=nowhere")
    assert odd.status_code == 200
    assert not re.search(r'<option value="rave"', odd.text)
    assert not re.search(r"selected>[^<]*nowhere", odd.text)
