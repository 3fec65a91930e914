"""Six Chromium pages join one crowded room through ``voice-janus.js`` and hear the mix.

The page is a small harness (``harness/``) served on 127.0.0.1 with Estaminet's
CSP, which must allow the Janus address and nothing else; the tickets come from
:class:`JanusCrowd` on a real Janus. Chromium's fake microphone is the voice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from estaminet.media.janus.audiobridge import JanusCrowd
from tests.support.janus import IN_CI, RunningJanus
from tests.support.pages import serve_pages

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
MEDIA_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]
HARNESS = Path(__file__).parent / "harness"
PEOPLE = 6


@pytest.fixture(scope="module")
def pages(janus: RunningJanus) -> Iterator[str]:
    with serve_pages(HARNESS, connect_to=[janus.layout.url]) as base:
        yield base


@pytest.fixture(scope="module")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail(f"Debian Chromium is not installed at {CHROMIUM}")
        pytest.skip(f"Debian Chromium is not installed at {CHROMIUM}")
    return CHROMIUM


@pytest.fixture
async def browser(chromium_path: Path) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(chromium_path), args=MEDIA_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


def _ticket(ticket: Any) -> dict[str, Any]:
    data = dataclasses.asdict(ticket)
    data["expires_at"] = ticket.expires_at.isoformat()
    return data


async def _open(browser: Any, pages: str, problems: list[str]) -> Any:
    context = await browser.new_context()
    page = await context.new_page()
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and "Content Security Policy" in m.text
            else None
        ),
    )
    await page.goto(f"{pages}/index.html")
    await page.wait_for_function("window.harnessReady === true")
    return page


async def _until(page: Any, script: str, test: Any, within: float = 20.0) -> Any:
    """Evaluate ``script`` until ``test(value)`` holds (bounded), and return the value."""
    async with asyncio.timeout(within):
        while True:
            value = await page.evaluate(script)
            if test(value):
                return value
            await asyncio.sleep(0.2)


async def test_six_pages_hear_the_mix(
    browser: Any, pages: str, janus: RunningJanus, crowd: JanusCrowd
) -> None:
    problems: list[str] = []
    people = [await _open(browser, pages, problems) for _ in range(PEOPLE)]
    tickets = [await crowd.admit("bar", f"u-{n}", f"Person {n}") for n in range(PEOPLE)]

    joined = await asyncio.gather(
        *(
            page.evaluate("([t, ice]) => window.harness.join(t, ice)", [_ticket(t), []])
            for page, t in zip(people, tickets, strict=True)
        )
    )
    assert joined == [{"ok": True}] * PEOPLE, joined

    for page in people:
        await _until(page, "window.harness.states", lambda s: "connected" in s)
        first = await _until(page, "window.harness.audio()", lambda a: a["bytesReceived"] > 0)
        await _until(
            page,
            "window.harness.audio()",
            lambda a, first=first: a["bytesReceived"] > first["bytesReceived"],
        )
        assert await page.evaluate("window.harness.remoteStreams") >= 1
    assert len(await crowd.present("bar") or {}) == PEOPLE

    await people[0].evaluate("window.harness.leave()")
    for _ in range(100):
        if len(await crowd.present("bar") or {}) == PEOPLE - 1:
            break
        await asyncio.sleep(0.1)
    assert len(await crowd.present("bar") or {}) == PEOPLE - 1
    assert problems == []


async def test_join_with_forged_token_refused_by_janus(
    browser: Any, pages: str, crowd: JanusCrowd
) -> None:
    problems: list[str] = []
    page = await _open(browser, pages, problems)
    real = await crowd.admit("bar-forged", "u-eve", "Eve")
    forged = _ticket(dataclasses.replace(real, token=secrets.token_urlsafe(24)))

    result = await page.evaluate("([t, ice]) => window.harness.join(t, ice)", [forged, []])

    assert result["ok"] is False
    assert result["code"] == 403, json.dumps(result)  # Janus: unauthorized token
    assert await page.evaluate("window.harness.states") == ["connecting", "failed"]
    assert problems == []


async def test_join_other_room_refused_by_janus(
    browser: Any, pages: str, crowd: JanusCrowd
) -> None:
    problems: list[str] = []
    page = await _open(browser, pages, problems)
    other = await crowd.admit("room-b", "u-bob", "Bob")
    mine = await crowd.admit("room-a", "u-eve", "Eve")
    wrong = _ticket(dataclasses.replace(mine, room=other.room))

    result = await page.evaluate("([t, ice]) => window.harness.join(t, ice)", [wrong, []])

    assert result == {"ok": False, "code": 489, "message": result["message"]}
    assert problems == []


async def test_release_during_call_fails_the_page(
    browser: Any, pages: str, crowd: JanusCrowd
) -> None:
    problems: list[str] = []
    page = await _open(browser, pages, problems)
    ticket = await crowd.admit("bar-release", "u-eve", "Eve")
    assert await page.evaluate(
        "([t, ice]) => window.harness.join(t, ice)", [_ticket(ticket), []]
    ) == {"ok": True}
    await _until(page, "window.harness.states", lambda s: "connected" in s)

    await crowd.release("bar-release", "u-eve")  # a moderator removes Eve from voice

    states = await _until(page, "window.harness.states", lambda s: s[-1] == "failed")
    assert states[0] == "connecting" and "connected" in states
    assert problems == []


async def test_janus_down_during_call_page_reconnects_then_fails(
    browser: Any, pages: str, janus: RunningJanus, crowd: JanusCrowd
) -> None:
    problems: list[str] = []
    page = await _open(browser, pages, problems)
    ticket = await crowd.admit("bar-down", "u-eve", "Eve")
    assert await page.evaluate(
        "([t, ice]) => window.harness.join(t, ice)", [_ticket(ticket), []]
    ) == {"ok": True}
    await _until(page, "window.harness.states", lambda s: "connected" in s)

    janus.stop()
    try:
        states = await _until(page, "window.harness.states", lambda s: s[-1] == "failed", within=60)
    finally:
        janus.start()  # for the modules' later tests
    assert states[:2] == ["connecting", "connected"]
    assert "reconnecting" in states
    assert problems == []
