"""What the scheduled jobs ask of the database, and the record of their runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import JobRun, Member, WeeklyLog
from storage.queries.weekly_logs import LOG_WRITERS


@dataclass(frozen=True)
class Recipient:
    id: int
    name: str


@dataclass(frozen=True)
class MissingLogs:
    reachable: list[Recipient]  # bound and following: they get a reminder
    unbound: int  # expected to log, but no WeChat account is bound to them yet


async def missing_logs_for_week(session: AsyncSession, week: str) -> MissingLogs:
    """Active members and leaders with no log for `week`, following the account or not bound."""
    logged = select(WeeklyLog.member_id).where(WeeklyLog.week == week)
    base = select(Member.id, Member.name, Member.openid).where(
        Member.active.is_(True), Member.subscribed.is_(True), Member.role.in_(LOG_WRITERS),
        Member.id.not_in(logged),
    ).order_by(Member.id)
    rows = (await session.execute(base)).all()
    return MissingLogs(
        reachable=[Recipient(mid, name) for mid, name, openid in rows if openid is not None],
        unbound=sum(1 for _mid, _name, openid in rows if openid is None),
    )


async def start_job_run(session: AsyncSession, name: str, period: str, now: datetime) -> int:
    run = JobRun(name=name, period=period, started_at=now, queued=0, skipped=0)
    session.add(run)
    await session.flush()
    return run.id


async def finish_job_run(session: AsyncSession, run_id: int, *, queued: int, skipped: int,
                         now: datetime) -> None:
    await session.execute(
        update(JobRun).where(JobRun.id == run_id)
        .values(queued=queued, skipped=skipped, finished_at=now)
    )


async def last_runs(session: AsyncSession) -> dict[str, JobRun]:
    latest = select(JobRun.name, func.max(JobRun.id).label("id")).group_by(JobRun.name).subquery()
    rows = await session.scalars(select(JobRun).join(latest, latest.c.id == JobRun.id))
    return {run.name: run for run in rows}


async def period_done(session: AsyncSession, name: str, period: str) -> bool:
    found = await session.scalar(
        select(JobRun.id).where(JobRun.name == name, JobRun.period == period,
                                JobRun.finished_at.is_not(None)).limit(1)
    )
    return found is not None
