"""名册: a roster file uploaded, what importing it would change (the refused lines and every
change, writing nothing), then — confirmed — imported with import-roster's code path
(domain.roster), and an audit entry saying what it did.

The file waits between the upload and the confirmation under the var directory,
console-uploads/<session>-<time>-<sha256>: only the session that uploaded it can preview or
import it, the import checks the bytes against the digest the preview showed, a session
keeps one file at most, and none stays longer than UPLOAD_TTL (nor more than MAX_WAITING in
all). Uploading is a POST (CSRF-checked, up to the roster reader's own size limit) that
only stores the file; the preview is a GET, so parsing a large file holds no write lock."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path, PurePath
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from domain.audit import audit
from domain.roster import (
    RosterPreview,
    digest_of,
    file_error_words,
    import_roster_bytes,
    preview_roster,
    worded,
)
from domain.roster_file import COLUMNS, MAX_FILE_BYTES, OPTIONAL, RosterFileError
from locales import CHOICE_NAMES, Words
from storage.models import ROLE_ADMIN
from storage.queries.office_pages import audit_entry
from storage.queries.roster import LineProblem
from web.console.registry import CONSOLE, Context, Req

UPLOADS = "console-uploads"
UPLOAD_TTL = timedelta(hours=1)
MAX_WAITING = 20  # files waiting for a confirmation, every session's together
# The form around the file (its boundary, the CSRF field) on top of the reader's limit:
# a file the reader refuses as too big is still read far enough to say so in words.
MAX_UPLOAD = MAX_FILE_BYTES + 64 * 1024
SHOWN = 200  # rows of each list a preview shows (the counts are whole)
KEPT_PROBLEMS = 100  # refused lines an audit entry keeps
MAX_NAME = 200
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
IMPORT = "roster.import"


def _folder(req: Req) -> Path:
    return Path(req.settings.workshop_bot_var_dir) / UPLOADS


def _name(typed: str) -> str:
    """The uploaded file's name, as shown and as its format is told by: no folders."""
    return PurePath(typed.replace("\\", "/")).name[-MAX_NAME:] or "roster.csv"


def _waiting(folder: Path) -> list[tuple[Path, str, int]]:
    """(path, session, time) of every file waiting; anything else in the folder is left."""
    found = []
    if folder.is_dir():
        for path in folder.iterdir():
            parts = path.name.split("-")
            if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit() \
                    and _DIGEST.match(parts[2]):
                found.append((path, parts[0], int(parts[1])))
    return found


def _store(folder: Path, session_id: int, now: datetime, data: bytes) -> None:
    """Keep the upload for its session's confirmation; its earlier one, files past their
    time and the oldest beyond MAX_WAITING go."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    at = int(now.timestamp())
    kept = []
    for path, session, when in _waiting(folder):
        if session == str(session_id) or at - when > UPLOAD_TTL.total_seconds():
            path.unlink(missing_ok=True)
        else:
            kept.append((when, path))
    for _when, path in sorted(kept)[:max(0, len(kept) - MAX_WAITING + 1)]:
        path.unlink(missing_ok=True)
    target = folder / f"{session_id}-{at}-{digest_of(data)}"
    part = target.with_name(target.name + ".part")
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(part, target)  # whole or not at all


def _load(folder: Path, session_id: int, now: datetime, digest: str) -> bytes | None:
    """The session's upload with this digest, if still kept."""
    at = int(now.timestamp())
    for path, session, when in _waiting(folder):
        if session == str(session_id) and path.name.endswith(digest) and \
                at - when <= UPLOAD_TTL.total_seconds():
            return path.read_bytes()
    return None


def _discard(folder: Path, session_id: int, digest: str) -> None:
    for path, session, _when in _waiting(folder):
        if session == str(session_id) and path.name.endswith(digest):
            path.unlink(missing_ok=True)


def _shown(words: Words, field: str, value: str | bool | None) -> str:
    """A member's field as a preview shows it: codes in words."""
    if value is None or value == "":
        return "—"
    if field == "active":
        return words("console.roster.active" if value else "console.roster.inactive")
    if field == "role":
        return words.named("role", str(value))
    if field == "language":
        return CHOICE_NAMES.get(str(value), str(value))
    return str(value)


def _page(req: Req, **more: Any) -> Context:
    return {"max_mb": MAX_FILE_BYTES // (1024 * 1024), "columns": ",".join(COLUMNS),
            "optional": ",".join(OPTIONAL), "result": None,
            "preview": None, "file_error": None, "shown": SHOWN} | more


