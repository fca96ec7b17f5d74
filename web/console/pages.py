"""Every console page module, imported once so that each registers its routes (add a new
page's module here, a line of its own)."""

from __future__ import annotations

from web.console import (
    audit_page,
    decisions,
    faq_page,
    jobs_page,
    outbox_page,
    overview,
    questions_page,
    studios,
    topics,
)

__all__ = [
    "audit_page",
    "decisions",
    "faq_page",
    "jobs_page",
    "outbox_page",
    "overview",
    "questions_page",
    "studios",
    "topics",
]
