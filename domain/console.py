"""Who may use the web console, and how: one-time sign-in links, sessions, the viewer's scope.

- Union admins and studio leaders may sign in, and so may the experts of a rating round
  under way (open or in its 公示), to score (domain.rating); other members may not
  (NotAllowed).
- A link (`后台` in WeChat, `workshop-bot login-link`) works once, within LINK_TTL.
- Opening it starts a session, always a new one (the browser's earlier session, if any, is
  ended: a new session id at every sign-in). A session ends after SESSION_IDLE without a
  request, on 退出, when the operator revokes it, or as soon as its member may no longer
  sign in (no longer an active admin or leader, their round finalised).
- Links and sessions are random tokens; only their SHA-256 is stored.
- What a viewer sees: an admin the whole union (scope None), a leader their studio, an
  expert the 评审 pages of their rounds. A page names the capabilities it is for (the
  roles admin and leader, and EXPERT); the viewer has those it qualifies for.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain import DomainError, NotAllowed, NotFound
from storage.models import ROLE_ADMIN, ROLE_LEADER, Member
from storage.queries import console_sessions as store
from storage.queries.audit import add_audit
from storage.queries.invites import member_by_employee_no
from storage.queries.proposals import member_name
from storage.session import Session

LINK_TTL = timedelta(minutes=10)
# Where a link leads, after the service's address: the console's sign-in page.
LOGIN_PATH = "/console/login/"
SESSION_IDLE = timedelta(hours=12)
# A session's last request is written at most this often: reading a page stays a read.
TOUCH_EVERY = timedelta(minutes=5)
CONSOLE_ROLES = (ROLE_ADMIN, ROLE_LEADER)
# Not a member's role but a capability: scoring a rating round as one of its experts.
EXPERT = "expert"
# Every capability: what a page for anyone signed in (退出) declares.
ANYONE = (*CONSOLE_ROLES, EXPERT)
TOKEN_BYTES = 32  # 256 random bits: not guessable, whatever the rate limit


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What is stored of a token: a copy of the database signs nobody in."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class LinkRefused(DomainError):
    """A sign-in link that does not sign in; code: unknown (no such link: mistyped, cut
    short, or from elsewhere), used, expired, not_allowed (its member may no longer use
    the console)."""

    code = "unknown"


@dataclass(frozen=True)
class Viewer:
    """Who is looking at the console, and what they may see."""

    session_id: int
    member_id: int
    name: str
    role: str
    studio_id: int | None
    studio_name: str | None
    language: str | None
    expert: bool = False  # an expert of a rating round under way

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN

    @property
    def capabilities(self) -> frozenset[str]:
        """What the viewer may use the console as: their role, where it qualifies (a leader
        of no studio sees no studio), and EXPERT while they are one."""
        held = {self.role} if _may_sign_in(self.role, True, self.studio_id, False) else set()
        return frozenset(held | ({EXPERT} if self.expert else set()))

    def may(self, roles: frozenset[str]) -> bool:
        """Whether a page for `roles` (roles and capabilities) is the viewer's."""
        return bool(self.capabilities & roles)

    @property
    def title(self) -> str:
        """The catalog key of what the viewer is here as: their role, or 评审专家 for a
        member who is in only as an expert."""
        if self.capabilities == {EXPERT}:
            return "console.role.expert"
        return f"role.{self.role}"

    @property
    def scope(self) -> int | None:
        """The studio every query is narrowed to: None for an admin (the whole union)."""
        return None if self.is_admin else self.studio_id

    def sees_studio(self, studio_id: int | None) -> bool:
        return self.is_admin or (studio_id is not None and studio_id == self.studio_id)


def _may_sign_in(role: str, active: bool, studio_id: int | None, expert: bool) -> bool:
    # A leader without a studio would see nothing: refused like a member (unless an expert).
    return active and (role == ROLE_ADMIN or (role == ROLE_LEADER and studio_id is not None)
                       or expert)


@dataclass(frozen=True)
class IssuedLink:
    token: str
    expires_at: datetime
    member_id: int
    name: str


async def issue_link(session: Session, member_id: int, *, via: str, now: datetime) -> IssuedLink:
    """A fresh one-time link for an admin, a leader or an expert of a round under way
    (NotAllowed for anyone else)."""
    member = await session.get(Member, member_id)
    if member is None:
        raise NotFound(id=member_id)
    if not _may_sign_in(member.role, member.active, member.studio_id,
                        await store.reviewing(session, member.id)):
        raise NotAllowed(role=member.role)
    token = new_token()
    expires = now + LINK_TTL
    await store.add_link(session, token_hash=token_hash(token), member_id=member.id, via=via,
                         now=now, expires_at=expires)
    return IssuedLink(token, expires, member.id, member.name)


