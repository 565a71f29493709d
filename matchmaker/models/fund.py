"""Grant funds (专项资金) and their money: awards reserve, disbursements pay.

Money is integer fen in the database (Decimal yuan in code). The fund row carries the
running totals, and the database checks that reserved + paid never exceeds the budget;
every change to them is a conditional UPDATE checked by its row count.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import N_, Audited, Timestamps, one_of
from matchmaker.models.person import Person
from matchmaker.models.region import Region

FUND_KINDS = ("interest_subsidy", "material_aid", "stipend", "other")
FUND_KIND_LABELS = {"interest_subsidy": N_("创业贷款贴息"), "material_aid": N_("帮扶物资"),
                    "stipend": N_("春蕾助学金"), "other": N_("其他")}
AWARD_RULES = ("standard", "interest")
APPLICATION_STATUSES = ("submitted", "awarded", "declined", "withdrawn")
APPLICATION_STATUS_LABELS = {"submitted": N_("待审批"), "awarded": N_("已资助"),
                             "declined": N_("未获资助"), "withdrawn": N_("已撤回")}
AWARD_STATUSES = ("approved", "cancelled")


class Fund(Audited, Timestamps, db.Model):
    __tablename__ = "fund"
    __table_args__ = (
        one_of("kind", FUND_KINDS, "kind"),
        one_of("rule", AWARD_RULES, "rule"),
        db.CheckConstraint("budget_fen >= 0", name="budget"),
        db.CheckConstraint("reserved_fen >= 0 AND paid_fen >= 0", name="non_negative"),
        db.CheckConstraint("reserved_fen + paid_fen <= budget_fen", name="within_budget"),
        # One fund of a name per region and year: funds made on demand (the sponsorship
        # pool and reserve) cannot be made twice by two requests at once.
        UniqueConstraint("region_id", "year", "name", name="uq_fund_region_year_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    budget_fen: Mapped[int] = mapped_column(BigInteger)
    # Approved but not yet paid, and paid: the balance is budget − reserved − paid.
    reserved_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    rule: Mapped[str] = mapped_column(String(20), default="standard")
    standard_fen: Mapped[int | None] = mapped_column(BigInteger)
    # Interest subsidy: principal × annual rate × months / 12 × share, at most cap.
    subsidy_share: Mapped[float | None] = mapped_column(Float)
    cap_fen: Mapped[int | None] = mapped_column(BigInteger)
    eligibility: Mapped[dict] = mapped_column(JSON, default=dict)
    region_min: Mapped[dict] = mapped_column(JSON, default=dict)
    priority_weights: Mapped[dict] = mapped_column(JSON, default=dict)
    description: Mapped[str] = mapped_column(Text, default="")

    region: Mapped[Region] = relationship()


class Application(Audited, Timestamps, db.Model):
    __tablename__ = "application"
    __table_args__ = (
        one_of("status", APPLICATION_STATUSES, "status"),
        UniqueConstraint("fund_id", "person_id", name="uq_application_fund_person"),
        db.CheckConstraint("amount_fen > 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("fund.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    principal_fen: Mapped[int | None] = mapped_column(BigInteger)
    rate_bp: Mapped[int | None] = mapped_column(Integer)  # annual rate, basis points
    months: Mapped[int | None] = mapped_column(Integer)
    loan_number: Mapped[int | None] = mapped_column(Integer)  # 1st or 2nd loan
    first_loan_repaid: Mapped[bool] = mapped_column(default=False)
    hardship: Mapped[int] = mapped_column(Integer, default=0)
    household_size: Mapped[int] = mapped_column(Integer, default=1)
    plan_score: Mapped[int] = mapped_column(Integer, default=0)
    priority: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(12), default="submitted")
    note: Mapped[str] = mapped_column(Text, default="")
    # A multi-year subsidy: {"2026": fen, "2027": fen, …}. Each year's share is charged to
    # that year's fund; this application's amount is its own year's share.
    schedule: Mapped[dict] = mapped_column(JSON, default=dict)
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"))

    fund: Mapped[Fund] = relationship()
    person: Mapped[Person] = relationship()
    awards: Mapped[list[Award]] = relationship(back_populates="application")


class AllocationRun(Audited, Timestamps, db.Model):
    """A trial allocation kept with its inputs and results."""

    __tablename__ = "allocation_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("fund.id"), index=True)
    policy: Mapped[str] = mapped_column(String(10))
    inputs: Mapped[dict] = mapped_column(JSON, default=dict)
    results: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by: Mapped[int | None] = mapped_column(Integer)

    fund: Mapped[Fund] = relationship()


class Award(Audited, Timestamps, db.Model):
    __tablename__ = "award"
    __table_args__ = (
        one_of("status", AWARD_STATUSES, "status"),
        # No second award from the same fund (a fund is one year's money).
        UniqueConstraint("fund_id", "person_id", name="uq_award_fund_person"),
        db.CheckConstraint("amount_fen > 0", name="amount"),
        db.CheckConstraint("paid_fen >= 0 AND paid_fen <= amount_fen", name="paid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("fund.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(10), default="approved")
    approved_by: Mapped[int | None] = mapped_column(Integer)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    fund: Mapped[Fund] = relationship()
    application: Mapped[Application] = relationship(back_populates="awards")
    person: Mapped[Person] = relationship()


class Disbursement(Audited, Timestamps, db.Model):
    """One payment (发放): a ledger entry. The idempotency key makes a retried or
    double-clicked payment land once."""

    __tablename__ = "disbursement"
    __table_args__ = (db.CheckConstraint("amount_fen > 0", name="amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("award.id"), index=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("fund.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[date] = mapped_column(Date)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(Integer)

    award: Mapped[Award] = relationship()
