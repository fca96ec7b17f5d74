"""Managing members (the console's member pages): a member's role, studio and mentor, whether
they are active, and a fresh invite — one set of rules for every caller; the pair rule is
the roster import's own (storage.queries.mentorship.pairing_refusal).

Who may do what:

- a union admin — or the union office at the command line (:data:`OFFICE`) — anything, to
  anyone in the union;
- a leader, to the plain members of their own studio only: set or clear a mentor (both of
  the pair in the studio), deactivate and reactivate, issue an invite. Roles and studios
  are the admins' (NotAllowed "admins_only"), as is anything done to a leader or an admin;
  a member of another studio is NotFound, exactly as a missing one;
- nobody deactivates themselves (NotAllowed "self"), and the last active admin is neither
  demoted nor deactivated (NotAllowed "last_admin").

What a deactivated member is: someone the union no longer expects anything of. Their WeChat
reads as bound to nobody (no commands, no records, a dialog they were in ended, the openid
kept), nothing is pushed to them (delivery records ``inactive``), no log is expected of them
(the reminders, the digest, the rates count active members only), their mentorship pairs
end and their unused invite codes stop working. Reactivation makes them active again —
their WeChat works as before; pairs that ended stay ended (set the mentor again), a revoked
code stays revoked (issue a fresh one). Changes other than these two are refused while a
member is inactive (WrongState "inactive").

Each change returns the member's record before and after (:class:`MemberChange`, for the
console's audit log); a request that changes nothing returns them equal and tells nobody.
Where the member should hear of it — a new role, another studio — one push is queued, worded
by the caller's callback in the member's language (locales.pushes.role_changed,
studio_changed) and keyed by the change and its moment, so the same request repeated in the
same second queues nothing twice. Members who never bound WeChat are not queued for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from domain import DomainError, NotAllowed, NotFound, WrongState
from storage.models import ROLE_ADMIN, ROLE_LEADER, ROLE_MEMBER, ROLES
from storage.queries.dialogs import clear_member_dialog
from storage.queries.invites import issue_invite as new_invite
from storage.queries.invites import live_invites, revoke_invites
from storage.queries.members import (
    MemberRecord,
    active_admins,
    languages_of,
    member_record,
    member_records,
    set_active,
    set_role,
    set_studio,
    studio_name,
)
from storage.queries.mentorship import (
    MENTOR_UNKNOWN,
    begin_pair,
    end_pairs_of,
    pairing_refusal,
)
from storage.queries.outbox import enqueue_many
from storage.session import Session

# Outbox kinds of the pushes a change causes (templates: WECHAT_TEMPLATE_MEMBER_ROLE, …).
ROLE_KIND = "member-role"
STUDIO_KIND = "member-studio"

# A push in the member's language choice: its text and template fields (locales.pushes).
MemberWording = Callable[[str | None, MemberRecord], tuple[str, dict[str, str] | None]]


@dataclass(frozen=True)
class Actor:
    """Who asks for a change: a leader or an admin of the console, or the union office at
    the command line (no member; an admin's reach)."""

    member_id: int | None
    role: str
    studio_id: int | None

    @property
    def admin(self) -> bool:
        return self.role == ROLE_ADMIN


OFFICE = Actor(None, ROLE_ADMIN, None)


class PairingRefused(NotAllowed):
    """The pair may not be: ``mentor_self``, ``admin_mentor`` (an admin has no mentor),
    ``mentor_is_admin``, ``mentor_inactive`` — the roster import's codes. Facts:
    member_id, mentor_id."""

    code = "pairing_refused"


@dataclass(frozen=True)
class MemberChange:
    """A member before and after a change, and what came with it."""

    action: str  # role, studio, mentor, deactivate, reactivate
    before: MemberRecord
    after: MemberRecord
    notified: bool = False  # a push to the member was queued
    pairs_ended: tuple[int, ...] = ()  # mentorship pairs the change ended
    invites_revoked: int = 0  # unused invite codes that stopped working

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class Invited:
    """A fresh invite code for a member (any earlier unused one stops working)."""

    member: MemberRecord
    code: str
    expires_at: datetime
    voided_expiry: datetime | None  # an earlier code that worked until then now does not


async def actor(session: Session, member_id: int) -> Actor:
    """The console's signed-in member as an Actor, read now (a role changed since sign-in
    counts). NotAllowed unless an active leader or admin."""
    found = await member_record(session, member_id)
    if found is None or not found.active or found.role not in (ROLE_LEADER, ROLE_ADMIN):
        raise NotAllowed(member_id=member_id)
    return Actor(found.id, found.role, found.studio_id)


async def member(session: Session, by: Actor, member_id: int) -> MemberRecord:
    """One member as `by` may see them: NotFound outside a leader's studio."""
    found = await member_record(session, member_id)
    if found is None or (not by.admin and (by.studio_id is None
                                           or found.studio_id != by.studio_id)):
        raise NotFound(member_id=member_id)
    return found


async def members(session: Session, by: Actor, studio_id: int | None = None, *,
                  active: bool | None = None) -> list[MemberRecord]:
    """The members of a studio (an admin may ask for None: the whole union), active or not
    as asked (None: both), by employee number. A leader sees their own studio only
    (NotFound for another)."""
    if not by.admin and (studio_id is None or studio_id != by.studio_id):
        raise NotFound(studio_id=studio_id)
    return await member_records(session, studio_id=studio_id, active=active)


async def _target(session: Session, by: Actor, member_id: int, *,
                  admins_only: bool = False, active: bool = True) -> MemberRecord:
    """The member `by` may change: NotFound outside a leader's reach, NotAllowed
    "admins_only" for a leader asking what only admins may (or about a leader or admin),
    WrongState "inactive" for a deactivated member unless `active` is False."""
    found = await member(session, by, member_id)
    if not by.admin and (admins_only or found.role != ROLE_MEMBER):
        raise NotAllowed("admins_only", member_id=member_id)
    if active and not found.active:
        raise WrongState("inactive", member_id=member_id)
    return found


async def _last_admin(session: Session, found: MemberRecord) -> None:
    if found.role == ROLE_ADMIN and found.active and await active_admins(session) <= 1:
        raise NotAllowed("last_admin", member_id=found.id)


async def _tell(session: Session, kind: str, period: str, record: MemberRecord,
                word: MemberWording, now: datetime) -> bool:
    """Queue one push to the member, in their language, if they bound WeChat."""
    if not record.bound:
        return False
    choice = (await languages_of(session, [record.id])).get(record.id)
    await enqueue_many(session, kind, period, {record.id: word(choice, record)}, now)
    return True


def _moment(now: datetime) -> str:
    """A change's moment in an outbox key: one push per change, however often repeated."""
    return str(int(now.timestamp()))


async def _after(session: Session, member_id: int) -> MemberRecord:
    found = await member_record(session, member_id)
    assert found is not None  # it was there a moment ago, in this transaction
    return found


async def change_role(session: Session, by: Actor, member_id: int, role: str, *,
                      now: datetime, today: date, word: MemberWording) -> MemberChange:
    """Make the member a member, a leader or an admin (admins only), and tell them.

    A new admin's mentorship pairs end (admins take no part in pairs); a member or leader
    needs a studio (WrongState "needs_studio": move them first). Raises DomainError
    "role_unknown" (facts: role), NotFound, NotAllowed ("admins_only", "last_admin"),
    WrongState ("inactive", "needs_studio")."""
    if role not in ROLES:
        raise DomainError("role_unknown", role=role)
    before = await _target(session, by, member_id, admins_only=True)
    if role == before.role:
        return MemberChange("role", before, before)
    if role != ROLE_ADMIN:
        await _last_admin(session, before)
        if before.studio_id is None:
            raise WrongState("needs_studio", member_id=member_id)
    await set_role(session, member_id, role)
    ended = tuple(await end_pairs_of(session, member_id, today)) if role == ROLE_ADMIN else ()
    after = await _after(session, member_id)
    told = await _tell(session, ROLE_KIND, f"{role}@{_moment(now)}", after, word, now)
    return MemberChange("role", before, after, notified=told, pairs_ended=ended)


async def move_member(session: Session, by: Actor, member_id: int, studio_id: int | None, *,
                      now: datetime, word: MemberWording) -> MemberChange:
    """Move the member to another studio (admins only), and tell them. Their records stay
    where they were written (a log keeps its studio) and their pairs stay as they are; a
    leader leads the new studio. None — no studio — only for a union admin (WrongState
    "needs_studio"). Raises NotFound (the member; code "studio_not_found" for the studio),
    NotAllowed "admins_only", WrongState ("inactive", "needs_studio")."""
    before = await _target(session, by, member_id, admins_only=True)
    if studio_id == before.studio_id:
        return MemberChange("studio", before, before)
    name = None
    if studio_id is not None:
        name = await studio_name(session, studio_id)
        if name is None:
            raise NotFound("studio_not_found", studio_id=studio_id)
    elif before.role != ROLE_ADMIN:
        raise WrongState("needs_studio", member_id=member_id)
    await set_studio(session, member_id, studio_id)
    after = await _after(session, member_id)
    told = False
    if name is not None:
        told = await _tell(session, STUDIO_KIND, f"{studio_id}@{_moment(now)}", after, word, now)
    return MemberChange("studio", before, after, notified=told)


async def set_mentor(session: Session, by: Actor, member_id: int, mentor_id: int | None, *,
                     today: date) -> MemberChange:
    """Make `mentor_id` the member's mentor from `today` (their earlier pair as apprentice
    ends), or with None end the pair they have. The pair rule is the roster import's:
    PairingRefused ("mentor_self", "admin_mentor", "mentor_is_admin", "mentor_inactive").
    A leader pairs within their studio: a mentor outside it is NotFound
    (code "mentor_unknown", the roster's, as for a missing one). Raises NotFound,
    NotAllowed "admins_only", WrongState "inactive"."""
    before = await _target(session, by, member_id)
    if mentor_id == before.mentor_id:
        return MemberChange("mentor", before, before)
    if mentor_id is not None:
        mentor = await member_record(session, mentor_id)
        if mentor is None or (not by.admin and mentor.studio_id != by.studio_id):
            raise NotFound(MENTOR_UNKNOWN, member_id=member_id, mentor_id=mentor_id)
        refusal = pairing_refusal(same_person=mentor_id == member_id,
                                  apprentice_role=before.role, mentor_role=mentor.role,
                                  mentor_active=mentor.active)
        if refusal is not None:
            raise PairingRefused(refusal, member_id=member_id, mentor_id=mentor_id)
    ended = tuple(await end_pairs_of(session, member_id, today, as_mentor=False))
    if mentor_id is not None:
        await begin_pair(session, mentor_id, member_id, today)
    return MemberChange("mentor", before, await _after(session, member_id), pairs_ended=ended)


async def deactivate(session: Session, by: Actor, member_id: int, *, now: datetime,
                     today: date) -> MemberChange:
    """The member is no longer active (what that means: the module's docstring): their
    pairs end as of `today` and their unused invite codes stop working. Raises NotFound,
    NotAllowed ("admins_only", "self", "last_admin")."""
    before = await _target(session, by, member_id, active=False)
    if not before.active:
        return MemberChange("deactivate", before, before)
    if member_id == by.member_id:
        raise NotAllowed("self", member_id=member_id)
    await _last_admin(session, before)
    await set_active(session, member_id, False)
    ended = tuple(await end_pairs_of(session, member_id, today))
    revoked = await revoke_invites(session, member_id, now)
    await clear_member_dialog(session, member_id)
    return MemberChange("deactivate", before, await _after(session, member_id),
                        pairs_ended=ended, invites_revoked=revoked)


async def reactivate(session: Session, by: Actor, member_id: int) -> MemberChange:
    """The member is active again: their WeChat (if still bound) works as before, pushes
    and reminders reach them. Ended pairs and revoked codes stay so. Raises NotFound,
    NotAllowed "admins_only"."""
    before = await _target(session, by, member_id, active=False)
    if before.active:
        return MemberChange("reactivate", before, before)
    await set_active(session, member_id, True)
    return MemberChange("reactivate", before, await _after(session, member_id))


async def issue_invite(session: Session, by: Actor, member_id: int, *,
                       now: datetime) -> Invited:
    """A fresh invite code for the member (valid storage.queries.invites.INVITE_TTL); an
    earlier unused code stops working, and when it still worked its expiry is returned so
    the caller can say a handed-out slip is void. A bound member's code moves them to the
    WeChat that redeems it. Raises NotFound, NotAllowed "admins_only", WrongState
    "inactive"."""
    found = await _target(session, by, member_id)
    earlier = (await live_invites(session, [member_id], now)).get(member_id)
    invite = await new_invite(session, member_id, now)
    return Invited(found, invite.code, invite.expires_at, earlier)
