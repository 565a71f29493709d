"""Service requests: a need someone has, the volunteers the engine suggests for it, and the
volunteers a coordinator assigns.

Suggestions come from the mentor-matching engine (``matchmaker.matching.volunteer_fit``):
active volunteers are the "mentors" (skills, teams, services; region; time slots), the
request is one "mentee" (title and need; teams wanted; region; time slots).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import Select, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from matchmaker.extensions import db
from matchmaker.matching.types import MenteeProfile as EngineNeed
from matchmaker.matching.types import MentorProfile as EngineVolunteer
from matchmaker.matching.volunteer_fit import VolunteerFit, rank_volunteers
from matchmaker.models import (
    MenteeProfile,
    Person,
    Region,
    ServiceAssignment,
    ServiceRequest,
    User,
    VolunteerProfile,
)
from matchmaker.models.profiles import AVAILABILITY, VOLUNTEER_TEAMS
from matchmaker.models.volunteering import REQUEST_STATUSES
from matchmaker.services.errors import DomainError, NotFound
from matchmaker.services.notifications import notify
from matchmaker.services.scope import (
    assignable_regions,
    in_scope,
    region_by_code,
    region_filter,
    require_registry_role,
)
from matchmaker.services.validation import clean_text

SUGGESTIONS = 10
MAX_WANTED = 50


@dataclass
class RequestInput:
    title: str
    need: str
    region_code: str
    teams: list[str] = field(default_factory=list)
    availability: list[str] = field(default_factory=list)
    volunteers_wanted: int = 1
    person_id: int | None = None


@dataclass(frozen=True)
class Suggestion:
    volunteer: VolunteerProfile
    fit: VolunteerFit


# ---------------------------------------------------------------- lookups


def requests_query(user: User, *, status: str = "") -> Select:
    """Requests in the user's regions, open ones first, newest first."""
    require_registry_role(user)
    stmt = (select(ServiceRequest).join(ServiceRequest.region)
            .options(contains_eager(ServiceRequest.region))
            .order_by(case((ServiceRequest.status == "open", 0),
                           (ServiceRequest.status == "assigned", 1), else_=2),
                      ServiceRequest.id.desc()))
    scope = region_filter(user, Region.path)
    if scope is not None:
        stmt = stmt.where(scope)
    if status in REQUEST_STATUSES:
        stmt = stmt.where(ServiceRequest.status == status)
    return stmt


def get_request(user: User, request_id: int) -> ServiceRequest:
    """The request, if it lies in the user's regions; otherwise ``NotFound``."""
    require_registry_role(user)
    req = db.session.get(ServiceRequest, request_id)
    if req is None or not in_scope(user, req.region):
        raise NotFound(_("找不到这个服务需求，或不在您负责的地区内"))
    return req


def get_assignment(user: User, assignment_id: int) -> ServiceAssignment:
    require_registry_role(user)
    assignment = db.session.get(ServiceAssignment, assignment_id)
    if assignment is None or not in_scope(user, assignment.request.region):
        raise NotFound(_("找不到这条派单记录，或不在您负责的地区内"))
    return assignment


def request_regions(user: User) -> list[Region]:
    """Towns and villages a request may be placed in by this user."""
    return [r for r in assignable_regions(user) if r.level in ("town", "village")]


def beneficiary_choices(user: User, limit: int = 1000) -> list[MenteeProfile]:
    """People a request may be for: the active 帮扶对象 (poor mothers first) in scope."""
    require_registry_role(user)
    stmt = (select(MenteeProfile).join(MenteeProfile.person).join(Person.region)
            .options(contains_eager(MenteeProfile.person).contains_eager(Person.region))
            .where(MenteeProfile.status == "active", Person.status == "active")
            .order_by(case((MenteeProfile.kind == "poor_mother", 0), else_=1), Region.path,
                      Person.name, MenteeProfile.id)
            .limit(limit))
    scope = region_filter(user, Region.path)
    if scope is not None:
        stmt = stmt.where(scope)
    return list(db.session.scalars(stmt))


def assignments_of(req: ServiceRequest) -> list[ServiceAssignment]:
    """The request's assignments, active first, then the latest."""
    return list(db.session.scalars(
        select(ServiceAssignment).where(ServiceAssignment.request_id == req.id)
        .order_by(case((ServiceAssignment.status == "active", 0), else_=1),
                  ServiceAssignment.id.desc())))


def assignments_for(volunteer: VolunteerProfile) -> list[ServiceAssignment]:
    """A volunteer's own assignments (for her portal), active first, then the latest."""
    return list(db.session.scalars(
        select(ServiceAssignment).where(ServiceAssignment.volunteer_id == volunteer.id)
        .order_by(case((ServiceAssignment.status == "active", 0), else_=1),
                  ServiceAssignment.id.desc())))


