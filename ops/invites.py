"""`workshop-bot invite`: a fresh code for one member, or a studio's slips (CSV, or a PDF to print).

A fresh code voids the member's earlier unused one, so the operator is told whenever a code
already handed out (a printed slip) stops working, and a studio's slips are issued again
only on request (`--reissue`)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from bot.config import Settings
from bot.wechat_api import WeChatAPI, WeChatAPIError
from domain.invites import StudioInvites, invite_scene, studio_invites, with_qr_codes
from domain.slips import slips_pdf
from domain.tables import Cell
from locales import Words
from ops.studios import pick_studio
from ops.tables import write_bytes, write_table
from ops.terminal import err, office_words
from storage.db import Database
from storage.queries.invites import issue_invite, live_invites, member_by_employee_no
from storage.queries.studios import studio_by_name

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
            picture = await api.create_qr_code(invite_scene(code.code), left)
        finally:
            await api.close()
        print(words("ops.invite.qr", days=picture.expire_seconds // DAY, url=picture.image_url))
    print(code.code)
    return 0


async def invite_studio(settings: Settings, typed: str, now: datetime, output: str | None, *,
                        reissue: bool = False, pdf: Path | None = None,
                        per_page: int = 8) -> int:
    """Codes for the unbound members of a studio (domain.invites): a CSV of the fresh ones, or
    with `pdf` printable slips of every unbound member's working code.

    Members who still hold a working code (a slip printed earlier) are left out of the CSV,
    and the operator told so, unless `reissue`: then their codes are voided and issued
    afresh. The PDF prints their codes again instead (a lost sheet is printed anew)."""
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        async with db.transaction() as session:
            studio = await pick_studio(session, words, typed)
            found = await studio_by_name(session, studio) if studio is not None else None
            if found is None:
                return 1
            issued = await studio_invites(session, found.id, now, reissue=reissue)
    finally:
        await db.dispose()
    if pdf is not None:
        return await _slips_pdf(settings, issued, now, words, pdf, per_page)
    rows: list[list[Cell]] = [
        [s.studio, s.name, s.employee_no, s.code,
         s.expires_at.astimezone(settings.tz).isoformat(timespec="minutes")]
        for s in issued.fresh]
    if issued.held:
        key = "ops.invite.studio_holding" if rows else "ops.invite.studio_all_holding"
        err.print(words(key, studio=issued.studio, n=issued.held))
    elif issued.reissued:
        err.print(words("ops.invite.reissued", n=issued.reissued))
    if not rows:
        if not issued.held:
            err.print(words("ops.invite.studio_empty", studio=issued.studio))
        return 1
    where = write_table(SLIP_COLUMNS, rows, fmt="csv", output=output)
    err.print(words("ops.invite.slips_written", n=len(rows), where=where))
    return 0


async def _slips_pdf(settings: Settings, issued: StudioInvites, now: datetime, words: Words,
                     pdf: Path, per_page: int) -> int:
    """The slips as a PDF, with scan-to-bind QR codes when the WeChat credentials are set."""
    if not issued.slips:
        err.print(words("ops.invite.studio_empty", studio=issued.studio))
        return 1
    if issued.reissued:
        err.print(words("ops.invite.reissued", n=issued.reissued))
    slips = issued.slips
    if settings.can_push:
        api = WeChatAPI(settings.wechat_api_base, settings.wechat_app_id,
                        settings.wechat_app_secret, clock=lambda: now)

        async def make_qr(scene: str, seconds: int) -> str:
            return (await api.create_qr_code(scene, seconds)).url

        try:
            slips = await with_qr_codes(slips, now, make_qr)
        except WeChatAPIError as exc:
            err.print(words("ops.invite.qr_failed", reason=f"{exc.errcode} {exc.errmsg}"))
            return 1
        finally:
            await api.close()
    else:
        err.print(words("ops.invite.pdf_no_qr"))
    data = await asyncio.to_thread(slips_pdf, slips, words=words, tz=settings.tz,
                                   per_page=per_page)
    where = write_bytes(data, str(pdf))
    err.print(words("ops.invite.pdf_written", studio=issued.studio, n=len(slips),
                    fresh=len(issued.fresh), held=issued.held, where=where))
    return 0
