"""Hours served: a volunteer logs them, a coordinator of her region approves or rejects
them, and the approved ones of a year make her certificate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import extract, func, select, update

from matchmaker.extensions import db
from matchmaker.models import (
    ActivitySignup,
    Person,
    Region,
    ServiceHours,
    User,
    VolunteerProfile,
)
from matchmaker.models.base import utcnow
from matchmaker.services import activities
from matchmaker.services.clock import to_local, today
from matchmaker.services.errors import DomainError, NotFound
from matchmaker.services.scope import in_scope, region_filter
from matchmaker.services.validation import clean_text, parse_date

MAX_MINUTES = 24 * 60
# Who may log hours: accepted volunteers, and those paused since (for service before).
MAY_LOG = ("active", "inactive")


def hours_of(minutes: int) -> Decimal:
    """Minutes as hours with one decimal, rounded half up (315 minutes → 5.3): the one
    rounding used on every page, certificate and report."""
    return (Decimal(minutes) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def to_minutes(hours: Decimal | str | float | int) -> int:
    """Hours as people write them (2.5, "1.5") in whole minutes (rounded)."""
    try:
        value = Decimal(str(hours).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_("请填写服务时长（小时），如 2.5"), field="hours") from None
    if not value.is_finite():
        raise DomainError(_("请填写服务时长（小时），如 2.5"), field="hours")
    if not 0 < value <= 24:  # before multiplying: 1e999999 × 60 overflows
        raise DomainError(_("服务时长应大于 0 且不超过 24 小时"), field="hours")
    minutes = int((value * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if not 0 < minutes <= MAX_MINUTES:
        raise DomainError(_("服务时长应大于 0 且不超过 24 小时"), field="hours")
    return minutes


def log_hours(*, volunteer: VolunteerProfile, served_on: date | str,
              hours: Decimal | str | float, description: str = "",
              activity_id: int | None = None) -> ServiceHours:
    """Her own record of time served, pending a coordinator's approval."""
    if volunteer.status not in MAY_LOG:
        raise DomainError(_("您的志愿者身份尚未录用，暂不能登记服务时长"))
    if not isinstance(served_on, date):
        served_on = parse_date(served_on, field="served_on")
    if served_on > today():
        raise DomainError(_("服务日期不能晚于今天"), field="served_on")
    earliest = date(today().year - 1, 1, 1)
    if served_on < earliest:
        raise DomainError(_("服务日期不能早于 %(day)s", day=earliest.isoformat()),
                          field="served_on")
    minutes = to_minutes(hours)
    description = clean_text(description, field="description", label=_("服务内容"),
                             max_length=500)
    if activity_id:
        signup = db.session.scalar(
            select(ActivitySignup).where(ActivitySignup.volunteer_id == volunteer.id,
                                         ActivitySignup.activity_id == activity_id,
                                         ActivitySignup.status == "confirmed").limit(1))
        if signup is None:
            raise DomainError(_("您没有正式报名这个活动，不能按活动登记时长"), field="activity")
        if not activities.has_started(signup.activity):
            raise DomainError(_("活动还没有开始，开始后才能登记服务时长"), field="activity")
        if to_local(signup.activity.starts_at).date() != served_on:
            raise DomainError(_("服务日期应为活动当天（%(day)s）",
                                day=to_local(signup.activity.starts_at).date().isoformat()),
                              field="served_on")
        logged = db.session.scalar(
            select(ServiceHours.id).where(ServiceHours.volunteer_id == volunteer.id,
                                          ServiceHours.activity_id == activity_id,
                                          ServiceHours.status != "rejected").limit(1))
        if logged is not None:
            raise DomainError(_("这个活动的服务时长已登记过"), field="activity")
    that_day = db.session.scalar(
        select(func.coalesce(func.sum(ServiceHours.minutes), 0))
        .where(ServiceHours.volunteer_id == volunteer.id, ServiceHours.served_on == served_on,
               ServiceHours.status != "rejected")) or 0
    if that_day + minutes > MAX_MINUTES:
        raise DomainError(_("%(day)s 已登记 %(logged)s 小时，一天合计不能超过 24 小时",
                            day=served_on.isoformat(), logged=hours_of(that_day)),
                          field="hours")
    entry = ServiceHours(volunteer_id=volunteer.id, activity_id=activity_id or None,
                         served_on=served_on, minutes=minutes, description=description,
                         status="pending")
    db.session.add(entry)
    db.session.flush()
    return entry


def loggable_activities(volunteer: VolunteerProfile) -> list[ActivitySignup]:
    """Her confirmed sign-ups on activities that have started: what she may log hours for."""
    from matchmaker.models import Activity

    return list(db.session.scalars(
        select(ActivitySignup).join(Activity, Activity.id == ActivitySignup.activity_id)
        .where(ActivitySignup.volunteer_id == volunteer.id,
               ActivitySignup.status == "confirmed", Activity.starts_at <= utcnow())
        .order_by(Activity.starts_at.desc()).limit(50)))


