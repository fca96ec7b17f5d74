"""The rules of mentorship check-ins (师徒打卡): who may record one, who may confirm it, and
who is told.

- Either side of an active pair may record a check-in. The mentor's own is confirmed by
  writing it (the mentor is the one who would confirm); the apprentice's waits for the
  mentor. Either way the partner is told.
- Only that pair's mentor may confirm, once; the apprentice is told.

Words are the caller's: a push is written by a ``word(choice, view)`` callback given the
recipient's language choice (their own, else the union's; None means zh-CN), because a
push is read by its recipient, not by whoever caused it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from domain import NotFound, TooLong, WrongState, check_hours
from storage.queries.members import languages_of
from storage.queries.mentorship import (
    CHECKIN_CONFIRMED_KIND,
    CHECKIN_NOTICE_KIND,
    PendingCheckIn,
    add_checkin,
    checkin_period,
    checkin_view,
    mark_confirmed,
    pair_row,
    pending_for_mentor,
)
from storage.queries.outbox import enqueue
from storage.session import Session

MAX_CHARS = 1000  # what a check-in may say
MAX_COMMENT = 500  # a mentor's comment on confirming; longer is cut, not refused
MAX_HOURS = 24.0  # a check-in is one sitting: a day at most


class AlreadyConfirmed(WrongState):
    """The check-in was confirmed before: confirming again changes nothing."""

    code = "already_confirmed"


@dataclass(frozen=True)
class CheckInRecorded:
    checkin_id: int
    by_mentor: bool  # the mentor wrote it (and so it is confirmed)
    author_name: str
    partner_id: int  # the other side of the pair: who is told
    partner_name: str
    day: date
    content: str
    hours: float | None


@dataclass(frozen=True)
class CheckInConfirmed:
    checkin_id: int
    mentor_name: str
    apprentice_id: int  # who is told
    apprentice_name: str
    comment: str | None


# The push to the partner / the apprentice, in the recipient's language choice.
RecordedWording = Callable[[str | None, CheckInRecorded], str]
ConfirmedWording = Callable[[str | None, CheckInConfirmed], str]


async def record_checkin(
    session: Session, *, pair_id: int, author_id: int, day: date, content: str,
    hours: float | None, now: datetime, word: RecordedWording,
) -> CheckInRecorded:
    """Record a check-in of `author_id` in the pair and queue the partner's notice.

    Raises NotFound when the pair is not the author's or has ended (the pair was chosen
    at the start of a dialog; it may have ended since), TooLong for the content,
    HoursOutOfRange for hours not in (0, MAX_HOURS]."""
    if len(content) > MAX_CHARS:
        raise TooLong(limit=MAX_CHARS, chars=len(content))
    check_hours(hours, MAX_HOURS)
    pair = await pair_row(session, pair_id)
    if pair is None or not pair.active or author_id not in (pair.mentor_id, pair.apprentice_id):
        raise NotFound(pair_id=pair_id)
    by_mentor = author_id == pair.mentor_id
    checkin_id = await add_checkin(session, pair_id=pair_id, author_id=author_id, day=day,
                                   content=content, hours=hours, now=now, confirmed=by_mentor)
    recorded = CheckInRecorded(
        checkin_id=checkin_id, by_mentor=by_mentor,
        author_name=pair.mentor_name if by_mentor else pair.apprentice_name,
        partner_id=pair.apprentice_id if by_mentor else pair.mentor_id,
        partner_name=pair.apprentice_name if by_mentor else pair.mentor_name,
        day=day, content=content, hours=hours)
    await _tell(session, CHECKIN_NOTICE_KIND, checkin_period(checkin_id), recorded.partner_id,
                lambda choice: word(choice, recorded), now)
    return recorded


async def confirm_checkin(
    session: Session, *, checkin_id: int, mentor_id: int, comment: str, now: datetime,
    word: ConfirmedWording,
) -> CheckInConfirmed:
    """The mentor confirms a check-in of their pair, with an optional comment, and the
    apprentice is told.

    Raises NotFound unless `mentor_id` is that pair's mentor — anyone else's check-in,
    another studio's included, looks exactly like a missing one — and AlreadyConfirmed
    when it was confirmed before (nothing changes then)."""
    view = await checkin_view(session, checkin_id)
    if view is None or view.mentor_id != mentor_id:
        raise NotFound(checkin_id=checkin_id)
    if view.confirmed_at is not None:
        raise AlreadyConfirmed(checkin_id=checkin_id)
    said = comment.strip()[:MAX_COMMENT] or None
    if not await mark_confirmed(session, checkin_id, now=now, comment=said):
        # Confirmed in between by a concurrent message of the same mentor.
        raise AlreadyConfirmed(checkin_id=checkin_id)
    confirmed = CheckInConfirmed(checkin_id=checkin_id, mentor_name=view.mentor_name,
                                 apprentice_id=view.apprentice_id,
                                 apprentice_name=view.apprentice_name, comment=said)
    await _tell(session, CHECKIN_CONFIRMED_KIND, checkin_period(checkin_id), view.apprentice_id,
                lambda choice: word(choice, confirmed), now)
    return confirmed


@dataclass(frozen=True)
class ConfirmedMany:
    """What confirming several check-ins did, number by number."""

    confirmed: list[CheckInConfirmed]
    not_found: list[int]  # missing, or not a check-in of this mentor's pairs
    already: list[int]  # confirmed before


async def confirm_checkins(
    session: Session, *, checkin_ids: Sequence[int] | None, mentor_id: int, comment: str,
    now: datetime, word: ConfirmedWording,
) -> ConfirmedMany:
    """confirm_checkin for each of `checkin_ids` (None: every one still waiting for this
    mentor), with the same comment; one number that cannot be confirmed does not stop the
    others. Each apprentice is told once per check-in, as when confirming one."""
    if checkin_ids is None:
        pending, _total = await pending_for_mentor(session, mentor_id)
        checkin_ids = [p.checkin_id for p in pending]
    done = ConfirmedMany([], [], [])
    for checkin_id in checkin_ids:
        try:
            done.confirmed.append(await confirm_checkin(
                session, checkin_id=checkin_id, mentor_id=mentor_id, comment=comment, now=now,
                word=word))
        except NotFound:
            done.not_found.append(checkin_id)
        except AlreadyConfirmed:
            done.already.append(checkin_id)
    return done


async def pending_checkins(session: Session, mentor_id: int,
                           limit: int) -> tuple[list[PendingCheckIn], int]:
    """What waits for this mentor's confirmation, oldest first (at most `limit`), and how
    many in all."""
    return await pending_for_mentor(session, mentor_id, limit=limit)


async def _tell(session: Session, kind: str, period: str, recipient_id: int,
                word: Callable[[str | None], str], now: datetime) -> None:
    """Queue one push, written in the recipient's language choice."""
    choice = (await languages_of(session, [recipient_id])).get(recipient_id)
    await enqueue(session, kind=kind, period=period, recipient_id=recipient_id,
                  text=word(choice), now=now)
