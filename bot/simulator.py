"""Acting as WeChat: signed (and encrypted) deliveries, and reading the replies.

Used by `workshop-bot chat`, the tests and the benchmarks, so all three speak to the
service exactly as the WeChat servers do.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import xmltodict
from wechatpy.crypto import WeChatCrypto


def _cdata(value: str) -> str:
    # "]]>" cannot appear inside one CDATA section: split it across two.
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def message_xml(fields: dict[str, Any]) -> str:
    parts = []
    for key, value in fields.items():
        if value is None:
            continue
        inner = str(value) if isinstance(value, int) else _cdata(str(value))
        parts.append(f"<{key}>{inner}</{key}>")
    return "<xml>" + "".join(parts) + "</xml>"


def text_xml(openid: str, content: str, *, msg_id: int, create_time: int,
             account: str = "gh_workshopbot") -> str:
    return message_xml({
        "ToUserName": account, "FromUserName": openid, "CreateTime": create_time,
        "MsgType": "text", "Content": content, "MsgId": msg_id,
    })


def event_xml(openid: str, event: str, *, create_time: int, key: str | None = None,
              account: str = "gh_workshopbot") -> str:
    return message_xml({
        "ToUserName": account, "FromUserName": openid, "CreateTime": create_time,
        "MsgType": "event", "Event": event, "EventKey": key,
    })


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


@dataclass
class Delivery:
    """One POST as WeChat would make it: query string and body."""

    query: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return "/wechat?" + urlencode(self.query)


class WeChatSide:
    """Signs, encrypts and decrypts like the WeChat servers for one account."""

    def __init__(self, token: str, *, aes_key: str | None = None, app_id: str = "") -> None:
        self.token = token
        self.crypto = WeChatCrypto(token, aes_key, app_id) if aes_key else None

    def verify_query(self, timestamp: int, echostr: str = "echo") -> dict[str, str]:
        nonce = secrets.token_hex(5)
        return {
            "signature": sign(self.token, str(timestamp), nonce),
            "timestamp": str(timestamp),
            "nonce": nonce,
            "echostr": echostr,
        }

    def deliver(self, xml: str, *, timestamp: int, mode: str = "plain",
                openid: str | None = None) -> Delivery:
        """mode: plain, compatible (plain fields + Encrypt) or safe (Encrypt only)."""
        nonce = secrets.token_hex(5)
        ts = str(timestamp)
        query = {"signature": sign(self.token, ts, nonce), "timestamp": ts, "nonce": nonce}
        if openid:
            query["openid"] = openid
        if mode == "plain":
            return Delivery(query, xml.encode("utf-8"))
        if self.crypto is None:
            raise ValueError(f"{mode} mode needs an EncodingAESKey")
        envelope = xmltodict.parse(self.crypto.encrypt_message(xml, nonce, ts))["xml"]
        encrypt = envelope["Encrypt"]
        query["encrypt_type"] = "aes"
        query["msg_signature"] = sign(self.token, ts, nonce, encrypt)
        # Read the envelope's ToUserName without parsing: the payload may be hostile XML.
        found = re.search(r"<ToUserName><!\[CDATA\[(.*?)\]\]></ToUserName>", xml)
        to_user = found.group(1) if found else ""
        if mode == "safe":
            body = message_xml({"ToUserName": to_user, "Encrypt": encrypt})
        elif mode == "compatible":
            body = xml.replace("</xml>", f"<Encrypt>{_cdata(encrypt)}</Encrypt></xml>")
        else:
            raise ValueError(f"unknown mode {mode!r}")
        return Delivery(query, body.encode("utf-8"))

    def resign(self, encrypt: str, post_body: str, *, timestamp: int) -> Delivery:
        """The same encrypted bytes with a fresh timestamp, as a new delivery would carry."""
        nonce = secrets.token_hex(5)
        ts = str(timestamp)
        query = {
            "signature": sign(self.token, ts, nonce),
            "timestamp": ts,
            "nonce": nonce,
            "encrypt_type": "aes",
            "msg_signature": sign(self.token, ts, nonce, encrypt),
        }
        return Delivery(query, post_body.encode("utf-8"))

    def read_reply(self, body: str) -> dict[str, Any] | None:
        """The reply's fields (decrypted and its signature checked if encrypted), or None."""
        if body.strip() in ("", "success"):
            return None
        data: dict[str, Any] = xmltodict.parse(body)["xml"]
        if "Encrypt" in data:
            if self.crypto is None:
                raise ValueError("encrypted reply but no EncodingAESKey")
            plain = self.crypto.decrypt_message(
                body, data["MsgSignature"], data["TimeStamp"], data["Nonce"]
            )
            data = xmltodict.parse(plain)["xml"]
        return data
