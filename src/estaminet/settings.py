"""Typed settings: defaults, then ``estaminet.toml``, then ``ESTAMINET_*`` environment variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

__all__ = ["Settings", "load_settings"]


def _config_file() -> Path:
    return Path(os.environ.get("ESTAMINET_CONFIG", "estaminet.toml"))


class Settings(BaseSettings):
    """Everything an admin can configure. See README.md, "Configuration"."""

    model_config = SettingsConfigDict(env_prefix="ESTAMINET_", extra="ignore")

    data_dir: Path = Path("data")
    """Where the venue keeps its data: the SQLite database, the secret key, uploads."""
    database_url: str | None = None
    """SQLAlchemy URL; default ``sqlite+aiosqlite:///<data_dir>/estaminet.db``.
    For PostgreSQL: ``postgresql+asyncpg://user@host/db``."""
    secret_key: str | None = None
    """Signs cookies; generated once into ``<data_dir>/secret_key`` when not set."""
    base_url: str = "http://127.0.0.1:8000"
    """The address people use; invite links and the WebSocket Origin check derive from it."""
    extra_origins: list[str] = Field(default_factory=list)
    venue_name: str = "Estaminet"
    venue_file: Path | None = None
    default_locale: Literal["fr", "en"] = "fr"
    timezone: str = "Europe/Brussels"
    hub: Literal["memory", "redis"] = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "estaminet"
    """Key and channel prefix in Redis (instances of one venue share it)."""
    self_membership: bool = True
    """Whether a guest may become a member by creating an account (else a moderator promotes)."""

    # E-mail (agenda reminders): off while ``smtp_host`` is empty.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    smtp_from: str = "estaminet@localhost"
    """The sender address of the venue's e-mail."""
    mail_timeout_seconds: float = 20.0
    """Longest wait for the mail server to take one message (then it is tried again later)."""
    mail_concurrency: int = 4
    """How many messages go to the mail server at once (a hanging one holds only its own)."""

    agenda_picture_max_bytes: int = 10 * 1024 * 1024
    """Largest event picture accepted (a phone photo); it is resized and re-encoded on upload."""

    assembly_notice_days: int = 15
    """How many days before a general assembly its convocation must be sent (statutes, law)."""

    # Chat and gateway limits.
    chat_max_length: int = 2000
    chat_page_size: int = 50
    chat_rate_burst: int = 8
    chat_rate_per_second: float = 1.0
    ws_max_frame_bytes: int = 16_384
    ws_send_queue: int = 256
    ws_ping_seconds: float = 25.0
    presence_buffer: int = 512
    ws_compression: bool = False
    ws_impl: Literal["estaminet", "websockets-sansio", "websockets", "wsproto"] = "estaminet"
    """uvicorn's WebSocket implementation. ``estaminet`` is uvicorn's sans-I/O one (no task per
    connection) plus direct writes to idle sockets (:mod:`estaminet.web.wsserver`); the others
    are uvicorn's own, served through the ASGI ``send`` only."""
    # Voice (see docs/voice.md).
    voice_mesh_cap: int = 4
    """Most people in one browser-to-browser (mesh) voice conversation."""
    voice_stun_urls: list[str] = Field(default_factory=list)
    """STUN servers given to browsers (``stun:host:3478``); none by default (no third party,
    none needed on a local network or loopback)."""
    voice_max_signal_bytes: int = 12_000
    """Largest call setup message (SDP offer/answer, ICE candidate) relayed between browsers."""
    voice_crowd_retry_seconds: float = 5.0
    """How often the voice service asks a down media server whether it is back."""

    # Voice: TURN for browsers, Janus for crowded rooms (docs/voice-admin.md).
    turn_urls: list[str] = Field(default_factory=list)
    """TURN servers (``turn:host:3478?transport=udp``, ``turns:host:5349``) using ``turn_secret``."""
    turn_secret: str | None = None
    """coturn's ``static-auth-secret`` (``use-auth-secret``): credentials are derived from it."""
    turn_ttl_seconds: int = 6 * 3600
    """How long a TURN credential given to a browser stays valid."""
    janus_url: str | None = None
    """Janus's HTTP API as this server reaches it (``http://127.0.0.1:8088/janus``).
    Unset: no Janus, unless one is started here (``janus_autostart``)."""
    janus_public_url: str | None = None
    """Janus's HTTP API as browsers reach it (default: ``janus_url``); the CSP allows it."""
    janus_admin_url: str | None = None
    """Janus's admin API (``http://127.0.0.1:7088/admin``); needed with ``janus_url``."""
    janus_admin_secret: str | None = None
    """Janus's ``admin_secret``; needed with ``janus_url``."""
    janus_room_admin_key: str | None = None
    """The AudioBridge plugin's ``admin_key``, if its configuration sets one (it should)."""
    janus_autostart: Literal["auto", "always", "never"] = "auto"
    """``auto``: ``estaminet serve`` runs its own Janus when ``janus`` is installed and
    ``janus_url`` is unset (``estaminet demo`` and the tests never do); ``always``: serve and
    demo run one (or fail to say why); ``never``: never."""
    janus_executable: str = "janus"
    janus_http_port: int = 8089
    """Port of the Janus this server starts (its HTTP API, on 127.0.0.1)."""
    janus_admin_port: int = 7089
    """Port of the admin API of the Janus this server starts (on 127.0.0.1)."""
    janus_rtp_ports: tuple[int, int] = (20000, 40000)
    """UDP ports the Janus this server starts uses for media (open them in the firewall)."""
    janus_ticket_seconds: int = 120
    """How long a voice ticket stays valid unused; one in use is extended while its holder is in."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=_config_file()),
        )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'estaminet.db').resolve()}"

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def allowed_origins(self) -> frozenset[str]:
        origin = self.base_url.rstrip("/")
        return frozenset([origin, *self.extra_origins])

    def resolved_secret_key(self) -> str:
        """The configured key, or the one kept in the data folder (created on first use)."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and ``estaminet.toml``; keyword overrides win."""
    return Settings(**overrides)  # type: ignore[arg-type]
