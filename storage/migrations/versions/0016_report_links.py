"""report links, the months' recorded scores, and the page a template push opens

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05

`report_link` holds each signed link to a report page (/r/…) by its random id, so that a
link can expire and be revoked; `studio_score` and `union_score` keep each month's
indicator scores as the monthly summary found them (a report's 12-month line);
`outbox_message.url` is the page a template message opens; the logs' week index takes
the studio and the hours along (the union's month reads it, not the table).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('report_link',
    sa.Column('id', sa.String(length=24), nullable=False),
    sa.Column('page', sa.String(length=40), nullable=False),
    sa.Column('viewer_id', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['viewer_id'], ['member.id'],
                            name=op.f('fk_report_link_viewer_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_link'))
    )
    with op.batch_alter_table('report_link', schema=None) as batch_op:
        batch_op.create_index('ix_report_link_viewer_page', ['viewer_id', 'page'], unique=False)
    op.create_table('studio_score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('studio_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('stars', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['studio_id'], ['studio.id'],
                            name=op.f('fk_studio_score_studio_id_studio')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_studio_score')),
    sa.UniqueConstraint('studio_id', 'month', name=op.f('uq_studio_score_studio_id_month'))
    )
    op.create_table('union_score',
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('median', sa.Float(), nullable=False),
    sa.Column('rated', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('month', name=op.f('pk_union_score'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('url', sa.String(length=500), nullable=True))
    # The logs' week index also holds the studio and the hours: a period's logs by week and
    # studio are read from it alone.
    with op.batch_alter_table('weekly_log', schema=None) as batch_op:
        batch_op.drop_index('ix_weekly_log_week')
        batch_op.create_index('ix_weekly_log_week', ['week', 'studio_id', 'hours'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('weekly_log', schema=None) as batch_op:
        batch_op.drop_index('ix_weekly_log_week')
        batch_op.create_index('ix_weekly_log_week', ['week'], unique=False)
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('url')
    op.drop_table('union_score')
    op.drop_table('studio_score')
    with op.batch_alter_table('report_link', schema=None) as batch_op:
        batch_op.drop_index('ix_report_link_viewer_page')
    op.drop_table('report_link')
