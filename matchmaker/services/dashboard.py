"""Figures for the staff home page, within the user's regions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.models import Person, Region, ServiceHours, User, VolunteerProfile
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
    regions = user.regions if user.role == "coordinator" else []
    return Summary(regions=regions, people=people, registries=counts, applicants=applicants,
                   hours_pending=hours_pending)
