"""Reply value objects, stored for retries and rendered as WeChat's passive reply XML."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# fit_lines lives with the words (the domain's wording uses it too); re-exported for handlers.
from locales import clip
from locales import fit_lines as fit_lines

# WeChat refuses passive text replies over 2,048 bytes.
MAX_TEXT_BYTES = 2048


@dataclass(frozen=True)
class Text:
    content: str


@dataclass(frozen=True)
class Silence:
    """Nothing to say: WeChat gets `success` and shows the user nothing."""


Reply = Text | Silence
SILENCE = Silence()


def clip_text(content: str, limit: int = MAX_TEXT_BYTES) -> str:
    """`content` within `limit` bytes (a reply's by default), cut on a character and marked."""
    return clip(content, limit)


def to_record(reply: Reply) -> dict[str, Any]:
    if isinstance(reply, Text):
        return {"type": "text", "content": reply.content}
    return {"type": "silence"}


def from_record(record: dict[str, Any] | None) -> Reply:
    if record and record.get("type") == "text":
        return Text(str(record.get("content", "")))
    return SILENCE


# Byte for byte what wechatpy's TextReply.render() produces (a test holds the two
# together); formatting one string costs a tenth of building the reply object, and
# this runs for every message.
_TEXT_REPLY = (
    "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[{content}]]></Content>\n"
    "<FromUserName><![CDATA[{source}]]></FromUserName>\n<ToUserName><![CDATA[{target}]]></ToUserName>\n"
    "<CreateTime>{time}</CreateTime>\n</xml>"
)


def _cdata(value: str) -> str:
    # "]]>" would end the CDATA section early; split it across two sections.
    return value.replace("]]>", "]]]]><![CDATA[>") if "]]>" in value else value


def render(reply: Reply, *, to_user: str, from_user: str, now: datetime) -> str | None:
    """The reply XML, or None for `success`."""
    if isinstance(reply, Silence):
        return None
    return _TEXT_REPLY.format(
        content=_cdata(clip_text(reply.content)),
        source=_cdata(from_user),
        target=_cdata(to_user),
        time=int(now.timestamp()),
    )
