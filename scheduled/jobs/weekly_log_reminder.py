"""weekly-log-reminder: everyone who has not logged this ISO week gets one reminder."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from scheduled.jobs.common import Messages, queue_run
from scheduled.jobs.report import JobReport
from storage.calendar import iso_week, week_label, week_monday
from storage.db import Database
from storage.indicators import DEFAULT_WEIGHTS
from storage.queries.jobs import missing_logs_for_week

NAME = "weekly-log-reminder"

TEXT = ("【周报提醒】{name}，您{week}的工作日志还没有提交，截止{deadline}。"
        "发送“周报 内容”即可提交，或只发送“周报”按提示填写。")
UNBOUND_NOTE = "{n} 人尚未绑定微信，无法提醒"


async def weekly_log_reminder(db: Database, now: datetime, tz: tzinfo,
                              weights: Mapping[str, float] = DEFAULT_WEIGHTS) -> JobReport:
    week = iso_week(now.astimezone(tz).date())
    sunday = week_monday(week) + timedelta(days=6)
    deadline = f"{sunday.month}月{sunday.day}日（周日）24:00"
    fields = {"thing1": "本周工作日志未提交", "time2": f"{sunday.isoformat()} 24:00"}

    async def compose(session: AsyncSession, report: JobReport) -> Messages:
        missing = await missing_logs_for_week(session, week)
        if missing.unbound:
            report.notes.append(UNBOUND_NOTE.format(n=missing.unbound))
        return {r.id: (TEXT.format(name=r.name, week=week_label(week), deadline=deadline), fields)
                for r in missing.reachable}

    return await queue_run(db, NAME, week, now, compose)
