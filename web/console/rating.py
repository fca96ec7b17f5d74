"""星级评定: the office's rounds — a round's sheet (each studio's automatic points, each manual
item's mean and the experts' spread, the total and the stars it earns), its objections, 公示
and the decision — and a leader's side: the studio's standing with the shortest way up (the
same lines as 评星), its application, and 申报 on the web.

Every rule is domain.rating's, as the chat and `workshop-bot rating …` call it; the pushes
are worded by domain.rating_words, as the command line words them. Each action writes an
audit entry in its transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from domain import DomainError, NotFound, TooLong, WrongState
from domain.audit import audited
from domain.console import Viewer
from domain.rating import (
    MAX_EVIDENCE,
    MAX_OBJECTION_DAYS,
    AlreadyApplied,
    ApplicationForm,
    Entry,
    InPublicity,
    ItemResult,
    NoRound,
    NoRubric,
    OverPoints,
    PastDeadline,
    RoundView,
    SelfAssessment,
    Sheet,
    Unscored,
    application_for,
    application_form,
    apply,
    check_evidence,
    check_self,
    finalise,
    objections,
    publish,
    round_sheet,
    rounds,
    standing,
    studio_rating,
)
from domain.rating_words import (
    decision_wording,
    gap_line,
    item_line,
    number,
    pending_line,
    publicity_wording,
    score_line,
    standing_head,
    step_lines,
    until_word,
)
from storage.models import ROLE_ADMIN, ROLE_LEADER, RatingApplication, RatingRound
from storage.queries import rating as store
from storage.queries.audit import snapshot
from storage.queries.sender import MemberView
from web.console.registry import CONSOLE, Context, Req
from web.console.review import measured, points_typed

OFFICE = (ROLE_ADMIN,)
LEADERS = (ROLE_LEADER,)
# The 公示 the confirm page proposes: a working week; the office may set 1 … 60 days.
DEFAULT_OBJECTION_DAYS = 5


def as_member(viewer: Viewer) -> MemberView:
    """The viewer as domain.rating's rules take a member: who they are, their role and
    studio (the rules read nothing else of it)."""
    return MemberView(viewer.member_id, "", viewer.name, viewer.role, viewer.studio_id,
                      viewer.studio_name, None, viewer.language)


# -- a studio's standing: the studio page's section and the leader's 星级评定 ------------


async def standing_section(req: Req, studio_id: int) -> Context | None:
    """What the studio page shows of the studio's rating: its standing in the very lines of
    评星, and the round under way with the studio's application. None before the union
    has a rubric."""
    try:
        s = await standing(req.session, studio_id, now=req.now, tz=req.settings.tz)
    except NoRubric:
        return None
    words = req.words
    application = None
    if s.round is not None:
        application = await store.application_of(req.session, s.round.id, studio_id)
    own = req.viewer.role == ROLE_LEADER and req.viewer.studio_id == studio_id
    return {"head": standing_head(words, s), "score": score_line(words, s),
            "pending": pending_line(words, s), "gap": gap_line(words, s),
            "steps": step_lines(words, s), "items_title": words("rating.standing.items"),
            "item_lines": [(item_line(words, i), i.earned is None) for i in s.items],
            "stars": s.stars, "round": s.round,
            "application_id": application.id if application is not None else None,
            "may_apply": own and application is None and s.round is not None
            and s.round.takes_applications(req.today)}


@dataclass(frozen=True)
class RoundLine:
    round: RoundView
    applications: int


@CONSOLE.page("/rating", name="rating", template="console/rating.html",
              nav="console.nav.rating", order=80, roles=(ROLE_ADMIN, ROLE_LEADER))
async def rating_page(req: Req) -> Context:
    """The office: every round; a leader: the studio's standing, application and stars."""
    if req.viewer.is_admin:
        return {"office": True, "rounds": [
            RoundLine(r, len(await store.applications_of(req.session, r.id)))
            for r in await rounds(req.session)]}
    studio_id = req.viewer.studio_id
    assert studio_id is not None  # a leader signs in only with a studio
    return {"office": False, "rating": await standing_section(req, studio_id),
            "record": await studio_rating(req.session, studio_id)}


# -- a round's sheet (the office) ------------------------------------------------------


@dataclass(frozen=True)
class ItemLine:
    """A manual item of an application on the sheet: the mean and the experts' range."""

    result: ItemResult
    low: float | None
    high: float | None


def _item_lines(entry: Entry) -> list[ItemLine]:
    lines = []
    for r in entry.items:
        if r.answer.item.automatic:
            continue
        points = [s.points for s in r.scores]
        lines.append(ItemLine(r, min(points) if points else None,
                              max(points) if points else None))
    return lines


async def _sheet_of(req: Req, round_id: int) -> Sheet:
    try:
        return await round_sheet(req.session, round_id, viewer=as_member(req.viewer))
    except NotFound:
        raise req.not_found() from None


