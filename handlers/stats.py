"""统计 and 排名: a month's figures for a leader's studio or an admin's union, and the
studios ranked by the indicator score (storage/indicators.py)."""

from __future__ import annotations

import re
from datetime import date

from bot.context import Ctx, Incoming
from bot.replies import Reply, Text, fit_lines
from bot.routing import Router, normalise
from handlers.proposals import SUGGESTION_STATUS
from storage.calendar import month_bounds, weeks_of_month
from storage.indicators import StudioFigures, combined, describe_weights, stars
from storage.models import RESULT_TYPES, ROLE_ADMIN, ROLE_LEADER, TOPIC_STATUSES
from storage.queries.indicators import studio_figures

router = Router("stats")

RANK_SHOWN = 10

BAD_MONTH = "月份请写成 2026-10、2026年10月 或 10月 的形式，如“统计 2026-10”。"
FUTURE_MONTH = "{label}还没有到，没有统计数据。"
HEADER = "【{label}统计】{scope}"
LOGS = "周报：已交 {logs}/{expected} 份（{rate}），工作时长 {hours:g} 小时"
CHECKINS = "师徒打卡：{n} 次，已确认 {confirmed}，共 {hours:g} 小时"
TOPICS = "课题：{by_status}；本月有进展 {progressed}/{active} 个（更新 {updates} 次）"
NO_TOPICS = "课题：暂无"
RESULTS = "新成果：{n} 项（{by_type}），已认定 {verified}，推广应用 {promoted}"
NO_RESULTS = "新成果：0 项"
BENEFIT = "经济效益：已认定 {verified:g} 万元（登记 {reported:g} 万元）"
SUGGESTIONS = "合理化建议：{n} 条（{by_status}）"
SCORE = "指标得分：{score:g} 分（{stars}）"
UNION_SCOPE = "全会 {n} 个工作室"
BEST = "得分最高：{names}。发送“排名”查看完整排名。"
NO_STUDIO = "您不属于具体的工作室，没有工作室统计。"
RANK_HEADER = "【{label}工作室排名】共 {n} 个工作室"
RANK_LINE = "{i}. {studio} {score:g} 分{stars}"
MINE = "本工作室：第 {i} 名，{score:g} 分"
RANK_FOOTER = "得分构成：{weights}（满分 100）"
MORE_RANK = "……完整排名请用“workshop-bot export studios”导出。"
MORE_STATS = "……详细数据请用“workshop-bot export studio-ledger”导出。"
NO_RANKED = "还没有有成员的工作室，无法排名。"

_MONTH_FORMS = (
    re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$"),
    re.compile(r"^(\d{1,2})\s*月?$"),
)
# Decided ones first: what a month's figures lead with.
_SUGGESTION_NAMES = {k: SUGGESTION_STATUS[k] for k in ("accepted", "implemented", "rejected",
                                                       "submitted")}


def parse_month(text: str, today: date) -> str | None:
    """"2026-10", "2026年10月", "10月" (this year, or last year's if still to come) → "YYYY-MM"."""
    norm = normalise(text).strip()
    if not norm:
        return f"{today.year}-{today.month:02d}"
    for form in _MONTH_FORMS:
        found = form.match(norm)
        if found is None:
            continue
        if len(found.groups()) == 2:
            year, month = int(found.group(1)), int(found.group(2))
        else:
            month = int(found.group(1))
            year = today.year if month <= today.month else today.year - 1
        return f"{year}-{month:02d}" if 1 <= month <= 12 else None
    return None


def _label(month: str, today: date) -> str:
    year, mon = int(month[:4]), int(month[5:])
    label = f"{year}年{mon}月"
    if (year, mon) == (today.year, today.month):
        label += f"（截至{today.day}日）"
    return label


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def _stars(points: float) -> str:
    n = stars(points)
    return "★" * n if n else "未达一星"


def _joined(counts: dict[str, int], order: dict[str, str] | tuple[str, ...]) -> str:
    names = order if isinstance(order, dict) else {k: k for k in order}
    return "，".join(f"{label} {counts[k]}" for k, label in names.items() if counts.get(k))


