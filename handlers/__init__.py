"""Capabilities, one module each; build_router() includes them in precedence order."""

from __future__ import annotations

from bot.routing import Router
from handlers import (
    common,
    console,
    faq,
    language,
    me,
    mentorship,
    notices,
    onboarding,
    proposals,
    questions,
    rating,
    stats,
    topics,
    weekly_logs,
)

# The order is the precedence of commands that could match the same text (bot.routing).
CAPABILITIES: tuple[Router, ...] = (
    common.router,
    onboarding.router,
    weekly_logs.router,
    mentorship.router,
    topics.router,
    notices.router,
    proposals.router,
    stats.router,
    rating.router,
    me.router,
    language.router,
    console.router,
    questions.router,
    faq.router,
)


def build_router(*extra: Router) -> Router:
    """The root router: every capability, then `extra` (tests add probes this way)."""
    root = Router("root")
    for router in (*CAPABILITIES, *extra):
        root.include_router(router)
    return root
