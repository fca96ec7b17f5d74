"""The outbox: messages to people other than the sender, at most once per (kind, period, recipient)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, exists, func, select, update
from sqlalchemy.sql.expression import Executable

from storage.db import insert_ignoring_duplicates
from storage.models import (
    Achievement,
    CheckIn,
    Member,
    MentorshipPair,
    OutboxMessage,
    Suggestion,
    WeeklyLog,
)
from storage.session import Session

_OUTBOX = cast(Table, OutboxMessage.__table__)


async def enqueue(
    session: Session, *, kind: str, period: str, recipient_id: int, text: str, now: datetime
) -> bool:
    """Queue a message; False if one with the same key exists (the re-run case)."""
    conn = await session.connection()
    values = {"kind": kind, "period": period, "recipient_id": recipient_id, "text": text,
              "template_fields": None, "url": None, "status": "pending", "attempts": 0, "created_at": now}
    result = await conn.execute(_insert_ignoring_duplicates(conn.dialect.name), values)
    return bool(getattr(result, "rowcount", 0))


async def outbox_for(session: Session, recipient_id: int) -> list[OutboxMessage]:
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
    url: str | None  # the page a template message opens
    attempts: int
    recipient_id: int
    openid: str | None
    subscribed: bool
    last_interaction_at: datetime | None
    created_at: datetime
    active: bool = True  # a deactivated member is sent nothing


async def claim_pending(session: Session, now: datetime, limit: int) -> list[Claim]:
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
               OutboxMessage.template_fields, OutboxMessage.url, OutboxMessage.attempts,
               Member.id.label("recipient_id"), Member.openid, Member.subscribed,
               Member.last_interaction_at, OutboxMessage.created_at, Member.active)
        .join(Member, Member.id == OutboxMessage.recipient_id)
        .where(OutboxMessage.id.in_(ids))
        .order_by(OutboxMessage.id)
    )).all()
    return [Claim(**row._mapping) for row in rows]


async def settle(session: Session, outbox_id: int, *, status: str, channel: str | None,
                 result: str | None, now: datetime,
                 next_attempt_at: datetime | None = None,
                 claimed_at: datetime | None = None) -> None:
    """Record how a claimed row ended (or put it back as pending for a later attempt).

    With `claimed_at`, only while the row is still this claim's: a row the crash rule gave
    to another sender meanwhile is theirs to record."""
    query = update(OutboxMessage).where(OutboxMessage.id == outbox_id)
    if claimed_at is not None:
        query = query.where(OutboxMessage.status == "in_flight",
                            OutboxMessage.in_flight_at == claimed_at)
    await session.execute(
        query.values(
            status=status, channel=channel, result=result, next_attempt_at=next_attempt_at,
            sent_at=now if status == "sent" else None,
            in_flight_at=None,
        ).execution_options(synchronize_session=False)
    )


async def requeue_in_flight(session: Session, older_than: datetime) -> int:
    """Rows left in flight by a crash go back to pending: the only pushes that can double."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "in_flight", OutboxMessage.in_flight_at < older_than)
        .values(status="pending", in_flight_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def recipients_already_queued(session: Session, kind: str, period: str) -> set[int]:
    rows = await session.scalars(
        select(OutboxMessage.recipient_id).where(OutboxMessage.kind == kind,
                                                 OutboxMessage.period == period)
    )
    return set(rows)


async def enqueue_many(session: Session, kind: str, period: str,
                       messages: dict[int, tuple[str, dict[str, str] | None]],
                       now: datetime, urls: Mapping[int, str] | None = None) -> int:
    """Queue one message per recipient id; the unique key skips any already queued.
    `urls`: the page a recipient's template message opens (a report link)."""
    if not messages:
        return 0
    conn = await session.connection()
    urls = urls or {}
    rows = [{"kind": kind, "period": period, "recipient_id": rid, "text": text,
             "template_fields": fields, "url": urls.get(rid), "status": "pending",
             "attempts": 0, "created_at": now}
            for rid, (text, fields) in messages.items()]
    await conn.execute(_insert_ignoring_duplicates(conn.dialect.name), rows)
    return len(rows)


def _insert_ignoring_duplicates(dialect: str) -> Executable:
    return insert_ignoring_duplicates(_OUTBOX, dialect, ("kind", "period", "recipient_id"))


# How long a pair may go without a check-in before the mentorship reminder concerns it
# (scheduled/jobs/mentorship_reminder.py asks the same of the pairs it reminds).
PAIR_QUIET = timedelta(days=14)


def _ids_after(period: str, prefix: str) -> int | None:
    head, _, tail = period.partition(":")
    return int(tail) if head == prefix and tail.isdigit() else None


async def stale_outbox_ids(session: Session, claims: Sequence[Claim]) -> set[int]:
    """The claimed rows whose reason is gone since they were queued: sending them now would
    tell someone to do what is already done. They are dropped, not sent.

    - a check-in notice asking the mentor to confirm, once the check-in is confirmed;
    - a weekly-log reminder, once the member has logged that week;
    - a mentorship reminder, once every pair of the recipient has checked in lately;
    - a suggestion or result sent to a leader to decide, once it is decided.
    """
    stale: set[int] = set()
    by_kind: dict[str, list[Claim]] = {}
    for claim in claims:
        by_kind.setdefault(claim.kind, []).append(claim)
    notices = {cid: c for c in by_kind.get("checkin-notice", ())
               if (cid := _ids_after(c.period, "checkin")) is not None}
    if notices:
        confirmed = set((await session.scalars(
            select(CheckIn.id).join(MentorshipPair, MentorshipPair.id == CheckIn.pair_id)
            .where(CheckIn.id.in_(notices), CheckIn.confirmed_at.is_not(None),
                   # A mentor's own check-in is confirmed by writing it: its notice to the
                   # apprentice is news, not a request.
                   CheckIn.author_id != MentorshipPair.mentor_id))).all())
        stale |= {notices[cid].id for cid in confirmed}
    reminders = by_kind.get("weekly-log-reminder", [])
    for week in {c.period for c in reminders}:
        asked = {c.recipient_id: c.id for c in reminders if c.period == week}
        logged = (await session.scalars(
            select(WeeklyLog.member_id).where(WeeklyLog.week == week,
                                              WeeklyLog.member_id.in_(asked)))).all()
        stale |= {asked[m] for m in logged}
    for claim in by_kind.get("mentorship-reminder", []):
        since = claim.created_at - PAIR_QUIET
        quiet = await session.scalar(
            select(MentorshipPair.id).where(
                (MentorshipPair.mentor_id == claim.recipient_id)
                | (MentorshipPair.apprentice_id == claim.recipient_id),
                MentorshipPair.end_date.is_(None),
                ~exists().where(and_(CheckIn.pair_id == MentorshipPair.id,
                                     CheckIn.created_at >= since))).limit(1))
        if quiet is None:
            stale.add(claim.id)
    for kind, model, waiting in (("suggestion", Suggestion, "submitted"),
                                 ("result", Achievement, "reported")):
        asked_about = {rid: c for c in by_kind.get(kind, ())
                       if (rid := _ids_after(c.period, kind)) is not None}
        if asked_about:
            decided = (await session.scalars(
                select(model.id).where(model.id.in_(asked_about), model.status != waiting))).all()
            stale |= {asked_about[rid].id for rid in decided}
    return stale


# -- what the operator sees and does (workshop-bot outbox, /metrics) --------------------

RETRYABLE_STATES = ("failed", "undeliverable", "dropped")
DROPPABLE_STATES = ("pending", "failed", "undeliverable")


@dataclass(frozen=True)
class OutboxRow:
    id: int
    kind: str
    period: str
    recipient: str  # the member's name: an operator needs no openid
    employee_no: str
    status: str
    attempts: int
    result: str | None
    created_at: datetime
    sent_at: datetime | None
    recipient_id: int = 0
    channel: str | None = None  # custom or template, once a channel was tried


async def outbox_counts(session: Session) -> dict[tuple[str, str], int]:
    """Rows by (kind, state)."""
    rows = await session.execute(
        select(OutboxMessage.kind, OutboxMessage.status, func.count())
        .group_by(OutboxMessage.kind, OutboxMessage.status))
    return {(kind, status): int(n) for kind, status, n in rows.all()}


async def outbox_depth(session: Session) -> tuple[dict[str, int], datetime | None]:
    """Rows by state, and when the oldest row still waiting to be sent was queued."""
    rows = await session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    oldest = await session.scalar(
        select(func.min(OutboxMessage.created_at))
        .where(OutboxMessage.status.in_(("pending", "in_flight"))))
    return {status: int(n) for status, n in rows.all()}, oldest


def _listed() -> Any:
    """Rows with their recipient's name and employee number (a Select)."""
    return (
        select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.period,
               Member.name.label("recipient"), Member.employee_no, OutboxMessage.status,
               OutboxMessage.attempts, OutboxMessage.result, OutboxMessage.created_at,
               OutboxMessage.sent_at, OutboxMessage.recipient_id, OutboxMessage.channel)
        .join(Member, Member.id == OutboxMessage.recipient_id)
    )


