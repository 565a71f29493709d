"""Spring Bud sponsorship (春蕾结对助学): donors' pledges and donations (with receipts),
the link between a pledge and a girl (held while the donor decides, then active), the
term payments made through the grants ledger, progress notes written and approved by
coordinators, and donors' letters, which a coordinator reads before they go on."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
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
from matchmaker.models.fund import Disbursement, Fund
from matchmaker.models.profiles import DonorProfile, SpringBudProfile
from matchmaker.models.region import Region

PLEDGE_PERIODS = ("term", "year")
PLEDGE_PERIOD_LABELS = {"term": N_("每学期"), "year": N_("每年")}
PLEDGE_STATUSES = ("active", "lapsed", "ended")
PLEDGE_STATUS_LABELS = {"active": N_("履行中"), "lapsed": N_("已中断"), "ended": N_("已结束")}
SPONSORSHIP_PURPOSES = ("stipend",)
SPONSORSHIP_STATUSES = ("held", "active", "ended")
SPONSORSHIP_STATUS_LABELS = {"held": N_("待捐助人确认"), "active": N_("资助中"),
                             "ended": N_("已结束")}
PAYMENT_SOURCES = ("pledge", "reserve")
PAYMENT_SOURCE_LABELS = {"pledge": N_("捐助人捐款"), "reserve": N_("续助储备金")}
NOTE_STATUSES = ("draft", "approved", "withdrawn")
NOTE_STATUS_LABELS = {"draft": N_("待审核"), "approved": N_("已发布"), "withdrawn": N_("已撤下")}
LETTER_STATUSES = ("pending", "forwarded", "declined")
LETTER_STATUS_LABELS = {"pending": N_("待审阅"), "forwarded": N_("已转交"),
                        "declined": N_("未转交")}


class Pledge(Audited, Timestamps, db.Model):
    """A donor's promise: an amount per term or per year for each of N girls, or for "the
    girls in greatest need" (the coordinator or the engine chooses them)."""

    __tablename__ = "pledge"
    __table_args__ = (
        one_of("period", PLEDGE_PERIODS, "period"),
        one_of("status", PLEDGE_STATUSES, "status"),
        db.CheckConstraint("amount_fen > 0", name="amount"),
        db.CheckConstraint("students >= 1 AND students <= 100", name="students"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor_profile.id", ondelete="CASCADE"),
                                          index=True)
    # The federation that handles it (coordinators of this region see it).
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # per girl, per period
    period: Mapped[str] = mapped_column(String(10), default="term")
    students: Mapped[int] = mapped_column(Integer, default=1)
    greatest_need: Mapped[bool] = mapped_column(Boolean, default=False)
    # The donor's wishes (optional): a town or county, a grade.
    pref_region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    pref_grade: Mapped[str] = mapped_column(String(20), default="")
    starts_on: Mapped[date] = mapped_column(Date)
    # The pledge lapses after this day unless renewed (None: open-ended).
    ends_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="active")
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))

    donor: Mapped[DonorProfile] = relationship()
    region: Mapped[Region] = relationship(foreign_keys=[region_id])
    pref_region: Mapped[Region | None] = relationship(foreign_keys=[pref_region_id])


class Donation(Audited, Timestamps, db.Model):
    """Money received from a donor, with its receipt number. A configurable share goes to
    the continuity reserve (``reserve_fen``); the rest to the sponsorship fund."""

    __tablename__ = "donation"
    __table_args__ = (
        db.CheckConstraint("amount_fen > 0", name="amount"),
        db.CheckConstraint("reserve_fen >= 0 AND reserve_fen <= amount_fen", name="reserve"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor_profile.id", ondelete="CASCADE"),
                                          index=True)
    pledge_id: Mapped[int | None] = mapped_column(ForeignKey("pledge.id", ondelete="SET NULL"),
                                                  index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reserve_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    received_on: Mapped[date] = mapped_column(Date)
    receipt_no: Mapped[str] = mapped_column(String(30), unique=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("fund.id"), index=True)
    reserve_fund_id: Mapped[int | None] = mapped_column(ForeignKey("fund.id"))
    recorded_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))

    donor: Mapped[DonorProfile] = relationship()
    pledge: Mapped[Pledge | None] = relationship()
    fund: Mapped[Fund] = relationship(foreign_keys=[fund_id])


