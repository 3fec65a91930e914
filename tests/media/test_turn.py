"""TURN credentials (coturn's use-auth-secret scheme) and the ICE servers given to a browser."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from estaminet.app import create_app
from estaminet.media.turn import turn_credential, turn_server
from estaminet.settings import Settings

NOW = datetime.fromtimestamp(1_699_996_400, UTC)


def test_turn_credential_known_vector() -> None:
    # Computed independently: printf '1700000000:alice' | openssl dgst -sha1 -hmac north -binary | base64
    cred = turn_credential("north", "alice", NOW, 3600)
    assert cred.username == "1700000000:alice"
    assert cred.credential == "Cd/49soE35ICqcJF/bCTn8Z4OyE="
    assert cred.expires == 1_700_000_000


def test_turn_credential_changes_with_time_and_person() -> None:
    one = turn_credential("north", "alice", NOW, 3600)
    assert turn_credential("north", "alice", NOW, 3600) == one
    assert turn_credential("north", "bob", NOW, 3600).credential != one.credential
    assert turn_credential("south", "alice", NOW, 3600).credential != one.credential
    assert turn_credential("north", "alice", NOW, 60).username != one.username


def test_turn_credential_refuses_non_positive_lifetime() -> None:
    with pytest.raises(ValueError, match="positive"):
        turn_credential("north", "alice", NOW, 0)


def test_turn_server_entry_for_a_person() -> None:
    settings = Settings(
        turn_urls=["turn:turn.example.be:3478?transport=udp", "turns:turn.example.be:5349"],
        turn_secret="north",
        turn_ttl_seconds=3600,
    )
    assert turn_server("alice", NOW, settings) == {
        "urls": ["turn:turn.example.be:3478?transport=udp", "turns:turn.example.be:5349"],
        "username": "1700000000:alice",
        "credential": "Cd/49soE35ICqcJF/bCTn8Z4OyE=",
    }


def test_turn_server_nothing_configured_is_none() -> None:
    assert turn_server("alice", NOW, Settings()) is None


def test_turn_server_without_secret_left_out() -> None:
    assert turn_server("alice", NOW, Settings(turn_urls=["turn:turn.example.be:3478"])) is None


def test_app_gives_browsers_stun_and_turn_from_the_settings(tmp_path: Path) -> None:
    """The app hands the voice service TURN from the settings: STUN first, then TURN."""
    settings = Settings(
        data_dir=tmp_path,
        secret_key="k",
        voice_stun_urls=["stun:turn.example.be:3478"],
        turn_urls=["turn:turn.example.be:3478?transport=udp", "turns:turn.example.be:5349"],
        turn_secret="north",
        turn_ttl_seconds=3600,
    )
    app = create_app(settings, migrate=False)
    assert app.state.voice.ice_servers("alice", NOW) == [
        {"urls": ["stun:turn.example.be:3478"]},
        {
            "urls": ["turn:turn.example.be:3478?transport=udp", "turns:turn.example.be:5349"],
            "username": "1700000000:alice",
            "credential": "Cd/49soE35ICqcJF/bCTn8Z4OyE=",
        },
    ]
