"""A studio's invite slips: every unbound member's working code, fresh ones issued only where needed.

A fresh code voids the member's earlier unused one, so a code already handed out (a printed
slip) is kept unless the caller asks to reissue. The scan-to-bind QR codes come from
WeChat through a callback the caller passes (the WeChat client is the runtime's, not the
domain's), once the codes are committed: no network call is made inside the transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from domain import NotFound
from storage.models import ROLE_MEMBER, Member
from storage.queries.invites import issue_invite, live_codes, unbound_members_of_studio
from storage.queries.studios import studio_name
from storage.session import Session

# (scene, seconds it should stay valid) → the URL the QR code encodes (WeChat's ticket URL).
QRMaker = Callable[[str, int], Awaitable[str]]
# QR codes asked of WeChat at a time for one studio's slips.
QR_CONCURRENCY = 4


def invite_scene(code: str) -> str:
    """The scene a scan-to-bind QR code carries (handlers.onboarding binds on it)."""
    return f"invite:{code}"


@dataclass(frozen=True)
class Slip:
    studio: str
    name: str
    employee_no: str
    code: str
    expires_at: datetime
    fresh: bool  # issued now; False: a code handed out earlier, still working
    qr_url: str | None = None  # what the scan-to-bind QR code encodes, once asked of WeChat


@dataclass(frozen=True)
class StudioInvites:
    studio: str
    slips: tuple[Slip, ...]  # every unbound member of the studio, by employee number
    held: int  # members who kept a working code handed out earlier (not reissued)
    reissued: int  # working codes voided and replaced because the caller asked to

    @property
    def fresh(self) -> tuple[Slip, ...]:
        return tuple(s for s in self.slips if s.fresh)


def _plain(members: list[Member], plain_only: bool) -> list[Member]:
    """A leader hands out codes to plain members only: a leader's or an admin's code would
    let whoever redeems it act as them (the rule domain.members applies to one invite)."""
    return [m for m in members if m.role == ROLE_MEMBER] if plain_only else members


async def studio_invites(session: Session, studio_id: int, now: datetime, *,
                         reissue: bool = False, plain_only: bool = False) -> StudioInvites:
    """A working code for each unbound, active member of the studio: the one they hold, or a
    fresh one (14 days) for those who hold none; with `reissue`, fresh ones for all, voiding
    those handed out. `plain_only` (a leader asking): plain members only, never a leader's
    or an admin's code. Writes in the caller's transaction; NotFound for an unknown studio."""
    name = await studio_name(session, studio_id)
    if name is None:
        raise NotFound()
    members = _plain(await unbound_members_of_studio(session, name), plain_only)
    holding = await live_codes(session, [m.id for m in members], now)
    slips = []
    for m in members:
        held = holding.get(m.id)
        if held is not None and not reissue:
            slips.append(Slip(name, m.name, m.employee_no, held.code, held.expires_at, False))
        else:
            code = await issue_invite(session, m.id, now)
            slips.append(Slip(name, m.name, m.employee_no, code.code, code.expires_at, True))
    return StudioInvites(name, tuple(slips), held=0 if reissue else len(holding),
                         reissued=len(holding) if reissue else 0)


@dataclass(frozen=True)
class Unbound:
    """An unbound, active member of a studio and the working code they hold, if any."""

    name: str
    employee_no: str
    code: str | None  # None: none that works (never issued, used up, voided or expired)
    expires_at: datetime | None


@dataclass(frozen=True)
class InviteStanding:
    """A studio's unbound members as they stand, nothing issued: what a print of its slips
    shows again (the codes handed out), and who would get a fresh code."""

    studio: str
    members: tuple[Unbound, ...]  # by employee number

    @property
    def slips(self) -> tuple[Slip, ...]:
        """A slip for each member holding a working code: that code, printed again."""
        return tuple(Slip(self.studio, m.name, m.employee_no, m.code, m.expires_at, False)
                     for m in self.members if m.code is not None and m.expires_at is not None)

    @property
    def without(self) -> int:
        """Members holding no working code: studio_invites would issue them one."""
        return sum(1 for m in self.members if m.code is None)


async def invite_standing(session: Session, studio_id: int, now: datetime, *,
                          plain_only: bool = False) -> InviteStanding:
    """The studio's unbound, active members and their working codes, writing nothing (a
    page showing or printing them may be reloaded at will); `plain_only` as for
    studio_invites. NotFound for an unknown studio."""
    name = await studio_name(session, studio_id)
    if name is None:
        raise NotFound()
    members = _plain(await unbound_members_of_studio(session, name), plain_only)
    holding = await live_codes(session, [m.id for m in members], now)
    return InviteStanding(name, tuple(
        Unbound(m.name, m.employee_no, held.code if held else None,
                held.expires_at if held else None)
        for m in members for held in [holding.get(m.id)]))


async def with_qr_codes(slips: Sequence[Slip], now: datetime, make_qr: QRMaker, *,
                        concurrency: int = QR_CONCURRENCY) -> tuple[Slip, ...]:
    """The slips with their scan-to-bind QR codes, each valid as long as its code (WeChat
    caps a temporary QR code at 30 days). A failure of `make_qr` propagates: the codes stand,
    and asking again prints the same codes."""
    gate = asyncio.Semaphore(concurrency)

    async def one(slip: Slip) -> Slip:
        async with gate:
            left = int((slip.expires_at - now).total_seconds())
            return replace(slip, qr_url=await make_qr(invite_scene(slip.code), left) or None)

    tasks = [asyncio.create_task(one(s)) for s in slips]
    try:
        return tuple(await asyncio.gather(*tasks))
    except BaseException:
        # One refusal stops the rest: no call outlives the caller's client.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
