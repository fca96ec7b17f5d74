"""The unit-of-work interface storage functions are written against, with two implementations:
SQLAlchemy's AsyncSession (PostgreSQL, where concurrency is the point) and InlineSession
(storage/inline.py: the embedded SQLite, run in place). Storage functions take a `Session`
and use only what is declared here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, TypeVar, overload

from sqlalchemy.engine import Dialect, ScalarResult
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.selectable import TypedReturnsRows

_T = TypeVar("_T")


class Connection(Protocol):
    """The connection under a session: what the few Core statements of storage need."""

    @property
    def dialect(self) -> Dialect: ...

    @property
    def info(self) -> dict[Any, Any]: ...

    async def execute(self, statement: Any, parameters: Any = None) -> Any: ...


class Session(Protocol):
    """A unit of work: ORM and Core statements, inside a transaction its owner commits."""

    async def execute(self, statement: Any, params: Any = None) -> Any: ...

    @overload
    async def scalar(self, statement: TypedReturnsRows[_T],
                     params: Any = None) -> _T | None: ...

    @overload
    async def scalar(self, statement: Executable, params: Any = None) -> Any: ...

    async def scalar(self, statement: Any, params: Any = None) -> Any: ...

    @overload
    async def scalars(self, statement: TypedReturnsRows[_T],
                      params: Any = None) -> ScalarResult[_T]: ...

    @overload
    async def scalars(self, statement: Executable, params: Any = None) -> Any: ...

    async def scalars(self, statement: Any, params: Any = None) -> Any: ...

    async def get(self, entity: type[_T], ident: Any) -> _T | None: ...

    async def flush(self, objects: Any = None) -> None: ...

    async def delete(self, instance: object) -> None: ...

    async def refresh(self, instance: object) -> None: ...

    def add(self, instance: object) -> None: ...

    def add_all(self, instances: Iterable[object]) -> None: ...

    async def connection(self) -> Any: ...

    def get_bind(self) -> Any: ...

    def in_transaction(self) -> bool: ...

    async def rollback(self) -> None: ...
