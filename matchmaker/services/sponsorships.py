"""Spring Bud sponsorship links (春蕾结对): the guardian's consent that must come first, the
link between a donor's pledge and a girl (held while the donor decides, then active), and
the engine's proposals of girls for a pledge's free places.

A girl is a minor: only coordinators of her region (and admins) reach her here; anyone
else gets ``NotFound``. What a donor is told of her is an allow-list — a given name or
alias, an age band and her town — never her full name, school, ID or phone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from matchmaker.extensions import db
from matchmaker.matching.sponsor_fit import GirlNeed, PledgeSlot, ProposedLink, propose_links
from matchmaker.models import (
    ConsentRecord,
    DonorProfile,
    Person,
    Pledge,
    Region,
    Sponsorship,
    SpringBudProfile,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.services import consent, notifications
from matchmaker.services.clock import as_utc, from_local, to_local, today
from matchmaker.services.errors import DomainError, NotFound
from matchmaker.services.names import pseudonym
from matchmaker.services.scope import in_scope, region_filter, require_registry_role
from matchmaker.services.validation import age_on, clean_text

PURPOSE = "spring_bud"  # the consent purpose
LIVE = ("held", "active")
WITHDRAWN_REASON = "监护人撤回同意"
DECLINED_REASON = "捐助人未确认"
EXPIRED_REASON = "确认期限已过"
DEFAULT_HOLD_DAYS = 14
FILTERS = ("waiting", "flagged", "sponsored", "no_consent")

# --- what may be said of a girl ---------------------------------------------------------

def age_band(birth_date: date | None, today: date) -> str:
    """Her age as a three-year band ("9–11岁"), never the birth date itself."""
    if birth_date is None:
        return _("年龄未登记")
    age = age_on(birth_date, today)
    if age < 6:
        return _("6岁以下")
    if age >= 18:
        return _("18岁及以上")
    low = 6 + (age - 6) // 3 * 3
    return f"{low}–{low + 2}岁"


def town_of(region: Region) -> Region:
    """The town (镇/街道) a region lies in; the region itself above town level."""
    node: Region | None = region
    while node is not None and node.level == "village":
        node = node.parent
    return node or region


# --- lookups within the coordinator's scope ---------------------------------------------

def get_student(user: User, student_id: int) -> SpringBudProfile:
    require_registry_role(user)
    student = db.session.get(SpringBudProfile, student_id)
    if student is None or not in_scope(user, student.person.region):
        raise NotFound(_("找不到这名学生，或不在您负责的地区内"))
    return student


def _check_student(user: User, student: SpringBudProfile) -> None:
    require_registry_role(user)
    if not in_scope(user, student.person.region):
        raise NotFound(_("找不到这名学生，或不在您负责的地区内"))


def get_pledge(user: User, pledge_id: int) -> Pledge:
    require_registry_role(user)
    pledge = db.session.get(Pledge, pledge_id)
    if pledge is None or not in_scope(user, pledge.region):
        raise NotFound(_("找不到这项捐助承诺，或不在您负责的地区内"))
    return pledge


def get_sponsorship(user: User, sponsorship_id: int) -> Sponsorship:
    require_registry_role(user)
    sp = db.session.get(Sponsorship, sponsorship_id)
    if sp is None or not in_scope(user, sp.student.person.region):
        raise NotFound(_("找不到这项结对，或不在您负责的地区内"))
    return sp


def donor_label(donor: DonorProfile) -> str:
    return donor.display_name or donor.organisation or donor.person.name


# --- guardian consent -------------------------------------------------------------------

def consented(student: SpringBudProfile) -> bool:
    """Her guardian's consent to sponsorship is in force."""
    return consent.active(student.person, PURPOSE) is not None


def consent_history(student: SpringBudProfile) -> list[ConsentRecord]:
    return [r for r in consent.history(student.person) if r.purpose == PURPOSE]


EARLIEST_SIGNING = date(2000, 1, 1)


