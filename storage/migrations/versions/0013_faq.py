"""the union's policy FAQ: entries, synonyms, unanswered questions, a version counter

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

`workshop-bot faq import` fills faq_entry (a question missing from a later file is retired,
not deleted) and bumps faq_version, which every process watches to rebuild its index.
faq_miss keeps what the FAQ could not answer.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('faq_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question', sa.String(length=500), nullable=False),
    sa.Column('variants', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=True),
    sa.Column('keywords', sa.Text(), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_entry')),
    sa.UniqueConstraint('question', name=op.f('uq_faq_entry_question'))
    )
    op.create_table('faq_synonym',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('words', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_synonym'))
    )
    op.create_table('faq_miss',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_faq_miss_member_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_miss'))
    )
    with op.batch_alter_table('faq_miss', schema=None) as batch_op:
        batch_op.create_index('ix_faq_miss_asked_at', ['asked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_faq_miss_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_faq_miss_openid'), ['openid'], unique=False)
    op.create_table('faq_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_version'))
    )


def downgrade() -> None:
    op.drop_table('faq_version')
    with op.batch_alter_table('faq_miss', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_faq_miss_openid'))
        batch_op.drop_index(batch_op.f('ix_faq_miss_member_id'))
        batch_op.drop_index('ix_faq_miss_asked_at')
    op.drop_table('faq_miss')
    op.drop_table('faq_synonym')
    op.drop_table('faq_entry')
