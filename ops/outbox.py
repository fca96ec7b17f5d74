"""`workshop-bot outbox`: what waits to be pushed, what failed and why; retry and drop.

Delivery stores a reason code (scheduled/delivery.py); the words for each are the
catalog's ``outbox.reason.<code>``, and for each state ``outbox.state.<state>``."""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from locales import Words
from ops.terminal import err, office_words, out, print_table
from scheduled import delivery
from storage.codes import OUTBOX_STATES
from storage.db import Database
from storage.queries.outbox import (
    RETRYABLE_STATES,
    drop_outbox,
    outbox_counts,
    outbox_listed,
    outbox_status,
    retry_outbox,
)


def reason_words(words: Words, result: str | None) -> str:
    """「中文说明（code errcode）」 for a stored reason such as ``rejected:43004``."""
    if not result:
        return ""
    code, _, errcode = result.partition(":")
    if code not in delivery.REASONS:
        return result  # written before reasons were codes
    reason = words(f"outbox.reason.{code}", hours=int(delivery.WINDOW.total_seconds() // 3600))
    return words("outbox.reason_with_code", reason=reason,
                 code=f"{code} {errcode}" if errcode else code)


async def outbox_summary(settings: Settings) -> int:
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        async with db.reader() as session:
            counts = await outbox_counts(session)
    finally:
        await db.dispose()
    if not counts:
        out.print(words("outbox.empty"))
        return 0
    states = [s for s in OUTBOX_STATES if any(st == s for _k, st in counts)]
    lines = []
    for kind in sorted({k for k, _s in counts}):
        row = [counts.get((kind, s), 0) for s in states]
        lines.append([kind, *map(str, row), str(sum(row))])
    totals = [sum(n for (_k, st), n in counts.items() if st == s) for s in states]
    lines.append([words("outbox.total"), *map(str, totals), str(sum(totals))])
    print_table([words("outbox.header.kind"),
                 *(words("outbox.header.state", words=words.named("outbox.state", s), state=s)
                   for s in states),
                 words("outbox.total")], lines)
    if not settings.can_push and any(st == "pending" for _k, st in counts):
        out.print(words("outbox.cannot_push"))
    return 0


async def outbox_list(settings: Settings, *, state: str | None, kind: str | None,
                      limit: int) -> int:
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        if limit < 1:
            err.print(words("outbox.bad_limit"))
            return 2
        async with db.reader() as session:
            rows = await outbox_listed(session, state=state, kind=kind, limit=limit)
    finally:
        await db.dispose()
    if not rows:
        out.print(words("outbox.none_listed"))
        return 0
    print_table([words(f"outbox.column.{c}") for c in
                 ("id", "recipient", "kind", "period", "state", "attempts", "reason", "queued_at")],
                ([str(r.id), words("outbox.recipient", name=r.recipient, employee_no=r.employee_no),
                  r.kind, r.period, words.named("outbox.state", r.status), str(r.attempts),
                  reason_words(words, r.result), _when(r.created_at, settings)] for r in rows))
    return 0


def _when(moment: datetime, settings: Settings) -> str:
    return moment.astimezone(settings.tz).strftime("%m-%d %H:%M")


async def outbox_retry(settings: Settings, outbox_id: int | None, *, all_failed: bool) -> int:
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        if (outbox_id is None) == (not all_failed):
            err.print(words("outbox.retry_usage"))
            return 2
        async with db.transaction() as session:
            if outbox_id is not None:
                status = await outbox_status(session, outbox_id)
                if status is None:
                    err.print(words("outbox.unknown_id", id=outbox_id))
                    return 1
                if status not in RETRYABLE_STATES:
                    err.print(words("outbox.not_retryable", id=outbox_id,
                                    state=words.named("outbox.state", status)))
                    return 1
            changed = await retry_outbox(session, outbox_id=outbox_id)
    finally:
        await db.dispose()
    out.print(words("outbox.requeued.can_push" if settings.can_push
                    else "outbox.requeued.cannot_push", n=changed))
    return 0


async def outbox_drop(settings: Settings, outbox_id: int) -> int:
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        async with db.transaction() as session:
            status = await outbox_status(session, outbox_id)
            if status is None:
                err.print(words("outbox.unknown_id", id=outbox_id))
                return 1
            if not await drop_outbox(session, outbox_id, delivery.DROPPED):
                err.print(words("outbox.not_droppable", id=outbox_id,
                                state=words.named("outbox.state", status)))
                return 1
    finally:
        await db.dispose()
    out.print(words("outbox.dropped", id=outbox_id))
    return 0