def signing_time(signed_on: date | None) -> datetime | None:
    """When a paper consent was signed: noon, local time, of the day on the form (as UTC),
    but never later than now. None (no date given) means now."""
    if signed_on is None:
        return None
    if not isinstance(signed_on, date) or isinstance(signed_on, datetime):
        raise DomainError(_("请填写签署日期"), field="signed_on")
    if signed_on > today():
        raise DomainError(_("签署日期不能晚于今天"), field="signed_on")
    if signed_on < EARLIEST_SIGNING:
        raise DomainError(_("签署日期不能早于 2000 年"), field="signed_on")
    return min(from_local(signed_on, time(12, 0)), utcnow())


def record_guardian_consent(*, user: User, student: SpringBudProfile, given_by: str,
                            relation: str, scope: str, channel: str = "paper",
                            signed_on: date | None = None) -> ConsentRecord:
    """Record the guardian's consent to the current notice (a new row each time), as of
    the day the guardian signed the paper form (``signed_on``; today if not given)."""
    _check_student(user, student)
    given_at = signing_time(signed_on)
    given_by = clean_text(given_by, field="given_by", label=_("监护人姓名"), max_length=30,
                          required=True)
    relation = clean_text(relation, field="relation", label=_("与学生关系"), max_length=10,
                          required=True)
    scope = clean_text(scope, field="scope", label=_("同意范围"), max_length=200,
                       required=True)
    notice = consent.current_notice(PURPOSE)
    current = consent.active(student.person, PURPOSE)
    if current is not None and current.notice_version == notice.version:
        raise DomainError(_("已有监护人对现行告知书的有效同意，无需重复登记"))
    record = consent.give(person=student.person, purpose=PURPOSE, channel=channel,
                          version=notice.version, given_by=given_by, relation=relation,
                          scope=scope, recorded_by=user, given_at=given_at)
    student.guardian_consent = True
    db.session.flush()
    return record


def withdraw_guardian_consent(*, user: User, student: SpringBudProfile) -> int:
    """Withdraw the guardian's consent. Her live sponsorships end at once (the donor sees
    nothing of her from now on); money is left to the coordinator. Returns how many
    sponsorships ended."""
    _check_student(user, student)
    if not consent.withdraw(person=student.person, purpose=PURPOSE):
        raise DomainError(_("这名学生没有有效的监护人同意"))
    student.guardian_consent = False
    ended = 0
    for sp in _live_of(student):
        _finish(sp, WITHDRAWN_REASON)
        ended += 1
        # Her donor is told that a link ended — not whose, nor why.
        notifications.notify(
            person=sp.pledge.donor.person, subject=_("结对变更"),
            body=_("您资助的一名学生的结对已结束，所在地妇联会与您联系后续安排。"))
    # Her letters still waiting go no further (imported here: letters imports this module).
    from matchmaker.services import letters
    letters.close_pending(student.id, reason=_("结对情况变化"))
    # And what her donors were told of her before (a proposal, a forwarded letter) is
    # blanked in their inboxes: from now on they see nothing of her.
    notifications.hide_about(student.person_id)
    db.session.flush()
    return ended


# --- links ------------------------------------------------------------------------------

def _live_of(student: SpringBudProfile) -> list[Sponsorship]:
    return list(db.session.scalars(
        select(Sponsorship).where(Sponsorship.student_id == student.id,
                                  Sponsorship.status.in_(LIVE))))


def live_count(pledge: Pledge) -> int:
    return db.session.scalar(select(func.count(Sponsorship.id)).where(
        Sponsorship.pledge_id == pledge.id, Sponsorship.status.in_(LIVE))) or 0


def free_places(pledge: Pledge) -> int:
    return max(pledge.students - live_count(pledge), 0)


def hold_days() -> int:
    return int(current_app.config.get("SPONSOR_HOLD_DAYS", DEFAULT_HOLD_DAYS))


def _finish(sp: Sponsorship, reason: str) -> None:
    """End a held or active link. What its donor was told of the girl (the proposal, a
    forwarded letter) is blanked in that donor's inbox: she no longer sponsors her."""
    was_active = sp.status == "active"
    sp.status = "ended"
    sp.ended_on = today()
    sp.end_reason = reason
    if was_active and sp.student.waiting_since is None:
        sp.student.waiting_since = today()  # she waits for a sponsor again
    notifications.hide_about(sp.student.person_id, reader_id=sp.pledge.donor.person_id)


