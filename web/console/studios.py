"""工作室: the studios listed (searchable, sortable, paged), and one studio in full."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import timedelta

from aiohttp import web

from domain.proposals import DECISIONS, RESULT, SUGGESTION
from domain.stats import month_figures
from locales.formats import month_label, week_span
from storage.calendar import iso_week, month_bounds, week_monday
from storage.indicators import AT_RISK, stars
from storage.queries.mentorship import checkins_between
from storage.queries.notices import recent_notices
from storage.queries.studio_pages import (
    leader_names,
    result_records,
    studio_heads,
    studio_members,
    studio_pairs,
    studio_topics,
    studio_week_logs,
    suggestion_records,
)
from web.console.overview import figure_cards, latest_month, month_asked, number
from web.console.rating import standing_section
from web.console.registry import CONSOLE, Context, Req

PAGE_SIZE = 50
SORTS = ("score", "stars", "rate", "name")
LISTED = 50  # suggestions, results of a studio shown
NOTICES = 10


@dataclass(frozen=True)
class StudioLine:
    id: int
    name: str
    leaders: tuple[str, ...]
    stars: int  # on record (the union's rating)
    members: int
    bound: int
    score: float | None  # the month's, None for a studio nobody belongs to
    earned: int  # the stars the month's score earns
    rate: float | None  # weekly logs submitted / expected
    at_risk: bool


@CONSOLE.page("/studios", name="studios", template="console/studios.html",
              nav="console.nav.studios", order=20)
async def studios(req: Req) -> Context | web.StreamResponse:
    if req.viewer.scope is not None:  # a leader has one studio: its page
        return req.redirect(req.url("studio", id=req.viewer.scope))
    month = month_asked(req)
    search = req.arg("q")[:100]
    sort = req.arg("sort") if req.arg("sort") in SORTS else "score"
    order = req.arg("order") if req.arg("order") in ("asc", "desc") else _default_order(sort)
    risk_only = req.arg("risk") == "1"
    figures = await month_figures(req.session, month, req.today, req.settings.tz)
    weights, weeks = req.settings.rank_weights, len(figures.weeks)
    lines = []
    for head in await studio_heads(req.session, scope=None, search=search, leaders=False):
        f = figures.by_studio.get(head.id)
        score = f.score(weights, weeks) if f is not None and f.members else None
        rate = f.log_rate(weeks) if f is not None and f.writers else None
        lines.append(StudioLine(
            id=head.id, name=head.name, leaders=head.leaders, stars=head.stars,
            members=f.members if f else 0, bound=f.bound if f else 0, score=score,
            earned=stars(score) if score is not None else 0, rate=rate,
            at_risk=score is not None and score < AT_RISK))
    if risk_only:
        lines = [line for line in lines if line.at_risk]
    lines = _sorted(lines, sort, descending=order == "desc")
    pages = max(1, math.ceil(len(lines) / PAGE_SIZE))
    page = min(max(1, req.int_arg("page") or 1), pages)
    query = {"q": search, "sort": sort, "order": order, "risk": "1" if risk_only else "",
             "month": month}
    shown = lines[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    # Leaders' names for the page shown only.
    leaders = await leader_names(req.session, [line.id for line in shown])
    shown = [replace(line, leaders=tuple(leaders.get(line.id, ()))) for line in shown]
    return {"lines": shown, "total": len(lines),
            "page": page, "pages": pages, "sort": sort, "order": order, "search": search,
            "risk_only": risk_only, "month": month, "month_label": month_label(req.words, month),
            "weeks": week_span(req.words, figures.weeks), "sorts": SORTS,
            "page_url": lambda n: req.url("studios", {**query, "page": n}),
            "sort_url": lambda by: req.url("studios", {
                **query, "sort": by,
                "order": ("asc" if order == "desc" else "desc") if by == sort
                else _default_order(by)})}


def _default_order(sort: str) -> str:
    return "asc" if sort == "name" else "desc"


def _sorted(lines: list[StudioLine], sort: str, *, descending: bool) -> list[StudioLine]:
    """By the figure asked for (ties by name); studios without it (nobody in them, nobody
    owing a log) last, whichever the order."""
    def value(line: StudioLine) -> float | str | None:
        return {"score": line.score, "stars": line.stars, "rate": line.rate,
                "name": line.name}[sort]

    have = sorted((line for line in lines if value(line) is not None), key=lambda x: x.name)
    have.sort(key=value, reverse=descending)  # type: ignore[arg-type]
    return have + sorted((line for line in lines if value(line) is None), key=lambda x: x.name)


def week_asked(req: Req) -> str:
    """?week=YYYY-Www up to this week; this week otherwise."""
    this = iso_week(req.today)
    typed = req.arg("week")
    try:
        monday = week_monday(typed)
    except ValueError:
        return this
    return typed if monday <= week_monday(this) and monday.year >= 2000 else this


@CONSOLE.page("/studios/{id}", name="studio", template="console/studio.html",
              section="studios")
async def studio(req: Req) -> Context:
    studio_id = req.path_id()
    scope = req.viewer.scope
    # Narrowed to the viewer's scope: another studio's page does not exist for a leader.
    found = await studio_heads(req.session, scope=scope, studio_id=studio_id)
    if not found:
        raise req.not_found()
    head = found[0]
    month = month_asked(req)
    week = week_asked(req)
    start, end = month_bounds(month)
    figures = await month_figures(req.session, month, req.today, req.settings.tz,
                                  studio_id=studio_id)
    mine = figures.by_studio[studio_id]
    points = figures.score(studio_id, req.settings.rank_weights) if mine.members else None
    monday = week_monday(week)
    this_week = iso_week(req.today)
    return {
        "studio": head, "month": month, "month_label": month_label(req.words, month),
        "cards": figure_cards(req.words, mine, figures.weeks, None),
        "score": None if points is None else number(points),
        "stars": stars(points) if points is not None else 0,
        "at_risk": points is not None and points < AT_RISK,
        "previous_month": f"{(start - timedelta(days=1)):%Y-%m}",
        "next_month": f"{end:%Y-%m}" if f"{end:%Y-%m}" <= latest_month(req.today) else None,
        "members": await studio_members(req.session, studio_id),
        "pairs": await studio_pairs(req.session, studio_id, start, end),
        "topics": await studio_topics(req.session, studio_id),
        "week": week, "week_label": week_span(req.words, [week]),
        "previous_week": iso_week(monday - timedelta(days=7)),
        "next_week": iso_week(monday + timedelta(days=7)) if week != this_week else None,
        "logs": await studio_week_logs(req.session, studio_id, week),
        "checkins": await checkins_between(req.session, start, end, studio_id),
        "suggestions": await suggestion_records(req.session, scope=scope, studio_id=studio_id,
                                                limit=LISTED),
        "results": await result_records(req.session, scope=scope, studio_id=studio_id,
                                        limit=LISTED),
        "notices": await recent_notices(req.session, studio_id, limit=NOTICES),
        "rating": await standing_section(req, studio_id),  # the star rating's gap list
        "done": req.arg("done"),
        # The decisions each record's status allows (domain.proposals decides; the buttons
        # only offer what it would accept).
        "suggestion_decisions": [d for d in DECISIONS if d.subject == SUGGESTION],
        "result_decisions": [d for d in DECISIONS if d.subject == RESULT],
    }
