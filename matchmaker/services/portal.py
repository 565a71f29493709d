"""The volunteer's own view: her profile, consent, pairings and assignments. Every lookup
starts from her account, so that nobody else's records can be reached from here."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import or_, select

from matchmaker.extensions import db
from matchmaker.models import (
    MentorProfile,
    Pairing,
    Person,
    User,
    VolunteerProfile,
)
from matchmaker.models.profiles import AVAILABILITY, VOLUNTEER_TEAMS
from matchmaker.services import activities, consent, service_requests
from matchmaker.services.errors import DomainError, NotFound
from matchmaker.services.validation import clean_text


def volunteer_of_person(person: Person) -> VolunteerProfile | None:
    return db.session.scalar(select(VolunteerProfile).where(
        VolunteerProfile.person_id == person.id))


def volunteer_of(user: User) -> VolunteerProfile | None:
    return volunteer_of_person(user.person) if user.person is not None else None


def require_volunteer(user: User) -> VolunteerProfile:
    """Her volunteer profile; an account without one has nothing to act on here."""
    volunteer = volunteer_of(user)
    if volunteer is None:
        raise NotFound(_("您的账号尚未关联志愿者登记，请联系所在地妇联"))
    return volunteer


def update_profile(*, volunteer: VolunteerProfile, teams: list[str], skills: str,
                   availability: list[str]) -> None:
    """What she may change herself: her teams, skills and when she can serve."""
    teams = [t for t in VOLUNTEER_TEAMS if t in set(teams or [])]
    if not teams:
        raise DomainError(_("请至少选择一个服务队"), field="teams")
    if set(availability or []) - set(AVAILABILITY):
        raise DomainError(_("可服务时间无效"), field="availability")
    volunteer.teams = ",".join(teams)
    if volunteer.team not in teams:  # her main team must be one she still serves in
        volunteer.team = teams[0]
    volunteer.skills = clean_text(skills, field="skills", label=_("技能特长"), max_length=500)
    volunteer.availability = ",".join(a for a in AVAILABILITY if a in set(availability or []))
    db.session.flush()


def withdraw_consent(*, volunteer: VolunteerProfile) -> int:
    """She withdraws her consent: it is recorded, she stops serving (inactive), her
    places on activities to come are given up (each to the first on the waitlist) and her
    service assignments end. Returns how many sign-ups were cancelled."""
    if volunteer.status == "archived":
        raise DomainError(_("您的志愿者登记已归档"))
    consent.withdraw(person=volunteer.person, purpose="volunteer")
    volunteer.status = "inactive"
    db.session.flush()
    service_requests.end_assignments_of(volunteer)
    return activities.cancel_future_signups(volunteer)


def give_consent_again(*, volunteer: VolunteerProfile) -> None:
    """She consents again, from her portal, to the notice now in force. Her status does
    not change: a coordinator resumes her."""
    if volunteer.status == "archived":
        raise DomainError(_("您的志愿者登记已归档"))
    if consent.active(volunteer.person, "volunteer") is not None:
        raise DomainError(_("您的同意仍然有效，无需重新同意"))
    consent.give(person=volunteer.person, purpose="volunteer", channel="portal")


def pairings_of(person: Person) -> list[Pairing]:
    """Pairings where she is the mentor or the mentee."""
    return list(db.session.scalars(
        select(Pairing).outerjoin(MentorProfile, MentorProfile.id == Pairing.mentor_id)
        .where(or_(MentorProfile.person_id == person.id,
                   Pairing.mentee_person_id == person.id))
        .order_by(Pairing.started_on.desc(), Pairing.id.desc())))
