"""Settings from the environment, .env and --config TOML; bad keys named in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in ("WECHAT_TOKEN", "DATABASE_URL", "WORKSHOP_BOT_PORT", "WECHAT_ENCODING_AES_KEY",
                "WORKSHOP_BOT_TIMEZONE", "WECHAT_TEMPLATE_WEEKLY_LOG_REMINDER",
                "WORKSHOP_BOT_SCHEDULE_WEEKLY_LOG_REMINDER"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_use_the_embedded_database(tmp_path: Path) -> None:
    s = load_settings()
    assert s.uses_embedded_database
    assert s.effective_database_url == f"sqlite+aiosqlite:///{tmp_path / 'var' / 'workshop-bot.db'}"
    assert s.workshop_bot_port == 8080
    assert s.wechat_api_base == "https://api.weixin.qq.com"


def test_trial_token_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = load_settings()
    assert first.ensure_token() is True
    again = load_settings()
    again.ensure_token()
    assert again.token == first.token
    assert (tmp_path / "var" / "wechat_token").read_text().strip() == first.token


def test_environment_beats_toml_beats_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("WECHAT_TOKEN=from-dotenv\nWORKSHOP_BOT_PORT=9001\n"
                                   "WECHAT_APP_ID=wx-dotenv\nWECHAT_TEMPLATE_MONTHLY_SUMMARY=tpl-m\n"
                                   "WECHAT_TEMPLATE_WEEKLY_LOG_REMINDER=tpl-dotenv\n")
    toml = tmp_path / "bot.toml"
    toml.write_text('WECHAT_TOKEN = "from-toml"\nworkshop_bot_port = 9002\n'
                    'WECHAT_TEMPLATE_WEEKLY_LOG_REMINDER = "tpl-123"\n')
    monkeypatch.setenv("WECHAT_TOKEN", "from-env")
    s = load_settings(toml)
    assert s.wechat_token == "from-env"
    assert s.workshop_bot_port == 9002
    assert s.wechat_app_id == "wx-dotenv"
    assert s.templates == {"weekly_log_reminder": "tpl-123", "monthly_summary": "tpl-m"}


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [
        ("WORKSHOP_BOT_PORT", "eighty", "WORKSHOP_BOT_PORT"),
        ("WORKSHOP_BOT_PORT", "70000", "WORKSHOP_BOT_PORT"),
        ("WECHAT_ENCODING_AES_KEY", "short", "WECHAT_ENCODING_AES_KEY"),
        ("WORKSHOP_BOT_TIMEZONE", "Mars/Olympus", "WORKSHOP_BOT_TIMEZONE"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
    ],
)
def test_bad_values_name_the_key(monkeypatch: pytest.MonkeyPatch, key: str, value: str,
                                 named: str) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert str(err.value).startswith(named + ":")
    assert "\n" not in str(err.value)


def test_plain_postgres_url_is_given_the_async_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1/test")
    assert load_settings().database_url == "postgresql+asyncpg://postgres@127.0.0.1/test"


def test_cli_reports_a_bad_key_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKSHOP_BOT_PORT", "eighty")
    proc = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines == [lines[0]] and "WORKSHOP_BOT_PORT" in lines[0]


def test_job_schedules_are_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    from scheduled.scheduler import configured

    monkeypatch.setenv("WORKSHOP_BOT_SCHEDULE_WEEKLY_LOG_REMINDER", "thu 17:30")
    monkeypatch.setenv("WORKSHOP_BOT_SCHEDULE_MONTHLY_SUMMARY", "2 08:00")
    settings = load_settings()
    assert settings.schedules == {"weekly-log-reminder": "thu 17:30", "monthly-summary": "2 08:00"}
    jobs = configured(settings.schedules)
    assert jobs["weekly-log-reminder"].schedule.startswith("每周四 17:30")
    assert jobs["monthly-summary"].schedule.startswith("每月 2 日 08:00")
    assert jobs["quarterly-review"].schedule.startswith("每季度第一天 09:30")  # untouched
    monkeypatch.setenv("WORKSHOP_BOT_SCHEDULE_WEEKLY_LOG_REMINDER", "someday 25:00")
    with pytest.raises(ConfigError, match="WORKSHOP_BOT_SCHEDULE_"):
        load_settings()


def test_missing_config_file_is_reported() -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_settings("nope.toml")
