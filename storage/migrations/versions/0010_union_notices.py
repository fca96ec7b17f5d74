"""notices from the union's admins: to every leader, or to every member

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30

A notice belonged to one studio. An admin's notice goes to the whole union, so it has no
studio, and says whom it went to: `audience` is "studio" (a leader's, as before),
"leaders" or "members". Nothing refers to the notice table, so SQLite may rebuild it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notice") as batch:
        batch.alter_column("studio_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("audience", sa.String(length=16), nullable=False,
                                   server_default="studio"))


def downgrade() -> None:
    op.execute("DELETE FROM notice WHERE studio_id IS NULL")
    with op.batch_alter_table("notice") as batch:
        batch.drop_column("audience")
        batch.alter_column("studio_id", existing_type=sa.Integer(), nullable=False)
