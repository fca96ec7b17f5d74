"""A member on the console: their page (studio, role, mentor, WeChat, active or not, latest
records) and the changes the office and the studio's leader make to them — role, studio,
mentor, deactivate and reactivate, a fresh invite code — through domain.members, the rules
the command line uses too, each written to the audit log with the member before and after.

Every change has a confirm step. A change to a value (role, studio, mentor) is picked first
(a GET form), then confirmed: the action's GET page with ``?to=…`` says what will happen and
its button POSTs it. The page offers only what the rules allow the viewer; the rules decide
again on the POST, so a forged form is refused all the same."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

from aiohttp import web

from domain import DomainError, NotAllowed, NotFound, WrongState
from domain.audit import audit
from domain.members import (
    Actor,
    Invited,
    MemberChange,
    PairingRefused,
    actor,
    change_role,
    deactivate,
    issue_invite,
    member,
    members,
    move_member,
    reactivate,
    set_mentor,
)
from locales import pushes
from storage.models import ROLE_ADMIN, ROLE_MEMBER, ROLES
from storage.queries.invites import INVITE_TTL, live_invites
from storage.queries.member_page import member_activity
from storage.queries.members import MemberRecord
from storage.queries.studio_pages import studio_heads
from web.console.registry import CONSOLE, Context, Req

ACTIONS = ("role", "studio", "mentor", "deactivate", "reactivate", "invite")
CHOICES = ("role", "studio", "mentor")  # the changes that take a new value (?to=)
NONE = "none"  # the choice of no studio, or no mentor
DONE = ("role", "studio", "mentor", "deactivate", "reactivate")

# How a refusal answers: the viewer may not (403), or the member's state forbids it now.
FORBIDDEN = ("admins_only",)
# Refusals about the member or the viewer, not the value picked: picking again is no use
# (for a change without a value, every refusal is such).
BLOCKING = ("admins_only", "inactive", "self", "already_active", "admin_mentor")
# The refusals the catalog words (console.member.error.<code>); any other reads as "other".
ERRORS = (*BLOCKING, "last_admin", "mentor_self", "mentor_is_admin", "mentor_inactive",
          "mentor_unknown", "needs_studio", "role_unknown", "studio_not_found", "unchanged",
          "bad_choice")


def refusal(by: Actor, found: MemberRecord, kind: str) -> str | None:
    """Why domain.members would refuse `kind` to `by` (its code), as far as the record tells;
    None: the page offers it. The domain decides again when it is done (the last admin, a
    mentor's own state are its to find)."""
    if not by.admin and (kind in ("role", "studio") or found.role != ROLE_MEMBER):
        return "admins_only"
    if kind == "reactivate":
        return None if not found.active else "already_active"
    if not found.active:
        return "inactive"
    if kind == "deactivate" and found.id == by.member_id:
        return "self"
    if kind == "mentor" and found.role == ROLE_ADMIN:
        return "admin_mentor"
    return None


def offers(by: Actor, found: MemberRecord) -> list[str]:
    """The actions whose buttons the member's page shows to `by`."""
    return [kind for kind in ACTIONS if refusal(by, found, kind) is None]


async def viewer_actor(req: Req) -> Actor:
    """The viewer as domain.members sees them, read now."""
    try:
        return await actor(req.session, req.viewer.member_id)
    except NotAllowed:
        raise web.HTTPForbidden() from None


async def _member(req: Req, by: Actor) -> MemberRecord:
    """The member of the path, if the viewer's scope holds them: otherwise no such page."""
    try:
        return await member(req.session, by, req.path_id())
    except NotFound:
        raise req.not_found() from None


def _pushed_at(req: Req) -> str:
    """A push's time field: the local time of the change."""
    return req.now.astimezone(req.settings.tz).strftime("%Y-%m-%d %H:%M")


@CONSOLE.page("/members/{id}", name="member", template="console/member.html",
              section="studios")
async def member_page(req: Req) -> Context:
    by = await viewer_actor(req)
    found = await _member(req, by)
    invite = (await live_invites(req.session, [found.id], req.now)).get(found.id)
    return {"member": found, "offers": offers(by, found), "invite_until": invite,
            "activity": await member_activity(req.session, found.id, req.viewer.scope),
            "sees_studio": req.viewer.sees_studio(found.studio_id),
            "done": req.arg("done") if req.arg("done") in DONE else "",
            "told": req.arg("told") == "1", "can_push": req.settings.can_push}


# -- the changes -------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    value: str
    label: str


def _current(found: MemberRecord, kind: str) -> str:
    """The member's value for a choice, as its select holds it."""
    if kind == "role":
        return found.role
    value = found.studio_id if kind == "studio" else found.mentor_id
    return NONE if value is None else str(value)


async def _options(req: Req, by: Actor, found: MemberRecord, kind: str) -> list[Option]:
    """What may be picked: the roles, the union's studios, or a mentor among the active
    members of the member's studio (never an admin, never themselves)."""
    if kind == "role":
        return [Option(code, req.t(f"role.{code}")) for code in ROLES]
    if kind == "studio":
        heads = await studio_heads(req.session, scope=None, leaders=False)
        listed = [Option(str(head.id), head.name) for head in heads]
        # Only a union admin sits in no studio (domain.members.move_member).
        return listed + ([Option(NONE, req.t("console.member.no_studio"))]
                         if found.role == ROLE_ADMIN else [])
    mates = [] if found.studio_id is None else await members(
        req.session, by, found.studio_id, active=True)
    listed = [Option(str(m.id), req.t("console.member.option", name=m.name,
                                      employee_no=m.employee_no))
              for m in mates if m.id != found.id and m.role != ROLE_ADMIN]
    return ([Option(NONE, req.t("console.member.no_mentor"))] if found.mentor_id is not None
            else []) + listed


def _page(req: Req, by: Actor, found: MemberRecord, kind: str, **more: Any) -> Context:
    pairs = len(found.apprentice_ids) + (found.mentor_id is not None)
    context: Context = {
        "member": found, "kind": kind, "error": None, "options": [], "to": "", "chosen": None,
        "current": None, "choosing": False, "invited": None, "invite_until": None,
        "pairs": pairs, "ttl_days": INVITE_TTL.days, "can_push": req.settings.can_push,
        "own": found.id == by.member_id} | more
    error = context["error"]
    if error is not None and error not in ERRORS:
        error = context["error"] = "other"
    # A refusal about the member or the viewer rather than the value picked: no form then.
    context["blocked"] = error is not None and (kind not in CHOICES or error in BLOCKING)
    return context


async def _chosen(req: Req, by: Actor, found: MemberRecord, kind: str
                  ) -> tuple[list[Option], Option | None]:
    """The options, and the one `to` names (None: nothing picked, or nothing it may be)."""
    options = await _options(req, by, found, kind)
    to = req.arg("to")
    return options, next((o for o in options if o.value == to), None)


async def _show(req: Req, kind: str) -> Context:
    """GET: what the change will do, with its confirm button; for a value, the form to
    pick it first."""
    by = await viewer_actor(req)
    found = await _member(req, by)
    refused = refusal(by, found, kind)
    if refused is not None:
        return _page(req, by, found, kind, error=refused, status=_status(refused))
    if kind == "invite":
        until = (await live_invites(req.session, [found.id], req.now)).get(found.id)
        return _page(req, by, found, kind, invite_until=until)
    if kind not in CHOICES:
        return _page(req, by, found, kind)
    options, chosen = await _chosen(req, by, found, kind)
    current = _current(found, kind)
    if chosen is None or chosen.value == current:
        error = None if not req.arg("to") else "unchanged" if chosen else "bad_choice"
        return _page(req, by, found, kind, options=options, to=current, choosing=True,
                     error=error, current=_current_label(req, found, kind))
    return _page(req, by, found, kind, options=options, to=chosen.value, chosen=chosen,
                 current=_current_label(req, found, kind))


def _current_label(req: Req, found: MemberRecord, kind: str) -> str:
    """The member's role, studio or mentor now, in words."""
    if kind == "role":
        return req.t(f"role.{found.role}")
    if kind == "studio":
        return found.studio or req.t("console.member.no_studio")
    return found.mentor or "—"


def _status(code: str) -> int:
    return 403 if code in FORBIDDEN else 409


def _number(value: str) -> int | None:
    """A picked studio or member: None for "none"; a number otherwise (ValueError if not)."""
    if value == NONE:
        return None
    if not value.isdigit() or len(value) > 9:
        raise ValueError(value)
    return int(value)


async def _change(req: Req, by: Actor, found: MemberRecord, kind: str) -> MemberChange:
    """Call the rule; raises DomainError, or ValueError for a value that is no choice."""
    to = req.arg("to")
    at = _pushed_at(req)
    if kind == "role":
        if to not in ROLES:
            raise ValueError(to)
        return await change_role(
            req.session, by, found.id, to, now=req.now, today=req.today,
            word=lambda choice, m: pushes.role_changed(choice, name=m.name, role=m.role, at=at))
    if kind == "studio":
        return await move_member(
            req.session, by, found.id, _number(to), now=req.now,
            word=lambda choice, m: pushes.studio_changed(choice, name=m.name,
                                                         studio=m.studio or "", role=m.role,
                                                         at=at))
    if kind == "mentor":
        return await set_mentor(req.session, by, found.id, _number(to), today=req.today)
    if kind == "deactivate":
        return await deactivate(req.session, by, found.id, now=req.now, today=req.today)
    return await reactivate(req.session, by, found.id)


def _record(record: MemberRecord) -> dict[str, Any]:
    return asdict(record)


async def _do(req: Req, kind: str) -> Context | web.StreamResponse:
    """POST: the change, by domain.members' rules, and its audit entry."""
    by = await viewer_actor(req)
    found = await _member(req, by)
    options: list[Option] = []
    if kind in CHOICES:
        options = await _options(req, by, found, kind)
    # On a refusal the form again, what was picked still picked.
    picked = req.arg("to") if any(o.value == req.arg("to") for o in options) \
        else _current(found, kind)
    page = partial(_page, req, by, found, kind, options=options, to=picked,
                   choosing=kind in CHOICES, current=_current_label(req, found, kind))
    try:
        if kind == "invite":
            invited = await issue_invite(req.session, by, found.id, now=req.now)
            await _audit_invite(req, found, invited)
            # Shown once, here: the code is nowhere else on the console, nor in the audit.
            return page(invited=invited, choosing=False)
        change = await _change(req, by, found, kind)
    except ValueError:
        return page(error="bad_choice", status=422)
    except NotFound as missing:
        if missing.code == NotFound.code:
            raise req.not_found() from None
        return page(error=missing.code, status=422)  # the studio or mentor picked
    except (NotAllowed, WrongState, PairingRefused) as refused:
        return page(error=refused.code, status=_status(refused.code))
    except DomainError as refused:
        return page(error=refused.code, status=422)
    if not change.changed:
        return page(error="unchanged", status=409)
    after = _record(change.after)
    # What came with the change, beside the record: for the audit log to say.
    if change.notified:
        after["notified"] = True
    if change.pairs_ended:
        after["pairs_ended"] = list(change.pairs_ended)
    if change.invites_revoked:
        after["invites_revoked"] = change.invites_revoked
    await audit(req.session, req.viewer, f"member.{kind}", subject="member",
                subject_id=found.id, studio_id=_studio_of(change.before, change.after),
                before=_record(change.before), after=after, now=req.now)
    query = {"done": kind, "told": "1" if change.notified else ""}
    return req.redirect(req.url("member", query, id=found.id))


def _studio_of(before: MemberRecord, after: MemberRecord) -> int | None:
    """The studio an entry is filed under (a leader's audit page shows their studio's): the
    one the member was in, or for an admin seated in a studio, that one."""
    return before.studio_id if before.studio_id is not None else after.studio_id


async def _audit_invite(req: Req, found: MemberRecord, invited: Invited) -> None:
    """An invite's entry: when the new code expires and the voided one would have; never
    the code itself (it binds a WeChat account to the member)."""
    await audit(req.session, req.viewer, "member.invite", subject="member",
                subject_id=found.id, studio_id=found.studio_id,
                before={"invite_expires_at": _iso(invited.voided_expiry)},
                after={"invite_expires_at": _iso(invited.expires_at)}, now=req.now)


def _iso(moment: Any) -> str | None:
    return None if moment is None else moment.isoformat()


for _kind in ACTIONS:
    _action = CONSOLE.action(f"/members/{{id}}/{_kind}", name=f"member_{_kind}",
                             template="console/member_action.html", section="studios")
    _action.confirm(partial(_show, kind=_kind))
    _action.perform(partial(_do, kind=_kind))
