"""Studio-level answers: the studios export and a member's own circle."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from storage.models import ROLE_LEADER, Member, MentorshipPair, Studio
from storage.queries.scope import in_studio
from storage.session import Session


@dataclass(frozen=True)
class StudioSummary:
    studio_id: int
    studio: str
    leaders: list[str]
    members: int
    bound_members: int


async def studio_summaries(session: Session, studio_id: int | None = None
                           ) -> list[StudioSummary]:
    """Every studio (or the one `studio_id`) with its leaders, head count and how many
    have bound WeChat."""
    counts = (
        select(
            Member.studio_id,
            func.count(Member.id).label("members"),
            func.count(Member.openid).label("bound"),
        )
        .where(Member.active.is_(True), *in_studio(Member.studio_id, studio_id))
        .group_by(Member.studio_id)
        .subquery()
    )
    rows = (await session.execute(
        select(Studio.id, Studio.name, counts.c.members, counts.c.bound)
        .outerjoin(counts, counts.c.studio_id == Studio.id)
        .where(*in_studio(Studio.id, studio_id))
        .order_by(Studio.name)
    )).all()
    leaders: dict[int, list[str]] = {}
    for sid, name in (await session.execute(
        select(Member.studio_id, Member.name)
        .where(Member.role == ROLE_LEADER, Member.active.is_(True),
               *in_studio(Member.studio_id, studio_id))
        .order_by(Member.employee_no)
    )).all():
        if sid is not None:
            leaders.setdefault(sid, []).append(name)
    return [
        StudioSummary(r.id, r.name, leaders.get(r.id, []), int(r.members or 0),
                      int(r.bound or 0))
        for r in rows
    ]


@dataclass(frozen=True)
class UnboundMember:
    studio: str  # empty for an admin who sits in no studio
    name: str
    employee_no: str
    role: str  # a code (role.* in the catalogs)


async def unbound_members(session: Session, studio_id: int | None = None
                          ) -> list[UnboundMember]:
    """Active members with no WeChat bound yet (of one studio, with `studio_id`), by studio
    and employee number (admins who sit in no studio first)."""
    rows = (await session.execute(
        select(Studio.name, Member.name, Member.employee_no, Member.role)
        .outerjoin(Studio, Studio.id == Member.studio_id)
        .where(Member.active.is_(True), Member.openid.is_(None),
               *in_studio(Member.studio_id, studio_id))
        .order_by(Studio.name.is_not(None), Studio.name, Member.employee_no)
    )).all()
    return [UnboundMember(studio or "", name, employee_no, role)
            for studio, name, employee_no, role in rows]


@dataclass(frozen=True)
class Circle:
    mentors: list[str]
    apprentices: list[str]


async def mentorship_circle(session: Session, member_id: int) -> Circle:
    """The member's current mentor(s) and apprentices, by name."""
    other = aliased(Member)
    rows = (await session.execute(
        select(
            case((MentorshipPair.mentor_id == member_id, "apprentice"), else_="mentor"),
            other.name,
        )
        .join(other, other.id == case(
            (MentorshipPair.mentor_id == member_id, MentorshipPair.apprentice_id),
            else_=MentorshipPair.mentor_id,
        ))
        .where(
            MentorshipPair.end_date.is_(None),
            (MentorshipPair.mentor_id == member_id) | (MentorshipPair.apprentice_id == member_id),
        )
        .order_by(other.employee_no)
    )).all()
    return Circle(
        mentors=[name for kind, name in rows if kind == "mentor"],
        apprentices=[name for kind, name in rows if kind == "apprentice"],
    )


async def leaders_of(session: Session, studio_id: int) -> list[int]:
    """The studio's active leaders: who gets its suggestions and results to review."""
    return list(await session.scalars(
        select(Member.id).where(Member.studio_id == studio_id, Member.role == ROLE_LEADER,
                                Member.active.is_(True)).order_by(Member.id)))


async def studio_name(session: Session, studio_id: int) -> str | None:
    return await session.scalar(select(Studio.name).where(Studio.id == studio_id))


async def studio_by_name(session: Session, name: str) -> Studio | None:
    return (await session.scalars(select(Studio).where(Studio.name == name))).first()


@dataclass(frozen=True)
class StudioName:
    id: int
    name: str


async def all_studios(session: Session) -> list[Studio]:
    return list(await session.scalars(select(Studio).order_by(Studio.name)))


def _folded(text: str) -> str:
    """What a name is matched on: full width, case and spaces do not count."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


async def studios_called(session: Session, text: str) -> list[StudioName]:
    """The studios someone means by `text` (an operator's --studio, an admin's 统计): the one
    so named, else every studio whose name contains it (「王建国」 finds 王建国劳模创新工作室),
    by name."""
    rows = [StudioName(*row) for row in
            await session.execute(select(Studio.id, Studio.name).order_by(Studio.name))]
    wanted = _folded(text)
    if not wanted:
        return []
    exact = [s for s in rows if _folded(s.name) == wanted]
    return exact or [s for s in rows if wanted in _folded(s.name)]


async def studios_matching(session: Session, text: str) -> list[str]:
    """studios_called, by name only."""
    return [s.name for s in await studios_called(session, text)]
