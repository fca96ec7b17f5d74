"""monthly-summary: each leader gets the studio's month; each admin the union's, ranked."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta, tzinfo
from functools import partial

from domain.report_links import LinkBook, studio_page
from locales import Words, formats
from scheduled.jobs.common import Fields, Links, Messages, Shared, linked, queue_run
from scheduled.jobs.report import JobReport
from storage.calendar import month_bounds, weeks_of_month
from storage.db import Database
from storage.indicators import DEFAULT_WEIGHTS, Rating, StudioFigures, combined, ratings
from storage.models import PAGE_UNION
from storage.queries.indicators import studio_figures
from storage.queries.jobs import StudioMonth, admin_ids, reachable_members, studio_months
from storage.queries.scores import record_scores
from storage.session import Session

NAME = "monthly-summary"
RANKED = 10  # studios named at the top and at the bottom of the admin's list
SAME = 0.5  # percentage points: a smaller change reads as "the same as last month"


def _month(words: Words, month: str) -> str:
    """The month's name without its year (「11月」 / "November")."""
    return words(f"format.month.{int(month[5:])}")


def _change(words: Words, now: float, before: float | None) -> str:
    if before is None:
        return words("push.monthly_summary.change.no_data")
    delta = (now - before) * 100
    if abs(delta) < SAME:
        return words("push.monthly_summary.change.same")
    return words("push.monthly_summary.change.up" if delta > 0
                 else "push.monthly_summary.change.down", points=formats.half_up(abs(delta)))


def previous_month(month: str) -> str:
    first, _ = month_bounds(month)
    last = first - timedelta(days=1)
    return f"{last.year}-{last.month:02d}"


async def monthly_summary(db: Database, now: datetime, tz: tzinfo,
                          weights: Mapping[str, float] = DEFAULT_WEIGHTS, *,
                          links: LinkBook | None = None) -> JobReport:
    """Runs on the 1st; the period is the month that just ended. Each push links its page
    (the studio's month, the union's) when `links` is given, and the month's scores are
    recorded (storage.queries.scores) for the report pages' 12-month lines."""
    today = now.astimezone(tz).date()
    month = previous_month(f"{today.year}-{today.month:02d}")
    before = previous_month(month)
    handed = Links(links, now, NAME) if links is not None else None
    rated: list[Rating] = []

    async def messages(session: Session, report: JobReport) -> Messages:
        weeks, weeks_before = weeks_of_month(month), weeks_of_month(before)
        start, end = month_bounds(month)
        this = await studio_months(session, weeks, start, end)
        figures = await studio_figures(session, weeks, start, end, tz)
        rated.extend(ratings(figures.values(), weights, len(weeks)))
        prior = await studio_months(session, weeks_before, *month_bounds(before))
        leaders = {lid for s in this.values() for lid in s.leaders}
        admins = set(await admin_ids(session))
        reachable = await reachable_members(session, leaders | admins)
        out: Messages = {}
        for s in this.values():
            mine = [lid for lid in s.leaders if lid in reachable]
            if not mine:
                continue
            had = prior.get(s.studio_id)
            before_rate = had.rate(len(weeks_before)) if had and had.logs else None
            # The studio's leaders share its month: written once per language.
            text = Shared(partial(_studio_text, month=month, studio=s, f=figures[s.studio_id],
                                  weights=weights, weeks=len(weeks), before=before_rate))
            fields = Fields(partial(_studio_fields, month=month, studio=s.studio, first=start))
            for leader in mine:
                choice = reachable[leader]
                out[leader] = (linked(handed, leader, studio_page(s.studio_id), month,
                                      text(choice), choice), fields(choice))
        # Every admin gets the same union month: written once per language.
        union = Shared(lambda w: _union_text(w, month, this, prior, figures, weights,
                                             len(weeks), len(weeks_before)))
        union_fields = Fields(lambda w: {
            "thing1": w("push.monthly_summary.thing1_union", month=_month(w, month)),
            "time2": start.isoformat()})
        for admin in sorted(admins & set(reachable)):
            choice = reachable[admin]
            out[admin] = (linked(handed, admin, PAGE_UNION, month, union(choice), choice),
                          union_fields(choice))
        return out

    report = await queue_run(db, NAME, month, now, messages, handed)
    async with db.transaction() as session:
        await record_scores(session, month, rated, now)
    return report


def _studio_fields(words: Words, month: str, studio: str, first: date) -> dict[str, str]:
    return {"thing1": words("push.monthly_summary.thing1_studio", month=_month(words, month),
                            studio=studio),
            "time2": first.isoformat()}


def _studio_text(words: Words, month: str, studio: StudioMonth, f: StudioFigures,
                 weights: Mapping[str, float], weeks: int, before: float | None) -> str:
    top = formats.join(words, [words("push.monthly_summary.top_entry", name=name, n=n)
                               for name, n in studio.top])
    return words(
        "push.monthly_summary.studio", month=_month(words, month), studio=studio.studio,
        logs=studio.logs, expected=studio.expected(weeks),
        rate=formats.percent(words, studio.rate(weeks)),
        change=_change(words, studio.rate(weeks), before),
        hours=formats.hours(words, round(studio.hours, 1)), checkins=studio.checkins,
        confirmed=studio.confirmed, progressed=f.topics_progressed, active=f.topics_active,
        results=f.results, verified=f.results_verified, benefit=round(f.benefit_verified, 2),
        suggestions=f.suggestions, score=f.score(weights, weeks),
        top=top or words("push.monthly_summary.top_none"))


def _union_text(words: Words, month: str, this: dict[int, StudioMonth],
                prior: dict[int, StudioMonth], figures: dict[int, StudioFigures],
                weights: Mapping[str, float], weeks: int, weeks_before: int) -> str:
    studios = [s for s in this.values() if s.writers]
    expected = sum(s.expected(weeks) for s in studios)
    rate = sum(s.logs for s in studios) / expected if expected else 0.0
    before_expected = sum(s.expected(weeks_before) for s in prior.values() if s.writers)
    before_logs = sum(s.logs for s in prior.values())
    before = before_logs / before_expected if before_expected and before_logs else None
    staffed = [figures[s.studio_id] for s in studios]
    total = combined(staffed, "")
    ranked = sorted(((f.score(weights, weeks), f) for f in staffed),
                    key=lambda pair: (-pair[0], pair[1].studio))
    # A studio with no points is not among the best, however few studios there are.
    top = [(points, f) for points, f in ranked[:RANKED] if points > 0]
    best = "\n".join(words("push.monthly_summary.best_line", i=i, studio=f.studio, score=points,
                           rate=formats.percent(words, f.log_rate(weeks)))
                     for i, (points, f) in enumerate(top, 1))
    text = words("push.monthly_summary.union", month=_month(words, month), n=len(studios),
                 rate=formats.percent(words, rate), change=_change(words, rate, before),
                 results=total.results, verified=total.results_verified,
                 benefit=round(total.benefit_verified, 2), suggestions=total.suggestions,
                 best=best or words("push.monthly_summary.best_none"))
    # The lowest of those not named as the best (at most RANKED of them) need attention.
    rest = ranked[len(top):]
    if rest:
        text += words("push.monthly_summary.worst", worst="\n".join(
            words("push.monthly_summary.worst_line", studio=f.studio, score=points)
            for points, f in rest[-RANKED:]))
    return text
