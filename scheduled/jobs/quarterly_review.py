"""quarterly-review: each admin gets the studios' indicator scores, stars and who is at risk.

The score (0–100) is the one 排名 shows, over the quarter's three months; its indicators
and their configurable weights are described in storage/indicators.py. Stars: ≥ 85 three,
≥ 70 two, ≥ 60 one; below 60 the studio is at risk.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from scheduled.jobs.common import Messages, queue_run
from scheduled.jobs.report import JobReport
from storage.calendar import month_bounds, weeks_of_month
from storage.db import Database
from storage.indicators import AT_RISK, DEFAULT_WEIGHTS, describe_weights, stars
from storage.queries.indicators import studio_figures
from storage.queries.jobs import admin_ids, reachable_members

NAME = "quarterly-review"
SHOWN = 20

TEXT = ("【{quarter} 工作室季度评估】共 {n} 个工作室：三星 {s3}，二星 {s2}，一星 {s1}，"
        "不达标 {s0}。\n{risk}\n得分最高：\n{best}\n（得分构成：{weights}）")
RISK = "需要关注（低于 60 分）：\n{names}"
NO_RISK = "没有低于 60 分的工作室。"

__all__ = ["quarter_of", "quarterly_review", "stars"]


def quarter_of(day: date) -> tuple[str, list[str]]:
    """The quarter before the one `day` is in: its label and its months."""
    q = (day.month - 1) // 3
    year, q = (day.year - 1, 4) if q == 0 else (day.year, q)
    first = 3 * (q - 1) + 1
    return f"{year}-Q{q}", [f"{year}-{m:02d}" for m in range(first, first + 3)]


async def quarterly_review(db: Database, now: datetime, tz: tzinfo,
                           weights: Mapping[str, float] = DEFAULT_WEIGHTS) -> JobReport:
    quarter, months = quarter_of(now.astimezone(tz).date())

    async def compose(session: AsyncSession, report: JobReport) -> Messages:
        weeks = [w for m in months for w in weeks_of_month(m)]
        start, end = month_bounds(months[0])[0], month_bounds(months[-1])[1]
        studios = [f for f in (await studio_figures(session, weeks, start, end, tz)).values()
                   if f.members]
        scored = sorted(((f.score(weights, len(weeks), months=3), f.studio) for f in studios),
                        key=lambda pair: (-pair[0], pair[1]))
        counts = [sum(1 for p, _ in scored if stars(p) == n) for n in (3, 2, 1, 0)]
        risky = [f"· {name} {p:g} 分" for p, name in reversed(scored) if p < AT_RISK][:SHOWN]
        best = "\n".join(f"{i}. {name} {p:g} 分（{'★' * stars(p) or '—'}）"
                         for i, (p, name) in enumerate(scored[:5], 1))
        text = TEXT.format(quarter=quarter, n=len(scored), s3=counts[0], s2=counts[1],
                           s1=counts[2], s0=counts[3],
                           risk=RISK.format(names="\n".join(risky)) if risky else NO_RISK,
                           best=best or "无", weights=describe_weights(weights))
        admins = await reachable_members(session, set(await admin_ids(session)))
        fields = {"thing1": f"{quarter} 季度评估", "time2": start.isoformat()}
        return dict.fromkeys(admins, (text, fields))

    return await queue_run(db, NAME, quarter, now, compose)
