"""studios and members in full: unions, pairs, bind attempts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bind_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bind_attempt'))
    )
    with op.batch_alter_table('bind_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_bind_attempt_openid_at', ['openid', 'attempted_at'], unique=False)

    op.create_table('trade_union',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['trade_union.id'], name=op.f('fk_trade_union_parent_id_trade_union')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trade_union')),
    sa.UniqueConstraint('name', name=op.f('uq_trade_union_name'))
    )
    with op.batch_alter_table('trade_union', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trade_union_parent_id'), ['parent_id'], unique=False)

    op.create_table('mentorship_pair',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('apprentice_id', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['apprentice_id'], ['member.id'], name=op.f('fk_mentorship_pair_apprentice_id_member')),
    sa.ForeignKeyConstraint(['mentor_id'], ['member.id'], name=op.f('fk_mentorship_pair_mentor_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentorship_pair'))
    )
    with op.batch_alter_table('mentorship_pair', schema=None) as batch_op:
        batch_op.create_index('ix_mentorship_pair_active', ['apprentice_id', 'end_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_mentorship_pair_mentor_id'), ['mentor_id'], unique=False)

    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('union_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('language', sa.String(length=16), nullable=False, server_default='zh-CN'))
        batch_op.create_index(batch_op.f('ix_member_union_id'), ['union_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_member_union_id_trade_union'), 'trade_union', ['union_id'], ['id'])

    with op.batch_alter_table('studio', schema=None) as batch_op:
        batch_op.add_column(sa.Column('union_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('level', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('stars', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index(batch_op.f('ix_studio_union_id'), ['union_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_studio_union_id_trade_union'), 'trade_union', ['union_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('studio', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_studio_union_id_trade_union'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_studio_union_id'))
        batch_op.drop_column('stars')
        batch_op.drop_column('level')
        batch_op.drop_column('union_id')

    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_member_union_id_trade_union'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_member_union_id'))
        batch_op.drop_column('language')
        batch_op.drop_column('union_id')

    with op.batch_alter_table('mentorship_pair', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentorship_pair_mentor_id'))
        batch_op.drop_index('ix_mentorship_pair_active')

    op.drop_table('mentorship_pair')
    with op.batch_alter_table('trade_union', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trade_union_parent_id'))

    op.drop_table('trade_union')
    with op.batch_alter_table('bind_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_bind_attempt_openid_at')

    op.drop_table('bind_attempt')