def _pledge_open(pledge: Pledge) -> None:
    if pledge.status != "active" or (pledge.ends_on is not None and pledge.ends_on < today()):
        raise DomainError(_("这项捐助承诺已中断或已结束，不能再结对"), field="pledge")


def link(*, user: User, pledge: Pledge, student: SpringBudProfile, proposed: bool = False,
         explanation: str = "") -> Sponsorship:
    """Link a girl to a pledge, held for the donor to confirm; the donor is told."""
    expire_holds()  # an expired hold neither blocks her nor takes a place
    _check_student(user, student)
    if not in_scope(user, pledge.region):
        raise NotFound(_("找不到这项捐助承诺，或不在您负责的地区内"), field="pledge")
    if not pledge.region.contains(student.person.region):
        # A city's pledge may take a girl of any of its towns; a town's, only its own.
        raise DomainError(_("这名学生不在这项捐助承诺的受理地区内"), field="pledge")
    if student.status != "active" or student.person.status != "active":
        raise DomainError(_("这名学生的登记已停用，不能结对"))
    if not consented(student):
        raise DomainError(_("须先登记监护人对春蕾结对资助的同意"))
    _pledge_open(pledge)
    # Lock the pledge until the transaction ends, so that two coordinators linking at the
    # same moment cannot both take its last place (PostgreSQL; SQLite serialises writers).
    db.session.execute(select(Pledge.id).where(Pledge.id == pledge.id).with_for_update())
    if live_count(pledge) >= pledge.students:
        raise DomainError(_("这项捐助承诺的名额已满"), field="pledge")
    taken = _("这名学生已有捐助人或正在等待捐助人确认")
    if _live_of(student):
        raise DomainError(taken)
    expires = utcnow() + timedelta(days=hold_days())
    try:
        with db.session.begin_nested():
            sp = Sponsorship(pledge_id=pledge.id, student_id=student.id, purpose="stipend",
                             status="held", hold_expires_at=expires, proposed=proposed,
                             explanation=explanation[:2000], created_by=user.id)
            db.session.add(sp)
            db.session.flush()
    except IntegrityError:
        raise DomainError(taken) from None
    notifications.notify(
        person=pledge.donor.person, subject=_("请确认结对的学生"),
        body=_("妇联为您的春蕾捐助推荐了一名学生：%(name)s，%(age)s，%(town)s。"
               "请在 %(until)s 前登录捐助人页面确认或婉拒。",
               name=pseudonym(student), age=age_band(student.person.birth_date, today()),
               town=town_of(student.person.region).name,
               until=to_local(expires).strftime("%Y-%m-%d")),
        about=student.person)
    return sp


def _donors_held(donor: DonorProfile, sponsorship_id: int) -> Sponsorship:
    sp = db.session.scalar(
        select(Sponsorship).join(Pledge, Sponsorship.pledge_id == Pledge.id)
        .where(Sponsorship.id == sponsorship_id, Pledge.donor_id == donor.id,
               Sponsorship.status == "held"))
    if sp is None or sp.hold_expires_at is None or as_utc(sp.hold_expires_at) <= utcnow():
        raise NotFound(_("找不到这项待确认的结对，或确认期限已过"))
    return sp


def confirm_hold(*, donor: DonorProfile, sponsorship_id: int) -> Sponsorship:
    """The donor takes the girl she was proposed: the sponsorship becomes active."""
    sp = _donors_held(donor, sponsorship_id)
    sp.status = "active"
    sp.started_on = today()
    sp.hold_expires_at = None
    sp.student.waiting_since = None
    sp.student.sponsor_lapsed_on = None
    db.session.flush()
    return sp


def decline_hold(*, donor: DonorProfile, sponsorship_id: int) -> Sponsorship:
    """The donor declines: the girl is free for another donor (still waiting)."""
    sp = _donors_held(donor, sponsorship_id)
    _finish(sp, DECLINED_REASON)
    db.session.flush()
    return sp


def expire_holds(*, now: datetime | None = None) -> int:
    """End the holds whose time for the donor to decide has passed."""
    now = now or utcnow()
    held = db.session.scalars(select(Sponsorship).where(
        Sponsorship.status == "held", Sponsorship.hold_expires_at.is_not(None),
        Sponsorship.hold_expires_at <= now)).all()
    for sp in held:
        _finish(sp, EXPIRED_REASON)
    if held:
        db.session.flush()
    return len(held)


