"""Approved pairs and the follow-up visits the federation reports on."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import N_, Audited, Timestamps, one_of
from matchmaker.models.match_run import Proposal
from matchmaker.models.person import Person
from matchmaker.models.profiles import MentorProfile
from matchmaker.models.programme import Programme

PAIRING_STATUSES = ("active", "completed", "ended")
PAIRING_STATUS_LABELS = {"active": N_("结对中"), "completed": N_("已完成"), "ended": N_("已解除")}
FOLLOW_UP_KINDS = ("visit", "phone", "training", "sales")
FOLLOW_UP_LABELS = {"visit": N_("走访"), "phone": N_("电话"), "training": N_("培训"),
                    "sales": N_("销售帮扶")}


class Pairing(Audited, Timestamps, db.Model):
    __tablename__ = "pairing"
    __table_args__ = (
        one_of("status", PAIRING_STATUSES, "status"),
        # One active pairing per mentee and programme, enforced by the database.
        Index("uq_pairing_active_mentee", "programme_id", "mentee_key", unique=True,
              sqlite_where=text("status = 'active'"),
              postgresql_where=text("status = 'active'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"), index=True)
    # Two approvals of the same proposal produce one pairing.
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id"), unique=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("mentor_profile.id"), index=True)
    mentee_key: Mapped[str] = mapped_column(String(40), index=True)
    mentee_person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="active")
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str] = mapped_column(Text, default="")
    approved_by: Mapped[int | None] = mapped_column(Integer)

    programme: Mapped[Programme] = relationship()
    proposal: Mapped[Proposal | None] = relationship()
    mentor: Mapped[MentorProfile] = relationship()
    mentee_person: Mapped[Person] = relationship()


class FollowUp(Audited, Timestamps, db.Model):
    __tablename__ = "follow_up"
    __table_args__ = (one_of("kind", FOLLOW_UP_KINDS, "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("pairing.id", ondelete="CASCADE"),
                                            index=True)
    on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))
    notes: Mapped[str] = mapped_column(Text, default="")
    # Outcomes: monthly income change in fen (may be negative), a business started.
    income_change_fen: Mapped[int | None] = mapped_column(Integer)
    business_started: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_by: Mapped[int | None] = mapped_column(Integer)
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    pairing: Mapped[Pairing] = relationship()
