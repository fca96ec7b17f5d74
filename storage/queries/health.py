"""Readiness: can we reach the database at all."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def database_answers(session: AsyncSession) -> bool:
    return bool((await session.execute(text("SELECT 1"))).scalar_one() == 1)
