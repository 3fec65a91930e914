"""What the browser tests share: a running venue, the people visiting it, waiting helpers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Dialog, Page, expect
from playwright.sync_api import Error as PlaywrightError

from estaminet import cli
from estaminet.people.model import Role
from estaminet.realtime import patch
from estaminet.settings import Settings

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    # Voice: Chromium's fake microphone (a beeping tone), allowed without a prompt.
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
STARTUP_SECONDS = 30.0
PHONE: dict[str, Any] = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
PHONE_390: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
"""The phone of the docs' pictures (390 px wide)."""


# -- the venue server ------------------------------------------------------------------


class ServerFailed(RuntimeError):
    """The demo server did not come up; carries the end of its log."""


@dataclass
class Venue:
    """A running demo venue: its address, the links the demo printed, how to run the CLI."""

    base_url: str
    admin_link: str
    invite_link: str
    data_dir: Path
    env: Mapping[str, str]
    database_url: str

    def cli(self, *args: str) -> str:
        """Run ``estaminet`` on this venue's data; returns what it printed."""
        done = subprocess.run(
            [sys.executable, "-m", "estaminet.cli", "--data-dir", str(self.data_dir), *args],
            env=dict(self.env),
            cwd=self.data_dir.parent,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, f"estaminet {' '.join(args)} failed:\n{done.stderr}"
        return done.stdout

    def create_invite(self, *, uses: int | None = None, role: str = "guest") -> str:
        """A new invite link, made by ``estaminet invite create``'s own code (``cli._invite``,
        with the command's default of 7 days) in this process: a new Python for each link
        cost a second or more. The command itself is tested in tests/test_cli.py."""
        settings = Settings(
            data_dir=self.data_dir, database_url=self.database_url, base_url=self.base_url
        )
        made = cli._invite(settings, Role(role), 7.0, uses, "")
        # In a thread: while Playwright's sync API lives, this thread has its event loop.
        with ThreadPoolExecutor(max_workers=1) as pool:
            link = pool.submit(asyncio.run, made).result(timeout=60)
        return printed_link(link, "i", self.base_url)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(extra: Mapping[str, str], base_url: str) -> dict[str, str]:
    """This process's environment without any ESTAMINET_* setting, plus the module's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESTAMINET_")}
    env["ESTAMINET_BASE_URL"] = base_url
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_until_healthy(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    with httpx.Client(timeout=1.0) as client:
        while True:
            if process.poll() is not None:
                raise ServerFailed(f"the demo exited with {process.returncode}:\n{tail(log)}")
            try:
                if client.get(base_url + "/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise ServerFailed(f"the demo did not answer /healthz in time:\n{tail(log)}")
            time.sleep(0.1)


def printed_link(text: str, kind: str, base_url: str) -> str:
    found = re.search(rf"{re.escape(base_url)}/{kind}/[\w-]+", text)
    assert found, f"no /{kind}/ link was printed:\n{text}"
    return found.group(0)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


# -- people ------------------------------------------------------------------------


@dataclass
class Visitors:
    """Opens one browser context per person and closes them all at the end of the test.

    Uncaught script errors, CSP violations and alert dialogs are collected in
    ``problems``: the ``people`` fixture fails the test when there are any.
    """

    browser: Browser
    venue: Venue
    contexts: list[BrowserContext] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    left_in_voice: list[str] = field(default_factory=list)

    def context(self, **options: Any) -> BrowserContext:
        options.setdefault("locale", "fr-BE")
        options.setdefault("viewport", {"width": 1280, "height": 800})
        context = self.browser.new_context(base_url=self.venue.base_url, **options)
        context.set_default_timeout(15_000)
        context.on("page", self._watch)
        self.contexts.append(context)
        return context

    def _watch(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: {error}"))
        page.on("console", lambda message: self._console(page, message))
        page.on("dialog", lambda dialog: self._dialog(page, dialog))

    def _console(self, page: Page, message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.problems.append(f"{page.url}: {message.text}")

    def _dialog(self, page: Page, dialog: Dialog) -> None:
        # confirm() is left to the test that expects it; an alert() is always a problem.
        # Leaving a page while in a voice call asks first (beforeunload): the person says yes,
        # and the tests that check the question read ``left_in_voice``.
        if dialog.type == "beforeunload":
            self.left_in_voice.append(page.url)
            dialog.accept()
        elif dialog.type == "alert":
            self.problems.append(f"{page.url}: unexpected alert({dialog.message!r})")
            dialog.dismiss()

    def guest(
        self,
        name: str,
        *,
        invite: str | None = None,
        context: BrowserContext | None = None,
        **options: Any,
    ) -> Page:
        """A new person opens an invite, types ``name`` and lands on the floor plan."""
        page = (context or self.context(**options)).new_page()
        response = page.goto(invite or self.venue.invite_link)
        assert response is not None
        assert response.status == 200
        page.locator("#name").fill(name)
        page.locator("main form [type=submit]").click()
        expect(page).to_have_url(re.compile(r"/\?welcome=1$"))
        expect(page.locator(".plan-grid")).to_be_visible()
        return page

    def sign_up(self, name: str, *, context: BrowserContext | None = None, **options: Any) -> Page:
        """A new person comes in through the invite without the form's two page loads: the
        form is sent by the context's own HTTP client (its cookies are the context's). Returns
        a blank page of theirs, for a test that takes them straight to where it is about
        (``guest`` goes through the form and lands on the floor plan, as a person does)."""
        context = context or self.context(**options)
        link = self.venue.invite_link
        form = context.request.get(link)
        assert form.status == 200, form.status
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text())
        assert csrf, "the invite page has no form"
        answer = context.request.post(
            link,
            form={"csrf": csrf.group(1), "name": name},
            headers={"Origin": self.venue.base_url},
            max_redirects=0,
        )
        assert answer.status in (302, 303), f"{answer.status}: {answer.text()[:300]}"
        assert answer.headers["location"].endswith("/?welcome=1"), answer.headers["location"]
        return context.new_page()

    def admin(self) -> Page:
        """The venue's admin signs in with the one-time link the demo printed."""
        page = self.context().new_page()
        page.goto(self.venue.admin_link)
        page.locator("main form [type=submit]").click()
        expect(page.locator(".plan-grid")).to_be_visible()
        expect(page.locator("body")).to_have_attribute("data-role", "admin")
        return page

    def screenshot_all(self, stem: str) -> None:
        folder = ARTIFACTS / "failures"
        folder.mkdir(parents=True, exist_ok=True)
        pages = [page for context in self.contexts for page in context.pages]
        for number, page in enumerate(pages):
            with contextlib.suppress(Exception):  # a closed or crashed page: nothing to keep
                page.screenshot(path=str(folder / f"{stem}-{number}.png"), full_page=True)

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()


