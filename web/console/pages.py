"""Every console page module, imported once so that each registers its routes (add a new
page's module here)."""

from __future__ import annotations

from web.console import audit_page, decisions, overview, studios, topics
from web.console import exports as exports  # 导出
from web.console import faq_page as faq_page  # 问答库: import, synonyms, try a question
from web.console import invites as invites  # 邀请
from web.console import jobs_page as jobs_page  # 任务: the scheduled jobs, run now
from web.console import members as members  # a member's page and the changes to them
from web.console import notices as notices  # 通知 and delivery reports
from web.console import outbox_page as outbox_page  # 推送: the outbox, retry and drop
from web.console import questions_page as questions_page  # 留言: answer, into the FAQ
from web.console import rating as rating  # 星级评定: rounds, sheets; a leader's standing, 申报
from web.console import reports as reports  # 报表: on to the report pages
from web.console import review as review  # 评审: the experts' pages
from web.console import roster as roster  # 名册

__all__ = ["audit_page", "decisions", "overview", "studios", "topics"]
