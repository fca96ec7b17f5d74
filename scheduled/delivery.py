"""The outbox worker: sends pending rows once each, by the channel the rules allow.

Rules (SPEC §4):
- a customer-service message while the recipient wrote to us within the last 48 hours;
- otherwise (or when WeChat answers 45015/45047) the kind's template, if one is configured
  (``WECHAT_TEMPLATE_<KIND>``);
- otherwise the row is recorded as undeliverable, with the reason. Nobody is skipped
  silently: every row ends as sent, undeliverable, failed or dropped.

A row whose reason is gone by the time it is claimed (a check-in confirmed, a log
submitted meanwhile: see storage.queries.outbox.stale_outbox_ids) is dropped, not sent.

Reasons are stored as codes (``storage.codes.REASONS``), optionally with WeChat's errcode
after a colon (``rejected:43004``); :func:`reason_words` puts them into words.

Exactly once: a row is marked in flight (and committed) before its call. If the
process dies during the call, the row stays in flight; on restart,
:func:`recover` puts rows in flight for longer than ``STUCK_AFTER`` back to pending.
Those, and only those, can reach a user twice — WeChat may have delivered the call
the process did not live to record.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any, Protocol

from sqlalchemy.exc import DBAPIError

from locales import TEMPLATE_FIELD_LIMIT, Words
from storage.codes import (
    BUSY,
    ERROR,
    INACTIVE,
    NO_TEMPLATE,
    NOT_BOUND,
    QUOTA,
    REASONS,
    REJECTED,
    SENT,
    STALE,
    TEMPLATE_FAILED,
    UNSUBSCRIBED,
)
from storage.db import Database
from storage.queries.members import set_subscribed
from storage.queries.outbox import (
    Claim,
    claim_pending,
    requeue_in_flight,
    settle,
    stale_outbox_ids,
)

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=48)
MAX_ATTEMPTS = 5
STUCK_AFTER = timedelta(minutes=5)
# Rows claimed at a time: 20 go out at once (the API client's bound), so a batch is two
# waves — at worst two WeChat timeouts with their retries (about a minute), well inside
# the crash window in which no other process will take the rows back.
BATCH = 40

class Sender(Protocol):
    """What delivery needs of the WeChat API client. Errors it raises carry ``kind``
    ("retry", "switch_channel", "permanent" or "error") and ``errcode``."""

    async def send_text(self, openid: str, content: str) -> None: ...

    async def send_template(self, openid: str, template_id: str, fields: dict[str, str],
                            url: str | None = None) -> str: ...


@dataclass
class DeliveryReport:
    outcomes: Counter[str] = field(default_factory=Counter)  # sent:custom, undeliverable…
    sent: list[tuple[int, str, str]] = field(default_factory=list)  # (outbox id, channel, text)
    stopped: str | None = None  # why the run stopped early (e.g. the daily quota)

    @property
    def total(self) -> int:
        return sum(self.outcomes.values())


@dataclass(frozen=True)
class Outcome:
    status: str  # sent, undeliverable, failed, pending (try again later), quota
    channel: str | None
    result: str | None


def _kind(exc: BaseException) -> str:
    return str(getattr(exc, "kind", "error"))


def template_key(kind: str) -> str:
    """Outbox kind → template setting: "weekly-log-reminder" ↔ WECHAT_TEMPLATE_WEEKLY_LOG_REMINDER."""
    return kind.replace("-", "_").lower()


def default_fields(text: str, at: datetime, tz: tzinfo) -> dict[str, str]:
    """Template facts when the producer gave none: the gist and the time."""
    first_line = text.strip().splitlines()[0] if text.strip() else ""
    return {"thing1": first_line[:TEMPLATE_FIELD_LIMIT],
            "time2": at.astimezone(tz).strftime("%Y-%m-%d %H:%M")}


class Deliverer:
    def __init__(self, db: Database, sender: Sender, *, templates: dict[str, str], tz: tzinfo,
                 clock: Callable[[], datetime], stuck_after: timedelta = STUCK_AFTER) -> None:
        self.db = db
        self.sender = sender
        self.templates = templates
        self.tz = tz
        self.clock = clock
        # How long a row may stay in flight before the crash rule sends it again: longer
        # than any call takes (10 s timeout, retries), short enough that a dead process's
        # pushes are not late by much.
        self.stuck_after = stuck_after

    async def recover(self, now: datetime) -> int:
        """After a restart: rows stuck in flight go back to pending (see module doc)."""
        async with self.db.transaction() as session:
            count = await requeue_in_flight(session, now - self.stuck_after)
        if count:
            log.warning("%d outbox rows were in flight at a crash; sending them again", count)
        return count

    async def run(self, *, limit: int | None = None) -> DeliveryReport:
        """Send what is due now, batch after batch, until nothing is left (or `limit`)."""
        report = DeliveryReport()
        while limit is None or report.total < limit:
            now = self.clock()
            async with self.db.transaction() as session:
                claims = await claim_pending(session, now, min(BATCH, limit or BATCH))
                stale = await stale_outbox_ids(session, claims) if claims else set()
                for claim in claims:
                    if claim.id in stale:
                        await settle(session, claim.id, status="dropped", channel=None,
                                     result=STALE, now=now)
            if not claims:
                break
            if stale:
                report.outcomes["dropped"] += len(stale)
            claims = [c for c in claims if c.id not in stale]
            outcomes = await asyncio.gather(*(self._deliver(c, now) for c in claims))
            await self._record_all(claims, outcomes, now, report)
            if report.stopped:
                break
        if report.total:
            # One line per sweep that did anything: what an operator scans the log for.
            log.info("outbox: %s", ", ".join(f"{k} {v}" for k, v in sorted(report.outcomes.items()))
                     + (f"; stopped: {report.stopped}" if report.stopped else ""))
        return report

    async def _record_all(self, claims: list[Claim], outcomes: list[Outcome], now: datetime,
                          report: DeliveryReport) -> None:
        """Record the batch; again once if the database connection died under it (a
        PostgreSQL restart): unrecorded rows would be sent a second time by the crash rule."""
        for attempt in (1, 2):
            counted = DeliveryReport()
            try:
                async with self.db.transaction() as session:
                    for claim, outcome in zip(claims, outcomes, strict=True):
                        await self._record(session, claim, outcome, now, counted)
            except DBAPIError as exc:
                if attempt == 2 or not exc.connection_invalidated:
                    raise
                log.warning("recording %d sent pushes failed (%s); once more",
                            len(claims), type(exc).__name__)
                continue
            report.outcomes.update(counted.outcomes)
            report.sent.extend(counted.sent)
            report.stopped = report.stopped or counted.stopped
            return

    async def _record(self, session: Any, claim: Claim, outcome: Outcome, now: datetime,
                      report: DeliveryReport) -> None:
        status, retry_at = outcome.status, None
        if status in ("pending", "quota"):
            if status == "quota":
                report.stopped = outcome.result
            if claim.attempts >= MAX_ATTEMPTS:
                status = "failed"
            else:
                status = "pending"
                retry_at = now + timedelta(seconds=30 * 2 ** claim.attempts)
        await settle(session, claim.id, status=status, channel=outcome.channel,
                     result=outcome.result, now=now, next_attempt_at=retry_at, claimed_at=now)
        if outcome.result == f"{REJECTED}:43004":
            await set_subscribed(session, claim.recipient_id, False)
        report.outcomes[f"{status}:{outcome.channel}" if status == "sent" else status] += 1
        if status == "sent":
            report.sent.append((claim.id, outcome.channel or "", claim.text))

    async def _deliver(self, claim: Claim, now: datetime) -> Outcome:
        if not claim.active:
            # Deactivated after the row was queued: nobody expects anything of them now.
            return Outcome("undeliverable", None, INACTIVE)
        if claim.openid is None:
            return Outcome("undeliverable", None, NOT_BOUND)
        if not claim.subscribed:
            return Outcome("undeliverable", None, UNSUBSCRIBED)
        in_window = (claim.last_interaction_at is not None
                     and now - claim.last_interaction_at < WINDOW)
        closed = ""  # the errcode that closed the customer-service channel, if one did
        if in_window:
            try:
                await self.sender.send_text(claim.openid, claim.text)
                return Outcome("sent", "custom", SENT)
            except Exception as exc:
                outcome = self._failure(exc, "custom")
                if outcome is not None:
                    return outcome
                closed = f":{getattr(exc, 'errcode', '?')}"
        template_id = self.templates.get(template_key(claim.kind))
        if not template_id:
            return Outcome("undeliverable", None, NO_TEMPLATE + closed)
        fields = claim.template_fields or default_fields(claim.text, now, self.tz)
        try:
            await self.sender.send_template(claim.openid, template_id, fields, url=claim.url)
            return Outcome("sent", "template", SENT)
        except Exception as exc:
            return self._failure(exc, "template") or Outcome(
                "undeliverable", "template", f"{TEMPLATE_FAILED}:{getattr(exc, 'errcode', '?')}")

    def _failure(self, exc: Exception, channel: str) -> Outcome | None:
        """What a failed call means; None means "this channel is closed, try the next"."""
        kind, code = _kind(exc), getattr(exc, "errcode", None)
        if kind == "switch_channel":
            return None
        if code == 45009:
            return Outcome("quota", channel, f"{QUOTA}:45009")
        if kind == "retry":
            return Outcome("pending", channel, f"{BUSY}:{code}")
        if kind == "permanent":
            return Outcome("undeliverable", channel, f"{REJECTED}:{code}")
        log.warning("unexpected error sending outbox message: %s", exc)
        return Outcome("pending", channel, f"{ERROR}:{code}")


def reason_words(words: Words, result: str | None) -> str:
    """A stored reason in words: 「中文说明（code errcode）」 for ``rejected:43004``; a text
    stored before reasons were codes reads as itself, and no reason as nothing."""
    if not result:
        return ""
    code, _, errcode = result.partition(":")
    if code not in REASONS:
        return result
    reason = words(f"outbox.reason.{code}", hours=int(WINDOW.total_seconds() // 3600))
    return words("outbox.reason_with_code", reason=reason,
                 code=f"{code} {errcode}" if errcode else code)
