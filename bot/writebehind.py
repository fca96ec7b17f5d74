"""Write-behind for deliveries that changed nothing, and for last-interaction times.

A message whose handler wrote nothing (帮助, an unknown text, a query) needs no
transactional de-duplication: running it again would change nothing either. Its log
row is buffered and written in batches, and its reply is kept here so that WeChat's
retry gets the same answer without a database round trip. Messages that wrote
something are recorded in their own transaction (see Dispatcher._apply).

If the process dies, the rows of the last fraction of a second are lost from the audit log; no
user-visible effect is, since those messages had none.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from datetime import datetime
from typing import Any

from storage.db import Database
from storage.queries.inbound import mark_inbound_deferred, record_inbound_batch
from storage.queries.members import touch_members

log = logging.getLogger(__name__)

FLUSH_INTERVAL = 0.2  # seconds
FLUSH_AT = 100  # pending rows that trigger an early flush: small batches keep pauses short
RECENT_LIMIT = 50_000  # replies remembered for retries (WeChat retries within ~15 s)


class WriteBehind:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._pending: dict[str, dict[str, Any]] = {}
        self._recent: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._touched: dict[int, datetime] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._flush_lock = asyncio.Lock()

    def seen(self, dedupe_key: str) -> dict[str, Any] | None:
        """The logged row of a recent delivery, if this process handled it."""
        return self._recent.get(dedupe_key)

    def add(self, row: dict[str, Any]) -> None:
        key = row["dedupe_key"]
        self._pending[key] = row
        self._recent[key] = row
        if len(self._recent) > RECENT_LIMIT:
            self._recent.popitem(last=False)
        if len(self._pending) >= FLUSH_AT:
            self._wake.set()

    def touch(self, member_id: int, now: datetime) -> None:
        self._touched[member_id] = now

    async def mark_deferred(self, dedupe_key: str) -> None:
        row = self._recent.get(dedupe_key)
        if row is not None:
            row["status"] = "deferred"  # the same dict as the pending row, if unflushed
        if dedupe_key not in self._pending:
            async with self.db.transaction() as session:
                await mark_inbound_deferred(session, dedupe_key)

    async def flush(self) -> None:
        async with self._flush_lock:
            rows, self._pending = list(self._pending.values()), {}
            touched, self._touched = self._touched, {}
            if not rows and not touched:
                return
            try:
                async with self.db.transaction() as session:
                    await record_inbound_batch(session, rows)
                    await touch_members(session, touched)
            except Exception:
                log.exception("write-behind flush of %d rows failed; will retry", len(rows))
                for row in rows:
                    self._pending.setdefault(row["dedupe_key"], row)
                for member_id, at in touched.items():
                    self._touched.setdefault(member_id, at)
                raise

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), FLUSH_INTERVAL)
            self._wake.clear()
            with contextlib.suppress(Exception):  # logged in flush; retried next round
                await self.flush()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()
