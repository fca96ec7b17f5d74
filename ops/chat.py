"""`workshop-bot chat`: a console that talks to the running service as WeChat would."""

from __future__ import annotations

import asyncio
import itertools
import secrets
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bot.config import Settings
from bot.simulator import WeChatSide, event_xml, text_xml
from storage.db import Database
from storage.queries.invites import issue_invite, member_by_employee_no

HELP = (
    "Type what a WeChat user would type (e.g. 帮助). Special lines:\n"
    "  /subscribe  /unsubscribe   follow or unfollow the account\n"
    "  /click KEY                 press a menu item, e.g. /click CMD_HELP\n"
    "  /quit                      leave"
)


SERVE_URL_FILE = "serve.url"  # under the var folder: where the running serve listens


def serve_url(settings: Settings) -> str:
    """Where `serve` said it listens (var/serve.url), else the configured port."""
    written = settings.workshop_bot_var_dir / SERVE_URL_FILE
    if written.is_file():
        found = written.read_text(encoding="utf-8").strip()
        if found:
            return found
    return f"http://127.0.0.1:{settings.workshop_bot_port}/wechat"


def console_openid(settings: Settings, employee_no: str | None = None) -> str:
    """This console's own openid (one per member it speaks as), kept across runs."""
    name = "chat_openid" if employee_no is None else f"chat_openid_{employee_no}"
    path: Path = settings.workshop_bot_var_dir / name
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    openid = "oChat" + secrets.token_hex(10)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(openid + "\n", encoding="utf-8")
    return openid


async def _read_line(prompt: str) -> str | None:
    loop = asyncio.get_running_loop()
    try:
        if sys.stdin.isatty():
            return await loop.run_in_executor(None, input, prompt)
        line = await loop.run_in_executor(None, sys.stdin.readline)
        return line.rstrip("\n") if line else None
    except EOFError:
        return None


class Console:
    """Sends what is typed through the real endpoint and returns what it answers."""

    def __init__(self, settings: Settings, url: str, openid: str, http: aiohttp.ClientSession):
        self.url = url.split("?")[0]
        self.openid = openid
        self.http = http
        self.side = WeChatSide(settings.token, aes_key=settings.wechat_encoding_aes_key,
                               app_id=settings.wechat_app_id)
        self.mode = "safe" if settings.wechat_encoding_aes_key else "plain"
        self._msg_ids = itertools.count(int(time.time() * 1000))

    async def say(self, line: str) -> str:
        now = int(time.time())
        words = line.strip().split(maxsplit=1)
        if words[0] in ("/subscribe", "/unsubscribe"):
            xml = event_xml(self.openid, words[0][1:], create_time=now)
        elif words[0] == "/click" and len(words) == 2:
            xml = event_xml(self.openid, "CLICK", create_time=now, key=words[1])
        else:
            xml = text_xml(self.openid, line, msg_id=next(self._msg_ids), create_time=now)
        delivery = self.side.deliver(xml, timestamp=now, mode=self.mode)
        async with self.http.post(self.url, params=delivery.query, data=delivery.body) as resp:
            body = await resp.text()
            if resp.status != 200:
                return f"[HTTP {resp.status}] {body}"
        reply = self.side.read_reply(body)
        return "(no reply)" if reply is None else str(reply.get("Content", reply))


async def _invite_for_console(settings: Settings, employee_no: str, openid: str) -> str | None:
    """A fresh invite code for the member, or None if this console is bound to them already."""
    db = Database(settings.effective_database_url)
    try:
        async with db.transaction() as session:
            member = await member_by_employee_no(session, employee_no)
            if member is None:
                raise LookupError(employee_no)
            if member.openid == openid:
                return None
            return (await issue_invite(session, member.id, datetime.now(UTC))).code
    finally:
        await db.dispose()


async def run_chat(settings: Settings, *, url: str | None, openid: str | None,
                   as_employee: str | None = None) -> int:
    settings.ensure_token()
    url = url or serve_url(settings)
    openid = openid or console_openid(settings, as_employee)
    code = None
    if as_employee:
        try:
            code = await _invite_for_console(settings, as_employee, openid)
        except LookupError:
            print(f"no member with employee number {as_employee}: import the roster first "
                  "(workshop-bot import-roster examples/roster.csv)", file=sys.stderr)
            return 1
    async with aiohttp.ClientSession() as http:
        console = Console(settings, url, openid, http)
        if sys.stdin.isatty():
            print(f"talking to {url} as {openid} ({console.mode} mode)\n{HELP}")
        try:
            if code is not None:
                # Bind exactly as a worker would: by sending the code.
                print("你 > 绑定 " + code)
                print("助手 > " + await console.say("绑定 " + code))
            while True:
                line = await _read_line("你 > ")
                if line is None or line.strip() == "/quit":
                    return 0
                if line.strip():
                    print("助手 > " + await console.say(line))
        except aiohttp.ClientError as exc:
            print(f"cannot reach {url}: {exc}. Is `workshop-bot serve` running?", file=sys.stderr)
            return 1
