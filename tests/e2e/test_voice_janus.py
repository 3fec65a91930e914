"""Voice on a real Janus through Estaminet's own pages (Debian ``janus``, Chromium's fake
microphones): six people join *Au coin du bar* (``voice = "crowd"``) and hear the mix, one
mutes, a moderator mutes and removes people and Janus carries it out, a forged ticket is
refused by Janus itself; Janus stopping and coming back while people are in voice; the
Werewolves' private night channel at a Loup-Garou table, a mixing room of its own."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.janus import RunningJanus, run_janus, venue_settings

from .helpers import (
    PHONE,
    Visitors,
    chat_input,
    evaluate_within,
    messages,
    say,
    screenshot,
    wait_online,
    wait_until,
)
from .test_werewolf import (
    Person,
    arrive,
    choose_cards,
    look,
    read_screen,
    set_up_table,
    sit_down,
    start,
)

pytestmark = pytest.mark.browser

ROOM = "bar"
JOINED = "Tu es dans la conversation."
JOIN = "Rejoindre la conversation"


@pytest.fixture(scope="module")
def janus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningJanus]:
    """Debian's ``janus`` on free loopback ports (skipped locally without it, fails in CI)."""
    yield from run_janus(tmp_path_factory.mktemp("janus") / "conf")


@pytest.fixture(scope="module")
def venue_env(janus: RunningJanus) -> dict[str, str]:
    """The demo venue, told where its Janus is (as an admin would in the settings)."""
    return {
        **venue_settings(janus),
        "ESTAMINET_VOICE_CROWD_RETRY_SECONDS": "1",
        # Every table's voice on Janus, so that a small Loup-Garou table is mixed there too
        # (*Au coin du bar* is a ``crowd`` room: it is on Janus anyway).
        "ESTAMINET_VOICE_MESH_CAP": "0",
    }


def _enter(people: Visitors, name: str, **options: Any) -> Page:
    page = people.guest(name, **options)
    page.goto(f"/r/{ROOM}")
    wait_online(page)
    return page


def _crowd(page: Page) -> dict[str, Any]:
    stats: dict[str, Any] = evaluate_within(page, "window.estaminetVoice.stats()")
    crowd: dict[str, Any] | None = stats["crowd"]
    assert stats["transport"] == "janus", stats
    assert crowd is not None, stats
    return crowd


def _join(page: Page) -> None:
    page.get_by_role("button", name=JOIN).click()
    expect(page.locator("[data-voice-status]")).to_have_text(JOINED, timeout=20_000)
    wait_until(
        page,
        "window.estaminetVoice.stats().then(s => s.crowd && s.crowd.state === 'connected')",
        timeout=20,
    )


def _wait_growing(page: Page, field: str = "inbound", *, timeout: float = 20.0) -> None:
    """Wait until the call's audio bytes (``inbound`` or ``outbound``) keep growing."""
    start = int(_crowd(page)[field])
    script = f"window.estaminetVoice.stats().then(s => s.crowd && s.crowd.{field} > {start + 2000})"
    wait_until(page, script, timeout=timeout)


def _me(page: Page) -> str:
    return str(page.evaluate("document.body.dataset.me"))


def _admin(janus: RunningJanus, body: dict[str, Any]) -> dict[str, Any]:
    """One request to Janus's admin API (the test's own view of the server)."""
    layout = janus.layout
    request = {"transaction": secrets.token_hex(6), "admin_secret": layout.admin_secret, **body}
    answer: dict[str, Any] = httpx.post(layout.admin_url, json=request, timeout=5).json()
    return answer


def _audiobridge(janus: RunningJanus, request: dict[str, Any]) -> dict[str, Any]:
    body = {"janus": "message_plugin", "plugin": "janus.plugin.audiobridge", "request": request}
    response: dict[str, Any] = _admin(janus, body)["response"]
    return response


def _participants(janus: RunningJanus, room: int) -> dict[int, bool]:
    """Who is in a mixing room according to Janus itself (participant → muted)."""
    response = _audiobridge(janus, {"request": "listparticipants", "room": room})
    assert "error_code" not in response, response
    return {int(p["id"]): bool(p.get("muted")) for p in response["participants"]}


