"""The audit trail of console actions: written with the record before and after, read back
filtered by who, what and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, inspect, select

from storage.db import Base
from storage.models import AuditEntry, Member, Studio
from storage.queries.scope import in_period, in_studio
from storage.session import Session


def _plain(value: Any) -> Any:
    """A column's value as JSON holds it: times and dates as ISO 8601."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def snapshot_of(record: Base | None) -> dict[str, Any] | None:
    """A row's columns as a JSON-ready dict (None for no row): what the trail keeps."""
    if record is None:
        return None
    mapper = inspect(type(record))
    return {attr.key: _plain(getattr(record, attr.key)) for attr in mapper.column_attrs}


async def snapshot(session: Session, model: type[Base], record_id: int) -> dict[str, Any] | None:
    """The row `record_id` of `model` as stored now (read afresh, not from the session's
    cache: a change made with an UPDATE statement shows)."""
    await session.flush()  # changes made through the ORM, not yet written
    table = model.__table__
    row = (await session.execute(
        select(table).where(table.c.id == record_id))).mappings().first()
    return None if row is None else {k: _plain(v) for k, v in row.items()}


async def add_audit(session: Session, *, at: datetime, actor_id: int | None, action: str,
                    subject: str, subject_id: int | None, studio_id: int | None,
                    before: dict[str, Any] | None, after: dict[str, Any] | None) -> int:
    entry = AuditEntry(at=at, actor_id=actor_id, action=action, subject=subject,
                       subject_id=subject_id, studio_id=studio_id, before=before, after=after)
    session.add(entry)
    await session.flush()
    return entry.id


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor_id: int | None
    actor: str | None  # None: the operator at the terminal
    action: str
    subject: str
    subject_id: int | None
    studio_id: int | None
    studio: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


async def audit_listed(session: Session, *, studio_id: int | None, actor_id: int | None = None,
                       action: str | None = None, since: datetime | None = None,
                       until: datetime | None = None, limit: int = 50,
                       offset: int = 0) -> tuple[list[AuditRow], int]:
    """The entries, newest first, narrowed as asked (`studio_id`: that studio's only), and
    how many there are in all."""
    where = [*in_studio(AuditEntry.studio_id, studio_id), *in_period(AuditEntry.at, since, until)]
    if actor_id is not None:
        where.append(AuditEntry.actor_id == actor_id)
    if action is not None:
        where.append(AuditEntry.action == action)
    rows = (await session.execute(
        select(AuditEntry.id, AuditEntry.at, AuditEntry.actor_id, Member.name, AuditEntry.action,
               AuditEntry.subject, AuditEntry.subject_id, AuditEntry.studio_id, Studio.name,
               AuditEntry.before, AuditEntry.after)
        .outerjoin(Member, Member.id == AuditEntry.actor_id)
        .outerjoin(Studio, Studio.id == AuditEntry.studio_id)
        .where(*where).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit).offset(offset))).all()
    total = int(await session.scalar(select(func.count(AuditEntry.id)).where(*where)) or 0)
    return [AuditRow(*row) for row in rows], total


async def audit_actors(session: Session, studio_id: int | None) -> list[tuple[int, str]]:
    """Who appears in the trail (of that studio, when given), by name: the filter's choices."""
    rows = (await session.execute(
        select(Member.id, Member.name).where(Member.id.in_(
            select(AuditEntry.actor_id).where(AuditEntry.actor_id.is_not(None),
                                              *in_studio(AuditEntry.studio_id, studio_id))))
        .order_by(Member.name, Member.id))).all()
    return [(int(i), str(n)) for i, n in rows]


async def audit_actions(session: Session, studio_id: int | None) -> list[str]:
    """The actions the trail holds (of that studio, when given)."""
    return sorted(await session.scalars(
        select(AuditEntry.action).where(*in_studio(AuditEntry.studio_id, studio_id)).distinct()))
