"""The web pages served by `serve` beside /wechat: the console and the report pages.

`web` is a client of the domain: its routes call the same domain and storage functions as
the chat, render server-side with Jinja2 and serve every asset themselves (no CDN).
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from bot.config import Settings


def web_parts(settings: Settings) -> list[Callable[[web.Application], None]]:
    """What to add to the service's app, in order (ops.cli and the tests pass these to
    bot.app.create_app)."""
    from web.console.app import console_part
    from web.reports.views import add_report_pages

    return [console_part(settings), add_report_pages(settings)]