# -- waiting and looking ---------------------------------------------------------------


def wait_until(page: Page, script: str, *, timeout: float = 15.0) -> None:
    """Wait for a script expression to become true in the page.

    ``page.wait_for_function`` evaluates its argument with ``eval``, which the
    venue's strict CSP rightly forbids; ``page.evaluate`` goes through DevTools.
    """
    deadline = time.monotonic() + timeout
    while not evaluate_within(page, script, seconds=min(5.0, timeout), pending=False):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {script}")
        page.wait_for_timeout(50)


_PENDING = "__estaminet_test_pending__"


def evaluate_within(
    page: Page, script: str, *, seconds: float = 10.0, pending: Any = _PENDING
) -> Any:
    """``page.evaluate`` of an expression, bounded in time.

    Playwright waits for ever on a promise that never settles (a ``getStats()`` of a
    call being torn down on a loaded machine, say), and a test stuck there is only
    stopped by pytest-timeout, which can take the shared browser down with it. Here
    the page itself gives up after ``seconds``: ``pending`` is returned if given,
    else the test fails with a clear message.
    """
    bounded = (
        f"Promise.race([Promise.resolve().then(() => ({script})),"
        f" new Promise((resolve) => setTimeout(() => resolve({_PENDING!r}), {int(seconds * 1000)}))])"
    )
    found = page.evaluate(bounded)
    if found == _PENDING:
        if pending is not _PENDING:
            return pending
        raise AssertionError(f"the page did not answer in {seconds} s: {script}")
    return found


WIRED = (
    "(() => { const p = document.getElementById('page');"
    " return !p || p.dataset.modules === '' || p.hasAttribute('data-ready'); })()"
)
"""The page's screens are wired: every module it declares imported and set up (main.js)."""

