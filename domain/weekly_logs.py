"""The rules of a weekly log: one per member and ISO week, at most MAX_CHARS characters,
last week's accepted (and marked late) until Monday noon, and every change kept as a version.

A save either creates the week's log or — when the member already has one — replaces it or
appends to it; which of the two is the member's choice, asked by the caller. The SQL is in
storage.queries.weekly_logs; the words are the caller's (errors carry codes and facts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal

from domain import DomainError, TooLong, check_hours
from storage.calendar import iso_week, previous_week, week_monday
from storage.queries import weekly_logs as queries
from storage.queries.sender import MemberView
from storage.queries.weekly_logs import LogView, Picture
from storage.session import Session

MAX_CHARS = 2000  # the most characters a log may have
MAX_HOURS = 168.0  # a week's log covers seven days at most
LAST_WEEK_DEADLINE = time(12, 0)  # last week's log is accepted until this time on Monday
STREAK_WEEKS = 60  # how far back a streak of weekly logs is counted

Action = Literal["create", "replace", "append"]
ACTIONS: tuple[Action, ...] = ("create", "replace", "append")
# What joins the parts of a log sent in several messages, and an appended text to the old.
PART_SEPARATOR = "\n"


class PartTooLong(TooLong):
    """One more part would take the draft past MAX_CHARS. Facts: ``limit``, ``chars`` (the
    draft so far)."""

    code = "part_too_long"


class LastWeekClosed(DomainError):
    """Last week's log came after Monday's deadline. Facts: ``deadline`` (a time of day)."""

    code = "last_week_closed"


@dataclass(frozen=True)
class SavedLog:
    """The week's log after a save, and what the save did."""

    id: int
    week: str
    content: str
    hours: float | None
    late: bool
    version: int
    submitted_at: datetime
    action: Action  # "create" whenever the save made the week's first log
    pictures: int  # pictures attached by this save
    hours_kept: bool = False  # a replacement without hours kept the old log's

    @property
    def chars(self) -> int:
        return len(self.content)


def this_week(local_now: datetime) -> str:
    """The ISO week a log sent now belongs to (`local_now` in the union's time zone)."""
    return iso_week(local_now.date())


def last_week(local_now: datetime) -> str:
    """The week 上周周报 fills in now; LastWeekClosed from Monday's deadline on."""
    week = this_week(local_now)
    deadline = datetime.combine(week_monday(week), LAST_WEEK_DEADLINE, local_now.tzinfo)
    if local_now >= deadline:
        raise LastWeekClosed(deadline=LAST_WEEK_DEADLINE)
    return previous_week(week)


def joined(parts: Sequence[str]) -> str:
    """The text of a log sent in parts."""
    return PART_SEPARATOR.join(parts)


def check_content(content: str) -> None:
    """TooLong when a log's text is over MAX_CHARS."""
    if len(content) > MAX_CHARS:
        raise TooLong(limit=MAX_CHARS, chars=len(content))


def check_part(parts: Sequence[str], part: str) -> None:
    """PartTooLong when `part` would take the draft of `parts` over MAX_CHARS (counting the
    separator before it, as the joined text will have)."""
    chars = len(joined(parts))
    if chars + len(PART_SEPARATOR) + len(part) > MAX_CHARS:
        raise PartTooLong(limit=MAX_CHARS, chars=chars)


async def log_for_week(session: Session, member_id: int, week: str) -> LogView | None:
    """The member's log of `week`, if any (what a new text would replace or append to)."""
    return await queries.log_for_week(session, member_id, week)


async def save_log(
    session: Session,
    *,
    member: MemberView,
    week: str,
    content: str,
    hours: float | None,
    late: bool,
    action: Action,
    now: datetime,
    pictures: Sequence[Picture] = (),
) -> SavedLog:
    """Create the week's log, or replace or append to it; each outcome becomes a version.

    Without a log for the week every action creates one. Replacing keeps the first
    submission time, and the old hours when the new text gives none (a corrected text is
    not a week without work; the caller says so); appending adds the new text after the
    old and the hours together (a missing figure counts as none). A log once late stays
    late (a week's first log is save_first_log's, in one statement). TooLong for a new
    text over MAX_CHARS (an appended whole may be longer: each part was within the
    limit); HoursOutOfRange when the log's hours would not be in (0, MAX_HOURS] —
    appended hours included.
    """
    check_content(content)
    check_hours(hours, MAX_HOURS)
    old = await queries.log_for_week(session, member.id, week)
    kept = False
    if old is None:
        action = "create"
        log = await queries.insert_log(session, member_id=member.id, studio_id=member.studio_id,
                                       week=week, content=content, hours=hours, late=late,
                                       action=action, now=now)
    else:
        if action == "append":
            content = old.content + PART_SEPARATOR + content
            if hours is not None or old.hours is not None:
                hours = (old.hours or 0.0) + (hours or 0.0)
                check_hours(hours, MAX_HOURS)
        elif hours is None and old.hours is not None:
            hours, kept = old.hours, True
        log = LogView(old.id, content, hours, old.late or late, old.version + 1, old.submitted_at)
        await queries.update_log(session, log, now=now)
        await queries.add_version(session, log, action=action, now=now)
    return await _with_pictures(session, log, week, action, pictures, now, hours_kept=kept)


async def save_first_log(
    session: Session,
    *,
    member: MemberView,
    week: str,
    content: str,
    hours: float | None,
    late: bool,
    now: datetime,
    pictures: Sequence[Picture] = (),
) -> SavedLog | None:
    """The week's first log, unless the week has one: then None and nothing is saved (the
    caller asks whether to replace, append or keep). One statement on PostgreSQL's lean path
    for what is otherwise a look and a save. TooLong, HoursOutOfRange as save_log."""
    check_content(content)
    check_hours(hours, MAX_HOURS)
    log = await queries.insert_first_log(session, member_id=member.id,
                                         studio_id=member.studio_id, week=week,
                                         content=content, hours=hours, late=late,
                                         action="create", now=now)
    if log is None:
        return None
    return await _with_pictures(session, log, week, "create", pictures, now)


async def _with_pictures(session: Session, log: LogView, week: str, action: Action,
                         pictures: Sequence[Picture], now: datetime, *,
                         hours_kept: bool = False) -> SavedLog:
    """Attach the save's pictures to the log and say what the save did."""
    await queries.add_pictures(session, log.id, pictures, now=now)
    return SavedLog(log.id, week, log.content, log.hours, log.late, log.version, log.submitted_at,
                    action, len(pictures), hours_kept=hours_kept)


def streak(weeks: set[str], this_week: str) -> int:
    """Consecutive weeks with a log, up to this week (or last week while this one is open)."""
    week = this_week if this_week in weeks else previous_week(this_week)
    count = 0
    while week in weeks:
        count += 1
        week = previous_week(week)
    return count


def weeks_back(this_week: str, n: int) -> str:
    """The ISO week `n` weeks before `this_week`."""
    return iso_week(week_monday(this_week) - timedelta(weeks=n))


async def current_streak(session: Session, member_id: int, this_week: str) -> int:
    """The member's streak of weekly logs (looking back STREAK_WEEKS weeks at most)."""
    logged = await queries.weeks_logged(session, member_id, weeks_back(this_week, STREAK_WEEKS))
    return streak(logged, this_week)
