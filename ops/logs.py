"""Logging set-up: readable lines for a terminal, or one JSON object per line for collectors."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries that speak too often for the default level: APScheduler logs every run of the
# 30-second lease renewal, Alembic every migration step.
QUIET = ("apscheduler", "alembic")


class JsonFormatter(logging.Formatter):
    """`WORKSHOP_BOT_LOG_FORMAT=json`: time, level, logger, message (and exc when there is a
    traceback) — what Loki, ELK and journald's JSON readers expect, one object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(fmt: str = "text", *, verbose: bool = False) -> None:
    """(Re)configure the root logger; called once the settings are known."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.WARNING)
