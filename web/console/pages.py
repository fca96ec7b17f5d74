"""Every console page module, imported once so that each registers its routes (add a new
page's module here)."""

from __future__ import annotations

from web.console import audit_page, decisions, overview, studios, topics
from web.console import exports as exports  # 导出
from web.console import invites as invites  # 邀请
from web.console import roster as roster  # 名册

__all__ = ["audit_page", "decisions", "overview", "studios", "topics"]
