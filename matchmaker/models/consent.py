"""Consent to a privacy notice: who gave it, for whom, which version, and when it was
withdrawn. A record is never edited except to withdraw it; a new consent is a new row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import N_, Audited, Timestamps, one_of
from matchmaker.models.person import Person

CONSENT_PURPOSES = ("volunteer", "spring_bud", "photo")
CONSENT_PURPOSE_LABELS = {"volunteer": N_("志愿者登记"), "spring_bud": N_("春蕾资助"),
                          "photo": N_("照片使用")}
CONSENT_CHANNELS = ("web", "paper", "portal")


class ConsentRecord(Audited, Timestamps, db.Model):
    __tablename__ = "consent_record"
    __table_args__ = (
        one_of("purpose", CONSENT_PURPOSES, "purpose"),
        one_of("channel", CONSENT_CHANNELS, "channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The person the data is about (for a minor, the child).
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"),
                                           index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    notice_version: Mapped[str] = mapped_column(String(20))
    # Who consented: "self", or a guardian's name and relation for a minor.
    given_by: Mapped[str] = mapped_column(String(30), default="self")
    relation: Mapped[str] = mapped_column(String(10), default="")
    scope: Mapped[str] = mapped_column(String(200), default="")
    channel: Mapped[str] = mapped_column(String(10))
    given_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))

    person: Mapped[Person] = relationship()

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None
