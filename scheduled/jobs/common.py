"""What every job does around its own content: record the run, queue once per key."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from scheduled.jobs.report import JobReport
from storage.db import Database
from storage.queries.jobs import finish_job_run, start_job_run
from storage.queries.outbox import enqueue_many, recipients_already_queued

Messages = dict[int, tuple[str, dict[str, str] | None]]


async def queue_run(
    db: Database,
    name: str,
    period: str,
    now: datetime,
    compose: Callable[[AsyncSession, JobReport], Awaitable[Messages]],
) -> JobReport:
    """Record a run of `name` for `period` and queue what `compose` writes, skipping anyone
    an earlier run of the same period already queued (the outbox key would refuse them)."""
    report = JobReport(name, period)
    async with db.transaction() as session:
        run_id = await start_job_run(session, name, period, now)
        messages = await compose(session, report)
        done = await recipients_already_queued(session, name, period)
        fresh = {rid: msg for rid, msg in messages.items() if rid not in done}
        report.queued = await enqueue_many(session, name, period, fresh, now)
        report.skipped = len(messages) - len(fresh)
        await finish_job_run(session, run_id, queued=report.queued, skipped=report.skipped,
                             now=now)
    return report
