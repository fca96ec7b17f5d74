"""Who may read a record in full: the rules behind 建议 3, 成果 3, 打卡 3 and 周报 <姓名>.

- A suggestion or a result: its author, the leaders of its studio, the union's admins.
- A check-in: the pair's mentor and apprentice, the leaders of the apprentice's studio,
  the union's admins.
- A member's weekly log: the member, the leaders of their studio, the union's admins.

Anything else looks exactly like a record that does not exist (NotFound), so that numbers
tell nobody what another studio has.
"""

from __future__ import annotations

from domain import NotFound
from storage.models import ROLE_ADMIN, ROLE_LEADER
from storage.queries.records import (
    CheckInRecord,
    ProposalRecord,
    StudioMember,
    checkin_record,
    result_record,
    studio_members_named,
    suggestion_record,
)
from storage.queries.sender import MemberView
from storage.queries.weekly_logs import LogView, log_for_week
from storage.session import Session


def _oversees(viewer: MemberView, studio_id: int | None) -> bool:
    """A leader of that studio, or an admin."""
    if viewer.role == ROLE_ADMIN:
        return True
    return viewer.role == ROLE_LEADER and studio_id is not None and viewer.studio_id == studio_id


def _proposal(record: ProposalRecord | None, viewer: MemberView, record_id: int) -> ProposalRecord:
    """A suggestion or a result, if the viewer may read it: its author or an overseer."""
    if record is None or not (record.author_id == viewer.id
                              or _oversees(viewer, record.studio_id)):
        raise NotFound(id=record_id)
    return record


async def suggestion_for(session: Session, viewer: MemberView, suggestion_id: int) -> ProposalRecord:
    return _proposal(await suggestion_record(session, suggestion_id), viewer, suggestion_id)


async def result_for(session: Session, viewer: MemberView, result_id: int) -> ProposalRecord:
    return _proposal(await result_record(session, result_id), viewer, result_id)


async def checkin_for(session: Session, viewer: MemberView, checkin_id: int) -> CheckInRecord:
    record = await checkin_record(session, checkin_id)
    if record is None or not (viewer.id in (record.mentor_id, record.apprentice_id)
                              or _oversees(viewer, record.studio_id)):
        raise NotFound(id=checkin_id)
    return record


async def members_named(session: Session, viewer: MemberView, name: str) -> list[StudioMember]:
    """The members of the viewer's studio called `name` (or with that employee number), when
    the viewer leads it; nobody otherwise."""
    if viewer.role != ROLE_LEADER or viewer.studio_id is None:
        return []
    return await studio_members_named(session, viewer.studio_id, name.strip())


async def member_log(session: Session, viewer: MemberView, member: StudioMember,
                     week: str) -> LogView | None:
    """`member`'s log of `week` (one of members_named's answers for this viewer)."""
    return await log_for_week(session, member.id, week)
