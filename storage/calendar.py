"""ISO weeks and months in the union's time zone: the periods records belong to."""

from __future__ import annotations

import re
from datetime import date, timedelta

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(week: str) -> date:
    found = _WEEK.match(week)
    if found is None:
        raise ValueError(f"not an ISO week: {week!r} (expected YYYY-Www)")
    return date.fromisocalendar(int(found.group(1)), int(found.group(2)), 1)


def previous_week(week: str) -> str:
    return iso_week(week_monday(week) - timedelta(days=7))


def month_bounds(month: str) -> tuple[date, date]:
    """First day of the month and first day of the next."""
    found = _MONTH.match(month)
    if found is None:
        raise ValueError(f"not a month: {month!r} (expected YYYY-MM)")
    first = date(int(found.group(1)), int(found.group(2)), 1)
    after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, after


def weeks_of_month(month: str) -> list[str]:
    """The ISO weeks whose Thursday falls in the month (the ISO rule for weeks that span two)."""
    first, after = month_bounds(month)
    thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    weeks = []
    while thursday < after:
        weeks.append(iso_week(thursday))
        thursday += timedelta(days=7)
    return weeks


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
