"""`workshop-bot login-link` and `workshop-bot sessions`: the web console from the terminal.

login-link prints the same one-time link `后台` sends in WeChat (for the first admin, who
has nobody to ask); sessions lists who is signed in and revokes a session."""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from domain import NotAllowed, NotFound
from domain.console import LINK_TTL, LOGIN_PATH, SESSION_IDLE, issue_link_for, revoke
from ops.terminal import err, office_words, print_table
from storage.db import Database
from storage.queries.console_sessions import SessionRow, sessions_listed


def login_url(settings: Settings, token: str) -> str:
    """The link: on WORKSHOP_BOT_PUBLIC_URL, else on the local address of the serve running
    here (serve.url: whatever port it was given), else on the configured one (the operator
    is on the machine)."""
    return (settings.workshop_bot_public_url or running_url(settings) or settings.local_url) \
        + LOGIN_PATH + token


def running_url(settings: Settings) -> str | None:
    """Where the serve running on this machine listens (its serve.url), if one runs."""
    from ops.chat import SERVE_URL_FILE

    try:
        written = (settings.workshop_bot_var_dir / SERVE_URL_FILE).read_text(encoding="utf-8")
    except OSError:
        return None
    return written.strip().removesuffix("/wechat") or None


async def login_link(settings: Settings, employee_no: str, now: datetime) -> int:
    """Print a one-time link for that admin or leader as the last line: 0; 1 when there is
    no such member or they may not use the console."""
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        try:
            async with db.transaction() as session:
                link = await issue_link_for(session, employee_no, via="cli", now=now)
        except NotFound:
            err.print(words("console.ops.member_unknown", employee_no=employee_no))
            return 1
        except NotAllowed:
            err.print(words("console.ops.not_allowed", employee_no=employee_no))
            return 1
    finally:
        await db.dispose()
    if not settings.workshop_bot_public_url:
        err.print(words("console.ops.local_address",
                        url=running_url(settings) or settings.local_url))
    expires = link.expires_at.astimezone(settings.tz).strftime("%H:%M")
    err.print(words("console.ops.link_for", name=link.name,
                    minutes=int(LINK_TTL.total_seconds() // 60), expires=expires))
    print(login_url(settings, link.token))
    return 0


async def sessions_list(settings: Settings, now: datetime, *, everything: bool) -> int:
    """The sessions still open (`everything`: the latest hundred, ended ones too)."""
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        async with db.reader() as session:
            rows = await sessions_listed(session, open_since=None if everything
                                         else now - SESSION_IDLE)
    finally:
        await db.dispose()
    if not rows:
        print(words("console.ops.no_sessions"))
        return 0

    def at(moment: datetime | None) -> str:
        return "" if moment is None else moment.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")

    def state(row: SessionRow) -> str:
        if row.ended_at is not None:
            return words.named("console.session_state", row.end_reason or "ended")
        if now - row.last_seen_at >= SESSION_IDLE:
            return words("console.session_state.idle")
        return words("console.session_state.open")

    print_table([words("console.ops.header.id"), words("console.ops.header.member"),
                 words("console.ops.header.role"), words("console.ops.header.via"),
                 words("console.ops.header.started"), words("console.ops.header.seen"),
                 words("console.ops.header.state")],
                [[str(r.id), f"{r.name} ({r.employee_no})", words.named("role", r.role),
                  words.named("console.via", r.via or ""), at(r.created_at),
                  at(r.last_seen_at), state(r)] for r in rows])
    return 0


async def sessions_revoke(settings: Settings, session_id: int, now: datetime) -> int:
    db = Database(settings.effective_database_url)
    try:
        words = await office_words(db)
        async with db.transaction() as session:
            name = await revoke(session, session_id, now)
    finally:
        await db.dispose()
    if name is None:
        err.print(words("console.ops.no_such_session", id=session_id))
        return 1
    print(words("console.ops.revoked", id=session_id, name=name))
    return 0
