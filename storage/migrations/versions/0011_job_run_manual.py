"""job runs started by hand

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30

`workshop-bot jobs list` tells a run the operator started (`jobs run`) from one the
scheduler started. Runs recorded before are taken as the scheduler's.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('manual', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.drop_column('manual')