def entries_of(volunteer: VolunteerProfile) -> list[ServiceHours]:
    return list(db.session.scalars(
        select(ServiceHours).where(ServiceHours.volunteer_id == volunteer.id)
        .order_by(ServiceHours.served_on.desc(), ServiceHours.id.desc()).limit(500)))


def get_entry_of(volunteer: VolunteerProfile, hours_id: int) -> ServiceHours:
    """Her own entry; anyone else's is "not found"."""
    entry = db.session.get(ServiceHours, hours_id)
    if entry is None or entry.volunteer_id != volunteer.id:
        raise NotFound(_("找不到这条服务记录"))
    return entry


def withdraw_entry(*, entry: ServiceHours) -> None:
    """She takes back an entry not yet decided."""
    if entry.status != "pending":
        raise DomainError(_("这条记录已审核，不能撤回"))
    db.session.delete(entry)
    db.session.flush()


# --- coordinators --------------------------------------------------------------------

def pending_for(user: User) -> list[ServiceHours]:
    """Pending entries of volunteers in the user's regions, oldest first."""
    stmt = (select(ServiceHours)
            .join(VolunteerProfile, VolunteerProfile.id == ServiceHours.volunteer_id)
            .join(Person, Person.id == VolunteerProfile.person_id)
            .join(Region, Region.id == Person.region_id)
            .where(ServiceHours.status == "pending")
            .order_by(ServiceHours.served_on, ServiceHours.id))
    cond = region_filter(user, Region.path)
    if cond is not None:
        stmt = stmt.where(cond)
    return list(db.session.scalars(stmt.limit(500)))


def get_entry(user: User, hours_id: int) -> ServiceHours:
    entry = db.session.get(ServiceHours, hours_id)
    if entry is None or not in_scope(user, entry.volunteer.person.region):
        raise NotFound(_("找不到这条服务记录，或不在您负责的地区内"))
    return entry


def _decide(user: User, entry: ServiceHours, status: str, reason: str = "") -> None:
    done = db.session.execute(
        update(ServiceHours).where(ServiceHours.id == entry.id, ServiceHours.status == "pending")
        .values(status=status, reviewed_by=user.id, reviewed_at=utcnow(), reject_reason=reason)
        .execution_options(synchronize_session=False))
    db.session.expire(entry)
    if done.rowcount != 1:
        raise DomainError(_("这条记录已审核过"))


def approve(*, user: User, entry: ServiceHours) -> None:
    _decide(user, entry, "approved")


def reject(*, user: User, entry: ServiceHours, reason: str) -> None:
    reason = clean_text(reason, field="reason", label=_("未认定原因"), max_length=200,
                        required=True)
    _decide(user, entry, "rejected", reason)


def approve_many(*, user: User, hours_ids: list[int]) -> tuple[int, list[str]]:
    """Approve several entries; those out of scope or already decided are reported."""
    done, refused = 0, []
    for hours_id in dict.fromkeys(hours_ids):
        try:
            approve(user=user, entry=get_entry(user, hours_id))
        except DomainError as e:
            refused.append(e.message)
        else:
            done += 1
    return done, refused


# --- totals and the certificate ------------------------------------------------------

def approved_total(volunteer: VolunteerProfile, year: int) -> int:
    """Approved minutes served in the year."""
    return db.session.scalar(
        select(func.coalesce(func.sum(ServiceHours.minutes), 0))
        .where(ServiceHours.volunteer_id == volunteer.id, ServiceHours.status == "approved",
               extract("year", ServiceHours.served_on) == year)) or 0


@dataclass
class Certificate:
    name: str
    year: int
    entries: list[ServiceHours]
    total_minutes: int
    federation: str
    issued_on: date

    @property
    def total_hours(self) -> Decimal:
        return hours_of(self.total_minutes)


def federation_name(region: Region) -> str:
    root = region
    while root.parent is not None:
        root = root.parent
    return _("%(region)s妇联", region=root.name)


def certificate(volunteer: VolunteerProfile, year: int) -> Certificate:
    entries = list(db.session.scalars(
        select(ServiceHours).where(ServiceHours.volunteer_id == volunteer.id,
                                   ServiceHours.status == "approved",
                                   extract("year", ServiceHours.served_on) == year)
        .order_by(ServiceHours.served_on, ServiceHours.id)))
    return Certificate(name=volunteer.person.name, year=year, entries=entries,
                       total_minutes=sum(e.minutes for e in entries),
                       federation=federation_name(volunteer.person.region),
                       issued_on=today())

