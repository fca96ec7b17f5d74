"""One access token for every process: through the database, or Redis when configured."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.token_store import (
    DatabaseTokenStore,
    FallbackTokenStore,
    RedisTokenStore,
    TokenStore,
)
from bot.wechat_api import WeChatAPI
from storage.db import Database
from tests.conftest import IN_CI
from tests.fakes import FakeWeChatAPI
from tests.support import FakeClock

REDIS_URL = os.environ.get("WORKSHOP_BOT_TEST_REDIS", "redis://127.0.0.1:6379/0")
TOKEN = "/cgi-bin/stable_token"


async def _redis_store() -> RedisTokenStore:
    store = RedisTokenStore(REDIS_URL)
    try:
        await store.redis.ping()
    except Exception as exc:
        await store.close()
        if IN_CI:
            pytest.fail(f"Redis at {REDIS_URL} is required in CI: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    return store


# Nothing listens there: Redis "stopped".
REDIS_DOWN = "redis://127.0.0.1:1/0"


@pytest.fixture(params=["database", "redis", "redis stopped"])
async def stores(request: pytest.FixtureRequest, database_url: str
                 ) -> AsyncIterator[tuple[TokenStore, TokenStore]]:
    """Two processes' views of one shared store."""
    if request.param == "redis":
        a, b = await _redis_store(), await _redis_store()
        yield a, b
        await a.close()
        await b.close()
        return
    db_a, db_b = Database(database_url), Database(database_url)
    clock = FakeClock()
    if request.param == "redis stopped":
        # REDIS_URL is set but Redis does not answer: the token goes through the database.
        down_a = FallbackTokenStore(RedisTokenStore(REDIS_DOWN), DatabaseTokenStore(db_a, clock))
        down_b = FallbackTokenStore(RedisTokenStore(REDIS_DOWN), DatabaseTokenStore(db_b, clock))
        yield down_a, down_b
        await down_a.close()
        await down_b.close()
    else:
        yield DatabaseTokenStore(db_a, clock), DatabaseTokenStore(db_b, clock)
    await db_a.dispose()
    await db_b.dispose()


async def test_processes_share_one_token_and_one_refresh(
    stores: tuple[TokenStore, TokenStore], fake_api: FakeWeChatAPI, var_dir: Path
) -> None:
    fake_api.calls.clear()
    app_id = "wx" + uuid.uuid4().hex[:12]  # Redis keeps keys between runs
    clock = FakeClock()
    one, two = (WeChatAPI(fake_api.base_url, app_id, "secret", clock=clock, token_store=s,
                          retry_delays=(0, 0)) for s in stores)
    try:
        await one.send_text("o1", "第一条")
        await two.send_text("o2", "第二条")  # finds the first process's token
        assert len(fake_api.calls_to(TOKEN)) == 1
        sends = fake_api.calls_to("/cgi-bin/message/custom/send")
        assert sends[0].query["access_token"] == sends[1].query["access_token"]
        # Both are told the token is dead at once: only one asks WeChat for a new one.
        stale = sends[0].query["access_token"]
        fresh = await asyncio.gather(one.access_token(refresh=True),
                                     two.access_token(refresh=True))
        assert fresh[0] == fresh[1] != stale
        assert len(fake_api.calls_to(TOKEN)) == 2
        assert fake_api.calls_to(TOKEN)[1].body["force_refresh"] is True
    finally:
        await one.close()
        await two.close()