SETTLED = (
    f"document.readyState === 'complete' && {WIRED}"
    " && (!document.body.dataset.me || !!(window.estaminet && window.estaminet.online))"
)


def wait_settled(page: Page) -> None:
    """Wait until the page has loaded, its screens are wired (``#page[data-ready]``: every
    module it declares is imported and has set up its controls) and, for someone signed in,
    its live connection is open: what a person sees once the page is ready, without
    Playwright's ``networkidle`` (half a second of network quiet on every page)."""
    wait_until(page, SETTLED)


def mark_for_reload(page: Page) -> None:
    """Mark the page's document, before a change that makes it load itself afresh (a table
    page whose status changes: ``table.js``); :func:`wait_reloaded` waits for the new one."""
    page.evaluate("window.__beforeReload = true")


def wait_reloaded(page: Page, timeout: float = 20.0) -> None:
    """Wait until the page marked by :func:`mark_for_reload` has been loaded afresh, is
    wired and online: the test's next look or navigation does not race the page's own."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(PlaywrightError):  # the context went with the reload
            if page.evaluate(f"!window.__beforeReload && ({SETTLED})"):
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"{page.url} was not loaded afresh")
        time.sleep(0.05)


def wait_online(page: Page) -> None:
    """Wait until the page's live connection is open."""
    wait_until(page, "!!(window.estaminet && window.estaminet.online)")


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Keep a picture in test-artifacts/ (git-ignored) for people to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def chat_input(page: Page) -> Any:
    return page.locator("form[data-chat-form] textarea")


def say(page: Page, text: str) -> None:
    """Type a chat message and send it with Enter, as a person would, once the chat's script
    is wired (before, Enter is a new line in the box, as for anyone on a slow phone)."""
    wait_until(page, WIRED)
    box = chat_input(page)
    box.fill(text)
    box.press("Enter")


def messages(page: Page, room: str) -> Any:
    """The chat messages of ``room`` on ``page``."""
    return page.locator(f"#chat-log-{room} li.msg")


def with_patches_applied(text: str, kept: dict[str, list[str]]) -> str:
    """A frame as a test records it: each ``patch`` op becomes the whole screen it makes
    (``html``, its ``edits`` dropped), as the page (``static/js/ops.js``) applies it to its
    last kept copy, so that secrecy checks read whole screens (a patch's pieces lack the
    context, "the game is over", that says what a screen may show). ``kept``: one socket's
    copies, by target. A patch that does not fit is left as it came (the page asks for the
    whole screen again)."""
    try:
        frame = json.loads(text)
    except ValueError:
        return text
    if not isinstance(frame, dict) or frame.get("type") != "event":
        return text
    patched = False
    for op in frame.get("ops") or []:
        target = str(op.get("target"))
        if op.get("op") == "replace" and op.get("keep"):
            kept[target] = patch.tokens(op["html"])
        elif op.get("op") == "patch" and target in kept:
            try:
                after = patch.apply_edits(kept[target], op["edits"])
            except ValueError:
                continue
            html = "".join(after)
            if patch.checksum(html) == op["crc"]:
                kept[target], op["html"], patched = after, html, True
                del op["edits"]
    if not patched:
        return text
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


# The page's own ops module (the instance main.js uses: its versioned address).
_APPLY_OPS = """async ([ops, present]) => {
  const link = [...document.querySelectorAll('link[rel=modulepreload]')]
    .find((l) => /\\/ops\\.[^/]*js$/.test(new URL(l.href).pathname));
  (await import(link.href)).applyOps(ops);
  return present ? document.querySelector(present) !== null : true;
}"""


def apply_ops(page: Page, ops: list[dict[str, Any]], *, present: str | None = None) -> bool:
    """Apply ``ops`` as if the server had sent them; whether ``present`` matches right after
    (read in the same turn of the page's loop, before any frame can change it)."""
    return bool(page.evaluate(_APPLY_OPS, [ops, present]))


def redraw(page: Page, target: str) -> None:
    """The server's redraw of ``target`` after someone else's move: the same HTML again."""
    html = page.locator(target).evaluate("e => e.outerHTML")
    apply_ops(page, [{"op": "replace", "target": target, "html": html}])
