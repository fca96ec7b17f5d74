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
from locales import Words
from ops.terminal import default_words
from storage.db import Database
from storage.queries.invites import issue_invite, member_by_employee_no

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

    def __init__(self, settings: Settings, url: str, openid: str, http: aiohttp.ClientSession,
                 words: Words | None = None):
        self.words = words or default_words()
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
        if reply is None:
            return self.words("ops.chat.no_reply")
        return str(reply.get("Content", reply))


async def _invite_for_console(settings: Settings, employee_no: str, openid: str | None
                              ) -> tuple[str, str | None]:
    """The console's openid for the member (its own one unless `openid` is given) and a fresh
    invite code, or None for the code if that openid is bound to them already."""
    db = Database(settings.effective_database_url)
    try:
        async with db.transaction() as session:
            member = await member_by_employee_no(session, employee_no)
            if member is None:
                raise LookupError(employee_no)
            # Keyed by the number as stored: `--as w1003` is the same console as `--as W1003`.
            openid = openid or console_openid(settings, member.employee_no)
            if member.openid == openid:
                return openid, None
            return openid, (await issue_invite(session, member.id, datetime.now(UTC))).code
    finally:
        await db.dispose()


async def run_chat(settings: Settings, *, url: str | None, openid: str | None,
                   as_employee: str | None = None) -> int:
    settings.ensure_token()
    # The console speaks zh-CN: it talks to the service over HTTP, not to its database.
    words = default_words()
    url = url or serve_url(settings)
    code = None
    if as_employee:
        try:
            openid, code = await _invite_for_console(settings, as_employee, openid)
        except LookupError:
            print(words("ops.chat.no_member", employee_no=as_employee), file=sys.stderr)
            return 1
    openid = openid or console_openid(settings)
    you, bot = words("ops.chat.you"), words("ops.chat.bot")
    async with aiohttp.ClientSession() as http:
        console = Console(settings, url, openid, http, words)
        if sys.stdin.isatty():
            print(words("ops.chat.talking", url=url, openid=openid, mode=console.mode))
        try:
            if code is not None:
                # Bind exactly as a worker would: by sending the code (the command word
                # is the catalog's, as the service recognises it).
                bind = words("ops.chat.bind", code=code)
                print(you + bind)
                print(bot + await console.say(bind))
            while True:
                line = await _read_line(you)
                if line is None or line.strip() == "/quit":
                    return 0
                if line.strip():
                    print(bot + await console.say(line))
        except aiohttp.ClientError as exc:
            print(words("ops.chat.unreachable", url=url, reason=exc), file=sys.stderr)
            return 1
