"""统计 and 排名: a month's figures for a leader's studio or an admin's union, and the
studios ranked by the indicator score (storage/indicators.py)."""

from __future__ import annotations

import re
from datetime import date

from bot.context import Ctx, Incoming
from bot.replies import MAX_TEXT_BYTES, Reply, Text, fit_lines
from bot.routing import Router, normalise
from domain.report_links import LinkBook, studio_page
from domain.stats import MonthFigures, month_figures
from handlers.parsing import says
from locales import Words
from locales.formats import describe_weights, hours, join, month_label, percent, week_span
from storage.calendar import iso_week, month_bounds, month_of_week
from storage.indicators import FULL_MARKS, StudioFigures, stars
from storage.models import PAGE_UNION, RESULT_TYPES, ROLE_ADMIN, ROLE_LEADER, TOPIC_STATUSES
from storage.queries.indicators import month_ratings
from storage.queries.members import union_name
from storage.queries.studios import studios_called

router = Router("stats")

RANK_SHOWN = 10
BEST_SHOWN = 3  # studios named as the best in the union's 统计

# A year and a month, or a month alone, with anything but a digit around them:
# 2026-10, 2026年10月, 10月 (the words of no language needed).
_MONTH_FORMS = (
    re.compile(r"^(\d{4})\s*[^\d\s]\s*(\d{1,2})\s*[^\d\s]?$"),
    re.compile(r"^(\d{1,2})\s*[^\d\s]?$"),
)
# Months said in words (本月, 上月, 上上月 …): how many months back from this one.
_MONTHS_BACK = {"input.month.this": 0, "input.month.last": 1, "input.month.before_last": 2}
# Decided ones first: what a month's figures lead with.
_SUGGESTION_ORDER = ("accepted", "implemented", "rejected", "submitted")


def _shift(month: tuple[int, int], back: int) -> tuple[int, int]:
    index = month[0] * 12 + month[1] - 1 - back
    return index // 12, index % 12 + 1


def latest_month(today: date) -> str:
    """The latest month that can be asked for: the one holding this week's Thursday (on
    Monday 30 November, December: this week's logs count there)."""
    return month_of_week(iso_week(today))


def parse_month(text: str, today: date) -> str | None:
    """"2026-10", "2026年10月", "10月" (the latest such month that can be asked for), 本月,
    上月, 上上月 → "YYYY-MM"; this month when empty; None when it is none of these."""
    norm = normalise(text).strip()
    this = (today.year, today.month)
    if not norm:
        return f"{today.year}-{today.month:02d}"
    for key, back in _MONTHS_BACK.items():
        if says(norm, key):
            year, month = _shift(this, back)
            return f"{year}-{month:02d}"
    latest = latest_month(today)
    limit = (int(latest[:4]), int(latest[5:]))
    for form in _MONTH_FORMS:
        found = form.match(norm)
        if found is None:
            continue
        if len(found.groups()) == 2:
            year, month = int(found.group(1)), int(found.group(2))
        else:
            month = int(found.group(1))
            year = limit[0] if month <= limit[1] else limit[0] - 1
        return f"{year}-{month:02d}" if 1 <= month <= 12 else None
    return None


def split_month(args: str, today: date) -> tuple[str, str | None]:
    """(what names a studio, the month) from "王建国 10月", "2026-10", "王建国劳模创新工作室":
    the month is the whole text or its last word; (args, None) when there is no month."""
    text = args.strip()
    whole = parse_month(text, today)
    if whole is not None:
        return "", whole
    head, _, last = text.rpartition(" ")
    if head:
        month = parse_month(last, today)
        if month is not None:
            return head.strip(), month
    return text, None


def _label(words: Words, month: str, today: date) -> str:
    label = month_label(words, month)
    if (int(month[:4]), int(month[5:])) == (today.year, today.month):
        return words("stats.month_so_far", month=label, day=today.day)
    if month_bounds(month)[0] > today:  # the month this week's Thursday is in
        return words("stats.month_ahead", month=label)
    return label


def _too_early(month: str, today: date) -> bool:
    return month_bounds(month)[0] > today and month != latest_month(today)


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


