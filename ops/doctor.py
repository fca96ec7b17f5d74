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
from locales import Words
from ops.terminal import default_words

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
    folder, which serve would create anyway; never migrates.

    Spoken in zh-CN (the catalog's doctor.*): the doctor runs before, and without, a
    database that could say the union's language."""
    words = default_words()
    results: list[Check] = []

    def add(check: Check) -> None:
        results.append(check)
        if report is not None:
            report(check)

    try:
        settings = load_settings(config)
    except (ConfigError, OSError) as exc:
        # Nothing else can be checked without settings.
        add(Check(False, words("doctor.config.bad", reason=exc)))
        return results
    add(Check(True, words("doctor.config.file", file=config) if config
              else words("doctor.config.ok")))
    add(await _database(words, settings, seconds))
    add(await _redis(words, settings, seconds))
    await _wechat(words, settings, seconds, add)
    add(_calendar(words, today or datetime.now(settings.tz).date(),
                  calendar_probe or _chinese_calendar))
    add(_wechat_token(words, settings))
    add(_var_dir(words, settings))
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


async def _database(words: Words, settings: Settings, seconds: float) -> Check:
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
            return Check(True, words("doctor.database.embedded_absent", path=missing))
        return Check(False, words("doctor.database.absent", path=missing))
    fix = words("doctor.database.fix")
    try:
        db = Database(url)
    except Exception as exc:  # a malformed URL fails here, before any connection
        return Check(False, words("doctor.database.bad_url", reason=_reason(exc), fix=fix))
    if not db.sqlite:
        @event.listens_for(db.engine.sync_engine, "do_connect")
        def _connect_timeout(_dialect: Any, _record: Any, _cargs: Any,
                             cparams: dict[str, Any]) -> None:
            # asyncpg's own limit, so a silent server does not leave a half-open attempt.
            cparams.setdefault("timeout", seconds)

    try:
        current = await asyncio.wait_for(current_revision(db.engine), seconds)
    except TimeoutError:
        return Check(False, words("doctor.database.silent", url=shown, seconds=f"{seconds:g}",
                                  fix=fix))
    except Exception as exc:
        return Check(False, words("doctor.database.unreachable", url=shown,
                                  reason=_reason(exc), fix=fix))
    finally:
        await db.dispose()
    head = head_revision(url)
    if current == head:
        return Check(True, words("doctor.database.at_head", url=shown, head=head))
    from alembic.script import ScriptDirectory

    known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config(url)).walk_revisions()}
    if current is not None and current not in known:
        # Written by a newer workshop-bot (or another program): upgrading cannot help.
        return Check(False, words("doctor.database.unknown_revision", current=current))
    current_words = current or words("doctor.database.empty")
    if embedded:
        return Check(True, words("doctor.database.embedded_behind", current=current_words,
                                 head=head))
    return Check(False, words("doctor.database.behind", current=current_words, head=head))


# --- Redis ------------------------------------------------------------------------------


async def _redis(words: Words, settings: Settings, seconds: float) -> Check:
    if not settings.redis_url:
        return Check(True, words("doctor.redis.unset"))
    import redis.asyncio as aioredis

    shown = _hide_password(settings.redis_url)
    fix = words("doctor.redis.fix")
    try:
        client: Any = aioredis.from_url(settings.redis_url, socket_connect_timeout=seconds,
                                        socket_timeout=seconds)
    except ValueError as exc:
        return Check(False, words("doctor.redis.bad_url", url=shown, reason=_reason(exc),
                                  fix=fix))
    try:
        await asyncio.wait_for(client.ping(), seconds)
    except TimeoutError:
        return Check(False, words("doctor.redis.silent", url=shown, seconds=f"{seconds:g}",
                                  fix=fix))
    except Exception as exc:
        return Check(False, words("doctor.redis.unreachable", url=shown, reason=_reason(exc),
                                  fix=fix))
    finally:
        await client.aclose()
    return Check(True, words("doctor.redis.ok", url=shown))


# --- WeChat credentials and templates ------------------------------------------------------

# errcode → what the token call's refusal means (doctor.token.<meaning>.what / .fix).
TOKEN_ERRORS: dict[int, str] = {
    40001: "secret", 40125: "secret", 40013: "app_id", 40164: "ip", 61004: "ip",
    45009: "quota", -1: "busy",
}
NO_TEMPLATE_RIGHTS = 48001  # the account has no template-message interface
ERRMSG_SHOWN = 60  # characters of WeChat's errmsg worth a line
_IP_IN_ERRMSG = re.compile(r"invalid ip ([0-9A-Fa-f.:]+)")


def _token_failure(words: Words, errcode: int, errmsg: str) -> Check:
    meaning = TOKEN_ERRORS.get(errcode)
    if meaning is None:
        return Check(False, words("doctor.wechat.token_failed", errcode=errcode,
                                  errmsg=errmsg[:ERRMSG_SHOWN]))
    ip = _IP_IN_ERRMSG.search(errmsg)
    console = words("doctor.console_basics")
    return Check(False, words("doctor.wechat.token_refused", errcode=errcode,
                              what=words(f"doctor.token.{meaning}.what",
                                         ip=f" {ip.group(1)} " if ip else ""),
                              fix=words(f"doctor.token.{meaning}.fix", console=console)))


