"""Dialog state: one row per openid, gone when finished, cancelled or expired."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete

from storage.models import DialogState
from storage.session import Session


async def save_dialog(
    session: Session,
    openid: str,
    state: str,
    data: dict[str, Any],
    *,
    now: datetime,
    expires_at: datetime,
) -> None:
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
    await session.execute(delete(DialogState).where(DialogState.openid == openid))
