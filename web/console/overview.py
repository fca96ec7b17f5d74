"""总览: the month's figures (the union's for an admin, the studio's for a leader), the
studios at risk, and what waits for a decision."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from domain.stats import MonthFigures, month_figures
from locales import Words
from locales.formats import month_label, percent, week_span
from storage.calendar import iso_week, month_of_week
from storage.indicators import AT_RISK, StudioFigures, stars
from storage.queries.members import union_name
from storage.queries.studio_pages import (
    result_records,
    studio_names,
    suggestion_records,
    waiting,
)
from web.console.registry import CONSOLE, Context, Req

AT_RISK_SHOWN = 20
WAITING_SHOWN = 5
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def latest_month(today: date) -> str:
    """The latest month with figures: the one this week's logs count in (as 统计's)."""
    return month_of_week(iso_week(today))


def shift(month: str, by: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:]) - 1 + by
    return f"{index // 12}-{index % 12 + 1:02d}"


def month_asked(req: Req) -> str:
    """?month=YYYY-MM, within what has figures; this month otherwise."""
    found = _MONTH.match(req.arg("month"))
    this = f"{req.today.year}-{req.today.month:02d}"
    if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 2000:
        return this
    month = found.group(0)
    return month if month <= latest_month(req.today) else this


def number(x: float) -> str:
    return f"{round(x, 2):g}"


def figure_cards(words: Words, f: StudioFigures, weeks: list[str],
                 studios: tuple[int, int] | None) -> list[dict[str, str]]:
    """The month in cards: label, value, a line under it. The same figures 统计 words."""
    n = len(weeks)
    cards = []
    if studios is not None:
        cards.append({"key": "studios", "label": words("console.figure.studios"),
                      "value": str(studios[0]),
                      "sub": words("console.figure.studios_sub", total=studios[1])})
    cards += [
        {"key": "bound", "label": words("console.figure.bound"),
         "value": f"{f.bound}/{f.members}",
         "sub": percent(words, f.bound / f.members if f.members else 0.0)},
        {"key": "logs", "label": words("console.figure.logs"),
         "value": f"{f.logs}/{f.expected_logs(n)}",
         "sub": words("console.figure.logs_sub", rate=percent(words, f.log_rate(n)),
                      weeks=week_span(words, weeks))},
        {"key": "checkins", "label": words("console.figure.checkins"),
         "value": f"{f.checkins_confirmed}/{f.checkins}",
         "sub": words("console.figure.checkins_sub")},
        {"key": "topics", "label": words("console.figure.topics"),
         "value": f"{f.topics_progressed}/{f.topics_active}",
         "sub": words("console.figure.topics_sub", updates=f.progress_updates)},
        {"key": "suggestions", "label": words("console.figure.suggestions"),
         "value": str(f.suggestions),
         "sub": words("console.figure.suggestions_sub",
                      accepted=f.suggestions_by_status.get("accepted", 0)
                      + f.suggestions_by_status.get("implemented", 0))},
        {"key": "results", "label": words("console.figure.results"), "value": str(f.results),
         "sub": words("console.figure.results_sub", verified=f.results_verified)},
        {"key": "benefit", "label": words("console.figure.benefit"),
         "value": number(f.benefit_verified),
         "sub": words("console.figure.benefit_sub", reported=number(f.benefit_reported))},
    ]
    return cards


@CONSOLE.page("/", name="overview", template="console/overview.html",
              nav="console.nav.overview", order=10)
async def overview(req: Req) -> Context:
    month = month_asked(req)
    scope = req.viewer.scope
    figures: MonthFigures = await month_figures(req.session, month, req.today, req.settings.tz,
                                                studio_id=scope)
    weights = req.settings.rank_weights
    context: dict[str, Any] = {
        "month": month, "month_label": month_label(req.words, month),
        "so_far": month == f"{req.today.year}-{req.today.month:02d}", "day": req.today.day,
        "previous": shift(month, -1),
        "next": shift(month, 1) if month < latest_month(req.today) else None,
        "at_risk_line": AT_RISK}
    if scope is None:
        name = await union_name(req.session) or req.t("stats.union_name")
        total = figures.union(name)
        rated = figures.ratings(weights)
        risky = sorted((r for r in rated if r.score < AT_RISK), key=lambda r: (r.score, r.studio))
        context |= {"scope_name": name,
                    "cards": figure_cards(req.words, total, figures.weeks,
                                          (len(figures.staffed), len(figures.by_studio))),
                    "at_risk": risky[:AT_RISK_SHOWN], "at_risk_count": len(risky),
                    "rated": len(rated)}
    else:
        mine = figures.by_studio[scope]
        points = figures.score(scope, weights)
        context |= {"scope_name": mine.studio,
                    "cards": figure_cards(req.words, mine, figures.weeks, None),
                    "score": number(points), "stars": stars(points),
                    "risk": points < AT_RISK and bool(mine.members), "studio_id": scope}
    wait = await waiting(req.session, scope)
    suggestions = await suggestion_records(req.session, scope=scope, status="submitted",
                                           limit=WAITING_SHOWN)
    results = await result_records(req.session, scope=scope, status="reported",
                                   limit=WAITING_SHOWN)
    names = await studio_names(req.session, sorted({r.studio_id for r in [*suggestions, *results]}))
    return context | {"waiting": wait, "pending_suggestions": suggestions,
                      "pending_results": results, "studio_names": names}
