"""留言 (admins): the members' questions to the union office, filtered by state; answering
one (the form, then the push as the member will read it, then confirm) and promoting an
answered one into the policy FAQ (confirm). The rules are domain.questions' — what
`workshop-bot questions` calls — and the answer's push is locales.pushes.question_answer's,
queued in the outbox and sent at once (the app nudges delivery after every action). Each
action writes an audit entry."""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime

from aiohttp import web

from domain import NotFound, TooLong, WrongState
from domain.audit import audited
from domain.faq_file import MAX_QUESTION_CHARS
from domain.questions import MAX_ANSWER, AnswerWording, answer, promote, questions
from locales import pushes
from storage.models import ROLE_ADMIN, Question
from storage.queries.audit import snapshot
from storage.queries.members import languages_of
from storage.queries.questions import (
    QUESTION_OPEN,
    QUESTION_PROMOTED,
    QUESTION_STATES,
    QuestionView,
    question,
)
from web.console.registry import CONSOLE, Context, Req

ADMINS = (ROLE_ADMIN,)
PAGE_SIZE = 50
ALL = "all"
DONE_NOTES = ("answered", "promoted")


@CONSOLE.page("/questions", name="questions", template="console/questions.html",
              nav="console.nav.questions", order=75, roles=ADMINS)
async def questions_page(req: Req) -> Context:
    # Unanswered ones first: the page is the office's inbox.
    state = req.arg("state", QUESTION_OPEN)
    state = state if state in (*QUESTION_STATES, ALL) else QUESTION_OPEN
    found = await questions(req.session)
    counts = Counter(q.state for q in found)
    shown = found if state == ALL else [q for q in found if q.state == state]
    if state != QUESTION_OPEN:
        # What waits is read oldest first; what was done, latest first.
        shown.reverse()
    pages = max(1, math.ceil(len(shown) / PAGE_SIZE))
    page = min(max(1, req.int_arg("page") or 1), pages)
    done = req.arg("done")
    return {"state": state, "states": (*QUESTION_STATES, ALL),
            "counts": {s: counts.get(s, 0) for s in QUESTION_STATES} | {ALL: len(found)},
            "rows": shown[(page - 1) * PAGE_SIZE:page * PAGE_SIZE], "page": page,
            "pages": pages, "done": done if done in DONE_NOTES else None,
            "done_id": req.int_arg("id"), "done_entry": req.int_arg("entry"),
            "state_url": lambda s: req.url("questions", {"state": s}),
            "page_url": lambda n: req.url("questions", {"state": state, "page": n})}


async def _question(req: Req) -> QuestionView:
    found = await question(req.session, req.path_id())
    if found is None:
        raise req.not_found()
    return found


def _wording(req: Req, at: datetime) -> AnswerWording:
    """The answer's push for the asker's language choice, with the time of the answer in
    the union's time zone (as `workshop-bot questions answer` words it)."""
    moment = at.astimezone(req.settings.tz).strftime("%Y-%m-%d %H:%M")

    def word(choice: str | None, q: QuestionView, said: str) -> tuple[str, dict[str, str] | None]:
        return pushes.question_answer(choice, question=q.text, answer=said, at=moment)

    return word


# -- answering ----------------------------------------------------------------------------

question_answer = CONSOLE.action("/questions/{id}/answer", name="question_answer",
                                 template="console/question_answer.html", roles=ADMINS,
                                 section="questions")


def _answer_page(req: Req, q: QuestionView, said: str, **more: object) -> Context:
    return {"q": q, "said": said, "max_answer": MAX_ANSWER, "preview": None, "error": None,
            "can_push": req.settings.can_push} | more


@question_answer.confirm
async def answer_form(req: Req) -> Context:
    # An answered question shows its answer (and no form) here.
    return _answer_page(req, await _question(req), "")


@question_answer.perform
async def answer_it(req: Req) -> Context | web.StreamResponse:
    q = await _question(req)
    said = req.arg("answer")
    if q.answered_at is not None:
        return _answer_page(req, q, said, error="answered", status=409)
    if not said or len(said) > MAX_ANSWER:
        return _answer_page(req, q, said, status=422,
                            error="answer_too_long" if said else "answer_empty")
    if req.arg("edit") == "1":
        return _answer_page(req, q, said)  # back to the form, the words kept
    word = _wording(req, req.now)
    if req.arg("confirm") != "1":
        # The push as the member will read it, for the office to confirm.
        choice = (await languages_of(req.session, [q.member_id])).get(q.member_id)
        return _answer_page(req, q, said, preview=word(choice, q, said)[0])
    before = await snapshot(req.session, Question, q.id)
    try:
        await answer(req.session, question_id=q.id, text=said, now=req.now, word=word)
    except NotFound:
        raise req.not_found() from None
    except WrongState:
        # Answered by someone else since the form was opened: nothing is sent twice.
        return _answer_page(req, q, said, error="answered", status=409)
    except TooLong:
        return _answer_page(req, q, said, error="answer_too_long", status=422)
    await audited(req.session, req.viewer, "question.answer", Question, q.id,
                  subject="question", studio_id=None, now=req.now, before=before)
    return req.redirect(req.url("questions", {"done": "answered", "id": q.id}))


# -- into the FAQ -------------------------------------------------------------------------

question_promote = CONSOLE.action("/questions/{id}/promote", name="question_promote",
                                  template="console/question_promote.html", roles=ADMINS,
                                  section="questions")


def _promote_page(req: Req, q: QuestionView, wording: str, **more: object) -> Context:
    return {"q": q, "wording": wording, "max_question": MAX_QUESTION_CHARS,
            "error": "not_answered" if q.answer is None else None} | more


@question_promote.confirm
async def promote_form(req: Req) -> Context:
    q = await _question(req)
    return _promote_page(req, q, "")


@question_promote.perform
async def promote_it(req: Req) -> Context | web.StreamResponse:
    q = await _question(req)
    wording = " ".join(req.arg("as_question").split())
    page = _promote_page(req, q, wording)
    if page["error"] is not None:
        return page | {"status": 409}
    if len(wording) > MAX_QUESTION_CHARS:
        return page | {"error": "question_too_long", "status": 422}
    before = await snapshot(req.session, Question, q.id)
    try:
        done = await promote(req.session, question_id=q.id, now=req.now,
                             as_question=wording or None)
    except NotFound:
        raise req.not_found() from None
    except WrongState:
        return page | {"error": "not_answered", "status": 409}
    await audited(req.session, req.viewer, "question.promote", Question, q.id,
                  subject="question", studio_id=None, now=req.now, before=before)
    return req.redirect(req.url("questions", {"state": QUESTION_PROMOTED, "done": "promoted",
                                              "id": q.id, "entry": done.entry_id}))
