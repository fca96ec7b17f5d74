"""The service's outbox sweeps, watched: a test waits for the pushes an action queued to be
sent and their outcomes recorded, without sleeping. The worker is the service's own (started
with ``deliver=True``), nudged by whatever queued the pushes."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from bot.app import SCHEDULED_KEY
from tests.support import Service

WAIT = 10  # seconds


class Sweeps:
    def __init__(self, svc: Service) -> None:
        deliverer = svc.app[SCHEDULED_KEY].deliverer
        assert deliverer is not None, "start the service with deliver=True"
        self.outcomes: Counter[str] = Counter()
        self.changed = asyncio.Condition()
        run = deliverer.run

        async def watched(*, limit: int | None = None) -> Any:
            report = await run(limit=limit)
            async with self.changed:
                self.outcomes.update(report.outcomes)
                self.changed.notify_all()
            return report

        # The delivery loop looks the method up at every sweep: this one from now on.
        deliverer.run = watched

    def mark(self) -> int:
        """How many outcomes were recorded so far (for settled)."""
        return sum(self.outcomes.values())

    async def settled(self, since: int, n: int) -> None:
        """Until `n` more pushes than at `since` have their outcome recorded (at most
        WAIT seconds: a push that never goes out fails the test rather than hanging it)."""
        async with asyncio.timeout(WAIT), self.changed:
            await self.changed.wait_for(lambda: sum(self.outcomes.values()) >= since + n)
