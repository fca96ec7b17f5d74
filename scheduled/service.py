"""What `serve` runs besides the endpoint: the delivery loop, and the job scheduler while
this process holds the scheduler lease (so several processes run each job once)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, tzinfo
from typing import Any

from domain.report_links import LinkBook, LinkSettings
from scheduled.delivery import Deliverer
from scheduled.scheduler import GRACE, JOBS, JobSpec, catch_up, due_on, run_job
from storage.db import Database
from storage.queries.lease import hold_lease

log = logging.getLogger(__name__)

DELIVERY_INTERVAL = 2.0  # seconds between outbox sweeps
RECOVER_EVERY = timedelta(minutes=1)  # how often rows stuck in flight are looked for
LEASE = "scheduler"
LEASE_TERM = timedelta(seconds=90)
LEASE_RENEW = 30  # seconds: a dead leader's jobs move to another process within ~90 s


class ScheduledService:
    def __init__(self, db: Database, deliverer: Deliverer | None, *, tz: tzinfo,
                 clock: Callable[[], datetime], run_jobs: bool,
                 jobs: dict[str, JobSpec] | None = None,
                 weights: Mapping[str, float] | None = None,
                 report_links: LinkSettings | None = None) -> None:
        self.jobs = jobs or JOBS
        self.weights = weights
        # Read when a job runs, so the links follow the settings as they are then.
        self.report_links = report_links
        self.db = db
        self.deliverer = deliverer
        self.tz = tz
        self.clock = clock
        self.run_jobs = run_jobs
        self.holder = secrets.token_hex(8)
        self.leader = False
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._scheduler: Any = None

    def links(self) -> LinkBook | None:
        """The book the jobs' report links are made with (none: pushes carry no link)."""
        return None if self.report_links is None else LinkBook.of(self.report_links)

    def nudge(self) -> None:
        """Something was queued: sweep the outbox now rather than at the next interval."""
        self._wake.set()

    async def start(self) -> None:
        if self.deliverer is not None:
            await self.deliverer.recover(self.clock())
            self._tasks.append(asyncio.create_task(self._deliver_forever()))
        if self.run_jobs:
            from apscheduler.schedulers.asyncio import AsyncIOScheduler
            from apscheduler.triggers.cron import CronTrigger
            from apscheduler.triggers.interval import IntervalTrigger

            scheduler = AsyncIOScheduler(timezone=self.tz)
            for spec in self.jobs.values():
                scheduler.add_job(self.fire, CronTrigger(hour=spec.at.hour, minute=spec.at.minute,
                                                         timezone=self.tz),
                                  args=[spec.name], id=spec.name, coalesce=True, max_instances=1,
                                  misfire_grace_time=int(GRACE.total_seconds()))
            scheduler.add_job(self.renew, IntervalTrigger(seconds=LEASE_RENEW), id="lease")
            scheduler.start()
            self._scheduler = scheduler
            if await self.renew():
                for report in await catch_up(self.db, self.clock(), self.tz, self.jobs,
                                             self.weights, self.links()):
                    log.info("caught up %s for %s", report.name, report.period)
                self.nudge()

    async def renew(self) -> bool:
        now = self.clock()
        async with self.db.transaction() as session:
            leader = await hold_lease(session, LEASE, self.holder, now, now + LEASE_TERM)
        if leader != self.leader:
            log.info("this process %s the scheduler", "now runs" if leader else "no longer runs")
        self.leader = leader
        return leader

    async def fire(self, name: str) -> None:
        """A job's time of day came: run it if today is its (shifted) day and we lead."""
        now = self.clock()
        if not self.leader or not due_on(self.jobs[name], now.astimezone(self.tz).date()):
            return
        await run_job(self.db, name, now, self.tz, self.weights, links=self.links())
        self.nudge()

    async def _deliver_forever(self) -> None:
        assert self.deliverer is not None
        recovered_at = self.clock()
        while True:
            try:
                if self.clock() - recovered_at >= min(RECOVER_EVERY,
                                                      self.deliverer.stuck_after / 2):
                    # Rows another process left in flight when it died (kill -9, a lost
                    # machine): the crash rule sends them again; not only at start-up, or a
                    # dead process's rows would wait for the next restart of a live one.
                    recovered_at = self.clock()
                    await self.deliverer.recover(recovered_at)
                await self.deliverer.run()
            except Exception:
                log.exception("outbox sweep failed; trying again shortly")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), DELIVERY_INTERVAL)
            self._wake.clear()

    async def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
