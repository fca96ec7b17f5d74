"""What the console's office pages (邀请, 名册) read beyond the domain's own queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from storage.models import AuditEntry, InviteCode, Member, Studio
from storage.queries.audit import AuditRow
from storage.session import Session


@dataclass(frozen=True)
class InviteLine:
    """A studio with members still to bind WeChat."""

    id: int
    name: str
    unbound: int  # active members with no WeChat bound
    holding: int  # of them, those holding a working invite code


async def studios_to_invite(session: Session, now: datetime) -> list[InviteLine]:
    """Every studio with active members who have not bound WeChat, by name, with how many
    of them hold a working code (unused, not voided, not expired at `now`). One grouped
    query: the union's 2,000 studios are one page's read."""
    live = (select(InviteCode.member_id)
            .where(InviteCode.used_at.is_(None), InviteCode.revoked_at.is_(None),
                   InviteCode.expires_at > now)
            .distinct().subquery())
    rows = (await session.execute(
        select(Studio.id, Studio.name, func.count(Member.id), func.count(live.c.member_id))
        .join(Member, Member.studio_id == Studio.id)
        .outerjoin(live, live.c.member_id == Member.id)
        .where(Member.active.is_(True), Member.openid.is_(None))
        .group_by(Studio.id, Studio.name)
        .order_by(Studio.name))).all()
    return [InviteLine(int(i), str(n), int(u), int(h)) for i, n, u, h in rows]


async def audit_entry(session: Session, entry_id: int, action: str) -> AuditRow | None:
    """One audit entry of `action` (a page showing what an action did reads it back)."""
    row = (await session.execute(
        select(AuditEntry.id, AuditEntry.at, AuditEntry.actor_id, Member.name, AuditEntry.action,
               AuditEntry.subject, AuditEntry.subject_id, AuditEntry.studio_id, Studio.name,
               AuditEntry.before, AuditEntry.after)
        .outerjoin(Member, Member.id == AuditEntry.actor_id)
        .outerjoin(Studio, Studio.id == AuditEntry.studio_id)
        .where(AuditEntry.id == entry_id, AuditEntry.action == action))).first()
    return None if row is None else AuditRow(*row)
