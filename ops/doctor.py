"""`workshop-bot doctor`: check settings, database, Redis, WeChat, templates, calendar, var."""

from __future__ import annotations

import asyncio
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from bot.config import TEMPLATE_PREFIX, ConfigError, load_settings

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.wechat_api import WeChatAPI

# A server that does not answer must not hang the doctor: each network check gets this long.
CHECK_TIMEOUT = 5.0
# The scheduler needs the statutory calendar this far ahead (reminders, digests).
CALENDAR_HORIZON = timedelta(days=60)
# How far back to look for the calendar's last year when today is already past it.
CALENDAR_LOOKBACK_YEARS = 200
REASON_LIMIT = 60  # characters of an error message worth a terminal line

CalendarProbe = Callable[[date], object]


@dataclass(frozen=True)
class Check:
    ok: bool
    text: str  # what was found and, when not ok, what to set or run

    @property
    def line(self) -> str:
        return f"{'✓' if self.ok else '✗'} {self.text}"


def doctor_main(config: str | None, *, today: date | None = None,
                calendar_probe: CalendarProbe | None = None) -> int:
    """Print one ✓/✗ line per check; 0 only when every check passes."""
    try:
        checks = asyncio.run(run_checks(config, today=today, calendar_probe=calendar_probe,
                                        report=_print))
    except KeyboardInterrupt:
        return 130
    return 0 if checks and all(c.ok for c in checks) else 1


async def run_checks(
    config: str | None,
    *,
    today: date | None = None,
    calendar_probe: CalendarProbe | None = None,
    seconds: float = CHECK_TIMEOUT,
    report: Callable[[Check], None] | None = None,
) -> list[Check]:
    """Every check in order, each handed to `report` as soon as it is known (a slow
    check then shows where the doctor is waiting). Changes nothing but creating the var
    folder, which serve would create anyway; never migrates."""
    results: list[Check] = []

    def add(check: Check) -> None:
        results.append(check)
        if report is not None:
            report(check)

    try:
        settings = load_settings(config)
    except (ConfigError, OSError) as exc:
        # Nothing else can be checked without settings.
        add(Check(False, f"配置：{exc}——请改正这一项（环境变量、.env 或 --config 文件）"))
        return results
    add(Check(True, f"配置：已读取{f'（{config}）' if config else ''}"))
    add(await _database(settings, seconds))
    add(await _redis(settings, seconds))
    await _wechat(settings, seconds, add)
    add(_calendar(today or datetime.now(settings.tz).date(), calendar_probe or _chinese_calendar))
    add(_wechat_token(settings))
    add(_var_dir(settings))
    return results


def _print(check: Check) -> None:
    try:
        print(check.line, flush=True)
    except UnicodeEncodeError:
        # A console code page without ✓/✗ (GBK output redirected on Windows): degrade to
        # the marks GBK has rather than lose the report.
        encoding = sys.stdout.encoding or "ascii"
        line = check.line.replace("✓", "√").replace("✗", "×")
        print(line.encode(encoding, "replace").decode(encoding), flush=True)


def _reason(exc: BaseException) -> str:
    """Exception class and first line, no traceback; SQLAlchemy's wrapper is looked through."""
    orig = getattr(exc, "orig", None)
    if isinstance(orig, BaseException):
        exc = orig
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if len(text) > REASON_LIMIT:
        text = text[:REASON_LIMIT] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _hide_password(url: str) -> str:
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        return url.split("@", 1)[-1]  # unparsable: at least never echo the credentials


# --- database ---------------------------------------------------------------------------


def _missing_sqlite_file(url: str) -> str | None:
    """The SQLite file's path when the URL names one that does not exist yet."""
    from sqlalchemy import make_url

    from storage.db import is_sqlite

    if not is_sqlite(url):
        return None
    path = make_url(url).database
    return path if path and path != ":memory:" and not Path(path).exists() else None


