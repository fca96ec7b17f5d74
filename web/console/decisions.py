"""Deciding on a suggestion (采纳 / 不采纳 / 实施) or a result (认定 / 退回) on the console:
domain.proposals.decide, the very function the chat's decisions call, with its rules and
its push to the proposer through the outbox; an audit entry with the record before and
after.

The confirm page is the confirmation the chat asks for separately: undoing a final
decision (a rejected suggestion accepted after all) is said on it before the button."""

from __future__ import annotations

from functools import partial
from typing import Any

from aiohttp import web

from domain import NotFound, WrongState
from domain.audit import audited
from domain.console import Viewer
from domain.proposals import (
    DECISIONS,
    FINAL,
    MAX_SAID,
    RESULT,
    SUGGESTION,
    ChangesFinal,
    Decided,
    Decision,
    ReasonNeeded,
    decide,
)
from locales.pushes import decision_push
from storage.models import Achievement, Suggestion
from storage.queries.audit import snapshot
from storage.queries.records import ProposalRecord
from storage.queries.studio_pages import result_in_scope, suggestion_in_scope
from web.console.registry import CONSOLE, Context, Req

MODELS: dict[str, Any] = {SUGGESTION: Suggestion, RESULT: Achievement}


def _decision(req: Req, subject: str) -> Decision:
    name = req.arg("decision")
    for decision in DECISIONS:
        if decision.subject == subject and decision.name == name:
            return decision
    raise req.not_found()


async def _record(req: Req, subject: str) -> ProposalRecord:
    """The record, if the viewer's scope holds it: otherwise there is no such page."""
    record_id = req.path_id()
    find = suggestion_in_scope if subject == SUGGESTION else result_in_scope
    record = await find(req.session, record_id, req.viewer.scope)
    if record is None:
        raise req.not_found()
    return record


def _page(req: Req, subject: str, record: ProposalRecord, decision: Decision,
          **more: object) -> Context:
    notified = record.author_id != req.viewer.member_id
    return {"subject": subject, "record": record, "decision": decision,
            "action": "suggestion_decide" if subject == SUGGESTION else "result_decide",
            "final": record.status in FINAL, "notified": notified,
            "can_push": req.settings.can_push, "said": req.arg("said")[:MAX_SAID],
            "max_said": MAX_SAID, "error": None} | more


def _push(decision: Decision, viewer: Viewer, decided: Decided, choice: str | None) -> str:
    """The proposer's push, worded as the chat words it (by the office when an admin)."""
    return decision_push(choice, decision=decision.name, subject=decided.subject,
                         record_id=decided.id, content=decided.content,
                         result_type=decided.type, status=decided.status, said=decided.said,
                         decided_by=viewer.name, comment_only=decided.comment_only,
                         by_office=viewer.is_admin)


async def _show(req: Req, subject: str) -> Context:
    record = await _record(req, subject)
    return _page(req, subject, record, _decision(req, subject))


async def _do(req: Req, subject: str) -> Context | web.StreamResponse:
    record = await _record(req, subject)
    decision = _decision(req, subject)
    said = req.arg("said")[:MAX_SAID] or None
    before = await snapshot(req.session, MODELS[subject], record.id)
    try:
        decided = await decide(req.session, decision, record.id, studio_id=record.studio_id,
                               leader_id=req.viewer.member_id, said=said, now=req.now,
                               word_push=partial(_push, decision, req.viewer),
                               confirmed=req.arg("final") == "1")
    except NotFound:
        raise req.not_found() from None
    except ReasonNeeded:
        return _page(req, subject, record, decision, error="reason_needed", status=422)
    except ChangesFinal:
        # Final since the confirm page was shown: shown again, now saying so.
        return _page(req, subject, record, decision, final=True, error="changes_final",
                     status=409)
    except WrongState as refused:
        return _page(req, subject, record, decision, error=refused.code, status=409)
    await audited(req.session, req.viewer, f"{subject}.{decision.name}", MODELS[subject],
                  record.id, subject=subject, studio_id=record.studio_id, now=req.now,
                  before=before)
    done = "commented" if decided.comment_only else "decided"
    return req.redirect(req.url("studio", {"done": done}, id=record.studio_id)
                        + f"#{subject}-{record.id}")


suggestion_decide = CONSOLE.action("/suggestions/{id}/decide", name="suggestion_decide",
                                   template="console/decide.html", section="studios")
result_decide = CONSOLE.action("/results/{id}/decide", name="result_decide",
                               template="console/decide.html", section="studios")
suggestion_decide.confirm(partial(_show, subject=SUGGESTION))
suggestion_decide.perform(partial(_do, subject=SUGGESTION))
result_decide.confirm(partial(_show, subject=RESULT))
result_decide.perform(partial(_do, subject=RESULT))
