"""The web console from the outside: a browser-like HTTP client with its own cookies, and
sign-in links made as `workshop-bot login-link` makes them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import aiohttp

from domain.console import LOGIN_PATH, issue_link_for
from tests.support import Service

LOGIN = LOGIN_PATH


async def login_path(svc: Service, employee_no: str) -> str:
    """A fresh one-time link's path, issued by the function `login-link` calls."""
    async with svc.db.transaction() as session:
        link = await issue_link_for(session, employee_no, via="cli", now=svc.clock.now)
    return LOGIN + link.token


def csrf_in(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, html
    return found.group(1)


@dataclass
class Page:
    status: int
    text: str
    headers: Any
    url: str


class Browser:
    """One person's browser: cookies of its own (the service is on 127.0.0.1)."""

    def __init__(self, svc: Service, address: str | None = None) -> None:
        self.base = str(svc.client.make_url("")).rstrip("/")
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        # The client address nginx would pass on (for the per-address rate limit).
        self.extra = {"X-Real-IP": address} if address else {}

    async def get(self, path: str, *, follow: bool = True) -> Page:
        async with self.http.get(self.base + path, allow_redirects=follow,
                                 headers=self.extra) as resp:
            return Page(resp.status, await resp.text(), resp.headers, str(resp.url))

    async def post(self, path: str, data: dict[str, str], *, follow: bool = False) -> Page:
        async with self.http.post(self.base + path, data=data, allow_redirects=follow,
                                  headers=self.extra) as resp:
            return Page(resp.status, await resp.text(), resp.headers, str(resp.url))

    async def sign_in(self, path: str) -> Page:
        """Open a link and press its button: the overview page."""
        page = await self.get(path)
        assert page.status == 200, page.text
        done = await self.post(path, {"csrf": csrf_in(page.text)})
        assert done.status == 303, done.text
        return await self.get(done.headers["Location"])

    async def csrf(self) -> str:
        return csrf_in((await self.get("/console/")).text)

    def cookie(self, name: str) -> str | None:
        for cookie in self.http.cookie_jar:
            if cookie.key == name:
                return cookie.value
        return None

    async def close(self) -> None:
        await self.http.close()


# Two studios, a leader each, an admin — and names that would run as script, template or
# SQL if anything rendered or queried them unescaped (the browser modules share it).
HOSTILE_ROSTER = """studio,name,employee_no,role,mentor_employee_no,phone
焊接创新工作室,王建国,L1,leader,,13800001111
焊接创新工作室,<script>alert(1)</script>,M1,member,L1,
焊接创新工作室,{{7*7}},M2,member,L1,
焊接创新工作室,赵六,M4,member,,
机加创新工作室,' OR 1=1,L2,leader,,
机加创新工作室,李四,M3,member,L2,
,管理员,A1,admin,,
"""
