"""审计: every console action — who, what, when, the record before and after — filtered by
who, what and date; a leader sees their studio's."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, time, timedelta
from typing import Any

from storage.queries.audit import AuditRow, audit_actions, audit_actors, audit_listed
from web.console.registry import CONSOLE, Context, Req

PAGE_SIZE = 50


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _changes(row: AuditRow) -> list[tuple[str, str, str]]:
    """(field, before, after) for each field that differs, as JSON text."""
    before, after = row.before or {}, row.after or {}

    def shown(value: Any) -> str:
        return "" if value is None else json.dumps(value, ensure_ascii=False)

    return [(key, shown(before.get(key)), shown(after.get(key)))
            for key in sorted({*before, *after}) if before.get(key) != after.get(key)]


@CONSOLE.page("/audit", name="audit", template="console/audit.html", nav="console.nav.audit",
              order=90)
async def audit_page(req: Req) -> Context:
    scope = req.viewer.scope
    actor = req.int_arg("who")
    actions = await audit_actions(req.session, scope)
    action = req.arg("what") if req.arg("what") in actions else None
    since_day, until_day = _day(req.arg("since")), _day(req.arg("until"))
    tz = req.settings.tz
    since = datetime.combine(since_day, time(), tz) if since_day else None
    until = datetime.combine(until_day + timedelta(days=1), time(), tz) if until_day else None
    page = max(1, req.int_arg("page") or 1)
    rows, total = await audit_listed(req.session, studio_id=scope, actor_id=actor, action=action,
                                     since=since, until=until, limit=PAGE_SIZE,
                                     offset=(page - 1) * PAGE_SIZE)
    query = {"who": actor or "", "what": action or "", "since": req.arg("since") if since_day
             else "", "until": req.arg("until") if until_day else ""}
    pages = max(1, math.ceil(total / PAGE_SIZE))
    return {"rows": [(row, _changes(row)) for row in rows], "total": total, "page": page,
            "pages": pages, "actors": await audit_actors(req.session, scope),
            "actions": actions, "query": query,
            "action_name": lambda code: req.words.named("console.audit.action", code),
            "page_url": lambda n: req.url("audit", {**query, "page": n})}
