"""Base, engine and transaction factory; nothing is built at import time."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Insert, MetaData, Table, create_engine, event, make_url
from sqlalchemy.engine import Connection, Dialect, Engine, RootTransaction
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from storage.driver import DriverSession
from storage.inline import InlineSession
from storage.session import Session

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# How long a transaction waits for another process to release SQLite's write lock.
SQLITE_LOCK_WAIT = 10.0


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; SQLite drops the offset, so it is put back on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        # SQLite compares the stored text, so every value must have one shape.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _sqlite_path(url: str) -> str:
    return make_url(url).database or ":memory:"


class Database:
    """The engine plus a transaction factory.

    SQLite allows one writer at a time; letting concurrent transactions race for its
    file lock turns into "database is locked" errors under load, so on SQLite every
    transaction of this process goes through one asyncio lock and one connection.
    PostgreSQL transactions run concurrently.
    """

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.sqlite = is_sqlite(url)
        kwargs: dict[str, Any] = {"echo": echo}
        if not self.sqlite:
            kwargs["pool_size"] = 10
            kwargs["max_overflow"] = 10
            # No ping before each checkout (a round trip per message): a connection that died
            # (PostgreSQL restarted) fails its statement, SQLAlchemy invalidates the pool, the
            # sender gets the apology, and the next message gets a fresh connection.
            kwargs["pool_pre_ping"] = False
        # On SQLite this engine serves only migrations and schema checks; every
        # transaction runs on the synchronous engine below (see storage/inline.py).
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        self._sync_engine: Engine | None = None
        if self.sqlite:
            # aiosqlite runs in its own thread, so waiting there for a lock is harmless.
            _pragmas(self.engine.sync_engine, busy_timeout_ms=5000)
            self._sync_engine = create_engine(
                f"sqlite:///{_sqlite_path(url)}", echo=echo, pool_size=1, max_overflow=0,
                connect_args={"isolation_level": None, "check_same_thread": False},
            )
            # This one runs on the event loop: never wait inside SQLite (that would block
            # every other request); Database._begin_sqlite waits asynchronously instead.
            _pragmas(self._sync_engine, busy_timeout_ms=0)
            _begin_immediate(self._sync_engine)
            _track_writes(self._sync_engine)
        _track_writes(self.engine.sync_engine)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = asyncio.Lock() if self.sqlite else None
        self._writer: Connection | None = None
        self._session: InlineSession | None = None
        # PostgreSQL: a plain asyncpg pool for the few statements every message runs
        # outside a transaction (storage.queries.sender); made on first use.
        self._raw_pool: Any = None
        self._raw_pool_lock = asyncio.Lock() if not self.sqlite else None
        # Lean units in flight (storage.driver). They queue here, first come first served,
        # rather than in asyncpg's pool, where a newcomer can take a connection that was
        # just released before the waiter it was meant for runs: under load that left some
        # messages waiting 200 ms (p99 of a one-shot 周报 160 ms; 97 ms queued here, measured
        # with bench.weekly_logs). Fewer than the pool's connections, so that the batched
        # sender reads always find one.
        self._units = asyncio.Semaphore(RAW_UNITS) if not self.sqlite else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Session]:
        """One unit of work: commits on success, rolls back on any exception."""
        if not self.sqlite:
            async with self.sessions() as session, session.begin():
                yield session
            return
        assert self._write_lock is not None
        async with self._write_lock:
            conn, tx = await self._begin_sqlite()
            # The session joins the connection's transaction; committing is ours. One
            # session object serves every transaction on the writer connection: they
            # never overlap, and close() below leaves it empty.
            inline = self._session
            if inline is None or inline.bound_connection is not conn:
                inline = self._session = InlineSession(conn)
            try:
                yield inline
                inline.sync_session.flush()
                tx.commit()
            except BaseException:
                tx.rollback()
                raise
            finally:
                inline.sync_session.close()

    @contextlib.asynccontextmanager
    async def unit(self) -> AsyncIterator[Session]:
        """Like transaction(), but on SQLite the transaction starts only when the work first
        touches the database through the session — a message that only reads with the
        raw sender query, or needs nothing at all (帮助), costs no BEGIN and no COMMIT.

        A lazily begun transaction can find the file locked by another process; that
        surfaces as OperationalError("database is locked") and the caller retries the
        whole unit (nothing of it was kept).
        """
        if not self.sqlite:
            async with self.transaction() as session:
                yield session
            return
        assert self._write_lock is not None and self._sync_engine is not None
        async with self._write_lock:
            conn = self._writer
            if conn is None or conn.closed or conn.invalidated:
                conn = self._writer = self._sync_engine.connect()
            inline = self._session
            if inline is None or inline.bound_connection is not conn:
                inline = self._session = InlineSession(conn)
            sync = inline.sync_session
            try:
                yield inline
                sync.flush()
                if sync.in_transaction():
                    sync.commit()
                if conn.in_transaction():
                    conn.commit()
            except BaseException:
                sync.rollback()
                if conn.in_transaction():
                    conn.rollback()
                raise
            finally:
                # A unit that loaded nothing has nothing to expunge (帮助, most retries).
                if sync.identity_map or sync.new or sync.in_transaction():
                    sync.close()

    async def _begin_sqlite(self) -> tuple[Connection, RootTransaction]:
        """The writer connection with a transaction open, holding SQLite's write lock.

        One connection stays checked out for all of this process's transactions: they
        are serialised anyway, and a pool checkout per message costs more than the work.
        """
        delay = 0.005
        deadline = time.monotonic() + SQLITE_LOCK_WAIT
        assert self._sync_engine is not None
        while True:
            conn = self._writer
            if conn is None or conn.closed or conn.invalidated:
                conn = self._writer = self._sync_engine.connect()
            try:
                return conn, conn.begin()
            except (OperationalError, sqlite3.OperationalError) as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
            # Another process (say, a roster import) holds SQLite's write lock: wait for
            # it without blocking the event loop.
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.1)

    async def _raw(self) -> Any:
        """The plain asyncpg pool (PostgreSQL only), made on first use."""
        if self._raw_pool is None:
            import asyncpg

            assert self._raw_pool_lock is not None, "raw statements are for PostgreSQL"
            async with self._raw_pool_lock:
                if self._raw_pool is None:
                    dsn = make_url(self.url).set(drivername="postgresql")
                    self._raw_pool = await asyncpg.create_pool(
                        dsn.render_as_string(hide_password=False), min_size=1, max_size=RAW_UNITS + 5,
                        # The statements run here open nothing to reset (no LISTEN, no
                        # session settings): asyncpg's default reset would cost each
                        # message a second round trip.
                        reset=_no_reset,
                        server_settings=RAW_PLANNING)
        return self._raw_pool

    async def raw_fetch(self, sql: str, *args: Any) -> list[Any]:
        """The rows of a statement run straight on asyncpg, outside any transaction
        (PostgreSQL only): no session, no BEGIN/COMMIT, a prepared statement per connection.
        The few statements that use it are tested against their Core form."""
        pool = await self._raw()
        async with pool.acquire() as conn:
            return list(await conn.fetch(sql, *args))

    @contextlib.asynccontextmanager
    async def driver_unit(self) -> AsyncIterator[DriverSession]:
        """unit() on asyncpg directly (PostgreSQL only; see storage.driver): commits on
        success, rolls back on any exception, NeedsSession included. A unit that sent
        nothing sends no COMMIT either."""
        pool = await self._raw()
        assert self._units is not None
        async with self._units, pool.acquire() as conn:
            session = DriverSession(conn)
            try:
                yield session
            except BaseException:
                if session.begun and conn.is_in_transaction():
                    await conn.execute("ROLLBACK")
                raise
            if session.begun:
                await conn.execute("COMMIT")

    @contextlib.asynccontextmanager
    async def reader(self) -> AsyncIterator[Session]:
        """A session for work that is expected to write nothing: it begins a transaction only
        if something reads through it, and whatever it did is rolled back at the end (the
        caller checks, with transaction_wrote, that nothing was meant to be kept)."""
        async with self.sessions() as session:
            try:
                yield session
            finally:
                if session.in_transaction():
                    await session.rollback()

    @contextlib.asynccontextmanager
    async def lazy_reader(self) -> AsyncIterator[OnDemand]:
        """reader() for work that may not touch the database at all (帮助 from a stranger):
        the session is made when something first asks for it, so a message that reads
        nothing costs no session."""
        holder = OnDemand(self.sessions)
        try:
            yield holder
        finally:
            if holder.opened is not None:
                try:
                    if holder.opened.in_transaction():
                        await holder.opened.rollback()
                finally:
                    await holder.opened.close()

    async def dispose(self) -> None:
        if self._raw_pool is not None:
            await self._raw_pool.close()
            self._raw_pool = None
        self._session = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._sync_engine is not None:
            self._sync_engine.dispose()
        await self.engine.dispose()


# The statements run on the raw pool look rows up by key, a few dozen at a time, so their
# right plan is index lookups whatever the tables hold. Left to choose, PostgreSQL plans the
# batched sender statement with scans while the tables are new and empty, keeps that plan
# cached on the connection as they grow, and pays 1.55 ms of its CPU per execution after
# 20,000 deliveries instead of 0.08 ms, until autovacuum's next analyze (measured with
# `python -m bench.sender_plans`).
RAW_PLANNING = {"enable_seqscan": "off", "enable_hashjoin": "off"}
RAW_UNITS = 10  # lean units of work in flight at once, per process


class OnDemand:
    """A session made on first use (see Database.lazy_reader)."""

    def __init__(self, make: Callable[[], AsyncSession]) -> None:
        self._make = make
        self.opened: AsyncSession | None = None

    def get(self) -> AsyncSession:
        if self.opened is None:
            self.opened = self._make()
        return self.opened


async def _no_reset(connection: Any) -> None:
    """A connection going back to the raw pool needs no reset (see Database.raw_fetch), unless
    a unit left it inside a transaction (its ROLLBACK failed or was cancelled); if this
    fails too, asyncpg closes the connection rather than hand it out again."""
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


WROTE = "workshop_bot_wrote"


def _track_writes(engine: Engine) -> None:
    """Note on the connection whether the current transaction changed anything.

    The dispatcher gives a message that changed nothing a cheaper, write-behind record
    (see bot.dispatcher); this is how it knows, without trusting each handler to say so.
    """

    @event.listens_for(engine, "begin")
    def _reset(conn: Any) -> None:
        conn.info[WROTE] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _note(conn: Any, _cursor: Any, statement: str, _params: Any, context: Any,
              _many: bool) -> None:
        if not statement.lstrip()[:6].upper().startswith("SELECT"):
            conn.info[WROTE] = True


async def transaction_wrote(session: Session) -> bool:
    """Whether this unit of work has changed anything so far (pending ORM changes included)."""
    if isinstance(session, DriverSession):
        return session.wrote
    await session.flush()
    if isinstance(session, InlineSession):
        sync = session.bound_connection
        if not sync.in_transaction():
            return False  # nothing began a transaction: nothing was written
        return bool(sync.info.get(WROTE, True))
    conn = await session.connection()
    return bool(conn.info.get(WROTE, True))


def _pragmas(engine: Engine, *, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # WAL with synchronous=NORMAL survives a crash of the process; a power cut can
        # lose the last transactions but never corrupts the file.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _begin_immediate(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front, so a busy database shows up here,
        # where Database._begin_sqlite can wait for it, and never mid-transaction.
        # Straight to sqlite3: this runs once per message, and the statement machinery
        # costs more than the statement.
        conn.connection.dbapi_connection.execute("BEGIN IMMEDIATE")


@functools.cache
def insert_ignoring_duplicates(table: Table, dialect: str, keys: tuple[str, ...]) -> Insert:
    """INSERT … ON CONFLICT (keys) DO NOTHING for `dialect`, built once per table.

    The unique keys are how this project makes repeats harmless (inbound log, outbox,
    leases); this is the one place that spells the statement for each database.
    """
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=list(keys))
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing(index_elements=list(keys))
