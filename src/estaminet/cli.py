"""The ``estaminet`` command: serve, demo, init, venue apply, invite create, db upgrade,
backup and restore."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from estaminet.kernel.errors import EstaminetError
from estaminet.people import actions as people
from estaminet.people.model import Role, User
from estaminet.people.queries import first_admin
from estaminet.settings import Settings, UnknownSetting, load_settings
from estaminet.store import Database, utcnow
from estaminet.store.backup import BackupError, backup, default_backup_path, restore
from estaminet.store.migrate import upgrade
from estaminet.venue.plan import VenueFileError, load_venue
from estaminet.venue.rooms import apply_venue, list_rooms

__all__ = ["build_parser", "main", "server_options"]

DEMO_VENUE = Path(__file__).parent / "venue" / "demo.toml"


def _say(text: str) -> None:
    print(text, flush=True)


async def _first_admin(db: Database) -> User | None:
    async with db.read() as conn:
        return await first_admin(conn)


async def _prepare(
    settings: Settings, *, venue_file: Path | None, admin_name: str
) -> tuple[str, str | None]:
    """Migrate, apply the venue file if given or if there is no room, make sure an admin exists.

    Returns a fresh one-time sign-in link for the admin and, for the demo, a guest invite.
    """
    settings.prepare_data_dir()
    settings.resolved_secret_key()  # created once, here, rather than by a racing first request
    await asyncio.to_thread(upgrade, settings.resolved_database_url)
    db = Database(settings.resolved_database_url)
    try:
        now = utcnow()
        async with db.read() as conn:
            has_rooms = bool(await list_rooms(conn))
        if venue_file is not None or not has_rooms:
            spec = load_venue(venue_file or settings.venue_file or DEMO_VENUE)
            await apply_venue(db, spec, now)
        admin = await _first_admin(db)
        if admin is None:
            admin = await people.create_user(db, admin_name, Role.ADMIN, now)
        token = await people.create_login_link(db, admin, now, purpose="signin")
        base = settings.base_url.rstrip("/")
        return f"{base}/l/{token}", base
    finally:
        await db.dispose()


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for this venue: bounded WebSocket messages, a log without secrets."""
    from estaminet.web.logs import log_config
    from estaminet.web.wsserver import uvicorn_ws

    return {
        "proxy_headers": True,
        "ws_max_size": settings.ws_max_message_bytes,
        "ws_ping_interval": settings.ws_ping_seconds,
        "ws_ping_timeout": settings.ws_ping_seconds,
        "ws_per_message_deflate": settings.ws_compression,
        "ws": uvicorn_ws(settings.ws_impl),
        "log_config": log_config(client_addresses=settings.log_client_addresses),
        "log_level": "info",
    }


def _serve(settings: Settings, host: str, port: int, *, serving: bool = False) -> None:
    import uvicorn

    from estaminet.app import create_app

    uvicorn.run(
        create_app(settings, serving=serving), host=host, port=port, **server_options(settings)
    )


