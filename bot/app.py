"""create_app: the one composition root (engine, API client, routes, endpoint)."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from aiohttp import web

from bot.budget import ReplyBudget
from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.endpoint import MAX_BODY, WeChatEndpoint
from bot.metrics import Metrics
from bot.routing import Router, RouteTable
from bot.token_store import DatabaseTokenStore, FallbackTokenStore, RedisTokenStore
from bot.wechat_api import WeChatAPI
from scheduled.delivery import Deliverer
from scheduled.scheduler import configured
from scheduled.service import ScheduledService
from storage.db import Database
from storage.queries.health import database_answers
from storage.queries.outbox import outbox_depth

log = logging.getLogger(__name__)

DB_KEY = web.AppKey("db", Database)
DISPATCHER_KEY = web.AppKey("dispatcher", Dispatcher)
BUDGET_KEY = web.AppKey("budget", ReplyBudget)
METRICS_KEY = web.AppKey("metrics", Metrics)
SCHEDULED_KEY = web.AppKey("scheduled", ScheduledService)
# The service's clock: the web pages read the time from it, as the endpoint does.
Clock = Callable[[], datetime]
CLOCK_KEY: web.AppKey[Clock] = web.AppKey("clock")
# The app's WeChat API client, set only when there is one (credentials configured, or one
# passed in): web pages that ask WeChat for something (invite slips' QR codes) share it.
WECHAT_API_KEY = web.AppKey("wechat_api", WeChatAPI)


def system_clock() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings,
    router: Router,
    *,
    wechat_api: WeChatAPI | None = None,
    clock: Callable[[], datetime] | None = None,
    reply_budget: float | None = None,
    deliver: bool = False,
    run_jobs: bool = False,
    budget_class: type[ReplyBudget] = ReplyBudget,
    web_parts: Iterable[Callable[[web.Application], None]] = (),
) -> web.Application:
    """Build the service around `router` (the handlers' root router, built by the caller:
    the runtime never imports the handlers). Nothing connects until the app starts.

    `deliver` runs the outbox worker (when WeChat credentials or `wechat_api` are given);
    `run_jobs` the job scheduler. `serve` turns both on; tests choose.
    `web_parts` add the web pages (the console, report pages) to the app: each is called
    with the app once the WeChat routes are in place (the runtime never imports `web`).
    """
    clock = clock or system_clock
    settings.ensure_token()
    db = Database(settings.effective_database_url)
    metrics = Metrics()
    own_api: WeChatAPI | None = None
    token_store: FallbackTokenStore | DatabaseTokenStore | None = None
    if wechat_api is None and settings.wechat_app_id and settings.wechat_app_secret:
        # Several processes share one token: through Redis if configured, else the database.
        # With REDIS_URL the token lives in Redis, and in the database whenever Redis is away.
        token_store = (FallbackTokenStore(RedisTokenStore(settings.redis_url),
                                          DatabaseTokenStore(db, clock))
                       if settings.redis_url else DatabaseTokenStore(db, clock))
        own_api = WeChatAPI(
            settings.wechat_api_base,
            settings.wechat_app_id,
            settings.wechat_app_secret,
            clock=clock,
            calls_per_second=settings.wechat_api_calls_per_second,
            token_store=token_store,
        )
        wechat_api = own_api
    dispatcher = Dispatcher(
        db=db,
        routes=RouteTable(router),
        settings=settings,
        clock=clock,
        metrics=metrics,
    )
    budget = budget_class(dispatcher.process,
                         seconds=reply_budget or settings.workshop_bot_reply_budget_seconds,
                         follow_up=wechat_api, metrics=metrics, writer=dispatcher.writer)
    endpoint = WeChatEndpoint(
        token=settings.token,
        app_id=settings.wechat_app_id,
        aes_key=settings.wechat_encoding_aes_key,
        budget=budget,
        clock=clock,
        metrics=metrics,
    )

    app = web.Application(client_max_size=MAX_BODY)
    app[DB_KEY] = db
    app[DISPATCHER_KEY] = dispatcher
    app[BUDGET_KEY] = budget
    app[METRICS_KEY] = metrics
    app[CLOCK_KEY] = clock
    if wechat_api is not None:
        app[WECHAT_API_KEY] = wechat_api

    async def healthz(_request: web.Request) -> web.Response:
        # The pid tells an operator (and the tests) which of several processes answered.
        return web.json_response({"status": "ok", "pid": os.getpid()})

    async def readyz(_request: web.Request) -> web.Response:
        try:
            async with db.transaction() as session:
                ok = await database_answers(session)
        except Exception as exc:
            log.warning("readiness check failed: %s", type(exc).__name__)
            ok = False
        status = 200 if ok else 503
        return web.json_response({"database": "ok" if ok else "unreachable"}, status=status)

    async def metrics_view(_request: web.Request) -> web.Response:
        try:
            async with db.transaction() as session:
                states, oldest = await outbox_depth(session)
            metrics.set_outbox(states, oldest, clock())
        except Exception as exc:
            # The request figures are still worth serving when the database is away.
            log.warning("outbox figures for /metrics unavailable: %s", type(exc).__name__)
        return web.Response(body=metrics.render(), content_type="text/plain", charset="utf-8")

    app.router.add_get("/wechat", endpoint.get)
    app.router.add_post("/wechat", endpoint.post)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_view)
    for add_part in web_parts:
        add_part(app)

    deliverer = None
    if deliver and wechat_api is not None:
        deliverer = Deliverer(db, wechat_api, templates=settings.templates, tz=settings.tz,
                              clock=clock, stuck_after=timedelta(
                                  seconds=settings.workshop_bot_outbox_stuck_seconds))
    background = ScheduledService(db, deliverer, tz=settings.tz, clock=clock, run_jobs=run_jobs,
                                  jobs=configured(settings.schedules),
                                  weights=settings.rank_weights, report_links=settings)
    app[SCHEDULED_KEY] = background

    async def on_startup(_app: web.Application) -> None:
        dispatcher.writer.start()
        await background.start()

    async def on_cleanup(_app: web.Application) -> None:
        await background.stop()
        # Let late replies finish sending before the engine and client go away.
        if budget.background:
            await asyncio.wait(budget.background, timeout=10)
        await dispatcher.writer.stop()
        if own_api is not None:
            await own_api.close()
        if isinstance(token_store, FallbackTokenStore):
            await token_store.close()
        await db.dispose()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app
