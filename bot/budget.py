"""The 5-second budget: answer inside the HTTP response when the work is quick, otherwise
answer `success` at once and send the reply as a customer-service message when it is ready.

It also applies WeChat's retries once: a retry that arrives while the first delivery is
still being handled waits for that delivery's outcome instead of running it again (the
dispatcher's stored deliveries cover retries that arrive later).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from bot.context import Incoming
from bot.metrics import Metrics
from bot.replies import Silence, Text
from bot.writebehind import WriteBehind

log = logging.getLogger(__name__)


class FollowUpSender(Protocol):
    async def send_text(self, openid: str, content: str) -> None: ...


def mask(openid: str) -> str:
    """Enough of an openid to correlate log lines, not enough to identify a user."""
    return openid[:6] + "…" if len(openid) > 6 else openid


@dataclass
class Outcome:
    reply: Text | Silence
    replayed: bool = False  # a retry answered from the stored reply
    deferred: bool = False  # answered `success`; the reply went (or goes) out separately
    failed: bool = False


@dataclass
class _Inflight:
    task: asyncio.Task[Outcome]
    deferred: bool = False
    waiters: int = 0


async def _finished_within(task: asyncio.Task[Outcome], seconds: float) -> bool:
    """Wait for `task` up to `seconds`; unlike wait_for, never cancel it."""
    if task.done():
        return True
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[None] = loop.create_future()

    def wake(_: object = None) -> None:
        if not waiter.done():
            waiter.set_result(None)

    timer = loop.call_later(seconds, wake)
    task.add_done_callback(wake)
    try:
        await waiter
    finally:
        timer.cancel()
        task.remove_done_callback(wake)
    return task.done()


class ReplyBudget:
    """Runs `process` for each delivery once, within `seconds` or as a follow-up."""

    def __init__(self, process: Callable[[Incoming, float], Coroutine[Any, Any, Outcome]], *,
                 seconds: float,
                 follow_up: FollowUpSender | None, metrics: Metrics,
                 writer: WriteBehind) -> None:
        self.process = process
        self.seconds = seconds
        self.follow_up = follow_up
        self.metrics = metrics
        self.writer = writer
        self._inflight: dict[str, _Inflight] = {}
        # Strong references: a task nobody holds may be garbage-collected mid-flight.
        self.background: set[asyncio.Task[None]] = set()

    def _changed(self) -> None:
        """A delivery started or gained a waiting retry. Nothing to do here; a subclass that
        watches the budget (the tests' does, to await such a moment) overrides it."""

    async def handle(self, msg: Incoming) -> Outcome:
        """Answer within the budget, applying each WeChat retry exactly once."""
        key = msg.dedupe_key
        entry = self._inflight.get(key)
        first = entry is None
        if entry is None:
            deadline = time.monotonic() + self.seconds
            entry = _Inflight(task=asyncio.create_task(self.process(msg, deadline)))
            self._inflight[key] = entry
            entry.task.add_done_callback(lambda _t: self._inflight.pop(key, None))
        else:
            self.metrics.duplicates.inc()
            entry.waiters += 1
        self._changed()
        if not await _finished_within(entry.task, self.seconds):
            if first:
                entry.deferred = True
                self._keep(self._follow_up_later(msg, entry))
                log.warning("a %s from %s outran the reply budget; answering success",
                            msg.msg_type, mask(msg.openid))
            return Outcome(reply=Silence(), deferred=True)
        outcome = entry.task.result()
        if entry.deferred or outcome.deferred:
            return Outcome(reply=Silence(), deferred=True, replayed=outcome.replayed)
        if not first:
            return Outcome(reply=outcome.reply, replayed=True, failed=outcome.failed)
        return outcome

    def _keep(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def _follow_up_later(self, msg: Incoming, entry: _Inflight) -> None:
        outcome = await entry.task
        if not isinstance(outcome.reply, Text):
            return
        if self.follow_up is None:
            log.error("late reply for %s could not be sent: no WeChat API configured",
                      mask(msg.openid))
            return
        try:
            await self.follow_up.send_text(msg.openid, outcome.reply.content)
            self.metrics.follow_ups.labels(result="sent").inc()
        except Exception:
            self.metrics.follow_ups.labels(result="failed").inc()
            log.exception("late reply to %s failed to send", mask(msg.openid))
        if outcome.failed:
            return
        try:
            await self.writer.mark_deferred(msg.dedupe_key)
        except Exception:
            log.exception("could not mark %s as deferred", mask(msg.openid))
