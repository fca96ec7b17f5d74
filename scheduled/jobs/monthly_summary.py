"""monthly-summary: each leader gets the studio's month; each admin the union's, ranked."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from scheduled.jobs.common import Messages, queue_run
from scheduled.jobs.report import JobReport
from storage.calendar import month_bounds, weeks_of_month
from storage.db import Database
from storage.indicators import DEFAULT_WEIGHTS, StudioFigures, combined
from storage.queries.indicators import studio_figures
from storage.queries.jobs import StudioMonth, admin_ids, reachable_members, studio_months

NAME = "monthly-summary"
RANKED = 10  # studios named at the top and at the bottom of the admin's list

STUDIO = ("【{month}月工作室月报】{studio}\n周报：{logs}/{expected} 份（{rate}，{change}）\n"
          "工作时长：{hours:g} 小时\n师徒打卡：{checkins} 次，已确认 {confirmed}\n"
          "课题：{progressed}/{active} 个有进展\n新成果：{results} 项，已认定 {verified}，"
          "经济效益 {benefit:g} 万元\n合理化建议：{suggestions} 条\n指标得分：{score:g} 分\n最活跃：{top}")
UNION = ("【{month}月全会月报】{n} 个工作室，周报提交率 {rate}（{change}）\n"
         "新成果 {results} 项（已认定 {verified}），经济效益 {benefit:g} 万元，合理化建议 {suggestions} 条\n"
         "指标得分最高：\n{best}")
WORST = "\n需要关注：\n{worst}"


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def _change(now: float, before: float | None) -> str:
    if before is None:
        return "上月无数据"
    delta = (now - before) * 100
    if abs(delta) < 0.5:
        return "与上月持平"
    return f"比上月{'高' if delta > 0 else '低'} {abs(delta):.0f} 个百分点"


def previous_month(month: str) -> str:
    first, _ = month_bounds(month)
    last = first - timedelta(days=1)
    return f"{last.year}-{last.month:02d}"


async def monthly_summary(db: Database, now: datetime, tz: tzinfo,
                          weights: Mapping[str, float] = DEFAULT_WEIGHTS) -> JobReport:
    """Runs on the 1st; the period is the month that just ended."""
    today = now.astimezone(tz).date()
    month = previous_month(f"{today.year}-{today.month:02d}")
    before = previous_month(month)

    async def compose(session: AsyncSession, report: JobReport) -> Messages:
        weeks, weeks_before = weeks_of_month(month), weeks_of_month(before)
        start, end = month_bounds(month)
        this = await studio_months(session, weeks, start, end)
        figures = await studio_figures(session, weeks, start, end, tz)
        prior = await studio_months(session, weeks_before, *month_bounds(before))
        label = str(int(month[5:]))
        leaders = {lid for s in this.values() for lid in s.leaders}
        admins = set(await admin_ids(session))
        reachable = await reachable_members(session, leaders | admins)
        messages: Messages = {}
        for s in this.values():
            had = prior.get(s.studio_id)
            text = STUDIO.format(
                month=label, studio=s.studio, logs=s.logs, expected=s.expected(len(weeks)),
                rate=_pct(s.rate(len(weeks))),
                change=_change(s.rate(len(weeks)),
                               had.rate(len(weeks_before)) if had and had.logs else None),
                hours=round(s.hours, 1), checkins=s.checkins, confirmed=s.confirmed,
                top="、".join(f"{name}（{n}）" for name, n in s.top) or "无",
                **_more(figures[s.studio_id], weights, len(weeks)))
            fields = {"thing1": f"{label}月月报 {s.studio}"[:20], "time2": start.isoformat()}
            for leader in s.leaders:
                if leader in reachable:
                    messages[leader] = (text, fields)
        if admins & reachable:
            messages.update(dict.fromkeys(admins & reachable, (
                _union_text(this, prior, figures, weights, len(weeks), len(weeks_before), label),
                {"thing1": f"{label}月全会月报", "time2": start.isoformat()})))
        return messages

    return await queue_run(db, NAME, month, now, compose)


def _more(f: StudioFigures, weights: Mapping[str, float], weeks: int) -> dict[str, Any]:
    return {"progressed": f.topics_progressed, "active": f.topics_active, "results": f.results,
            "verified": f.results_verified, "benefit": round(f.benefit_verified, 2),
            "suggestions": f.suggestions, "score": f.score(weights, weeks)}


def _union_text(this: dict[int, StudioMonth], prior: dict[int, StudioMonth],
                figures: dict[int, StudioFigures], weights: Mapping[str, float], weeks: int,
                weeks_before: int, label: str) -> str:
    studios = [s for s in this.values() if s.writers]
    expected = sum(s.expected(weeks) for s in studios)
    rate = sum(s.logs for s in studios) / expected if expected else 0.0
    before_expected = sum(s.expected(weeks_before) for s in prior.values() if s.writers)
    before_logs = sum(s.logs for s in prior.values())
    before = before_logs / before_expected if before_expected and before_logs else None
    staffed = [figures[s.studio_id] for s in studios]
    total = combined(staffed, "全会")
    ranked = sorted(((f.score(weights, weeks), f) for f in staffed),
                    key=lambda pair: (-pair[0], pair[1].studio))
    best = "\n".join(f"{i}. {f.studio} {points:g} 分，周报 {_pct(f.log_rate(weeks))}"
                     for i, (points, f) in enumerate(ranked[:RANKED], 1))
    text = UNION.format(month=label, n=len(studios), rate=_pct(rate), change=_change(rate, before),
                        results=total.results, verified=total.results_verified,
                        benefit=round(total.benefit_verified, 2), suggestions=total.suggestions,
                        best=best)
    if len(ranked) > RANKED:
        worst = ranked[-min(RANKED, len(ranked) - RANKED):]
        text += WORST.format(worst="\n".join(f"· {f.studio} {points:g} 分" for points, f in worst))
    return text
