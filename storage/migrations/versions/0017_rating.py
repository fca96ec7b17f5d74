"""star rating (星级评定): rubrics, rounds, applications, expert scores, objections, the
stars' history and one-off funding

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-10

`workshop-bot rating rubric import` fills rating_rubric and rating_item (each import a new
version; a round keeps the one it was opened with). A leader's 申报 is a rating_application
with one rating_answer per item (automatic items frozen, manual ones self-assessed, photos
in rating_picture); experts' rating_score rows; 异议 are rating_objection rows; finalising
writes star_change and sets studio.stars; studio_funding records one-off grants.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rating_rubric',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('star1', sa.Float(), nullable=False),
    sa.Column('star2', sa.Float(), nullable=False),
    sa.Column('star3', sa.Float(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_rubric')),
    sa.UniqueConstraint('version', name=op.f('uq_rating_rubric_version'))
    )
    op.create_table('rating_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rubric_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('method', sa.String(length=40), nullable=False),
    sa.Column('scale', sa.JSON(), nullable=False),
    sa.Column('scale_text', sa.Text(), nullable=False),
    sa.Column('criteria', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['rubric_id'], ['rating_rubric.id'], name=op.f('fk_rating_item_rubric_id_rating_rubric')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_item')),
    sa.UniqueConstraint('rubric_id', 'code', name=op.f('uq_rating_item_rubric_id_code'))
    )
    op.create_table('rating_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('rubric_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('objection_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finalised_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['rubric_id'], ['rating_rubric.id'], name=op.f('fk_rating_round_rubric_id_rating_rubric')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_round')),
    sa.UniqueConstraint('name', name=op.f('uq_rating_round_name'))
    )
    op.create_table('star_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('studio_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('from_stars', sa.Integer(), nullable=False),
    sa.Column('to_stars', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rating_round.id'], name=op.f('fk_star_change_round_id_rating_round')),
    sa.ForeignKeyConstraint(['studio_id'], ['studio.id'], name=op.f('fk_star_change_studio_id_studio')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_star_change'))
    )
    with op.batch_alter_table('star_change', schema=None) as batch_op:
        batch_op.create_index('ix_star_change_studio_at', ['studio_id', 'decided_at'], unique=False)

    op.create_table('studio_funding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('studio_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.Float(), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('grant_date', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rating_round.id'], name=op.f('fk_studio_funding_round_id_rating_round')),
    sa.ForeignKeyConstraint(['studio_id'], ['studio.id'], name=op.f('fk_studio_funding_studio_id_studio')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_studio_funding'))
    )
    with op.batch_alter_table('studio_funding', schema=None) as batch_op:
        batch_op.create_index('ix_studio_funding_studio_date', ['studio_id', 'grant_date'], unique=False)

    op.create_table('rating_application',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('studio_id', sa.Integer(), nullable=False),
    sa.Column('applicant_id', sa.Integer(), nullable=False),
    sa.Column('automatic', sa.Float(), nullable=False),
    sa.Column('measured_until', sa.Date(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['applicant_id'], ['member.id'], name=op.f('fk_rating_application_applicant_id_member')),
    sa.ForeignKeyConstraint(['round_id'], ['rating_round.id'], name=op.f('fk_rating_application_round_id_rating_round')),
    sa.ForeignKeyConstraint(['studio_id'], ['studio.id'], name=op.f('fk_rating_application_studio_id_studio')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_application')),
    sa.UniqueConstraint('round_id', 'studio_id', name=op.f('uq_rating_application_round_id_studio_id'))
    )
    with op.batch_alter_table('rating_application', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_application_studio_id'), ['studio_id'], unique=False)

    op.create_table('rating_expert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_rating_expert_member_id_member')),
    sa.ForeignKeyConstraint(['round_id'], ['rating_round.id'], name=op.f('fk_rating_expert_round_id_rating_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_expert')),
    sa.UniqueConstraint('round_id', 'member_id', name=op.f('uq_rating_expert_round_id_member_id'))
    )
    with op.batch_alter_table('rating_expert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_expert_member_id'), ['member_id'], unique=False)

    op.create_table('rating_objection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('studio_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_rating_objection_member_id_member')),
    sa.ForeignKeyConstraint(['round_id'], ['rating_round.id'], name=op.f('fk_rating_objection_round_id_rating_round')),
    sa.ForeignKeyConstraint(['studio_id'], ['studio.id'], name=op.f('fk_rating_objection_studio_id_studio')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_objection'))
    )
    with op.batch_alter_table('rating_objection', schema=None) as batch_op:
        batch_op.create_index('ix_rating_objection_round_at', ['round_id', 'created_at'], unique=False)

    op.create_table('rating_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.Column('points', sa.Float(), nullable=True),
    sa.Column('self_points', sa.Float(), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['rating_application.id'], name=op.f('fk_rating_answer_application_id_rating_application')),
    sa.ForeignKeyConstraint(['item_id'], ['rating_item.id'], name=op.f('fk_rating_answer_item_id_rating_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_answer')),
    sa.UniqueConstraint('application_id', 'item_id', name=op.f('uq_rating_answer_application_id_item_id'))
    )
    op.create_table('rating_score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('scored_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['rating_application.id'], name=op.f('fk_rating_score_application_id_rating_application')),
    sa.ForeignKeyConstraint(['expert_id'], ['member.id'], name=op.f('fk_rating_score_expert_id_member')),
    sa.ForeignKeyConstraint(['item_id'], ['rating_item.id'], name=op.f('fk_rating_score_item_id_rating_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_score')),
    sa.UniqueConstraint('application_id', 'item_id', 'expert_id', name=op.f('uq_rating_score_application_id_item_id_expert_id'))
    )
    with op.batch_alter_table('rating_score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_score_expert_id'), ['expert_id'], unique=False)

    op.create_table('rating_picture',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('answer_id', sa.Integer(), nullable=False),
    sa.Column('media_id', sa.String(length=128), nullable=True),
    sa.Column('pic_url', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['answer_id'], ['rating_answer.id'], name=op.f('fk_rating_picture_answer_id_rating_answer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_picture'))
    )
    with op.batch_alter_table('rating_picture', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_picture_answer_id'), ['answer_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('rating_picture', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_picture_answer_id'))

    op.drop_table('rating_picture')
    with op.batch_alter_table('rating_score', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_score_expert_id'))

    op.drop_table('rating_score')
    op.drop_table('rating_answer')
    with op.batch_alter_table('rating_objection', schema=None) as batch_op:
        batch_op.drop_index('ix_rating_objection_round_at')

    op.drop_table('rating_objection')
    with op.batch_alter_table('rating_expert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_expert_member_id'))

    op.drop_table('rating_expert')
    with op.batch_alter_table('rating_application', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_application_studio_id'))

    op.drop_table('rating_application')
    with op.batch_alter_table('studio_funding', schema=None) as batch_op:
        batch_op.drop_index('ix_studio_funding_studio_date')

    op.drop_table('studio_funding')
    with op.batch_alter_table('star_change', schema=None) as batch_op:
        batch_op.drop_index('ix_star_change_studio_at')

    op.drop_table('star_change')
    op.drop_table('rating_round')
    op.drop_table('rating_item')
    op.drop_table('rating_rubric')
