"""FAQ (admins): the union's policy FAQ as the office keeps it — its entries, live and
retired; importing a file (CSV or XLSX: all or nothing, every bad line reported) and the
synonym table; this month's questions nothing answered; and trying a question as a member
would ask it: the three best entries with their scores, and what the member would get.
domain.faq's functions, which `workshop-bot faq` calls too; each upload writes an audit
entry."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from domain.audit import audit
from domain.faq import import_faq, set_synonyms, try_question, unanswered
from domain.faq_file import (
    MAX_FILE_BYTES,
    MAX_QUESTION_CHARS,
    MAX_SYNONYM_BYTES,
    BadLines,
    FaqFileError,
)
from domain.faq_index import ANSWER, CHOOSE, Hit
from locales.formats import month_label
from storage.models import ROLE_ADMIN
from storage.queries import faq as store
from web.console.registry import CONSOLE, Context, Req

ADMINS = (ROLE_ADMIN,)
# Room for the form's other fields and the multipart headers around the file itself: a file
# just within the domain's limit gets through, one a little over gets its words from the
# domain (faq.file.too_big) rather than the bare 413 page.
FORM_ROOM = 64 * 1024
UNANSWERED_SHOWN = 20
DONE_NOTES = ("imported", "synonyms")
OUTCOME = ("created", "updated", "unchanged", "retired")


def _reply(req: Req, hits: list[Hit], verdict: str, offered: list[Hit]) -> str:
    """What the chat would answer the member, as handlers.faq words it."""
    if verdict == ANSWER:
        return hits[0].entry.answer
    if verdict == CHOOSE:
        return req.t("faq.choose", options="\n".join(
            req.t("faq.option", number=n, question=h.entry.question)
            for n, h in enumerate(offered, start=1)))
    return req.t("faq.unanswered")


@CONSOLE.page("/faq", name="faq", template="console/faq.html", nav="console.nav.faq", order=78,
              roles=ADMINS)
async def faq_page(req: Req) -> Context:
    entries = await store.entries(req.session, retired=True)
    live = [e for e in entries if not e.retired]
    asked = " ".join(req.arg("q").split())[:MAX_QUESTION_CHARS]
    trial: Any = None
    if asked and live:
        trial = await try_question(req.session, asked, key=req.settings.effective_database_url,
                                   settings=req.settings)
    misses = await unanswered(req.session, req.now, req.settings.tz, UNANSWERED_SHOWN)
    done = req.arg("done")
    return {"live": live, "retired": [e for e in entries if e.retired], "asked": asked,
            "trial": trial,
            "reply": _reply(req, trial.hits, trial.verdict, trial.offered) if trial else "",
            "misses": misses, "misses_month": month_label(req.words, misses.month),
            "max_question": MAX_QUESTION_CHARS,
            "done": done if done in DONE_NOTES else None,
            "outcome": {name: req.int_arg(name) or 0 for name in (*OUTCOME, "groups")},
            "try_url": lambda text: req.url("faq", {"q": text}) + "#try",
            "confidence": lambda hit: f"{hit.confidence:.0%}"}


async def _upload(req: Req) -> tuple[str, bytes] | None:
    """The uploaded file's name and bytes; None when the form carried none."""
    posted = await req.request.post()  # read already (and kept) by the console's route
    field = posted.get("file")
    if not isinstance(field, FileField) or not field.filename:
        return None
    # A spooled file of up to 20 MB: read off the event loop.
    return field.filename, await asyncio.to_thread(field.file.read)


def _refused(req: Req, exc: FaqFileError | BadLines) -> dict[str, Any]:
    """The upload page's words for a refused file: why, or each bad line and why."""
    if isinstance(exc, FaqFileError):
        return {"error": req.t(f"faq.file.{exc.code}", **exc.facts), "lines": []}
    return {"error": req.t("console.faq.refused", n=len(exc.problems)),
            "lines": [req.t("faq.ops.line", line=p.line,
                            reason=req.t(f"faq.problem.{p.code}", **p.facts))
                      for p in exc.problems]}


def _upload_page(what: str, **more: object) -> Context:
    return {"what": what, "error": None, "lines": [], "filename": ""} | more


# -- importing the FAQ ----------------------------------------------------------------------

faq_import = CONSOLE.action("/faq/import", name="faq_import", template="console/faq_upload.html",
                            roles=ADMINS, section="faq", max_body=MAX_FILE_BYTES + FORM_ROOM)


@faq_import.confirm
async def import_form(req: Req) -> Context:
    return _upload_page("import")


@faq_import.perform
async def import_file(req: Req) -> Context | web.StreamResponse:
    upload = await _upload(req)
    if upload is None:
        return _upload_page("import", error=req.t("console.faq.no_file"), status=422)
    filename, data = upload
    try:
        outcome = await import_faq(req.session, data, filename, now=req.now)
    except (FaqFileError, BadLines) as refused:
        # Nothing was written: the import is all or nothing.
        return _upload_page("import", filename=filename, status=422, **_refused(req, refused))
    counts = {name: getattr(outcome, name) for name in OUTCOME}
    await audit(req.session, req.viewer, "faq.import", subject="faq", subject_id=None,
                studio_id=None, before=None, after={"file": filename, **counts}, now=req.now)
    return req.redirect(req.url("faq", {"done": "imported", **counts}))


# -- the synonym table ----------------------------------------------------------------------

faq_synonyms = CONSOLE.action("/faq/synonyms", name="faq_synonyms",
                              template="console/faq_upload.html", roles=ADMINS, section="faq",
                              max_body=MAX_SYNONYM_BYTES + FORM_ROOM)


@faq_synonyms.confirm
async def synonyms_form(req: Req) -> Context:
    return _upload_page("synonyms", groups=await store.synonym_groups(req.session))


@faq_synonyms.perform
async def synonyms_file(req: Req) -> Context | web.StreamResponse:
    upload = await _upload(req)
    if upload is None:
        return _upload_page("synonyms", error=req.t("console.faq.no_file"), status=422,
                            groups=await store.synonym_groups(req.session))
    filename, data = upload
    before = await store.synonym_groups(req.session)
    try:
        groups = await set_synonyms(req.session, data, now=req.now)
    except (FaqFileError, BadLines) as refused:
        return _upload_page("synonyms", filename=filename, status=422,
                            groups=before, **_refused(req, refused))
    await audit(req.session, req.viewer, "faq.synonyms", subject="faq", subject_id=None,
                studio_id=None, before={"groups": ["=".join(g) for g in before]},
                after={"file": filename, "groups": ["=".join(g) for g in groups]}, now=req.now)
    return req.redirect(req.url("faq", {"done": "synonyms", "groups": len(groups)}))
