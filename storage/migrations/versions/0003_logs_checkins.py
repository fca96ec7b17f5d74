"""weekly logs, check-ins, outbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('period', sa.String(length=40), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recipient_id'], ['member.id'], name=op.f('fk_outbox_message_recipient_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message')),
    sa.UniqueConstraint('kind', 'period', 'recipient_id', name=op.f('uq_outbox_message_kind_period_recipient_id'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_message_status', ['status', 'id'], unique=False)

    op.create_table('weekly_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('studio_id', sa.Integer(), nullable=True),
    sa.Column('week', sa.String(length=8), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('hours', sa.Float(), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_weekly_log_member_id_member')),
    sa.ForeignKeyConstraint(['studio_id'], ['studio.id'], name=op.f('fk_weekly_log_studio_id_studio')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_weekly_log')),
    sa.UniqueConstraint('member_id', 'week', name=op.f('uq_weekly_log_member_id_week'))
    )
    with op.batch_alter_table('weekly_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_weekly_log_studio_id'), ['studio_id'], unique=False)
        batch_op.create_index('ix_weekly_log_week', ['week'], unique=False)

    op.create_table('check_in',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('checkin_date', sa.Date(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('hours', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['member.id'], name=op.f('fk_check_in_author_id_member')),
    sa.ForeignKeyConstraint(['pair_id'], ['mentorship_pair.id'], name=op.f('fk_check_in_pair_id_mentorship_pair')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_in'))
    )
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.create_index('ix_check_in_pair_date', ['pair_id', 'checkin_date'], unique=False)

    op.create_table('log_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('log_id', sa.Integer(), nullable=False),
    sa.Column('media_id', sa.String(length=128), nullable=True),
    sa.Column('pic_url', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['log_id'], ['weekly_log.id'], name=op.f('fk_log_attachment_log_id_weekly_log')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_log_attachment'))
    )
    with op.batch_alter_table('log_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_log_attachment_log_id'), ['log_id'], unique=False)

    op.create_table('weekly_log_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('log_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('hours', sa.Float(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['log_id'], ['weekly_log.id'], name=op.f('fk_weekly_log_version_log_id_weekly_log')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_weekly_log_version')),
    sa.UniqueConstraint('log_id', 'version', name=op.f('uq_weekly_log_version_log_id_version'))
    )


def downgrade() -> None:
    op.drop_table('weekly_log_version')
    with op.batch_alter_table('log_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_log_attachment_log_id'))

    op.drop_table('log_attachment')
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.drop_index('ix_check_in_pair_date')

    op.drop_table('check_in')
    with op.batch_alter_table('weekly_log', schema=None) as batch_op:
        batch_op.drop_index('ix_weekly_log_week')
        batch_op.drop_index(batch_op.f('ix_weekly_log_studio_id'))

    op.drop_table('weekly_log')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_status')

    op.drop_table('outbox_message')
