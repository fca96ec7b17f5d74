"""Every console page module, imported once so that each registers its routes (add a new
page's module here)."""

from __future__ import annotations

from web.console import audit_page, decisions, overview, studios, topics
from web.console import members as members  # a member's page and the changes to them
from web.console import notices as notices  # 通知 and delivery reports

__all__ = ["audit_page", "decisions", "overview", "studios", "topics"]
