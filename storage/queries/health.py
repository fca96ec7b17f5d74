"""Readiness: can we reach the database at all."""

from __future__ import annotations

from sqlalchemy import text

from storage.session import Session


async def database_answers(session: Session) -> bool:
    return bool((await session.execute(text("SELECT 1"))).scalar_one() == 1)
