"""weekly-leader-digest: each leader gets last week's submissions and check-ins."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from scheduled.jobs.common import Messages, queue_run
from scheduled.jobs.report import JobReport
from storage.calendar import iso_week, previous_week, week_label, week_monday
from storage.db import Database
from storage.indicators import DEFAULT_WEIGHTS
from storage.queries.jobs import reachable_members, studio_weeks

NAME = "weekly-leader-digest"
MISSING_SHOWN = 20

HEAD = "【上周工作室周报】{studio}\n{week}：周报已交 {done}/{expected} 人（{rate}）"
ALL_IN = "全员已交。"
MISSING = "未交：{names}"
MORE = "等 {n} 人"
CHECKINS = "师徒打卡：{n} 次"


def _rate(done: int, expected: int) -> str:
    return f"{done * 100 // expected}%" if expected else "—"


async def weekly_leader_digest(db: Database, now: datetime, tz: tzinfo,
                               weights: Mapping[str, float] = DEFAULT_WEIGHTS) -> JobReport:
    week = previous_week(iso_week(now.astimezone(tz).date()))
    start = week_monday(week)

    async def compose(session: AsyncSession, report: JobReport) -> Messages:
        studios = await studio_weeks(session, week, start, start + timedelta(days=7))
        reachable = await reachable_members(session, {lid for s in studios for lid in s.leaders})
        messages: Messages = {}
        for s in studios:
            lines = [HEAD.format(studio=s.studio, week=week_label(week), done=s.submitted,
                                 expected=s.expected, rate=_rate(s.submitted, s.expected))]
            if s.missing:
                shown = "、".join(s.missing[:MISSING_SHOWN])
                extra = MORE.format(n=len(s.missing)) if len(s.missing) > MISSING_SHOWN else ""
                lines.append(MISSING.format(names=shown + extra))
            else:
                lines.append(ALL_IN)
            lines.append(CHECKINS.format(n=s.checkins))
            fields = {"thing1": f"上周周报 {s.submitted}/{s.expected}"[:20],
                      "time2": start.isoformat()}
            for leader in s.leaders:
                if leader in reachable:
                    messages[leader] = ("\n".join(lines), fields)
        return messages

    return await queue_run(db, NAME, week, now, compose)
