"""Async client for the WeChat API (the only place that talks HTTP to WeChat)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import aiohttp
from wechatpy.exceptions import WeChatClientException

from bot.token_store import TokenStore

log = logging.getLogger(__name__)

# Codes meaning "this access token is no good": refresh it and retry once.
TOKEN_INVALID = frozenset({40001, 40014, 42001})
# "System busy": worth another try after a pause.
RETRYABLE = frozenset({-1})
# This channel is closed for this user now (48-hour window over, or its quota used up):
# the caller should try the next channel (a template message), not this one again.
SWITCH_CHANNEL = frozenset({45015, 45047})
# Retrying cannot help: unfollowed, bad openid, daily quota spent, template gone.
PERMANENT = frozenset({43004, 40003, 45009, 40037, 43101})
RETRY_DELAYS = (0.2, 1.0)  # seconds before the 2nd and 3rd attempt
HTTP_REFUSED = -2  # our own code: the API answered 4xx, not JSON
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
    """WeChat answered with a non-zero errcode (or not at all: errcode -1, transport)."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(errcode, errmsg)
        self.errcode = errcode
        self.errmsg = errmsg

    @property
    def kind(self) -> str:
        """"retry", "switch_channel", "permanent" or "error": what the caller should do."""
        if self.errcode in RETRYABLE:
            return "retry"
        if self.errcode in SWITCH_CHANNEL:
            return "switch_channel"
        if self.errcode in PERMANENT:
            return "permanent"
        return "error"


