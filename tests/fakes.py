"""A fake WeChat API server on loopback that records every call (set WECHAT_API_BASE to it)."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Call:
    path: str
    query: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeWeChatAPI:
    calls: list[Call] = field(default_factory=list)
    # Scripted answers per path, consumed first-in first-out; default is success.
    scripted: dict[str, deque[dict[str, Any]]] = field(default_factory=dict)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _tokens: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    valid_tokens: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)  # paths that answer 404
    # Template ids in the account's library (GET /cgi-bin/template/get_all_private_template).
    templates: list[str] = field(default_factory=list)
    # Scan-to-bind QR codes created: scene → the URL the code encodes, as WeChat answers it.
    qr_codes: dict[str, str] = field(default_factory=dict)
    # Recipients WeChat refuses: openid → the answer every message to them gets (after any
    # scripted answer), e.g. {"errcode": 40003, "errmsg": "invalid openid"}.
    refused: dict[str, dict[str, Any]] = field(default_factory=dict)
    server: TestServer | None = None

    def script(self, path: str, *answers: dict[str, Any]) -> None:
        self.scripted.setdefault(path, deque()).extend(answers)

    def calls_to(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == path]

    async def wait_for_calls(self, path: str, count: int) -> list[Call]:
        async with self._changed:
            await self._changed.wait_for(lambda: len(self.calls_to(path)) >= count)
        return self.calls_to(path)

    async def _record(self, request: web.Request) -> tuple[Call, dict[str, Any] | None]:
        body: dict[str, Any] = {}
        if request.content_type == "application/json":
            body = await request.json()
        elif request.can_read_body:
            form = await request.post()
            body = {k: (v.filename if hasattr(v, "filename") else v) for k, v in form.items()}
        call = Call(request.path, dict(request.query), body)
        self.calls.append(call)
        async with self._changed:
            self._changed.notify_all()
        queue = self.scripted.get(request.path)
        return call, (queue.popleft() if queue else None)

    async def _token(self, request: web.Request) -> web.Response:
        if request.path in self.missing:
            return web.Response(status=404)
        _call, scripted = await self._record(request)
        if scripted is not None:
            return web.json_response(scripted)
        token = f"TOKEN{next(self._tokens)}"
        self.valid_tokens.add(token)
        return web.json_response({"access_token": token, "expires_in": 7200})

    async def _api(self, request: web.Request) -> web.Response:
        call, scripted = await self._record(request)
        if scripted is not None:
            return web.json_response(scripted)
        if call.query.get("access_token") not in self.valid_tokens:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        if call.body.get("touser") in self.refused:
            return web.json_response(self.refused[call.body["touser"]])
        if request.path == "/cgi-bin/media/upload":
            return web.json_response({"type": call.query.get("type"), "media_id": "MEDIA1",
                                      "created_at": 1})
        if request.path == "/cgi-bin/qrcode/create":
            return web.json_response(self._qr_code(call.body))
        if request.path == "/cgi-bin/message/template/send":
            return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": 200228332})
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _template_list(self, request: web.Request) -> web.Response:
        call, scripted = await self._record(request)
        if scripted is not None:
            return web.json_response(scripted)
        if call.query.get("access_token") not in self.valid_tokens:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        return web.json_response({"template_list": [
            {"template_id": tid, "title": f"模板 {tid}", "primary_industry": "",
             "deputy_industry": "", "content": "{{thing1.DATA}}\n{{time2.DATA}}", "example": ""}
            for tid in self.templates
        ]})

    def _qr_code(self, body: dict[str, Any]) -> dict[str, Any]:
        """A temporary QR code: a ticket and URL of its own for each scene, as WeChat gives."""
        scene = str(body["action_info"]["scene"]["scene_str"])
        ticket = "gQ" + hashlib.sha256(scene.encode()).hexdigest()[:30]
        self.qr_codes[scene] = f"http://weixin.qq.com/q/{ticket[2:24]}"
        return {"ticket": ticket, "expire_seconds": body["expire_seconds"],
                "url": self.qr_codes[scene]}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/stable_token", self._token)
        app.router.add_get("/cgi-bin/template/get_all_private_template", self._template_list)
        app.router.add_post("/cgi-bin/{tail:.*}", self._api)
        return app

    async def start(self) -> str:
        self.server = TestServer(self.app(), host="127.0.0.1")
        await self.server.start_server()
        return self.base_url

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()
