"""Editing an event over HTTP, on SQLite and PostgreSQL: the form, promotions, feeds, bad input."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import vobject

from estaminet.people.model import Role
from tests.agenda.test_agenda_http import answer, event_path, local, png, soon
from tests.support.live_server import LiveServer, Person


def fields(**changes: Any) -> dict[str, Any]:
    """The edit form as the event was created by ``event_path`` (with ``changes``)."""
    start = soon()
    return {
        "title": "Soirée jeux",
        "kind": "game_night",
        "description": "On joue au **Loup-Garou**.",
        "start": local(start),
        "end": local(start + timedelta(hours=3)),
        "room": "jeux",
        "visibility": "members",
        "repeat": "none",
        **changes,
    }


async def form_of(person: Person, event_id: str) -> tuple[str, str, str]:
    """The edit page: its text, its CSRF token and the version it was made from."""
    page = await person.http.get(f"/agenda/{event_id}/edit")
    assert page.status_code == 200, page.text[:500]
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert token and version
    return page.text, token.group(1), version.group(1)


async def edit(person: Person, event_id: str, **changes: Any) -> Any:
    _, token, version = await form_of(person, event_id)
    data = {"csrf": token, "version": version, **fields(**changes)}
    files = data.pop("files", None)
    return await person.http.post(f"/agenda/{event_id}/edit", data=data, files=files)


async def test_edit_http_form_is_filled_and_saves_every_field(
    live: LiveServer, people: Any
) -> None:
    animator: Person = await people("Anima", Role.ANIMATOR)
    path = await event_path(animator, title="Soirée jeux", capacity="1")
    event_id = path.split("/")[2]
    page, _, version = await form_of(animator, event_id)
    assert version == "0"
    assert 'value="Soirée jeux"' in page and f'value="{local(soon())}"' in page
    assert "tout le monde qui vient déjà reste" in page  # the capacity rule, on the form
    assert re.search(r'name="waitlist" value="off"\s*aria-describedby', page)  # on: unticked
    saved = await edit(
        animator,
        event_id,
        title="Soirée quiz",
        description="Questions *faciles*.",
        kind="workshop",
        room="bar",
        visibility="public",
        capacity="4",
        waitlist="off",
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("?edited=1")
    landing = await animator.http.get(saved.headers["location"])
    shown = (await animator.http.get(landing.headers["location"])).text
    assert "Les changements sont enregistrés." in shown
    assert "Soirée quiz" in shown and "<em>faciles</em>" in shown and "Atelier" in shown
    assert re.search(r"\(places\W+4\)", shown)
    stranger: Person = await people()
    assert (await stranger.http.get(path)).status_code == 200  # public now
    feed = vobject.readOne((await stranger.http.get("/agenda/public.ics")).text)
    vevent = next(e for e in feed.vevent_list if e.summary.value == "Soirée quiz")
    assert vevent.sequence.value == "1"
    assert hasattr(vevent, "last_modified") and hasattr(vevent, "dtstamp")
    page, _, _ = await form_of(animator, event_id)
    assert re.search(r'name="waitlist" value="off" checked', page)  # off, as saved


async def test_edit_http_more_places_move_the_waiting_person_up_live(
    live: LiveServer, people: Any
) -> None:
    animator: Person = await people("Anim2", Role.ANIMATOR)
    path = await event_path(animator, title="Petit jeu", capacity="1")
    event_id = path.split("/")[2]
    first: Person = await people("Alice", Role.MEMBER)
    second: Person = await people("Bruno", Role.MEMBER)
    await answer(first, path, "yes")
    assert (await answer(second, path, "yes")).headers["location"].endswith("waiting=1")
    async with second.socket() as sock:
        saved = await edit(animator, event_id, title="Petit jeu", capacity="2")
        assert saved.status_code == 303
        promoted = await sock.take(
            lambda f: f.get("kind") == "notice" and "Petit jeu" in str(f.get("ops"))
        )
        assert "liste d" in promoted["ops"][0]["html"]
    page = (await second.http.get(path)).text
    assert 'data-mine="yes"' in page and 'data-names="yes">Alice, Bruno<' in page


async def test_edit_http_new_time_tells_who_comes(live: LiveServer, people: Any) -> None:
    animator: Person = await people("Anim3", Role.ANIMATOR)
    path = await event_path(animator, title="Heure changée")
    event_id = path.split("/")[2]
    member: Person = await people("Chloé", Role.MEMBER)
    await answer(member, path, "yes")
    later = soon(hour=21)
    async with member.socket() as sock:
        saved = await edit(
            animator,
            event_id,
            title="Heure changée",
            start=local(later),
            end=local(later + timedelta(hours=2)),
        )
        assert saved.status_code == 303
        changed = await sock.take(
            lambda f: f.get("kind") == "notice" and "Heure changée" in str(f.get("ops"))
        )
        assert "a changé" in changed["ops"][0]["html"] and "21:00" in changed["ops"][0]["html"]
    new_path = f"/agenda/{event_id}/{later.strftime('%Y%m%dT%H%M')}"
    assert 'data-mine="yes"' in (await member.http.get(new_path)).text  # the answer followed


async def test_edit_http_bad_input_changes_nothing(live: LiveServer, people: Any) -> None:
    animator: Person = await people("Anim4", Role.ANIMATOR)
    path = await event_path(animator, title="Intacte", capacity="3")
    event_id = path.split("/")[2]
    start = soon()
    cases: dict[str, dict[str, Any]] = {
        "agenda/end_before_start": {"end": local(start - timedelta(hours=1))},
        "agenda/nonexistent_time": {"start": "2027-03-28T02:30", "end": "2027-03-28T04:00"},
        "agenda/bad_number": {"capacity": "trois"},
    }
    for capacity in ("-1", "0", "1000000"):
        cases[f"agenda/number_range {capacity}"] = {"capacity": capacity}
    for label, changes in cases.items():
        refused = await edit(animator, event_id, title="Ratée", **changes)
        code = label.split()[0]
        assert refused.status_code == 400, label
        assert f'data-error-code="{code}"' in refused.text, label
        assert 'value="Ratée"' in refused.text, label  # what was typed is still there
    # A stale form: someone else saved meanwhile.
    _, token, version = await form_of(animator, event_id)
    assert (await edit(animator, event_id, title="Intacte", capacity="5")).status_code == 303
    stale = await animator.http.post(
        f"/agenda/{event_id}/edit",
        data={"csrf": token, "version": version, **fields(title="Mon titre", capacity="3")},
    )
    assert stale.status_code == 409 and 'data-error-code="agenda/stale"' in stale.text
    assert (
        "a modifié cet évènement pendant que tu le changeais" in stale.text
        and 'value="Mon titre"' in stale.text
    )
    assert f'name="version" value="{int(version) + 1}"' in stale.text  # saving again is a choice
    # A member forging the form: refused, nothing read or changed.
    member: Person = await people("Nina", Role.MEMBER)
    assert (await member.http.get(f"/agenda/{event_id}/edit")).status_code == 403
    forged = await member.http.post(
        f"/agenda/{event_id}/edit",
        data={"csrf": await member.csrf(path), "version": "1", **fields(title="Piratée")},
    )
    assert forged.status_code == 403
    page = (await animator.http.get(path)).text
    assert "Intacte" in page and re.search(r"\(places\W+5\)", page)
    assert "Ratée" not in page and "Mon titre" not in page and "Piratée" not in page


async def test_edit_http_picture_is_replaced_then_removed(live: LiveServer, people: Any) -> None:
    animator: Person = await people("Anim5", Role.ANIMATOR)
    token = await animator.csrf("/agenda/new")
    made = await animator.http.post(
        "/agenda/new",
        data={"csrf": token, **fields(title="Affiche")},
        files={"picture": ("p.png", png(), "image/png")},
    )
    assert made.status_code == 303
    path = (await animator.http.get(made.headers["location"])).headers["location"].split("?")[0]
    event_id = path.split("/")[2]
    picture = re.compile(r'src="(/agenda/\d+/pictures/[0-9a-f]{32}-960\.webp)"')
    first = picture.search((await animator.http.get(path)).text)
    assert first
    page, _, _ = await form_of(animator, event_id)
    assert first.group(1) in page and "Retirer l'image" in page
    bad = await edit(animator, event_id, title="Affiche", files={"picture": ("x.png", b"no", "")})
    assert bad.status_code == 400 and 'data-error-code="agenda/picture_type"' in bad.text
    replaced = await edit(
        animator, event_id, title="Affiche", files={"picture": ("q.png", png(), "image/png")}
    )
    assert replaced.status_code == 303
    second = picture.search((await animator.http.get(path)).text)
    assert second and second.group(1) != first.group(1)
    assert (await animator.http.get(first.group(1))).status_code == 404
    stem = first.group(1).rsplit("/", 1)[1].removesuffix("-960.webp")
    folder = live.settings.data_dir / "agenda"
    assert not list(folder.glob(f"{stem}*"))  # every size of the old picture is gone
    assert list(folder.glob(f"{second.group(1).rsplit('/', 1)[1].removesuffix('-960.webp')}*"))
    removed = await edit(animator, event_id, title="Affiche", remove_picture="on")
    assert removed.status_code == 303
    assert not picture.search((await animator.http.get(path)).text)


async def test_edit_http_series_under_way_changes_the_dates_to_come(
    live: LiveServer, people: Any
) -> None:
    animator: Person = await people("Anim6", Role.ANIMATOR)
    begun = soon(days=-8)  # two dates are over, two to come
    path = await event_path(
        animator,
        title="Jeudi jeux",
        start=local(begun),
        end=local(begun + timedelta(hours=3)),
        repeat="weekly",
        repeat_count="4",
    )
    event_id = path.split("/")[2]
    page, _, _ = await form_of(animator, event_id)
    next_date = begun + timedelta(days=14)
    assert "Des dates sont déjà passées" in page
    assert f'value="{local(next_date)}"' in page and 'name="repeat_count" type="number"' in page
    assert re.search(r'id="ev-count"[^>]*value="2"', page)
    earlier = next_date.replace(hour=19)
    saved = await edit(
        animator,
        event_id,
        title="Jeudi jeux",
        start=local(earlier),
        end=local(earlier + timedelta(hours=3)),
        repeat="weekly",
        repeat_count="2",
    )
    assert saved.status_code == 303
    new_id = saved.headers["location"].split("/")[2].split("?")[0]
    assert new_id != event_id
    old_page = await animator.http.get(f"/agenda/{event_id}/{begun.strftime('%Y%m%dT%H%M')}")
    assert old_page.status_code == 200 and "Jeudi jeux" in old_page.text
    new_page = await animator.http.get(f"/agenda/{new_id}/{earlier.strftime('%Y%m%dT%H%M')}")
    assert new_page.status_code == 200
    # A link made before the edit (a reminder, a notice) leads to the date where it is now.
    old_link = await animator.http.get(f"/agenda/{event_id}/{next_date.strftime('%Y%m%dT%H%M')}")
    assert old_link.status_code == 303
    moved = f"/agenda/{new_id}/{earlier.strftime('%Y%m%dT%H%M')}?moved=1"
    assert old_link.headers["location"] == moved
    followed = await animator.http.get(moved)
    assert followed.status_code == 200 and "Cette date a changé depuis" in followed.text
    unknown = await animator.http.get(
        f"/agenda/{event_id}/{soon(days=400).strftime('%Y%m%dT%H%M')}"
    )
    assert unknown.status_code == 404
