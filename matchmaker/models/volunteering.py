"""Volunteer service: activities with slots and a waitlist, hours served, and service
requests that volunteers are assigned to."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import N_, Audited, Timestamps, one_of
from matchmaker.models.person import Person
from matchmaker.models.profiles import VolunteerProfile
from matchmaker.models.region import Region

ACTIVITY_SERVICES = ("助老", "帮困", "咨询", "调解", "宣传", "环保", "其他")
ACTIVITY_STATUSES = ("open", "cancelled", "done")
ACTIVITY_STATUS_LABELS = {"open": N_("报名中"), "cancelled": N_("已取消"), "done": N_("已结束")}
SIGNUP_STATUSES = ("confirmed", "waitlisted", "cancelled")
SIGNUP_STATUS_LABELS = {"confirmed": N_("已报名"), "waitlisted": N_("候补"),
                        "cancelled": N_("已取消")}
HOURS_STATUSES = ("pending", "approved", "rejected")
HOURS_STATUS_LABELS = {"pending": N_("待审核"), "approved": N_("已认定"),
                       "rejected": N_("未认定")}
REQUEST_STATUSES = ("open", "assigned", "closed")
REQUEST_STATUS_LABELS = {"open": N_("待派单"), "assigned": N_("已派单"), "closed": N_("已办结")}
ASSIGNMENT_STATUSES = ("active", "ended")


class Activity(Audited, Timestamps, db.Model):
    """A service activity (助老, 帮困 …) at a time and place, with a number of places."""

    __tablename__ = "activity"
    __table_args__ = (
        one_of("status", ACTIVITY_STATUSES, "status"),
        db.CheckConstraint("slots >= 1 AND slots <= 1000", name="slots"),
        # Places taken are kept by the same statement that confirms or cancels a sign-up,
        # so that the database refuses a sign-up beyond the places offered.
        db.CheckConstraint("filled >= 0 AND filled <= slots", name="filled"),
        db.CheckConstraint("ends_at > starts_at", name="times"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    service: Mapped[str] = mapped_column(String(10))
    team: Mapped[str] = mapped_column(String(20), default="")
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    place: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    slots: Mapped[int] = mapped_column(Integer)
    filled: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))

    region: Mapped[Region] = relationship()

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600


class ActivitySignup(Audited, Timestamps, db.Model):
    """A volunteer on an activity: confirmed, on the waitlist (in order of sign-up), or
    cancelled. One live sign-up per volunteer and activity."""

    __tablename__ = "activity_signup"
    __table_args__ = (
        one_of("status", SIGNUP_STATUSES, "status"),
        Index("uq_activity_signup_live", "activity_id", "volunteer_id", unique=True,
              sqlite_where=text("status != 'cancelled'"),
              postgresql_where=text("status != 'cancelled'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"),
                                             index=True)
    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteer_profile.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    # The waitlist is served in this order (the time she joined it).
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    activity: Mapped[Activity] = relationship()
    volunteer: Mapped[VolunteerProfile] = relationship()


class ServiceRequest(Audited, Timestamps, db.Model):
    """A need someone has (a poor mother who wants to sell online, an old woman living
    alone …) that the federation looks for volunteers to meet."""

    __tablename__ = "service_request"
    __table_args__ = (one_of("status", REQUEST_STATUSES, "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    need: Mapped[str] = mapped_column(Text)
    teams: Mapped[str] = mapped_column(String(80), default="")
    availability: Mapped[str] = mapped_column(String(40), default="")
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    # Whom it is for, when she is in the registries (optional: a request may be a place).
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    volunteers_wanted: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))

    region: Mapped[Region] = relationship()
    person: Mapped[Person | None] = relationship()

    @property
    def availability_set(self) -> set[str]:
        return {a for a in (self.availability or "").split(",") if a}

    @property
    def team_set(self) -> set[str]:
        return {t for t in (self.teams or "").split(",") if t}


class ServiceAssignment(Audited, Timestamps, db.Model):
    """A volunteer assigned to a service request, with the engine's score and reasons."""

    __tablename__ = "service_assignment"
    __table_args__ = (
        one_of("status", ASSIGNMENT_STATUSES, "status"),
        Index("uq_service_assignment_active", "request_id", "volunteer_id", unique=True,
              sqlite_where=text("status = 'active'"),
              postgresql_where=text("status = 'active'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_request.id", ondelete="CASCADE"), index=True)
    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteer_profile.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="active")
    score: Mapped[float | None] = mapped_column()
    explanation: Mapped[str] = mapped_column(Text, default="")
    assigned_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))

    request: Mapped[ServiceRequest] = relationship()
    volunteer: Mapped[VolunteerProfile] = relationship()


class ServiceHours(Audited, Timestamps, db.Model):
    """Time a volunteer served, logged by her and approved (or not) by a coordinator."""

    __tablename__ = "service_hours"
    __table_args__ = (
        one_of("status", HOURS_STATUSES, "status"),
        db.CheckConstraint("minutes > 0 AND minutes <= 1440", name="minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteer_profile.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activity.id", ondelete="SET NULL"))
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_request.id", ondelete="SET NULL"))
    served_on: Mapped[date] = mapped_column(Date, index=True)
    minutes: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    reviewed_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reject_reason: Mapped[str] = mapped_column(String(200), default="")

    volunteer: Mapped[VolunteerProfile] = relationship()
    activity: Mapped[Activity | None] = relationship()
    request: Mapped[ServiceRequest | None] = relationship()

    @property
    def hours(self) -> float:
        return self.minutes / 60
