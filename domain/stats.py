"""A month's figures: what 统计 and 排名 answer in the chat and the console's 总览 and studio
list show, computed one way for all of them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, tzinfo

from storage.calendar import counted_weeks, month_bounds
from storage.indicators import Rating, StudioFigures, combined, ratings
from storage.queries.indicators import studio_figures
from storage.session import Session


@dataclass(frozen=True)
class MonthFigures:
    """Per-studio figures for a month as seen on a day (the weeks counted so far)."""

    month: str  # YYYY-MM
    weeks: list[str]  # the ISO weeks whose logs count (storage.calendar.counted_weeks)
    by_studio: dict[int, StudioFigures]

    @property
    def staffed(self) -> list[StudioFigures]:
        """The studios with members: the ones counted and rated."""
        return [f for f in self.by_studio.values() if f.members]

    def union(self, name: str) -> StudioFigures:
        """Every staffed studio's figures added up: the union's month (统计 for an admin)."""
        return combined(self.staffed, name)

    def score(self, studio_id: int, weights: Mapping[str, float]) -> float:
        return self.by_studio[studio_id].score(weights, len(self.weeks))

    def ratings(self, weights: Mapping[str, float]) -> list[Rating]:
        """The staffed studios rated, best first (排名)."""
        return ratings(self.by_studio.values(), weights, len(self.weeks))


async def month_figures(session: Session, month: str, today: date, tz: tzinfo,
                        studio_id: int | None = None) -> MonthFigures:
    """The figures of `month` (YYYY-MM) on `today`, for every studio or just `studio_id`."""
    weeks = counted_weeks(month, today)
    start, end = month_bounds(month)
    return MonthFigures(month, weeks, await studio_figures(session, weeks, start, end, tz,
                                                           studio_id=studio_id))