@CONSOLE.page("/roster", name="roster", template="console/roster.html",
              nav="console.nav.roster", order=40, roles=(ROLE_ADMIN,))
async def roster(req: Req) -> Context:
    """The upload form; after an import (?imported=<its audit entry>), what it did."""
    entry_id = req.int_arg("imported")
    entry = await audit_entry(req.session, entry_id, IMPORT) if entry_id else None
    result = None
    if entry is not None and entry.after:
        result = dict(entry.after)
        result["problems"] = worded(req.words, [
            LineProblem(int(line), str(code), facts if isinstance(facts, Mapping) else {})
            for line, code, facts in entry.after.get("problems", [])])
    return _page(req, result=result)


roster_upload = CONSOLE.action("/roster/upload", name="roster_upload",
                               template="console/roster.html", roles=(ROLE_ADMIN,),
                               section="roster", max_body=MAX_UPLOAD)


@roster_upload.confirm
async def upload_form(req: Req) -> web.StreamResponse:
    return req.redirect(req.url("roster"))


@roster_upload.perform
async def upload(req: Req) -> Context | web.StreamResponse:
    posted = await req.request.post()  # read by the route already: this is its copy
    field = posted.get("file")
    if not isinstance(field, FileField) or not field.filename:
        return _page(req, file_error=req.t("console.roster.no_file"), status=422)
    data = await asyncio.to_thread(field.file.read, MAX_FILE_BYTES + 1)
    name = _name(field.filename)
    if not data:
        return _page(req, file_error=file_error_words(req.words, RosterFileError("empty")),
                     status=422)
    await asyncio.to_thread(_store, _folder(req), req.viewer.session_id, req.now, data)
    return req.redirect(req.url("roster_import", {"file": digest_of(data), "name": name}))


roster_import = CONSOLE.action("/roster/import", name="roster_import",
                               template="console/roster.html", roles=(ROLE_ADMIN,),
                               section="roster")


async def _upload(req: Req) -> tuple[str, str, bytes | None]:
    digest = req.arg("file")
    if not _DIGEST.match(digest):
        raise req.not_found()
    data = await asyncio.to_thread(_load, _folder(req), req.viewer.session_id, req.now, digest)
    return digest, _name(req.arg("name")), data


def _gone(req: Req) -> Context:
    return _page(req, file_error=req.t("console.roster.gone"), status=410)


@roster_import.confirm
async def preview(req: Req) -> Context:
    digest, name, data = await _upload(req)
    if data is None:
        return _gone(req)
    try:
        seen: RosterPreview = await preview_roster(
            req.session, data, name, root_union=req.settings.workshop_bot_union_name)
    except RosterFileError as exc:
        await asyncio.to_thread(_discard, _folder(req), req.viewer.session_id, digest)
        return _page(req, file_error=file_error_words(req.words, exc), status=422)
    return _page(req, preview=seen, name=name, digest=digest,
                 problems=worded(req.words, list(seen.problems)),
                 value=lambda change, side: _shown(req.words, change.field,
                                                   getattr(change, side)))


@roster_import.perform
async def apply(req: Req) -> Context | web.StreamResponse:
    digest, name, data = await _upload(req)
    if data is None:
        return _gone(req)
    try:
        done = await import_roster_bytes(
            req.session, data, name, root_union=req.settings.workshop_bot_union_name,
            now=req.now, today=req.today, expected_digest=digest)
    except RosterFileError as exc:
        return _page(req, file_error=file_error_words(req.words, exc), status=422)
    outcome, read = done.outcome, done.read
    problems = done.problems
    entry = await audit(req.session, req.viewer, IMPORT, subject="roster", subject_id=None,
                        studio_id=None, before=None, now=req.now, after={
                            "file": name, "digest": digest, "lines": read.lines,
                            "imported": len(read.entries), "skipped": len(read.errors),
                            "created": outcome.members_created,
                            "updated": outcome.members_updated,
                            "unchanged": outcome.members_unchanged,
                            "studios_created": outcome.studios_created,
                            "unions_created": outcome.unions_created,
                            "pairs_created": outcome.pairs_created,
                            "pairs_ended": outcome.pairs_ended,
                            "not_in_file": outcome.not_in_file,
                            "problem_count": len(problems),
                            "problems": [[p.line, p.code, {k: str(v) for k, v in p.facts.items()}]
                                         for p in problems[:KEPT_PROBLEMS]]})
    await asyncio.to_thread(_discard, _folder(req), req.viewer.session_id, digest)
    return req.redirect(req.url("roster", {"imported": entry}))
