"""Reply rendering: the same XML wechatpy builds, and content that cannot break it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from wechatpy.replies import TextReply

from bot.replies import MAX_TEXT_BYTES, Silence, Text, render

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("content", ["帮助", "", "第一行\n第二行 <b>&amp;</b>", "x" * 100])
def test_text_reply_is_what_wechatpy_renders(content: str) -> None:
    expected = TextReply(source="gh_account", target="oUser", time=int(NOW.timestamp()),
                         content=content).render()
    assert render(Text(content), to_user="oUser", from_user="gh_account", now=NOW) == expected


def test_cdata_terminator_in_content_survives() -> None:
    xml = render(Text("a]]>b"), to_user="oUser", from_user="gh", now=NOW)
    assert xml is not None
    assert ET.fromstring(xml).findtext("Content") == "a]]>b"


def test_long_content_is_clipped_to_wechat_limit() -> None:
    xml = render(Text("周" * 2000), to_user="oUser", from_user="gh", now=NOW)
    assert xml is not None
    content = ET.fromstring(xml).findtext("Content") or ""
    assert len(content.encode("utf-8")) <= MAX_TEXT_BYTES
    assert content.endswith("…")


def test_silence_renders_nothing() -> None:
    assert render(Silence(), to_user="oUser", from_user="gh", now=NOW) is None


def test_fit_lines_keeps_whole_lines_and_points_to_more() -> None:
    from bot.replies import fit_lines

    lines = [f"{i}. 某某工作室 78.5 分" for i in range(1, 400)]
    text = fit_lines(lines, "……完整名单请导出查看。")
    assert len(text.encode("utf-8")) <= MAX_TEXT_BYTES
    assert text.endswith("……完整名单请导出查看。")
    body = text.splitlines()[:-1]
    assert body == lines[: len(body)] and len(body) > 10
    assert fit_lines(lines[:3], "more") == "\n".join(lines[:3])
