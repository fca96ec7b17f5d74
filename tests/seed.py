"""A database for domain-level tests: migrated, a roster applied, some members bound."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from storage.db import Database
from storage.models import Member
from storage.queries.roster import RosterEntry, apply_roster

UNION = "测试市总工会"


def roster(text: str) -> list[RosterEntry]:
    """Entries from lines of `studio,name,employee_no,role,mentor_employee_no` (a header
    line first); what the roster import's reading would give for them."""
    entries = []
    for number, line in enumerate(text.strip().splitlines()[1:], start=2):
        studio, name, employee_no, role, mentor = (c.strip() for c in line.split(","))
        entries.append(RosterEntry(line=number, studio=studio or None, name=name,
                                   employee_no=employee_no, role=role,
                                   mentor_employee_no=mentor or None, phone_masked=None))
    return entries


async def seed(db: Database, text: str, now: datetime,
               openids: dict[str, str] | None = None) -> dict[str, int]:
    """Apply the roster, bind `openids` (employee number → openid); member ids by number."""
    async with db.transaction() as session:
        await apply_roster(session, roster(text), root_union=UNION, now=now, today=now.date())
        for employee_no, openid in (openids or {}).items():
            await session.execute(update(Member).where(Member.employee_no == employee_no)
                                  .values(openid=openid))
        return {no: mid for no, mid in await session.execute(
            select(Member.employee_no, Member.id))}
