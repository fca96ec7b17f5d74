"""Where the access token lives between processes: Redis when REDIS_URL is set, else the
database. Both offer the same three calls; WeChatAPI keeps its own copy in memory too."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from storage.db import Database
from storage.queries.lease import hold_lease
from storage.queries.tokens import store_token, stored_token

log = logging.getLogger(__name__)

REFRESH_HOLD = timedelta(seconds=30)  # the longest a refresh may take before others step in
WAIT_STEP = 0.05


class TokenStore(Protocol):
    async def get(self, app_id: str) -> tuple[str, datetime] | None: ...

    async def put(self, app_id: str, token: str, expires_at: datetime) -> None: ...

    def refreshing(self, app_id: str) -> contextlib.AbstractAsyncContextManager[None]: ...


class DatabaseTokenStore:
    """The token in a table; one refresher at a time through a lease (see storage.lease)."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock
        self.holder = secrets.token_hex(8)

    async def get(self, app_id: str) -> tuple[str, datetime] | None:
        async with self.db.transaction() as session:
            return await stored_token(session, app_id)

    async def put(self, app_id: str, token: str, expires_at: datetime) -> None:
        async with self.db.transaction() as session:
            await store_token(session, app_id, token, expires_at)

    @contextlib.asynccontextmanager
    async def refreshing(self, app_id: str) -> AsyncIterator[None]:
        name = f"token:{app_id}"
        deadline = time.monotonic() + REFRESH_HOLD.total_seconds()
        while True:
            now = self.clock()
            async with self.db.transaction() as session:
                if await hold_lease(session, name, self.holder, now, now + REFRESH_HOLD):
                    break
            if time.monotonic() > deadline:
                break  # the holder seems stuck: refresh anyway
            await asyncio.sleep(WAIT_STEP)  # another process is refreshing right now
        try:
            yield
        finally:
            async with self.db.transaction() as session:
                # Let the next refresher in at once.
                await hold_lease(session, name, self.holder, now, now)


class RedisTokenStore:
    """The token in Redis with its expiry; a Redis lock makes one refresher at a time."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as aioredis

        # Bounded waits: a Redis that accepts connections but never answers must not hold
        # the token (and its refresh lock) up; the fallback store takes over instead.
        self.redis: Any = aioredis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def _key(self, app_id: str) -> str:
        return f"workshop-bot:access-token:{app_id}"

    async def get(self, app_id: str) -> tuple[str, datetime] | None:
        raw = await self.redis.get(self._key(app_id))
        if raw is None:
            return None
        token, _, expires = raw.decode().partition("\t")
        return token, datetime.fromtimestamp(float(expires), UTC)

    async def put(self, app_id: str, token: str, expires_at: datetime) -> None:
        ttl = max(1, int((expires_at - datetime.now(UTC)).total_seconds()))
        await self.redis.set(self._key(app_id), f"{token}\t{expires_at.timestamp()}", ex=ttl)

    @contextlib.asynccontextmanager
    async def refreshing(self, app_id: str) -> AsyncIterator[None]:
        lock = self.redis.lock(self._key(app_id) + ":lock",
                               timeout=REFRESH_HOLD.total_seconds(),
                               blocking_timeout=REFRESH_HOLD.total_seconds())
        try:
            got = await lock.acquire()
        except Exception as exc:  # raised before the caller's block runs: safe to fall back
            raise _RedisUnavailable(exc) from exc
        try:
            yield
        finally:
            if got:
                with contextlib.suppress(Exception):
                    await lock.release()

    async def close(self) -> None:
        await self.redis.aclose()


class FallbackTokenStore:
    """Redis first; the database when Redis does not answer (stopped, restarting, refused).

    Several processes then share the token through the database until Redis is back, so a
    stopped Redis costs no push and doubles no refresh beyond what the database's lease
    allows. Each failure is logged once per outage, not per call."""

    def __init__(self, redis: RedisTokenStore, database: DatabaseTokenStore) -> None:
        self.redis = redis
        self.database = database
        self._down = False

    def _failed(self, exc: Exception) -> None:
        if not self._down:
            log.warning("Redis unavailable (%s); the access token goes through the database",
                        type(exc).__name__)
        self._down = True

    def _answered(self) -> None:
        if self._down:
            log.info("Redis answers again; the access token goes through it")
        self._down = False

    async def get(self, app_id: str) -> tuple[str, datetime] | None:
        try:
            found = await self.redis.get(app_id)
        except Exception as exc:  # a Redis error of any kind: the database still works
            self._failed(exc)
            return await self.database.get(app_id)
        self._answered()
        return found

    async def put(self, app_id: str, token: str, expires_at: datetime) -> None:
        # Written to both, each on its own: whichever the next reader reaches has it, and
        # one store failing does not lose the token WeChat just issued.
        try:
            await self.redis.put(app_id, token, expires_at)
            self._answered()
        except Exception as exc:
            self._failed(exc)
        try:
            await self.database.put(app_id, token, expires_at)
        except Exception:
            log.exception("the access token could not be kept in the database")

    @contextlib.asynccontextmanager
    async def refreshing(self, app_id: str) -> AsyncIterator[None]:
        if not self._down:
            try:
                async with self.redis.refreshing(app_id):
                    yield
                return
            except _RedisUnavailable as exc:
                self._failed(exc.cause)
        async with self.database.refreshing(app_id):
            yield

    async def close(self) -> None:
        await self.redis.close()


class _RedisUnavailable(Exception):
    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause
