"""The outbox: messages to people other than the sender, at most once per (kind, period, recipient)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import Executable

from storage.db import insert_ignoring_duplicates
from storage.models import Member, OutboxMessage

_OUTBOX = cast(Table, OutboxMessage.__table__)


async def enqueue(
    session: AsyncSession, *, kind: str, period: str, recipient_id: int, text: str, now: datetime
) -> bool:
    """Queue a message; False if one with the same key exists (the re-run case)."""
    conn = await session.connection()
    values = {"kind": kind, "period": period, "recipient_id": recipient_id, "text": text,
              "template_fields": None, "status": "pending", "attempts": 0, "created_at": now}
    result = await conn.execute(_insert_ignoring_duplicates(conn.dialect.name), values)
    return bool(getattr(result, "rowcount", 0))


async def outbox_for(session: AsyncSession, recipient_id: int) -> list[OutboxMessage]:
    rows = await session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient_id == recipient_id)
        .order_by(OutboxMessage.id)
    )
    return list(rows)


@dataclass(frozen=True)
class Claim:
    """An outbox row taken for sending, with what the sender needs to know of its recipient."""

    id: int
    kind: str
    period: str
    text: str
    template_fields: dict[str, str] | None
    attempts: int
    recipient_id: int
    openid: str | None
    subscribed: bool
    last_interaction_at: datetime | None


async def claim_pending(session: AsyncSession, now: datetime, limit: int) -> list[Claim]:
    """Take up to `limit` due rows and mark them in flight before anything is sent.

    On PostgreSQL, several workers can drain one outbox: SKIP LOCKED hands each row to one.
    """
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending",
               (OutboxMessage.next_attempt_at.is_(None)) | (OutboxMessage.next_attempt_at <= now))
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list((await session.scalars(due)).all())
    if not ids:
        return []
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(ids))
        .values(status="in_flight", in_flight_at=now, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    rows = (await session.execute(
        select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.period, OutboxMessage.text,
               OutboxMessage.template_fields, OutboxMessage.attempts,
               Member.id.label("recipient_id"), Member.openid, Member.subscribed,
               Member.last_interaction_at)
        .join(Member, Member.id == OutboxMessage.recipient_id)
        .where(OutboxMessage.id.in_(ids))
        .order_by(OutboxMessage.id)
    )).all()
    return [Claim(**row._mapping) for row in rows]


async def settle(session: AsyncSession, outbox_id: int, *, status: str, channel: str | None,
                 result: str | None, now: datetime,
                 next_attempt_at: datetime | None = None) -> None:
    """Record how a claimed row ended (or put it back as pending for a later attempt)."""
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == outbox_id).values(
            status=status, channel=channel, result=result, next_attempt_at=next_attempt_at,
            sent_at=now if status == "sent" else None,
            in_flight_at=None,
        ).execution_options(synchronize_session=False)
    )


async def requeue_in_flight(session: AsyncSession, older_than: datetime) -> int:
    """Rows left in flight by a crash go back to pending: the only pushes that can double."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "in_flight", OutboxMessage.in_flight_at < older_than)
        .values(status="pending", in_flight_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def recipients_already_queued(session: AsyncSession, kind: str, period: str) -> set[int]:
    rows = await session.scalars(
        select(OutboxMessage.recipient_id).where(OutboxMessage.kind == kind,
                                                 OutboxMessage.period == period)
    )
    return set(rows)


async def enqueue_many(session: AsyncSession, kind: str, period: str,
                       messages: dict[int, tuple[str, dict[str, str] | None]],
                       now: datetime) -> int:
    """Queue one message per recipient id; the unique key skips any already queued."""
    if not messages:
        return 0
    conn = await session.connection()
    rows = [{"kind": kind, "period": period, "recipient_id": rid, "text": text,
             "template_fields": fields, "status": "pending", "attempts": 0, "created_at": now}
            for rid, (text, fields) in messages.items()]
    await conn.execute(_insert_ignoring_duplicates(conn.dialect.name), rows)
    return len(rows)


def _insert_ignoring_duplicates(dialect: str) -> Executable:
    return insert_ignoring_duplicates(_OUTBOX, dialect, ("kind", "period", "recipient_id"))
