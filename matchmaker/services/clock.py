"""Times and dates in the federation's own time zone (``BABEL_DEFAULT_TIMEZONE``).

Times are stored in UTC; SQLite hands timezone-aware columns back naive, so every stored
time goes through ``as_utc`` before it is compared or shown. "Today" is the local date,
not the server's (a server on UTC would otherwise think it is yesterday until 08:00)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_ZONE = "Asia/Shanghai"


def local_zone() -> ZoneInfo:
    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") if has_app_context() else None
    return ZoneInfo(name or DEFAULT_ZONE)


def as_utc(value: datetime) -> datetime:
    """A stored time as an aware UTC datetime."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_local(value: datetime) -> datetime:
    return as_utc(value).astimezone(local_zone())


def from_local(day: date, at: time) -> datetime:
    """A local date and time (as a coordinator types them), as aware UTC for storage."""
    return datetime.combine(day, at, tzinfo=local_zone()).astimezone(UTC)


def today() -> date:
    return datetime.now(local_zone()).date()
