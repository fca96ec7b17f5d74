"""`workshop-bot chat`: a console that talks to the running service as WeChat would."""

from __future__ import annotations

import asyncio
import secrets
import sys
import time
from pathlib import Path

import aiohttp

from bot.config import Settings
from bot.simulator import WeChatSide, event_xml, text_xml

HELP = (
    "Type what a WeChat user would type (e.g. 帮助). Special lines:\n"
    "  /subscribe  /unsubscribe   follow or unfollow the account\n"
    "  /click KEY                 press a menu item, e.g. /click CMD_HELP\n"
    "  /quit                      leave"
)


def console_openid(settings: Settings) -> str:
    """This console's own openid, kept under the var dir so it stays bound across runs."""
    path: Path = settings.workshop_bot_var_dir / "chat_openid"
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


async def run_chat(settings: Settings, *, url: str | None, openid: str | None) -> int:
    settings.ensure_token()
    url = url or f"http://127.0.0.1:{settings.workshop_bot_port}/wechat"
    openid = openid or console_openid(settings)
    side = WeChatSide(
        settings.token, aes_key=settings.wechat_encoding_aes_key, app_id=settings.wechat_app_id
    )
    mode = "safe" if settings.wechat_encoding_aes_key else "plain"
    msg_id = int(time.time() * 1000)
    if sys.stdin.isatty():
        print(f"talking to {url} as {openid} ({mode} mode)\n{HELP}")
    async with aiohttp.ClientSession() as http:
        while True:
            line = await _read_line("你 > ")
            if line is None or line.strip() == "/quit":
                return 0
            if not line.strip():
                continue
            now = int(time.time())
            msg_id += 1
            words = line.strip().split(maxsplit=1)
            if words[0] in ("/subscribe", "/unsubscribe"):
                xml = event_xml(openid, words[0][1:], create_time=now)
            elif words[0] == "/click" and len(words) == 2:
                xml = event_xml(openid, "CLICK", create_time=now, key=words[1])
            else:
                xml = text_xml(openid, line, msg_id=msg_id, create_time=now)
            delivery = side.deliver(xml, timestamp=now, mode=mode)
            try:
                async with http.post(url.split("?")[0], params=delivery.query,
                                     data=delivery.body) as resp:
                    body = await resp.text()
                    status = resp.status
            except aiohttp.ClientError as exc:
                print(f"cannot reach {url}: {exc}. Is `workshop-bot serve` running?",
                      file=sys.stderr)
                return 1
            if status != 200:
                print(f"[HTTP {status}] {body}")
                continue
            reply = side.read_reply(body)
            if reply is None:
                print("助手 > (no reply)")
            else:
                print("助手 > " + str(reply.get("Content", reply)))
