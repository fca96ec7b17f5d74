"""Reply value objects, stored for retries and rendered with wechatpy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wechatpy.replies import TextReply

# WeChat refuses passive text replies over 2,048 bytes.
MAX_TEXT_BYTES = 2048
ELLIPSIS = "…"


@dataclass(frozen=True)
class Text:
    content: str


@dataclass(frozen=True)
class Silence:
    """Nothing to say: WeChat gets `success` and shows the user nothing."""


Reply = Text | Silence
SILENCE = Silence()


def clip_text(content: str, limit: int = MAX_TEXT_BYTES) -> str:
    data = content.encode("utf-8")
    if len(data) <= limit:
        return content
    room = limit - len(ELLIPSIS.encode("utf-8"))
    return data[:room].decode("utf-8", errors="ignore") + ELLIPSIS


def to_record(reply: Reply) -> dict[str, Any]:
    if isinstance(reply, Text):
        return {"type": "text", "content": reply.content}
    return {"type": "silence"}


def from_record(record: dict[str, Any] | None) -> Reply:
    if record and record.get("type") == "text":
        return Text(str(record.get("content", "")))
    return SILENCE


def render(reply: Reply, *, to_user: str, from_user: str, now: datetime) -> str | None:
    """The reply XML, or None for `success`."""
    if isinstance(reply, Silence):
        return None
    xml = TextReply(
        source=from_user,
        target=to_user,
        time=int(now.timestamp()),
        content=clip_text(reply.content),
    ).render()
    return str(xml)
