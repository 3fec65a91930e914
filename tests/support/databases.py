"""Fresh databases for tests, on the backend a test is parametrised with.

Every database a test touches comes from here, through the fixtures of
``tests/conftest.py`` (``database_backend`` and what depends on it): each test,
live server or browser venue gets its own SQLite file or its own PostgreSQL
database, created before and dropped after.

A migrated one is a copy of a template migrated once per test process (SQLite's backup of
a migrated file; PostgreSQL's ``CREATE DATABASE … TEMPLATE``): the migrations run once,
not before each of the suite's thousands of tests (0.6 s on SQLite, 0.8 s on PostgreSQL
each on a Zen 4, against 5 ms and a third of a second for a copy).
"""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import socket
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

from estaminet.store.migrate import upgrade

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_HOST, PG_PORT = "127.0.0.1", 5432
BACKENDS = ("sqlite", "postgresql")
T = TypeVar("T")


def _listening(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def require_service(name: str, host: str, port: int) -> None:
    """Skip locally when a real component is missing; in CI, fail instead."""
    if _listening(host, port):
        return
    message = f"{name} is not running on {host}:{port}"
    if IN_CI:
        pytest.fail(f"{message} (CI must run this test)")
    pytest.skip(message)


# Every database the fixtures make, by SQLite path or PostgreSQL name; anything else a test
# opens is a stray (``tests/conftest.py`` fails the test).
_made: set[str] = set()
_strays: set[str] = set()


def note_connection(cargs: Any, cparams: Any) -> None:
    """Called on every DBAPI connect (any thread): remember the databases nobody made."""
    if cparams.get("database") is not None and "host" in cparams:
        name = str(cparams["database"])
    elif cargs:
        name = str(Path(str(cargs[0])).resolve())
    else:
        name = str(cparams.get("database", "?"))
    if name not in _made:
        _strays.add(name)


def stray_connections() -> set[str]:
    """The databases opened since the last call that no fixture made (and forget them)."""
    found = set(_strays)
    _strays.difference_update(found)
    return found


def sqlite_database(path: Path) -> str:
    """The URL of a SQLite file at ``path``, known to the fixtures."""
    _made.add(str(path.resolve()))
    return f"sqlite+aiosqlite:///{path}"


async def _create_pg_database(template: str | None = None) -> str:
    import asyncpg

    name = f"estaminet_test_{uuid.uuid4().hex[:12]}"
    _made.add(name)
    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database="postgres")
    try:
        copied = f' TEMPLATE "{template}"' if template is not None else ""
        await conn.execute(f'CREATE DATABASE "{name}"{copied}')
        # A throwaway database need not wait for the disk at each commit (what the app sees,
        # locks and visibility, is the same); on a busy machine fsyncs made requests slow.
        await conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    finally:
        await conn.close()
    return name


async def _drop_pg_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database="postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _off_loop(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)``, in a thread of its own when this one has a running loop
    (Playwright's sync API keeps one in the browser tests' main thread), for work that runs
    its own loop (``asyncio.run``, Alembic's env.py)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args).result()


def _run(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` to the end (see :func:`_off_loop`)."""
    return _off_loop(asyncio.run, work)


def _pg_url(name: str) -> str:
    return f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/{name}"


@contextmanager
def postgres_database(*, template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database (its URL), empty or a copy of ``template``, dropped at the end."""
    require_service("PostgreSQL", PG_HOST, PG_PORT)
    name = _run(_create_pg_database(template))
    try:
        yield _pg_url(name)
    finally:
        _run(_drop_pg_database(name))


# The migrated templates of this process, made on first use: a SQLite file, a PostgreSQL
# database (both removed when the process ends).
_templates: dict[str, str] = {}


def _migrated_template(backend: str) -> str:
    made = _templates.get(backend)
    if made is not None:
        return made
    return _off_loop(_make_template, backend)


def _make_template(backend: str) -> str:
    if backend == "sqlite":
        folder = tempfile.mkdtemp(prefix="estaminet-template-")
        atexit.register(shutil.rmtree, folder, True)
        path = Path(folder) / "template.db"
        upgrade(sqlite_database(path))
        made = str(path)
    else:
        require_service("PostgreSQL", PG_HOST, PG_PORT)
        made = _run(_create_pg_database())
        atexit.register(lambda: _run(_drop_pg_database(made)))
        upgrade(_pg_url(made))
    _templates[backend] = made
    return made


def _copy_sqlite(template: str, path: Path) -> None:
    """A copy of the migrated file at ``path``, made through SQLite (its own backup)."""
    source, copy = sqlite3.connect(template), sqlite3.connect(path)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()


@contextmanager
def fresh_database(backend: str, folder: Path, *, migrate: bool = True) -> Iterator[str]:
    """A new database on ``backend`` (a SQLite file in ``folder``), migrated unless told not."""
    if backend == "sqlite":
        url = sqlite_database(folder / "test.db")
        if migrate:
            _copy_sqlite(_migrated_template("sqlite"), folder / "test.db")
        yield url
        return
    if backend != "postgresql":
        raise ValueError(f"unknown database backend {backend!r}")
    template = _migrated_template("postgresql") if migrate else None
    with postgres_database(template=template) as url:
        yield url


def count_trips(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record each unit of work :meth:`Database.in_one_trip` takes (SQLite's one-trip
    writes), still running it: the list grows by one per trip."""
    from estaminet.store import Database

    trips: list[object] = []
    in_one_trip = Database.in_one_trip

    async def counted(self: Database, work: Any) -> Any:
        trips.append(work)
        return await in_one_trip(self, work)

    monkeypatch.setattr(Database, "in_one_trip", counted)
    return trips


@contextmanager
def statements(db: Any) -> Iterator[list[str]]:
    """The statements ``db`` (a :class:`Database`) sends while the block runs, through any
    of its paths (the pool's engine, and SQLite's reads on the event loop's thread), each on
    one line."""
    sent: list[str] = []
    with db.traced(lambda statement: sent.append(" ".join(statement.split()))):
        yield sent