def _until_janus(janus: RunningJanus, room: int, test: Any, page: Page) -> dict[int, bool]:
    for _ in range(200):
        found = _participants(janus, room)
        if test(found):
            return found
        page.wait_for_timeout(100)
    raise AssertionError(f"Janus's room {room} never got there: {found}")


FORGED_JOIN = """async (ticket) => {
  const { joinCrowd } = await import('/static/js/voice-janus.js');
  try {
    const call = await joinCrowd({ ticket: { ...ticket, token: 'forged-' + ticket.token.slice(-8) } });
    call.leave();
    return 'joined';
  } catch (error) {
    return error.code;
  }
}"""


def _next(page: Page) -> None:
    """The narrator's "next", once the page offers it (a move in flight disables it), and
    until the screen shows the step that follows (the button's own "disabled" aside). When
    someone has not acted, the browser asks first: ``_accept_dialogs`` says yes."""
    button = page.locator("""#table-view button[data-table-action*='"narrator_next"']""")
    expect(button).to_be_enabled(timeout=15_000)
    before = page.locator("#table-view").inner_html()
    button.click()
    page.wait_for_function(
        """(before) => {
          const view = document.querySelector('#table-view');
          const plain = (html) => html.replaceAll(' disabled=""', '');
          return view && plain(view.innerHTML) !== plain(before);
        }""",
        arg=before,
        timeout=15_000,
    )


def _accept_dialogs(page: Page) -> None:
    """Say yes to the browser's confirmations on this page, whenever they come (the narrator's
    "continue without them?" can appear between reading the button and clicking it)."""
    page.on("dialog", lambda dialog: dialog.accept())


def _wolves_are_called(page: Page) -> bool:
    """Whether the narrator's screen is at the wolves' step (its "next" would choose their
    victim for them, and says so)."""
    button = page.locator("""#table-view button[data-table-action*='"narrator_next"']""")
    expect(button).to_be_enabled(timeout=15_000)
    return "Loups-Garous" in (button.get_attribute("data-confirm") or "")


def _wolves_may_vote(wolves: list[Person]) -> bool:
    """Whether the game is at the wolves' step: each wolf's screen offers a victim."""
    return all(
        any("wolf_vote" in move for move in (look(wolf) or {}).get("moves", [])) for wolf in wolves
    )


