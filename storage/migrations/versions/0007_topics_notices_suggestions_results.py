"""topics, notices, suggestions, results

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('achievement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('studio_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('economic_benefit', sa.Float(), nullable=True),
    sa.Column('promoted', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_achievement_member_id_member')),
    sa.ForeignKeyConstraint(['studio_id'], ['studio.id'], name=op.f('fk_achievement_studio_id_studio')),
    sa.ForeignKeyConstraint(['verified_by_id'], ['member.id'], name=op.f('fk_achievement_verified_by_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_achievement'))
    )
    with op.batch_alter_table('achievement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_achievement_member_id'), ['member_id'], unique=False)
        batch_op.create_index('ix_achievement_studio_at', ['studio_id', 'created_at'], unique=False)

    op.create_table('notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('studio_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['member.id'], name=op.f('fk_notice_author_id_member')),
    sa.ForeignKeyConstraint(['studio_id'], ['studio.id'], name=op.f('fk_notice_studio_id_studio')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice'))
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_studio_id'), ['studio_id'], unique=False)

    op.create_table('suggestion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('studio_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['member.id'], name=op.f('fk_suggestion_decided_by_id_member')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_suggestion_member_id_member')),
    sa.ForeignKeyConstraint(['studio_id'], ['studio.id'], name=op.f('fk_suggestion_studio_id_studio')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suggestion'))
    )
    with op.batch_alter_table('suggestion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suggestion_member_id'), ['member_id'], unique=False)
        batch_op.create_index('ix_suggestion_studio_at', ['studio_id', 'created_at'], unique=False)

    op.create_table('topic',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('studio_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=True),
    sa.Column('monthly_target', sa.Text(), nullable=True),
    sa.Column('quarterly_target', sa.Text(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['member.id'], name=op.f('fk_topic_owner_id_member')),
    sa.ForeignKeyConstraint(['studio_id'], ['studio.id'], name=op.f('fk_topic_studio_id_studio')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_topic')),
    sa.UniqueConstraint('studio_id', 'title', name=op.f('uq_topic_studio_id_title'))
    )
    op.create_table('topic_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['member.id'], name=op.f('fk_topic_progress_author_id_member')),
    sa.ForeignKeyConstraint(['topic_id'], ['topic.id'], name=op.f('fk_topic_progress_topic_id_topic')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_topic_progress'))
    )
    with op.batch_alter_table('topic_progress', schema=None) as batch_op:
        batch_op.create_index('ix_topic_progress_topic_at', ['topic_id', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('topic_progress', schema=None) as batch_op:
        batch_op.drop_index('ix_topic_progress_topic_at')

    op.drop_table('topic_progress')
    op.drop_table('topic')
    with op.batch_alter_table('suggestion', schema=None) as batch_op:
        batch_op.drop_index('ix_suggestion_studio_at')
        batch_op.drop_index(batch_op.f('ix_suggestion_member_id'))

    op.drop_table('suggestion')
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_studio_id'))

    op.drop_table('notice')
    with op.batch_alter_table('achievement', schema=None) as batch_op:
        batch_op.drop_index('ix_achievement_studio_at')
        batch_op.drop_index(batch_op.f('ix_achievement_member_id'))

    op.drop_table('achievement')
