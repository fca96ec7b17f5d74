"""mentorship-reminder: both sides of a pair with no check-in for 14 days hear about it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from scheduled.jobs.common import Messages, queue_run
from scheduled.jobs.report import JobReport
from storage.calendar import iso_week
from storage.db import Database
from storage.indicators import DEFAULT_WEIGHTS
from storage.queries.jobs import reachable_members, stale_pairs
from storage.queries.outbox import PAIR_QUIET

NAME = "mentorship-reminder"
QUIET_DAYS = PAIR_QUIET.days

TEXT = "【师徒打卡提醒】{name}，{lines}\n带教或学习后发送“打卡 内容 时长”即可记录，如“打卡 讲解图纸 2小时”。"
LINE_LAST = "您和{role}{partner}已有 {days} 天没有打卡了（上次 {last}）"
LINE_NEVER = "您和{role}{partner}结对 {days} 天，还没有打过卡"


async def mentorship_reminder(db: Database, now: datetime, tz: tzinfo,
                              weights: Mapping[str, float] = DEFAULT_WEIGHTS) -> JobReport:
    today = now.astimezone(tz).date()
    week = iso_week(today)

    async def compose(session: AsyncSession, report: JobReport) -> Messages:
        pairs = await stale_pairs(session, today - timedelta(days=QUIET_DAYS))
        lines: dict[int, list[str]] = defaultdict(list)
        names: dict[int, str] = {}
        for p in pairs:
            days = (today - p.since).days
            for me, my_name, role, partner in ((p.mentor_id, p.mentor_name, "徒弟", p.apprentice_name),
                                               (p.apprentice_id, p.apprentice_name, "师傅",
                                                p.mentor_name)):
                names[me] = my_name
                if p.last_checkin is None:
                    lines[me].append(LINE_NEVER.format(role=role, partner=partner, days=days))
                else:
                    lines[me].append(LINE_LAST.format(role=role, partner=partner, days=days,
                                                      last=f"{p.last_checkin.month}月{p.last_checkin.day}日"))
        reachable = await reachable_members(session, set(lines))
        fields = {"thing1": "师徒结对两周未打卡", "time2": today.isoformat()}
        return {mid: (TEXT.format(name=names[mid], lines="；".join(lines[mid]) + "。"), fields)
                for mid in sorted(reachable)}

    return await queue_run(db, NAME, week, now, compose)
