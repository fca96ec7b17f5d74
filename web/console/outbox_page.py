"""推送 (admins): the outbox as the union office sees it — counts by state and kind, the rows
newest first (narrowed by state and kind), why a push did not go out — and what the office
may do about a row: send it again, send every failed one again, or never send it. The
rules are domain.outbox's (`workshop-bot outbox` calls the same); each action has a confirm
page and writes an audit entry, and the app's nudge after every action sweeps the outbox at
once, so a push put back goes out now rather than at the next sweep."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from domain import NotFound, WrongState
from domain import outbox as rules
from domain.audit import audit, audited
from domain.outbox import OutboxEntry
from scheduled.delivery import reason_words
from storage.codes import OUTBOX_STATES
from storage.models import ROLE_ADMIN, OutboxMessage
from storage.queries.audit import snapshot
from web.console.registry import CONSOLE, Context, Req

PAGE_SIZE = 50
ADMINS = (ROLE_ADMIN,)
DONE_NOTES = ("retried", "dropped", "retried_all")  # what the page may say was just done
# The domain's refusal of each action (WrongState's code), worded on the confirm page.
REFUSALS = {"retry": "not_retryable", "drop": "not_droppable"}


def _words(req: Req) -> dict[str, Any]:
    """What the outbox templates use to word rows."""
    return {"state_name": lambda state: req.words.named("outbox.state", state),
            "kind_name": lambda kind: req.words.named("console.outbox.kind", kind),
            "reason": lambda entry: reason_words(req.words, entry.result)}


@CONSOLE.page("/outbox", name="outbox", template="console/outbox.html",
              nav="console.nav.outbox", order=60, roles=ADMINS)
async def outbox_page(req: Req) -> Context:
    counts = await rules.counts(req.session)
    state = req.arg("state") if req.arg("state") in OUTBOX_STATES else None
    kind = req.arg("kind") if req.arg("kind") in counts.kinds else None
    before = req.int_arg("before")
    # One more than a page: whether there is a next one.
    rows = await rules.listing(req.session, state=state, kind=kind, limit=PAGE_SIZE + 1,
                               before=before)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    query = {"state": state or "", "kind": kind or ""}
    done = req.arg("done")
    return {"counts": counts, "rows": rows, "state": state, "kind": kind, "states": OUTBOX_STATES,
            "filtered": state is not None or kind is not None, "paged": before is not None,
            "first_url": req.url("outbox", query),
            "next_url": req.url("outbox", {**query, "before": rows[-1].id}) if more else None,
            "list_url": lambda **narrow: req.url("outbox", narrow) + "#rows",
            "can_push": req.settings.can_push,
            "done": done if done in DONE_NOTES else None,
            "done_id": req.int_arg("id"), "done_n": req.int_arg("n") or 0} | _words(req)


# -- one row: send again, or never ------------------------------------------------------


async def _entry(req: Req) -> OutboxEntry:
    try:
        return await rules.entry(req.session, req.path_id())
    except NotFound:
        raise req.not_found() from None


async def _row_page(req: Req, what: str, entry: OutboxEntry, **more: object) -> Context:
    stored = await snapshot(req.session, OutboxMessage, entry.id)
    allowed = entry.retryable if what == "retry" else entry.droppable
    return {"what": what, "entry": entry, "text": (stored or {}).get("text", ""),
            "allowed": allowed, "error": None if allowed else REFUSALS[what],
            "can_push": req.settings.can_push} | _words(req) | more


outbox_retry = CONSOLE.action("/outbox/{id}/retry", name="outbox_retry",
                              template="console/outbox_row.html", roles=ADMINS,
                              section="outbox")
outbox_drop = CONSOLE.action("/outbox/{id}/drop", name="outbox_drop",
                             template="console/outbox_row.html", roles=ADMINS,
                             section="outbox")


@outbox_retry.confirm
async def retry_confirm(req: Req) -> Context:
    return await _row_page(req, "retry", await _entry(req))


@outbox_retry.perform
async def retry(req: Req) -> Context | web.StreamResponse:
    entry = await _entry(req)
    before = await snapshot(req.session, OutboxMessage, entry.id)
    try:
        await rules.retry(req.session, entry.id)
    except NotFound:
        raise req.not_found() from None
    except WrongState:
        # Sent or sending since the confirm page was shown: shown again as it is now.
        return await _row_page(req, "retry", await _entry(req), status=409)
    await audited(req.session, req.viewer, "outbox.retry", OutboxMessage, entry.id,
                  subject="outbox", studio_id=None, now=req.now, before=before)
    return req.redirect(req.url("outbox", {"done": "retried", "id": entry.id}))


@outbox_drop.confirm
async def drop_confirm(req: Req) -> Context:
    return await _row_page(req, "drop", await _entry(req))


@outbox_drop.perform
async def drop(req: Req) -> Context | web.StreamResponse:
    entry = await _entry(req)
    before = await snapshot(req.session, OutboxMessage, entry.id)
    try:
        await rules.drop(req.session, entry.id)
    except NotFound:
        raise req.not_found() from None
    except WrongState:
        return await _row_page(req, "drop", await _entry(req), status=409)
    await audited(req.session, req.viewer, "outbox.drop", OutboxMessage, entry.id,
                  subject="outbox", studio_id=None, now=req.now, before=before)
    return req.redirect(req.url("outbox", {"done": "dropped", "id": entry.id}))


# -- every failed row at once -------------------------------------------------------------

outbox_retry_failed = CONSOLE.action("/outbox/retry-failed", name="outbox_retry_failed",
                                     template="console/outbox_retry_failed.html", roles=ADMINS,
                                     section="outbox")


async def _failed_page(req: Req, **more: object) -> Context:
    counts = await rules.counts(req.session)
    failed = counts.in_state("failed")
    return {"failed": failed, "undeliverable": counts.in_state("undeliverable"),
            "error": None if failed else "none_failed", "can_push": req.settings.can_push,
            "failed_url": req.url("outbox", {"state": "failed"}),
            "undeliverable_url": req.url("outbox", {"state": "undeliverable"})} | more


@outbox_retry_failed.confirm
async def retry_failed_confirm(req: Req) -> Context:
    return await _failed_page(req)


@outbox_retry_failed.perform
async def retry_failed(req: Req) -> Context | web.StreamResponse:
    changed = await rules.retry_failed(req.session)
    if not changed:
        # Nothing had failed by the time the button was pressed: nothing to write down.
        return await _failed_page(req, status=409)
    await audit(req.session, req.viewer, "outbox.retry_failed", subject="outbox",
                subject_id=None, studio_id=None, before=None, after={"rows": changed},
                now=req.now)
    return req.redirect(req.url("outbox", {"done": "retried_all", "n": changed}))
