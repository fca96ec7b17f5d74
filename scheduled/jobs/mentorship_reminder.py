"""mentorship-reminder: both sides of a pair with no check-in for 14 days hear about it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from functools import partial

from domain.report_links import LinkBook
from locales import Words, compose, formats
from scheduled.jobs.common import Fields, Messages, queue_run
from scheduled.jobs.report import JobReport
from storage.calendar import iso_week
from storage.db import Database
from storage.indicators import DEFAULT_WEIGHTS
from storage.queries.jobs import reachable_members, stale_pairs
from storage.queries.outbox import PAIR_QUIET
from storage.session import Session

NAME = "mentorship-reminder"
QUIET_DAYS = PAIR_QUIET.days


@dataclass(frozen=True)
class _Quiet:
    """One quiet pair as one side sees it."""

    partner_role: str  # "mentor" or "apprentice": what the partner is to the recipient
    partner: str
    days: int  # since the last check-in, or since pairing when there was none
    last: date | None


def _line(words: Words, quiet: _Quiet) -> str:
    role = words(f"push.mentorship_reminder.role.{quiet.partner_role}")
    if quiet.last is None:
        return words("push.mentorship_reminder.line_never", role=role, partner=quiet.partner,
                     days=quiet.days)
    return words("push.mentorship_reminder.line_last", role=role, partner=quiet.partner,
                 days=quiet.days, last=formats.month_day(words, quiet.last))


async def mentorship_reminder(db: Database, now: datetime, tz: tzinfo,
                              weights: Mapping[str, float] = DEFAULT_WEIGHTS, *,
                              links: LinkBook | None = None) -> JobReport:
    del links  # a reminder asks for something to be done: it carries no report link
    today = now.astimezone(tz).date()
    week = iso_week(today)
    fields = Fields(lambda w: {"thing1": w("push.mentorship_reminder.thing1", days=QUIET_DAYS),
                               "time2": today.isoformat()})

    async def messages(session: Session, report: JobReport) -> Messages:
        pairs = await stale_pairs(session, today - timedelta(days=QUIET_DAYS))
        quiet: dict[int, list[_Quiet]] = defaultdict(list)
        names: dict[int, str] = {}
        for p in pairs:
            days = (today - p.since).days
            for me, my_name, role, partner in (
                    (p.mentor_id, p.mentor_name, "apprentice", p.apprentice_name),
                    (p.apprentice_id, p.apprentice_name, "mentor", p.mentor_name)):
                names[me] = my_name
                quiet[me].append(_Quiet(role, partner, days, p.last_checkin))
        reachable = await reachable_members(session, set(quiet))

        def text(words: Words, mid: int) -> str:
            lines = words("push.mentorship_reminder.separator").join(
                _line(words, q) for q in quiet[mid])
            return words("push.mentorship_reminder.text", name=names[mid], lines=lines)

        return {mid: (compose(choice, partial(text, mid=mid)), fields(choice))
                for mid, choice in sorted(reachable.items())}

    return await queue_run(db, NAME, week, now, messages)