@CONSOLE.page("/rating/rounds/{id}", name="rating_round", template="console/rating_round.html",
              section="rating", roles=OFFICE)
async def round_page(req: Req) -> Context:
    round_id = req.path_id()
    sheet = await _sheet_of(req, round_id)
    manual = sum(1 for i in sheet.rubric.items if not i.automatic)
    scored: dict[int, int] = {}
    for entry in sheet.entries:
        for r in entry.items:
            for s in r.scores:
                scored[s.expert_id] = scored.get(s.expert_id, 0) + 1
    return {"sheet": sheet, "round": sheet.round,
            "entries": [(e, _item_lines(e)) for e in sheet.entries],
            "experts": [(p, scored.get(p.id, 0)) for p in sheet.experts],
            "to_score": manual * len(sheet.entries),
            "objections": await objections(req.session, round_id, viewer=as_member(req.viewer)),
            "until": (until_word(req.words, req.settings.tz, sheet.round.objection_until)
                      if sheet.round.objection_until else None),
            "in_publicity": sheet.round.in_publicity(req.now), "done": req.arg("done")}


# -- 公示 and the decision ---------------------------------------------------------------

publish_round = CONSOLE.action("/rating/rounds/{id}/publish", name="rating_publish",
                               template="console/rating_publish.html", section="rating",
                               roles=OFFICE)


async def _publish_page(req: Req, **more: object) -> Context:
    round_id = req.path_id()
    sheet = await _sheet_of(req, round_id)
    leaders = await store.reachable_leaders(req.session)
    members = await store.reachable_members(req.session)
    return {"sheet": sheet, "round": sheet.round,
            "counts": {n: sum(1 for e in sheet.entries if e.stars == n) for n in (3, 2, 1, 0)},
            "unscored": [(e.studio, e.unscored) for e in sheet.entries if e.unscored],
            "leaders": sum(len(m) for m in leaders.values()),
            "members": sum(len(m) for m in members.values()),
            "days": DEFAULT_OBJECTION_DAYS, "most_days": MAX_OBJECTION_DAYS,
            "all_members": False, "can_push": req.settings.can_push, "error": None,
            "facts": {}} | more


@publish_round.confirm
async def publish_confirm(req: Req) -> Context:
    return await _publish_page(req)


@publish_round.perform
async def publish_do(req: Req) -> Context | web.StreamResponse:
    round_id = req.path_id()
    await _sheet_of(req, round_id)  # the office's: 404 for anyone else
    days = req.int_arg("days")
    every = req.arg("all_members") == "1"
    if days is None or not 1 <= days <= MAX_OBJECTION_DAYS:
        return await _publish_page(req, error="days", days=req.arg("days")[:4],
                                   all_members=every, status=422)
    before = await snapshot(req.session, RatingRound, round_id)
    try:
        await publish(req.session, round_id, objection_days=days, all_members=every,
                      now=req.now, tz=req.settings.tz, word=publicity_wording(req.settings.tz))
    except Unscored:
        return await _publish_page(req, error="unscored", days=days, all_members=every,
                                   status=409)
    except WrongState as refused:
        return await _publish_page(req, error=refused.code, days=days, all_members=every,
                                   status=409)
    await audited(req.session, req.viewer, "rating.publish", RatingRound, round_id,
                  subject="rating_round", studio_id=None, now=req.now, before=before)
    return req.redirect(req.url("rating_round", {"done": "published"}, id=round_id))


finalise_round = CONSOLE.action("/rating/rounds/{id}/finalise", name="rating_finalise",
                                template="console/rating_finalise.html", section="rating",
                                roles=OFFICE)


async def _finalise_page(req: Req, **more: object) -> Context:
    sheet = await _sheet_of(req, req.path_id())
    r = sheet.round
    return {"sheet": sheet, "round": r, "in_publicity": r.in_publicity(req.now),
            "until": until_word(req.words, req.settings.tz, r.objection_until)
            if r.objection_until else None,
            "objections": len(await objections(req.session, r.id,
                                               viewer=as_member(req.viewer))),
            "error": None} | more


@finalise_round.confirm
async def finalise_confirm(req: Req) -> Context:
    return await _finalise_page(req)


@finalise_round.perform
async def finalise_do(req: Req) -> Context | web.StreamResponse:
    round_id = req.path_id()
    await _sheet_of(req, round_id)
    before = await snapshot(req.session, RatingRound, round_id)
    try:
        await finalise(req.session, round_id, now=req.now,
                       word=decision_wording(req.settings.tz, req.now))
    except InPublicity:
        return await _finalise_page(req, error="in_publicity", status=409)
    except WrongState as refused:
        return await _finalise_page(req, error=refused.code, status=409)
    await audited(req.session, req.viewer, "rating.finalise", RatingRound, round_id,
                  subject="rating_round", studio_id=None, now=req.now, before=before)
    return req.redirect(req.url("rating_round", {"done": "finalised"}, id=round_id))


