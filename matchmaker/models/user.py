"""User accounts, roles and the regions a coordinator is responsible for."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import N_, Audited, Timestamps, one_of
from matchmaker.models.person import Person
from matchmaker.models.region import Region

ROLES = ("admin", "coordinator", "volunteer", "donor")
ROLE_LABELS = {
    "admin": N_("管理员"),
    "coordinator": N_("协调员"),
    "volunteer": N_("志愿者"),
    "donor": N_("捐助人"),
}

user_region = Table(
    "user_region",
    db.metadata,
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("region.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, Audited, Timestamps, db.Model):
    __tablename__ = "user_account"
    __table_args__ = (one_of("role", ROLES, "role"),)
    __audit_exclude__ = ("updated_at", "password_hash", "last_login_at", "failed_logins",
                         "locked_until")  # locks and unlocks have their own entries

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(40), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Wrong passwords in a row, and until when the account refuses logins after too many
    # (services.users: LOGIN_LOCKOUT_ATTEMPTS, LOGIN_LOCKOUT_MINUTES).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    person: Mapped[Person | None] = relationship()
    regions: Mapped[list[Region]] = relationship(secondary=user_region, order_by=Region.code)

    def __repr__(self) -> str:
        return f"<User {self.username}>"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def has_role(self, *roles: str) -> bool:
        return self.role in roles


TOKEN_PURPOSES = ("set_password",)


class OneTimeToken(Timestamps, db.Model):
    """A link that lets its holder act once (set a password) before it expires. Only the
    SHA-256 of the token is stored; the token itself travels in the outbox message."""

    __tablename__ = "one_time_token"
    __table_args__ = (one_of("purpose", TOKEN_PURPOSES, "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()
