"""Shared fixtures: databases (SQLite always, PostgreSQL when running), Redis, the app."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from estaminet.settings import Settings
from estaminet.store import Database
from estaminet.store.migrate import upgrade
from tests.support.databases import (
    BACKENDS,
    IN_CI,
    PG_HOST,
    PG_PORT,
    _create_pg_database,
    _drop_pg_database,
    fresh_database,
    note_connection,
    require_service,
    sqlite_database,
    stray_connections,
)

pytest_plugins = ["tests.support.live_server", "tests.support.redis_server"]

__all__ = [
    "IN_CI",
    "PG_HOST",
    "PG_PORT",
    "FixedClock",
    "_create_pg_database",
    "_drop_pg_database",
    "require_service",
]

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


# -- every test that touches a database runs on each backend ---------------------------
#
# ``database_backend`` is the root of every database fixture (``database_url``, ``db``,
# ``settings``, ``live``, the browser tests' ``venue``). Any test that depends on it,
# however indirectly, is parametrised with each backend of ``--database`` (default: both),
# so one run of the suite runs it on SQLite and again on PostgreSQL (its id ends with
# ``[postgresql]`` and it carries the ``postgres`` mark: ``-m postgres`` is that pass alone).
# A test that opens a database not made by ``tests/support/databases.py`` fails (see
# ``pytest_runtest_teardown``), so no test can quietly run on one backend only.


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database",
        default=os.environ.get("ESTAMINET_TEST_DATABASES", ",".join(BACKENDS)),
        help="comma-separated backends the database-touching tests run on "
        "(default: sqlite,postgresql; env ESTAMINET_TEST_DATABASES)",
    )


def _backends(config: pytest.Config) -> list[str]:
    chosen = [b.strip() for b in str(config.getoption("--database")).split(",") if b.strip()]
    unknown = set(chosen) - set(BACKENDS)
    if unknown or not chosen:
        raise pytest.UsageError(f"--database takes {', '.join(BACKENDS)}, not {chosen}")
    return chosen


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_backend" not in metafunc.fixturenames:
        return
    params = [
        pytest.param(b, marks=pytest.mark.postgres) if b == "postgresql" else b
        for b in _backends(metafunc.config)
    ]
    # Module scope: a module's server (``live``, ``venue``) is started once per backend.
    metafunc.parametrize("database_backend", params, indirect=True, scope="module")


@pytest.fixture(scope="module")
def database_backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` or ``postgresql``: the backend this test runs on (see above)."""
    return str(request.param)


@event.listens_for(Engine, "do_connect")
def _watch_connection(_dialect: object, _record: object, cargs: Any, cparams: Any) -> None:
    note_connection(cargs, cparams)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """A test that opened a database not made by the fixtures fails (it would miss a backend)."""
    strays = stray_connections()
    if strays:
        pytest.fail(
            f"{item.nodeid} opened {', '.join(sorted(strays))} without the database fixtures: "
            "take it from database_url, db, settings, live or venue (which follow "
            "database_backend) so that it runs on SQLite and on PostgreSQL",
            pytrace=False,
        )


class FixedClock:
    """A clock for tests: ``now()`` is whatever the test says."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 20, 19, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        from datetime import timedelta

        self.current += timedelta(**delta)
        return self.current


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def database_url(database_backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database on this test's backend."""
    with fresh_database(database_backend, tmp_path) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A migrated SQLite file, only for tests of SQLite itself (WAL, file modes)."""
    url = sqlite_database(tmp_path / "test.db")
    upgrade(url)
    return url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        secret_key="test-secret-key",
        base_url="http://testserver",
    )


@pytest.fixture
def redis_url() -> str:
    require_service("Redis", REDIS_HOST, REDIS_PORT)
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/0"
