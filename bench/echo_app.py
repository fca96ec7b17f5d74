"""The yardstick: a bare aiohttp + wechatpy app that checks, decrypts, parses and replies.

No database, no routing: what any WeChat back end on this stack must at least do.
Run: python -m bench.echo_app PORT TOKEN AES_KEY APP_ID
"""

from __future__ import annotations

import sys
import time

from aiohttp import web
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature


def make_app(token: str, aes_key: str, app_id: str) -> web.Application:
    crypto = WeChatCrypto(token, aes_key, app_id)

    async def wechat(request: web.Request) -> web.Response:
        q = request.query
        check_signature(token, q["signature"], q["timestamp"], q["nonce"])
        body = await request.read()
        aes = q.get("encrypt_type") == "aes"
        xml = crypto.decrypt_message(body, q["msg_signature"], q["timestamp"], q["nonce"]) if aes else body
        msg = parse_message(xml)
        reply = TextReply(message=msg, content="echo: " + str(getattr(msg, "content", ""))).render()
        if aes:
            reply = crypto.encrypt_message(reply, q["nonce"], str(int(time.time())))
        return web.Response(text=reply, content_type="application/xml")

    app = web.Application()
    app.router.add_post("/wechat", wechat)
    return app


if __name__ == "__main__":
    port, token, aes_key, app_id = sys.argv[1:5]
    print("echo ready", flush=True)
    # The same event loop as `workshop-bot serve` uses, so the comparison is fair.
    import uvloop

    uvloop.install()
    web.run_app(make_app(token, aes_key, app_id), host="127.0.0.1", port=int(port), print=None,
                access_log=None)
