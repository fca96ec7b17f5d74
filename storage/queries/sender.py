"""Everything the dispatcher needs before routing a delivery, in one round trip."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.dialects import sqlite as sqlite_dialect

from storage.db import Database
from storage.inline import raw_sqlite
from storage.models import DialogState, InboundMessage, Member, Studio, TradeUnion
from storage.session import Session


@dataclass(frozen=True)
class StoredDialog:
    state: str
    data: dict[str, Any]
    expires_at: datetime


@dataclass(frozen=True)
class SeenDelivery:
    status: str
    reply: dict[str, Any] | None


@dataclass(frozen=True)
class MemberView:
    """The facts about a bound sender that handlers read; changes go through storage calls."""

    id: int
    employee_no: str
    name: str
    role: str
    studio_id: int | None
    studio_name: str | None
    union_id: int | None
    language: str | None = None  # the member's own choice; None: the union's default

    @classmethod
    def of(cls, member: Member) -> MemberView:
        return cls(member.id, member.employee_no, member.name, member.role, member.studio_id,
                   member.studio.name if member.studio is not None else None, member.union_id,
                   member.language)


@dataclass(frozen=True)
class Sender:
    member: MemberView | None
    dialog: StoredDialog | None
    seen: SeenDelivery | None  # this very delivery was handled before (a retry)
    union_language: str | None = None  # the union's default language (None: zh-CN)

    @property
    def language(self) -> str | None:
        """What the sender reads: their own choice, else the union's default."""
        own = self.member.language if self.member is not None else None
        return own or self.union_language


@functools.cache
def _sender_query() -> Select[Any]:
    # Built once: constructing and hashing this statement costs more than running it.
    src = select(bindparam("openid").label("openid"), bindparam("key").label("key")).subquery()
    m = Member.__table__
    st = Studio.__table__
    d = DialogState.__table__
    i = InboundMessage.__table__
    u = TradeUnion.__table__
    # The root union's language; min() rather than LIMIT, which would add a parameter.
    root = select(func.min(u.c.id)).where(u.c.parent_id.is_(None)).scalar_subquery()
    union_language = select(u.c.language).where(u.c.id == root).scalar_subquery()
    return select(
        m.c.id, m.c.employee_no, m.c.name, m.c.role, m.c.studio_id, st.c.name.label("studio_name"),
        m.c.union_id, m.c.language, union_language.label("union_language"), d.c.state, d.c.data,
        d.c.expires_at, i.c.status, i.c.reply,
    ).select_from(
        src.outerjoin(m, m.c.openid == src.c.openid)
        .outerjoin(st, st.c.id == m.c.studio_id)
        .outerjoin(d, d.c.openid == src.c.openid)
        .outerjoin(i, i.c.dedupe_key == src.c.key)
    )


@functools.cache
def _postgres_sql() -> tuple[str, tuple[str, ...]]:
    from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg

    compiled = _sender_query().compile(dialect=pg_asyncpg.dialect())  # type: ignore[no-untyped-call]
    return str(compiled), tuple(compiled.positiontup or ())


@functools.cache
def _sqlite_sql() -> str:
    compiled = _sender_query().compile(dialect=sqlite_dialect.dialect())
    assert list(compiled.positiontup or []) == ["openid", "key"], compiled.positiontup
    return str(compiled)


def _from_sqlite(values: tuple[Any, ...]) -> Any:
    """Column values as SQLAlchemy's types would give them (JSON text, naive UTC times)."""
    (mid, employee_no, name, role, studio_id, studio_name, union_id, language, union_language,
     state, data, expires_at, status, reply) = values
    return SimpleNamespace(
        id=mid, employee_no=employee_no, name=name, role=role, studio_id=studio_id,
        studio_name=studio_name, union_id=union_id, language=language,
        union_language=union_language, state=state,
        data=json.loads(data) if data is not None else None,
        expires_at=(datetime.fromisoformat(expires_at).replace(tzinfo=UTC)
                    if expires_at is not None else None),
        status=status, reply=json.loads(reply) if reply is not None else None,
    )


async def sender_outside_transaction(db: Database, openid: str, dedupe_key: str) -> Sender:
    """sender_of, read on PostgreSQL without a session or transaction: the first step of
    every message, before the dispatcher knows whether the message will write anything.
    One prepared statement on asyncpg; the same SQL as the Core statement (a test compares
    the two)."""
    sql, order = _postgres_sql()
    values = {"openid": openid, "key": dedupe_key}
    row = await db.raw_fetchrow(sql, *(values[name] for name in order))
    assert row is not None  # the query selects from a one-row subquery
    return _sender(SimpleNamespace(
        **{k: row[k] for k in ("id", "employee_no", "name", "role", "studio_id",
                               "studio_name", "union_id", "language", "union_language",
                               "state", "expires_at", "status")},
        data=json.loads(row["data"]) if isinstance(row["data"], str) else row["data"],
        reply=json.loads(row["reply"]) if isinstance(row["reply"], str) else row["reply"],
    ))


async def sender_of(session: Session, openid: str, dedupe_key: str) -> Sender:
    """The member bound to `openid`, their stored dialog, and whether this delivery was seen.

    Every message starts here, so it is one query for all three. On the embedded SQLite
    it goes straight to sqlite3 (12 µs rather than 66 µs through the Core statement
    machinery, measured): the same SQL, compiled once from the Core statement, with the
    two JSON and one time column decoded as SQLAlchemy would. The tests run every
    message through both this and the Core path (PostgreSQL).
    """
    raw = raw_sqlite(session)
    if raw is not None:
        # Outside any transaction on SQLite: a read needs none, and BEGIN waits for a need.
        row = _from_sqlite(raw.execute(_sqlite_sql(), (openid, dedupe_key)).fetchone())
    else:
        conn = await session.connection()
        row = (await conn.execute(_sender_query(), {"openid": openid, "key": dedupe_key})).one()
    return _sender(row)


def _sender(row: Any) -> Sender:
    dialog = None
    if row.state is not None:
        dialog = StoredDialog(row.state, dict(row.data or {}), row.expires_at)
    seen = SeenDelivery(row.status, row.reply) if row.status is not None else None
    member = None
    if row.id is not None:
        member = MemberView(row.id, row.employee_no, row.name, row.role, row.studio_id,
                            row.studio_name, row.union_id, row.language)
    return Sender(member=member, dialog=dialog, seen=seen, union_language=row.union_language)
