"""Suggestions (合理化建议) and results (成果): what members put forward for leaders to decide."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from storage.models import RESULT_REPORTED, Achievement, Member, Studio, Suggestion
from storage.queries.scope import in_period, in_studio
from storage.session import Session


async def add_suggestion(session: Session, *, studio_id: int, member_id: int, content: str,
                         now: datetime) -> Suggestion:
    suggestion = Suggestion(studio_id=studio_id, member_id=member_id, content=content,
                            status="submitted", created_at=now)
    session.add(suggestion)
    await session.flush()
    return suggestion


async def add_achievement(session: Session, *, studio_id: int, member_id: int, type: str,
                          title: str, economic_benefit: float | None, promoted: bool,
                          now: datetime) -> Achievement:
    achievement = Achievement(studio_id=studio_id, member_id=member_id, type=type, title=title,
                              economic_benefit=economic_benefit, promoted=promoted,
                              status=RESULT_REPORTED, created_at=now)
    session.add(achievement)
    await session.flush()
    return achievement


async def achievement_titles(session: Session, *, studio_id: int, type: str,
                             statuses: tuple[str, ...]) -> list[tuple[int, str]]:
    """(id, title) of the studio's results of one type in these statuses, oldest first."""
    q = (select(Achievement.id, Achievement.title)
         .where(Achievement.studio_id == studio_id, Achievement.type == type,
                Achievement.status.in_(statuses))
         .order_by(Achievement.id))
    return [(int(i), str(t)) for i, t in (await session.execute(q)).all()]


async def suggestion_by_id(session: Session, suggestion_id: int) -> Suggestion | None:
    return await session.get(Suggestion, suggestion_id)


async def achievement_by_id(session: Session, achievement_id: int) -> Achievement | None:
    return await session.get(Achievement, achievement_id)


async def member_name(session: Session, member_id: int) -> str:
    return str(await session.scalar(select(Member.name).where(Member.id == member_id)) or "")


Proposal = Suggestion | Achievement


def _filtered(q: Any, model: type[Proposal], studio_id: int | None, member_id: int | None,
              status: str | None) -> Any:
    q = q.where(*in_studio(model.studio_id, studio_id))
    if member_id is not None:
        q = q.where(model.member_id == member_id)
    if status is not None:
        q = q.where(model.status == status)
    return q


async def _listed(session: Session, model: type[Proposal], studio_id: int | None,
                  member_id: int | None, status: str | None, limit: int) -> list[Any]:
    q = (select(model, Member.name).join(Member, Member.id == model.member_id)
         .order_by(model.created_at.desc(), model.id.desc()).limit(limit))
    return [(record, name) for record, name in
            (await session.execute(_filtered(q, model, studio_id, member_id, status))).all()]


async def _counts(session: Session, model: type[Proposal], studio_id: int | None,
                  member_id: int | None) -> dict[str, int]:
    q = select(model.status, func.count(model.id)).group_by(model.status)
    rows = (await session.execute(_filtered(q, model, studio_id, member_id, None))).all()
    return {status: int(n) for status, n in rows}


async def suggestions_listed(session: Session, *, studio_id: int | None = None,
                             member_id: int | None = None, status: str | None = None,
                             limit: int = 10) -> list[tuple[Suggestion, str]]:
    """Latest first, with the proposer's name."""
    return await _listed(session, Suggestion, studio_id, member_id, status, limit)


async def achievements_listed(session: Session, *, studio_id: int | None = None,
                              member_id: int | None = None, status: str | None = None,
                              limit: int = 10) -> list[tuple[Achievement, str]]:
    """Latest first, with the reporter's name."""
    return await _listed(session, Achievement, studio_id, member_id, status, limit)


async def suggestion_counts(session: Session, *, studio_id: int | None = None,
                            member_id: int | None = None) -> dict[str, int]:
    return await _counts(session, Suggestion, studio_id, member_id)


async def achievement_counts(session: Session, *, studio_id: int | None = None,
                             member_id: int | None = None) -> dict[str, int]:
    return await _counts(session, Achievement, studio_id, member_id)


@dataclass(frozen=True)
class SuggestionRow:
    submitted_at: datetime
    studio: str
    employee_no: str
    name: str
    content: str
    status: str
    reply: str | None
    decided_at: datetime | None


async def suggestion_rows(session: Session, since: datetime | None = None,
                          until: datetime | None = None,
                          studio_id: int | None = None) -> list[SuggestionRow]:
    q = (select(Suggestion.created_at, Studio.name, Member.employee_no, Member.name,
                Suggestion.content, Suggestion.status, Suggestion.reply, Suggestion.decided_at)
         .join(Studio, Studio.id == Suggestion.studio_id)
         .join(Member, Member.id == Suggestion.member_id)
         .where(*in_period(Suggestion.created_at, since, until),
                *in_studio(Suggestion.studio_id, studio_id))
         .order_by(Suggestion.created_at, Suggestion.id))
    return [SuggestionRow(*row) for row in (await session.execute(q)).all()]


@dataclass(frozen=True)
class AchievementRow:
    reported_at: datetime
    studio: str
    employee_no: str
    name: str
    type: str  # codes, as stored (result.type.*, result.status.* in the catalogs)
    title: str
    status: str
    economic_benefit: float | None
    promoted: bool
    note: str | None
    verified_at: datetime | None


async def achievement_rows(session: Session, since: datetime | None = None,
                           until: datetime | None = None,
                           studio_id: int | None = None) -> list[AchievementRow]:
    a = Achievement
    q = (select(a.created_at, Studio.name, Member.employee_no, Member.name, a.type, a.title,
                a.status, a.economic_benefit, a.promoted, a.note, a.verified_at)
         .join(Studio, Studio.id == a.studio_id)
         .join(Member, Member.id == a.member_id)
         .where(*in_period(a.created_at, since, until), *in_studio(a.studio_id, studio_id))
         .order_by(a.created_at, a.id))
    return [AchievementRow(*row) for row in (await session.execute(q)).all()]
