"""Browser tests: a real demo venue per module, one Debian Chromium per session.

Each test module gets its own server (``estaminet demo`` in a temporary folder,
on a free loopback port); a module changes the server's settings by overriding
the ``venue_env`` fixture. Each person in a test is a separate browser context
(separate cookies), all in the one browser of the session.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Playwright, expect
from playwright.sync_api import Error as PlaywrightError

from tests.support.databases import fresh_database

from .helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    IN_CI,
    ServerFailed,
    Venue,
    Visitors,
    free_port,
    printed_link,
    server_env,
    stop,
    wait_until_healthy,
)

expect.set_options(timeout=10_000)

_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
_HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without Chromium, skip the browser tests locally; in CI, let them fail loudly."""
    if CHROMIUM.exists() or IN_CI:
        return
    skip = pytest.mark.skip(reason=f"Debian Chromium is not installed at {CHROMIUM}")
    for item in items:
        if _HERE in item.path.parents:
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


class _Chromium:
    """Playwright's driver and Debian's Chromium, started again if one of them died.

    A test stopped by pytest-timeout in the middle of a Playwright call can leave the
    browser (or the driver) closed; the next module then gets a fresh one instead of
    failing with ``TargetClosedError`` for a fault that was not its own.
    """

    def __init__(self) -> None:
        self._manager: Any = None
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    def browser(self) -> Browser:
        if self._browser is not None and self._browser.is_connected():
            return self._browser
        try:
            self._browser = self._launch()
        except PlaywrightError:
            self.close()  # the driver itself is gone: start it again
            self._browser = self._launch()
        return self._browser

    def _launch(self) -> Browser:
        if self._playwright is None:
            from playwright.sync_api import sync_playwright

            self._manager = sync_playwright()
            self._playwright = self._manager.start()
        return self._playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)

    def close(self) -> None:
        browser, self._browser = self._browser, None
        if browser is not None:
            with contextlib.suppress(Exception):
                browser.close()
        manager, self._manager, self._playwright = self._manager, None, None
        if manager is not None:
            with contextlib.suppress(Exception):
                manager.__exit__(None, None, None)


@pytest.fixture(scope="package")
def chromium() -> Iterator[_Chromium]:
    """The Chromium of the browser tests (Debian's, never a downloaded one).

    Package-scoped: Playwright's sync API runs an event loop in the main thread while
    it lives, so it must be gone before the asyncio tests of other packages run.
    """
    if not CHROMIUM.exists():
        pytest.fail(f"Debian Chromium is not installed at {CHROMIUM}; CI must run browser tests")
    holder = _Chromium()
    try:
        yield holder
    finally:
        holder.close()


@pytest.fixture(scope="module")
def browser(chromium: _Chromium) -> Browser:
    """The shared browser, checked at each module (and relaunched if a test killed it)."""
    return chromium.browser()


@pytest.fixture(scope="module")
def venue_env() -> dict[str, str]:
    """Extra ``ESTAMINET_*`` settings for this module's server (a module overrides it)."""
    return {}


@pytest.fixture(scope="module")
def venue(
    venue_env: dict[str, str], database_backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Venue]:
    """``estaminet demo`` on a free port in a temporary folder, stopped even on failure.

    Its database is a fresh one on the module's backend (see ``database_backend``), migrated
    already (a copy of the process's template): the server's start finds it at the head.
    """
    home = tmp_path_factory.mktemp("venue")
    with fresh_database(database_backend, home) as database_url:
        yield from _serve_demo(home, {"ESTAMINET_DATABASE_URL": database_url, **venue_env})


def _serve_demo(home: Path, settings: dict[str, str]) -> Iterator[Venue]:
    data_dir = home / "data"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = server_env(settings, base_url)
    printed, log = home / "stdout.txt", home / "server.log"
    # Files, not pipes: uvicorn's access log goes to stdout and would fill a pipe nobody reads.
    with printed.open("wb") as stdout, log.open("wb") as stderr:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "estaminet.cli", "--data-dir", str(data_dir)),
                *("demo", "--host", "127.0.0.1", "--port", str(port)),
            ],
            cwd=home,
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
    try:
        try:
            wait_until_healthy(process, base_url, log)
        except ServerFailed as exc:
            pytest.fail(str(exc))
        text = printed.read_text()
        yield Venue(
            base_url=base_url,
            admin_link=printed_link(text, "l", base_url),
            invite_link=printed_link(text, "i", base_url),
            data_dir=data_dir,
            env=env,
            database_url=env["ESTAMINET_DATABASE_URL"],
        )
    finally:
        stop(process)


@pytest.fixture
def people(browser: Browser, venue: Venue, request: pytest.FixtureRequest) -> Iterator[Visitors]:
    """The people of one test, one browser context each; closed at the end of the test."""
    visitors = Visitors(browser, venue)
    try:
        yield visitors
        call = request.node.stash.get(_REPORTS, {}).get("call")
        if call is not None and call.failed:
            visitors.screenshot_all(re.sub(r"\W+", "_", request.node.name))
    finally:
        visitors.close()
    if visitors.problems:
        pytest.fail("the pages reported problems:\n" + "\n".join(visitors.problems))
