"""Cross-process serialisation of one user's messages (PostgreSQL advisory locks)."""

from __future__ import annotations

import hashlib

from sqlalchemy import bindparam, func, select

from storage.driver import DriverSession
from storage.session import Session

_LOCK = select(func.pg_advisory_xact_lock(bindparam("key")))


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha1(name.encode()).digest()[:8], "big", signed=True)


async def lock_openid_for_transaction(session: Session, openid: str) -> None:
    """Hold a lock on this openid until the transaction ends.

    SQLite needs none: it has one writer at a time and every transaction here writes.
    """
    if isinstance(session, DriverSession):
        # In BEGIN's round trip; the key is our own integer, so it may be written inline.
        key = _lock_key("openid:" + openid)
        await session.begin(f"SELECT pg_advisory_xact_lock({int(key)})")
    elif session.get_bind().dialect.name == "postgresql":
        await session.execute(_LOCK, {"key": _lock_key("openid:" + openid)})