async def issue_link_for(session: Session, employee_no: str, *, via: str,
                         now: datetime) -> IssuedLink:
    """issue_link for the member with this employee number (NotFound: no such member)."""
    member = await member_by_employee_no(session, employee_no)
    if member is None:
        raise NotFound(employee_no=employee_no)
    return await issue_link(session, member.id, via=via, now=now)


@dataclass(frozen=True)
class Started:
    """A session just started: its token goes into the browser's cookie."""

    token: str
    viewer: Viewer


async def check_link(session: Session, token: str, now: datetime) -> int:
    """The link's id if it would sign in now (nothing is changed); LinkRefused otherwise."""
    link = await store.link_by_hash(session, token_hash(token)) if token else None
    if link is None:
        raise LinkRefused("unknown")
    if link.used_at is not None:
        raise LinkRefused("used")
    if link.expires_at <= now:
        raise LinkRefused("expired")
    return link.id


async def redeem_link(session: Session, token: str, *, now: datetime,
                      replacing: str | None = None) -> Started:
    """Sign in with a link: it is used up, and a new session starts (`replacing`: the token
    of the browser's session before, which ends). Raises LinkRefused."""
    link_id = await check_link(session, token, now)
    if not await store.use_link(session, link_id, now):
        raise LinkRefused("used")  # opened twice at once: the other one won
    link = await store.link_by_hash(session, token_hash(token))
    assert link is not None
    if replacing:
        earlier = await store.session_by_hash(session, token_hash(replacing))
        if earlier is not None and earlier.ended_at is None:
            await store.end_session(session, earlier.session_id, now, "replaced")
    fresh = new_token()
    session_id = await store.add_session(session, token_hash=token_hash(fresh),
                                         member_id=link.member_id, link_id=link.id, now=now)
    found = await store.session_by_hash(session, token_hash(fresh))
    assert found is not None
    if not _may_sign_in(found.role, found.active, found.studio_id, found.expert):
        # The member's role changed since the link was made. The caller's transaction rolls
        # back on this error, so the link is not spent: it would still sign in within its 10
        # minutes only if the member were a leader or admin again by then.
        await store.end_session(session, session_id, now, "not_allowed")
        raise LinkRefused("not_allowed")
    viewer = _viewer(found)
    await add_audit(session, at=now, actor_id=viewer.member_id, action="session.start",
                    subject="session", subject_id=session_id, studio_id=viewer.studio_id,
                    before=None, after={"link_id": link.id, "via": link.via})
    return Started(fresh, viewer)


def _viewer(found: store.SessionMember) -> Viewer:
    return Viewer(session_id=found.session_id, member_id=found.member_id, name=found.name,
                  role=found.role, studio_id=found.studio_id, studio_name=found.studio_name,
                  language=found.language, expert=found.expert)


@dataclass(frozen=True)
class Visit:
    """A request's session: who it is, and whether its last-seen time is due a write."""

    viewer: Viewer
    stale: bool


async def visit(session: Session, token: str, now: datetime) -> Visit | None:
    """The session behind a browser's cookie, if it still holds: not ended, not idle for
    SESSION_IDLE, its member still one who may sign in. Reads only."""
    found = await store.session_by_hash(session, token_hash(token)) if token else None
    if found is None or found.ended_at is not None:
        return None
    if now - found.last_seen_at >= SESSION_IDLE:
        return None
    if not _may_sign_in(found.role, found.active, found.studio_id, found.expert):
        return None
    return Visit(_viewer(found), stale=now - found.last_seen_at >= TOUCH_EVERY)


async def touch(session: Session, session_id: int, now: datetime) -> None:
    await store.touch_session(session, session_id, now)


async def sign_out(session: Session, viewer: Viewer, now: datetime) -> None:
    """退出: the session ends."""
    if await store.end_session(session, viewer.session_id, now, "signed_out"):
        await add_audit(session, at=now, actor_id=viewer.member_id, action="session.end",
                        subject="session", subject_id=viewer.session_id,
                        studio_id=viewer.studio_id, before=None, after={"reason": "signed_out"})


async def revoke(session: Session, session_id: int, now: datetime) -> str | None:
    """The operator ends a session (`workshop-bot sessions revoke`): the name of whose it
    was, or None when there is no such open session."""
    member_id = await store.session_member_id(session, session_id)
    if member_id is None or not await store.end_session(session, session_id, now, "revoked"):
        return None
    await add_audit(session, at=now, actor_id=None, action="session.revoke", subject="session",
                    subject_id=session_id, studio_id=None, before=None,
                    after={"reason": "revoked", "member_id": member_id})
    return await member_name(session, member_id)
