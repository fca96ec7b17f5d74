"""`workshop-bot invite`: a fresh code for one member, or slips for a studio.

A fresh code voids the member's earlier unused one, so the operator is told whenever a code
already handed out (a printed slip) stops working, and a studio's slips are issued again
only on request (`--reissue`)."""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from bot.wechat_api import WeChatAPI
from domain.tables import Cell
from ops.studios import pick_studio
from ops.tables import write_table
from ops.terminal import err, office_words
from storage.db import Database
from storage.queries.invites import (
    issue_invite,
    live_invites,
    member_by_employee_no,
    unbound_members_of_studio,
)

SLIP_COLUMNS = ("studio", "name", "employee_no", "code", "expires_at")
DAY = 86400  # seconds


async def invite(settings: Settings, employee_no: str, now: datetime, *, qr: bool) -> int:
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        async with db.transaction() as session:
            member = await member_by_employee_no(session, employee_no)
            if member is None:
                err.print(words("ops.invite.member_unknown", employee_no=employee_no))
                return 1
            earlier = (await live_invites(session, [member.id], now)).get(member.id)
            code = await issue_invite(session, member.id, now)
            # A union admin belongs to no studio: named by the role instead.
            studio = member.studio.name if member.studio else words.named("role", member.role)
            expires = code.expires_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
    finally:
        await db.dispose()
    # The number as stored, whatever case it was typed in.
    employee_no = member.employee_no
    if member.openid is not None:
        err.print(words("ops.invite.already_bound", name=member.name, employee_no=employee_no))
    if earlier is not None:
        err.print(words("ops.invite.earlier_void",
                        expires=earlier.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")))
    print(words("ops.invite.issued", name=member.name, studio=studio, employee_no=employee_no,
                expires=expires))
    if qr:
        api = WeChatAPI(settings.wechat_api_base, settings.wechat_app_id,
                        settings.wechat_app_secret, clock=lambda: now)
        try:
            left = int((code.expires_at - now).total_seconds())
            picture = await api.create_qr_code(f"invite:{code.code}", left)
        finally:
            await api.close()
        print(words("ops.invite.qr", days=picture.expire_seconds // DAY, url=picture.image_url))
    print(code.code)
    return 0


async def invite_studio(settings: Settings, typed: str, now: datetime, output: str | None, *,
                        reissue: bool = False) -> int:
    """Fresh codes for the unbound members of a studio, as a CSV of slips to print.

    Members who still hold a working code (a slip printed earlier) are left out, and the
    operator told so, unless `reissue`: then their codes are voided and issued afresh."""
    db = Database(settings.effective_database_url)
    rows: list[list[Cell]] = []
    try:
        words = await office_words(db)
        async with db.transaction() as session:
            studio = await pick_studio(session, words, typed)
            if studio is None:
                return 1
            members = await unbound_members_of_studio(session, studio)
            holding = await live_invites(session, [m.id for m in members], now)
            if not reissue:
                members = [m for m in members if m.id not in holding]
            for m in members:
                code = await issue_invite(session, m.id, now)
                expires = code.expires_at.astimezone(settings.tz).isoformat(timespec="minutes")
                rows.append([studio, m.name, m.employee_no, code.code, expires])
    finally:
        await db.dispose()
    if holding and not reissue:
        key = "ops.invite.studio_holding" if rows else "ops.invite.studio_all_holding"
        err.print(words(key, studio=studio, n=len(holding)))
    elif holding:
        err.print(words("ops.invite.reissued", n=len(holding)))
    if not rows:
        if not holding:
            err.print(words("ops.invite.studio_empty", studio=studio))
        return 1
    where = write_table(SLIP_COLUMNS, rows, fmt="csv", output=output)
    err.print(words("ops.invite.slips_written", n=len(rows), where=where))
    return 0
