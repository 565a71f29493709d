"""Spring Bud pledges (春蕾结对助学): donors' promises, handled by a federation, and what
happens when a pledge runs out.

When a pledge lapses, its girls are flagged (``sponsor_lapsed_on``) and the reserve pays
their terms until a coordinator finds them a new sponsor (see services/term_payments).
Donations and receipts live in services/donations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from matchmaker.extensions import db
from matchmaker.models import (
    DonorProfile,
    Person,
    Pledge,
    Region,
    SpringBudProfile,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.models.sponsorship import PLEDGE_PERIODS, Sponsorship
from matchmaker.services import clock, letters, notifications, sponsorships
from matchmaker.services.errors import DomainError, NotFound
from matchmaker.services.money import parse_yuan, to_fen
from matchmaker.services.scope import in_scope, region_filter
from matchmaker.services.validation import clean_text

LAPSE_REASON = "捐助人承诺到期"
END_REASON = "捐助人承诺结束"
LIVE = ("held", "active")
EARLIEST = date(2000, 1, 1)
LATEST_YEARS = 5  # a date may lie at most this many years ahead


def latest_date() -> date:
    """The last date a pledge or donation may carry: today in five years."""
    day = clock.today()
    try:
        return day.replace(year=day.year + LATEST_YEARS)
    except ValueError:  # 29 February
        return day.replace(year=day.year + LATEST_YEARS, day=28)


def _check_date(value: date, field: str) -> None:
    if value < EARLIEST:
        raise DomainError(_("日期不能早于 2000 年"), field=field)
    if value > latest_date():
        raise DomainError(_("日期不能晚于五年后"), field=field)



# ---------------------------------------------------------------- donors and pledges

def donor_name(donor: DonorProfile) -> str:
    return donor.display_name or donor.organisation or donor.person.name


def donors_in_scope(user: User) -> list[DonorProfile]:
    stmt = (select(DonorProfile).join(Person, Person.id == DonorProfile.person_id)
            .join(Region, Region.id == Person.region_id)
            .where(DonorProfile.status != "inactive").order_by(DonorProfile.id))
    cond = region_filter(user, Region.path)
    if cond is not None:
        stmt = stmt.where(cond)
    return list(db.session.scalars(stmt))


def get_donor(user: User, donor_id: int | None) -> DonorProfile:
    donor = db.session.get(DonorProfile, donor_id) if donor_id else None
    if donor is None or not in_scope(user, donor.person.region):
        raise NotFound(_("找不到这位捐助人，或不在您负责的地区内"), field="donor")
    return donor


def _region_in_scope(user: User, code: str, field: str) -> Region:
    region = db.session.scalar(select(Region).where(Region.code == (code or "")))
    if region is None or not in_scope(user, region) or region.level == "village":
        raise DomainError(_("请选择您负责范围内的市、县或镇（街道）"), field=field)
    return region


@dataclass
class PledgeInput:
    donor_id: int | None
    region_code: str
    amount: str
    period: str = "term"
    students: int | None = 1
    greatest_need: bool = False
    pref_region_code: str = ""
    pref_grade: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    note: str = ""


def _apply(user: User, pledge: Pledge, data: PledgeInput) -> None:
    pledge.region = _region_in_scope(user, data.region_code, "region")
    pledge.amount_fen = to_fen(parse_yuan(data.amount, field="amount"))
    if data.period not in PLEDGE_PERIODS:
        raise DomainError(_("请选择每学期或每年"), field="period")
    pledge.period = data.period
    n = data.students
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 100:
        raise DomainError(_("资助人数应在 1 到 100 之间"), field="students")
    pledge.students = n
    pledge.greatest_need = bool(data.greatest_need)
    pledge.pref_region = (_region_in_scope(user, data.pref_region_code, "pref_region")
                          if data.pref_region_code else None)
    pledge.pref_grade = clean_text(data.pref_grade, field="pref_grade", label=_("希望资助的年级"),
                                   max_length=20)
    if data.starts_on is None:
        raise DomainError(_("请填写开始日期"), field="starts_on")
    _check_date(data.starts_on, "starts_on")
    if data.ends_on is not None:
        _check_date(data.ends_on, "ends_on")
    if data.ends_on is not None and data.ends_on < data.starts_on:
        raise DomainError(_("结束日期不能早于开始日期"), field="ends_on")
    pledge.starts_on, pledge.ends_on = data.starts_on, data.ends_on
    pledge.note = clean_text(data.note, field="note", label=_("备注"), max_length=500)


def create_pledge(*, user: User, data: PledgeInput) -> Pledge:
    """A donor's promise, handled by a federation in the user's scope."""
    donor = get_donor(user, data.donor_id)
    pledge = Pledge(donor=donor, status="active", created_by=user.id)
    _apply(user, pledge, data)
    db.session.add(pledge)
    db.session.flush()
    return pledge


def update_pledge(*, user: User, pledge: Pledge, data: PledgeInput) -> Pledge:
    """Change a pledge's terms (not its donor). It cannot promise fewer girls than are
    linked to it already."""
    if pledge.status != "active":
        raise DomainError(_("这项承诺已中断或结束，不能修改"))
    _expire_holds()
    with db.session.no_autoflush:
        _apply(user, pledge, data)
    linked = live_count(pledge)
    if pledge.students < linked:
        raise DomainError(_("已有 %(n)s 名学员结对，资助人数不能少于此数", n=linked),
                          field="students")
    outside = _linked_outside(pledge)
    if outside:
        raise DomainError(_("有 %(n)s 名已结对的学员不在新的受理地区内，不能改到这个地区",
                            n=outside), field="region")
    db.session.flush()
    return pledge


def _linked_outside(pledge: Pledge) -> int:
    """How many girls linked to the pledge (held or active) live outside its region."""
    return db.session.scalar(
        select(func.count(Sponsorship.id))
        .join(SpringBudProfile, SpringBudProfile.id == Sponsorship.student_id)
        .join(Person, Person.id == SpringBudProfile.person_id)
        .join(Region, Region.id == Person.region_id)
        .where(Sponsorship.pledge_id == pledge.id, Sponsorship.status.in_(LIVE),
               ~Region.path.startswith(pledge.region.path, autoescape=True))) or 0


def end_pledge(*, user: User, pledge: Pledge, today: date | None = None) -> int:
    """End a pledge at the donor's request: its live sponsorships end and its girls are
    flagged for the reserve. Returns how many girls were flagged."""
    today = today or clock.today()
    done = db.session.execute(
        update(Pledge).where(Pledge.id == pledge.id, Pledge.status == "active")
        .values(status="ended", ends_on=func.coalesce(Pledge.ends_on, today))
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise DomainError(_("这项承诺已中断或结束"))
    db.session.expire(pledge)
    return _release(pledge, today, END_REASON)


def _release(pledge: Pledge, today: date, reason: str) -> int:
    flagged = 0
    for s in db.session.scalars(select(Sponsorship).where(
            Sponsorship.pledge_id == pledge.id, Sponsorship.status.in_(LIVE))):
        was_active = s.status == "active"
        s.status, s.ended_on, s.end_reason = "ended", today, reason
        if was_active:
            s.student.sponsor_lapsed_on = today
            s.student.waiting_since = today
            flagged += 1
        # Her letters from this donor that wait for review go no further, and what the
        # donor was told of her (a proposal, a forwarded letter) is blanked in her inbox.
        letters.close_pending(s.student_id, pledge.donor_id, reason=_("结对情况变化"))
        notifications.hide_about(s.student.person_id, reader_id=pledge.donor.person_id)
    db.session.flush()
    return flagged


def lapse_due(*, today: date) -> list[Pledge]:
    """Active pledges whose last day has passed become 'lapsed'; their sponsorships end
    and their girls are flagged for the continuity reserve. Cheap when nothing is due."""
    due = list(db.session.scalars(select(Pledge).where(
        Pledge.status == "active", Pledge.ends_on.is_not(None), Pledge.ends_on < today)
        .order_by(Pledge.id)))
    lapsed = []
    for pledge in due:
        done = db.session.execute(
            update(Pledge).where(Pledge.id == pledge.id, Pledge.status == "active")
            .values(status="lapsed").execution_options(synchronize_session=False))
        if done.rowcount != 1:
            continue  # lapsed meanwhile by another request
        db.session.expire(pledge)
        _release(pledge, today, LAPSE_REASON)
        lapsed.append(pledge)
    return lapsed


def _expire_holds() -> None:
    """End the holds whose time for the donor to decide has passed, so that they no
    longer count as places taken (lazy, like lapsing; cheap when none are due)."""
    sponsorships.expire_holds(now=utcnow())


def live_count(pledge: Pledge) -> int:
    """The girls linked to the pledge: active, or held and still within the hold."""
    _expire_holds()
    return db.session.scalar(select(func.count(Sponsorship.id)).where(
        Sponsorship.pledge_id == pledge.id, Sponsorship.status.in_(LIVE))) or 0


def pledges_of(user: User, *, status: str = "") -> list[tuple[Pledge, int]]:
    """Pledges handled in the user's regions, each with its number of live links."""
    _expire_holds()
    linked = (select(Sponsorship.pledge_id, func.count(Sponsorship.id).label("n"))
              .where(Sponsorship.status.in_(LIVE)).group_by(Sponsorship.pledge_id).subquery())
    stmt = (select(Pledge, func.coalesce(linked.c.n, 0))
            .join(Region, Region.id == Pledge.region_id)
            .outerjoin(linked, linked.c.pledge_id == Pledge.id)
            .order_by(Pledge.status, Pledge.id.desc()))
    cond = region_filter(user, Region.path)
    if cond is not None:
        stmt = stmt.where(cond)
    if status:
        stmt = stmt.where(Pledge.status == status)
    return [(p, n) for p, n in db.session.execute(stmt.limit(500))]


def get_pledge(user: User, pledge_id: int) -> Pledge:
    pledge = db.session.get(Pledge, pledge_id)
    if pledge is None or not in_scope(user, pledge.region):
        raise NotFound(_("找不到这项捐助承诺"))
    return pledge


def sponsorships_of(pledge: Pledge, user: User) -> list[Sponsorship]:
    """The pledge's links whose girl the user may see (a pledge of the city can hold
    girls of several towns; a town's coordinator sees only her own)."""
    _expire_holds()
    stmt = (select(Sponsorship)
            .join(SpringBudProfile, SpringBudProfile.id == Sponsorship.student_id)
            .join(Person, Person.id == SpringBudProfile.person_id)
            .join(Region, Region.id == Person.region_id)
            .where(Sponsorship.pledge_id == pledge.id).order_by(Sponsorship.id.desc()))
    cond = region_filter(user, Region.path)
    if cond is not None:
        stmt = stmt.where(cond)
    return list(db.session.scalars(stmt))
