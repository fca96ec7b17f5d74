"""Running the service for tests: real HTTP into create_app, a fixed clock, WeChat's side."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from bot.app import BUDGET_KEY, DB_KEY, DISPATCHER_KEY, create_app
from bot.budget import ReplyBudget
from bot.config import Settings
from bot.routing import Router
from bot.simulator import Delivery, WeChatSide, event_xml, text_xml
from storage.db import Database

TOKEN = "workshoptoken"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx2c2769f8efd9abc2"
# A Friday afternoon in Shanghai: what the clock says unless a test moves it.
START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


class ObservedBudget(ReplyBudget):
    """The reply budget with a way to await "delivery K is in flight with N retries waiting",
    so tests never sleep and hope."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._moved = asyncio.Event()

    def _changed(self) -> None:
        self._moved.set()

    async def wait_for(self, key: str, retries: int) -> None:
        while True:
            entry = self._inflight.get(key)
            if entry is not None and entry.waiters >= retries:
                return
            self._moved.clear()
            await self._moved.wait()


@dataclass
class FakeClock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)

    @property
    def ts(self) -> int:
        return int(self.now.timestamp())


_msg_ids = itertools.count(7_000_000_000_000_000_000)


@dataclass
class Service:
    client: TestClient[Any, Any]
    clock: FakeClock
    side: WeChatSide
    settings: Settings
    modes: tuple[str, ...] = ("plain",)
    last_status: int = field(default=0)

    @property
    def app(self) -> Any:
        return self.client.server.app

    @property
    def db(self) -> Database:
        return self.app[DB_KEY]

    @property
    def dispatcher(self) -> Any:
        return self.app[DISPATCHER_KEY]

    @property
    def budget(self) -> Any:
        return self.app[BUDGET_KEY]

    async def wait_for_inflight(self, key: str, *, retries: int = 0) -> None:
        """Resolve once delivery `key` is being handled with `retries` copies waiting on it."""
        await self.budget.wait_for(key, retries)

    async def post(self, delivery: Delivery) -> ClientResponse:
        return await self.client.post(delivery.path, data=delivery.body)

    async def deliver(self, xml: str, *, mode: str = "plain") -> dict[str, Any] | None:
        resp = await self.post(self.side.deliver(xml, timestamp=self.clock.ts, mode=mode))
        self.last_status = resp.status
        assert resp.status == 200, await resp.text()
        return self.side.read_reply(await resp.text())

    async def text(self, openid: str, content: str, *, mode: str = "plain",
                   msg_id: int | None = None) -> str | None:
        xml = text_xml(openid, content, msg_id=msg_id or next(_msg_ids), create_time=self.clock.ts)
        reply = await self.deliver(xml, mode=mode)
        return None if reply is None else str(reply["Content"])

    async def event(self, openid: str, event: str, key: str | None = None,
                    *, mode: str = "plain") -> str | None:
        reply = await self.deliver(event_xml(openid, event, create_time=self.clock.ts, key=key),
                                   mode=mode)
        return None if reply is None else str(reply["Content"])


async def bind_members(svc: Service, openids: dict[str, str]) -> None:
    """Bind members to openids directly (binding itself is tested in test_onboarding)."""
    from sqlalchemy import update

    from storage.models import Member

    async with svc.db.transaction() as session:
        for employee_no, openid in openids.items():
            await session.execute(
                update(Member).where(Member.employee_no == employee_no).values(openid=openid))


async def import_roster_text(svc: Service, path: Path, text: str) -> None:
    from domain.roster_file import read_roster
    from storage.queries.roster import apply_roster

    path.write_text(text, encoding="utf-8")  # noqa: ASYNC240 (a test's few bytes)
    read = read_roster(path)
    assert not read.errors, read.errors
    async with svc.db.transaction() as session:
        await apply_roster(session, read.entries, root_union="测试市总工会", now=svc.clock.now,
                           today=svc.clock.now.date())


async def roster_service(database_url: str, var_dir: str, roster_dir: Path, roster: str,
                         openids: dict[str, str], now: datetime) -> Service:
    """A service on a fresh roster with these members bound, its clock at `now`."""
    service = await start_service(make_settings(database_url, var_dir), clock=FakeClock(now))
    await import_roster_text(service, roster_dir / "roster.csv", roster)
    await bind_members(service, openids)
    return service


def make_settings(database_url: str, var_dir: str, *, api_base: str = "http://127.0.0.1:9",
                  aes_key: str | None = AES_KEY, app_id: str = APP_ID,
                  token: str = TOKEN) -> Settings:
    return Settings(
        wechat_token=token,
        wechat_app_id=app_id,
        wechat_app_secret="secret",
        wechat_encoding_aes_key=aes_key,
        wechat_api_base=api_base,
        database_url=database_url,
        workshop_bot_var_dir=var_dir,
    )


async def start_service(
    settings: Settings,
    *,
    clock: FakeClock | None = None,
    extra_routers: Iterable[Router] = (),
    reply_budget: float | None = None,
    deliver: bool = False,
    run_jobs: bool = False,
) -> Service:
    clock = clock or FakeClock()
    from handlers import build_router
    from web import web_parts

    app = create_app(settings, build_router(*extra_routers), clock=clock, reply_budget=reply_budget,
                     deliver=deliver, run_jobs=run_jobs, budget_class=ObservedBudget,
                     web_parts=web_parts(settings))
    client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    side = WeChatSide(settings.token, aes_key=settings.wechat_encoding_aes_key,
                      app_id=settings.wechat_app_id)
    return Service(client=client, clock=clock, side=side, settings=settings)


async def inbox(svc: Service, employee_no: str) -> list[str]:
    """The texts queued in the outbox for this member, oldest first."""
    from storage.queries.invites import member_by_employee_no
    from storage.queries.outbox import outbox_for

    async with svc.db.transaction() as session:
        member = await member_by_employee_no(session, employee_no)
        assert member is not None
        return [m.text for m in await outbox_for(session, member.id)]


def number_in(reply: str) -> int:
    """The record number a reply names: "……（编号 12）……" → 12 (編號 in Traditional)."""
    marker = "编号 " if "编号 " in reply else "編號 "
    return int(reply.split(marker)[1].split("）")[0].split(" ")[0].split("，")[0])


def roster_fixture(roster: str, openids: dict[str, str], now: datetime) -> Any:
    """The module's `svc` fixture: one service on a fresh roster, these members bound, its
    clock at `now`; shared by the module's tests (``svc = roster_fixture(ROSTER, …)``)."""
    import pytest

    @pytest.fixture(scope="module")
    async def svc(database_url: str, var_dir: Path,
                  tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Service]:
        service = await roster_service(database_url, str(var_dir), tmp_path_factory.mktemp("r"),
                                       roster, openids, now)
        yield service
        await service.client.close()

    return svc
