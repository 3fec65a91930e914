"""Real browsers across a server crash: a secret vote's key holders' pages keep the key, and
a room page that comes back lists who is there now.

Anaïs (facilitator) opens a secret vote; her page and Bruno's (secretary)
fetch their halves of the ballot box's key and confirm: Anaïs sees "Clé de
l'urne gardée par Anaïs ✔ reçue, Bruno ✔ reçue". Chloé and Bruno vote;
Bruno leaves the sitting page; the server is killed (SIGKILL) and started
again. Anaïs's page comes back by itself and gives her half back, but the
box stays locked without Bruno's: everyone sees it, voting goes on, and
closing is refused with the reason. Bruno opens the page again in the same
browser: the box unlocks, Anaïs counts, and both browsers forget their halves.
Pictures of the locked box (desktop and a 390 px phone) go to test-artifacts/.

In the bar, Wanda's page lists Ana and Basile; the server is killed, Basile's tab is closed
meanwhile, and Wanda's browser stays offline while the new process sees Ana come back and
four others arrive, so that its numbers of the room's list pass the one Wanda's page
stopped at. Back online, her page lists Ana and the four, not Basile: a number from
before the restart is answered with the list as it is now (docs/protocol.md, "era").
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.databases import fresh_database

from .assembly_helpers import action_button
from .helpers import (
    PHONE,
    ServerFailed,
    Venue,
    Visitors,
    free_port,
    printed_link,
    screenshot,
    server_env,
    stop,
    wait_online,
    wait_until,
)

pytestmark = pytest.mark.browser

KEYS = "Object.keys(localStorage).filter((k) => k.startsWith('estaminet.ballot-key')).length"


@dataclass
class Crashable:
    """A demo venue whose server can be killed and started again on the same port and data."""

    venue: Venue
    home: Path
    port: int
    process: subprocess.Popen[bytes]

    def start(self) -> None:
        from .helpers import wait_until_healthy

        log = self.home / "server.log"
        with (self.home / "stdout.txt").open("ab") as out, log.open("ab") as err:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "estaminet.cli",
                    "--data-dir",
                    str(self.venue.data_dir),
                    "demo",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                cwd=self.home,
                env=dict(self.venue.env),
                stdout=out,
                stderr=err,
            )
        try:
            wait_until_healthy(self.process, self.venue.base_url, log)
        except ServerFailed as exc:
            pytest.fail(str(exc))

    def crash(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=15)

    def crash_and_restart(self) -> None:
        self.crash()
        self.start()


@pytest.fixture(scope="module")
def crashable(
    database_backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Crashable]:
    home = tmp_path_factory.mktemp("crash")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with fresh_database(database_backend, home, migrate=False) as database_url:
        env = server_env({"ESTAMINET_DATABASE_URL": database_url}, base_url)
        placeholder = Venue(base_url, "", "", home / "data", env, database_url)
        server = Crashable(placeholder, home, port, None)  # type: ignore[arg-type]
        server.start()
        try:
            text = (home / "stdout.txt").read_text()
            server.venue = Venue(
                base_url=base_url,
                admin_link=printed_link(text, "l", base_url),
                invite_link=printed_link(text, "i", base_url),
                data_dir=home / "data",
                env=env,
                database_url=database_url,
            )
            yield server
        finally:
            stop(server.process)


@pytest.fixture(scope="module")
def venue(crashable: Crashable) -> Venue:
    return crashable.venue


def keepers(page: Page) -> object:
    return expect(page.locator(".vote-keepers"))


def test_a_secret_vote_survives_a_crash_and_the_holders_pages_unlock_it(
    people: Visitors, venue: Venue, crashable: Crashable
) -> None:
    anais = people.guest("Anaïs", invite=venue.create_invite(role="animator", uses=1))
    member_invite = venue.create_invite(role="member", uses=2)
    bruno = people.guest("Bruno", invite=member_invite)
    chloe = people.guest(
        "Chloé", invite=member_invite, **{**PHONE, "viewport": {"width": 390, "height": 844}}
    )
    anais.goto("/r/ag/assemblies/new")
    anais.locator("#prep-title").fill("AG secrète")
    anais.locator("#prep-agenda").fill("Élection (10 min)")
    anais.locator("input[name=voters_mode][value=list]").check()
    for name in ("Anaïs", "Bruno", "Chloé"):
        anais.locator(".prepare-people").get_by_label(name, exact=True).check()
    anais.locator("#prep-quorum").select_option("none")
    anais.locator("#prep-facilitator").select_option(label="Anaïs")
    anais.locator("#prep-secretary").select_option(label="Bruno")
    anais.locator(".sitting-prepare form button[type=submit]").click()
    expect(anais).to_have_url(re.compile(r"/a/\d+$"))
    sitting = anais.url.rsplit("/", 1)[1]
    for page in (anais, bruno, chloe):
        if page is not anais:
            page.goto(f"/a/{sitting}")
        wait_online(page)
        action_button(page, "attendance.check_in").click()
        expect(page.locator(".sitting-mine")).to_contain_text("✔")
    action_button(anais, "sitting.open").click()
    action_button(anais, "agenda.next_item").click()
    anais.locator(".vote-prepare summary").click()
    anais.locator("#vp-question").fill("Élire Camille ?")
    anais.locator("input[data-key='vote.secret']").check()
    anais.locator("form[data-sitting-form*='\"vote.prepare\"'] button[type=submit]").click()
    action_button(anais, "vote.open").click()

    # Both pages fetched and confirmed their half of the key.
    kept = anais.locator(".vote-keepers")
    expect(kept).to_contain_text("Anaïs")
    expect(kept).to_contain_text("Bruno")
    expect(kept.locator(".badge", has_text="reçue")).to_have_count(2)
    wait_until(anais, f"{KEYS} === 1")
    wait_until(bruno, f"{KEYS} === 1")
    action_button(chloe, "vote.cast", ballot="yes").click()
    action_button(bruno, "vote.cast", ballot="no").click()
    expect(anais.locator(".vote-participation")).to_contain_text("2")

    bruno.goto("/")  # Bruno's browser keeps its half, but his sitting page is closed
    crashable.crash_and_restart()

    # Anaïs's and Chloé's pages reconnect by themselves; without Bruno's half, it stays locked.
    for page in (anais, chloe):
        expect(page.locator(".vote-lock")).to_contain_text("verrouillée", timeout=30_000)
    action_button(anais, "vote.cast", ballot="abstain").click()  # voting goes on
    expect(anais.locator(".vote-participation")).to_contain_text("3")
    action_button(anais, "vote.close").click()
    expect(anais.locator(".table-error")).to_contain_text("verrouillée")
    screenshot(anais, "secret-ballot-locked-desktop")
    screenshot(chloe, "secret-ballot-locked-phone")

    bruno.goto(f"/a/{sitting}")  # the same browser: his page gives his half back
    for page in (anais, chloe, bruno):
        expect(page.locator(".vote-lock")).to_have_count(0, timeout=20_000)
    action_button(anais, "vote.close").click()
    result = anais.locator(".vote--closed .result__counts")
    expect(result).to_contain_text("1")
    expect(anais.locator(".vote--closed .result")).to_contain_text("Oui 1")
    expect(anais.locator(".vote--closed .result")).to_contain_text("Non 1")
    expect(anais.locator(".vote--closed .result")).to_contain_text("Abstention 1")
    wait_until(anais, f"{KEYS} === 0")  # counted: the halves are forgotten
    wait_until(bruno, f"{KEYS} === 0")


def _listed(page: Page) -> list[str]:
    return list(page.locator("[data-people='bar'] .person-name").all_inner_texts())


def test_a_room_page_back_after_a_crash_lists_who_is_there_now(
    people: Visitors, crashable: Crashable
) -> None:
    pages = {}
    for name in ("Wanda", "Ana", "Basile"):
        pages[name] = people.sign_up(name)
        pages[name].goto("/r/bar")
        wait_online(pages[name])
    wanda = pages["Wanda"]
    people_list = wanda.locator("[data-people='bar']")
    for name in ("Wanda", "Ana", "Basile"):
        expect(people_list).to_contain_text(name)
    wait_until(wanda, "window.estaminet.last.get('presence:bar') >= 1")
    before = int(wanda.evaluate("window.estaminet.last.get('presence:bar')"))

    wanda.context.set_offline(True)
    crashable.crash()
    pages["Basile"].context.close()  # Basile does not come back
    crashable.start()
    wait_online(pages["Ana"])  # Ana's page comes back by itself
    arrivals = ("Chloé", "Dédé", "Éloi", "Fatou")
    for name in arrivals:
        pages[name] = people.sign_up(name)
        pages[name].goto("/r/bar")
        wait_online(pages[name])
        pages[name].wait_for_timeout(400)  # each arrival in a frame of its own
    newcomer = pages["Fatou"]
    wait_until(newcomer, f"window.estaminet.last.get('presence:bar') > {before}")

    wanda.context.set_offline(False)
    wait_online(wanda)
    for name in ("Wanda", "Ana", *arrivals):
        expect(people_list).to_contain_text(name)
    expect(people_list).not_to_contain_text("Basile")
    # Wanda's arrival reaches the others' pages a moment after her own page has its list.
    expect(newcomer.locator("[data-people='bar']")).to_contain_text("Wanda")
    assert sorted(_listed(wanda)) == sorted(_listed(newcomer))
    count = newcomer.locator("[data-people-count='bar']").inner_text()
    expect(wanda.locator("[data-people-count='bar']")).to_have_text(count)

    # Through the shell to the floor plan and back (one document, no load): the page's era is
    # the restarted server's, the bar's box counts the others, and the list is right again.
    wanda.evaluate("window.sameDocument = true")
    menu = wanda.get_by_role("navigation", name="Menu principal")
    menu.get_by_role("link", name="Le lieu", exact=True).click()
    expect(wanda.locator(".plan-grid")).to_be_visible()
    others = str(int(count) - 1)  # Wanda left the bar for the plan
    expect(wanda.locator("[data-occupants='bar'] .occupants-count")).to_contain_text(others)
    wanda.locator("a.plan-room--bar").click()
    expect(wanda).to_have_url(re.compile(r"/r/bar$"))
    assert wanda.evaluate("window.sameDocument === true")
    era = newcomer.evaluate("document.body.dataset.era")
    assert era and wanda.evaluate("document.body.dataset.era") == era
    for name in ("Wanda", "Ana", *arrivals):
        expect(people_list).to_contain_text(name)
    expect(people_list).not_to_contain_text("Basile")
    expect(wanda.locator("[data-people-count='bar']")).to_have_text(count)
