"""topics can be deleted; status changes told apart from progress updates

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

`进展 <课题> 删除` marks a topic deleted (topic.deleted_at) instead of removing it: its
progress stays, and so do the figures of the months before. A deleted topic no longer
holds its name, so the studio's unique title becomes a partial unique index over the
live topics.

topic_progress.kind says what a row records: a progress update, or a status a leader
set (`进展 <课题> 状态 验收`), so that a topic's latest progress is not a status change.
Rows stored before carry the leader's words for the change, as the catalogs had them
(frozen below); those become status rows, the rest progress.

Downgrade: the deleted topics come back as live ones; one whose name a live topic took
since gets ` #<id>` after its name, for the unique constraint to hold again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# topics.status_changed in the catalogs as of 0011, filled with each topic.status word
# (Mongolian fell back to Simplified Chinese): what a status change stored as its text.
_STATUS_WORDS = {
    "状态改为{}": ("立项", "攻关中", "验收", "推广应用", "暂停"),
    "狀態改為{}": ("立項", "攻關中", "驗收", "推廣應用", "暫停"),
    "Status changed to {}": ("approved", "in progress", "acceptance", "in use", "paused"),
}
STATUS_NOTES = tuple(pattern.format(word) for pattern, words in _STATUS_WORDS.items()
                     for word in words)
_LIVE = sa.text("deleted_at IS NULL")


@contextmanager
def _progress_aside() -> Iterator[None]:
    """On SQLite, while the topic table is rebuilt (a unique constraint cannot be dropped
    in place): its progress rows wait in a temporary table. Dropping the old table would
    otherwise break their foreign key, and PRAGMA foreign_keys cannot be turned off
    inside the transaction."""
    if op.get_bind().dialect.name != "sqlite":
        yield
        return
    op.execute("CREATE TEMPORARY TABLE _topic_progress_aside AS SELECT * FROM topic_progress")
    op.execute("DELETE FROM topic_progress")
    yield
    op.execute("INSERT INTO topic_progress SELECT * FROM _topic_progress_aside")
    op.execute("DROP TABLE _topic_progress_aside")


def upgrade() -> None:
    with op.batch_alter_table('topic_progress', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False,
                                      server_default='progress'))
    progress = sa.table('topic_progress', sa.column('kind', sa.String),
                        sa.column('status', sa.String), sa.column('percent', sa.Integer),
                        sa.column('content', sa.Text))
    op.execute(progress.update()
               .where(progress.c.status.is_not(None), progress.c.percent.is_(None),
                      progress.c.content.in_(STATUS_NOTES))
               .values(kind='status'))

    with _progress_aside():
        with op.batch_alter_table('topic', schema=None) as batch_op:
            batch_op.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True),
                                          nullable=True))
            batch_op.drop_constraint('uq_topic_studio_id_title', type_='unique')
            batch_op.create_index('uq_topic_studio_id_title_live', ['studio_id', 'title'],
                                  unique=True, sqlite_where=_LIVE, postgresql_where=_LIVE)


def downgrade() -> None:
    topic = sa.table('topic', sa.column('id', sa.Integer), sa.column('studio_id', sa.Integer),
                     sa.column('title', sa.String), sa.column('deleted_at', sa.DateTime))
    live = topic.alias('live')
    taken = sa.exists().where(live.c.studio_id == topic.c.studio_id,
                              live.c.title == topic.c.title, live.c.id != topic.c.id)
    op.execute(topic.update()
               .where(topic.c.deleted_at.is_not(None), taken)
               .values(title=sa.func.substr(topic.c.title, 1, 90) + ' #'
                       + sa.cast(topic.c.id, sa.String)))
    with _progress_aside():
        with op.batch_alter_table('topic', schema=None) as batch_op:
            batch_op.drop_index('uq_topic_studio_id_title_live')
            batch_op.create_unique_constraint('uq_topic_studio_id_title', ['studio_id', 'title'])
            batch_op.drop_column('deleted_at')

    with op.batch_alter_table('topic_progress', schema=None) as batch_op:
        batch_op.drop_column('kind')
