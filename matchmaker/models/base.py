"""Column helpers shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, DateTime
from sqlalchemy.orm import Mapped, mapped_column


def N_(message: str) -> str:  # noqa: N802  (the usual gettext marker name)
    """Mark a label for translation; it is translated where it is shown."""
    return message


def utcnow() -> datetime:
    """Now, timezone-aware in UTC (a callable default, never a value computed at import)."""
    return datetime.now(UTC)


def one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    """A database check that ``column`` holds one of ``values``."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class Audited:
    """Marker: inserts, updates and deletes of these rows are written to the audit log."""

    __audit_exclude__: tuple[str, ...] = ("updated_at",)
