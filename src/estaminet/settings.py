"""Typed settings: defaults, then ``estaminet.toml``, then ``ESTAMINET_*`` environment variables."""

from __future__ import annotations

import difflib
import os
import secrets
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from sqlalchemy.engine import make_url

__all__ = [
    "DEFAULT_TIMEZONE",
    "JanusServerSettings",
    "Settings",
    "UnknownSetting",
    "load_settings",
]

DEFAULT_TIMEZONE = "Europe/Brussels"


class UnknownSetting(ValueError):
    """``estaminet.toml`` names a setting that does not exist (a typo would be silently ignored)."""

    def __init__(self, path: Path, key: str, known: list[str]) -> None:
        close = difflib.get_close_matches(key, known, n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        super().__init__(f"{path}: unknown setting `{key}`{hint}")
        self.key = key


class _StrictToml(TomlConfigSettingsSource):
    """The venue's TOML file, refusing keys that name no setting."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path) -> None:
        super().__init__(settings_cls, toml_file=path)
        known = sorted(settings_cls.model_fields)
        for key in self.toml_data:
            if key not in settings_cls.model_fields:
                raise UnknownSetting(path, key, known)


def _config_file() -> Path:
    return Path(os.environ.get("ESTAMINET_CONFIG", "estaminet.toml"))


class JanusServerSettings(BaseModel):
    """One Janus server among several (``[[janus_servers]]``, docs/voice-admin.md)."""

    url: str
    """Its HTTP API as this server reaches it."""
    admin_url: str
    admin_secret: str
    public_url: str | None = None
    """Its HTTP API as browsers reach it (default: ``url``)."""
    room_admin_key: str | None = None
    name: str | None = None
    """Its name in the placement (default: ``url``); the same on every instance."""


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
    timezone: str = DEFAULT_TIMEZONE
    hub: Literal["memory", "redis"] = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "estaminet"
    """Key and channel prefix in Redis (instances of one venue share it)."""
    instance_lease_seconds: float = Field(default=10.0, ge=1.0, le=300.0)
    """With several instances: each renews a lease in Redis every third of this; the people
    of an instance that stopped renewing (it died) are removed from presence after it."""
    self_membership: bool = True
    """Whether a guest may become a member by creating an account (else a moderator promotes)."""
    practice_bot_seconds: float = Field(default=3.0, ge=0, le=60)
    """How long a bot of a practice table "thinks" before each move, on average (0.6 to 1.4
    times this): a human pace for the narrator who rehearses."""
    rooms_watch_seconds: float = 2.0
    """How often a running server checks whether the venue file was applied by another process
    (``estaminet venue apply``): rooms closed to someone stop streaming to them within that time."""

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
    hat_max_pledge_euros: int = Field(default=5000, ge=1, le=1_000_000)
    """The largest pledge in a solidarity hat, in euros: more is refused as a likely typo
    (« 5000 » for « 50,00 »); a bigger gift goes through the treasurer."""

    assembly_notice_days: int = 15
    """How many days before a general assembly its convocation must be sent (statutes, law)."""

    log_client_addresses: bool = False
    """Whether the server's log writes each client's IP address (off: ``-``). Secrets in
    links are never written (docs/security.md)."""

    # Sign-in throttling (per account and per client address, in this process).
    signin_account_burst: int = 5
    """Sign-in attempts on one account before waiting."""
    signin_account_per_minute: float = 2.0
    """Attempts regained per minute, per account."""
    signin_address_burst: int = 20
    """Sign-in attempts from one address before waiting (a venue's Wi-Fi may share one)."""
    signin_address_per_minute: float = 10.0
    password_workers: int = 2
    """Threads that hash and check passwords (argon2 never runs on the event loop)."""
    password_queue: int = 16
    """Password checks waiting for a thread, at most; beyond, "try again in a moment"."""

    # Request bodies, bounded before they are read (413 beyond).
    body_max_bytes: int = 262_144
    """Largest request body of a form for signed-in people (256 KiB)."""
    body_max_public_bytes: int = 16_384
    """Largest request body of the forms anyone may post: sign-in, invites, links (16 KiB)."""
    body_max_upload_bytes: int = 11_534_336
    """Largest request body of a form with a picture (agenda events): never below
    ``agenda_picture_max_bytes`` plus ``body_max_bytes``, so an accepted photo always fits."""

    # A person's data (docs/security.md; stated on the privacy page, /privacy).
    session_max_age_days: int = Field(default=180, ge=1, le=3650)
    """A sign-in lasts at most this many days, however often it is used (then sign in again)."""
    session_idle_days: int = Field(default=30, ge=1, le=3650)
    """A sign-in not used for this many days ends (the cookie alone no longer opens anything)."""
    chat_retention_days: int | None = Field(default=None, ge=1, le=36500)
    """Room chat messages older than this many days are erased (none: kept while the venue
    runs). Game tables' chat goes with them."""
    retention_check_seconds: float = Field(default=3600.0, gt=0)
    """How often the running server erases chat past ``chat_retention_days`` and ends the
    sign-ins past ``session_max_age_days`` (closing the sockets they opened)."""
    # L'atelier's help desk (README, "L'atelier").
    help_escalate_minutes: int = Field(default=5, ge=1, le=1440)
    """A request for help nobody took within this many minutes goes to the admins."""
    help_check_seconds: float = Field(default=30.0, gt=0)
    """How often the running server looks for requests waiting past ``help_escalate_minutes``."""
    account_deletion_messages: Literal["anonymize", "remove"] = "anonymize"
    """When someone deletes their account, their chat messages stay, signed "personne partie"
    (``anonymize``), or are erased (``remove``)."""

    # Chat and gateway limits.
    chat_max_length: int = 2000
    chat_page_size: int = 50
    chat_rate_burst: int = 8
    chat_rate_per_second: float = 1.0
    ws_max_frame_bytes: int = 16_384
    """Largest frame the gateway reads (``gateway/too_large`` beyond, the socket stays)."""
    ws_max_message_bytes: int = 65_536
    """Largest WebSocket message the server accepts at all (closed with 1009 beyond)."""
    ws_max_depth: int = 32
    """Deepest nesting of arrays and objects in a frame (``gateway/malformed`` beyond)."""
    ws_send_queue: int = 256
    ws_ping_seconds: float = 25.0
    """How often the server pings each WebSocket, and how long it waits for the answer."""
    presence_buffer: int = 512
    """How many frames of each ephemeral topic (presence, the floor plan...) are kept for resumes."""
    presence_buffer_bytes: int = Field(default=262_144, ge=0)
    """And at most this many bytes of them per topic (the oldest go first); a tab that missed
    more gets the whole state again."""
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
    stage_mesh_watchers: int = Field(default=4, ge=0, le=50)
    """Without Janus, how many watchers get the stage straight from the performer's browser
    (each is one more upload for the performer); the others wait in line (docs/stage.md)."""

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
    janus_servers: list[JanusServerSettings] = Field(default_factory=list)
    """More Janus servers: each crowd room and stage is placed on one that is up, and moved
    when it dies (with ``janus_url``, that one is one more)."""
    janus_health_seconds: float = 2.0
    """How often each Janus is asked ``info`` (each check waits 2 to 5 s at most)."""
    janus_down_after: int = 2
    """Failed checks in a row after which a Janus is down and its rooms move."""
    janus_up_after_seconds: float = 30.0
    """How long a Janus that was down must answer every check before new rooms go there."""
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
    stage_recordings_dir: Path | None = None
    """Where the stage's recordings go (Janus writes there, so a Janus on another machine
    cannot record); default ``<data_dir>/recordings``."""
    ffmpeg_path: str = "ffmpeg"
    """``ffmpeg`` (Debian ``ffmpeg``): muxes recordings and pushes the RTMP restream."""
    ffprobe_path: str = "ffprobe"
    """``ffprobe``: a recording is done only once it reads the file."""
    janus_pp_rec_path: str = "janus-pp-rec"
    """``janus-pp-rec`` (Debian ``janus-tools``): turns Janus's ``.mjr`` recordings into media."""

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (an IANA name such as 'Europe/Brussels')"
            ) from None
        return value

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
            _StrictToml(settings_cls, _config_file()),
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

    def prepare_data_dir(self) -> None:
        """Create the data folder (``0700``) and the SQLite database file (``0600``) if missing.

        SQLite would create the database with the process's umask (often world-readable);
        an empty file is a valid new database, and its ``-wal``/``-shm`` files take its mode.
        """
        if not self.data_dir.exists():
            self.data_dir.mkdir(parents=True, mode=0o700)
            self.data_dir.chmod(0o700)  # mkdir's mode is masked by the umask
        url = make_url(self.resolved_database_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            path = Path(url.database)
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
                path.chmod(0o600)

    def resolved_secret_key(self) -> str:
        """The configured key, or the one kept in the data folder (created on first use)."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.prepare_data_dir()
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and ``estaminet.toml``; keyword overrides win."""
    return Settings(**overrides)  # type: ignore[arg-type]
