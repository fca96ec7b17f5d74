"""the web console: sign-in links, sessions and the audit trail

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07

`后台` and `workshop-bot login-link` write a console_link (the SHA-256 of a one-time token);
opening it starts a console_session (likewise a hash); every console action writes an
audit_entry with the record before and after.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('console_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('via', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'],
                            name=op.f('fk_console_link_member_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_console_link_token_hash'))
    )
    with op.batch_alter_table('console_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_link_member_id'), ['member_id'], unique=False)

    op.create_table('console_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['link_id'], ['console_link.id'],
                            name=op.f('fk_console_session_link_id_console_link')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'],
                            name=op.f('fk_console_session_member_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_console_session_token_hash'))
    )
    with op.batch_alter_table('console_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_session_member_id'), ['member_id'],
                              unique=False)

    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=24), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('studio_id', sa.Integer(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['member.id'],
                            name=op.f('fk_audit_entry_actor_id_member')),
    sa.ForeignKeyConstraint(['studio_id'], ['studio.id'],
                            name=op.f('fk_audit_entry_studio_id_studio')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry'))
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entry_at', ['at'], unique=False)
        batch_op.create_index('ix_audit_entry_studio_at', ['studio_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_actor_id'), ['actor_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_actor_id'))
        batch_op.drop_index('ix_audit_entry_studio_at')
        batch_op.drop_index('ix_audit_entry_at')
    op.drop_table('audit_entry')
    with op.batch_alter_table('console_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_session_member_id'))
    op.drop_table('console_session')
    with op.batch_alter_table('console_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_link_member_id'))
    op.drop_table('console_link')
