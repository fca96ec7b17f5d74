"""One message, once: per-openid lock → unit of work → load dialog → route → commit.

The reply budget (answer in the response or follow up later) is bot.budget's.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sqlite3
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime

from sqlalchemy.exc import IntegrityError, OperationalError

from bot.budget import Outcome, mask
from bot.config import Settings
from bot.context import ROLE_UNBOUND, Ctx, Dialog, Incoming
from bot.dialogs import DIALOG_TTL
from bot.metrics import Metrics
from bot.replies import Reply, Silence, Text, from_record, to_record
from bot.routing import ANY_ROLE, RouteTable
from bot.writebehind import WriteBehind
from locales import DEFAULT_LANGUAGE, t, words_for
from storage.db import SQLITE_LOCK_WAIT, Database, transaction_wrote
from storage.driver import NeedsSession
from storage.queries.dialogs import clear_dialog, save_dialog
from storage.queries.inbound import inbound_by_key, inbound_row, record_inbound
from storage.queries.locks import lock_openid_for_transaction
from storage.queries.sender import SenderReads, sender_of
from storage.session import Session

log = logging.getLogger(__name__)

# When the reply budget of the delivery being handled runs out (time.monotonic()).
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("deadline",
                                                                       default=None)


def apology() -> str:
    """What the sender reads when their message could not be handled at all."""
    return t(DEFAULT_LANGUAGE, "common.apology")


class KeyedLocks:
    """One asyncio lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    async def acquire(self, key: str) -> None:
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            await lock.acquire()
        except BaseException:
            self._forget(key)
            raise

    def release(self, key: str) -> None:
        self._locks[key][0].release()
        self._forget(key)

    def _forget(self, key: str) -> None:
        lock, users = self._locks[key]
        if users <= 1:
            del self._locks[key]
        else:
            self._locks[key] = (lock, users - 1)


