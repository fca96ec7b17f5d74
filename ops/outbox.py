"""`workshop-bot outbox`: what waits to be pushed, what failed and why; retry and drop.

The rules and the rows are domain.outbox's (the console's 推送 page calls the same); the
words for a reason are scheduled.delivery.reason_words', for a state ``outbox.state.<state>``."""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from domain import NotFound, WrongState
from domain import outbox as rules
from ops.terminal import err, office_words, out, print_table
from scheduled.delivery import reason_words
from storage.db import Database


async def outbox_summary(settings: Settings) -> int:
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        async with db.reader() as session:
            counts = await rules.counts(session)
    finally:
        await db.dispose()
    if not counts.total:
        out.print(words("outbox.empty"))
        return 0
    states = counts.states
    lines = []
    for kind in counts.kinds:
        row = [counts.count(kind, s) for s in states]
        lines.append([kind, *map(str, row), str(sum(row))])
    totals = [counts.in_state(s) for s in states]
    lines.append([words("outbox.total"), *map(str, totals), str(sum(totals))])
    print_table([words("outbox.header.kind"),
                 *(words("outbox.header.state", words=words.named("outbox.state", s), state=s)
                   for s in states),
                 words("outbox.total")], lines)
    if not settings.can_push and counts.in_state("pending"):
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
            rows = await rules.listing(session, state=state, kind=kind, limit=limit)
    finally:
        await db.dispose()
    if not rows:
        out.print(words("outbox.none_listed"))
        return 0
    print_table([words(f"outbox.column.{c}") for c in
                 ("id", "recipient", "kind", "period", "state", "attempts", "reason", "queued_at")],
                ([str(r.id), words("outbox.recipient", name=r.recipient, employee_no=r.employee_no),
                  r.kind, r.period, words.named("outbox.state", r.state), str(r.attempts),
                  reason_words(words, r.result), _when(r.created_at, settings)]
                 for r in rows))
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
        try:
            async with db.transaction() as session:
                if outbox_id is not None:
                    await rules.retry(session, outbox_id)
                    changed = 1
                else:
                    changed = await rules.retry_failed(session)
        except NotFound:
            err.print(words("outbox.unknown_id", id=outbox_id))
            return 1
        except WrongState as refused:
            err.print(words("outbox.not_retryable", id=outbox_id,
                            state=words.named("outbox.state", str(refused.facts["state"]))))
            return 1
    finally:
        await db.dispose()
    out.print(words("outbox.requeued.can_push" if settings.can_push
                    else "outbox.requeued.cannot_push", n=changed))
    return 0


async def outbox_drop(settings: Settings, outbox_id: int) -> int:
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        try:
            async with db.transaction() as session:
                await rules.drop(session, outbox_id)
        except NotFound:
            err.print(words("outbox.unknown_id", id=outbox_id))
            return 1
        except WrongState as refused:
            err.print(words("outbox.not_droppable", id=outbox_id,
                            state=words.named("outbox.state", str(refused.facts["state"]))))
            return 1
    finally:
        await db.dispose()
    out.print(words("outbox.dropped", id=outbox_id))
    return 0
