"""Backups a venue can restore: the database, the uploaded files and the secret key, in one file.

A backup is a gzipped tar archive, written next to its final name and renamed when
complete (a crash leaves no half-backup under the real name), readable by its owner only
(it holds the secret key):

* ``manifest.json``: the format, when, which database kind and migration, and the SHA-256
  and size of every other member;
* ``database.sqlite`` (SQLite's online backup API: a consistent copy of a database in use,
  write-ahead log included) or ``database.pgdump`` (``pg_dump --format=custom``: one
  snapshot of a database in use);
* ``files/…``: everything else in the data directory (the secret key, event pictures and
  other uploads), except the SQLite database's own files, Janus's generated configuration
  and the backups themselves.

Restoring checks every member against the manifest before anything is touched, refuses a
database that already holds a venue unless told to replace it, loads the database
(SQLite's backup API again, or ``pg_restore --clean`` in one transaction), puts the files
back, then applies any migration newer than the backup.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from estaminet.store.migrate import upgrade

__all__ = [
    "FORMAT",
    "BackupError",
    "BackupReport",
    "RestoreReport",
    "backup",
    "default_backup_path",
    "restore",
]

T = TypeVar("T")

FORMAT = 1
"""The archive's layout version; a restore refuses a format it does not know."""

MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite"
PG_MEMBER = "database.pgdump"
FILES = "files"
BACKUPS_FOLDER = "backups"
SKIPPED_FOLDERS = frozenset({BACKUPS_FOLDER, "janus"})
"""Data-directory folders a backup leaves out: its own output, and Janus's configuration
(written again from the settings at each start)."""


class BackupError(Exception):
    """A backup or a restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupReport:
    path: Path
    database: str
    revision: str | None
    files: int
    size: int


@dataclass(frozen=True)
class RestoreReport:
    database: str
    revision: str | None
    files: int


def default_backup_path(data_dir: Path, now: datetime) -> Path:
    """``<data_dir>/backups/estaminet-YYYYMMDD-HHMMSS.tar.gz`` (UTC)."""
    return data_dir / BACKUPS_FOLDER / f"estaminet-{now:%Y%m%d-%H%M%S}.tar.gz"


def _kind(url: URL) -> str:
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"unsupported database: {backend}")
    return backend


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database).resolve()


def _libpq(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection options for pg_dump/pg_restore; the password goes in the environment,
    never on a command line other users of the machine can read."""
    args = ["--dbname", str(url.database or "")]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _query(url: URL, work: Callable[[sa.Connection], T]) -> T:
    """Run ``work`` on a connection to ``url`` through the venue's own async driver
    (blocking, like the migrations: call it from a thread, not from an event loop)."""

    async def run() -> T:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                return await conn.run_sync(work)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _tables(conn: sa.Connection) -> list[str]:
    return sa.inspect(conn).get_table_names()


def _revision(url: URL) -> str | None:
    def read(conn: sa.Connection) -> str | None:
        if "alembic_version" not in _tables(conn):
            return None
        found = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        return None if found is None else str(found)

    return _query(url, read)


def _run(command: list[str], env: dict[str, str]) -> None:
    tool = command[0]
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not installed (Debian: apt-get install postgresql-client)")
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip()[-800:]}")


def _dump_database(url: URL, into: Path) -> str:
    """Write a consistent copy of the database in use to ``into``; its archive member name."""
    if _kind(url) == "sqlite":
        source_path = _sqlite_path(url)
        if not source_path.exists():
            raise BackupError(f"no database at {source_path}")
        target = into / SQLITE_MEMBER
        source = sqlite3.connect(source_path, timeout=30)
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
            source.close()
        return SQLITE_MEMBER
    args, env = _libpq(url)
    _run(
        [
            "pg_dump",
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            *args,
            "--file",
            str(into / PG_MEMBER),
        ],
        env,
    )
    return PG_MEMBER


def _data_files(data_dir: Path, skip: set[Path]) -> Iterator[Path]:
    """Every regular file of the data directory a backup keeps, in a stable order."""
    for root, folders, names in os.walk(data_dir):
        here = Path(root)
        if here == data_dir:
            folders[:] = [f for f in folders if f not in SKIPPED_FOLDERS]
        folders.sort()
        for name in sorted(names):
            path = here / name
            if path.resolve() in skip or not path.is_file() or path.is_symlink():
                continue
            yield path