class Sponsorship(Audited, Timestamps, db.Model):
    """A pledge linked to one girl. Held (with an expiry) while the donor decides, then
    active. At most one live sponsorship per girl and purpose — a database constraint."""

    __tablename__ = "sponsorship"
    __table_args__ = (
        one_of("purpose", SPONSORSHIP_PURPOSES, "purpose"),
        one_of("status", SPONSORSHIP_STATUSES, "status"),
        Index("uq_sponsorship_live", "student_id", "purpose", unique=True,
              sqlite_where=text("status IN ('held', 'active')"),
              postgresql_where=text("status IN ('held', 'active')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"),
                                           index=True)
    student_id: Mapped[int] = mapped_column(
        ForeignKey("spring_bud_profile.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20), default="stipend")
    status: Mapped[str] = mapped_column(String(10), default="held")
    hold_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str] = mapped_column(String(200), default="")
    # How it was made: by hand, or proposed by the engine (with its reasons).
    proposed: Mapped[bool] = mapped_column(Boolean, default=False)
    explanation: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))

    pledge: Mapped[Pledge] = relationship()
    student: Mapped[SpringBudProfile] = relationship()


class SponsorshipPayment(Timestamps, db.Model):
    """A term's stipend to a girl: a ledger disbursement, paid from her donor's pledge or,
    while she waits for a new sponsor, from the continuity reserve."""

    __tablename__ = "sponsorship_payment"
    __table_args__ = (
        one_of("source", PAYMENT_SOURCES, "source"),
        db.UniqueConstraint("student_id", "term", name="uq_sponsorship_payment_term"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(
        ForeignKey("spring_bud_profile.id", ondelete="CASCADE"), index=True)
    sponsorship_id: Mapped[int | None] = mapped_column(
        ForeignKey("sponsorship.id", ondelete="SET NULL"), index=True)
    disbursement_id: Mapped[int] = mapped_column(ForeignKey("disbursement.id"), unique=True)
    term: Mapped[str] = mapped_column(String(12))  # e.g. 2026-autumn
    source: Mapped[str] = mapped_column(String(10))

    student: Mapped[SpringBudProfile] = relationship()
    sponsorship: Mapped[Sponsorship | None] = relationship()
    disbursement: Mapped[Disbursement] = relationship()


class ProgressNote(Audited, Timestamps, db.Model):
    """A term's news of a girl for her donor, written by a coordinator and shown only once
    another (or the same, with the approve step) coordinator approved it."""

    __tablename__ = "progress_note"
    __table_args__ = (one_of("status", NOTE_STATUSES, "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(
        ForeignKey("spring_bud_profile.id", ondelete="CASCADE"), index=True)
    term: Mapped[str] = mapped_column(String(12))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    written_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    approved_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    student: Mapped[SpringBudProfile] = relationship()


class DonorLetter(Audited, Timestamps, db.Model):
    """A donor's letter to a girl she sponsors. A coordinator reads it first and forwards
    it (or not, saying why). Writing back is never asked of the girl."""

    __tablename__ = "donor_letter"
    __table_args__ = (one_of("status", LETTER_STATUSES, "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor_profile.id", ondelete="CASCADE"),
                                          index=True)
    student_id: Mapped[int] = mapped_column(
        ForeignKey("spring_bud_profile.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    reviewed_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_note: Mapped[str] = mapped_column(String(200), default="")

    donor: Mapped[DonorProfile] = relationship()
    student: Mapped[SpringBudProfile] = relationship()
