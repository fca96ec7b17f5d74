"""Report links as stored: issued by id, looked up by id, reused, listed and revoked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from storage.models import Member, ReportLink, Studio
from storage.session import Session


@dataclass(frozen=True)
class StoredLink:
    id: str
    page: str
    viewer_id: int
    origin: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class Viewer:
    """Who a link was issued to, as they stand now."""

    id: int
    name: str
    role: str
    studio_id: int | None
    active: bool
    language: str | None


def _stored(row: ReportLink) -> StoredLink:
    return StoredLink(row.id, row.page, row.viewer_id, row.origin, row.created_at,
                      row.expires_at, row.revoked_at)


async def add_links(session: Session, links: Sequence[StoredLink]) -> None:
    if not links:
        return
    await session.execute(insert(ReportLink), [
        {"id": link.id, "page": link.page, "viewer_id": link.viewer_id, "origin": link.origin,
         "created_at": link.created_at, "expires_at": link.expires_at, "revoked_at": None}
        for link in links])


async def link_by_id(session: Session, link_id: str) -> tuple[StoredLink, Viewer] | None:
    """The link and its viewer, in one query (every report page asks this first)."""
    row = (await session.execute(
        select(ReportLink, Member.name, Member.role, Member.studio_id, Member.active,
               Member.language)
        .join(Member, Member.id == ReportLink.viewer_id)
        .where(ReportLink.id == link_id))).first()
    if row is None:
        return None
    link, name, role, studio_id, active, language = row
    return _stored(link), Viewer(link.viewer_id, name, role, studio_id, bool(active), language)


async def lasting_link(session: Session, viewer_id: int, page: str,
                       until: datetime) -> StoredLink | None:
    """A link of this viewer to this page, not revoked, that still works at `until`: handed
    out again rather than a new one each time (统计 is asked often)."""
    row = await session.scalar(
        select(ReportLink)
        .where(ReportLink.viewer_id == viewer_id, ReportLink.page == page,
               ReportLink.revoked_at.is_(None), ReportLink.expires_at > until)
        .order_by(ReportLink.expires_at.desc()).limit(1))
    return None if row is None else _stored(row)


@dataclass(frozen=True)
class ListedLink:
    link: StoredLink
    viewer: str
    employee_no: str
    studio: str | None  # the studio a "studio:<id>" page names


async def links_listed(session: Session, *, now: datetime, employee_no: str | None = None,
                       include_ended: bool = False, limit: int = 200) -> list[ListedLink]:
    """Links, newest first: those that still work unless `include_ended`."""
    query = (select(ReportLink, Member.name, Member.employee_no)
             .join(Member, Member.id == ReportLink.viewer_id)
             .order_by(ReportLink.created_at.desc(), ReportLink.id).limit(limit))
    if employee_no is not None:
        query = query.where(Member.employee_no == employee_no)
    if not include_ended:
        query = query.where(ReportLink.revoked_at.is_(None), ReportLink.expires_at > now)
    rows = (await session.execute(query)).all()
    studio_ids = {int(link.page.split(":", 1)[1]) for link, _n, _e in rows
                  if link.page.startswith("studio:")}
    names = dict((await session.execute(
        select(Studio.id, Studio.name).where(Studio.id.in_(studio_ids)))).all()) if studio_ids else {}
    return [ListedLink(_stored(link), name, no,
                       names.get(int(link.page.split(":", 1)[1]))
                       if link.page.startswith("studio:") else None)
            for link, name, no in rows]


async def revoke_links(session: Session, now: datetime, *, link_id: str | None = None,
                       viewer_id: int | None = None) -> int:
    """Revoke one link, or every working link of one viewer; how many were revoked."""
    query = update(ReportLink).where(ReportLink.revoked_at.is_(None))
    if link_id is not None:
        query = query.where(ReportLink.id == link_id)
    if viewer_id is not None:
        query = query.where(ReportLink.viewer_id == viewer_id)
    if link_id is None and viewer_id is None:
        raise ValueError("name a link or a viewer")
    result = await session.execute(query.values(revoked_at=now)
                                   .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
