"""Dialog state: one row per openid, gone when finished, cancelled or expired."""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.sql.expression import ClauseElement

from storage.driver import raw_postgres, run
from storage.models import DialogState, Member
from storage.session import Session

_TABLE = cast(Table, DialogState.__table__)
_CLEAR = delete(_TABLE).where(_TABLE.c.openid == bindparam("openid"))


@functools.cache
def _upsert() -> ClauseElement:
    """save_dialog in one statement, for the lean path (storage.driver)."""
    from sqlalchemy.dialects.postgresql import insert

    stmt = insert(_TABLE)
    return stmt.on_conflict_do_update(
        index_elements=[_TABLE.c.openid],
        set_={name: stmt.excluded[name] for name in ("state", "data", "expires_at", "updated_at")})


async def save_dialog(
    session: Session,
    openid: str,
    state: str,
    data: dict[str, Any],
    *,
    now: datetime,
    expires_at: datetime,
) -> None:
    if raw_postgres(session) is not None:
        await run(session, _upsert(), {"openid": openid, "state": state, "data": json.dumps(data),
                                       "expires_at": expires_at, "updated_at": now},
                  ("openid", "state", "data", "expires_at", "updated_at"))
        return
    row = await session.get(DialogState, openid)
    if row is None:
        session.add(
            DialogState(openid=openid, state=state, data=data, expires_at=expires_at, updated_at=now)
        )
    else:
        row.state = state
        row.data = dict(data)
        row.expires_at = expires_at
        row.updated_at = now
    await session.flush()


async def clear_dialog(session: Session, openid: str) -> None:
    if raw_postgres(session) is not None:
        await run(session, _CLEAR, {"openid": openid})
        return
    await session.execute(_CLEAR, {"openid": openid})


async def clear_member_dialog(session: Session, member_id: int) -> None:
    """End whatever dialog the member's WeChat is in (they were deactivated: a half-done
    draft would otherwise wait for someone who is no longer a member)."""
    openid = select(Member.openid).where(Member.id == member_id).scalar_subquery()
    await session.execute(delete(_TABLE).where(_TABLE.c.openid == openid))
