"""Service activities: coordinators offer places at a time and a place; volunteers sign up,
wait in line when it is full, and are moved up automatically when a place frees.

Places taken are counted in ``activity.filled`` and changed only by conditional UPDATEs
whose row count is checked (``filled < slots``): reading first and writing after would
give the last place twice (SQLite ignores SELECT … FOR UPDATE). The database's check
``filled <= slots`` and its one-live-sign-up index are the last line of defence.

Times: coordinators enter local time (BABEL_DEFAULT_TIMEZONE, Asia/Shanghai); the
database keeps UTC. SQLite hands back naive datetimes, which are UTC by construction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import gettext as _
from sqlalchemy import Select, and_, select, update
from sqlalchemy.exc import IntegrityError

from matchmaker.extensions import db
from matchmaker.models import Activity, ActivitySignup, Region, User, VolunteerProfile
from matchmaker.models.base import utcnow
from matchmaker.models.profiles import VOLUNTEER_TEAMS
from matchmaker.models.volunteering import ACTIVITY_SERVICES
from matchmaker.services import notifications
from matchmaker.services.clock import as_utc, from_local, to_local, today
from matchmaker.services.errors import DomainError, NotFound
from matchmaker.services.scope import in_scope, region_by_code, region_filter
from matchmaker.services.validation import clean_text, parse_date

LIVE = ("confirmed", "waitlisted")
MAX_SLOTS = 1000


# --- time ------------------------------------------------------------------------------

_TIME = re.compile(r"^(\d{1,2})[:：.](\d{2})$")


def parse_time(raw: str | time | None, *, field: str) -> time:
    """09:00, 9:00, 9：00 or 9.00."""
    if isinstance(raw, time):
        return raw
    m = _TIME.match((raw or "").strip())
    if m and int(m[1]) < 24 and int(m[2]) < 60:
        return time(int(m[1]), int(m[2]))
    raise DomainError(_("时间格式不正确，请按 09:30 填写"), field=field)


def has_started(activity: Activity, *, now: datetime | None = None) -> bool:
    return as_utc(activity.starts_at) <= (now or utcnow())


# --- coordinators: activities ----------------------------------------------------------

@dataclass
class ActivityInput:
    title: str
    service: str
    region_code: str
    place: str
    day: str | date
    start: str | time
    end: str | time
    slots: int | None
    team: str = ""
    description: str = ""


def years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _validated(user: User, data: ActivityInput) -> dict[str, object]:
    title = clean_text(data.title, field="title", label=_("活动名称"), max_length=100,
                       required=True)
    if data.service not in ACTIVITY_SERVICES:
        raise DomainError(_("请选择服务类别"), field="service")
    team = data.team or ""
    if team and team not in VOLUNTEER_TEAMS:
        raise DomainError(_("请选择有效的服务队"), field="team")
    region = region_by_code(user, data.region_code or "")
    if region.level not in ("town", "village"):
        raise DomainError(_("请选择镇（街道）或村（社区）"), field="region")
    place = clean_text(data.place, field="place", label=_("地点"), max_length=100,
                       required=True)
    day = data.day if isinstance(data.day, date) else parse_date(data.day or "", field="day")
    first, last = today(), years_later(today(), 2)
    if not first <= day <= last:  # before converting: year 1 or 9999 would overflow
        raise DomainError(_("活动日期应在今天到 %(last)s 之间", last=last.isoformat()),
                          field="day")
    start = parse_time(data.start, field="start")
    end = parse_time(data.end, field="end")
    if end <= start:
        raise DomainError(_("结束时间应晚于开始时间"), field="end")
    if data.slots is None or not 1 <= data.slots <= MAX_SLOTS:
        raise DomainError(_("名额应在 1 到 %(n)s 之间", n=MAX_SLOTS), field="slots")
    description = clean_text(data.description, field="description", label=_("活动说明"),
                             max_length=2000)
    return {"title": title, "service": data.service, "team": team, "region_id": region.id,
            "place": place, "starts_at": from_local(day, start),
            "ends_at": from_local(day, end), "slots": data.slots,
            "description": description}


def _refuse_past(values: dict[str, object]) -> None:
    if as_utc(values["starts_at"]) <= utcnow():
        raise DomainError(_("活动开始时间已过，请选择以后的时间"), field="day")


def create_activity(*, user: User, data: ActivityInput) -> Activity:
    values = _validated(user, data)
    _refuse_past(values)
    activity = Activity(**values, filled=0, status="open", created_by=user.id)
    db.session.add(activity)
    db.session.flush()
    return activity


def update_activity(*, user: User, activity: Activity, data: ActivityInput) -> Activity:
    """Change an open activity. A start in the past is refused, and so is a new time that
    would clash with another activity someone on the roster is signed up for; fewer places
    than are taken is refused; more places move the waitlist up. When the time or the
    place changes, everyone on the roster (confirmed and waiting) is told."""
    if activity.status != "open":
        raise DomainError(_("活动已取消或已结束，不能修改"))
    values = _validated(user, data)
    _refuse_past(values)
    starts_at, ends_at = values["starts_at"], values["ends_at"]
    moved = (as_utc(activity.starts_at) != as_utc(starts_at)
             or as_utc(activity.ends_at) != as_utc(ends_at))
    relocated = activity.place != values["place"] or activity.region_id != values["region_id"]
    live = list(db.session.scalars(
        select(ActivitySignup).where(ActivitySignup.activity_id == activity.id,
                                     ActivitySignup.status.in_(LIVE))
        .order_by(ActivitySignup.queued_at, ActivitySignup.id)))
    if moved:
        clashing = [s.volunteer.person.name for s in live
                    if _clash_at(s.volunteer, starts_at, ends_at, activity.id) is not None]
        if clashing:
            raise DomainError(_("新的时间与以下志愿者已报名的其他活动冲突：%(names)s。"
                                "请另选时间，或请她们先调整报名",
                                names=_("、").join(clashing)), field="day")
    slots = values.pop("slots")
    for key, value in values.items():
        setattr(activity, key, value)
    db.session.flush()
    # One statement, so that a sign-up taking a place meanwhile cannot be overbooked.
    done = db.session.execute(
        update(Activity).where(Activity.id == activity.id, Activity.filled <= slots)
        .values(slots=slots).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        db.session.refresh(activity)
        raise DomainError(_("已有 %(n)s 人报名，名额不能少于已报名人数", n=activity.filled),
                          field="slots")
    db.session.expire(activity)
    if moved or relocated:
        _tell_changed(activity, live)
    _promote(activity.id)
    return activity


def _tell_changed(activity: Activity, signups: list[ActivitySignup]) -> None:
    when = (f"{to_local(activity.starts_at):%Y-%m-%d %H:%M}"
            f"–{to_local(activity.ends_at):%H:%M}")
    for s in signups:
        notifications.notify(
            person=s.volunteer.person,
            subject=_("活动变更：%(title)s", title=activity.title),
            body=_("您报名的活动“%(title)s”时间或地点有变：%(when)s，%(place)s（%(region)s）。"
                   "如不能参加，请在活动开始前取消报名。", title=activity.title, when=when,
                   place=activity.place, region=activity.region.full_name))


def cancel_activity(*, user: User, activity: Activity) -> int:
    """Cancel the activity and every live sign-up, telling each volunteer. Returns how
    many volunteers were told."""
    done = db.session.execute(
        update(Activity).where(Activity.id == activity.id, Activity.status == "open")
        .values(status="cancelled", filled=0).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise DomainError(_("这个活动已取消或已结束"))
    signups = list(db.session.scalars(
        select(ActivitySignup).where(ActivitySignup.activity_id == activity.id,
                                     ActivitySignup.status.in_(LIVE))))
    db.session.expire(activity)
    when = to_local(activity.starts_at).strftime("%Y-%m-%d %H:%M")
    for s in signups:
        s.status = "cancelled"
        notifications.notify(
            person=s.volunteer.person, subject=_("活动取消：%(title)s", title=activity.title),
            body=_("您报名的活动“%(title)s”（%(when)s，%(place)s）已取消，给您带来不便，敬请谅解。",
                   title=activity.title, when=when, place=activity.place))
    db.session.flush()
    return len(signups)


def _scoped(user: User, stmt: Select) -> Select:
    cond = region_filter(user, Region.path)
    return stmt if cond is None else stmt.where(cond)


def activities_for(user: User, *, past: bool = False) -> list[Activity]:
    """Activities in the user's regions: upcoming (not yet ended) soonest first, or past
    ones latest first."""
    now = utcnow()
    stmt = _scoped(user, select(Activity).join(Region, Region.id == Activity.region_id))
    if past:
        stmt = stmt.where(Activity.ends_at <= now).order_by(Activity.starts_at.desc())
    else:
        stmt = stmt.where(Activity.ends_at > now).order_by(Activity.starts_at, Activity.id)
    return list(db.session.scalars(stmt.limit(500)))


def get_activity(user: User, activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None or not in_scope(user, activity.region):
        raise NotFound(_("找不到这个活动，或不在您负责的地区内"))
    return activity


def roster(activity: Activity) -> tuple[list[ActivitySignup], list[ActivitySignup]]:
    """Confirmed sign-ups in order of sign-up, then the waitlist in the order it is served."""
    rows = list(db.session.scalars(
        select(ActivitySignup).where(ActivitySignup.activity_id == activity.id,
                                     ActivitySignup.status.in_(LIVE))
        .order_by(ActivitySignup.queued_at, ActivitySignup.id)))
    return ([s for s in rows if s.status == "confirmed"],
            [s for s in rows if s.status == "waitlisted"])


# --- volunteers: sign-ups --------------------------------------------------------------

def _clash(volunteer: VolunteerProfile, activity: Activity) -> Activity | None:
    """Another activity she is signed up for (or waiting for) at an overlapping time.
    Intervals are half-open, so 9–11 and 11–12 do not clash."""
    return _clash_at(volunteer, activity.starts_at, activity.ends_at, activity.id)


def _clash_at(volunteer: VolunteerProfile, starts_at: datetime, ends_at: datetime,
              activity_id: int | None) -> Activity | None:
    """As ``_clash``, for the activity ``activity_id`` held at another time."""
    return db.session.scalar(
        select(Activity).join(ActivitySignup, ActivitySignup.activity_id == Activity.id)
        .where(ActivitySignup.volunteer_id == volunteer.id,
               ActivitySignup.status.in_(LIVE),
               Activity.id != (activity_id or 0),
               Activity.status != "cancelled",
               Activity.starts_at < ends_at,
               Activity.ends_at > starts_at)
        .order_by(Activity.starts_at).limit(1))


def _take_place(activity_id: int) -> bool:
    done = db.session.execute(
        update(Activity).where(Activity.id == activity_id, Activity.filled < Activity.slots,
                               Activity.status == "open")
        .values(filled=Activity.filled + 1).execution_options(synchronize_session=False))
    return done.rowcount == 1


def _free_place(activity_id: int) -> None:
    db.session.execute(
        update(Activity).where(Activity.id == activity_id, Activity.filled > 0)
        .values(filled=Activity.filled - 1).execution_options(synchronize_session=False))


def sign_up(*, volunteer: VolunteerProfile, activity: Activity) -> ActivitySignup:
    """Put an accepted volunteer on an open activity that has not started: a place if one
    is left, otherwise the waitlist."""
    if volunteer.status != "active":
        raise DomainError(_("您的志愿者身份尚未录用或已暂停，暂不能报名活动"))
    if activity.status != "open":
        raise DomainError(_("活动“%(title)s”已取消或已结束，不能报名", title=activity.title))
    if has_started(activity):
        raise DomainError(_("活动“%(title)s”已经开始，不能报名", title=activity.title))
    # One sign-up at a time per volunteer (two tabs at once must not both pass the clash
    # check): lock her row until this transaction ends. PostgreSQL takes a row lock;
    # SQLite already serialises writers (BEGIN IMMEDIATE) and ignores FOR UPDATE.
    db.session.execute(select(VolunteerProfile.id).where(VolunteerProfile.id == volunteer.id)
                       .with_for_update())
    mine = db.session.scalar(
        select(ActivitySignup.id).where(ActivitySignup.activity_id == activity.id,
                                        ActivitySignup.volunteer_id == volunteer.id,
                                        ActivitySignup.status.in_(LIVE)).limit(1))
    if mine is not None:
        raise DomainError(_("您已报名活动“%(title)s”", title=activity.title))
    clash = _clash(volunteer, activity)
    if clash is not None:
        when = to_local(clash.starts_at).strftime("%m-%d %H:%M")
        raise DomainError(_("与您已报名的活动“%(title)s”（%(when)s）时间冲突，不能同时参加",
                            title=clash.title, when=when))
    try:
        with db.session.begin_nested():
            status = "confirmed" if _take_place(activity.id) else "waitlisted"
            signup = ActivitySignup(activity_id=activity.id, volunteer_id=volunteer.id,
                                    status=status, queued_at=utcnow())
            db.session.add(signup)
            db.session.flush()
    except IntegrityError:
        db.session.expire_all()
        raise DomainError(_("您已报名活动“%(title)s”", title=activity.title)) from None
    db.session.expire(activity)
    return signup


def _promote(activity_id: int) -> list[ActivitySignup]:
    """Fill free places from the waitlist, earliest first, telling each one moved up."""
    promoted = []
    while True:
        nxt = db.session.scalar(
            select(ActivitySignup).join(VolunteerProfile,
                                        VolunteerProfile.id == ActivitySignup.volunteer_id)
            .where(ActivitySignup.activity_id == activity_id,
                   ActivitySignup.status == "waitlisted", VolunteerProfile.status == "active")
            .order_by(ActivitySignup.queued_at, ActivitySignup.id).limit(1))
        if nxt is None or not _take_place(activity_id):
            break
        done = db.session.execute(
            update(ActivitySignup).where(ActivitySignup.id == nxt.id,
                                         ActivitySignup.status == "waitlisted")
            .values(status="confirmed").execution_options(synchronize_session=False))
        if done.rowcount != 1:  # she cancelled meanwhile: give the place back, try the next
            _free_place(activity_id)
            db.session.expire(nxt)
            continue
        db.session.expire(nxt)
        activity = db.session.get(Activity, activity_id)
        when = to_local(activity.starts_at).strftime("%Y-%m-%d %H:%M")
        notifications.notify(
            person=nxt.volunteer.person,
            subject=_("候补成功：%(title)s", title=activity.title),
            body=_("有名额空出，您已从候补转为正式报名：“%(title)s”，%(when)s，%(place)s。",
                   title=activity.title, when=when, place=activity.place))
        promoted.append(nxt)
    db.session.expire(db.session.get(Activity, activity_id))
    return promoted


def promote_waitlists_of(volunteer: VolunteerProfile) -> list[ActivitySignup]:
    """Run the waitlist of every open activity yet to start that she waits for, once she
    is active again. While she was paused she kept her places and her turn in line, but
    ``_promote`` passed over her (and stopped when nobody active was left), so a place
    may have stayed free: it now goes to the first in line, who may be her."""
    ids = list(db.session.scalars(
        select(ActivitySignup.activity_id).join(Activity, Activity.id == ActivitySignup.activity_id)
        .where(ActivitySignup.volunteer_id == volunteer.id,
               ActivitySignup.status == "waitlisted", Activity.status == "open",
               Activity.starts_at > utcnow())
        .order_by(Activity.starts_at)))
    promoted: list[ActivitySignup] = []
    for activity_id in ids:
        promoted += _promote(activity_id)
    return promoted


def cancel(*, signup: ActivitySignup) -> list[ActivitySignup]:
    """A volunteer cancels her sign-up before the activity starts. A confirmed place goes
    to the first on the waitlist; returns whoever was moved up."""
    activity = signup.activity
    if signup.status not in LIVE:
        raise DomainError(_("这个报名已取消"))
    if has_started(activity):
        raise DomainError(_("活动已经开始，不能取消报名"))
    was = signup.status
    done = db.session.execute(
        update(ActivitySignup).where(ActivitySignup.id == signup.id,
                                     ActivitySignup.status == was)
        .values(status="cancelled").execution_options(synchronize_session=False))
    db.session.expire(signup)
    if done.rowcount != 1:
        raise DomainError(_("这个报名已取消"))
    if was != "confirmed" or activity.status != "open":
        return []
    _free_place(activity.id)
    return _promote(activity.id)


def signups_of(volunteer: VolunteerProfile, *, live_only: bool = False) -> list[ActivitySignup]:
    """Her sign-ups, soonest activity first."""
    stmt = (select(ActivitySignup).join(Activity, Activity.id == ActivitySignup.activity_id)
            .where(ActivitySignup.volunteer_id == volunteer.id)
            .order_by(Activity.starts_at.desc(), ActivitySignup.id.desc()))
    if live_only:
        stmt = stmt.where(ActivitySignup.status.in_(LIVE))
    return list(db.session.scalars(stmt.limit(200)))


def upcoming_signups(volunteer: VolunteerProfile, *, limit: int = 5) -> list[ActivitySignup]:
    return list(db.session.scalars(
        select(ActivitySignup).join(Activity, Activity.id == ActivitySignup.activity_id)
        .where(ActivitySignup.volunteer_id == volunteer.id, ActivitySignup.status.in_(LIVE),
               Activity.status == "open", Activity.starts_at > utcnow())
        .order_by(Activity.starts_at).limit(limit)))


def waitlist_position(signup: ActivitySignup) -> int | None:
    """Her place in the line (1 = next to move up), or None when she is not waiting."""
    if signup.status != "waitlisted":
        return None
    ahead = db.session.scalars(
        select(ActivitySignup.id).where(
            ActivitySignup.activity_id == signup.activity_id,
            ActivitySignup.status == "waitlisted",
            (ActivitySignup.queued_at < signup.queued_at)
            | and_(ActivitySignup.queued_at == signup.queued_at,
                   ActivitySignup.id < signup.id))).all()
    return len(ahead) + 1


def get_signup_of(volunteer: VolunteerProfile, signup_id: int) -> ActivitySignup:
    """Her own sign-up; anyone else's is "not found"."""
    signup = db.session.get(ActivitySignup, signup_id)
    if signup is None or signup.volunteer_id != volunteer.id:
        raise NotFound(_("找不到这个报名"))
    return signup


