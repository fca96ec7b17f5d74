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


def month_of_week(week: str) -> str:
    """The month a week's logs count in: the one that holds its Thursday."""
    thursday = week_monday(week) + timedelta(days=3)
    return f"{thursday.year}-{thursday.month:02d}"


def counted_weeks(month: str, today: date) -> list[str]:
    """The weeks a month's figures count logs for, seen on `today`: the month's weeks that
    have begun, and while the month is this one, this week too even when its Thursday falls
    in the next month — so that on 30 November this week's logs are in November's 统计 as
    they are in 本周 (they count for December too, once December is asked for)."""
    first, _after = month_bounds(month)
    begun = [w for w in weeks_of_month(month) if week_monday(w) <= today]
    this = iso_week(today)
    # Only a week that began in this month: on 1 November, this week began in October and
    # is October's (its Thursday is there), not November's.
    if (today.year, today.month) == (first.year, first.month) and this not in begun \
            and week_monday(this) >= first:
        begun.append(this)
    return begun


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def weeks_between(start: date, end: date, today: date) -> list[str]:
    """The ISO weeks a period of days [start, end) counts logs for, seen on `today`: those
    whose Thursday falls in it (the ISO rule, as for months) and that have begun."""
    thursday = start + timedelta(days=(3 - start.weekday()) % 7)
    weeks = []
    while thursday < end and thursday - timedelta(days=3) <= today:
        weeks.append(iso_week(thursday))
        thursday += timedelta(days=7)
    return weeks
