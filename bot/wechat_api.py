"""Async client for the WeChat API (the only place that talks HTTP to WeChat)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import aiohttp
from wechatpy.exceptions import WeChatClientException

log = logging.getLogger(__name__)

# Codes meaning "this access token is no good": refresh it and retry once.
TOKEN_INVALID = frozenset({40001, 40014, 42001})
# Refresh a little before WeChat's stated expiry, so a token never dies mid-flight.
TOKEN_MARGIN = timedelta(minutes=5)


# WeChat keeps temporary QR codes for at most 30 days; the image is served from mp.
QR_MAX_SECONDS = 30 * 24 * 3600
QR_IMAGE_URL = "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket="


@dataclass(frozen=True)
class QRCode:
    ticket: str
    url: str  # what the code encodes
    image_url: str  # where WeChat serves the picture
    expire_seconds: int


class WeChatAPIError(WeChatClientException):
    """WeChat answered with a non-zero errcode."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(errcode, errmsg)
        self.errcode = errcode
        self.errmsg = errmsg


class WeChatAPI:
    def __init__(
        self,
        base_url: str,
        app_id: str,
        app_secret: str,
        *,
        clock: Callable[[], datetime],
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self.app_secret = app_secret
        self._clock = clock
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._token: str | None = None
        self._token_expires_at: datetime | None = None
        self._token_lock = asyncio.Lock()

    async def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def access_token(self, *, refresh: bool = False) -> str:
        stale = self._token
        async with self._token_lock:
            # Single flight: whoever waited on the lock reuses the token just fetched.
            fresh = self._token is not None and self._token != stale
            valid = (
                self._token is not None
                and self._token_expires_at is not None
                and self._clock() < self._token_expires_at
            )
            if self._token is not None and (fresh or (valid and not refresh)):
                return self._token
            data = await self._post_json(
                "/cgi-bin/stable_token",
                {
                    "grant_type": "client_credential",
                    "appid": self.app_id,
                    "secret": self.app_secret,
                    "force_refresh": refresh,
                },
            )
            self._token = str(data["access_token"])
            ttl = timedelta(seconds=int(data.get("expires_in", 7200)))
            self._token_expires_at = self._clock() + ttl - TOKEN_MARGIN
            return self._token

    async def _post_json(
        self, path: str, payload: dict[str, Any], params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        http = await self._http()
        async with http.post(self.base_url + path, json=payload, params=params) as resp:
            resp.raise_for_status()
            data: dict[str, Any] = await resp.json(content_type=None)
        errcode = int(data.get("errcode", 0) or 0)
        if errcode:
            raise WeChatAPIError(errcode, str(data.get("errmsg", "")))
        return data

    async def _call(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        token = await self.access_token()
        try:
            return await self._post_json(path, payload, {"access_token": token})
        except WeChatAPIError as exc:
            if exc.errcode not in TOKEN_INVALID:
                raise
            log.info("access token rejected (errcode %s); refreshing once", exc.errcode)
            token = await self.access_token(refresh=True)
            return await self._post_json(path, payload, {"access_token": token})

    async def create_qr_code(self, scene: str, expire_seconds: int) -> QRCode:
        """A temporary parametric QR code whose scan or follow carries `scene`."""
        data = await self._call(
            "/cgi-bin/qrcode/create",
            {
                "expire_seconds": min(expire_seconds, QR_MAX_SECONDS),
                "action_name": "QR_STR_SCENE",
                "action_info": {"scene": {"scene_str": scene}},
            },
        )
        ticket = str(data["ticket"])
        return QRCode(
            ticket=ticket,
            url=str(data.get("url", "")),
            image_url=QR_IMAGE_URL + quote(ticket),
            expire_seconds=int(data.get("expire_seconds", expire_seconds)),
        )

    async def send_text(self, openid: str, content: str) -> None:
        """A customer-service text message (inside the user's 48-hour window)."""
        await self._call(
            "/cgi-bin/message/custom/send",
            {"touser": openid, "msgtype": "text", "text": {"content": content}},
        )
