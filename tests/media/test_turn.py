"""TURN credentials (coturn's use-auth-secret scheme) and the ICE servers given to a browser."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from estaminet.media.turn import ice_servers_for, turn_credential
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


def test_ice_servers_for_stun_and_turn() -> None:
    settings = Settings(
        voice_stun_urls=["stun:turn.example.be:3478"],
        turn_urls=["turn:turn.example.be:3478?transport=udp", "turns:turn.example.be:5349"],
        turn_secret="north",
        turn_ttl_seconds=3600,
    )
    assert ice_servers_for("alice", NOW, settings) == [
        {"urls": ["stun:turn.example.be:3478"]},
        {
            "urls": ["turn:turn.example.be:3478?transport=udp", "turns:turn.example.be:5349"],
            "username": "1700000000:alice",
            "credential": "Cd/49soE35ICqcJF/bCTn8Z4OyE=",
        },
    ]


def test_ice_servers_for_nothing_configured_is_empty() -> None:
    assert ice_servers_for("alice", NOW, Settings()) == []


def test_ice_servers_for_turn_without_secret_left_out() -> None:
    settings = Settings(turn_urls=["turn:turn.example.be:3478"], voice_stun_urls=[])
    assert ice_servers_for("alice", NOW, settings) == []
