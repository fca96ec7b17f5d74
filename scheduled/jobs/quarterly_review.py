"""quarterly-review: each admin gets the studios' indicator scores, stars and who is at risk.

The score (0–100) is the one 排名 shows, over the quarter's three months; its indicators
and their configurable weights are described in storage/indicators.py. Stars: ≥ 85 three,
≥ 70 two, ≥ 60 one; below 60 the studio is at risk.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, tzinfo

from domain.report_links import LinkBook
from locales import Words, formats
from scheduled.jobs.common import Fields, Links, Messages, Shared, linked, queue_run
from scheduled.jobs.report import JobReport
from storage.calendar import month_bounds, weeks_of_month
from storage.db import Database
from storage.indicators import AT_RISK, DEFAULT_WEIGHTS, Rating, ratings, stars
from storage.models import PAGE_UNION
from storage.queries.indicators import studio_figures
from storage.queries.jobs import admin_ids, reachable_members
from storage.session import Session

NAME = "quarterly-review"
SHOWN = 20  # studios at risk named
BEST = 5  # studios named at the top
STAR = "★"

__all__ = ["quarter_of", "quarterly_review", "stars"]


def quarter_of(day: date) -> tuple[str, list[str]]:
    """The quarter before the one `day` is in: its label and its months."""
    q = (day.month - 1) // 3
    year, q = (day.year - 1, 4) if q == 0 else (day.year, q)
    first = 3 * (q - 1) + 1
    return f"{year}-Q{q}", [f"{year}-{m:02d}" for m in range(first, first + 3)]


def _review(words: Words, quarter: str, scored: list[Rating],
            weights: Mapping[str, float]) -> str:
    counts = [sum(1 for r in scored if r.stars == n) for n in (3, 2, 1, 0)]
    risky = [words("push.quarterly_review.risk_line", studio=r.studio, score=r.score)
             for r in reversed(scored) if r.score < AT_RISK][:SHOWN]
    # A studio with no points is not among the best, however few studios there are.
    best = "\n".join(
        words("push.quarterly_review.best_line", i=i, studio=r.studio, score=r.score,
              stars=STAR * r.stars or words("push.quarterly_review.no_star"))
        for i, r in enumerate([r for r in scored[:BEST] if r.score > 0], 1))
    risk = (words("push.quarterly_review.risk", at_risk=AT_RISK, names="\n".join(risky))
            if risky else words("push.quarterly_review.no_risk", at_risk=AT_RISK))
    return words("push.quarterly_review.text", quarter=quarter, n=len(scored), s3=counts[0],
                 s2=counts[1], s1=counts[2], s0=counts[3], risk=risk,
                 best=best or words("push.quarterly_review.none"),
                 weights=formats.describe_weights(words, weights))


async def quarterly_review(db: Database, now: datetime, tz: tzinfo,
                           weights: Mapping[str, float] = DEFAULT_WEIGHTS, *,
                           links: LinkBook | None = None) -> JobReport:
    """With `links`, each admin's review links the union's page for the quarter's last month."""
    quarter, months = quarter_of(now.astimezone(tz).date())
    handed = Links(links, now, NAME) if links is not None else None

    async def messages(session: Session, report: JobReport) -> Messages:
        weeks = [w for m in months for w in weeks_of_month(m)]
        start, end = month_bounds(months[0])[0], month_bounds(months[-1])[1]
        scored = ratings((await studio_figures(session, weeks, start, end, tz)).values(),
                         weights, len(weeks), months=3)
        admins = await reachable_members(session, set(await admin_ids(session)))
        # Every admin gets the same review: written once per language.
        review = Shared(lambda w: _review(w, quarter, scored, weights))
        fields = Fields(lambda w: {"thing1": w("push.quarterly_review.thing1", quarter=quarter),
                                   "time2": start.isoformat()})
        return {mid: (linked(handed, mid, PAGE_UNION, months[-1], review(choice), choice),
                      fields(choice)) for mid, choice in admins.items()}

    return await queue_run(db, NAME, quarter, now, messages, handed)