def county_path(region: Region) -> str:
    """The path of her county (or county-level city): the nearest such ancestor."""
    node: Region | None = region
    while node is not None:
        if node.level in ("county", "city", "province"):
            return node.path
        node = node.parent
    return region.path


def open_activities_for(volunteer: VolunteerProfile) -> list[Activity]:
    """Open activities that have not started, in her county, soonest first."""
    prefix = county_path(volunteer.person.region)
    return list(db.session.scalars(
        select(Activity).join(Region, Region.id == Activity.region_id)
        .where(Activity.status == "open", Activity.starts_at > utcnow(),
               Region.path.startswith(prefix, autoescape=True))
        .order_by(Activity.starts_at, Activity.id).limit(200)))


def open_activity_for(volunteer: VolunteerProfile, activity_id: int) -> Activity:
    """An activity she may sign up for from the portal (in her county); else NotFound."""
    activity = db.session.get(Activity, activity_id)
    if activity is None or not activity.region.path.startswith(
            county_path(volunteer.person.region)):
        raise NotFound(_("找不到这个活动"))
    return activity


def cancel_future_signups(volunteer: VolunteerProfile) -> int:
    """Cancel her live sign-ups on activities that have not started (each freed place goes
    to the waitlist). Returns how many were cancelled."""
    n = 0
    for s in upcoming_signups(volunteer, limit=1000):
        cancel(signup=s)
        n += 1
    return n
