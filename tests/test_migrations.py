"""The migrations build exactly the models, and run down and up again."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from storage.db import Base, Database
from storage.migrate import current_revision, downgrade, head_revision, upgrade


def _diff(conn: Connection) -> list[Any]:
    ctx = MigrationContext.configure(conn, opts={"compare_type": True})
    return [d for d in compare_metadata(ctx, Base.metadata)]


async def test_migrations_match_the_models(database_url: str) -> None:
    db = Database(database_url)
    try:
        async with db.engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
        assert await current_revision(db.engine) == head_revision(database_url)
    finally:
        await db.dispose()


async def test_downgrade_and_upgrade_round_trip(database_url: str) -> None:
    db = Database(database_url)
    try:
        await downgrade(db.engine, "base")
        assert await current_revision(db.engine) is None
        await upgrade(db.engine)
        async with db.engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
    finally:
        await db.dispose()
