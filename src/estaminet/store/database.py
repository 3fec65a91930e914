"""The database engine, shared metadata and the unit-of-work helper.

SQLite (WAL) by default, PostgreSQL through asyncpg at scale: the same Core
statements run on both. Feature packages declare their tables on
:data:`metadata` in their own ``tables.py``.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import functools
import sqlite3
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Engine, MetaData, Result, create_engine, event, make_url
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.result import IteratorResult, SimpleResultMetaData
from sqlalchemy.exc import DBAPIError, InvalidRequestError, OperationalError, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql import Executable, Select
from sqlalchemy.types import DateTime, TypeDecorator, TypeEngine
from sqlalchemy.util import EMPTY_DICT

__all__ = ["Database", "UTCDateTime", "metadata", "utcnow"]

_T = TypeVar("_T")

_HOLDING: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "estaminet_db_holding", default=False
)
"""Whether this task holds one of the database's connections (see :meth:`Database.read`)."""

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def utcnow() -> datetime:
    """The current instant, timezone-aware UTC (the shell's clock; rules get it passed in)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _loop_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Reads only; and never wait for a lock on the event loop's thread: a busy database
    # sends the statement to aiosqlite's thread instead (see :meth:`Database.read_now`).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.execute("PRAGMA busy_timeout=0")
    cursor.close()


class _Prepared:
    """A select that :meth:`Database.read_now` has seen before, compiled once for SQLite:
    its SQL, how each parameter is stored and each column read back, by SQLAlchemy's own
    compiler and column types. Run on the raw sqlite3 connection, it skips SQLAlchemy's
    execution (the statement's cache key, the execution context, the cursor's wrapping,
    the result's building), which cost about 40 of a point read's 45 microseconds on the
    event loop's thread: three or four such reads per tab coming back (issue 20)."""

    __slots__ = ("compiled", "metadata", "names", "readers", "sql", "stores")

    def __init__(self, compiled: Any, dialect: Dialect, keys: Sequence[str]) -> None:
        self.compiled = compiled
        self.sql: str = compiled.string
        self.names: tuple[str, ...] = tuple(compiled.positiontup)
        stores = [compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
                  for name in self.names]  # fmt: skip
        self.stores = tuple(_as_is if store is None else store for store in stores)
        readers = [
            (index, column.type.dialect_impl(dialect).result_processor(dialect, None))
            for index, column in enumerate(compiled.statement.selected_columns)
        ]
        self.readers = tuple((index, read) for index, read in readers if read is not None)
        self.metadata = SimpleResultMetaData(list(keys))

    @classmethod
    def of(cls, statement: Executable, dialect: Dialect, keys: Sequence[str]) -> _Prepared | None:
        """``statement`` prepared, or ``None`` if it is not a plain select SQLAlchemy would
        send as it was compiled (an ``IN`` list expanded per call, options, other columns)."""
        if not isinstance(statement, Select) or statement.get_execution_options():
            return None
        compiled: Any = statement.compile(dialect=dialect)
        if (
            not compiled.positional
            or compiled.post_compile_params
            or compiled.literal_execute_params
            or list(statement.selected_columns.keys()) != list(keys)
        ):
            return None
        return cls(compiled, dialect, keys)

    def run(self, raw: sqlite3.Connection, parameters: Mapping[str, Any] | None) -> Result[Any]:
        values = self.compiled.construct_params(parameters)
        stored = [store(values[name]) for name, store in zip(self.names, self.stores, strict=True)]
        rows = raw.execute(self.sql, stored).fetchall()
        if self.readers and rows:
            readers = self.readers
            for at, row in enumerate(rows):
                row = list(row)
                for index, read in readers:
                    row[index] = read(row[index])
                rows[at] = row
        return IteratorResult(self.metadata, iter(rows))


_SEEN_ONCE = object()
"""A statement :meth:`Database.read_now` ran once through SQLAlchemy: prepared if it comes
again (one built for a single call is never compiled twice)."""

_AS_IT_IS = object()
"""A statement :meth:`Database.read_now` keeps sending through SQLAlchemy (not a plain
select: see :meth:`_Prepared.of`)."""


class _ReadNow:
    """What :meth:`Database.read_now` yields on SQLite: ``await conn.execute(…)`` as on an
    :class:`AsyncConnection`, run at once on the event loop's thread on a connection of its
    own, its rows all read (the statement closed, no snapshot kept). A statement that finds
    the database locked goes to aiosqlite's thread instead, as :meth:`Database.read` would.
    A select that comes again (a module's statement, built once) runs prepared
    (:class:`_Prepared`)."""

    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    async def execute(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> Result[Any]:
        db = self._db
        conn = db._now_connection()
        prepared = db._prepared.get(statement)
        try:
            if isinstance(prepared, _Prepared):
                return db._run_prepared(conn, prepared, parameters)
            # Read whole (frozen): the statement is done and SQLite's snapshot let go
            # before anyone looks at the rows.
            result = conn.execute(statement, parameters).freeze()()
        except OperationalError as error:
            conn.rollback()  # nothing to undo (reads only); the connection goes on
            if not _locked(error):
                raise
        else:
            if prepared is None:
                db._prepared[statement] = _SEEN_ONCE
            elif prepared is _SEEN_ONCE:
                plan = _Prepared.of(statement, conn.dialect, list(result.keys()))
                db._prepared[statement] = _AS_IT_IS if plan is None else plan
            return result
        async with db.read() as pooled:
            return await pooled.execute(statement, parameters)


def _locked(error: OperationalError) -> bool:
    code = getattr(error.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _run_statement(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> tuple[Any, list[Any], int, int | None]:
    """One statement (``many``: for each set of parameters), whole, in aiosqlite's thread:
    its columns, rows, count and last id."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _as_is(value: _T) -> _T:
    return value


def _whole(connection: sqlite3.Connection, work: Callable[[sqlite3.Connection], _T]) -> _T:
    """In aiosqlite's thread: ``work``, then its commit, or its rollback if it raised."""
    try:
        result = work(connection)
    except BaseException:
        if connection.in_transaction:
            connection.rollback()
        raise
    if connection.in_transaction:
        connection.commit()
    return result


class _OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A statement in one trip to aiosqlite's thread instead of four.

    SQLAlchemy's adapter opens an aiosqlite cursor, executes, fetches and closes it, each
    an await that hands the work to aiosqlite's thread and wakes the caller's coroutines
    when it comes back. Here the whole statement runs in one such hand-over (through
    aiosqlite's ``_execute``, the queue its own methods use, as SQLAlchemy's adapter
    already does for the isolation level), and its rows, columns, count and last id come
    back together. The rows are all fetched, as SQLAlchemy's buffered cursor did;
    streamed results keep SQLAlchemy's server-side cursor.
    """

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:  # no cursor to open in the thread
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._arraysize = 1
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        return None  # closed in the thread already

    def close(self) -> None:
        self._rows.clear()

    def setinputsizes(self, *inputsizes: Any) -> None:
        return None  # sqlite3 ignores them too

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        return await self._run(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        return await self._run(operation, seq_of_parameters, many=True)

    async def _run(self, operation: Any, parameters: Any, *, many: bool) -> Any:
        connection = self._connection
        async with self._adapt_connection._execute_mutex:
            found = await connection._execute(
                _run_statement, connection._conn, operation, parameters, many
            )
        self._description, rows, self._rowcount, self._lastrowid = found
        self._rows = collections.deque(rows)
        return self


class _OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = _OneTripCursor


class _OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> _OneTripConnection:
        adapted = super().connect(*arg, **kw)
        return _OneTripConnection(self, adapted._connection)


class SQLiteDialect(SQLiteDialect_aiosqlite):
    """aiosqlite, with a statement in one trip to its thread, and without the commits and
    rollbacks that have nothing to end.

    Each statement runs whole in one hand-over to aiosqlite's thread (``_OneTripCursor``).

    Python's sqlite3 opens a transaction only before a write, so after reads alone, or
    after a commit, the rollback SQLAlchemy asks for (ending a read, returning a
    connection to the pool) changes nothing, nor does the commit of a unit of work that
    only read; through aiosqlite each one still costs a trip to its thread and back (a
    fifth of a one-statement read). They are skipped when sqlite3 says no transaction is
    open; every other commit and rollback happens as before.
    """

    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> AsyncAdapt_aiosqlite_dbapi:
        return _OneTripDBAPI(__import__("aiosqlite"), __import__("sqlite3"))

    def _open_transaction(self, dbapi_connection: Any) -> bool:
        try:
            return bool(self.get_driver_connection(dbapi_connection).in_transaction)
        except Exception:  # closed or broken: let the driver decide, as before
            return True

    def do_rollback(self, dbapi_connection: Any) -> None:
        if self._open_transaction(dbapi_connection):
            super().do_rollback(dbapi_connection)  # type: ignore[no-untyped-call]

    def do_commit(self, dbapi_connection: Any) -> None:
        if self._open_transaction(dbapi_connection):
            super().do_commit(dbapi_connection)  # type: ignore[no-untyped-call]


registry.register("sqlite.estaminet", __name__, "SQLiteDialect")


class Database:
    """Owns the async engine. ``begin()`` is the unit of work: one transaction, committed on exit."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        # Statement parameters (message bodies, e-mail addresses, password hashes) stay
        # out of error messages, hence out of the log (docs/security.md).
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        engine_url = make_url(url)
        if engine_url.get_backend_name() == "sqlite":
            kwargs["connect_args"] = {"timeout": 30}
            if engine_url.get_driver_name() == "aiosqlite":
                engine_url = engine_url.set(drivername="sqlite+estaminet")
        else:
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(engine_url, **kwargs)
        # SQLite has one writer: serialising write transactions in-process avoids
        # "database is locked" when two deferred transactions both upgrade to write.
        self._write_lock: asyncio.Lock | None = None
        # SQLite's reads wait for one of the pool's kept connections rather than open one
        # more, and leave one for the writer (see :meth:`read`).
        self._readers: asyncio.Semaphore | None = None
        # SQLite's reads by key on the event loop's thread (see :meth:`read_now`).
        self._on_loop: Engine | None = None
        self._now: Connection | None = None
        # The selects read_now has seen, and those it runs prepared (see :class:`_Prepared`).
        self._prepared: weakref.WeakKeyDictionary[Executable, object] = weakref.WeakKeyDictionary()
        self._tracers: list[Callable[[str], None]] = []
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            self._write_lock = asyncio.Lock()
            kept = self.engine.sync_engine.pool
            if isinstance(kept, QueuePool):  # a file (an in-memory database has one connection)
                self._readers = asyncio.Semaphore(max(1, kept.size() - 1))
                self._on_loop = create_engine(
                    engine_url.set(drivername="sqlite+pysqlite"),
                    hide_parameters=True,
                    # No busy timeout from the first statement on (the dialect's own first
                    # queries included); one checkout at a time, from the loop's thread.
                    connect_args={"timeout": 0, "check_same_thread": False},
                    poolclass=QueuePool,
                    pool_size=1,  # one kept, for the life of the process
                    max_overflow=-1,  # a second one (after a broken first) never waits
                )
                event.listen(self._on_loop, "connect", _loop_pragmas)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def holding(self) -> bool:
        """Whether the current task holds one of this database's connections on SQLite
        (inside :meth:`read` or :meth:`begin`): what it waits for must not wait for one."""
        return _HOLDING.get()

    @contextmanager
    def traced(self, seen: Callable[[str], None]) -> Iterator[None]:
        """``seen(sql)`` for each statement this database sends while the block runs:
        through SQLAlchemy (the pool's engine, and on SQLite the one of :meth:`read_now`)
        and :meth:`read_now`'s prepared selects, before each is sent. Not the work of
        :meth:`in_one_trip`, which is plain sqlite3 in aiosqlite's thread."""

        def listener(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            seen(statement)

        engines = [self.engine.sync_engine]
        if self._on_loop is not None:
            engines.append(self._on_loop)
        for engine in engines:
            event.listen(engine, "before_cursor_execute", listener)
        self._tracers.append(seen)
        try:
            yield
        finally:
            self._tracers.remove(seen)
            for engine in engines:
                event.remove(engine, "before_cursor_execute", listener)

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        """A transaction: committed when the block ends, rolled back on error."""
        if self._write_lock is None:
            async with self.engine.begin() as conn:
                yield conn
            return
        token = _HOLDING.set(True)
        try:
            async with self._write_lock, self.engine.begin() as conn:
                yield conn
        finally:
            _HOLDING.reset(token)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads (no commit needed).

        On SQLite, fewer reads run at once than the pool keeps connections (one is left
        for the writer, who is alone behind the write lock): past them, SQLAlchemy would
        open a connection (a thread, the file, the schema parsed again: about a
        millisecond) for one read or write and close it after. With a thousand tabs coming
        back at once after a restart, that was most reads beyond the fifth (measured: a
        point read cost 0.77 ms of CPU at 16 at once, 0.43 ms gated; issue 20). A read
        made while this task already holds a connection (a read or a unit of work around
        it) is not held back, so that nothing waits for a place it holds itself.
        """
        if self._readers is None or _HOLDING.get():
            async with self.engine.connect() as conn:
                yield conn
            return
        async with self._readers:
            token = _HOLDING.set(True)
            try:
                async with self.engine.connect() as conn:
                    yield conn
            finally:
                _HOLDING.reset(token)

    def _now_connection(self) -> Connection:
        """The connection of :meth:`read_now`, kept open: read statements only, each in a
        transaction of its own (sqlite3 begins one only before a write), so nothing is held
        between them."""
        conn = self._now
        if conn is None or conn.closed or conn.invalidated:
            assert self._on_loop is not None
            conn = self._now = self._on_loop.connect()
        return conn

    def _run_prepared(
        self, conn: Connection, prepared: _Prepared, parameters: Mapping[str, Any] | None
    ) -> Result[Any]:
        for seen in self._tracers:
            seen(prepared.sql)
        try:
            return prepared.run(conn.connection.driver_connection, parameters)  # type: ignore[arg-type]
        except InvalidRequestError as error:  # a parameter missing: as SQLAlchemy says it
            raise StatementError(
                str(error), prepared.sql, None, error, hide_parameters=True
            ) from error
        except sqlite3.Error as error:
            # As SQLAlchemy reports a statement's failure, its parameters left out.
            raise DBAPIError.instance(
                prepared.sql, None, error, sqlite3.Error, hide_parameters=True, dialect=conn.dialect
            ) from error

    @asynccontextmanager
    async def read_now(self) -> AsyncIterator[AsyncConnection]:
        """A connection for a few small reads by key (a person by their session, a topic's
        last number, a room by its name), run at once on the event loop's thread on SQLite.

        Through aiosqlite a read is a trip to its thread and back, about 0.16-0.2 ms of the
        process's CPU for a statement SQLite answers in a few microseconds; a thousand tabs
        coming back after a restart make three or four each (issue 20). Here SQLite answers
        on the loop's thread, on a read-only connection of its own that never waits for a
        lock (a statement that finds the database locked goes to aiosqlite's thread, as
        :meth:`read` would). Each statement sees what was committed when it ran, as on
        :meth:`read`; what it yields has only ``execute``, whose result is read whole. A page
        along an index (a room's missed messages, a table channel's last messages: ``LIMIT``
        rows, walked in the index's order) is bounded and fits; not a read whose work grows
        with the data (a condition on a column no index serves, a search, an export): the
        loop would stand still while it runs. A select that comes again (a module's
        statement, built once) runs prepared on the connection's sqlite3, with SQLAlchemy's
        own SQL and conversions but not its execution (:class:`_Prepared`): about a third of
        the CPU. On PostgreSQL (and an in-memory SQLite database) it is :meth:`read`.
        """
        if self._on_loop is None:
            async with self.read() as conn:
                yield conn
            return
        yield cast(AsyncConnection, _ReadNow(self))

    async def in_one_trip(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """SQLite only: a whole unit of work, ``work(raw)`` on a pooled sqlite3 connection,
        in one trip to aiosqlite's thread: committed there if it returns, rolled back there
        if it raises (its exception then reaches the caller; a database error as
        SQLAlchemy's :class:`~sqlalchemy.exc.DBAPIError`, its values left out).

        For a hot unit of work whose statements SQLAlchemy would each build, run and read
        back through the adapter, then begin and commit (a chat post: three statements,
        about 0.14 ms of the event loop's CPU each). It holds the same in-process write
        lock as :meth:`begin`. ``work`` gets and returns plain values: what it binds and
        reads must be converted as the columns' types do (see :attr:`sqlite_datetime`).
        """
        if self._write_lock is None:
            raise RuntimeError("in_one_trip is for SQLite")
        async with self._write_lock, self.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            adapted, driver = raw.dbapi_connection, raw.driver_connection
            try:
                async with adapted._execute_mutex:  # type: ignore[union-attr]
                    result: _T = await driver._execute(_whole, driver._conn, work)  # type: ignore[union-attr]
            except sqlite3.Error as error:
                # As SQLAlchemy reports a statement's failure, its parameters left out.
                raise DBAPIError.instance(
                    None, None, error, sqlite3.Error, hide_parameters=True, dialect=conn.dialect
                ) from error
        return result

    def sqlite_store(self, type_: TypeEngine[Any]) -> Callable[[Any], Any]:
        """How a column of ``type_`` stores a value on this SQLite database (JSON written
        out, an instant as text…): SQLAlchemy's own conversion, for :meth:`in_one_trip`."""
        dialect = self.engine.dialect
        store = type_.dialect_impl(dialect).bind_processor(dialect)
        return store if store is not None else _as_is

    @functools.cached_property
    def sqlite_datetime(self) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
        """How a :class:`UTCDateTime` column stores an instant on this SQLite database, and
        reads it back: SQLAlchemy's own conversions, for :meth:`in_one_trip`."""
        dialect = self.engine.dialect
        column = UTCDateTime().dialect_impl(dialect)
        store, read = column.bind_processor(dialect), column.result_processor(dialect, None)
        assert store is not None
        assert read is not None
        return store, read

    async def create_all(self) -> None:
        """Create every table directly (tests); production uses :func:`estaminet.store.migrate.upgrade`."""
        async with self.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)

    async def dispose(self) -> None:
        if self._now is not None:
            self._now.close()
            self._now = None
        if self._on_loop is not None:
            self._on_loop.dispose()
        await self.engine.dispose()
