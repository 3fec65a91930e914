"""Janus down, back, restarted, or refusing Estaminet: crowd voice says so and recovers."""

from __future__ import annotations

from pathlib import Path

import pytest

from estaminet.media.crowd import CrowdUnavailable
from estaminet.media.janus.audiobridge import JanusCrowd
from estaminet.media.janus.client import JanusClient
from estaminet.media.janus.config import JanusLayout, write_config
from estaminet.translations import translate
from tests.support import janus as janus_support
from tests.support.janus import (
    BrowserSide,
    JanusRefusal,
    RunningJanus,
    janus_layout,
    require_janus,
)
from tests.support.live_server import free_port


def _crowd(client: JanusClient, janus: RunningJanus | None = None) -> JanusCrowd:
    return JanusCrowd(
        client,
        public_url=client.url,
        key="test-room-key",
        room_admin_key=janus.layout.room_admin_key if janus else None,
        ticket_seconds=120,
    )


async def _joins(url: str, room: int, participant: int, token: str) -> bool:
    side = BrowserSide(url, token)
    try:
        await side.open()
        await side.join(room, participant)
    except JanusRefusal:
        return False
    finally:
        await side.aclose()
    return True


async def test_admit_janus_unreachable_unavailable_with_translated_message() -> None:
    port = free_port()  # nothing listens there
    client = JanusClient(
        f"http://127.0.0.1:{port}/janus", f"http://127.0.0.1:{port}/admin", "s", timeout=1.0
    )
    crowd = _crowd(client)
    try:
        assert await crowd.healthy() is False
        with pytest.raises(CrowdUnavailable) as down:
            await crowd.admit("bar", "u-alice", "Alice")
        assert down.value.code == "voice/crowd_unavailable"
        assert down.value.status == 503
        assert translate("fr", down.value.message).startswith("Le serveur vocal")
    finally:
        await client.aclose()


async def test_admit_wrong_admin_secret_refused(janus: RunningJanus) -> None:
    client = JanusClient(janus.layout.url, janus.layout.admin_url, "not-the-secret")
    try:
        with pytest.raises(CrowdUnavailable) as refused:
            await _crowd(client, janus).admit("bar", "u-alice", "Alice")
        assert refused.value.code == "voice/crowd_refused"
        assert translate("fr", refused.value.message) != refused.value.message
    finally:
        await client.aclose()


async def test_admit_janus_down_then_back(janus: RunningJanus) -> None:
    client = janus.client()
    crowd = _crowd(client, janus)
    try:
        assert await crowd.healthy() is True
        janus.stop()
        try:
            assert await crowd.healthy() is False
            with pytest.raises(CrowdUnavailable):
                await crowd.admit("bar", "u-alice", "Alice")
            assert await crowd.sweep() == 0  # no exception while Janus is down
        finally:
            janus.start()
        assert await crowd.healthy() is True
        ticket = await crowd.admit("bar", "u-alice", "Alice")
        assert await _joins(ticket.server, ticket.room, ticket.participant, ticket.token)
    finally:
        await client.aclose()


async def test_admit_after_janus_restart_recreates_room(janus: RunningJanus) -> None:
    client = janus.client()
    crowd = _crowd(client, janus)
    try:
        before = await crowd.admit("jeux", "u-alice", "Alice")
        janus.stop()
        janus.start()  # a new Janus: no rooms, no tokens
        assert not await _joins(before.server, before.room, before.participant, before.token)

        after = await crowd.admit("jeux", "u-bob", "Bob")

        assert after.room == before.room
        assert await _joins(after.server, after.room, after.participant, after.token)
        assert (await crowd.present("jeux")) == {after.participant: False}
    finally:
        await client.aclose()


async def test_admit_janus_without_token_auth_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Janus that would let anybody in is not used: no ticket, a clear error."""

    def open_config(layout: JanusLayout) -> Path:
        folder = write_config(layout)
        core = folder / "janus.jcfg"
        core.write_text(core.read_text().replace("token_auth = true", "token_auth = false"))
        return folder

    monkeypatch.setattr(janus_support, "write_config", open_config)
    janus = RunningJanus(janus_layout(tmp_path / "open"), require_janus())
    janus.start()
    client = janus.client()
    try:
        with pytest.raises(CrowdUnavailable) as refused:
            await _crowd(client, janus).admit("bar", "u-alice", "Alice")
        assert refused.value.code == "voice/crowd_refused"
    finally:
        await client.aclose()
        janus.stop()
