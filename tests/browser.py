"""A real browser for the web pages: Debian's Chromium driven by Playwright.

No browser is downloaded: Playwright starts /usr/bin/chromium (`.ci/run` installs the
package when it is missing). Outside CI a machine without it skips the browser tests; with
CI=true that is a failure. Each page a test looks at can be saved as PNG under
tests/screenshots/ (git-ignored), at phone and desktop widths, so anyone can see what the
test saw.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "tests" / "screenshots"
IN_CI = os.environ.get("CI", "").lower() == "true"
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
# As root in a closed network: no sandbox, and nothing of Chromium's own that calls home.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def chromium_path() -> str:
    found = os.environ.get("WORKSHOP_BOT_TEST_CHROMIUM") or shutil.which("chromium") \
        or shutil.which("chromium-browser")
    if found:
        return found
    if IN_CI:
        pytest.fail("Chromium is required in CI (apt-get install chromium)")
    pytest.skip("Chromium is not installed (apt-get install chromium)")


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """One headless Chromium for a module's tests (share it: starting one takes ~1 s)."""
    from playwright.async_api import async_playwright

    path = chromium_path()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=path, headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class Tab:
    """A page in its own browser context (its own cookies) that notes every request
    leaving loopback: a page must work with no internet, so any such request is a bug."""

    context: Any
    page: Any
    offsite: list[str] = field(default_factory=list)

    async def shoot(self, name: str) -> Path:
        """Save the whole page as tests/screenshots/<name>.png."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / (re.sub(r"[^\w.-]+", "-", name) + ".png")
        await self.page.screenshot(path=str(path), full_page=True)
        return path

    async def scrolls_sideways(self) -> bool:
        """True when the page is wider than the window (a phone would scroll sideways)."""
        return bool(await self.page.evaluate(
            "document.documentElement.scrollWidth > document.documentElement.clientWidth"))

    async def close(self) -> None:
        await self.context.close()


async def new_tab(browser: Any, width: str = "phone") -> Tab:
    context = await browser.new_context(viewport=WIDTHS[width], locale="zh-CN",
                                        timezone_id="Asia/Shanghai")
    page = await context.new_page()
    tab = Tab(context=context, page=page)

    def note(request: Any) -> None:
        host = urlsplit(request.url).hostname or ""
        if request.url.startswith(("http:", "https:", "ws:", "wss:")) and host not in LOOPBACK:
            tab.offsite.append(request.url)

    page.on("request", note)
    return tab


@asynccontextmanager
async def tab(browser: Any, width: str = "phone") -> AsyncIterator[Tab]:
    opened = await new_tab(browser, width)
    try:
        yield opened
    finally:
        await opened.close()
