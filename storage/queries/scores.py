"""Each month's indicator scores as recorded when the month was summed up: the studios'
and the union's median, read back by the report pages' 12-month lines."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, delete, select

from storage.db import insert_ignoring_duplicates
from storage.indicators import Rating
from storage.models import StudioScore, UnionScore
from storage.session import Session

_STUDIO_SCORE = cast(Table, StudioScore.__table__)
_UNION_SCORE = cast(Table, UnionScore.__table__)


async def record_scores(session: Session, month: str, rated: Sequence[Rating],
                        now: datetime) -> None:
    """Record the month's ratings (replacing any recorded before: a job run again, a late
    record counted) and their median. Two runs at once (the scheduler and `jobs run`)
    record the same figures: the second one's rows are skipped, not an error."""
    conn = await session.connection()
    await conn.execute(delete(StudioScore).where(StudioScore.month == month))
    await conn.execute(delete(UnionScore).where(UnionScore.month == month))
    if not rated:
        return
    rows = [{"studio_id": r.studio_id, "month": month, "score": r.score, "stars": r.stars,
             "recorded_at": now} for r in rated]
    studios = insert_ignoring_duplicates(_STUDIO_SCORE, conn.dialect.name, ("studio_id", "month"))
    for start in range(0, len(rows), 1000):  # within every driver's parameter limit
        await conn.execute(studios, rows[start:start + 1000])
    await conn.execute(insert_ignoring_duplicates(_UNION_SCORE, conn.dialect.name, ("month",)), [{
        "month": month, "median": round(statistics.median(r.score for r in rated), 1),
        "rated": len(rated), "recorded_at": now}])


async def studio_scores(session: Session, studio_id: int, months: Sequence[str]
                        ) -> dict[str, float]:
    """The studio's recorded score for each of `months` that has one."""
    rows = await session.execute(
        select(StudioScore.month, StudioScore.score)
        .where(StudioScore.studio_id == studio_id, StudioScore.month.in_(list(months))))
    return {month: float(score) for month, score in rows.all()}


async def union_medians(session: Session, months: Sequence[str]) -> dict[str, float]:
    """The union's recorded median score for each of `months` that has one."""
    rows = await session.execute(
        select(UnionScore.month, UnionScore.median).where(UnionScore.month.in_(list(months))))
    return {month: float(median) for month, median in rows.all()}


async def recorded_months(session: Session) -> list[str]:
    rows = await session.scalars(select(UnionScore.month).order_by(UnionScore.month))
    return list(rows)
