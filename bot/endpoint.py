"""GET/POST /wechat: signature, timestamp window, crypto, size and DTD limits.

Everything that fails a check gets a 4xx and touches nothing; a request that passes
them is always answered 200 (an internal failure becomes an apology reply).
"""

from __future__ import annotations

import logging
import re
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import check_signature

from bot.budget import ReplyBudget, mask
from bot.context import Incoming
from bot.dispatcher import apology
from bot.metrics import Metrics
from bot.replies import Text, render

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
TIMESTAMP_WINDOW = 300  # seconds either side of our clock
# A DTD can declare entities (billion laughs, external files); WeChat never sends one.
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.IGNORECASE)


class Rejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class WeChatEndpoint:
    def __init__(
        self,
        *,
        token: str,
        app_id: str,
        aes_key: str | None,
        budget: ReplyBudget,
        clock: Callable[[], datetime],
        metrics: Metrics,
    ) -> None:
        self.token = token
        self.crypto = WeChatCrypto(token, aes_key, app_id) if aes_key else None
        self.budget = budget
        self.clock = clock
        self.metrics = metrics

    def _reject(self, request: web.Request, exc: Rejected) -> web.Response:
        self.metrics.count("rejected")
        log.warning(
            "rejected %s /wechat from %s: %s", request.method, request.remote, exc.reason
        )
        return web.Response(status=exc.status, text=exc.reason)

    def _check_timestamp(self, query: Any) -> str:
        raw = query.get("timestamp", "")
        try:
            ts = int(raw)
        except ValueError:
            raise Rejected(400, "missing or malformed timestamp") from None
        if abs(self.clock().timestamp() - ts) > TIMESTAMP_WINDOW:
            raise Rejected(403, "timestamp outside the 5-minute window")
        return str(raw)

    def _check_plain_signature(self, query: Any, timestamp: str) -> None:
        try:
            check_signature(self.token, query.get("signature", ""), timestamp, query.get("nonce", ""))
        except InvalidSignatureException:
            raise Rejected(403, "bad signature") from None

    async def get(self, request: web.Request) -> web.Response:
        """URL verification: echo `echostr` when the signature is ours."""
        try:
            timestamp = self._check_timestamp(request.query)
            self._check_plain_signature(request.query, timestamp)
        except Rejected as exc:
            return self._reject(request, exc)
        self.metrics.count("verified")
        return web.Response(text=request.query.get("echostr", ""))

    async def post(self, request: web.Request) -> web.Response:
        try:
            msg, encrypted, nonce = await self._read(request)
        except Rejected as exc:
            return self._reject(request, exc)
        try:
            return await self._answer(msg, encrypted, nonce)
        except Exception:
            # Never a 5xx for a signed, well-formed request: WeChat would retry and the
            # user would see "该公众号暂时无法提供服务".
            log.exception("could not answer a %s from %s", msg.msg_type, mask(msg.openid))
            self.metrics.count("error")
            xml = render(Text(apology()), to_user=msg.openid, from_user=msg.account, now=self.clock())
            if encrypted and self.crypto is not None and xml is not None:
                xml = self.crypto.encrypt_message(xml, nonce, str(int(self.clock().timestamp())))
            return web.Response(text=xml or "success", content_type="application/xml")

    async def _answer(self, msg: Incoming, encrypted: bool, nonce: str) -> web.Response:
        outcome = await self.budget.handle(msg)
        label = (
            "deferred" if outcome.deferred
            else "error" if outcome.failed
            else "replayed" if outcome.replayed
            else "replied"
        )
        self.metrics.count(label)
        now = self.clock()
        xml = render(outcome.reply, to_user=msg.openid, from_user=msg.account, now=now)
        if xml is None:
            return web.Response(text="success")
        if encrypted and self.crypto is not None:
            xml = self.crypto.encrypt_message(xml, nonce, str(int(now.timestamp())))
        return web.Response(text=xml, content_type="application/xml")

    async def _read(self, request: web.Request) -> tuple[Incoming, bool, str]:
        if request.content_length is not None and request.content_length > MAX_BODY:
            raise Rejected(413, "body over 64 KiB")
        try:
            # The app's client_max_size is MAX_BODY: read() refuses anything longer,
            # including a chunked body that announced no length.
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise Rejected(413, "body over 64 KiB") from None
        except Exception:
            raise Rejected(400, "body could not be read") from None
        query = request.query
        timestamp = self._check_timestamp(query)
        nonce = query.get("nonce", "")
        encrypted = query.get("encrypt_type", "raw").lower() == "aes"
        if _DTD.search(body):
            raise Rejected(400, "XML with a DTD or entities")
        if encrypted:
            if self.crypto is None:
                raise Rejected(400, "encrypted message but no EncodingAESKey configured")
            if "signature" in query:
                self._check_plain_signature(query, timestamp)
            try:
                envelope = _fields(body)
                plain = self.crypto.decrypt_message(
                    {"Encrypt": envelope["Encrypt"]}, query.get("msg_signature", ""),
                    timestamp, nonce,
                )
            except InvalidSignatureException:
                raise Rejected(403, "bad msg_signature") from None
            except InvalidAppIdException:
                raise Rejected(403, "encrypted for another app id") from None
            except Exception:
                raise Rejected(400, "encrypted body could not be decrypted") from None
            xml = plain.encode("utf-8") if isinstance(plain, str) else bytes(plain)
            if _DTD.search(xml):
                raise Rejected(400, "XML with a DTD or entities")
        else:
            self._check_plain_signature(query, timestamp)
            xml = body
        msg = parse_incoming(xml)
        log.debug("accepted %s from %s", msg.msg_type, mask(msg.openid))
        return msg, encrypted, nonce or secrets.token_hex(5)


def _fields(xml: bytes) -> dict[str, str]:
    """The top-level fields of a WeChat XML document (nested ones are not needed here).

    ElementTree rather than wechatpy's xmltodict-based parse_message: the C parser takes a
    third of the time, and this runs for every message. A DTD never gets this far.
    """
    root = ET.fromstring(xml)
    if root.tag != "xml":
        raise ValueError("root element is not <xml>")
    return {child.tag: (child.text or "").strip() if len(child) == 0 else "" for child in root}


def parse_incoming(xml: bytes) -> Incoming:
    """The message's facts; malformed XML is a 400."""
    try:
        raw = _fields(xml)
        openid = raw["FromUserName"]
        msg_type = raw["MsgType"].lower()
        create_time = int(raw.get("CreateTime") or 0)
    except (ET.ParseError, KeyError, ValueError):
        raise Rejected(400, "malformed message XML") from None
    if not openid or not msg_type:
        raise Rejected(400, "message without FromUserName or MsgType")
    event = None
    event_key = raw.get("EventKey") or None
    if msg_type == "event":
        event = raw.get("Event", "").lower()
        if event == "subscribe" and event_key and event_key.startswith("qrscene_"):
            # A follow by scanning a parametric QR code carries the scene after the prefix.
            event_key = event_key[len("qrscene_"):]
    text: str | None = None
    if msg_type == "text":
        text = raw.get("Content", "")
    elif msg_type == "voice":
        text = raw.get("Recognition") or None
    msg_id = raw.get("MsgId") or raw.get("MsgID")
    return Incoming(
        openid=openid,
        account=raw.get("ToUserName", ""),
        msg_type=msg_type,
        create_time=create_time,
        msg_id=msg_id if msg_id and msg_type != "event" else None,
        text=text,
        event=event,
        event_key=event_key,
        media_id=raw.get("MediaId") or None,
        pic_url=raw.get("PicUrl") or None,
        raw=raw,
    )
