"""Report links: a signed link to one report page for one viewer, that expires and can be
revoked.

A link is a stored row (storage.models.ReportLink) under a random id; its URL carries that
id and an HMAC of it and of the page it names, with the server's secret — nothing about the
person. Opening it checks, in order: the signature, the row, revocation, expiry, that the
viewer is still active, and that the page asked for is one the link opens:

- a studio's link ("studio:<id>") opens that studio's pages, any month, while its viewer
  is a union admin or still belongs to that studio: a leader's link, forwarded or not,
  shows that studio and nothing else;
- the union's link ("union", an admin's) opens the union's pages and every studio's;
- "me" opens the viewer's own page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import quote

from domain import DomainError
from storage.models import PAGE_ME, PAGE_STUDIO_PREFIX, PAGE_UNION, ROLE_ADMIN
from storage.queries.report_links import StoredLink, Viewer, add_links, lasting_link, link_by_id
from storage.session import Session

ID_BYTES = 9  # 72 random bits: 12 URL-safe characters
SIGNATURE_BYTES = 16  # of HMAC-SHA256: 22 URL-safe characters
TOKEN_PARAMETER = "k"  # /r/…?k=<id>.<signature>


class LinkRefused(DomainError):
    """A link that does not open the page asked for. Codes: ``bad_link`` (malformed,
    tampered with or unknown: told apart for nobody), ``expired``, ``revoked``, ``left``
    (its viewer is no longer an active member) and ``not_this_page``."""

    code = "bad_link"


class LinkSettings(Protocol):
    """What links need of the configuration (bot.config.Settings has it)."""

    @property
    def public_base_url(self) -> str: ...

    @property
    def report_secret(self) -> str: ...

    @property
    def report_link_lifetime(self) -> timedelta: ...


def studio_page(studio_id: int) -> str:
    return f"{PAGE_STUDIO_PREFIX}{studio_id}"


def studio_path(studio_id: int, month: str) -> str:
    return f"/r/studio/{studio_id}/{month}"


def union_path(month: str) -> str:
    return f"/r/union/{month}"


ME_PATH = "/r/me"


def page_path(page: str, month: str) -> str:
    """Where a link to `page` lands for `month` (the member's own page has no month)."""
    if page.startswith(PAGE_STUDIO_PREFIX):
        return studio_path(int(page[len(PAGE_STUDIO_PREFIX):]), month)
    if page == PAGE_UNION:
        return union_path(month)
    return ME_PATH


@dataclass(frozen=True)
class LinkBook:
    """Signs, mints and checks links with one secret, for one public address."""

    secret: bytes
    base_url: str
    lifetime: timedelta

    @classmethod
    def of(cls, settings: LinkSettings) -> LinkBook:
        return cls(settings.report_secret.encode("utf-8"), settings.public_base_url.rstrip("/"),
                   settings.report_link_lifetime)

    def signature(self, link_id: str, page: str) -> str:
        mac = hmac.new(self.secret, f"{link_id}|{page}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:SIGNATURE_BYTES]).rstrip(b"=").decode("ascii")

    def token(self, link: StoredLink) -> str:
        return f"{link.id}.{self.signature(link.id, link.page)}"

    def url(self, link: StoredLink, path: str) -> str:
        """The address to hand out: `path` on the public address, with the link's token."""
        return f"{self.base_url}{self.href(link, path)}"

    def href(self, link: StoredLink, path: str) -> str:
        """`path` with the link's token, on whatever address the reader is on (the console
        sends its signed-in viewer there)."""
        return f"{path}?{TOKEN_PARAMETER}={quote(self.token(link))}"

    def page_url(self, link: StoredLink, month: str) -> str:
        return self.url(link, page_path(link.page, month))

    def mint(self, viewer_id: int, page: str, origin: str, now: datetime) -> StoredLink:
        """A new link, not yet stored (a job stores it with the push that carries it)."""
        return StoredLink(secrets.token_urlsafe(ID_BYTES), page, viewer_id, origin, now,
                          now + self.lifetime, None)

    async def issue(self, session: Session, viewer_id: int, page: str, origin: str,
                    now: datetime) -> StoredLink:
        """A link for a reply (统计, 我的): one of this viewer's for this page with at least
        half its life ahead, else a new one, stored. Asking twice writes nothing new."""
        found = await lasting_link(session, viewer_id, page, now + self.lifetime / 2)
        if found is not None:
            return found
        link = self.mint(viewer_id, page, origin, now)
        await add_links(session, [link])
        return link

    async def open(self, session: Session, token: str, page: str,
                   now: datetime) -> tuple[StoredLink, Viewer]:
        """The link in `token` and its viewer, if it opens `page` now; LinkRefused if not."""
        link_id, _, signature = token.partition(".")
        if not link_id or not signature or len(token) > 80:
            raise LinkRefused("bad_link")
        found = await link_by_id(session, link_id)
        # A made-up id and a tampered signature look alike from outside.
        if found is None or not hmac.compare_digest(
                signature.encode("ascii", "replace"),
                self.signature(link_id, found[0].page).encode("ascii")):
            raise LinkRefused("bad_link")
        link, viewer = found
        if link.revoked_at is not None:
            raise LinkRefused("revoked")
        if now >= link.expires_at:
            raise LinkRefused("expired")
        if not viewer.active:
            raise LinkRefused("left")
        if not opens(link.page, viewer, page):
            raise LinkRefused("not_this_page")
        return link, viewer


def opens(granted: str, viewer: Viewer, wanted: str) -> bool:
    """Whether a link to `granted`, held by `viewer` as they stand now, opens `wanted`."""
    admin = viewer.role == ROLE_ADMIN
    if granted == PAGE_UNION:
        return admin and (wanted == PAGE_UNION or wanted.startswith(PAGE_STUDIO_PREFIX))
    if granted.startswith(PAGE_STUDIO_PREFIX):
        return wanted == granted and (admin or studio_page(viewer.studio_id or 0) == granted)
    return granted == PAGE_ME == wanted
