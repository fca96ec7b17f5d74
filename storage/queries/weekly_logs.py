"""Weekly logs: one per member and ISO week, every change kept as a version.

The SQL only; what a save does (create, replace, append, the late mark) is domain.weekly_logs."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, literal, select, update
from sqlalchemy.orm import aliased

from storage.driver import fetch_one, raw_postgres, run
from storage.models import (
    ROLE_LEADER,
    ROLE_MEMBER,
    LogAttachment,
    Member,
    Studio,
    WeeklyLog,
    WeeklyLogVersion,
)
from storage.queries.scope import in_studio
from storage.session import Session

# Who is expected to write logs: members and leaders (admins submit none).
LOG_WRITERS = (ROLE_MEMBER, ROLE_LEADER)


@dataclass(frozen=True)
class Picture:
    media_id: str | None
    pic_url: str | None


@dataclass(frozen=True)
class LogView:
    id: int
    content: str
    hours: float | None
    late: bool
    version: int
    submitted_at: datetime


_LOG = cast(Table, WeeklyLog.__table__)
_VERSION = cast(Table, WeeklyLogVersion.__table__)
_ATTACHMENT = cast(Table, LogAttachment.__table__)
# Built once: every 周报 runs these, and building a statement costs more than running it.
_FIND = select(_LOG.c.id, _LOG.c.content, _LOG.c.hours, _LOG.c.late, _LOG.c.version,
               _LOG.c.submitted_at).where(_LOG.c.member_id == bindparam("member_id"),
                                          _LOG.c.week == bindparam("week"))
_CREATE = insert(_LOG).returning(_LOG.c.id)
_CHANGE = (update(_LOG).where(_LOG.c.id == bindparam("log_id"))
           .values(content=bindparam("content"), hours=bindparam("hours"),
                   late=bindparam("late"), version=bindparam("version"),
                   updated_at=bindparam("now")))
_ADD_VERSION = insert(_VERSION)


def _typed(name: str, column: Any) -> Any:
    return bindparam(name, type_=column.type)


# A week's first log and its first version in one statement (PostgreSQL's data-modifying
# CTE): one round trip fewer for every new log on the lean path (storage.driver).
_NEW_LOG = (insert(_LOG).values(
    member_id=bindparam("member_id"), studio_id=bindparam("studio_id"), week=bindparam("week"),
    content=bindparam("content"), hours=bindparam("hours"), late=bindparam("late"), version=1,
    submitted_at=bindparam("now"), updated_at=bindparam("now"),
).returning(_LOG.c.id).cte("new_log"))
_CREATE_WITH_VERSION = insert(_VERSION).from_select(
    ["log_id", "version", "action", "content", "hours", "changed_at"],
    select(_NEW_LOG.c.id, literal(1), _typed("action", _VERSION.c.action),
           _typed("content", _VERSION.c.content), _typed("hours", _VERSION.c.hours),
           _typed("now", _VERSION.c.changed_at)),
).returning(_VERSION.c.log_id)
_ADD_ATTACHMENT = insert(_ATTACHMENT)


async def log_for_week(session: Session, member_id: int, week: str) -> LogView | None:
    values = {"member_id": member_id, "week": week}
    if raw_postgres(session) is not None:
        row = await fetch_one(session, _FIND, values)
    else:
        conn = await session.connection()
        row = (await conn.execute(_FIND, values)).first()
    return LogView(*row) if row is not None else None


async def insert_log(session: Session, *, member_id: int, studio_id: int | None, week: str,
                     content: str, hours: float | None, late: bool, action: str,
                     now: datetime) -> LogView:
    """A week's first log (version 1), kept in the trail as made by `action`."""
    values = {"member_id": member_id, "studio_id": studio_id, "week": week, "content": content,
              "hours": hours, "late": late, "action": action, "now": now}
    if raw_postgres(session) is not None:
        log_id = (await fetch_one(session, _CREATE_WITH_VERSION, values, writes=True))[0]
        log = LogView(log_id, content, hours, late, 1, now)
    else:
        conn = await session.connection()
        log_id = (await conn.execute(_CREATE, {
            "member_id": member_id, "studio_id": studio_id, "week": week, "content": content,
            "hours": hours, "late": late, "version": 1, "submitted_at": now, "updated_at": now,
        })).scalar_one()
        log = LogView(log_id, content, hours, late, 1, now)
        await add_version(session, log, action=action, now=now)
    return log