async def _database(settings: Settings, seconds: float) -> Check:
    from sqlalchemy import event

    from storage.db import Database
    from storage.migrate import alembic_config, current_revision, head_revision

    url = settings.effective_database_url
    embedded = settings.uses_embedded_database
    shown = _hide_password(url)
    missing = _missing_sqlite_file(url)
    if missing is not None:
        # Opening a missing SQLite file would create it; the doctor changes nothing.
        if embedded:
            return Check(True, f"数据库：内置 SQLite {missing} 尚未创建，serve 会自动创建")
        return Check(False, f"数据库：{missing} 不存在——请运行 `workshop-bot db upgrade` 创建")
    fix = "请检查 DATABASE_URL 和数据库服务"
    try:
        db = Database(url)
    except Exception as exc:  # a malformed URL fails here, before any connection
        return Check(False, f"数据库：DATABASE_URL 无法使用（{_reason(exc)}）——{fix}")
    if not db.sqlite:
        @event.listens_for(db.engine.sync_engine, "do_connect")
        def _connect_timeout(_dialect: Any, _record: Any, _cargs: Any,
                             cparams: dict[str, Any]) -> None:
            # asyncpg's own limit, so a silent server does not leave a half-open attempt.
            cparams.setdefault("timeout", seconds)

    try:
        current = await asyncio.wait_for(current_revision(db.engine), seconds)
    except TimeoutError:
        return Check(False, f"数据库：{shown} {seconds:g} 秒内没有应答——{fix}")
    except Exception as exc:
        return Check(False, f"数据库：连不上 {shown}（{_reason(exc)}）——{fix}")
    finally:
        await db.dispose()
    head = head_revision(url)
    if current == head:
        return Check(True, f"数据库：{shown} 结构已是最新（{head}）")
    from alembic.script import ScriptDirectory

    known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config(url)).walk_revisions()}
    if current is not None and current not in known:
        # Written by a newer workshop-bot (or another program): upgrading cannot help.
        return Check(False, f"数据库：版本 {current} 不是本程序认识的版本——请升级 workshop-bot "
                            "或核对 DATABASE_URL")
    if embedded:
        return Check(True, f"数据库：内置 SQLite 版本 {current or '空'}，serve 会自动迁移到 {head}")
    return Check(False, f"数据库：版本 {current or '空'}，本程序需要 {head}——请运行 "
                        "`workshop-bot db upgrade`")


# --- Redis ------------------------------------------------------------------------------


async def _redis(settings: Settings, seconds: float) -> Check:
    if not settings.redis_url:
        return Check(True, "Redis：未配置 REDIS_URL，多进程共享令牌用数据库")
    import redis.asyncio as aioredis

    shown = _hide_password(settings.redis_url)
    fix = "请启动 Redis，或改正/删去 REDIS_URL"
    try:
        client: Any = aioredis.from_url(settings.redis_url, socket_connect_timeout=seconds,
                                        socket_timeout=seconds)
    except ValueError as exc:
        return Check(False, f"Redis：REDIS_URL={shown} 无法使用（{_reason(exc)}）——{fix}")
    try:
        await asyncio.wait_for(client.ping(), seconds)
    except TimeoutError:
        return Check(False, f"Redis：{shown} {seconds:g} 秒内没有应答——{fix}")
    except Exception as exc:
        return Check(False, f"Redis：连不上 {shown}（{_reason(exc)}）——{fix}")
    finally:
        await client.aclose()
    return Check(True, f"Redis：{shown} 可以连通")


# --- WeChat credentials and templates ------------------------------------------------------