def figure_lines(f: StudioFigures, weeks: int) -> list[str]:
    """The month in a few lines; the same facts as the ledger's, for a phone screen."""
    lines = [
        LOGS.format(logs=f.logs, expected=f.expected_logs(weeks), rate=_pct(f.log_rate(weeks)),
                    hours=round(f.log_hours, 1)),
        CHECKINS.format(n=f.checkins, confirmed=f.checkins_confirmed,
                        hours=round(f.checkin_hours, 1)),
    ]
    if f.topics_by_status:
        lines.append(TOPICS.format(by_status=_joined(f.topics_by_status, TOPIC_STATUSES),
                                   progressed=f.topics_progressed, active=f.topics_active,
                                   updates=f.progress_updates))
    else:
        lines.append(NO_TOPICS)
    if f.results:
        lines.append(RESULTS.format(n=f.results, by_type=_joined(f.results_by_type, RESULT_TYPES),
                                    verified=f.results_verified, promoted=f.results_promoted))
    else:
        lines.append(NO_RESULTS)
    lines.append(BENEFIT.format(verified=round(f.benefit_verified, 2),
                                reported=round(f.benefit_reported, 2)))
    lines.append(SUGGESTIONS.format(n=f.suggestions,
                                    by_status=_joined(f.suggestions_by_status, _SUGGESTION_NAMES)
                                    or "无"))
    return lines


async def _figures(ctx: Ctx, month: str, studio_id: int | None) -> tuple[dict[int, StudioFigures], int]:
    weeks = weeks_of_month(month)
    start, end = month_bounds(month)
    figures = await studio_figures(ctx.session, weeks, start, end, ctx.settings.tz,
                                   studio_id=studio_id)
    return figures, len(weeks)


@router.command("统计", aliases=("stats",), takes_args=True, roles=(ROLE_LEADER, ROLE_ADMIN),
                summary="统计：本月（或指定月份）的工作室数据", usage="统计 [月份]")
async def on_stats(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None
    today = ctx.now.astimezone(ctx.settings.tz).date()
    month = parse_month(ctx.args, today)
    if month is None:
        return Text(BAD_MONTH)
    label = _label(month, today)
    if month_bounds(month)[0] > today:
        return Text(FUTURE_MONTH.format(label=label))
    weights = ctx.settings.rank_weights
    if member.role == ROLE_LEADER:
        if member.studio_id is None:
            return Text(NO_STUDIO)
        figures, weeks = await _figures(ctx, month, member.studio_id)
        f = figures[member.studio_id]
        lines = [HEADER.format(label=label, scope=f.studio), *figure_lines(f, weeks),
                 SCORE.format(score=f.score(weights, weeks), stars=_stars(f.score(weights, weeks)))]
        return Text(fit_lines(lines, MORE_STATS))
    figures, weeks = await _figures(ctx, month, None)
    staffed = [f for f in figures.values() if f.members]
    total = combined(staffed, "全会")
    lines = [HEADER.format(label=label, scope=UNION_SCOPE.format(n=len(staffed))),
             *figure_lines(total, weeks)]
    ranked = sorted(staffed, key=lambda f: (-f.score(weights, weeks), f.studio))
    if ranked:
        lines.append(BEST.format(names="、".join(
            f"{f.studio}（{f.score(weights, weeks):g}）" for f in ranked[:3])))
    return Text(fit_lines(lines, MORE_STATS))


@router.command("排名", aliases=("rank",), roles=(ROLE_LEADER, ROLE_ADMIN),
                summary="排名：本月各工作室指标得分排名")
async def on_rank(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None
    today = ctx.now.astimezone(ctx.settings.tz).date()
    month = f"{today.year}-{today.month:02d}"
    figures, weeks = await _figures(ctx, month, None)
    weights = ctx.settings.rank_weights
    scored = sorted(((f.score(weights, weeks), f) for f in figures.values() if f.members),
                    key=lambda pair: (-pair[0], pair[1].studio))
    if not scored:
        return Text(NO_RANKED)
    lines = [RANK_HEADER.format(label=_label(month, today), n=len(scored))]
    footer = RANK_FOOTER.format(weights=describe_weights(weights))
    if member.role == ROLE_LEADER and member.studio_id is not None:
        for i, (points, f) in enumerate(scored, 1):
            if f.studio_id == member.studio_id:
                lines.append(MINE.format(i=i, score=points))
        shown = scored[:RANK_SHOWN]
    else:
        shown = scored
    lines += [RANK_LINE.format(i=i, studio=f.studio, score=points,
                               stars=" " + "★" * stars(points) if stars(points) else "")
              for i, (points, f) in enumerate(shown, 1)]
    if len(shown) < len(scored):
        lines.append(f"……共 {len(scored)} 个工作室，以上为前 {len(shown)} 名。")
    # The footer must survive the cut, so the rest is fitted in what is left of the reply.
    body = fit_lines(lines, MORE_RANK, limit=2048 - len(footer.encode("utf-8")) - 1)
    return Text(body + "\n" + footer)
