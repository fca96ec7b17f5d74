"""members' languages, the union's default language; outbox reasons as codes

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30

A member's language becomes optional (NULL: the union's default, kept on the root
union); nothing read it before, so every stored 'zh-CN' was the default, not a choice.
The outbox's reasons were Chinese sentences; they become the codes the delivery writes
now (scheduled/delivery.py), with WeChat's errcode after a colon where there was one.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# The sentences 0004–0007 wrote, and the code each becomes.
_FIXED = {
    "收件人还没有绑定微信": "not_bound",
    "收件人已取消关注公众号": "unsubscribed",
    "48 小时内没有互动，且没有配置模板消息": "no_template",
}
_PATTERNS = (
    (re.compile(r"^客服消息不可用（(-?\d+|\?)），且没有配置模板消息$"), "no_template:{0}"),
    (re.compile(r"^模板消息不可用（(-?\d+|\?)）$"), "template_failed:{0}"),
    (re.compile(r"^45009: "), "quota:45009"),
    (re.compile(r"^(-?\d+): 微信繁忙"), "busy:{0}"),
    (re.compile(r"^(-?\d+|None): "), "rejected:{0}"),
)


def reason_code(sentence: str) -> str:
    if sentence in _FIXED:
        return _FIXED[sentence]
    for pattern, code in _PATTERNS:
        found = pattern.match(sentence)
        if found is not None:
            return code.format(*found.groups())
    return sentence


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _replace_member_language(nullable: bool) -> None:
    """SQLite cannot change a column's NULL-ness in place, and Alembic's batch mode would
    recreate the member table, which the foreign keys pointing at it forbid (PRAGMA
    foreign_keys is on and cannot be turned off inside the transaction). A new column,
    filled from the old one, takes its place (DROP COLUMN: SQLite 3.35 or later)."""
    op.execute('ALTER TABLE member RENAME COLUMN language TO _language_old')
    if nullable:
        op.execute('ALTER TABLE member ADD COLUMN language VARCHAR(16)')
        op.execute("UPDATE member SET language = NULLIF(_language_old, 'zh-CN')")
    else:
        op.execute("ALTER TABLE member ADD COLUMN language VARCHAR(16) NOT NULL "
                   "DEFAULT 'zh-CN'")
        op.execute("UPDATE member SET language = COALESCE(_language_old, 'zh-CN')")
    op.execute('ALTER TABLE member DROP COLUMN _language_old')


def upgrade() -> None:
    if _sqlite():
        _replace_member_language(nullable=True)
        op.execute('ALTER TABLE trade_union ADD COLUMN language VARCHAR(16)')
    else:
        op.alter_column('member', 'language', existing_type=sa.String(length=16),
                        nullable=True, server_default=None)
        op.execute("UPDATE member SET language = NULL WHERE language = 'zh-CN'")
        op.add_column('trade_union', sa.Column('language', sa.String(length=16), nullable=True))
    conn = op.get_bind()
    outbox = sa.table('outbox_message', sa.column('result', sa.Text()))
    found = conn.execute(sa.select(outbox.c.result).distinct()
                         .where(outbox.c.result.is_not(None), outbox.c.result != 'ok')).scalars()
    for sentence in list(found):
        code = reason_code(sentence)
        if code != sentence:
            conn.execute(outbox.update().where(outbox.c.result == sentence).values(result=code))


def downgrade() -> None:
    if _sqlite():
        op.execute('ALTER TABLE trade_union DROP COLUMN language')
        _replace_member_language(nullable=False)
        return
    op.drop_column('trade_union', 'language')
    op.execute("UPDATE member SET language = 'zh-CN' WHERE language IS NULL")
    op.alter_column('member', 'language', existing_type=sa.String(length=16), nullable=False,
                    server_default='zh-CN')