@functools.cache
def _first_with_version() -> Any:
    """_CREATE_WITH_VERSION unless the week has a log already (then it inserts nothing and
    returns no row): the one-shot 周报's save and its check in one round trip."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    new_log = (pg_insert(_LOG).values(
        member_id=bindparam("member_id"), studio_id=bindparam("studio_id"),
        week=bindparam("week"), content=bindparam("content"), hours=bindparam("hours"),
        late=bindparam("late"), version=1, submitted_at=bindparam("now"),
        updated_at=bindparam("now"),
    ).on_conflict_do_nothing(index_elements=[_LOG.c.member_id, _LOG.c.week])
        .returning(_LOG.c.id).cte("new_log"))
    return insert(_VERSION).from_select(
        ["log_id", "version", "action", "content", "hours", "changed_at"],
        select(new_log.c.id, literal(1), _typed("action", _VERSION.c.action),
               _typed("content", _VERSION.c.content), _typed("hours", _VERSION.c.hours),
               _typed("now", _VERSION.c.changed_at)),
    ).returning(_VERSION.c.log_id)


async def insert_first_log(session: Session, *, member_id: int, studio_id: int | None,
                           week: str, content: str, hours: float | None, late: bool,
                           action: str, now: datetime) -> LogView | None:
    """A week's first log (version 1, kept in the trail as made by `action`), unless the
    week has one: then None, and nothing is written."""
    if raw_postgres(session) is not None:
        row = await fetch_one(session, _first_with_version(), {
            "member_id": member_id, "studio_id": studio_id, "week": week, "content": content,
            "hours": hours, "late": late, "action": action, "now": now}, writes=True)
        return None if row is None else LogView(row[0], content, hours, late, 1, now)
    if await log_for_week(session, member_id, week) is not None:
        return None
    return await insert_log(session, member_id=member_id, studio_id=studio_id, week=week,
                            content=content, hours=hours, late=late, action=action, now=now)


async def update_log(session: Session, log: LogView, *, now: datetime) -> None:
    """Write `log`'s content, hours, late mark and version over the stored row."""
    values = {"log_id": log.id, "content": log.content, "hours": log.hours, "late": log.late,
              "version": log.version, "now": now}
    if raw_postgres(session) is not None:
        await run(session, _CHANGE, values)
        return
    conn = await session.connection()
    await conn.execute(_CHANGE, values)


async def add_version(session: Session, log: LogView, *, action: str, now: datetime) -> None:
    """Keep `log` as it now is in the trail, with the action that made it so."""
    values = {"log_id": log.id, "version": log.version, "action": action,
              "content": log.content, "hours": log.hours, "changed_at": now}
    if raw_postgres(session) is not None:
        await run(session, _ADD_VERSION, values, tuple(values))
        return
    conn = await session.connection()
    await conn.execute(_ADD_VERSION, values)


async def add_pictures(session: Session, log_id: int, pictures: Sequence[Picture], *,
                       now: datetime) -> None:
    if not pictures:
        return
    rows = [{"log_id": log_id, "media_id": p.media_id, "pic_url": p.pic_url, "created_at": now}
            for p in pictures]
    if raw_postgres(session) is not None:
        await run(session, _ADD_ATTACHMENT, rows, tuple(rows[0]))
        return
    conn = await session.connection()
    await conn.execute(_ADD_ATTACHMENT, rows)


@dataclass(frozen=True)
class WeekSubmissions:
    submitted: list[str]
    missing: list[str]

    @property
    def expected(self) -> int:
        return len(self.submitted) + len(self.missing)


async def submissions_for_week(session: Session, studio_id: int, week: str) -> WeekSubmissions:
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


async def weeks_logged(session: Session, member_id: int, since_week: str) -> set[str]:
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


async def logs_for_weeks(session: Session, weeks: Sequence[str],
                         studio_id: int | None = None) -> list[LogRow]:
    rows = (await session.execute(
        select(WeeklyLog.week, Studio.name, Member.employee_no, Member.name, WeeklyLog.content,
               WeeklyLog.hours, WeeklyLog.submitted_at, WeeklyLog.late)
        .join(Member, Member.id == WeeklyLog.member_id)
        .outerjoin(Studio, Studio.id == WeeklyLog.studio_id)
        .where(WeeklyLog.week.in_(list(weeks)),
               *in_studio(WeeklyLog.studio_id, studio_id))
        .order_by(WeeklyLog.week, Studio.name, Member.employee_no)
    )).all()
    return [LogRow(w, s or "", e, n, c, h, at, late) for w, s, e, n, c, h, at, late in rows]


async def count_logs(session: Session, week: str | None = None) -> int:
    q = select(func.count(WeeklyLog.id))
    if week is not None:
        q = q.where(WeeklyLog.week == week)
    return int(await session.scalar(q) or 0)
