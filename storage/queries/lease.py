"""A lease in the database: one holder at a time, taken over when it lapses."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, or_, update

from storage.db import insert_ignoring_duplicates
from storage.models import Lease
from storage.session import Session

_LEASE = cast(Table, Lease.__table__)


async def hold_lease(session: Session, name: str, holder: str, now: datetime,
                     until: datetime) -> bool:
    """Take or renew `name` for `holder` until `until`; False if someone else holds it."""
    result = await session.execute(
        update(Lease)
        .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at <= now))
        .values(holder=holder, expires_at=until)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) == 1:
        return True
    # Nobody has held it yet: create it, unless another process just did.
    conn = await session.connection()
    inserted = await conn.execute(
        insert_ignoring_duplicates(_LEASE, conn.dialect.name, ("name",)),
        {"name": name, "holder": holder, "expires_at": until},
    )
    return getattr(inserted, "rowcount", 0) == 1