def _settings_for(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    settings = load_settings(**overrides)
    host, port = getattr(args, "host", None), getattr(args, "port", None)
    if host and port and "base_url" not in settings.model_fields_set:
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        settings = settings.model_copy(update={"base_url": f"http://{shown}:{port}"})
    return settings


def build_parser() -> argparse.ArgumentParser:
    """The command line's grammar (the deployment files' commands are checked against it)."""
    # --data-dir is taken before or after the command (``estaminet --data-dir D serve`` and
    # ``estaminet serve --data-dir D``); SUPPRESS keeps a later default from erasing it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        default=argparse.SUPPRESS,
        help="where data lives (default: ESTAMINET_DATA_DIR or ./data)",
    )
    parser = argparse.ArgumentParser(
        prog="estaminet", description="Estaminet: your venue online.", parents=[common]
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", parents=[common], help="run the venue")
    demo = sub.add_parser(
        "demo", parents=[common], help="prepare the demo venue (le LAB) and run it"
    )
    for p in (serve, demo):
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)

    init = sub.add_parser(
        "init", parents=[common], help="create the database, the rooms and the first admin"
    )
    init.add_argument("--venue", type=Path, help="venue file (default: the demo venue)")
    init.add_argument("--admin-name", default="Admin")

    venue_cmd = sub.add_parser("venue", parents=[common], help="the venue file").add_subparsers(
        dest="venue_command", required=True
    )
    apply = venue_cmd.add_parser(
        "apply", parents=[common], help="create or update rooms from a venue file"
    )
    apply.add_argument("file", type=Path)

    invite_cmd = sub.add_parser("invite", parents=[common], help="invite links").add_subparsers(
        dest="invite_command", required=True
    )
    create = invite_cmd.add_parser("create", parents=[common], help="create an invite link")
    create.add_argument(
        "--role", choices=[r.value for r in Role if r is not Role.ADMIN], default="guest"
    )
    create.add_argument("--days", type=float, default=7.0, help="validity in days")
    create.add_argument("--uses", type=int, default=None, help="maximum number of uses")
    create.add_argument("--note", default="")

    db_cmd = sub.add_parser("db", parents=[common], help="database").add_subparsers(
        dest="db_command", required=True
    )
    db_cmd.add_parser("upgrade", parents=[common], help="apply the database migrations")

    backup_cmd = sub.add_parser(
        "backup",
        parents=[common],
        help="write the database, the uploaded files and the secret key to one file "
        "(safe while the venue runs)",
    )
    backup_cmd.add_argument(
        "--output",
        type=Path,
        help="the backup file (default: <data dir>/backups/estaminet-<UTC time>.tar.gz)",
    )
    restore_cmd = sub.add_parser(
        "restore", parents=[common], help="put a backup back (stop the venue first)"
    )
    restore_cmd.add_argument("file", type=Path)
    restore_cmd.add_argument(
        "--force", action="store_true", help="replace a database that already holds a venue"
    )

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = _settings_for(args)
    except (UnknownSetting, ValidationError) as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2

    try:
        if args.command == "serve":
            _serve(settings, args.host, args.port, serving=True)
        elif args.command == "demo":
            link, base = asyncio.run(_prepare(settings, venue_file=None, admin_name="Admin"))
            invite_link = asyncio.run(_invite(settings, Role.GUEST, 30.0, None, "démo"))
            _say("")
            _say("  Estaminet — le LAB (démo)")
            _say(f"  Ouvrir / open:            {base}")
            _say(f"  Lien admin / admin link:  {link}")
            _say(f"  Invitation / invite:      {invite_link}")
            _say("")
            _serve(settings, args.host, args.port)
        elif args.command == "init":
            link, _ = asyncio.run(
                _prepare(settings, venue_file=args.venue, admin_name=args.admin_name)
            )
            _say(f"Sign-in link for the admin (valid 24 hours, once): {link}")
        elif args.command == "venue":
            report = asyncio.run(_apply(settings, args.file))
            _say(report)
        elif args.command == "invite":
            _say(asyncio.run(_invite(settings, Role(args.role), args.days, args.uses, args.note)))
        elif args.command == "db":
            settings.prepare_data_dir()
            upgrade(settings.resolved_database_url)
            _say("Database is up to date.")
        elif args.command == "backup":
            _say(_backup(settings, args.output))
        elif args.command == "restore":
            _say(_restore(settings, args.file, replace=args.force))
    except BackupError as exc:
        print(f"Backup error: {exc}", file=sys.stderr)
        return 2
    except VenueFileError as exc:
        print(f"Venue file error: {exc}", file=sys.stderr)
        return 2
    except EstaminetError as exc:
        print(f"Error: {exc.code}", file=sys.stderr)
        return 2
    return 0


def _backup(settings: Settings, output: Path | None) -> str:
    now = utcnow()
    target = output or default_backup_path(settings.data_dir, now)
    report = backup(settings.resolved_database_url, settings.data_dir, target, now)
    lines = [
        f"Backup written: {report.path} ({report.size} bytes; {report.database} database "
        f"at migration {report.revision}; {report.files} files)",
    ]
    if settings.secret_key:
        lines.append(
            "Note: the secret key is set in the configuration (ESTAMINET_SECRET_KEY), "
            "not in the data directory; keep it with this backup."
        )
    return "\n".join(lines)


def _restore(settings: Settings, archive: Path, *, replace: bool) -> str:
    settings.prepare_data_dir()
    report = restore(archive, settings.resolved_database_url, settings.data_dir, replace=replace)
    return (
        f"Restored: {report.database} database (backup at migration {report.revision}, "
        f"now up to date), {report.files} files in {settings.data_dir}"
    )


async def _apply(settings: Settings, path: Path) -> str:
    spec = load_venue(path)
    settings.prepare_data_dir()
    await asyncio.to_thread(upgrade, settings.resolved_database_url)
    db = Database(settings.resolved_database_url)
    try:
        report = await apply_venue(db, spec, utcnow())
    finally:
        await db.dispose()
    lines = [f"Venue: {spec.name}"]
    lines.append(f"  created: {', '.join(report.created) or '-'}")
    lines.append(f"  updated: {', '.join(report.updated) or '-'}")
    lines.append(f"  archived (history kept): {', '.join(report.archived) or '-'}")
    if report.team_unknown:
        lines.append(f"  team members without an account yet: {', '.join(report.team_unknown)}")
    return "\n".join(lines)


async def _invite(settings: Settings, role: Role, days: float, uses: int | None, note: str) -> str:
    db = Database(settings.resolved_database_url)
    try:
        admin = await _first_admin(db)
        if admin is None:
            raise SystemExit("No admin yet: run `estaminet init` first.")
        _, token = await people.create_invite(
            db,
            admin,
            utcnow(),
            role=role,
            expires_in=timedelta(days=days),
            max_uses=uses,
            note=note,
        )
    finally:
        await db.dispose()
    return f"{settings.base_url.rstrip('/')}/i/{token}"


if __name__ == "__main__":
    raise SystemExit(main())
