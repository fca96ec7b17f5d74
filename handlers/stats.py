"""统计 and 排名: a month's figures for a leader's studio or an admin's union, and the
studios ranked by the indicator score (storage/indicators.py)."""

from __future__ import annotations

import re
from datetime import date

from bot.context import Ctx, Incoming
from bot.replies import MAX_TEXT_BYTES, Reply, Text, fit_lines
from bot.routing import Router, normalise
from locales import Words
from locales.formats import describe_weights, hours, join, month_label, percent
from storage.calendar import month_bounds, weeks_of_month
from storage.indicators import FULL_MARKS, StudioFigures, combined, stars
from storage.models import RESULT_TYPES, ROLE_ADMIN, ROLE_LEADER, TOPIC_STATUSES
from storage.queries.indicators import month_ratings, studio_figures

router = Router("stats")

RANK_SHOWN = 10
BEST_SHOWN = 3  # studios named as the best in the union's 统计

# A year and a month, or a month alone, with anything but a digit around them:
# 2026-10, 2026年10月, 10月 (the words of no language needed).
_MONTH_FORMS = (
    re.compile(r"^(\d{4})\s*[^\d\s]\s*(\d{1,2})\s*[^\d\s]?$"),
    re.compile(r"^(\d{1,2})\s*[^\d\s]?$"),
)
# Decided ones first: what a month's figures lead with.
_SUGGESTION_ORDER = ("accepted", "implemented", "rejected", "submitted")


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


def _label(words: Words, month: str, today: date) -> str:
    label = month_label(words, month)
    if (int(month[:4]), int(month[5:])) == (today.year, today.month):
        return words("stats.month_so_far", month=label, day=today.day)
    return label


def _number(x: float) -> str:
    return f"{x:g}"


def _stars(words: Words, points: float) -> str:
    return words(f"stats.stars.{stars(points)}")


def _joined(words: Words, counts: dict[str, int], prefix: str, order: tuple[str, ...]) -> str:
    """Each code that has a count, in `order`, with its word: 「立项 2，攻关中 1」."""
    def label(code: str) -> str:
        try:
            return words(f"{prefix}.{code}")
        except KeyError:  # a stored value no catalog knows: shown as stored
            return code

    known = [c for c in order if counts.get(c)] + sorted(c for c in counts
                                                         if c not in order and counts[c])
    return words("stats.count_separator").join(
        words("stats.count", label=label(code), n=counts[code]) for code in known)


def figure_lines(f: StudioFigures, weeks: int, words: Words) -> list[str]:
    """The month in a few lines; the same facts as the ledger's, for a phone screen."""
    lines = [
        words("stats.logs", logs=f.logs, expected=f.expected_logs(weeks),
              rate=percent(words, f.log_rate(weeks)), hours=hours(words, round(f.log_hours, 1))),
        words("stats.checkins", n=f.checkins, confirmed=f.checkins_confirmed,
              hours=hours(words, round(f.checkin_hours, 1))),
    ]
    if f.topics_by_status:
        lines.append(words("stats.topics",
                           by_status=_joined(words, f.topics_by_status, "topic.status",
                                             TOPIC_STATUSES),
                           progressed=f.topics_progressed, active=f.topics_active,
                           updates=f.progress_updates))
    else:
        lines.append(words("stats.no_topics"))
    if f.results:
        lines.append(words("stats.results", n=f.results,
                           by_type=_joined(words, f.results_by_type, "result.type", RESULT_TYPES),
                           verified=f.results_verified, promoted=f.results_promoted))
    else:
        lines.append(words("stats.no_results"))
    lines.append(words("stats.benefit", verified=_number(round(f.benefit_verified, 2)),
                       reported=_number(round(f.benefit_reported, 2))))
    lines.append(words("stats.suggestions", n=f.suggestions,
                       by_status=_joined(words, f.suggestions_by_status, "suggestion.status",
                                         _SUGGESTION_ORDER) or words("stats.none")))
    return lines