def _active_count(req: ServiceRequest) -> int:
    return db.session.scalar(select(func.count(ServiceAssignment.id)).where(
        ServiceAssignment.request_id == req.id, ServiceAssignment.status == "active")) or 0


# ---------------------------------------------------------------- writes


def _apply(req: ServiceRequest, data: RequestInput, user: User) -> None:
    req.title = clean_text(data.title, field="title", label=_("标题"), max_length=100,
                           required=True)
    req.need = clean_text(data.need, field="need", label=_("需求说明"), max_length=1000,
                          required=True)
    region = region_by_code(user, data.region_code or "")
    if region.level not in ("town", "village"):
        raise DomainError(_("请选择镇（街道）或村（社区）"), field="region")
    req.region = region
    unknown = [t for t in data.teams if t not in VOLUNTEER_TEAMS]
    if unknown:
        raise DomainError(_("未知的服务队：%(name)s", name="、".join(unknown)), field="teams")
    req.teams = ",".join(t for t in VOLUNTEER_TEAMS if t in data.teams)
    unknown = [a for a in data.availability if a not in AVAILABILITY]
    if unknown:
        raise DomainError(_("未知的服务时间"), field="availability")
    req.availability = ",".join(a for a in AVAILABILITY if a in data.availability)
    wanted = data.volunteers_wanted
    if isinstance(wanted, bool) or not isinstance(wanted, int) or not 1 <= wanted <= MAX_WANTED:
        raise DomainError(_("需要的志愿者人数应在 1 到 %(n)s 之间", n=MAX_WANTED),
                          field="volunteers_wanted")
    req.volunteers_wanted = wanted
    if data.person_id:
        person = db.session.get(Person, data.person_id)
        if person is None or not in_scope(user, person.region):
            raise DomainError(_("找不到这个人员，或不在您负责的地区内"), field="person_id")
        req.person = person
    else:
        req.person = None


def create_request(*, user: User, data: RequestInput) -> ServiceRequest:
    require_registry_role(user)
    req = ServiceRequest(status="open", created_by=user.id)
    _apply(req, data, user)
    db.session.add(req)
    db.session.flush()
    return req


def update_request(*, user: User, req: ServiceRequest, data: RequestInput) -> ServiceRequest:
    if req.status == "closed":
        raise DomainError(_("已办结的服务需求不能修改"))
    _apply(req, data, user)
    _update_status(req)
    db.session.flush()
    return req


def _update_status(req: ServiceRequest) -> None:
    """Assigned when the wanted number of volunteers is reached, open while it is not."""
    if req.status == "closed":
        return
    req.status = "assigned" if _active_count(req) >= req.volunteers_wanted else "open"


def _place(req: ServiceRequest) -> str:
    return req.region.full_name


def assign(*, user: User, req: ServiceRequest, volunteer_id: int) -> ServiceAssignment:
    """Assign one of the request's suggested volunteers (scored as the page showed her)."""
    if req.status == "closed":
        raise DomainError(_("这个服务需求已办结，不能再派单"))
    if req.status == "assigned" or _active_count(req) >= req.volunteers_wanted:
        raise DomainError(_("这个服务需求已派满 %(n)s 名志愿者", n=req.volunteers_wanted))
    volunteer = db.session.get(VolunteerProfile, volunteer_id)
    if volunteer is None or not in_scope(user, volunteer.person.region):
        raise NotFound(_("找不到这位志愿者，或不在您负责的地区内"))
    if _is_assigned(req, volunteer):
        raise DomainError(_("%(name)s已派到这个服务需求", name=volunteer.person.name))
    fit = next((s.fit for s in suggestions(user, req, limit=None)
                if s.volunteer.id == volunteer.id), None)
    if fit is None:
        raise DomainError(_("%(name)s不能派到这个服务需求（不是已录用的志愿者、不在本县，"
                            "或就是受助人本人）", name=volunteer.person.name))
    assignment = ServiceAssignment(request_id=req.id, volunteer_id=volunteer.id,
                                   status="active", score=round(fit.score, 6),
                                   explanation=fit.explanation.text_zh, assigned_by=user.id)
    try:
        with db.session.begin_nested():
            db.session.add(assignment)
            db.session.flush()
    except IntegrityError:
        # Two coordinators at once: the partial unique index keeps one active assignment.
        raise DomainError(_("%(name)s已派到这个服务需求", name=volunteer.person.name)) from None
    _update_status(req)
    notify(person=volunteer.person,
           subject=_("志愿服务派单：%(title)s", title=req.title),
           body=_("您已被安排参加志愿服务“%(title)s”，地点：%(place)s。需求：%(need)s。"
                  "所在地妇联会与您联系具体安排。", title=req.title, place=_place(req),
                  need=req.need))
    db.session.flush()
    return assignment


