"""Every console page module, imported once so that each registers its routes (add a new
page's module here)."""

from __future__ import annotations

from web.console import audit_page, decisions, overview, studios, topics

__all__ = ["audit_page", "decisions", "overview", "studios", "topics"]
