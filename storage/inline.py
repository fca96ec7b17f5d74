"""AsyncSession's interface over a synchronous Session, for the embedded SQLite database.

On SQLite every transaction of the process is serialised and each statement takes
microseconds, so there is nothing to wait for: SQLAlchemy's asyncio layer (a greenlet
switch around every driver call) would cost more than the database work itself —
measured at 154 µs against 66 µs for the same statement run synchronously. These
classes keep the exact API that storage functions use (``await session.execute(...)``,
``await session.connection()`` …) and run each call in place. PostgreSQL keeps the real
AsyncSession: there, concurrency is the point.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Session


class InlineConnection:
    """The part of AsyncConnection that storage functions use, run in place."""

    def __init__(self, sync_connection: Connection) -> None:
        self.sync_connection = sync_connection

    @property
    def dialect(self) -> Dialect:
        return self.sync_connection.dialect

    @property
    def info(self) -> dict[Any, Any]:
        return self.sync_connection.info

    async def execute(self, statement: Any, parameters: Any = None, **kw: Any) -> Any:
        return self.sync_connection.execute(statement, parameters, **kw)


class InlineSession(AsyncSession):
    """An AsyncSession whose calls run the synchronous Session directly."""

    def __init__(self, sync_connection: Connection) -> None:
        # Not calling AsyncSession.__init__: it would insist on an asyncio engine.
        self._async_bind = None
        self._async_binds = {}
        self.sync_session = self._proxied = self._assign_proxied(
            Session(bind=sync_connection, expire_on_commit=False)
        )
        self.bound_connection = sync_connection
        self._inline_connection = InlineConnection(sync_connection)

    async def execute(self, statement: Any, params: Any = None, **kw: Any) -> Any:
        return self.sync_session.execute(statement, params, **kw)

    async def scalar(self, statement: Any, params: Any = None, **kw: Any) -> Any:
        return self.sync_session.scalar(statement, params, **kw)

    async def scalars(self, statement: Any, params: Any = None, **kw: Any) -> Any:
        return self.sync_session.scalars(statement, params, **kw)

    async def get(self, entity: Any, ident: Any, **kw: Any) -> Any:
        return self.sync_session.get(entity, ident, **kw)

    async def flush(self, objects: Any = None) -> None:
        self.sync_session.flush(objects)

    async def delete(self, instance: object) -> None:
        self.sync_session.delete(instance)

    async def refresh(self, instance: object, *args: Any, **kw: Any) -> None:
        self.sync_session.refresh(instance, *args, **kw)

    async def connection(self, *args: Any, **kw: Any) -> AsyncConnection:
        # Through the Session, so that it begins (or joins) the transaction it will commit.
        self.sync_session.connection()
        return cast(AsyncConnection, self._inline_connection)

    async def commit(self) -> None:
        self.sync_session.commit()

    async def rollback(self) -> None:
        self.sync_session.rollback()

    async def close(self) -> None:
        self.sync_session.close()


def raw_sqlite(owner: object) -> sqlite3.Connection | None:
    """The sqlite3 connection under an inline session or connection, for the few statements
    that run on every message (see storage.queries.sender); None on any other database.
    Asking for it begins no transaction."""
    sync = (owner.bound_connection if isinstance(owner, InlineSession)
            else owner.sync_connection if isinstance(owner, InlineConnection) else None)
    if sync is not None:
        driver = sync.connection.dbapi_connection
        if isinstance(driver, sqlite3.Connection):
            return driver
    return None


def sqlite_datetime(moment: datetime) -> str:
    """An aware datetime as SQLAlchemy stores a UTCDateTime on SQLite (naive UTC text)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