def _is_assigned(req: ServiceRequest, volunteer: VolunteerProfile) -> bool:
    return db.session.scalar(select(func.count(ServiceAssignment.id)).where(
        ServiceAssignment.request_id == req.id, ServiceAssignment.volunteer_id == volunteer.id,
        ServiceAssignment.status == "active")) > 0


def _end(assignment: ServiceAssignment) -> None:
    assignment.status = "ended"
    notify(person=assignment.volunteer.person,
           subject=_("志愿服务派单结束：%(title)s", title=assignment.request.title),
           body=_("您参加的志愿服务“%(title)s”已结束，感谢您的付出。",
                  title=assignment.request.title))


def end_assignment(*, assignment: ServiceAssignment) -> None:
    if assignment.status != "active":
        raise DomainError(_("这条派单已经结束"))
    _end(assignment)
    db.session.flush()
    _update_status(assignment.request)
    db.session.flush()


def end_assignments_of(volunteer: VolunteerProfile) -> int:
    """End her active assignments (she is archived or withdrew her consent), each as a
    coordinator would, so that each request opens again for another volunteer. Returns
    how many were ended."""
    active = list(db.session.scalars(
        select(ServiceAssignment).where(ServiceAssignment.volunteer_id == volunteer.id,
                                        ServiceAssignment.status == "active")
        .order_by(ServiceAssignment.id)))
    for a in active:
        end_assignment(assignment=a)
    return len(active)


def close_request(*, req: ServiceRequest) -> int:
    """Close the request and end its active assignments; returns how many were ended."""
    if req.status == "closed":
        raise DomainError(_("这个服务需求已经办结"))
    active = [a for a in assignments_of(req) if a.status == "active"]
    for a in active:
        _end(a)
    req.status = "closed"
    db.session.flush()
    return len(active)


# ---------------------------------------------------------------- suggestions


def county_of(region: Region) -> Region:
    """The county (or county-level city) above a region: the pool of volunteers."""
    node = region
    while node.level in ("town", "village") and node.parent is not None:
        node = node.parent
    return node


def engine_need(req: ServiceRequest) -> EngineNeed:
    return EngineNeed(id=f"request:{req.id}", needs=f"{req.title} {req.need}",
                      categories=req.team_set, region=req.region.code,
                      availability=req.availability_set)


def engine_volunteer(v: VolunteerProfile) -> EngineVolunteer:
    teams = sorted(v.team_set)
    services = [s for s in (v.services or "").split(",") if s]
    return EngineVolunteer(id=str(v.id), specialty=v.skills or "",
                           experience=" ".join(teams + services), categories=set(teams),
                           region=v.person.region.code, availability=v.availability_set,
                           capacity=1)


def candidate_volunteers(user: User, req: ServiceRequest) -> list[VolunteerProfile]:
    """Active volunteers of the request's county in the user's regions, except those already
    assigned to it and the person the request is for."""
    county = county_of(req.region)
    assigned = select(ServiceAssignment.volunteer_id).where(
        ServiceAssignment.request_id == req.id, ServiceAssignment.status == "active")
    stmt = (select(VolunteerProfile).join(VolunteerProfile.person).join(Person.region)
            .options(contains_eager(VolunteerProfile.person).contains_eager(Person.region))
            .where(VolunteerProfile.status == "active", Person.status == "active",
                   Region.path.startswith(county.path, autoescape=True),
                   VolunteerProfile.id.not_in(assigned))
            .order_by(VolunteerProfile.id))
    if req.person_id is not None:
        stmt = stmt.where(VolunteerProfile.person_id != req.person_id)
    scope = region_filter(user, Region.path)
    if scope is not None:
        stmt = stmt.where(scope)
    return list(db.session.scalars(stmt))


def suggestions(user: User, req: ServiceRequest, limit: int | None = SUGGESTIONS
                ) -> list[Suggestion]:
    """The best volunteers for the request, best first, each with the engine's reasons."""
    if req.status == "closed":
        return []
    pool = candidate_volunteers(user, req)
    by_id = {str(v.id): v for v in pool}
    fits = rank_volunteers([engine_volunteer(v) for v in pool], engine_need(req), limit=limit)
    return [Suggestion(by_id[f.volunteer_id], f) for f in fits]