def figure_lines(f: StudioFigures, weeks: list[str], words: Words) -> list[str]:
    """The month in a few lines; the same facts as the ledger's, for a phone screen. The
    logs line says which weeks it counts."""
    n = len(weeks)
    lines = [
        words("stats.logs", weeks=week_span(words, weeks), logs=f.logs,
              expected=f.expected_logs(n), rate=percent(words, f.log_rate(n)),
              hours=hours(words, round(f.log_hours, 1))),
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


async def _figures(ctx: Ctx, month: str, studio_id: int | None) -> MonthFigures:
    # The same function the console's 总览 reads: the chat and the web show one figure.
    today = ctx.now.astimezone(ctx.settings.tz).date()
    return await month_figures(ctx.session, month, today, ctx.settings.tz, studio_id=studio_id)


async def _union(ctx: Ctx) -> str:
    """What the union-wide figures are called: the union's own name (本工会 without one)."""
    return await union_name(ctx.session) or ctx.t("stats.union_name")


@router.command("统计", aliases=("stats",), takes_args=True, roles=(ROLE_LEADER, ROLE_ADMIN),
                summary="cmd.stats.summary", usage="cmd.stats.usage", writes=False)
async def on_stats(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None
    today = ctx.now.astimezone(ctx.settings.tz).date()
    named, month = split_month(ctx.args, today)
    if month is None:
        month = f"{today.year}-{today.month:02d}"
        if member.role == ROLE_LEADER:
            # A studio's name (theirs or another's) or a month written some other way.
            if await studios_called(ctx.session, named):
                return ctx.reply("stats.own_studio_only")
            return ctx.reply("stats.bad_month")
    label = _label(ctx.words, month, today)
    if _too_early(month, today):
        return ctx.reply("stats.future_month", label=label)
    if member.role == ROLE_LEADER:
        if member.studio_id is None:
            return ctx.reply("stats.no_studio")
        if named:  # a leader sees their own studio, whatever name follows
            return ctx.reply("stats.own_studio_only")
        return await _studio_stats(ctx, month, label, member.studio_id)
    if named:
        found = await studios_called(ctx.session, named)
        if not found:
            return ctx.reply("stats.no_such_studio", name=named)
        if len(found) > 1:
            return Text(fit_lines([ctx.t("stats.which_studio", name=named, n=len(found)),
                                   *(ctx.t("stats.studio_choice", studio=s.name) for s in found)],
                                  ctx.t("stats.more_studios")))
        return await _studio_stats(ctx, month, label, found[0].id)
    return await _union_stats(ctx, month, label)


async def _with_link(ctx: Ctx, lines: list[str], page: str, month: str) -> Reply:
    """The figures with the line linking their page (charts, and what the text leaves out)
    at the end: the link survives when the figures are cut to fit."""
    member = ctx.member
    assert member is not None
    book = LinkBook.of(ctx.settings)
    # One of the sender's links to this page is handed out again while it has half its
    # life ahead: 统计 asked twice writes nothing the second time.
    link = await book.issue(ctx.session, member.id, page, "stats", ctx.now)
    footer = ctx.t("stats.link", url=book.page_url(link, month))
    body = fit_lines(lines, ctx.t("stats.more_stats"),
                     limit=MAX_TEXT_BYTES - len(footer.encode("utf-8")) - 1)
    return Text(body + "\n" + footer)


async def _studio_stats(ctx: Ctx, month: str, label: str, studio_id: int) -> Reply:
    month_of = await _figures(ctx, month, studio_id)
    f = month_of.by_studio[studio_id]
    points = month_of.score(studio_id, ctx.settings.rank_weights)
    lines = [ctx.t("stats.header", label=label, scope=f.studio),
             *figure_lines(f, month_of.weeks, ctx.words),
             ctx.t("stats.score", score=_number(points), stars=_stars(ctx.words, points))]
    return await _with_link(ctx, lines, studio_page(studio_id), month)


async def _union_stats(ctx: Ctx, month: str, label: str) -> Reply:
    weights = ctx.settings.rank_weights
    month_of = await _figures(ctx, month, None)
    union = await _union(ctx)
    staffed = month_of.staffed
    lines = [ctx.t("stats.header", label=label,
                   scope=ctx.t("stats.union_scope", union=union, n=len(staffed))),
             *figure_lines(month_of.union(union), month_of.weeks, ctx.words)]
    best = [r for r in month_of.ratings(weights) if r.score > 0][:BEST_SHOWN]
    if best:
        lines.append(ctx.t("stats.best", names=join(ctx.words, [
            ctx.t("stats.best_item", studio=r.studio, score=_number(r.score))
            for r in best])))
    lines.append(ctx.t("stats.studio_hint"))
    return await _with_link(ctx, lines, PAGE_UNION, month)


@router.command("排名", aliases=("rank",), takes_args=True, roles=(ROLE_LEADER, ROLE_ADMIN),
                summary="cmd.rank.summary", usage="cmd.rank.usage", writes=False)
async def on_rank(msg: Incoming, ctx: Ctx) -> Reply:
    member = ctx.member
    assert member is not None
    today = ctx.now.astimezone(ctx.settings.tz).date()
    month = parse_month(ctx.args, today)
    if month is None:
        return ctx.reply("stats.bad_month")
    label = _label(ctx.words, month, today)
    if _too_early(month, today):
        return ctx.reply("stats.future_month", label=label)
    weights = ctx.settings.rank_weights
    scored = await month_ratings(ctx.session, month, ctx.settings.tz, weights, today)
    if not scored:
        return ctx.reply("stats.no_ranked")
    lines = [ctx.t("stats.rank_header", label=label, n=len(scored))]
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