def test_six_people_in_voice_on_janus(people: Visitors, janus: RunningJanus) -> None:
    names = ["Alix Bar", "Bilal Bar", "Chloé Bar", "Dirk Bar", "Elsa Bar"]
    guests = [_enter(people, name) for name in names[:4]]
    guests.append(_enter(people, names[4], **PHONE))
    admin = people.admin()
    admin.goto(f"/r/{ROOM}")
    wait_online(admin)
    pages = [*guests, admin]
    for page in pages:
        _join(page)
    # Everyone receives the mixed stream from Janus.
    for page in pages:
        _wait_growing(page)
    room = int(_crowd(admin)["room"])
    seats = {_me(p): int(_crowd(p)["participant"]) for p in pages}
    assert len(set(seats.values())) == 6
    assert {_crowd(p)["room"] for p in pages} == {room}
    assert set(_participants(janus, room)) == set(seats.values())
    # The room's people list and the voice bar show six in voice.
    expect(admin.locator("[data-voice-members] .voice-member")).to_have_count(6)
    expect(admin.locator(f"[data-people='{ROOM}'] li.person--voice")).to_have_count(6)
    # The fake microphones beep: someone's ring lights up, through the venue.
    expect(admin.locator("[data-voice-members] .voice-member--speaking").first).to_be_visible(
        timeout=15_000
    )
    screenshot(admin, "voice-janus-room-desktop")
    screenshot(guests[4], "voice-janus-room-phone")

    alix, bilal, chloe, dirk, elsa = guests
    # Alix picks her microphone again: the same call goes on with the new track.
    alix.get_by_text("Réglages du son").click()
    alix.locator("[data-voice-mic]").select_option(index=0)
    _wait_growing(alix, "outbound")
    alix.get_by_text("Réglages du son").click()
    # Alix mutes: nothing leaves her browser, Janus marks her muted, the others see it.
    alix.get_by_role("button", name="Couper mon micro").click()
    expect(alix.locator("[data-voice-status]")).to_have_text("Ton micro est coupé.")
    wait_until(alix, "window.estaminetVoice.stats().then(s => !s.crowd.sending)")
    _until_janus(janus, room, lambda found: found.get(seats[_me(alix)]) is True, alix)
    expect(admin.locator(f"[data-voice-members] [data-user='{_me(alix)}']")).to_have_class(
        re.compile(r"\bvoice-member--muted\b")
    )
    sent = _crowd(alix)["outbound"]
    _wait_growing(alix)  # the call is alive: she still hears the others
    _wait_growing(bilal)
    assert _crowd(alix)["outbound"] <= sent + 200  # (an RTCP-sized crumb at most)
    alix.get_by_role("button", name="Rallumer mon micro").click()
    _wait_growing(alix, "outbound")

    # The moderator mutes Bilal for everyone: his page stops sending, Janus mutes him.
    admin.get_by_text("Modérer la conversation").click()
    admin.locator("[data-voice-people]").select_option(_me(bilal))
    admin.get_by_role("button", name="Couper son micro pour tout le monde").click()
    expect(bilal.locator("[data-voice-status]")).to_have_text(
        "Un·e modérateur·rice a coupé ton micro."
    )
    wait_until(bilal, "window.estaminetVoice.stats().then(s => !s.crowd.sending)")
    _until_janus(janus, room, lambda found: found.get(seats[_me(bilal)]) is True, admin)

    # Then removes Chloé from the voice: Janus takes her out of the room, she stays in the chat.
    admin.locator("[data-voice-people]").select_option(_me(chloe))
    admin.get_by_role("button", name="Retirer de la conversation").click()
    expect(chloe.locator("[data-voice-status]")).to_have_text(
        "Un·e modérateur·rice t'a retiré·e de la conversation vocale."
    )
    expect(chloe.get_by_role("button", name=JOIN)).to_be_visible()
    _until_janus(janus, room, lambda found: seats[_me(chloe)] not in found, admin)
    expect(admin.locator("[data-voice-members] .voice-member")).to_have_count(5)
    _wait_growing(dirk)

    # A forged ticket for the same room: Janus itself refuses it (403: unauthorized token).
    ticket = {"server": janus.layout.url, "room": room, "participant": 4242, "token": "x" * 40}
    assert chloe.evaluate(FORGED_JOIN, ticket) == 403
    assert seats[_me(chloe)] not in _participants(janus, room)

    # Dirk leaves by himself; Janus lets him go.
    dirk.get_by_role("button", name="Quitter la conversation").click()
    _until_janus(janus, room, lambda found: seats[_me(dirk)] not in found, admin)
    expect(chat_input(dirk)).to_be_enabled()

    # Elsa joins from a second tab: the first one steps out, Janus has her once, in the new one.
    second = elsa.context.new_page()
    second.goto(f"/r/{ROOM}")
    wait_online(second)
    _join(second)
    expect(elsa.locator("[data-voice-status]")).to_have_text(
        "Tu as rejoint la conversation depuis un autre onglet ou appareil."
    )
    _wait_growing(second)
    assert _crowd(second)["participant"] == seats[_me(elsa)]
    assert evaluate_within(elsa, "window.estaminetVoice.stats()")["crowd"] is None
    present = _participants(janus, room)
    assert set(present) == {seats[_me(p)] for p in (admin, alix, bilal, elsa)}


STATUS_LOG = """() => {
  window.statusLog = [];
  const el = document.querySelector('[data-voice-status]');
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) window.statusLog.push(n.textContent);
  }).observe(el, { childList: true });
}"""


