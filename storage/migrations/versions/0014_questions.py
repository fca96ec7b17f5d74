"""questions for the union office (留言) and their answers

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04

A member's 留言 is a question row; `workshop-bot questions answer` fills its answer (pushed
through the outbox) and `questions promote` links the FAQ entry it became.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('miss_id', sa.Integer(), nullable=True),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('faq_entry_id', sa.Integer(), nullable=True),
    sa.Column('promoted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['faq_entry_id'], ['faq_entry.id'],
                            name=op.f('fk_question_faq_entry_id_faq_entry')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_question_member_id_member')),
    sa.ForeignKeyConstraint(['miss_id'], ['faq_miss.id'], name=op.f('fk_question_miss_id_faq_miss')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question'))
    )
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.create_index('ix_question_member_asked', ['member_id', 'asked_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_index('ix_question_member_asked')
    op.drop_table('question')
