"""topic kinds and statuses, result types: codes instead of Chinese words

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30

The database kept the words a Chinese reader sees (技术攻关, 攻关中, 发明专利 …); it keeps
codes now (tech_breakthrough, in_progress, invention_patent …) and every language reads
them through its catalog (topic.kind.*, topic.status.*, result.type.*). Two codes are
longer than the 16 characters the words needed, so topic.kind and achievement.type widen
to 32. A value that is not one of the known words stays as it is.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# The words 0007–0008 stored, and the code each becomes (frozen here: the models move on).
TOPIC_KINDS = {"技术攻关": "tech_breakthrough", "课题研究": "research", "五小": "five_small",
               "QC": "qc"}
TOPIC_STATUSES = {"立项": "approved", "攻关中": "in_progress", "验收": "acceptance",
                  "推广应用": "applied", "暂停": "paused"}
RESULT_TYPES = {"发明专利": "invention_patent", "实用新型": "utility_model",
                "外观设计": "design_patent", "软件著作权": "software_copyright",
                "QC成果": "qc_result", "五小成果": "five_small", "论文": "paper",
                "竞赛获奖": "award", "其他": "other"}
# (table, column, the mapping): every column that held one of those words.
COLUMNS = (("topic", "kind", TOPIC_KINDS), ("topic", "status", TOPIC_STATUSES),
           ("topic_progress", "status", TOPIC_STATUSES), ("achievement", "type", RESULT_TYPES))
# The columns whose width changes (both NOT NULL).
WIDENED = (("topic", "kind"), ("achievement", "type"))
OLD_WIDTH, NEW_WIDTH = 16, 32


def _convert(*, back: bool = False) -> None:
    conn = op.get_bind()
    for table, column, mapping in COLUMNS:
        target = sa.table(table, sa.column(column, sa.String()))
        col = target.c[column]
        pairs = {v: k for k, v in mapping.items()} if back else mapping
        for old, new in pairs.items():
            conn.execute(target.update().where(col == old).values({column: new}))


def _resize(width: int, was: int) -> None:
    if op.get_bind().dialect.name != "sqlite":
        for table, column in WIDENED:
            op.alter_column(table, column, existing_type=sa.String(length=was),
                            type_=sa.String(length=width), existing_nullable=False)
        return
    # SQLite cannot change a column's type in place, and Alembic's batch mode would
    # recreate the table, which foreign keys forbid for topic (topic_progress refers to
    # it; PRAGMA foreign_keys is on and cannot be turned off inside the transaction).
    # A new column of the new width, filled from the old one, takes its place instead
    # (ALTER TABLE … DROP COLUMN: SQLite 3.35 or later). The DEFAULT only lets SQLite
    # add a NOT NULL column to a table that has rows; every row is filled at once.
    for table, column in WIDENED:
        op.execute(f'ALTER TABLE "{table}" RENAME COLUMN "{column}" TO "_{column}_old"')
        op.execute(f'ALTER TABLE "{table}" ADD COLUMN "{column}" VARCHAR({width}) '
                   "NOT NULL DEFAULT ''")
        op.execute(f'UPDATE "{table}" SET "{column}" = "_{column}_old"')
        op.execute(f'ALTER TABLE "{table}" DROP COLUMN "_{column}_old"')


def upgrade() -> None:
    _resize(NEW_WIDTH, OLD_WIDTH)
    _convert()


def downgrade() -> None:
    _convert(back=True)
    _resize(OLD_WIDTH, NEW_WIDTH)
