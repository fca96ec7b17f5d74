"""Settings from the environment, a `.env` file or `--config FILE.toml` (SPEC §6)."""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from pydantic import Field, PrivateAttr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from storage.indicators import parse_weights

TEMPLATE_PREFIX = "WECHAT_TEMPLATE_"
SCHEDULE_PREFIX = "WORKSHOP_BOT_SCHEDULE_"


class ConfigError(Exception):
    """A configuration problem, phrased for one line on the operator's terminal."""


class _TomlSource(PydanticBaseSettingsSource):
    """Reads the same keys as the environment (any case) from a TOML file."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path | None) -> None:
        super().__init__(settings_cls)
        self._data: dict[str, Any] = {}
        if path is not None:
            with path.open("rb") as fh:
                self._data = {k.lower(): v for k, v in tomllib.load(fh).items()}

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self._data.items() if k in self.settings_cls.model_fields}

    def prefixed(self, prefix: str) -> dict[str, str]:
        return _templates(((k.upper(), str(v)) for k, v in self._data.items()), prefix)


class Settings(BaseSettings):
    """Every key of SPEC §6. Field names are the environment variable names, lower-cased."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    wechat_token: str | None = None
    wechat_app_id: str = ""
    wechat_app_secret: str = ""
    wechat_encoding_aes_key: str | None = None
    wechat_api_base: str = "https://api.weixin.qq.com"
    # Outbound API calls started per second at most (0: no limit beyond 20 in flight).
    wechat_api_calls_per_second: float = Field(default=0.0, ge=0)
    database_url: str | None = None
    redis_url: str | None = None
    workshop_bot_timezone: str = "Asia/Shanghai"
    workshop_bot_port: int = Field(default=8080, ge=1, le=65535)
    workshop_bot_host: str = "0.0.0.0"
    # The address people reach the service at (https://bot.example.org): the web console's
    # sign-in links and the report pages' links are built on it. Unset: the local address
    # (trial mode only; a trial on this machine).
    workshop_bot_public_url: str | None = None
    # The union this account serves: the root of the org tree the roster fills.
    workshop_bot_union_name: str = "总工会"
    # Where the embedded database, the trial token and the console's identity live.
    workshop_bot_var_dir: Path = Path("var")
    # WeChat gives up on a reply after 5 s; answer `success` a little before that.
    workshop_bot_reply_budget_seconds: float = Field(default=4.5, gt=0, lt=5)
    # After this, a push another process claimed and never recorded (it died) goes out again.
    # At least two minutes: a batch of pushes can take a minute when WeChat times out.
    workshop_bot_outbox_stuck_seconds: float = Field(default=300.0, ge=120)
    # "text" for a terminal, "json" (one object per line) for log collectors.
    workshop_bot_log_format: Literal["text", "json"] = "text"
    # The indicator weights behind 排名 and the quarterly review (storage/indicators.py).
    workshop_bot_rank_weights: str = "logs=30,checkins=20,topics=15,results=15,suggestions=10,bound=10"
    # Template ids per push kind, from WECHAT_TEMPLATE_<KIND> (kind lower-cased).
    # The policy FAQ (docs/configuration.md): how sure a match must be to answer (the share
    # of the question's words, by rarity, the best entry holds), to offer a choice (and to
    # offer one to a question naming the domain's words: 周报, 工作室 …), how far
    # ahead of the runner-up a confident answer must score, how much the answers count
    # against the questions, and how often a process looks for a new import.
    workshop_bot_faq_confident: float = Field(default=0.4, ge=0, le=1)
    workshop_bot_faq_close: float = Field(default=0.4, ge=0, le=1)
    workshop_bot_faq_anchored_close: float = Field(default=0.2, ge=0, le=1)
    workshop_bot_faq_margin: float = Field(default=0.05, ge=0, le=1)
    workshop_bot_faq_answer_weight: float = Field(default=0.3, ge=0)
    workshop_bot_faq_refresh_seconds: float = Field(default=3.0, ge=0)
    # A report link stops working this many days after it was issued.
    workshop_bot_report_link_days: int = Field(default=30, ge=1, le=366)
    # The key report links are signed with. Unset: one is generated and kept under the var
    # dir, as the trial token is; several machines must share one, so set it there.
    workshop_bot_report_secret: str | None = None
    templates: dict[str, str] = Field(default_factory=dict)
    # Job schedules, from WORKSHOP_BOT_SCHEDULE_<JOB> ("fri 16:00"), by job name.
    schedules: dict[str, str] = Field(default_factory=dict)

    # Set by ensure_token when no WECHAT_TOKEN was given: the trial mode.
    _trial: bool = PrivateAttr(default=False)

    @field_validator("workshop_bot_public_url")
    @classmethod
    def _public_url(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        v = v.strip().rstrip("/")
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ValueError("must be the address people open, such as https://bot.example.org")
        return v

    @field_validator("wechat_encoding_aes_key")
    @classmethod
    def _aes_key_shape(cls, v: str | None) -> str | None:
        if v in (None, ""):
            return None
        assert v is not None
        if len(v) != 43:
            raise ValueError("must be the 43-character EncodingAESKey from the console")
        return v

    @field_validator("workshop_bot_rank_weights")
    @classmethod
    def _weights(cls, v: str) -> str:
        parse_weights(v)  # raises ValueError with what is wrong
        return v

    @field_validator("workshop_bot_report_secret")
    @classmethod
    def _secret_length(cls, v: str | None) -> str | None:
        if not v:
            return None
        if len(v) < 32:
            raise ValueError("must be at least 32 characters (e.g. `openssl rand -hex 32`)")
        return v

    @field_validator("workshop_bot_timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, v: str | None) -> str | None:
        if not v:
            return None
        if v.startswith("postgresql://") or v.startswith("postgres://"):
            # Accept the plain form people copy from elsewhere; we only speak asyncpg.
            v = "postgresql+asyncpg://" + v.split("://", 1)[1]
        if not (v.startswith("sqlite+aiosqlite://") or v.startswith("postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB")
        return v

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Precedence: explicit arguments, then real environment variables, then the
        # --config file, then .env. The environment wins so one key can be overridden
        # for a single run without editing files.
        toml = _TomlSource(settings_cls, _CONFIG_FILE.get("path"))
        return (init_settings, env_settings, toml, dotenv_settings)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.workshop_bot_timezone)

    @property
    def rank_weights(self) -> dict[str, float]:
        return parse_weights(self.workshop_bot_rank_weights)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.workshop_bot_var_dir / 'workshop-bot.db').resolve()}"

    @property
    def public_base_url(self) -> str:
        """What report links start with: WORKSHOP_BOT_PUBLIC_URL, else this machine's address."""
        return self.workshop_bot_public_url or f"http://127.0.0.1:{self.workshop_bot_port}"

    @property
    def report_link_lifetime(self) -> timedelta:
        return timedelta(days=self.workshop_bot_report_link_days)

    @property
    def report_secret(self) -> str:
        """The key report links are signed with (see ensure_report_secret)."""
        return self.workshop_bot_report_secret or self.ensure_report_secret()

    def ensure_report_secret(self) -> str:
        """With no WORKSHOP_BOT_REPORT_SECRET, use (or make) the one kept under the var dir.

        Several processes of one machine may start together: the secret is written to a file
        of its own and linked into place, which fails when another process got there first,
        so they all end up with the first one written, never with one each."""
        if self.workshop_bot_report_secret:
            return self.workshop_bot_report_secret
        path = self.workshop_bot_var_dir / "report_secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            draft = path.with_name(f".report_secret.{os.getpid()}.{secrets.token_hex(4)}")
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(secrets.token_hex(32) + "\n")
            try:
                os.link(draft, path)
            except FileExistsError:
                pass
            finally:
                draft.unlink()
        secret = path.read_text(encoding="utf-8").strip()
        if len(secret) < 32:
            raise ConfigError(f"{path}: not a report secret; delete it to have a new one made")
        self.workshop_bot_report_secret = secret
        return secret

    @property
    def can_push(self) -> bool:
        """Whether pushes can be sent at all: without the credentials they stay queued."""
        return bool(self.wechat_app_id and self.wechat_app_secret)

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url is None

    @property
    def trial(self) -> bool:
        """Trial mode: no WECHAT_TOKEN was configured (ensure_token made or read one)."""
        return self._trial

    @property
    def local_url(self) -> str:
        """The service's own address on this machine (what serve listens on)."""
        host = self.workshop_bot_host
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        if ":" in shown:  # an IPv6 address
            shown = f"[{shown}]"
        return f"http://{shown}:{self.workshop_bot_port}"

    @property
    def console_base_url(self) -> str | None:
        """What the console's links start with: WORKSHOP_BOT_PUBLIC_URL; in trial mode, the
        local address; otherwise None (not set up yet)."""
        if self.workshop_bot_public_url:
            return self.workshop_bot_public_url
        return self.local_url if self.trial else None

    @property
    def secure_cookies(self) -> bool:
        """Cookies only over HTTPS once the public address is https."""
        return bool(self.workshop_bot_public_url
                    and self.workshop_bot_public_url.startswith("https://"))

    @property
    def token(self) -> str:
        if not self.wechat_token:
            raise ConfigError("WECHAT_TOKEN: not set (call ensure_token first)")
        return self.wechat_token

    def ensure_token(self) -> bool:
        """With no WECHAT_TOKEN, use (or make) the trial token kept under the var dir.

        Returns True when the trial token is in use, so the caller can print it.
        """
        if self.wechat_token:
            return False
        self._trial = True
        path = self.workshop_bot_var_dir / "wechat_token"
        if path.exists():
            self.wechat_token = path.read_text(encoding="utf-8").strip()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.wechat_token = "trial" + secrets.token_hex(12)
            path.write_text(self.wechat_token + "\n", encoding="utf-8")
        return True


