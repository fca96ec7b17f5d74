"""outbox delivery and job runs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('job_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('period', sa.String(length=40), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('queued', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_run'))
    )
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.create_index('ix_job_run_name_period', ['name', 'period'], unique=False)

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template_fields', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('result', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('in_flight_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('sent_at')
        batch_op.drop_column('in_flight_at')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('result')
        batch_op.drop_column('attempts')
        batch_op.drop_column('channel')
        batch_op.drop_column('template_fields')

    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.drop_index('ix_job_run_name_period')

    op.drop_table('job_run')
