"""quarterly-review: each admin gets the studios' indicator scores, stars and who is at risk.

The score (0–100) uses what the studios record here, pending the full indicator system
(results, topics and economic benefit come with those records):

- weekly logs submitted / expected over the quarter ............ 40
- mentorship check-ins per active pair per month (2 = full) ..... 30
- check-ins confirmed by the mentor ............................. 10
- members with WeChat bound ..................................... 20

Stars: ≥ 85 three, ≥ 70 two, ≥ 60 one; below 60 the studio is at risk.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from scheduled.jobs.common import Messages, queue_run
from scheduled.jobs.report import JobReport
from storage.calendar import month_bounds, weeks_of_month
from storage.db import Database
from storage.queries.jobs import StudioMonth, admin_ids, reachable_members, studio_months

NAME = "quarterly-review"
AT_RISK = 60
SHOWN = 20

TEXT = ("【{quarter} 工作室季度评估】共 {n} 个工作室：三星 {s3}，二星 {s2}，一星 {s1}，"
        "不达标 {s0}。\n{risk}\n得分最高：\n{best}\n（得分：周报40＋师徒打卡30＋确认10＋绑定20）")
RISK = "需要关注（低于 60 分）：\n{names}"
NO_RISK = "没有低于 60 分的工作室。"


def score(s: StudioMonth, weeks: int, months: int = 3) -> float:
    logs = min(1.0, s.rate(weeks))
    activity = min(1.0, s.checkins / (2 * months * s.pairs)) if s.pairs else 0.0
    confirmed = s.confirmed / s.checkins if s.checkins else 0.0
    bound = s.bound / s.members if s.members else 0.0
    return round(40 * logs + 30 * activity + 10 * confirmed + 20 * bound, 1)


def stars(points: float) -> int:
    return 3 if points >= 85 else 2 if points >= 70 else 1 if points >= AT_RISK else 0


def quarter_of(day: date) -> tuple[str, list[str]]:
    """The quarter before the one `day` is in: its label and its months."""
    q = (day.month - 1) // 3
    year, q = (day.year - 1, 4) if q == 0 else (day.year, q)
    first = 3 * (q - 1) + 1
    return f"{year}-Q{q}", [f"{year}-{m:02d}" for m in range(first, first + 3)]


async def quarterly_review(db: Database, now: datetime, tz: tzinfo) -> JobReport:
    quarter, months = quarter_of(now.astimezone(tz).date())

    async def compose(session: AsyncSession, report: JobReport) -> Messages:
        weeks = [w for m in months for w in weeks_of_month(m)]
        start, end = month_bounds(months[0])[0], month_bounds(months[-1])[1]
        studios = [s for s in (await studio_months(session, weeks, start, end)).values()
                   if s.members]
        scored = sorted(((score(s, len(weeks)), s.studio) for s in studios), reverse=True)
        counts = [sum(1 for p, _ in scored if stars(p) == n) for n in (3, 2, 1, 0)]
        risky = [f"· {name} {p:g} 分" for p, name in reversed(scored) if p < AT_RISK][:SHOWN]
        best = "\n".join(f"{i}. {name} {p:g} 分（{'★' * stars(p) or '—'}）"
                         for i, (p, name) in enumerate(scored[:5], 1))
        text = TEXT.format(quarter=quarter, n=len(scored), s3=counts[0], s2=counts[1],
                           s1=counts[2], s0=counts[3],
                           risk=RISK.format(names="\n".join(risky)) if risky else NO_RISK,
                           best=best or "无")
        admins = await reachable_members(session, set(await admin_ids(session)))
        fields = {"thing1": f"{quarter} 季度评估", "time2": start.isoformat()}
        return dict.fromkeys(admins, (text, fields))

    return await queue_run(db, NAME, quarter, now, compose)