class RateLimiter:
    """At most `rate` call starts per second (0: no limit), spaced evenly."""

    def __init__(self, rate: float, *, monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._monotonic = monotonic
        self._sleep = sleep
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self._lock:
            now = self._monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            await self._sleep(start - now)


class WeChatAPI:
    def __init__(
        self,
        base_url: str,
        app_id: str,
        app_secret: str,
        *,
        clock: Callable[[], datetime],
        timeout: float = 10.0,
        max_in_flight: int = 20,
        calls_per_second: float = 0.0,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
        limiter: RateLimiter | None = None,
        token_store: TokenStore | None = None,
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
        # WeChat throttles bursts; a bound on calls in flight keeps a fan-out polite.
        self._in_flight = asyncio.Semaphore(max_in_flight)
        self._limiter = limiter or RateLimiter(calls_per_second)
        # Shared with other processes (Redis or the database); None: this process only.
        self._store = token_store
        self._retry_delays = retry_delays

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
            if self._store is None:
                return await self._refresh(refresh)
            shared = await self._shared(stale, refresh)
            if shared is not None:
                return shared
            # One process at a time asks WeChat; the others then find its token stored.
            async with self._store.refreshing(self.app_id):
                shared = await self._shared(stale, refresh)
                if shared is not None:
                    return shared
                token = await self._refresh(refresh)
                assert self._token_expires_at is not None
                await self._store.put(self.app_id, token, self._token_expires_at)
                return token

    async def _shared(self, stale: str | None, refresh: bool) -> str | None:
        """The stored token, if it is still good and (when refreshing) newer than ours."""
        assert self._store is not None
        stored = await self._store.get(self.app_id)
        if stored is None:
            return None
        token, expires_at = stored
        if self._clock() >= expires_at or (refresh and token == stale):
            return None
        self._token, self._token_expires_at = token, expires_at
        return token

    async def _refresh(self, force: bool) -> str:
        data = await self._fetch_token(force)
        self._token = str(data["access_token"])
        ttl = timedelta(seconds=int(data.get("expires_in", 7200)))
        self._token_expires_at = self._clock() + ttl - TOKEN_MARGIN
        return self._token

    async def _fetch_token(self, refresh: bool) -> dict[str, Any]:
        """stable_token (tokens stay valid across callers); /cgi-bin/token where it is missing."""
        try:
            return await self._request_json(
                "POST", "/cgi-bin/stable_token",
                {"grant_type": "client_credential", "appid": self.app_id,
                 "secret": self.app_secret, "force_refresh": refresh},
            )
        except aiohttp.ClientResponseError as exc:
            if exc.status != 404:
                raise
        log.info("stable_token unavailable; falling back to /cgi-bin/token")
        http = await self._http()
        params = {"grant_type": "client_credential", "appid": self.app_id,
                  "secret": self.app_secret}
        async with http.get(self.base_url + "/cgi-bin/token", params=params) as resp:
            resp.raise_for_status()
            data: dict[str, Any] = await resp.json(content_type=None)
        if int(data.get("errcode", 0) or 0):
            raise WeChatAPIError(int(data["errcode"]), str(data.get("errmsg", "")))
        return data

    async def _request_json(
        self, method: str, path: str, payload: dict[str, Any] | None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        http = await self._http()
        async with http.request(method, self.base_url + path, json=payload,
                                params=params) as resp:
            resp.raise_for_status()
            data: dict[str, Any] = await resp.json(content_type=None)
        errcode = int(data.get("errcode", 0) or 0)
        if errcode:
            raise WeChatAPIError(errcode, str(data.get("errmsg", "")))
        return data

    async def _call(self, path: str, payload: dict[str, Any] | None, *,
                    method: str = "POST") -> dict[str, Any]:
        """One API call: refresh a rejected token once; retry "busy", timeouts and 5xx.

        Most of WeChat's API is POST with a JSON body; the few reads are GET (payload None).
        """
        async with self._in_flight:
            refreshed = False
            for attempt in range(len(self._retry_delays) + 1):
                await self._limiter.wait()
                token = await self.access_token()
                try:
                    return await self._request_json(method, path, payload,
                                                    {"access_token": token})
                except WeChatAPIError as exc:
                    if exc.errcode in TOKEN_INVALID and not refreshed:
                        log.info("access token rejected (errcode %s); refreshing once",
                                 exc.errcode)
                        await self.access_token(refresh=True)
                        refreshed = True
                        continue
                    if exc.kind != "retry" or attempt == len(self._retry_delays):
                        raise
                except (aiohttp.ClientError, TimeoutError) as exc:
                    # No answer, or a 5xx: the same as "system busy". A 4xx is our fault.
                    status = getattr(exc, "status", 500)
                    code = -1 if status >= 500 else HTTP_REFUSED
                    if code != -1 or attempt == len(self._retry_delays):
                        raise WeChatAPIError(code, f"{path}: {type(exc).__name__} {status}") from exc
                await asyncio.sleep(self._retry_delays[attempt])
            raise AssertionError("unreachable")

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

    async def send_image(self, openid: str, media_id: str) -> None:
        await self._call(
            "/cgi-bin/message/custom/send",
            {"touser": openid, "msgtype": "image", "image": {"media_id": media_id}},
        )

    async def send_template(self, openid: str, template_id: str, fields: dict[str, str],
                            url: str | None = None) -> str:
        """A template message; returns WeChat's msgid. Values over 20 characters are cut
        by WeChat anyway, so callers keep them to short facts."""
        payload: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {key: {"value": value} for key, value in fields.items()},
        }
        if url:
            payload["url"] = url
        data = await self._call("/cgi-bin/message/template/send", payload)
        return str(data.get("msgid", ""))

    async def list_templates(self) -> list[dict[str, Any]]:
        """The account's template library: dicts with template_id, title, content, …"""
        data = await self._call("/cgi-bin/template/get_all_private_template", None,
                                method="GET")
        return list(data.get("template_list") or [])

    async def create_menu(self, menu: dict[str, Any]) -> None:
        await self._call("/cgi-bin/menu/create", menu)

    async def upload_media(self, kind: str, filename: str, content: bytes) -> str:
        """A temporary media upload (3 days); returns its media_id."""
        async with self._in_flight:
            token = await self.access_token()
            form = aiohttp.FormData()
            form.add_field("media", content, filename=filename)
            http = await self._http()
            async with http.post(self.base_url + "/cgi-bin/media/upload", data=form,
                                 params={"access_token": token, "type": kind}) as resp:
                resp.raise_for_status()
                data: dict[str, Any] = await resp.json(content_type=None)
        if int(data.get("errcode", 0) or 0):
            raise WeChatAPIError(int(data["errcode"]), str(data.get("errmsg", "")))
        return str(data["media_id"])
