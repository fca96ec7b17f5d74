"""Invite codes and binding an openid to a member."""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import joinedload

from storage.models import BindAttempt, InviteCode, Member, Studio
from storage.session import Session

# Easy to read aloud and type on a phone: no 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
INVITE_TTL = timedelta(days=14)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    """What people type: lower case, spaces or dashes in the middle."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


async def issue_invite(
    session: Session, member_id: int, now: datetime, ttl: timedelta = INVITE_TTL
) -> InviteCode:
    """A fresh code for the member; any earlier unused code stops working."""
    await session.execute(
        update(InviteCode)
        .where(
            InviteCode.member_id == member_id,
            InviteCode.used_at.is_(None),
            InviteCode.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    while True:
        code = new_code()
        taken = await session.scalar(select(InviteCode.id).where(InviteCode.code == code))
        if taken is None:
            break
    invite = InviteCode(code=code, member_id=member_id, created_at=now, expires_at=now + ttl)
    session.add(invite)
    await session.flush()
    return invite


async def revoke_invites(session: Session, member_id: int, now: datetime) -> int:
    """The member's unused codes stop working (they were deactivated); how many."""
    result = await session.execute(
        update(InviteCode)
        .where(InviteCode.member_id == member_id, InviteCode.used_at.is_(None),
               InviteCode.revoked_at.is_(None))
        .values(revoked_at=now).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class Redemption:
    status: str  # "ok", "unknown", "used", "expired", "revoked"
    member: Member | None = None


async def redeem_invite(session: Session, code: str, openid: str, now: datetime) -> Redemption:
    """Use `code` for `openid`. Of two openids racing for one code, exactly one gets "ok"."""
    invite = await session.scalar(select(InviteCode).where(InviteCode.code == code))
    if invite is None:
        return Redemption("unknown")
    if invite.revoked_at is not None:
        return Redemption("revoked")
    if invite.used_at is not None:
        return Redemption("used")
    if invite.expires_at <= now:
        return Redemption("expired")
    active = await session.scalar(select(Member.active).where(Member.id == invite.member_id))
    if not active:
        # A deactivated member's codes are revoked as they are deactivated; one that
        # escaped (issued at the command line since) works no better.
        return Redemption("revoked")
    # The conditional update is the arbiter: a concurrent redeemer's update finds
    # used_at already set (PostgreSQL re-checks the row after waiting for our lock).
    result = await session.execute(
        update(InviteCode)
        .where(InviteCode.id == invite.id, InviteCode.used_at.is_(None),
               InviteCode.revoked_at.is_(None))
        .values(used_at=now, used_by_openid=openid)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        return Redemption("used")
    # The openid may still be held by a deactivated member (the same person, back under
    # another record): it moves to the member whose code it used. An active member's
    # openid never gets here, binding is refused them first.
    await session.execute(
        update(Member).where(Member.openid == openid, Member.id != invite.member_id)
        .values(openid=None).execution_options(synchronize_session=False))
    # The member's previous openid (an old phone) is released; the new one takes over.
    await session.execute(
        update(Member).where(Member.id == invite.member_id)
        .values(openid=openid, subscribed=True, last_interaction_at=now)
        .execution_options(synchronize_session=False)
    )
    member = await session.scalar(
        select(Member).options(joinedload(Member.studio))
        .where(Member.id == invite.member_id)
        .execution_options(populate_existing=True)
    )
    return Redemption("ok", member)


async def bind_failures_since(session: Session, openid: str, since: datetime) -> list[datetime]:
    rows = await session.scalars(
        select(BindAttempt.attempted_at)
        .where(BindAttempt.openid == openid, BindAttempt.attempted_at > since)
        .order_by(BindAttempt.attempted_at)
    )
    return list(rows)


async def record_bind_failure(session: Session, openid: str, now: datetime) -> None:
    session.add(BindAttempt(openid=openid, attempted_at=now))
    await session.flush()


async def forget_bind_failures(session: Session, openid: str) -> None:
    await session.execute(delete(BindAttempt).where(BindAttempt.openid == openid))


def typed_employee_no(text: str) -> str:
    """An employee number as an operator may type it: full-width (a Chinese input method),
    with spaces around it."""
    return unicodedata.normalize("NFKC", text).strip()


async def member_by_employee_no(session: Session, employee_no: str) -> Member | None:
    """The member with this employee number, matched without regard to case (w1003 finds
    W1003). Should two numbers differ only in case, only the exact one is found."""
    typed = typed_employee_no(employee_no)
    exact = await session.scalar(
        select(Member).options(joinedload(Member.studio)).where(Member.employee_no == typed)
    )
    if exact is not None or not typed:
        return exact
    folded = list(await session.scalars(
        select(Member).options(joinedload(Member.studio))
        .where(func.lower(Member.employee_no) == typed.lower()).limit(2)
    ))
    return folded[0] if len(folded) == 1 else None


async def live_invites(session: Session, member_ids: Sequence[int], now: datetime
                       ) -> dict[int, datetime]:
    """Of `member_ids`, those holding a code that still works (unused, not superseded, not
    expired), each with when their latest such code expires: a fresh code would void it."""
    found: dict[int, datetime] = {}
    wanted = list(member_ids)
    for start in range(0, len(wanted), 5000):  # IN lists stay within every driver's limits
        rows = await session.execute(
            select(InviteCode.member_id, func.max(InviteCode.expires_at))
            .where(InviteCode.member_id.in_(wanted[start:start + 5000]),
                   InviteCode.used_at.is_(None), InviteCode.revoked_at.is_(None),
                   InviteCode.expires_at > now)
            .group_by(InviteCode.member_id))
        found.update({mid: expires for mid, expires in rows.all()})
    return found


async def unbound_members_of_studio(session: Session, studio_name: str) -> list[Member]:
    rows = await session.scalars(
        select(Member).join(Studio, Member.studio_id == Studio.id)
        .options(joinedload(Member.studio))
        .where(Studio.name == studio_name, Member.openid.is_(None), Member.active.is_(True))
        .order_by(Member.employee_no)
    )
    return list(rows)


@dataclass(frozen=True)
class LiveCode:
    code: str
    expires_at: datetime


async def live_codes(session: Session, member_ids: Sequence[int], now: datetime
                     ) -> dict[int, LiveCode]:
    """Of `member_ids`, those holding a code that still works, each with that code (the
    latest to expire, should there be several): what a slip printed again shows."""
    found: dict[int, LiveCode] = {}
    wanted = list(member_ids)
    for start in range(0, len(wanted), 5000):  # IN lists stay within every driver's limits
        rows = await session.execute(
            select(InviteCode.member_id, InviteCode.code, InviteCode.expires_at)
            .where(InviteCode.member_id.in_(wanted[start:start + 5000]),
                   InviteCode.used_at.is_(None), InviteCode.revoked_at.is_(None),
                   InviteCode.expires_at > now)
            .order_by(InviteCode.expires_at, InviteCode.id))
        found.update({mid: LiveCode(code, expires) for mid, code, expires in rows.all()})
    return found
