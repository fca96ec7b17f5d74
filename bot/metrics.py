"""Prometheus metrics, one registry per app so several apps can live in one process."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from storage.codes import OUTBOX_STATES


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "workshop_bot_wechat_requests",
            "WeChat requests by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.handler_seconds = Histogram(
            "workshop_bot_handler_seconds",
            "Time spent in message handlers",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.duplicates = Counter(
            "workshop_bot_duplicate_deliveries",
            "WeChat retries that arrived while the first delivery was in flight",
            registry=self.registry,
        )
        self.handler_errors = Counter(
            "workshop_bot_handler_errors", "Messages answered with an apology", registry=self.registry
        )
        self.session_fallbacks = Counter(
            "workshop_bot_session_fallbacks",
            "Lean units of work run again on a full session (PostgreSQL)",
            registry=self.registry,
        )
        self.follow_ups = Counter(
            "workshop_bot_follow_ups",
            "Late replies sent as customer-service messages",
            ["result"],
            registry=self.registry,
        )
        self.faq_unanswered = Counter(
            "workshop_bot_faq_unanswered",
            "Questions the policy FAQ could not answer (each recorded for faq stats)",
            registry=self.registry,
        )
        # What a handler counts (Ctx.count), by event name: counted once its unit committed.
        self._events: dict[str, Any] = {"faq_unanswered": self.faq_unanswered}
        # Read from the database at each scrape (the outbox is shared by every process).
        self.outbox_rows = Gauge(
            "workshop_bot_outbox_rows", "Outbox rows by state", ["state"], registry=self.registry
        )
        self.outbox_oldest_pending = Gauge(
            "workshop_bot_outbox_oldest_pending_seconds",
            "Age of the oldest push still waiting to be sent (0: none waits)",
            registry=self.registry,
        )

        self._outcomes: dict[str, Any] = {}

    def set_outbox(self, states: dict[str, int], oldest: datetime | None, now: datetime) -> None:
        for state in OUTBOX_STATES:
            self.outbox_rows.labels(state=state).set(states.get(state, 0))
        self.outbox_oldest_pending.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0)

    def count(self, outcome: str) -> None:
        """One request by outcome; the labelled child is looked up once per outcome."""
        child = self._outcomes.get(outcome)
        if child is None:
            child = self._outcomes[outcome] = self.requests.labels(outcome=outcome)
        child.inc()

    def counted(self, events: list[str]) -> None:
        """The events a handler counted (Ctx.count), once its work was committed."""
        for event in events:
            self._events[event].inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