class Dispatcher:
    def __init__(
        self,
        *,
        db: Database,
        routes: RouteTable,
        settings: Settings,
        clock: Callable[[], datetime],
        metrics: Metrics,
    ) -> None:
        self.db = db
        self.routes = routes
        self.settings = settings
        self.clock = clock
        self.metrics = metrics
        self._locks = KeyedLocks()
        self._senders = SenderReads(db)
        self.writer = WriteBehind(db)

    # -- one message, once ------------------------------------------------------------

    async def process(self, msg: Incoming, deadline: float | None = None) -> Outcome:
        """Handle `msg` once. `deadline` (time.monotonic()) is when the reply budget runs out:
        a delivery recorded after it is recorded as deferred, so that WeChat's retry —
        which may reach another process — answers `success` rather than the reply the
        follow-up carries too."""
        # Each delivery runs in a task of its own, so this value is the delivery's alone.
        _DEADLINE.set(deadline)
        # Acquire/release rather than a context manager: this runs for every message.
        await self._locks.acquire(msg.openid)
        try:
            return await self._process_locked(msg)
        finally:
            self._locks.release(msg.openid)

    @staticmethod
    def _status() -> str:
        deadline = _DEADLINE.get()
        return "deferred" if deadline is not None and time.monotonic() >= deadline else "done"

    async def _process_locked(self, msg: Incoming) -> Outcome:
        try:
            return await self._apply_waiting_for_sqlite(msg)
        except IntegrityError:
            # Another process recorded the same delivery between our check and our
            # insert; everything we did was rolled back, so answer as it did.
            async with self.db.transaction() as session:
                row = await inbound_by_key(session, msg.dedupe_key)
            if row is not None:
                return Outcome(from_record(row.reply), replayed=True,
                               deferred=row.status == "deferred")
            log.exception("integrity error handling a message from %s", mask(msg.openid))
        except Exception:
            log.exception("handler failed for a %s from %s", msg.msg_type, mask(msg.openid))
        self.metrics.handler_errors.inc()
        # Nothing was recorded, so WeChat's retry (or the user's resend) runs it afresh.
        return Outcome(Text(apology()), failed=True)

    async def _apply_waiting_for_sqlite(self, msg: Incoming) -> Outcome:
        """_apply, again after a pause while another process holds SQLite's write lock
        (a roster import, say): the failed attempt kept nothing, so running it again is safe."""
        delay, deadline = 0.01, time.monotonic() + SQLITE_LOCK_WAIT
        while True:
            try:
                return await self._apply(msg)
            except (OperationalError, sqlite3.OperationalError) as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.2)

    async def _apply(self, msg: Incoming) -> Outcome:
        recent = self.writer.seen(msg.dedupe_key)
        if recent is not None:
            return Outcome(from_record(recent["reply"]), replayed=True,
                           deferred=recent["status"] == "deferred")
        now = self.clock()
        if self.db.sqlite:
            return await self._apply_locked(msg, now, self.db.unit())
        first = self.routes.resolve(msg, None, ANY_ROLE)  # whoever sends it, outside dialogs
        if first is None or not first.route.writes:
            quick = await self._apply_reading(msg, now)
            if quick is not None:
                return quick
        # PostgreSQL: a lean route's unit runs on asyncpg directly (storage.driver).
        if first is not None and first.route.lean:
            try:
                return await self._apply_locked(msg, now, self.db.driver_unit())
            except NeedsSession as exc:
                self.metrics.session_fallbacks.inc()
                log.info("%s asked the lean session for %s; running it again on a full one",
                         first.route.handler.__name__, exc)
        return await self._apply_locked(msg, now, self.db.unit())

    async def _apply_locked(self, msg: Incoming, now: datetime,
                            unit: AbstractAsyncContextManager[Session]) -> Outcome:
        """The message in one unit of work under its sender's lock: read the sender, route,
        run the handler, keep the dialog, record the delivery."""
        async with unit as session:
            await lock_openid_for_transaction(session, msg.openid)
            sender = await sender_of(session, msg.openid, msg.dedupe_key)
            if sender.seen is not None:
                return Outcome(from_record(sender.seen.reply), replayed=True,
                               deferred=sender.seen.status == "deferred")
            member = sender.member
            dialog = Dialog()
            if sender.dialog is not None:
                if sender.dialog.expires_at > now:
                    dialog = Dialog(state=sender.dialog.state, data=sender.dialog.data)
                else:
                    dialog = Dialog(expired=True)
                    await clear_dialog(session, msg.openid)
            role = member.role if member is not None else ROLE_UNBOUND
            resolution = self.routes.resolve(msg, dialog.state, role)
            ctx = Ctx(
                session_source=lambda: session,
                member=member,
                dialog=dialog,
                now=now,
                settings=self.settings,
                commands=self.routes.commands_for(role),
                words=words_for(sender.language),
                route_afresh=self._route_afresh,
            )
            if resolution is None:
                reply: Reply = Silence()
            else:
                ctx.args = resolution.args
                ctx.command = resolution.route.command
                started = time.perf_counter()
                reply = await resolution.route.handler(msg, ctx)
                self.metrics.handler_seconds.observe(time.perf_counter() - started)
            if dialog.changed:
                if dialog.state is None:
                    if sender.dialog is not None and not dialog.expired:
                        await clear_dialog(session, msg.openid)
                else:
                    await save_dialog(session, msg.openid, dialog.state, dialog.data,
                                      now=now, expires_at=now + (dialog.ttl or DIALOG_TTL))
            row = inbound_row(
                dedupe_key=msg.dedupe_key,
                openid=msg.openid,
                msg_type=msg.msg_type,
                event=msg.event,
                content=msg.text,
                received_at=now,
                status=self._status(),
                reply=to_record(reply),
            )
            wrote = await transaction_wrote(session)
            if wrote:
                # In the same transaction as every effect: if another process recorded
                # this delivery meanwhile, the insert fails and all of it rolls back.
                await record_inbound(session, row)
        if ctx.events:
            self.metrics.counted(ctx.events)
        if not wrote:
            self.writer.add(row)
        if member is not None and msg.event != "unsubscribe":
            self.writer.touch(member.id, now)
        return Outcome(reply)

    async def _route_afresh(self, msg: Incoming, ctx: Ctx) -> Reply:
        """Ctx.handle_afresh: `msg` routed as if no dialog were open, its handler run with
        `ctx` (its arguments and command set for it)."""
        resolution = self.routes.resolve(msg, None, ctx.role)
        if resolution is None:
            return Silence()
        ctx.args = resolution.args
        ctx.command = resolution.route.command
        return await resolution.route.handler(msg, ctx)

    async def _apply_reading(self, msg: Incoming, now: datetime) -> Outcome | None:
        """PostgreSQL's fast path for a message that only reads (帮助, 我的, 统计, an unknown
        text) from a sender with no dialog: no per-user lock and no transaction, one
        prepared statement (shared with the messages that arrive with it) before the
        handler, and a session only if the handler reads. None: take the locked path
        instead — the route writes, a dialog is open, or the handler turned out to write
        (its work is rolled back and done again under the lock, so nothing is applied
        twice)."""
        sender = await self._senders(msg.openid, msg.dedupe_key)
        if sender.seen is not None:
            return Outcome(from_record(sender.seen.reply), replayed=True,
                           deferred=sender.seen.status == "deferred")
        if sender.dialog is not None:
            return None
        member = sender.member
        role = member.role if member is not None else ROLE_UNBOUND
        resolution = self.routes.resolve(msg, None, role)
        if resolution is not None and resolution.route.writes:
            return None
        reply: Reply = Silence()
        async with self.db.lazy_reader() as reading:
            if resolution is not None:
                ctx = Ctx(session_source=reading.get, member=member, dialog=Dialog(), now=now,
                          settings=self.settings, commands=self.routes.commands_for(role),
                          words=words_for(sender.language), args=resolution.args,
                          command=resolution.route.command, route_afresh=self._route_afresh)
                started = time.perf_counter()
                reply = await resolution.route.handler(msg, ctx)
                self.metrics.handler_seconds.observe(time.perf_counter() - started)
                if ctx.dialog.changed:
                    # A read-only route may open a dialog now and then (the fallback's offer
                    # of what a text seemed to mean): store it under the lock.
                    return None
                session = reading.opened
                if session is not None and session.in_transaction() \
                        and await transaction_wrote(session):
                    route = resolution.route
                    log.log(logging.DEBUG if route.may_write else logging.WARNING,
                            "a read-only route wrote: %s; running it again locked",
                            route.handler.__name__)
                    return None
                if ctx.events:
                    self.metrics.counted(ctx.events)
        self.writer.add(inbound_row(
            dedupe_key=msg.dedupe_key, openid=msg.openid, msg_type=msg.msg_type,
            event=msg.event, content=msg.text, received_at=now, status=self._status(),
            reply=to_record(reply)))
        if member is not None and msg.event != "unsubscribe":
            self.writer.touch(member.id, now)
        return Outcome(reply)
