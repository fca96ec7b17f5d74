"""The outbox worker: sends pending rows once each, by the channel the rules allow.

Rules (SPEC §4):
- a customer-service message while the recipient wrote to us within the last 48 hours;
- otherwise (or when WeChat answers 45015/45047) the kind's template, if one is configured
  (``WECHAT_TEMPLATE_<KIND>``);
- otherwise the row is recorded as undeliverable, with the reason. Nobody is skipped
  silently: every row ends as sent, undeliverable or failed.

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

from storage.db import Database
from storage.queries.members import set_subscribed
from storage.queries.outbox import Claim, claim_pending, requeue_in_flight, settle

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=48)
MAX_ATTEMPTS = 5
STUCK_AFTER = timedelta(minutes=5)
BATCH = 200
TEMPLATE_FIELD_LIMIT = 20  # WeChat cuts each template value at 20 characters


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
                 clock: Callable[[], datetime]) -> None:
        self.db = db
        self.sender = sender
        self.templates = templates
        self.tz = tz
        self.clock = clock

    async def recover(self, now: datetime) -> int:
        """After a restart: rows stuck in flight go back to pending (see module doc)."""
        async with self.db.transaction() as session:
            count = await requeue_in_flight(session, now - STUCK_AFTER)
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
            if not claims:
                break
            outcomes = await asyncio.gather(*(self._deliver(c, now) for c in claims))
            async with self.db.transaction() as session:
                for claim, outcome in zip(claims, outcomes, strict=True):
                    await self._record(session, claim, outcome, now, report)
            if report.stopped:
                break
        return report

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
                     result=outcome.result, now=now, next_attempt_at=retry_at)
        if outcome.result and "43004" in outcome.result:
            await set_subscribed(session, claim.recipient_id, False)
        report.outcomes[f"{status}:{outcome.channel}" if status == "sent" else status] += 1
        if status == "sent":
            report.sent.append((claim.id, outcome.channel or "", claim.text))

    async def _deliver(self, claim: Claim, now: datetime) -> Outcome:
        if claim.openid is None:
            return Outcome("undeliverable", None, "收件人还没有绑定微信")
        if not claim.subscribed:
            return Outcome("undeliverable", None, "收件人已取消关注公众号")
        in_window = (claim.last_interaction_at is not None
                     and now - claim.last_interaction_at < WINDOW)
        why_not_custom = "48 小时内没有互动"
        if in_window:
            try:
                await self.sender.send_text(claim.openid, claim.text)
                return Outcome("sent", "custom", "ok")
            except Exception as exc:
                outcome = self._failure(exc, "custom")
                if outcome is not None:
                    return outcome
                why_not_custom = f"客服消息不可用（{getattr(exc, 'errcode', '?')}）"
        template_id = self.templates.get(template_key(claim.kind))
        if not template_id:
            return Outcome("undeliverable", None, f"{why_not_custom}，且没有配置模板消息")
        fields = claim.template_fields or default_fields(claim.text, now, self.tz)
        try:
            await self.sender.send_template(claim.openid, template_id, fields)
            return Outcome("sent", "template", "ok")
        except Exception as exc:
            return self._failure(exc, "template") or Outcome(
                "undeliverable", "template", f"模板消息不可用（{getattr(exc, 'errcode', '?')}）")

    def _failure(self, exc: Exception, channel: str) -> Outcome | None:
        """What a failed call means; None means "this channel is closed, try the next"."""
        kind, code = _kind(exc), getattr(exc, "errcode", None)
        if kind == "switch_channel":
            return None
        if code == 45009:
            return Outcome("quota", channel, "45009: 今日调用次数已用完，本轮停止")
        if kind == "retry":
            return Outcome("pending", channel, f"{code}: 微信繁忙，稍后重试")
        if kind == "permanent":
            return Outcome("undeliverable", channel, f"{code}: {getattr(exc, 'errmsg', exc)}")
        log.warning("unexpected error sending outbox message: %s", exc)
        return Outcome("pending", channel, f"{code}: {exc}")
