"""storage.session.Session on asyncpg directly, for PostgreSQL's busiest units of work.

Five statements in a transaction cost this process 1,250 µs of CPU on an AsyncSession and
400 µs on asyncpg directly (SQLAlchemy's asyncio layer: a greenlet switch, an execution
context and result processing per statement); a one-shot 周报's unit of work 1,840 µs
against 580 µs on this session (measured with `python -m bench.units`). On SQLAlchemy
alone PostgreSQL answered fewer than 500 one-shot 周报 a second on one process.

A DriverSession is a transaction on one asyncpg connection, begun by its first statement
(the sender's lock rides along with BEGIN: storage.queries.locks). It offers no ORM and no
Core execution at all: the few storage functions that lean routes (bot.routing.Route.lean)
call ask for `raw_postgres(session)` and run their statement, compiled once from its Core
form (tests/test_lean_units.py runs each both ways and compares). Any other use of the
session raises NeedsSession; the dispatcher then rolls the unit back and runs it again on
an AsyncSession. Handlers write only through the session and neither send nor commit, so
running one again is harmless.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

_T = TypeVar("_T")


class NeedsSession(Exception):
    """The work asked a DriverSession for something only SQLAlchemy's session offers."""


class DriverSession:
    """storage.session.Session whose only use is `raw_postgres(session)` (see above)."""

    def __init__(self, connection: Any) -> None:
        self.driver = connection  # an asyncpg Connection, in a transaction once begun
        self.begun = False
        self.wrote = False  # set by the raw statements that change something

    async def begin(self, first: str | None = None) -> None:
        """BEGIN the transaction, with `first` (a statement without parameters, such as the
        sender's lock) in the same round trip; `first` alone if it has begun already."""
        if self.begun:
            if first is not None:
                await self.driver.execute(first)
            return
        self.begun = True
        await self.driver.execute("BEGIN" if first is None else f"BEGIN; {first}")

    # The whole of storage.session.Session, refused: only raw_postgres(session) is offered.
    def add(self, instance: object) -> None:
        raise NeedsSession("add")

    def add_all(self, instances: Iterable[object]) -> None:
        raise NeedsSession("add_all")

    def get_bind(self) -> Any:
        raise NeedsSession("get_bind")

    async def execute(self, statement: Any, params: Any = None) -> Any:
        raise NeedsSession("execute")

    async def scalar(self, statement: Any, params: Any = None) -> Any:
        raise NeedsSession("scalar")

    async def scalars(self, statement: Any, params: Any = None) -> Any:
        raise NeedsSession("scalars")

    async def get(self, entity: type[_T], ident: Any) -> _T | None:
        raise NeedsSession("get")

    async def flush(self, objects: Any = None) -> None:
        raise NeedsSession("flush")

    async def delete(self, instance: object) -> None:
        raise NeedsSession("delete")

    async def refresh(self, instance: object) -> None:
        raise NeedsSession("refresh")

    async def connection(self) -> Any:
        raise NeedsSession("connection")

    def in_transaction(self) -> bool:
        return True

    async def rollback(self) -> None:
        raise NeedsSession("rollback")  # the unit's owner rolls back; nothing else may


def raw_postgres(session: object) -> Any | None:
    """The asyncpg connection under a DriverSession (inside its transaction); None for any
    other session, whose callers use the Core statement."""
    return session.driver if isinstance(session, DriverSession) else None


@functools.cache
def _dialect() -> Dialect:
    from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg

    return cast(Dialect, pg_asyncpg.dialect())  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class Compiled:
    sql: str
    order: tuple[str, ...]  # the parameters' names, in the order asyncpg takes them
    fixed: dict[str, Any]  # the values the statement carries itself (its literals)

    def arguments(self, values: dict[str, Any]) -> list[Any]:
        return [values[name] if name in values else self.fixed[name] for name in self.order]


@functools.cache
def compiled(statement: ClauseElement, columns: tuple[str, ...] | None = None) -> Compiled:
    """A Core statement as asyncpg's SQL, compiled once.

    `columns` names the values of an INSERT or UPDATE that has none of its own."""
    done = cast(SQLCompiler, statement.compile(
        dialect=_dialect(), column_keys=list(columns) if columns is not None else None))
    return Compiled(str(done), tuple(done.positiontup or ()),
                    {name: bind.value for name, bind in done.binds.items()
                     if not bind.required and bind.value is not None})


async def fetch_one(session: object, statement: ClauseElement, values: dict[str, Any],
                    columns: tuple[str, ...] | None = None, *, writes: bool = False) -> Any:
    """One row (or None) of a Core statement run on the DriverSession's connection;
    `writes`: the statement changes something (an INSERT … RETURNING)."""
    sql = compiled(statement, columns)
    driver_session = cast(DriverSession, session)
    if not driver_session.begun:
        await driver_session.begin()
    if writes:
        driver_session.wrote = True
    return await driver_session.driver.fetchrow(sql.sql, *sql.arguments(values))


async def fetch_all(session: object, statement: ClauseElement,
                    values: dict[str, Any]) -> list[Any]:
    """Every row of a Core statement run on the DriverSession's connection."""
    sql = compiled(statement)
    driver_session = cast(DriverSession, session)
    if not driver_session.begun:
        await driver_session.begin()
    return list(await driver_session.driver.fetch(sql.sql, *sql.arguments(values)))


async def run(session: object, statement: ClauseElement, values: dict[str, Any] | Iterable[
        dict[str, Any]], columns: tuple[str, ...] | None = None) -> None:
    """A writing Core statement run on the DriverSession's connection; a list of `values`
    runs it once for each."""
    sql = compiled(statement, columns)
    driver_session = cast(DriverSession, session)
    if not driver_session.begun:
        await driver_session.begin()
    driver_session.wrote = True
    if isinstance(values, dict):
        await driver_session.driver.execute(sql.sql, *sql.arguments(values))
    else:
        await driver_session.driver.executemany(sql.sql, [sql.arguments(v) for v in values])
