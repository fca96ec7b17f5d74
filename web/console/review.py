"""评审: an expert's pages — the rounds they are an expert of, a round's applications, and one
application with the studio's self-assessment, its evidence and photos, the automatic items
frozen when it applied, and a form per manual item to score it (domain.rating.score, the
function `rating score` calls, with an audit entry).

Until the round is published each expert sees only their own scores (domain.rating's
expert_sheet decides); after that, every expert's, and no form.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from aiohttp import web

from domain import DomainError, NotFound, TooLong, WrongState
from domain.audit import audit
from domain.console import EXPERT
from domain.rating import (
    MAX_COMMENT,
    Answer,
    ExpertApplication,
    ExpertItem,
    OverPoints,
    RoundView,
    expert_rounds,
    expert_sheet,
    score,
)
from domain.rating_words import number, value_text
from locales import Words
from web.console.registry import CONSOLE, Context, Req

EXPERTS = (EXPERT,)
# A score as typed: digits with at most two decimals (after full width is folded).
_POINTS = re.compile(r"^\d{1,4}(?:\.\d{1,2})?$")


def points_typed(text: str) -> float | None:
    """A typed score (１８, 17.5); None when it is no such number."""
    folded = unicodedata.normalize("NFKC", text).strip()
    return float(folded) if _POINTS.match(folded) else None


async def _sheet(req: Req, round_id: int) -> list[ExpertApplication]:
    try:
        return await expert_sheet(req.session, round_id, req.viewer.member_id)
    except NotFound:  # not an expert of this round, or no such round: alike
        raise req.not_found() from None


def _progress(sheet: Sequence[ExpertApplication]) -> tuple[int, int]:
    """(items this expert has scored, items to score) over a round's applications."""
    return sum(a.scored for a in sheet), sum(len(a.items) for a in sheet)


@CONSOLE.page("/review", name="review", template="console/review_rounds.html",
              nav="console.nav.review", order=81, roles=EXPERTS)
async def rounds(req: Req) -> Context:
    lines = []
    for r in await expert_rounds(req.session, req.viewer.member_id):
        sheet = await _sheet(req, r.id)
        done, items = _progress(sheet)
        lines.append({"round": r, "applications": len(sheet), "done": done, "to_score": items})
    return {"rounds": lines}


@CONSOLE.page("/review/rounds/{round}", name="review_round",
              template="console/review_round.html", section="review", roles=EXPERTS)
async def round_page(req: Req) -> Context:
    round_id = req.path_id("round")
    sheet = await _sheet(req, round_id)
    found = await _round(req, round_id)
    done, items = _progress(sheet)
    return {"round": found, "sheet": sheet, "done": done, "to_score": items}


async def _round(req: Req, round_id: int) -> RoundView:
    for r in await expert_rounds(req.session, req.viewer.member_id):
        if r.id == round_id:
            return r
    raise req.not_found()


async def _application(req: Req) -> tuple[RoundView, ExpertApplication]:
    round_id = req.path_id("round")
    application_id = req.path_id()
    for a in await _sheet(req, round_id):
        if a.application.id == application_id:
            return a.application.round, a
    raise req.not_found()


def _item(req: Req, application: ExpertApplication) -> ExpertItem:
    code = req.request.match_info.get("code", "")
    for item in application.items:
        if item.answer.item.code == code:
            return item
    raise req.not_found()


def measured(words: Words, answers: Sequence[Answer]) -> list[tuple[Answer, str]]:
    """The automatic items of an application with what they measured, for a table's column:
    the chat's words for the value (rating.value.*) without the brackets they stand in
    after an item's points there."""
    return [(a, value_text(words, a.item, a.value).strip().strip("（）() "))
            for a in answers if a.item.automatic]


def _page(req: Req, round_: RoundView, application: ExpertApplication,
          **more: object) -> Context:
    return {"round": round_, "a": application.application, "items": application.items,
            "scored": application.scored,
            "automatic": measured(req.words, application.application.answers),
            "max_comment": MAX_COMMENT, "number": number, "done": req.arg("done"),
            "error": None, "typed": {}, "facts": {}, "anchor": _anchor} | more


@CONSOLE.page("/review/rounds/{round}/applications/{id}", name="review_application",
              template="console/review_application.html", section="review", roles=EXPERTS)
async def application_page(req: Req) -> Context:
    round_, application = await _application(req)
    return _page(req, round_, application)


score_item = CONSOLE.action("/review/rounds/{round}/applications/{id}/items/{code}",
                            name="review_score", template="console/review_score.html",
                            section="review", roles=EXPERTS)


@score_item.confirm
async def score_form(req: Req) -> Context:
    """One item's form on a page of its own (where a refused score is shown again)."""
    round_, application = await _application(req)
    return _page(req, round_, application, item=_item(req, application))


@score_item.perform
async def score_do(req: Req) -> Context | web.StreamResponse:
    round_, application = await _application(req)
    item = _item(req, application)
    typed = {"points": req.arg("points")[:20], "comment": req.arg("comment")[:MAX_COMMENT * 2]}
    points = points_typed(typed["points"])

    def refused(error: str, status: int, **facts: object) -> Context:
        return _page(req, round_, application, item=item, error=error, typed=typed,
                     facts=facts, status=status)

    if points is None:
        return refused("not_a_number", 422, most=number(item.answer.item.points))
    code = item.answer.item.code
    try:
        done = await score(req.session, round_id=round_.id,
                           application_id=application.application.id, code=code,
                           expert_id=req.viewer.member_id, points=points,
                           comment=typed["comment"], now=req.now)
    except OverPoints:
        return refused("over_points", 422, most=number(item.answer.item.points),
                       points=number(points))
    except TooLong:
        return refused("too_long", 422, limit=MAX_COMMENT)
    except WrongState:  # published since the page was shown
        return refused("closed", 409)
    except NotFound:
        raise req.not_found() from None
    except DomainError:
        return refused("other", 422)
    before = ({"item": code, "points": item.mine.points, "comment": item.mine.comment}
              if item.mine is not None else None)
    # No studio on the entry: the trail a leader reads of their studio must not show the
    # experts' scores (the office reads them all).
    await audit(req.session, req.viewer, "rating.score", subject="rating_application",
                subject_id=done.application_id, studio_id=None, before=before,
                after={"item": code, "points": done.points,
                       "comment": (typed["comment"].strip() or None)}, now=req.now)
    return req.redirect(req.url("review_application", {"done": code}, round=round_.id,
                                id=application.application.id) + f"#item-{_anchor(code)}")


def _anchor(code: str) -> str:
    """An item's 编号 as a fragment identifier (编号 are the union's: anything may be in them)."""
    return re.sub(r"[^\w-]", "_", code)
