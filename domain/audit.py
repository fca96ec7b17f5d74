"""The audit trail: every console action is written down with who took it, when, and the
record before and after, in the same transaction as the action itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.console import Viewer
from storage.db import Base
from storage.queries.audit import add_audit, snapshot
from storage.session import Session


async def audit(session: Session, viewer: Viewer | None, action: str, *, subject: str,
                subject_id: int | None, studio_id: int | None, before: dict[str, Any] | None,
                after: dict[str, Any] | None, now: datetime) -> int:
    """Write one entry (`viewer` None: the operator at the terminal). `action` is a code,
    `<subject>.<verb>` (suggestion.decide, topic.rename); the catalog words it
    (console.audit.action.<code>)."""
    return await add_audit(session, at=now, actor_id=viewer.member_id if viewer else None,
                           action=action, subject=subject, subject_id=subject_id,
                           studio_id=studio_id, before=before, after=after)


async def audited(session: Session, viewer: Viewer, action: str, model: type[Base],
                  record_id: int, *, subject: str, studio_id: int | None, now: datetime,
                  before: dict[str, Any] | None) -> int:
    """audit() for a change to one row of `model`, whose state before the change the caller
    took (`snapshot`) and whose state after is read here."""
    after = await snapshot(session, model, record_id)
    return await audit(session, viewer, action, subject=subject,
                       subject_id=record_id, studio_id=studio_id, before=before, after=after,
                       now=now)


__all__ = ["audit", "audited", "snapshot"]
