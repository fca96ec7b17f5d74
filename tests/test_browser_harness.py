"""The browser harness itself: Debian's Chromium starts, renders a page we serve on
loopback at phone width, renders Chinese with a CJK font, and notices a request that tries
to leave the machine."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.browser import IN_CI, chromium, tab

PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>测试</title></head>
<body><h1 id="t">创新工作室</h1><img src="http://example.invalid/x.png" alt=""></body></html>"""


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    async with chromium() as b:
        yield b


async def test_a_page_on_loopback_renders_and_offsite_requests_are_noted(browser: Any) -> None:
    app = web.Application()

    async def page(_request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    app.router.add_get("/", page)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with tab(browser, "phone") as t:
            await t.page.goto(str(server.make_url("/")))
            assert await t.page.inner_text("#t") == "创新工作室"
            assert not await t.scrolls_sideways()
            assert t.offsite == ["http://example.invalid/x.png"]
            shot = await t.shoot("harness-phone")
            assert shot.stat().st_size > 1000
    finally:
        await server.close()


def test_chinese_renders_in_a_cjk_font() -> None:
    """Pages and PDFs show Chinese in Noto CJK (Debian's fonts-noto-cjk), not as boxes."""
    if shutil.which("fc-match") is None:
        if IN_CI:
            pytest.fail("fontconfig is required in CI (it comes with chromium)")
        pytest.skip("fontconfig not installed")
    found = subprocess.run(["fc-match", "sans-serif:lang=zh-cn", "family"], capture_output=True,
                           text=True, check=True).stdout
    assert "Noto Sans CJK" in found
