"""A real Janus per test module (Debian's package, free loopback ports, its own folder)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator

import pytest

from estaminet.media.janus.audiobridge import JanusCrowd
from tests.conftest import FixedClock
from tests.support.janus import RunningJanus, run_janus


@pytest.fixture(scope="module")
def janus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningJanus]:
    yield from run_janus(tmp_path_factory.mktemp("janus") / "conf")


@pytest.fixture
def room_key() -> str:
    """Each test its own key: its own room numbers and tickets on the module's Janus."""
    return secrets.token_hex(8)


@pytest.fixture
async def crowd(janus: RunningJanus, clock: FixedClock, room_key: str) -> AsyncIterator[JanusCrowd]:
    client = janus.client()
    yield JanusCrowd(
        client,
        public_url=janus.layout.url,
        key=room_key,
        room_admin_key=janus.layout.room_admin_key,
        ticket_seconds=120,
        clock=clock,
    )
    await client.aclose()
