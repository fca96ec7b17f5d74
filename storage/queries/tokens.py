"""The shared access token: read, written, and refreshed by one process at a time."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.sql.expression import Executable

from storage.models import AccessToken
from storage.session import Session

_TOKEN = cast(Table, AccessToken.__table__)


async def stored_token(session: Session, app_id: str) -> tuple[str, datetime] | None:
    row = (await session.execute(
        select(AccessToken.token, AccessToken.expires_at).where(AccessToken.app_id == app_id)
    )).first()
    return (row[0], row[1]) if row is not None else None


async def store_token(session: Session, app_id: str, token: str, expires_at: datetime) -> None:
    result = await session.execute(
        update(AccessToken).where(AccessToken.app_id == app_id)
        .values(token=token, expires_at=expires_at)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) == 1:
        return
    conn = await session.connection()
    values = {"app_id": app_id, "token": token, "expires_at": expires_at}
    stmt: Executable
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(_TOKEN).values(values).on_conflict_do_update(
            index_elements=["app_id"], set_={"token": token, "expires_at": expires_at})
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(_TOKEN).values(values).on_conflict_do_update(
            index_elements=["app_id"], set_={"token": token, "expires_at": expires_at})
    await conn.execute(stmt)
