"""One record in full (a suggestion, a result, a check-in) with the facts that decide who
may read it, and a studio's members by name; the deciding is domain.records'."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased

from storage.driver import fetch_all, raw_postgres
from storage.models import (
    Achievement,
    CheckIn,
    Member,
    MentorshipPair,
    Suggestion,
)
from storage.session import Session


@dataclass(frozen=True)
class ProposalRecord:
    """A suggestion or a result as its page shows it."""

    id: int
    studio_id: int
    author_id: int
    author_name: str
    created_at: datetime
    text: str  # a suggestion's content, a result's title
    status: str
    note: str | None  # the leader's reply or note
    decided_by: str | None
    decided_at: datetime | None
    type: str | None = None  # results only
    benefit: float | None = None  # 万元, results only
    promoted: bool = False


async def suggestion_record(session: Session, suggestion_id: int) -> ProposalRecord | None:
    author, leader = aliased(Member), aliased(Member)
    row = (await session.execute(
        select(Suggestion.id, Suggestion.studio_id, author.id, author.name, Suggestion.created_at,
               Suggestion.content, Suggestion.status, Suggestion.reply, leader.name,
               Suggestion.decided_at)
        .join(author, author.id == Suggestion.member_id)
        .outerjoin(leader, leader.id == Suggestion.decided_by_id)
        .where(Suggestion.id == suggestion_id))).first()
    return None if row is None else ProposalRecord(*row)


async def result_record(session: Session, result_id: int) -> ProposalRecord | None:
    author, leader = aliased(Member), aliased(Member)
    row = (await session.execute(
        select(Achievement.id, Achievement.studio_id, author.id, author.name,
               Achievement.created_at, Achievement.title, Achievement.status, Achievement.note,
               leader.name, Achievement.verified_at, Achievement.type,
               Achievement.economic_benefit, Achievement.promoted)
        .join(author, author.id == Achievement.member_id)
        .outerjoin(leader, leader.id == Achievement.verified_by_id)
        .where(Achievement.id == result_id))).first()
    return None if row is None else ProposalRecord(*row)


@dataclass(frozen=True)
class CheckInRecord:
    id: int
    author_id: int
    author_name: str
    mentor_id: int
    mentor_name: str
    apprentice_id: int
    apprentice_name: str
    studio_id: int | None  # the apprentice's studio
    day: date
    content: str
    hours: float | None
    confirmed_at: datetime | None
    comment: str | None


async def checkin_record(session: Session, checkin_id: int) -> CheckInRecord | None:
    author, mentor, apprentice = aliased(Member), aliased(Member), aliased(Member)
    row = (await session.execute(
        select(CheckIn.id, author.id, author.name, mentor.id, mentor.name, apprentice.id,
               apprentice.name, apprentice.studio_id, CheckIn.checkin_date, CheckIn.content,
               CheckIn.hours, CheckIn.confirmed_at, CheckIn.comment)
        .join(MentorshipPair, MentorshipPair.id == CheckIn.pair_id)
        .join(author, author.id == CheckIn.author_id)
        .join(mentor, mentor.id == MentorshipPair.mentor_id)
        .join(apprentice, apprentice.id == MentorshipPair.apprentice_id)
        .where(CheckIn.id == checkin_id))).first()
    return None if row is None else CheckInRecord(*row)


@dataclass(frozen=True)
class StudioMember:
    id: int
    name: str
    employee_no: str


_NAMED = (select(Member.id, Member.name, Member.employee_no)
          .where(Member.studio_id == bindparam("studio_id"),
                 (Member.name == bindparam("name"))
                 | (func.lower(Member.employee_no) == func.lower(bindparam("name"))))
          .order_by(Member.employee_no))


async def studio_members_named(session: Session, studio_id: int, name: str) -> list[StudioMember]:
    """The studio's members whose name or employee number is `name` (case aside). Every
    周报 of a leader asks this, so it has a lean form (storage.driver)."""
    values = {"studio_id": studio_id, "name": name}
    if raw_postgres(session) is not None:
        rows = await fetch_all(session, _NAMED, values)
    else:
        rows = list(await session.execute(_NAMED, values))
    return [StudioMember(*row) for row in rows]