def end(*, user: User, sponsorship: Sponsorship, reason: str) -> Sponsorship:
    """A coordinator ends a held or active link, saying why."""
    _check_student(user, sponsorship.student)
    reason = clean_text(reason, field="reason", label=_("结束原因"), max_length=200,
                        required=True)
    if sponsorship.status not in LIVE:
        raise DomainError(_("这项结对已经结束"))
    _finish(sponsorship, reason)
    # That donor's letters to her still waiting go no further; the note on them is plain
    # (the reason given here stays with the federation).
    from matchmaker.services import letters  # letters imports this module
    donor_id = sponsorship.pledge.donor_id
    if not letters.sponsors_now(donor_id, sponsorship.student_id):
        letters.close_pending(sponsorship.student_id, donor_id, reason="结对已结束")
    db.session.flush()
    return sponsorship


def sponsorships_of(student: SpringBudProfile) -> list[Sponsorship]:
    return list(db.session.scalars(
        select(Sponsorship).where(Sponsorship.student_id == student.id)
        .options(joinedload(Sponsorship.pledge))
        .order_by(Sponsorship.created_at.desc(), Sponsorship.id.desc())))


def open_pledges(user: User) -> list[tuple[Pledge, int]]:
    """Active pledges in the user's scope with their free places (those with room)."""
    require_registry_role(user)
    stmt = (select(Pledge).join(Region, Pledge.region_id == Region.id)
            .where(Pledge.status == "active").order_by(Pledge.id))
    cond = region_filter(user, Region.path)
    if cond is not None:
        stmt = stmt.where(cond)
    out = []
    for pledge in db.session.scalars(stmt):
        if pledge.ends_on is not None and pledge.ends_on < today():
            continue
        free = free_places(pledge)
        if free > 0:
            out.append((pledge, free))
    return out


# --- the girls list ---------------------------------------------------------------------

def _consent_exists():
    return exists(select(ConsentRecord.id).where(
        ConsentRecord.person_id == SpringBudProfile.person_id,
        ConsentRecord.purpose == PURPOSE, ConsentRecord.withdrawn_at.is_(None)))


def _live_exists():
    return exists(select(Sponsorship.id).where(
        Sponsorship.student_id == SpringBudProfile.id, Sponsorship.status.in_(LIVE)))


def girls_query(user: User, *, show: str = "", region_code: str = "") -> Select:
    """Spring Bud girls in the user's scope, flagged first, then the longest waiting."""
    require_registry_role(user)
    stmt = (select(SpringBudProfile)
            .join(Person, SpringBudProfile.person_id == Person.id)
            .join(Region, Person.region_id == Region.id)
            .options(joinedload(SpringBudProfile.person).joinedload(Person.region)))
    cond = region_filter(user, Region.path)
    if cond is not None:
        stmt = stmt.where(cond)
    if region_code:
        region = db.session.scalar(select(Region).where(Region.code == region_code))
        stmt = stmt.where(Region.path.startswith(region.path, autoescape=True)
                          if region is not None else Region.id.is_(None))
    if show == "waiting":
        stmt = stmt.where(_consent_exists(), ~_live_exists(),
                          SpringBudProfile.status == "active")
    elif show == "flagged":
        stmt = stmt.where(SpringBudProfile.sponsor_lapsed_on.is_not(None))
    elif show == "sponsored":
        stmt = stmt.where(_live_exists())
    elif show == "no_consent":
        stmt = stmt.where(~_consent_exists())
    return stmt.order_by(SpringBudProfile.sponsor_lapsed_on.is_(None),
                         func.coalesce(SpringBudProfile.waiting_since,
                                       func.date(SpringBudProfile.created_at)).asc(),
                         Person.name_pinyin, SpringBudProfile.id)


@dataclass(frozen=True)
class GirlRow:
    student: SpringBudProfile
    age_band: str
    town: str
    consented: bool
    sponsorship: Sponsorship | None  # her live one, if any
    waiting_days: int | None
    flagged: bool