async def _figures(ctx: Ctx, month: str, studio_id: int | None) -> tuple[dict[int, StudioFigures], int]:
    weeks = weeks_of_month(month)
    start, end = month_bounds(month)
    figures = await studio_figures(ctx.session, weeks, start, end, ctx.settings.tz,
                                   studio_id=studio_id)
    return figures, len(weeks)


@router.command("统计", aliases=("stats",), takes_args=True, roles=(ROLE_LEADER, ROLE_ADMIN),
                summary="cmd.stats.summary", usage="cmd.stats.usage", writes=False)
async def on_stats(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None
    today = ctx.now.astimezone(ctx.settings.tz).date()
    month = parse_month(ctx.args, today)
    if month is None:
        return ctx.reply("stats.bad_month")
    label = _label(ctx.words, month, today)
    if month_bounds(month)[0] > today:
        return ctx.reply("stats.future_month", label=label)
    weights = ctx.settings.rank_weights
    more = ctx.t("stats.more_stats")
    if member.role == ROLE_LEADER:
        if member.studio_id is None:
            return ctx.reply("stats.no_studio")
        figures, weeks = await _figures(ctx, month, member.studio_id)
        f = figures[member.studio_id]
        points = f.score(weights, weeks)
        lines = [ctx.t("stats.header", label=label, scope=f.studio),
                 *figure_lines(f, weeks, ctx.words),
                 ctx.t("stats.score", score=_number(points), stars=_stars(ctx.words, points))]
        return Text(fit_lines(lines, more))
    figures, weeks = await _figures(ctx, month, None)
    staffed = [f for f in figures.values() if f.members]
    total = combined(staffed, ctx.t("stats.union_name"))
    lines = [ctx.t("stats.header", label=label,
                   scope=ctx.t("stats.union_scope", n=len(staffed))),
             *figure_lines(total, weeks, ctx.words)]
    ranked = sorted(staffed, key=lambda f: (-f.score(weights, weeks), f.studio))
    if ranked:
        lines.append(ctx.t("stats.best", names=join(ctx.words, [
            ctx.t("stats.best_item", studio=f.studio, score=_number(f.score(weights, weeks)))
            for f in ranked[:BEST_SHOWN]])))
    return Text(fit_lines(lines, more))


@router.command("排名", aliases=("rank",), roles=(ROLE_LEADER, ROLE_ADMIN),
                summary="cmd.rank.summary", usage="cmd.rank.usage", writes=False)
async def on_rank(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None
    today = ctx.now.astimezone(ctx.settings.tz).date()
    month = f"{today.year}-{today.month:02d}"
    weights = ctx.settings.rank_weights
    scored = await month_ratings(ctx.session, month, ctx.settings.tz, weights)
    if not scored:
        return ctx.reply("stats.no_ranked")
    lines = [ctx.t("stats.rank_header", label=_label(ctx.words, month, today), n=len(scored))]
    footer = ctx.t("stats.rank_footer", weights=describe_weights(ctx.words, weights),
                   full=FULL_MARKS)
    if member.role == ROLE_LEADER and member.studio_id is not None:
        for i, r in enumerate(scored, 1):
            if r.studio_id == member.studio_id:
                lines.append(ctx.t("stats.mine", i=i, score=_number(r.score)))
        shown = scored[:RANK_SHOWN]
    else:
        shown = scored
    lines += [ctx.t("stats.rank_line", i=i, studio=r.studio, score=_number(r.score),
                    stars=ctx.t("stats.rank_stars", stars=ctx.t(f"stats.stars.{r.stars}"))
                    if r.stars else "")
              for i, r in enumerate(shown, 1)]
    if len(shown) < len(scored):
        lines.append(ctx.t("stats.rank_shown", n=len(scored), shown=len(shown)))
    # The footer must survive the cut, so the rest is fitted in what is left of the reply.
    body = fit_lines(lines, ctx.t("stats.more_rank"),
                     limit=MAX_TEXT_BYTES - len(footer.encode("utf-8")) - 1)
    return Text(body + "\n" + footer)