def _sqlite_files(url: URL) -> set[Path]:
    if _kind(url) != "sqlite":
        return set()
    path = _sqlite_path(url)
    return {Path(f"{path}{suffix}") for suffix in ("", "-wal", "-shm", "-journal")}


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def backup(database_url: str, data_dir: Path, target: Path, now: datetime) -> BackupReport:
    """Write a complete backup of the venue at ``target`` (a ``.tar.gz``), safe while in use."""
    url = make_url(database_url)
    kind = _kind(url)
    data_dir = data_dir.resolve()
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    revision = _revision(url)
    with tempfile.TemporaryDirectory(prefix="estaminet-backup-", dir=target.parent) as work:
        folder = Path(work)
        member = _dump_database(url, folder)
        members: dict[str, Path] = {member: folder / member}
        skip = _sqlite_files(url) | {target}
        for path in _data_files(data_dir, skip):
            if path.resolve().is_relative_to(folder.resolve()):
                continue  # this backup's own work, when it is written inside the data directory
            relative = path.relative_to(data_dir).as_posix()
            members[f"{FILES}/{relative}"] = path
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "database": kind,
            "revision": revision,
            "members": {
                name: {"sha256": _digest(path), "size": path.stat().st_size}
                for name, path in members.items()
            },
        }
        partial = folder / "backup.partial"
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            text = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(text), int(now.timestamp()), 0o600
            tar.addfile(info, io.BytesIO(text))
            for name, path in members.items():
                tar.add(path, arcname=name, recursive=False)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, target)
    return BackupReport(
        path=target,
        database=kind,
        revision=revision,
        files=sum(1 for name in members if name.startswith(f"{FILES}/")),
        size=target.stat().st_size,
    )


def _read_manifest(tar: tarfile.TarFile) -> dict[str, object]:
    try:
        handle = tar.extractfile(MANIFEST)
    except KeyError:
        raise BackupError("this file is not an Estaminet backup (no manifest)") from None
    if handle is None:
        raise BackupError("this file is not an Estaminet backup (no manifest)")
    manifest: dict[str, object] = json.loads(handle.read())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


@contextmanager
def _unpacked(archive: Path) -> Iterator[tuple[dict[str, object], Path]]:
    """The archive's manifest and its members in a private folder, every one checked."""
    if not archive.is_file():
        raise BackupError(f"no backup at {archive}")
    with tempfile.TemporaryDirectory(prefix="estaminet-restore-") as work:
        folder = Path(work)
        try:
            with tarfile.open(archive, "r:gz") as tar:
                manifest = _read_manifest(tar)
                tar.extractall(folder, filter="data")
        except (tarfile.TarError, OSError, EOFError, json.JSONDecodeError) as exc:
            raise BackupError(f"the backup is damaged: {exc}") from exc
        members = manifest.get("members")
        if not isinstance(members, dict):
            raise BackupError("the backup is damaged: the manifest lists no member")
        for name, facts in members.items():
            path = folder / PurePosixPath(name)
            if not path.is_file() or _digest(path) != facts.get("sha256"):
                raise BackupError(f"the backup is damaged: {name} does not match its manifest")
        yield manifest, folder


def _holds_a_venue(url: URL) -> bool:
    if _kind(url) == "sqlite" and not _sqlite_path(url).exists():
        return False
    return bool(_query(url, _tables))


def _clear_postgres(url: URL) -> None:
    """Drop every table, type and sequence of the public schema (``--force`` on PostgreSQL)."""

    def clear(conn: sa.Connection) -> None:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))

    _query(url, clear)


def _load_database(url: URL, folder: Path, member: str) -> None:
    if _kind(url) == "sqlite":
        path = _sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(f"file:{folder / member}?mode=ro", uri=True)
        target = sqlite3.connect(path, timeout=30)
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()
        path.chmod(0o600)
        return
    _clear_postgres(url)
    args, env = _libpq(url)
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            *args,
            str(folder / member),
        ],
        env,
    )


def _put_files(folder: Path, data_dir: Path) -> int:
    source = folder / FILES
    count = 0
    if not source.is_dir():
        return 0
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        target = data_dir / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = target.with_name(f".{target.name}.restoring")
        shutil.copyfile(path, partial)
        partial.chmod(0o600)
        os.replace(partial, target)
        count += 1
    return count


def restore(archive: Path, database_url: str, data_dir: Path, *, replace: bool) -> RestoreReport:
    """Put the venue of ``archive`` back into ``database_url`` and ``data_dir``.

    The venue must not be running. A database that already holds tables is replaced only
    with ``replace``; a backup of one database kind cannot be restored into the other.
    """
    url = make_url(database_url)
    kind = _kind(url)
    with _unpacked(archive.resolve()) as (manifest, folder):
        if manifest.get("database") != kind:
            raise BackupError(
                f"this backup is of a {manifest.get('database')} database; "
                f"the venue is configured for {kind}"
            )
        if _holds_a_venue(url) and not replace:
            raise BackupError(
                "the database already holds a venue; stop the venue and add --force to replace it"
            )
        member = SQLITE_MEMBER if kind == "sqlite" else PG_MEMBER
        _load_database(url, folder, member)
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        files = _put_files(folder, data_dir.resolve())
    upgrade(database_url)
    revision = manifest.get("revision")
    return RestoreReport(
        database=kind, revision=revision if isinstance(revision, str) else None, files=files
    )
