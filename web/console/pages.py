"""Every console page module, imported once so that each registers its routes (add a new
page's module here)."""

from __future__ import annotations

from web.console import audit_page, decisions, overview, studios, topics
from web.console import faq_page as faq_page  # 问答库: import, synonyms, try a question
from web.console import jobs_page as jobs_page  # 任务: the scheduled jobs, run now
from web.console import outbox_page as outbox_page  # 推送: the outbox, retry and drop
from web.console import questions_page as questions_page  # 留言: answer, into the FAQ

__all__ = ["audit_page", "decisions", "overview", "studios", "topics"]