CONSOLE_BASICS = "公众号后台 设置与开发→基本配置"
# errcode → (what is wrong, the fix) for the token call.
TOKEN_ERRORS: dict[int, tuple[str, str]] = {
    40001: ("WECHAT_APP_SECRET 不正确", f"请在{CONSOLE_BASICS} 核对 AppSecret"),
    40125: ("WECHAT_APP_SECRET 不正确", f"请在{CONSOLE_BASICS} 核对 AppSecret"),
    40013: ("WECHAT_APP_ID 不正确", f"请在{CONSOLE_BASICS} 核对 AppID"),
    40164: ("本机出口 IP{ip}不在白名单", f"请在{CONSOLE_BASICS}→IP白名单 加入它"),
    61004: ("本机出口 IP{ip}不在白名单", f"请在{CONSOLE_BASICS}→IP白名单 加入它"),
    45009: ("今日 access_token 调用次数已用完", "明天再试，或在后台清零调用次数"),
    -1: ("微信系统繁忙", "请稍后再运行 doctor"),
}
_IP_IN_ERRMSG = re.compile(r"invalid ip ([0-9A-Fa-f.:]+)")


def _token_failure(errcode: int, errmsg: str) -> Check:
    known = TOKEN_ERRORS.get(errcode)
    if known is None:
        return Check(False, f"微信凭据：取 access_token 失败（errcode {errcode}：{errmsg[:60]}）"
                            "——请对照微信全局返回码核对 WECHAT_APP_ID / WECHAT_APP_SECRET")
    ip = _IP_IN_ERRMSG.search(errmsg)
    what, fix = known
    return Check(False, f"微信凭据：{what.format(ip=f' {ip.group(1)} ' if ip else '')}"
                        f"（errcode {errcode}）——{fix}")


async def _wechat(settings: Settings, seconds: float, add: Callable[[Check], None]) -> None:
    """Credentials, then the templates (which need a token, so only after one was had)."""
    missing = [name for name, value in (("WECHAT_APP_ID", settings.wechat_app_id),
                                        ("WECHAT_APP_SECRET", settings.wechat_app_secret))
               if not value]
    if missing:
        add(Check(False, f"微信凭据：未配置 {' / '.join(missing)}：推送会保存但不会发出——"
                         f"请从{CONSOLE_BASICS} 抄来"))
        if not settings.templates:  # configured ones cannot be looked up without a token
            add(_no_templates(settings))
        return
    from bot.wechat_api import WeChatAPI

    # stable_token without force_refresh: the running service's token stays valid.
    api = WeChatAPI(settings.wechat_api_base, settings.wechat_app_id,
                    settings.wechat_app_secret, clock=lambda: datetime.now(UTC),
                    timeout=seconds)
    try:
        token = await _wechat_credentials(api, settings, seconds)
        add(token)
        if not token.ok:
            return  # the ✗ above says why; the templates cannot be read without a token
        if not settings.templates:
            add(_no_templates(settings))
            return
        for check in await _templates(api, settings, seconds):
            add(check)
    finally:
        await api.close()


async def _wechat_credentials(api: WeChatAPI, settings: Settings, seconds: float) -> Check:
    from bot.wechat_api import WeChatAPIError

    base = f"WECHAT_API_BASE={settings.wechat_api_base}"
    try:
        await asyncio.wait_for(api.access_token(), seconds)
    except WeChatAPIError as exc:
        return _token_failure(exc.errcode, exc.errmsg)
    except TimeoutError:
        return Check(False, f"微信接口：{base} {seconds:g} 秒内没有应答——请检查网络或代理")
    except Exception as exc:
        return Check(False, f"微信接口：连不上 {base}（{_reason(exc)}）——请检查网络或代理")
    return Check(True, f"微信凭据：WECHAT_APP_ID={settings.wechat_app_id} 取得了 access_token")


def _no_templates(settings: Settings) -> Check:
    # Not a failure (many accounts run without), but the operator should know the cost.
    return Check(True, f"模板消息：未配置 {TEMPLATE_PREFIX}*，48 小时互动窗口外的推送将记为无法送达")


