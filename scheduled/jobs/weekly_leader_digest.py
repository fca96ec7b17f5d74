"""weekly-leader-digest: each leader gets last week's submissions, check-ins and topic
progress."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from scheduled.jobs.common import Messages, queue_run
from scheduled.jobs.report import JobReport
from storage.calendar import iso_week, previous_week, week_label, week_monday
from storage.db import Database
from storage.indicators import DEFAULT_WEIGHTS
from storage.queries.indicators import period_instants
from storage.queries.jobs import reachable_members, studio_weeks
from storage.queries.topics import progress_between

NAME = "weekly-leader-digest"
MISSING_SHOWN = 20

HEAD = "【上周工作室周报】{studio}\n{week}：周报已交 {done}/{expected} 人（{rate}）"
ALL_IN = "全员已交。"
MISSING = "未交：{names}"
MORE = "等 {n} 人"
CHECKINS = "师徒打卡：{n} 次"
PROGRESS = "课题进展：{topics}"
NO_PROGRESS = "课题进展：上周没有更新（发送“进展 课题 内容”记录）"
TOPICS_SHOWN = 5


def _rate(done: int, expected: int) -> str:
    return f"{done * 100 // expected}%" if expected else "—"


async def weekly_leader_digest(db: Database, now: datetime, tz: tzinfo,
                               weights: Mapping[str, float] = DEFAULT_WEIGHTS) -> JobReport:
    week = previous_week(iso_week(now.astimezone(tz).date()))
    start = week_monday(week)

    async def compose(session: AsyncSession, report: JobReport) -> Messages:
        studios = await studio_weeks(session, week, start, start + timedelta(days=7))
        since, until = period_instants(start, start + timedelta(days=7), tz)
        progress: dict[str, dict[str, int | None]] = {}
        for p in await progress_between(session, since, until):
            topics = progress.setdefault(p.studio, {})
            # The latest figure given for each topic, in the order they were first updated.
            topics[p.topic] = p.percent if p.percent is not None else topics.get(p.topic)
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
            updated = progress.get(s.studio, {})
            if updated:
                named = [f"{t}（{pct}%）" if pct is not None else t
                         for t, pct in list(updated.items())[:TOPICS_SHOWN]]
                more = MORE.format(n=len(updated)) if len(updated) > TOPICS_SHOWN else ""
                lines.append(PROGRESS.format(topics="、".join(named) + more))
            else:
                lines.append(NO_PROGRESS)
            fields = {"thing1": f"上周周报 {s.submitted}/{s.expected}"[:20],
                      "time2": start.isoformat()}
            for leader in s.leaders:
                if leader in reachable:
                    messages[leader] = ("\n".join(lines), fields)
        return messages

    return await queue_run(db, NAME, week, now, compose)
