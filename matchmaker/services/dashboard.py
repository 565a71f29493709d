"""Figures for the staff home page, within the user's regions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from matchmaker.extensions import db
from matchmaker.models import (
    DonorLetter,
    Person,
    ProgressNote,
    Region,
    ServiceHours,
    SpringBudProfile,
    User,
    VolunteerProfile,
)
from matchmaker.services.registries import REGISTRIES, Registry
from matchmaker.services.scope import region_filter


@dataclass
class RegistryCount:
    registry: Registry
    active: int
    total: int


@dataclass
class Summary:
    regions: list[Region]
    people: int
    registries: list[RegistryCount]
    applicants: int = 0  # volunteer sign-ups waiting for a decision
    hours_pending: int = 0  # self-logged hours waiting for approval
    girls_flagged: int = 0  # Spring Bud girls whose donor's pledge lapsed
    notes_pending: int = 0  # progress notes waiting for a second coordinator
    letters_pending: int = 0  # donors' letters waiting to be read


def summary(user: User) -> Summary:
    scope = region_filter(user, Region.path)

    def count(stmt):
        stmt = stmt.join(Person.region)
        if scope is not None:
            stmt = stmt.where(scope)
        return db.session.scalar(stmt) or 0

    counts = []
    for reg in REGISTRIES.values():
        base = select(func.count(reg.model.id)).join(reg.model.person)
        counts.append(RegistryCount(
            reg, active=count(base.where(reg.model.status == "active")), total=count(base)))
    people = count(select(func.count(Person.id)).where(Person.status == "active"))
    applicants = count(select(func.count(VolunteerProfile.id)).join(VolunteerProfile.person)
                       .where(VolunteerProfile.status == "pending"))
    hours_pending = count(
        select(func.count(ServiceHours.id))
        .join(VolunteerProfile, ServiceHours.volunteer_id == VolunteerProfile.id)
        .join(VolunteerProfile.person).where(ServiceHours.status == "pending"))
    def about_girls(model, *where):
        """Rows about Spring Bud girls (the girls themselves, notes, letters) in scope."""
        stmt = select(func.count(model.id))
        if model is not SpringBudProfile:
            stmt = stmt.join(SpringBudProfile, model.student_id == SpringBudProfile.id)
        return count(stmt.join(SpringBudProfile.person).where(*where))

    regions = user.regions if user.role == "coordinator" else []
    return Summary(
        regions=regions, people=people, registries=counts, applicants=applicants,
        hours_pending=hours_pending,
        girls_flagged=about_girls(SpringBudProfile,
                                  SpringBudProfile.sponsor_lapsed_on.is_not(None)),
        notes_pending=about_girls(ProgressNote, ProgressNote.status == "draft",
                                  or_(ProgressNote.written_by.is_(None),
                                      ProgressNote.written_by != user.id)),
        letters_pending=about_girls(DonorLetter, DonorLetter.status == "pending"))
