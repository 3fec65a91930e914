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