def test_janus_stops_and_comes_back(people: Visitors, janus: RunningJanus) -> None:
    anna, boris = _enter(people, "Anna Panne"), _enter(people, "Boris Panne")
    for page in (anna, boris):
        _join(page)
        _wait_growing(page)
        page.evaluate(STATUS_LOG)

    janus.stop()
    try:
        for page in (anna, boris):
            expect(page.locator("[data-voice-status]")).to_have_text(
                re.compile("Le serveur vocal ne répond pas"), timeout=60_000
            )
            assert "Reconnexion…" in page.evaluate("window.statusLog")
            expect(page.get_by_role("button", name=JOIN)).to_be_visible()
        # The room's chat still works.
        say(anna, "La voix est partie, on écrit.")
        expect(messages(boris, ROOM).last).to_contain_text("La voix est partie, on écrit.")
    finally:
        janus.start()

    # The venue notices Janus is back, tells the pages, and they join again on their own.
    for page in (anna, boris):
        wait_until(
            page,
            "window.statusLog.includes('Le serveur vocal est revenu. On te reconnecte…')",
            timeout=30,
        )
        expect(page.locator("[data-voice-status]")).to_have_text(JOINED, timeout=20_000)
        wait_until(
            page,
            "window.estaminetVoice.stats().then(s => s.crowd && s.crowd.state === 'connected')",
        )
    for page in (anna, boris):
        _wait_growing(page)
    room = int(_crowd(anna)["room"])
    assert len(_participants(janus, room)) == 2


def _room_exists(janus: RunningJanus, room: int) -> bool:
    return bool(_audiobridge(janus, {"request": "exists", "room": room}).get("exists"))


def _room_gone(janus: RunningJanus, room: int, page: Page, seconds: float = 5.0) -> bool:
    """Whether Janus removes the mixing room within ``seconds``."""
    for _ in range(int(seconds * 2)):
        if not _room_exists(janus, room):
            return True
        page.wait_for_timeout(500)
    return not _room_exists(janus, room)


def _hang_up(janus: RunningJanus, room: int, participant: int) -> None:
    """Janus hangs up one participant's call in one mixing room (as a dropped line would)."""
    for session in _admin(janus, {"janus": "list_sessions"})["sessions"]:
        handles = _admin(janus, {"janus": "list_handles", "session_id": session})
        for handle in handles.get("handles", []):
            info = _admin(
                janus, {"janus": "handle_info", "session_id": session, "handle_id": handle}
            ).get("info", {})
            plugin = info.get("plugin_specific", {})
            if plugin.get("room") == room and plugin.get("id") == participant:
                _admin(
                    janus,
                    {"janus": "hangup_webrtc", "session_id": session, "handle_id": handle},
                )
                return
    raise AssertionError(f"no call of participant {participant} in room {room}")


