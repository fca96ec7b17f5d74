"""Conditions that narrow a union-wide query to one studio or one period, when asked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.sql.elements import ColumnElement


def in_studio(column: Any, studio_id: int | None) -> list[ColumnElement[bool]]:
    """`column == studio_id`, or nothing for the whole union: splat into .where()."""
    return [column == studio_id] if studio_id is not None else []


def in_period(column: Any, since: datetime | None, until: datetime | None
              ) -> list[ColumnElement[bool]]:
    """since <= column < until, each bound only when given."""
    conditions: list[ColumnElement[bool]] = []
    if since is not None:
        conditions.append(column >= since)
    if until is not None:
        conditions.append(column < until)
    return conditions