# -- an application (the office; a leader: their studio's) -----------------------------


@CONSOLE.page("/rating/applications/{id}", name="rating_application",
              template="console/rating_application.html", section="rating",
              roles=(ROLE_ADMIN, ROLE_LEADER))
async def application_page(req: Req) -> Context:
    try:
        a = await application_for(req.session, as_member(req.viewer), req.path_id())
    except NotFound:
        raise req.not_found() from None
    entry = None
    if req.viewer.is_admin:  # the experts' scores are the office's (and the experts')
        sheet = await round_sheet(req.session, a.round.id, viewer=as_member(req.viewer))
        entry = next((e for e in sheet.entries if e.application_id == a.id), None)
    results = {r.answer.item.code: r for r in entry.items} if entry is not None else {}
    return {"a": a, "round": a.round, "entry": entry, "results": results,
            "manual": [answer for answer in a.answers if not answer.item.automatic],
            "automatic": measured(req.words, a.answers),
            "done": req.arg("done")}


# -- 申报 on the web (a leader) ------------------------------------------------------------

apply_action = CONSOLE.action("/rating/apply", name="rating_apply",
                              template="console/rating_apply.html", section="rating",
                              roles=LEADERS)

# Why a studio cannot apply now, by the rule that refused it.
_REFUSALS: tuple[tuple[type[DomainError], str], ...] = (
    (PastDeadline, "past_deadline"), (AlreadyApplied, "already"), (NoRound, "no_round"))


def _refusal(error: DomainError) -> Context:
    code = next((name for kind, name in _REFUSALS if isinstance(error, kind)), "no_round")
    return {"refused": code, "facts": error.facts, "form": None}


@dataclass(frozen=True)
class Typed:
    """A manual item of the form as typed, with what is wrong with it."""

    index: int
    points: str
    evidence: str
    value: float | None
    error: str | None


def _typed(req: Req, form: ApplicationForm) -> list[Typed]:
    typed = []
    for n, item in enumerate(form.manual):
        points = req.arg(f"points-{n}")[:20]
        evidence = req.arg(f"evidence-{n}")[:MAX_EVIDENCE * 2]
        value = points_typed(points) if points else None
        error = "not_a_number" if points and value is None else None
        try:
            check_self(item, value)
            check_evidence(evidence)
        except OverPoints:
            error = "over_points"
        except TooLong:
            error = "too_long"
        typed.append(Typed(n, points, evidence, value, error))
    return typed


def _apply_page(form: ApplicationForm, typed: list[Typed] | None, **more: object) -> Context:
    return {"refused": None, "facts": {}, "form": form,
            "typed": typed or [Typed(n, "", "", None, None) for n in range(len(form.manual))],
            "confirming": False, "max_evidence": MAX_EVIDENCE, "error": None,
            "self_total": number(sum(t.value or 0.0 for t in typed or []))} | more


@apply_action.confirm
async def apply_form(req: Req) -> Context:
    try:
        form = await application_form(req.session, as_member(req.viewer), now=req.now,
                                       tz=req.settings.tz)
    except (NoRound, PastDeadline, AlreadyApplied) as refused:
        return _refusal(refused)
    return _apply_page(form, None)


@apply_action.perform
async def apply_do(req: Req) -> Context | web.StreamResponse:
    member = as_member(req.viewer)
    try:
        form = await application_form(req.session, member, now=req.now, tz=req.settings.tz)
    except (NoRound, PastDeadline, AlreadyApplied) as refused:
        return _refusal(refused) | {"status": 409}
    typed = _typed(req, form)
    if any(t.error for t in typed):
        return _apply_page(form, typed, error="items", status=422)
    if req.arg("confirm") != "1" or req.arg("edit") == "1":
        # What will be sent, for the leader to confirm (or, 修改, the form again).
        return _apply_page(form, typed, confirming=req.arg("edit") != "1")
    try:
        done = await apply(req.session, member, round_id=form.round.id,
                           answers=[SelfAssessment(item.code, t.value, t.evidence or None)
                                    for item, t in zip(form.manual, typed, strict=True)],
                           now=req.now, tz=req.settings.tz)
    except (NoRound, PastDeadline, AlreadyApplied) as refused:
        return _refusal(refused) | {"status": 409}
    except DomainError:  # the round moved on under the form
        return _apply_page(form, typed, error="round_changed", status=409)
    await audited(req.session, req.viewer, "rating.apply", RatingApplication, done.id,
                  subject="rating_application", studio_id=done.studio_id, now=req.now,
                  before=None)
    return req.redirect(req.url("rating_application", {"done": "applied"}, id=done.id))
