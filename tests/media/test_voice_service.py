"""The voice service's own pieces that need no socket: ICE servers for browsers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from estaminet.media.voice import VoiceService
from estaminet.realtime.hub import MemoryHub
from estaminet.settings import Settings
from estaminet.web.templating import Templates

NOW = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)


def _service(tmp_path: Path, **options: Any) -> VoiceService:
    stun = options.pop("stun", [])
    settings = Settings(data_dir=tmp_path, secret_key="k", voice_stun_urls=stun)
    return VoiceService(None, MemoryHub(), Templates(), settings, lambda: NOW, **options)  # type: ignore[arg-type]


def test_voice_ice_servers_none_on_loopback_by_default(tmp_path: Path) -> None:
    assert _service(tmp_path).ice_servers("u1", NOW) == []


def test_voice_ice_servers_stun_from_settings_and_turn_per_person(tmp_path: Path) -> None:
    asked: list[tuple[str, datetime]] = []

    def turn(user_id: str, now: datetime) -> list[dict[str, Any]]:
        asked.append((user_id, now))
        return [
            {
                "urls": ["turn:127.0.0.1:3478"],
                "username": f"1700000000:{user_id}",
                "credential": "x",
            }
        ]

    service = _service(tmp_path, stun=["stun:127.0.0.1:3478"], turn_credentials=turn)
    assert service.ice_servers("u1", NOW) == [
        {"urls": ["stun:127.0.0.1:3478"]},
        {"urls": ["turn:127.0.0.1:3478"], "username": "1700000000:u1", "credential": "x"},
    ]
    assert asked == [("u1", NOW)]
    single = _service(tmp_path, turn_credentials=lambda u, n: {"urls": "turn:h", "username": u})
    assert single.ice_servers("u2", NOW) == [{"urls": "turn:h", "username": "u2"}]