async def outbox_listed(session: Session, *, state: str | None = None,
                        kind: str | None = None, limit: int = 50,
                        before: int | None = None) -> list[OutboxRow]:
    """The newest rows first, narrowed to a state and a kind when given; `before`: only rows
    numbered below it (the next page of a long list)."""
    query = _listed().order_by(OutboxMessage.id.desc()).limit(limit)
    if state is not None:
        query = query.where(OutboxMessage.status == state)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    if before is not None:
        query = query.where(OutboxMessage.id < before)
    return [OutboxRow(**row._mapping) for row in (await session.execute(query)).all()]


async def outbox_row(session: Session, outbox_id: int) -> OutboxRow | None:
    row = (await session.execute(_listed().where(OutboxMessage.id == outbox_id))).first()
    return None if row is None else OutboxRow(**row._mapping)


async def outbox_counts_of(session: Session, kind: str,
                           periods: Sequence[str]) -> dict[str, dict[tuple[str, str | None], int]]:
    """For each of `periods` of one kind: its rows by (state, channel)."""
    found: dict[str, dict[tuple[str, str | None], int]] = {p: {} for p in periods}
    wanted = list(periods)
    for start in range(0, len(wanted), 5000):  # IN lists stay within every driver's limits
        for period, status, channel, n in (await session.execute(
                select(OutboxMessage.period, OutboxMessage.status, OutboxMessage.channel,
                       func.count(OutboxMessage.id))
                .where(OutboxMessage.kind == kind,
                       OutboxMessage.period.in_(wanted[start:start + 5000]))
                .group_by(OutboxMessage.period, OutboxMessage.status,
                          OutboxMessage.channel))).all():
            found[period][(status, channel)] = int(n)
    return found


async def outbox_status(session: Session, outbox_id: int) -> str | None:
    return await session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == outbox_id))


async def retry_outbox(session: Session, *, outbox_id: int | None = None) -> int:
    """Put one ended-but-unsent row (or, without an id, every failed row) back to pending,
    with its attempts counted afresh. Returns how many rows changed."""
    states = RETRYABLE_STATES if outbox_id is not None else ("failed",)
    query = update(OutboxMessage).where(OutboxMessage.status.in_(states))
    if outbox_id is not None:
        query = query.where(OutboxMessage.id == outbox_id)
    result = await session.execute(
        query.values(status="pending", attempts=0, next_attempt_at=None, in_flight_at=None,
                     result=None)
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


async def drop_outbox(session: Session, outbox_id: int, reason: str) -> bool:
    """Never send this row (only rows not sent and not in flight)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id, OutboxMessage.status.in_(DROPPABLE_STATES))
        .values(status="dropped", result=reason, next_attempt_at=None)
        .execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))
