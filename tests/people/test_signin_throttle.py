"""Sign-in throttling (per account and per address) and password checks off the event loop."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from estaminet import cli
from estaminet.kernel.errors import RateLimited
from estaminet.people import passwords
from estaminet.people.actions import admin_confirm_email
from estaminet.people.throttle import SignInThrottle
from estaminet.realtime.shared_state import MemorySharedState
from estaminet.store import Database, utcnow
from tests.support.live_server import LiveServer, Person, start_server_on

_PASSWORD = "un mot de passe solide"


def _throttle(shared: MemorySharedState | None = None) -> SignInThrottle:
    return SignInThrottle(
        account_burst=3,
        account_per_minute=1.0,
        address_burst=5,
        address_per_minute=6.0,
        shared=shared,
    )


async def test_throttle_limits_one_account_then_refills() -> None:
    throttle = _throttle()
    for n in range(3):
        await throttle.check("Zoe@example.org", f"10.0.0.{n}", now=0.0)
    with pytest.raises(RateLimited) as refused:
        await throttle.check("zoe@example.org", "10.0.0.9", now=1.0)
    assert refused.value.code == "people/slow_down" and refused.value.params["minutes"] == 1
    await throttle.check("zoe@example.org", "10.0.0.9", now=61.0)


async def test_throttle_limits_one_address_across_accounts() -> None:
    throttle = _throttle()
    for n in range(5):
        await throttle.check(f"p{n}@example.org", "10.0.0.1", now=0.0)
    with pytest.raises(RateLimited):
        await throttle.check("p9@example.org", "10.0.0.1", now=0.0)
    await throttle.check("p9@example.org", "10.0.0.2", now=0.0)


async def test_throttle_keeps_a_bounded_number_of_buckets() -> None:
    shared = MemorySharedState(max_buckets=10)
    throttle = SignInThrottle(
        account_burst=1,
        account_per_minute=1.0,
        address_burst=100,
        address_per_minute=1.0,
        shared=shared,
    )
    for n in range(100):
        await throttle.check(f"p{n}@example.org", f"10.0.{n}.1", now=0.0)
    assert len(shared.buckets.buckets) == 10


@pytest.fixture(scope="module")
def live(database_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from start_server_on(
        database_backend,
        tmp_path_factory.mktemp("throttle"),
        signin_account_burst=4,
        signin_account_per_minute=0.5,
        signin_address_burst=30,
    )


async def _member(live: LiveServer, people: Any, name: str, email: str) -> Person:
    """A member whose address an admin confirmed (this venue sends no e-mail)."""
    person: Person = await people(name)
    token = await person.csrf("/me")
    made = await person.http.post(
        "/me/account", data={"csrf": token, "email": email, "password": _PASSWORD}
    )
    assert made.status_code == 303
    user_id = (await person.http.get("/me")).text.split('data-me="')[1].split('"')[0]
    db = Database(live.settings.resolved_database_url)
    try:
        admin = await cli._first_admin(db)
        assert admin is not None
        await admin_confirm_email(db, admin, user_id, utcnow(), self_membership=True)
    finally:
        await db.dispose()
    return person


async def _login(person: Person, email: str, password: str, address: str) -> Any:
    token = await person.csrf("/login")
    return await person.http.post(
        "/login",
        data={"csrf": token, "email": email, "password": password},
        headers={"x-forwarded-for": address},
    )


async def test_signin_throttle_answers_429_in_french_and_english(
    live: LiveServer, people: Any
) -> None:
    await _member(live, people, "Zoé", "zoe@example.org")
    attacker: Person = await people(locale="fr")
    answers = [
        (await _login(attacker, "zoe@example.org", f"essai {n}", "10.1.0.1")).status_code
        for n in range(4)
    ]
    assert answers == [400, 400, 400, 400]
    refused = await _login(attacker, "ZOE@example.org", _PASSWORD, "10.1.0.2")
    assert refused.status_code == 429
    assert "Trop de tentatives de connexion" in refused.text
    english: Person = await people(locale="en")
    refused = await _login(english, "zoe@example.org", _PASSWORD, "10.1.0.3")
    assert refused.status_code == 429
    assert re.search(
        r"Too many sign-in attempts\. Wait [12] min before trying again\.", refused.text
    )


async def test_signin_throttle_leaves_an_honest_person_on_another_account_alone(
    live: LiveServer, people: Any
) -> None:
    await _member(live, people, "Marc", "marc@example.org")
    attacker: Person = await people()
    for n in range(6):
        await _login(attacker, "victim@example.org", f"essai {n}", "10.2.0.1")
    assert (await _login(attacker, "victim@example.org", "x", "10.2.0.1")).status_code == 429
    honest: Person = await people()
    assert (await _login(honest, "marc@example.org", _PASSWORD, "10.2.0.9")).status_code == 303


class _SlowHasher:
    """A hasher whose checks wait for the test to let them go."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def hash(self, password: str) -> str:
        return "fake$" + password

    def verify(self, hash: str, password: str) -> bool:
        self.entered.set()
        assert self.release.wait(30)
        return hash == "fake$" + password

    def check_needs_rehash(self, hash: str) -> bool:
        return False


async def test_health_answers_while_a_password_check_is_blocked(
    live: LiveServer, people: Any, tmp_path: Path
) -> None:
    slow = _SlowHasher()
    previous = passwords.configure(passwords.PasswordWork(slow, workers=1, queue=0))
    try:
        await _member(live, people, "Lou", "lou@example.org")
        person: Person = await people()
        login = asyncio.create_task(_login(person, "lou@example.org", _PASSWORD, "10.3.0.1"))
        assert await asyncio.to_thread(slow.entered.wait, 30)
        health = await person.http.get("/healthz")
        assert health.status_code == 200
        # A second check finds the one thread busy and no room to wait: refused, not queued.
        busy = await _login(await people(), "lou@example.org", _PASSWORD, "10.3.0.2")
        assert busy.status_code == 429 and "Try again in a moment" not in busy.text
        assert "Réessaie dans un instant" in busy.text
        assert not login.done()
        slow.release.set()
        assert (await login).status_code == 303
    finally:
        slow.release.set()
        passwords.configure(previous)
