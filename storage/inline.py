"""storage.session.Session over a synchronous Session, for the embedded SQLite database.

On SQLite every transaction of the process is serialised and each statement takes
microseconds, so there is nothing to wait for: SQLAlchemy's asyncio layer (a greenlet
switch around every driver call) would cost more than the database work itself —
measured at 154 µs against 66 µs for the same statement run synchronously. These
classes implement the interface storage functions use (storage.session: ``await
session.execute(...)``, ``await session.connection()`` …) and run each call in place, with
SQLAlchemy's public synchronous API only. PostgreSQL keeps the real AsyncSession: there,
concurrency is the point.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar, overload

from sqlalchemy.engine import Connection, Dialect, ScalarResult
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.selectable import TypedReturnsRows

_T = TypeVar("_T")


class InlineConnection:
    """storage.session.Connection over a synchronous Connection, run in place."""

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


class InlineSession:
    """storage.session.Session whose calls run a synchronous Session directly."""

    def __init__(self, sync_connection: Connection) -> None:
        self.sync_session = Session(bind=sync_connection, expire_on_commit=False)
        self.bound_connection = sync_connection
        self._inline_connection = InlineConnection(sync_connection)

    def add(self, instance: object) -> None:
        self.sync_session.add(instance)

    def add_all(self, instances: Iterable[object]) -> None:
        self.sync_session.add_all(instances)

    def get_bind(self) -> Connection:
        return self.bound_connection

    def in_transaction(self) -> bool:
        return self.sync_session.in_transaction()

    async def execute(self, statement: Any, params: Any = None, **kw: Any) -> Any:
        return self.sync_session.execute(statement, params, **kw)

    @overload
    async def scalar(self, statement: TypedReturnsRows[_T],
                     params: Any = None) -> _T | None: ...

    @overload
    async def scalar(self, statement: Executable, params: Any = None) -> Any: ...

    async def scalar(self, statement: Any, params: Any = None) -> Any:
        return self.sync_session.scalar(statement, params)

    @overload
    async def scalars(self, statement: TypedReturnsRows[_T],
                      params: Any = None) -> ScalarResult[_T]: ...

    @overload
    async def scalars(self, statement: Executable, params: Any = None) -> Any: ...

    async def scalars(self, statement: Any, params: Any = None) -> Any:
        return self.sync_session.scalars(statement, params)

    async def get(self, entity: type[_T], ident: Any) -> _T | None:
        return self.sync_session.get(entity, ident)

    async def flush(self, objects: Any = None) -> None:
        self.sync_session.flush(objects)

    async def delete(self, instance: object) -> None:
        self.sync_session.delete(instance)

    async def refresh(self, instance: object, *args: Any, **kw: Any) -> None:
        self.sync_session.refresh(instance, *args, **kw)

    async def connection(self) -> InlineConnection:
        # Through the Session, so that it begins (or joins) the transaction it will commit.
        self.sync_session.connection()
        return self._inline_connection

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
