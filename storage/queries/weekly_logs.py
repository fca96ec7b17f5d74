"""Weekly logs: one per member and ISO week, every change kept as a version."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import (
    ROLE_LEADER,
    ROLE_MEMBER,
    LogAttachment,
    Member,
    Studio,
    WeeklyLog,
    WeeklyLogVersion,
)

# Who is expected to write logs: members and leaders (admins submit none).
LOG_WRITERS = (ROLE_MEMBER, ROLE_LEADER)


@dataclass(frozen=True)
class Picture:
    media_id: str | None
    pic_url: str | None


async def log_for_week(session: AsyncSession, member_id: int, week: str) -> WeeklyLog | None:
    return await session.scalar(
        select(WeeklyLog).where(WeeklyLog.member_id == member_id, WeeklyLog.week == week)
    )


async def save_log(
    session: AsyncSession,
    *,
    member: Member,
    week: str,
    content: str,
    hours: float | None,
    late: bool,
    action: str,
    now: datetime,
    pictures: Sequence[Picture] = (),
) -> WeeklyLog:
    """Create the week's log, or replace or append to it; each outcome becomes a version.

    `action` is "create", "replace" or "append". Appending adds the new text after the
    old and the hours together (a missing figure counts as none).
    """
    log = await log_for_week(session, member.id, week)
    if log is None:
        log = WeeklyLog(member_id=member.id, studio_id=member.studio_id, week=week,
                        content=content, hours=hours, late=late, version=1,
                        submitted_at=now, updated_at=now)
        session.add(log)
        action = "create"
    else:
        if action == "append":
            log.content = log.content + "\n" + content
            if hours is not None or log.hours is not None:
                log.hours = (log.hours or 0.0) + (hours or 0.0)
        else:
            log.content, log.hours = content, hours
        log.version += 1
        log.updated_at = now
        log.late = log.late or late
    await session.flush()
    session.add(WeeklyLogVersion(log_id=log.id, version=log.version, action=action,
                                 content=log.content, hours=log.hours, changed_at=now))
    for pic in pictures:
        session.add(LogAttachment(log_id=log.id, media_id=pic.media_id, pic_url=pic.pic_url,
                                  created_at=now))
    await session.flush()
    return log


async def log_versions(session: AsyncSession, log_id: int) -> list[WeeklyLogVersion]:
    rows = await session.scalars(
        select(WeeklyLogVersion).where(WeeklyLogVersion.log_id == log_id)
        .order_by(WeeklyLogVersion.version)
    )
    return list(rows)


async def log_attachments(session: AsyncSession, log_id: int) -> list[LogAttachment]:
    rows = await session.scalars(
        select(LogAttachment).where(LogAttachment.log_id == log_id).order_by(LogAttachment.id)
    )
    return list(rows)


@dataclass(frozen=True)
class WeekSubmissions:
    submitted: list[str]
    missing: list[str]

    @property
    def expected(self) -> int:
        return len(self.submitted) + len(self.missing)


async def submissions_for_week(session: AsyncSession, studio_id: int, week: str) -> WeekSubmissions:
    """Who in the studio has and has not logged the week, by name (in roster order)."""
    log = aliased(WeeklyLog)
    rows = (await session.execute(
        select(Member.name, log.id)
        .outerjoin(log, (log.member_id == Member.id) & (log.week == week))
        .where(Member.studio_id == studio_id, Member.active.is_(True),
               Member.role.in_(LOG_WRITERS))
        .order_by(Member.employee_no)
    )).all()
    return WeekSubmissions(
        submitted=[name for name, log_id in rows if log_id is not None],
        missing=[name for name, log_id in rows if log_id is None],
    )


async def weeks_logged(session: AsyncSession, member_id: int, since_week: str) -> set[str]:
    rows = await session.scalars(
        select(WeeklyLog.week).where(WeeklyLog.member_id == member_id, WeeklyLog.week >= since_week)
    )
    return set(rows)


@dataclass(frozen=True)
class LogRow:
    week: str
    studio: str
    employee_no: str
    name: str
    content: str
    hours: float | None
    submitted_at: datetime
    late: bool


async def logs_for_weeks(session: AsyncSession, weeks: Sequence[str]) -> list[LogRow]:
    rows = (await session.execute(
        select(WeeklyLog.week, Studio.name, Member.employee_no, Member.name, WeeklyLog.content,
               WeeklyLog.hours, WeeklyLog.submitted_at, WeeklyLog.late)
        .join(Member, Member.id == WeeklyLog.member_id)
        .outerjoin(Studio, Studio.id == WeeklyLog.studio_id)
        .where(WeeklyLog.week.in_(list(weeks)))
        .order_by(WeeklyLog.week, Studio.name, Member.employee_no)
    )).all()
    return [LogRow(w, s or "", e, n, c, h, at, late) for w, s, e, n, c, h, at, late in rows]


async def count_logs(session: AsyncSession, week: str | None = None) -> int:
    q = select(func.count(WeeklyLog.id))
    if week is not None:
        q = q.where(WeeklyLog.week == week)
    return int(await session.scalar(q) or 0)