_CONFIG_FILE: dict[str, Path | None] = {"path": None}


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Build Settings, turning any validation problem into one line naming the key."""
    path = Path(config_file) if config_file else None
    if path is not None and not path.is_file():
        raise ConfigError(f"--config: no such file: {path}")
    _CONFIG_FILE["path"] = path
    try:
        settings = Settings(**overrides)
        toml = _TomlSource(Settings, path) if path else None
    except ValidationError as exc:
        err = exc.errors()[0]
        key = str(err["loc"][0]).upper() if err["loc"] else "config"
        raise ConfigError(f"{key}: {err['msg']}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"--config {path}: not valid TOML ({exc})") from None
    finally:
        _CONFIG_FILE["path"] = None
    # WECHAT_TEMPLATE_<KIND> and WORKSHOP_BOT_SCHEDULE_<JOB> are open-ended, so they are
    # gathered here, in the same precedence as every other key: .env, TOML, environment.
    dotenv = Path(".env")
    dotenv_pairs = list(dotenv_values(dotenv).items()) if dotenv.is_file() else []
    for prefix, field_name in ((TEMPLATE_PREFIX, "templates"), (SCHEDULE_PREFIX, "schedules")):
        found = _templates(dotenv_pairs, prefix)
        found.update(toml.prefixed(prefix) if toml else {})
        found.update(_templates(os.environ.items(), prefix))
        found.update(getattr(settings, field_name))
        setattr(settings, field_name, found)
    settings.schedules = {k.replace("_", "-"): v for k, v in settings.schedules.items()}
    _check_schedules(settings.schedules)
    return settings


def _templates(pairs: Iterable[tuple[str, str | None]], prefix: str) -> dict[str, str]:
    n = len(prefix)
    return {k[n:].lower(): v for k, v in pairs if k.upper().startswith(prefix) and v}


def _check_schedules(schedules: dict[str, str]) -> None:
    from scheduled.scheduler import configured

    try:
        configured(schedules)
    except ValueError as exc:
        raise ConfigError(f"{SCHEDULE_PREFIX}…: {exc}") from None