async def _wechat(words: Words, settings: Settings, seconds: float,
                  add: Callable[[Check], None]) -> None:
    """Credentials, then the templates (which need a token, so only after one was had)."""
    missing = [name for name, value in (("WECHAT_APP_ID", settings.wechat_app_id),
                                        ("WECHAT_APP_SECRET", settings.wechat_app_secret))
               if not value]
    if missing:
        add(Check(False, words("doctor.wechat.unset", names=" / ".join(missing),
                               console=words("doctor.console_basics"))))
        if not settings.templates:  # configured ones cannot be looked up without a token
            add(_no_templates(words))
        return
    from bot.wechat_api import WeChatAPI

    # stable_token without force_refresh: the running service's token stays valid.
    api = WeChatAPI(settings.wechat_api_base, settings.wechat_app_id,
                    settings.wechat_app_secret, clock=lambda: datetime.now(UTC),
                    timeout=seconds)
    try:
        token = await _wechat_credentials(words, api, settings, seconds)
        add(token)
        if not token.ok:
            return  # the ✗ above says why; the templates cannot be read without a token
        if not settings.templates:
            add(_no_templates(words))
            return
        for check in await _templates(words, api, settings, seconds):
            add(check)
    finally:
        await api.close()


async def _wechat_credentials(words: Words, api: WeChatAPI, settings: Settings,
                              seconds: float) -> Check:
    from bot.wechat_api import WeChatAPIError

    base = f"WECHAT_API_BASE={settings.wechat_api_base}"
    try:
        await asyncio.wait_for(api.access_token(), seconds)
    except WeChatAPIError as exc:
        return _token_failure(words, exc.errcode, exc.errmsg)
    except TimeoutError:
        return Check(False, words("doctor.wechat.silent", base=base, seconds=f"{seconds:g}"))
    except Exception as exc:
        return Check(False, words("doctor.wechat.unreachable", base=base, reason=_reason(exc)))
    return Check(True, words("doctor.wechat.ok", app_id=settings.wechat_app_id))


def _no_templates(words: Words) -> Check:
    # Not a failure (many accounts run without), but the operator should know the cost.
    from scheduled.delivery import WINDOW

    return Check(True, words("doctor.templates.none", prefix=TEMPLATE_PREFIX,
                             hours=int(WINDOW.total_seconds() // 3600)))


async def _templates(words: Words, api: WeChatAPI, settings: Settings,
                     seconds: float) -> list[Check]:
    from bot.wechat_api import WeChatAPIError

    try:
        library = await asyncio.wait_for(api.list_templates(), seconds)
    except WeChatAPIError as exc:
        fix = words("doctor.templates.no_rights" if exc.errcode == NO_TEMPLATE_RIGHTS
                    else "doctor.templates.try_later_console")
        return [Check(False, words("doctor.templates.refused", errcode=exc.errcode, fix=fix))]
    except TimeoutError:
        return [Check(False, words("doctor.templates.silent", seconds=f"{seconds:g}"))]
    except Exception as exc:
        return [Check(False, words("doctor.templates.unreadable", reason=_reason(exc)))]
    titles = {str(t.get("template_id")): str(t.get("title") or "") for t in library}
    checks = []
    for kind, template_id in sorted(settings.templates.items()):
        name = f"{TEMPLATE_PREFIX}{kind.upper()}={template_id}"
        if template_id in titles:
            checks.append(Check(True, words("doctor.templates.found", name=name,
                                            title=titles[template_id])))
        else:
            checks.append(Check(False, words("doctor.templates.missing", name=name)))
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


def _calendar(words: Words, today: date, probe: CalendarProbe) -> Check:
    days = (today + timedelta(days=n) for n in range(CALENDAR_HORIZON.days + 1))
    gap = next((day for day in days if not _covered(probe, day)), None)
    if gap is None:
        return Check(True, words("doctor.calendar.ok", last=_last_covered(probe, today),
                                 days=CALENDAR_HORIZON.days))
    last = gap - timedelta(days=1) if gap > today else _last_covered(probe, today)
    until = (words("doctor.calendar.until", last=last) if last is not None
             else words("doctor.calendar.no_year"))
    return Check(False, words("doctor.calendar.short", until=until))


# --- token and var folder ---------------------------------------------------------------


def _wechat_token(words: Words, settings: Settings) -> Check:
    if settings.wechat_token:
        return Check(True, words("doctor.token_setting.set"))
    trial = settings.workshop_bot_var_dir / "wechat_token"
    if settings.wechat_app_id:
        # The trial token lives in var/ and changes if var/ is lost: WeChat would then
        # reject every message with a signature error.
        return Check(False, words("doctor.token_setting.trial_with_credentials", file=trial))
    return Check(True, words("doctor.token_setting.trial", file=trial))


def _var_dir(words: Words, settings: Settings) -> Check:
    var = settings.workshop_bot_var_dir
    try:
        # serve creates it too; creating it here is the doctor's one change.
        var.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=var, prefix=".doctor-") as probe:
            probe.write(b"ok")
            probe.flush()
    except OSError as exc:
        return Check(False, words("doctor.var.unwritable", folder=var,
                                  reason=exc.strerror or type(exc).__name__))
    return Check(True, words("doctor.var.ok", folder=var.resolve()))
