"""`workshop-bot report`: a studio's month as a PDF, the report links handed out (list,
revoke), and a past month's scores recorded for the report pages' 12-month lines."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bot.config import Settings
from locales import Words, formats
from ops.terminal import err, office_words, out, print_table
from storage.db import Database
from storage.models import PAGE_ME, PAGE_UNION
from storage.queries.indicators import month_ratings
from storage.queries.invites import member_by_employee_no
from storage.queries.report_links import ListedLink, links_listed, revoke_links
from storage.queries.scores import record_scores
from storage.queries.studios import studios_called
from web.reports.data import valid_month
from web.reports.pdf import pdf_name, studio_pdf


def _month_ok(words: Words, month: str, now: datetime, settings: Settings) -> bool:
    if valid_month(month, now.astimezone(settings.tz).date()):
        return True
    err.print(words("ops.report.bad_month", value=month))
    return False


async def report_pdf(settings: Settings, studio: str, month: str, output: str | None,
                     now: datetime) -> int:
    """The studio's month on A4, as the page shows it now; the file's path is the last line."""
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        if not _month_ok(words, month, now, settings):
            return 2
        async with db.reader() as session:
            found = await studios_called(session, studio)
        if not found:
            err.print(words("ops.report.no_studio", name=studio))
            return 1
        if len(found) > 1:
            err.print(words("ops.report.which_studio", name=studio, n=len(found),
                            names=formats.join(words, [s.name for s in found[:10]])))
            return 1
        made = await studio_pdf(db, found[0].id, month, now, settings.tz,
                                settings.rank_weights, words)
    finally:
        await db.dispose()
    assert made is not None  # the studio was just found
    name, document = made
    path = Path(output) if output else Path(pdf_name(name, month))
    path.write_bytes(document)
    out.print(words("ops.report.pdf_written", studio=name, month=formats.month_label(words, month),
                    size=max(1, len(document) // 1024)))
    print(path)
    return 0


def _page_words(words: Words, listed: ListedLink) -> str:
    if listed.link.page == PAGE_UNION:
        return words("ops.report.page.union")
    if listed.link.page == PAGE_ME:
        return words("ops.report.page.me")
    return listed.studio or listed.link.page


def _state(words: Words, listed: ListedLink, now: datetime) -> str:
    if listed.link.revoked_at is not None:
        return words("ops.report.state.revoked")
    if listed.link.expires_at <= now:
        return words("ops.report.state.expired")
    return words("ops.report.state.working")


async def links_list(settings: Settings, now: datetime, *, employee_no: str | None,
                     include_ended: bool, limit: int) -> int:
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        async with db.reader() as session:
            rows = await links_listed(session, now=now, employee_no=employee_no,
                                      include_ended=include_ended, limit=limit)
    finally:
        await db.dispose()
    if not rows:
        out.print(words("ops.report.no_links"))
        return 0
    print_table([words(f"ops.report.column.{c}") for c in
                 ("id", "viewer", "page", "origin", "issued", "expires", "state")],
                ([r.link.id, words("outbox.recipient", name=r.viewer, employee_no=r.employee_no),
                  _page_words(words, r), r.link.origin, _when(r.link.created_at, settings),
                  _when(r.link.expires_at, settings), _state(words, r, now)] for r in rows))
    return 0


def _when(moment: datetime, settings: Settings) -> str:
    return moment.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")


async def links_revoke(settings: Settings, now: datetime, *, link_id: str | None,
                       employee_no: str | None) -> int:
    """Revoke one link (by id) or every link a member holds (someone left, a phone lost)."""
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        if (link_id is None) == (employee_no is None):
            err.print(words("ops.report.revoke_usage"))
            return 2
        async with db.transaction() as session:
            viewer_id = None
            if employee_no is not None:
                member = await member_by_employee_no(session, employee_no)
                if member is None:
                    err.print(words("ops.report.no_member", employee_no=employee_no))
                    return 1
                viewer_id = member.id
            n = await revoke_links(session, now, link_id=link_id, viewer_id=viewer_id)
    finally:
        await db.dispose()
    if link_id is not None and not n:
        err.print(words("ops.report.no_link", id=link_id))
        return 1
    out.print(words("ops.report.revoked", n=n))
    return 0


async def record_month(settings: Settings, month: str, now: datetime) -> int:
    """Record `month`'s scores as the monthly summary does when it runs: for the months
    before the service ran it, so that the report pages' 12-month lines have them."""
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        if not _month_ok(words, month, now, settings):
            return 2
        async with db.transaction() as session:
            # The ratings 排名 gives for the month (the monthly summary records the same).
            rated = await month_ratings(session, month, settings.tz, settings.rank_weights,
                                        now.astimezone(settings.tz).date())
            await record_scores(session, month, rated, now)
    finally:
        await db.dispose()
    out.print(words("ops.report.scores_recorded", month=formats.month_label(words, month),
                    n=len(rated)))
    return 0