async def _templates(api: WeChatAPI, settings: Settings, seconds: float) -> list[Check]:
    from bot.wechat_api import WeChatAPIError

    try:
        library = await asyncio.wait_for(api.list_templates(), seconds)
    except WeChatAPIError as exc:
        fix = ("公众号没有模板消息接口权限（需认证服务号并开通模板消息）" if exc.errcode == 48001
               else "请稍后再试，或到公众号后台 模板消息 查看")
        return [Check(False, f"模板消息：读不到模板列表（errcode {exc.errcode}）——{fix}")]
    except TimeoutError:
        return [Check(False, f"模板消息：读模板列表 {seconds:g} 秒内没有应答——请稍后再试")]
    except Exception as exc:
        return [Check(False, f"模板消息：读不到模板列表（{_reason(exc)}）——请稍后再试")]
    titles = {str(t.get("template_id")): str(t.get("title") or "") for t in library}
    checks = []
    for kind, template_id in sorted(settings.templates.items()):
        name = f"{TEMPLATE_PREFIX}{kind.upper()}={template_id}"
        if template_id in titles:
            checks.append(Check(True, f"模板消息：{name}（{titles[template_id]}）"))
        else:
            checks.append(Check(False, f"模板消息：{name} 不在公众号的模板列表中——请在公众号后台 "
                                       "模板消息 添加模板并复制其 ID"))
    return checks


# --- statutory calendar -----------------------------------------------------------------


def _chinese_calendar(day: date) -> object:
    import chinese_calendar

    return chinese_calendar.is_workday(day)


def _covered(probe: CalendarProbe, day: date) -> bool:
    try:
        probe(day)
    except NotImplementedError:  # chinese_calendar's answer for a year it has no data for
        return False
    return True


def _last_covered(probe: CalendarProbe, around: date) -> date | None:
    """The calendar's last day: it holds whole years, so probe 31 December year by year."""
    year = around.year
    if _covered(probe, date(year, 12, 31)):
        while year < date.max.year and _covered(probe, date(year + 1, 12, 31)):
            year += 1
        return date(year, 12, 31)
    for back in range(year - 1, max(year - CALENDAR_LOOKBACK_YEARS, date.min.year) - 1, -1):
        if _covered(probe, date(back, 12, 31)):
            return date(back, 12, 31)
    return None


def _calendar(today: date, probe: CalendarProbe) -> Check:
    days = (today + timedelta(days=n) for n in range(CALENDAR_HORIZON.days + 1))
    gap = next((day for day in days if not _covered(probe, day)), None)
    if gap is None:
        return Check(True, f"法定节假日日历：数据到 {_last_covered(probe, today)}，覆盖今后 60 天")
    last = gap - timedelta(days=1) if gap > today else _last_covered(probe, today)
    until = f"只到 {last}" if last is not None else "一年也没有"
    return Check(False, f"法定节假日日历：数据{until}，此后排程按周一至周五推算——"
                        "国务院公布次年安排后请运行 pip install -U chinesecalendar")


# --- token and var folder ---------------------------------------------------------------


def _wechat_token(settings: Settings) -> Check:
    if settings.wechat_token:
        return Check(True, "WECHAT_TOKEN：已设置")
    trial = settings.workshop_bot_var_dir / "wechat_token"
    if settings.wechat_app_id:
        # The trial token lives in var/ and changes if var/ is lost: WeChat would then
        # reject every message with a signature error.
        return Check(False, f"WECHAT_TOKEN：未设置，serve 会用 {trial} 里的试用 Token——请设置 "
                            "WECHAT_TOKEN 为公众号后台填写的 Token")
    return Check(True, f"WECHAT_TOKEN：未设置，试用模式用 {trial} 里生成的 Token")


def _var_dir(settings: Settings) -> Check:
    var = settings.workshop_bot_var_dir
    try:
        # serve creates it too; creating it here is the doctor's one change.
        var.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=var, prefix=".doctor-") as probe:
            probe.write(b"ok")
            probe.flush()
    except OSError as exc:
        return Check(False, f"数据目录：{var} 不可写（{exc.strerror or type(exc).__name__}）——"
                            "请让运行 workshop-bot 的用户可写，或改 WORKSHOP_BOT_VAR_DIR")
    return Check(True, f"数据目录：{var.resolve()} 可写")
