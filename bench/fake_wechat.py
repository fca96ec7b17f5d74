"""A stand-in WeChat API for load runs: every call answers after a fixed latency.

    python -m bench.fake_wechat PORT LATENCY_MS
"""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web


def make_app(latency: float) -> web.Application:
    counts = {"calls": 0}
    # Pushes per recipient: how a fault run counts who got one, none or two.
    per_user: dict[str, int] = {}

    async def token(_request: web.Request) -> web.Response:
        await asyncio.sleep(latency)
        return web.json_response({"access_token": "TOKEN", "expires_in": 7200})

    async def api(request: web.Request) -> web.Response:
        counts["calls"] += 1
        if request.path.endswith("/send") and request.can_read_body:
            user = (await request.json()).get("touser", "")
            per_user[user] = per_user.get(user, 0) + 1
        await asyncio.sleep(latency)
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": counts["calls"]})

    async def stats(_request: web.Request) -> web.Response:
        return web.json_response({**counts, "per_user": per_user})

    app = web.Application()
    app.router.add_post("/cgi-bin/stable_token", token)
    app.router.add_post("/cgi-bin/{tail:.*}", api)
    app.router.add_get("/stats", stats)
    return app


if __name__ == "__main__":
    port, latency_ms = int(sys.argv[1]), float(sys.argv[2])
    print("fake ready", flush=True)
    web.run_app(make_app(latency_ms / 1000), host="127.0.0.1", port=port, print=None,
                access_log=None)
