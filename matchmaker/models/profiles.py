"""Profiles: the roles a person holds in the registries. One of each kind per person."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import N_, Audited, Timestamps, one_of
from matchmaker.models.person import Person

PROFILE_STATUSES = ("pending", "active", "inactive")
# When someone can serve or meet: weekday / weekend × morning / afternoon / evening.
AVAILABILITY = ("wd_am", "wd_pm", "wd_ev", "we_am", "we_pm", "we_ev")
AVAILABILITY_LABELS = {
    "wd_am": N_("工作日上午"),
    "wd_pm": N_("工作日下午"),
    "wd_ev": N_("工作日晚上"),
    "we_am": N_("周末上午"),
    "we_pm": N_("周末下午"),
    "we_ev": N_("周末晚上"),
}
# A volunteer moves applicant (pending) → accepted (active) → inactive → archived.
VOLUNTEER_STATUSES = ("pending", "active", "inactive", "archived")
VOLUNTEER_STATUS_LABELS = {
    "pending": N_("申请中"),
    "active": N_("已录用"),
    "inactive": N_("暂停服务"),
    "archived": N_("已归档"),
}
VOLUNTEER_TEAMS = ("文明传播", "创业指导", "家庭教育", "法律维权", "科技惠民", "环保护绿")
VOLUNTEER_SERVICES = ("助老", "帮困", "咨询", "调解")
MENTOR_KINDS = ("entrepreneur", "skilled", "expert", "social_mother")
MENTOR_KIND_LABELS = {
    "entrepreneur": N_("女企业家"),
    "skilled": N_("女能手"),
    "expert": N_("专家"),
    "social_mother": N_("社会妈妈"),
}
MENTEE_KINDS = ("student", "rural", "poor_mother")
MENTEE_KIND_LABELS = {
    "student": N_("女大学生"),
    "rural": N_("农村妇女"),
    "poor_mother": N_("贫困母亲"),
}
INDUSTRIES = ("agriculture", "ecommerce", "manufacturing", "services", "tourism", "finance",
              "education")
INDUSTRY_LABELS = {
    "agriculture": N_("种养殖"),
    "ecommerce": N_("电子商务"),
    "manufacturing": N_("制造加工"),
    "services": N_("生活服务"),
    "tourism": N_("乡村旅游"),
    "finance": N_("财务金融"),
    "education": N_("教育培训"),
}
DONOR_KINDS = ("person", "organisation")
DONOR_KIND_LABELS = {
    "person": N_("个人"),
    "organisation": N_("单位"),
}


class ProfileBase(Audited, Timestamps):
    """Columns every profile has: its person (one profile of a kind each) and a status."""

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default="active")

    @declared_attr
    def person_id(cls) -> Mapped[int]:  # noqa: N805
        return mapped_column(ForeignKey("person.id", ondelete="CASCADE"), unique=True)

    @declared_attr
    def person(cls) -> Mapped[Person]:  # noqa: N805
        return relationship(Person)

    @property
    def availability_set(self) -> set[str]:
        raw = getattr(self, "availability", "") or ""
        return {a for a in raw.split(",") if a}


class VolunteerProfile(ProfileBase, db.Model):
    __tablename__ = "volunteer_profile"
    __table_args__ = (one_of("status", VOLUNTEER_STATUSES, "status"),)

    # Her main team (reports count hours by it) and every team she offered to serve in.
    team: Mapped[str] = mapped_column(String(20))
    teams: Mapped[str] = mapped_column(String(80), default="", server_default="")
    services: Mapped[str] = mapped_column(String(40), default="")
    skills: Mapped[str] = mapped_column(Text, default="")
    availability: Mapped[str] = mapped_column(String(40), default="")
    # How she joined: entered by a coordinator, or through the public sign-up page (and
    # which activity's poster she scanned, if any: she is put on it when accepted).
    source: Mapped[str] = mapped_column(String(10), default="registry", server_default="registry")
    wanted_activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activity.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def team_set(self) -> set[str]:
        return {t for t in (self.teams or self.team or "").split(",") if t}


class MentorProfile(ProfileBase, db.Model):
    __tablename__ = "mentor_profile"
    __table_args__ = (
        one_of("status", PROFILE_STATUSES, "status"),
        one_of("kind", MENTOR_KINDS, "kind"),
        one_of("industry", INDUSTRIES, "industry"),
        db.CheckConstraint("capacity >= 0 AND capacity <= 50", name="capacity"),
        db.CheckConstraint("active_pairings >= 0 AND active_pairings <= capacity",
                           name="active_pairings"),
    )

    kind: Mapped[str] = mapped_column(String(20))
    specialty: Mapped[str] = mapped_column(String(100))
    industry: Mapped[str] = mapped_column(String(20))
    organisation: Mapped[str] = mapped_column(String(100), default="")
    experience: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    availability: Mapped[str] = mapped_column(String(40), default="")
    # Active pairings, kept by the same statement that creates or ends one, so that the
    # check below makes the database refuse a pairing beyond her capacity.
    active_pairings: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class MenteeProfile(ProfileBase, db.Model):
    __tablename__ = "mentee_profile"
    __table_args__ = (
        one_of("status", PROFILE_STATUSES, "status"),
        one_of("kind", MENTEE_KINDS, "kind"),
        one_of("industry", INDUSTRIES, "industry"),
        db.CheckConstraint("hardship >= 0 AND hardship <= 5", name="hardship"),
    )

    kind: Mapped[str] = mapped_column(String(20))
    needs: Mapped[str] = mapped_column(Text)
    industry: Mapped[str] = mapped_column(String(20))
    hardship: Mapped[int] = mapped_column(Integer, default=0)
    school: Mapped[str] = mapped_column(String(100), default="")
    major: Mapped[str] = mapped_column(String(100), default="")
    availability: Mapped[str] = mapped_column(String(40), default="")


class SpringBudProfile(ProfileBase, db.Model):
    """A 春蕾 girl: a minor. Her guardian's consent is recorded before anything else."""

    __tablename__ = "spring_bud_profile"
    __table_args__ = (one_of("status", PROFILE_STATUSES, "status"),)

    school: Mapped[str] = mapped_column(String(100))
    grade: Mapped[str] = mapped_column(String(20))
    guardian_name: Mapped[str] = mapped_column(String(30))
    guardian_relation: Mapped[str] = mapped_column(String(10))
    guardian_mobile: Mapped[str | None] = mapped_column(String(11))
    guardian_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    hardship_note: Mapped[str] = mapped_column(Text, default="")
    alias: Mapped[str] = mapped_column(String(20), default="")
    # Waiting for a sponsor since (None while one is active): the engine favours the girls
    # who have waited longest. ``sponsor_lapsed_on`` flags a girl whose donor's pledge
    # lapsed: the continuity reserve pays her terms until a new sponsor is found.
    waiting_since: Mapped[date | None] = mapped_column(Date)
    sponsor_lapsed_on: Mapped[date | None] = mapped_column(Date)


class DonorProfile(ProfileBase, db.Model):
    __tablename__ = "donor_profile"
    __table_args__ = (
        one_of("status", PROFILE_STATUSES, "status"),
        one_of("kind", DONOR_KINDS, "kind"),
    )

    kind: Mapped[str] = mapped_column(String(20), default="person")
    organisation: Mapped[str] = mapped_column(String(100), default="")
    display_name: Mapped[str] = mapped_column(String(60), default="")


PROFILE_MODELS: dict[str, type[ProfileBase]] = {
    "volunteer": VolunteerProfile,
    "mentor": MentorProfile,
    "mentee": MenteeProfile,
    "spring_bud": SpringBudProfile,
    "donor": DonorProfile,
}
