"""weekly-log-reminder: everyone who has not logged this ISO week gets one reminder."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from scheduled.jobs.report import JobReport
from storage.calendar import iso_week, week_label, week_monday
from storage.db import Database
from storage.queries.jobs import finish_job_run, missing_logs_for_week, start_job_run
from storage.queries.outbox import enqueue_many, recipients_already_queued

NAME = "weekly-log-reminder"

TEXT = ("【周报提醒】{name}，您{week}的工作日志还没有提交，截止{deadline}。"
        "发送“周报 内容”即可提交，或只发送“周报”按提示填写。")
UNBOUND_NOTE = "{n} 人尚未绑定微信，无法提醒"


async def weekly_log_reminder(db: Database, now: datetime, tz: tzinfo) -> JobReport:
    week = iso_week(now.astimezone(tz).date())
    sunday = week_monday(week) + timedelta(days=6)
    deadline = f"{sunday.month}月{sunday.day}日（周日）24:00"
    report = JobReport(NAME, week)
    async with db.transaction() as session:
        run_id = await start_job_run(session, NAME, week, now)
        missing = await missing_logs_for_week(session, week)
        done = await recipients_already_queued(session, NAME, week)
        fields = {"thing1": "本周工作日志未提交", "time2": f"{sunday.isoformat()} 24:00"}
        fresh: dict[int, tuple[str, dict[str, str] | None]] = {
            r.id: (TEXT.format(name=r.name, week=week_label(week), deadline=deadline), fields)
            for r in missing.reachable if r.id not in done
        }
        report.queued = await enqueue_many(session, NAME, week, fresh, now)
        report.skipped = len(missing.reachable) - len(fresh)
        if missing.unbound:
            report.notes.append(UNBOUND_NOTE.format(n=missing.unbound))
        await finish_job_run(session, run_id, queued=report.queued, skipped=report.skipped,
                             now=now)
    return report
