"""The outbox as the union office sees it (the console's 推送 page, `workshop-bot outbox`): what
waits, what went out and what did not and why, and what the office may do about a row —
send it again, or never send it.

Reasons are codes (``storage.codes.REASONS``, WeChat's errcode after a colon); the caller
words them (``scheduled.delivery.reason_words``, the catalogs' ``outbox.reason.<code>``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from domain import NotFound, WrongState
from storage.codes import DROPPED, OUTBOX_STATES, REASONS
from storage.queries.outbox import (
    DROPPABLE_STATES,
    RETRYABLE_STATES,
    OutboxRow,
    drop_outbox,
    outbox_counts,
    outbox_listed,
    outbox_row,
    retry_outbox,
)
from storage.session import Session


@dataclass(frozen=True)
class Reason:
    """Why a row ended as it did, as stored: a code of ``storage.codes.REASONS`` and WeChat's
    errcode, if any. A text stored before reasons were codes is kept whole in ``code``,
    with ``known`` false (there are no words for it but itself)."""

    code: str
    errcode: str | None
    known: bool

    @property
    def key(self) -> str | None:
        """The catalog key of its words (``outbox.reason.<code>``), None for an old text."""
        return f"outbox.reason.{self.code}" if self.known else None


def reason_of(result: str | None) -> Reason | None:
    """The stored ``result`` as a Reason (``rejected:43004`` → rejected, 43004)."""
    if not result:
        return None
    code, _, errcode = result.partition(":")
    if code not in REASONS:
        return Reason(result, None, False)
    return Reason(code, errcode or None, True)


@dataclass(frozen=True)
class OutboxEntry:
    """One row as the office sees it: the recipient by name and employee number, never an
    openid."""

    id: int
    kind: str
    period: str
    recipient_id: int
    recipient: str
    employee_no: str
    state: str  # storage.codes.OUTBOX_STATES
    channel: str | None  # custom or template, once a channel was tried
    attempts: int
    reason: Reason | None
    result: str | None  # the reason as stored (what scheduled.delivery.reason_words reads)
    created_at: datetime
    sent_at: datetime | None

    @property
    def retryable(self) -> bool:
        return self.state in RETRYABLE_STATES

    @property
    def droppable(self) -> bool:
        return self.state in DROPPABLE_STATES


def _entry(row: OutboxRow) -> OutboxEntry:
    return OutboxEntry(id=row.id, kind=row.kind, period=row.period, recipient_id=row.recipient_id,
                       recipient=row.recipient, employee_no=row.employee_no, state=row.status,
                       channel=row.channel, attempts=row.attempts, reason=reason_of(row.result),
                       result=row.result, created_at=row.created_at, sent_at=row.sent_at)


@dataclass(frozen=True)
class OutboxCounts:
    """Rows by (kind, state)."""

    by: Mapping[tuple[str, str], int]

    @property
    def states(self) -> tuple[str, ...]:
        """The states some row is in, in the order of a row's life."""
        present = {state for _kind, state in self.by}
        return tuple(s for s in OUTBOX_STATES if s in present) + tuple(
            sorted(present - set(OUTBOX_STATES)))

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(sorted({kind for kind, _state in self.by}))

    def count(self, kind: str, state: str) -> int:
        return self.by.get((kind, state), 0)

    def of_kind(self, kind: str) -> int:
        return sum(n for (k, _s), n in self.by.items() if k == kind)

    def in_state(self, state: str) -> int:
        return sum(n for (_k, s), n in self.by.items() if s == state)

    @property
    def total(self) -> int:
        return sum(self.by.values())


async def counts(session: Session) -> OutboxCounts:
    return OutboxCounts(await outbox_counts(session))


async def listing(session: Session, *, state: str | None = None, kind: str | None = None,
                  limit: int = 50, before: int | None = None) -> list[OutboxEntry]:
    """The newest rows first, narrowed to a state and a kind when given; `before`: rows
    numbered below it (the next page). ValueError for a limit below 1 or a state that is
    none."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if state is not None and state not in OUTBOX_STATES:
        raise ValueError(f"no outbox state {state!r}")
    return [_entry(r) for r in await outbox_listed(session, state=state, kind=kind, limit=limit,
                                                   before=before)]


async def entry(session: Session, outbox_id: int) -> OutboxEntry:
    """One row; NotFound (facts: outbox_id) when there is none."""
    row = await outbox_row(session, outbox_id)
    if row is None:
        raise NotFound(outbox_id=outbox_id)
    return _entry(row)


async def retry(session: Session, outbox_id: int) -> OutboxEntry:
    """Put a row that ended unsent (failed, undeliverable, dropped) back to pending, its
    attempts counted afresh; the row as it was before. NotFound, or WrongState with code
    "not_retryable" (facts: outbox_id, state) for a row sent, pending or in flight."""
    before = await entry(session, outbox_id)
    if not before.retryable or not await retry_outbox(session, outbox_id=outbox_id):
        raise WrongState("not_retryable", outbox_id=outbox_id, state=before.state)
    return before


async def retry_failed(session: Session) -> int:
    """Every failed row back to pending (undeliverable ones stay: their reason is the
    recipient's, and sending again would end the same). How many rows changed."""
    return await retry_outbox(session)


async def drop(session: Session, outbox_id: int) -> OutboxEntry:
    """Never send this row (reason ``dropped_by_operator``); the row as it was before.
    NotFound, or WrongState with code "not_droppable" (facts: outbox_id, state) for a row
    sent, in flight or dropped already."""
    before = await entry(session, outbox_id)
    if not before.droppable or not await drop_outbox(session, outbox_id, DROPPED):
        raise WrongState("not_droppable", outbox_id=outbox_id, state=before.state)
    return before