def waiting_days(student: SpringBudProfile, on: date, *, sponsored: bool = False) -> int | None:
    """Days she has waited for a sponsor (None while one is active). Girls registered
    without a waiting date count from their registration."""
    if sponsored:
        return None
    since = student.waiting_since or to_local(student.created_at).date()
    return max((on - since).days, 0)


def rows(students: list[SpringBudProfile]) -> list[GirlRow]:
    """What the list shows of each girl (two queries for the whole page)."""
    ids = [s.id for s in students]
    person_ids = [s.person_id for s in students]
    live = {sp.student_id: sp for sp in db.session.scalars(
        select(Sponsorship).where(Sponsorship.student_id.in_(ids),
                                  Sponsorship.status.in_(LIVE)))} if ids else {}
    with_consent = set(db.session.scalars(select(ConsentRecord.person_id).where(
        ConsentRecord.person_id.in_(person_ids), ConsentRecord.purpose == PURPOSE,
        ConsentRecord.withdrawn_at.is_(None)))) if ids else set()
    day = today()
    out = []
    for s in students:
        sp = live.get(s.id)
        out.append(GirlRow(
            student=s, age_band=age_band(s.person.birth_date, day),
            town=town_of(s.person.region).name, consented=s.person_id in with_consent,
            sponsorship=sp,
            waiting_days=waiting_days(s, day, sponsored=sp is not None and sp.status == "active"),
            flagged=s.sponsor_lapsed_on is not None))
    return out


# --- the engine's proposals -------------------------------------------------------------

def candidates(user: User, pledge: Pledge) -> list[SpringBudProfile]:
    """Girls who may be proposed: active, consented, without a live sponsorship, in the
    user's scope and inside the area of the federation handling the pledge."""
    stmt = (select(SpringBudProfile)
            .join(Person, SpringBudProfile.person_id == Person.id)
            .join(Region, Person.region_id == Region.id)
            .options(joinedload(SpringBudProfile.person).joinedload(Person.region))
            .where(SpringBudProfile.status == "active", Person.status == "active",
                   _consent_exists(), ~_live_exists(),
                   Region.path.startswith(pledge.region.path, autoescape=True))
            .order_by(SpringBudProfile.id))
    cond = region_filter(user, Region.path)
    if cond is not None:
        stmt = stmt.where(cond)
    return list(db.session.scalars(stmt))


@dataclass(frozen=True)
class Proposal:
    student: SpringBudProfile
    link: ProposedLink

    @property
    def explanation(self) -> str:
        return self.link.explanation


def _slot(pledge: Pledge, free: int) -> PledgeSlot:
    pref = pledge.pref_region
    return PledgeSlot(id=pledge.id, free=free, area_path=pledge.region.path,
                      pref_region_path=pref.path if pref else "",
                      pref_region_level=pref.level if pref else "",
                      pref_grade=pledge.pref_grade or "", greatest_need=pledge.greatest_need)


def proposals(user: User, pledge: Pledge) -> list[Proposal]:
    """The engine's girls for the pledge's free places, best first, with reasons."""
    require_registry_role(user)
    if not in_scope(user, pledge.region):
        raise NotFound(_("找不到这项捐助承诺，或不在您负责的地区内"))
    free = free_places(pledge)
    if pledge.status != "active" or free == 0:
        return []
    girls = candidates(user, pledge)
    day = today()
    needs = [GirlNeed(id=s.id, region_path=s.person.region.path, grade=s.grade,
                      waiting_days=waiting_days(s, day) or 0,
                      flagged=s.sponsor_lapsed_on is not None) for s in girls]
    by_id = {s.id: s for s in girls}
    return [Proposal(by_id[p.girl_id], p)
            for p in propose_links([_slot(pledge, free)], needs)]


def link_proposed(*, user: User, pledge: Pledge, student_ids: list[int]) -> list[Sponsorship]:
    """Link the girls chosen on the proposals page, each with the engine's reasons. Girls
    the engine no longer proposes (linked meanwhile, consent withdrawn) are left out."""
    wanted = set(student_ids)
    made = []
    for p in proposals(user, pledge):
        if p.student.id in wanted:
            made.append(link(user=user, pledge=pledge, student=p.student, proposed=True,
                             explanation=p.explanation))
    return made