def _stats(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = evaluate_within(page, "window.estaminetVoice.stats()")
    return found


def _voice_frames(person: Person) -> list[dict[str, Any]]:
    import json

    found = []
    for text in person.frames():
        try:
            frame = json.loads(text)
        except ValueError:
            continue
        if frame.get("type") == "voice" or str(frame.get("topic", "")).startswith("voice:"):
            found.append(frame)
    return found


WOLF_DECK = {"werewolf": 2, "villager": 4}
CLICK_MOVE = """(move) => [...document.querySelectorAll('#table-view button[data-table-action]')]
  .find((b) => b.dataset.tableAction === move)?.click()"""
WOLVES_CALLED = "window.estaminetVoice.stats().then(s => s.groups.wolves && s.groups.wolves.state === 'connected')"


def test_the_wolves_talk_in_a_private_room_of_their_own(
    people: Visitors, janus: RunningJanus
) -> None:
    """A narrated Loup-Garou table whose voice is on Janus: during their call the two wolves'
    pages join their own mixing room (a second call, same microphone) and hear each other
    there; a villager's page gets no ticket and no frame naming it; the call ends with the step.
    """
    narrator = arrive(people, "Nora Meute")
    players = [
        arrive(people, f"{n} Meute") for n in ("Axel", "Bea", "Cyril", "Dora", "Enzo", "Fanny")
    ]
    table_id = set_up_table(narrator.page, "Nuit sur Janus", narrate=True)
    choose_cards(narrator.page, WOLF_DECK)
    for person in players:
        sit_down(person, table_id, "player")
    start(narrator, [narrator, *players])
    roles = {}
    for person in players:
        seen = look(person)
        assert seen is not None
        roles[person.name] = read_screen(seen["html"]).my_role
    wolves = [p for p in players if roles[p.name] == "werewolf"]
    villager = next(p for p in players if roles[p.name] == "villager")
    assert len(wolves) == 2, roles
    # Two wolves and a villager join the table's voice: on Janus (the mesh cap is 0 here).
    for person in (*wolves, villager):
        person.page.get_by_role("button", name=JOIN).click()
        wait_until(
            person.page,
            "window.estaminetVoice.stats().then(s => s.crowd && s.crowd.state === 'connected')",
            timeout=20,
        )
    main_room = int(_crowd(villager.page)["room"])
    # The narrator moves on step by step until the game is at the wolves' step (read from
    # the game's screens, not from the call: a call slow to connect must not make the
    # narrator step past the night), then the wolves' private call connects.
    _accept_dialogs(narrator.page)  # the captain's election: nobody votes, the narrator goes on
    for _ in range(10):
        if _wolves_are_called(narrator.page):
            break
        _next(narrator.page)
    for _ in range(40):
        if _wolves_may_vote(wolves):
            break
        narrator.page.wait_for_timeout(500)
    assert _wolves_may_vote(wolves)
    for wolf in wolves:
        wait_until(wolf.page, WOLVES_CALLED, timeout=20)
    # Each wolf hears the other in their own room (the fake microphones beep), on Janus.
    group_rooms = {int(_stats(w.page)["groups"]["wolves"]["room"]) for w in wolves}
    assert len(group_rooms) == 1
    wolves_room = group_rooms.pop()
    assert wolves_room != main_room
    for wolf in wolves:
        start_bytes = int((_stats(wolf.page)["groups"]["wolves"] or {}).get("inbound", 0))
        wait_until(
            wolf.page,
            "window.estaminetVoice.stats()"
            f".then(s => (s.groups.wolves?.inbound || 0) > {start_bytes + 2000})",
            timeout=20,
        )
        assert _stats(wolf.page)["groups"]["wolves"]["sending"] is True
    seats = {int(_stats(w.page)["groups"]["wolves"]["participant"]) for w in wolves}
    assert set(_participants(janus, wolves_room)) == seats
    # A wolf's private call drops (Janus hangs it up): the page tries it again by itself, and
    # the two wolves hear each other again, while the table's call went on.
    dropped = wolves[0]
    _hang_up(janus, wolves_room, int(_stats(dropped.page)["groups"]["wolves"]["participant"]))
    wait_until(dropped.page, "window.estaminetVoice.stats().then(s => !s.groups.wolves?.inbound)")
    wait_until(dropped.page, WOLVES_CALLED, timeout=30)
    wait_until(
        dropped.page,
        "window.estaminetVoice.stats().then(s => (s.groups.wolves?.inbound || 0) > 2000)",
        timeout=20,
    )
    assert _crowd(dropped.page)["state"] == "connected"
    assert set(_participants(janus, wolves_room)) == seats
    # Everyone is muted in the main mix at night, wolves included (the village hears nothing).
    present = _participants(janus, main_room)
    assert len(present) == 3 and all(present.values()), present
    # The villager's page has no second call, and no frame it received names the room.
    assert _stats(villager.page)["groups"] == {}
    for frame in _voice_frames(villager):
        assert "wolves" not in str(frame)
        assert not frame.get("channels")
    assert not any(str(wolves_room) in text for text in villager.frames())
    screenshot(wolves[0].page, "voice-janus-wolves-phone")
    # The wolves choose their victim and the narrator moves on: their private call ends.
    for wolf in wolves:
        votes = [m for m in (look(wolf) or {}).get("moves", []) if "wolf_vote" in m]
        wolf.page.evaluate(CLICK_MOVE, votes[0])
    # (Decided by Janus's room, not by the wolves' buttons: those are disabled while their
    # vote is on its way, which looked like "the step is over" before it was.)
    for _ in range(3):
        _next(narrator.page)
        if _room_gone(janus, wolves_room, narrator.page):
            break
    assert not _room_exists(janus, wolves_room)
    for wolf in wolves:
        wait_until(wolf.page, "window.estaminetVoice.stats().then(s => !s.groups.wolves)")
        assert _crowd(wolf.page)["state"] == "connected"  # the table's own call goes on
