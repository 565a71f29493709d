"""A match run: the engine over a programme's pools, and what it proposed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import N_, Audited, Timestamps, one_of
from matchmaker.models.person import Person
from matchmaker.models.profiles import MenteeProfile, MentorProfile, SpringBudProfile
from matchmaker.models.programme import Programme

RUN_STATUSES = ("queued", "running", "done", "failed")
RUN_STATUS_LABELS = {"queued": N_("排队中"), "running": N_("计算中"), "done": N_("已完成"),
                     "failed": N_("失败")}
PROPOSAL_STATUSES = ("proposed", "approved", "rejected", "superseded")
PROPOSAL_STATUS_LABELS = {"proposed": N_("待审核"), "approved": N_("已批准"),
                          "rejected": N_("已否决"), "superseded": N_("已替换")}


class MatchRun(Audited, Timestamps, db.Model):
    __tablename__ = "match_run"
    __table_args__ = (
        one_of("status", RUN_STATUSES, "status"),
        # At most one unfinished run per programme, however many coordinators click.
        Index("uq_match_run_open", "programme_id", unique=True,
              sqlite_where=text("status IN ('queued', 'running')"),
              postgresql_where=text("status IN ('queued', 'running')")),
    )
    __audit_exclude__ = ("updated_at", "progress")

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    progress: Mapped[int] = mapped_column(Integer, default=0)  # percent
    # Everything needed to reproduce the run: weights, rules, a hash of the pools,
    # the engine version, who started it.
    inputs: Mapped[dict] = mapped_column(JSON, default=dict)
    stats: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(Integer)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    programme: Mapped[Programme] = relationship()

    def __repr__(self) -> str:
        return f"<MatchRun {self.id} {self.status}>"


class Proposal(Audited, Timestamps, db.Model):
    """One proposed pair. Mentee ids refer to the programme's mentee pool (a mentee or a
    spring-bud profile); exactly one of the two columns is set."""

    __tablename__ = "proposal"
    __table_args__ = (
        one_of("status", PROPOSAL_STATUSES, "status"),
        UniqueConstraint("run_id", "mentee_key", name="uq_proposal_run_mentee"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("match_run.id", ondelete="CASCADE"),
                                        index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"), index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("mentor_profile.id"), index=True)
    mentee_id: Mapped[int | None] = mapped_column(ForeignKey("mentee_profile.id"))
    spring_bud_id: Mapped[int | None] = mapped_column(ForeignKey("spring_bud_profile.id"))
    # "mentee:12" or "spring_bud:7": one key for either pool, for uniqueness and lookups.
    mentee_key: Mapped[str] = mapped_column(String(40), index=True)
    mentee_person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    score: Mapped[float] = mapped_column(Float)
    # {"features": {key: value}, "contributions": {key: value}, "items": [[label, value, detail]]}
    contributions: Mapped[dict] = mapped_column(JSON, default=dict)
    explanation: Mapped[str] = mapped_column(Text, default="")
    pinned: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(12), default="proposed")
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    run: Mapped[MatchRun] = relationship()
    mentor: Mapped[MentorProfile] = relationship()
    mentee_person: Mapped[Person] = relationship()
    mentee: Mapped[MenteeProfile | None] = relationship()
    spring_bud: Mapped[SpringBudProfile | None] = relationship()

    @property
    def mentee_profile(self) -> MenteeProfile | SpringBudProfile:
        return self.mentee if self.mentee is not None else self.spring_bud


class UnmatchedMentee(db.Model):
    __tablename__ = "unmatched_mentee"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("match_run.id", ondelete="CASCADE"),
                                        index=True)
    mentee_key: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    reason_code: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text, default="")
