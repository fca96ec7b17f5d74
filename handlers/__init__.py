"""Capabilities, one module each. ROUTERS is the precedence order (see bot.routing)."""

from __future__ import annotations

from bot.routing import Router
from handlers import (
    common,
    me,
    mentorship,
    notices,
    onboarding,
    proposals,
    stats,
    topics,
    weekly_logs,
)

ROUTERS: list[Router] = [
    common.router,
    onboarding.router,
    weekly_logs.router,
    mentorship.router,
    topics.router,
    notices.router,
    proposals.router,
    stats.router,
    me.router,
]
on_refused = common.on_refused
