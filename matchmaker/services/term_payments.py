"""Spring Bud term payments (春蕾结对助学) through the grants ledger: each girl with an
active sponsorship is paid from her region's pool, each girl whose donor's pledge lapsed
from the continuity reserve, until a coordinator finds her a new sponsor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from matchmaker.extensions import db
from matchmaker.models import (
    Application,
    Award,
    Fund,
    Person,
    Pledge,
    Region,
    SpringBudProfile,
    User,
)
from matchmaker.models.sponsorship import Sponsorship, SponsorshipPayment
from matchmaker.services import clock, ledger
from matchmaker.services.donations import pool_fund, reserve_fund
from matchmaker.services.errors import DomainError
from matchmaker.services.pledges import lapse_due
from matchmaker.services.scope import region_filter
from matchmaker.services.terms import parse_term, split_term, term_end, term_label, term_start

# ---------------------------------------------------------------- term payments

def term_stipend(pledge: Pledge, half: str) -> int:
    """A girl's stipend for one term: the pledge's amount per term, or half its yearly
    amount (an odd fen goes to the autumn term, so the two halves make the year)."""
    if pledge.period == "term":
        return pledge.amount_fen
    spring = pledge.amount_fen // 2
    return spring if half == "spring" else pledge.amount_fen - spring


def term_dates(year: int, half: str) -> tuple[date, date]:
    """A term's first and last day (see services/terms)."""
    term = f"{year}-{half}"
    return term_start(term), term_end(term)


def _year_total(pledge: Pledge) -> int:
    return pledge.amount_fen * 2 if pledge.period == "term" else pledge.amount_fen


@dataclass
class PlannedPayment:
    student: SpringBudProfile
    source: str  # 'pledge' | 'reserve'
    amount_fen: int
    sponsorship: Sponsorship | None
    pledge: Pledge | None
    paid: bool  # already paid for this term


@dataclass
class PayResult:
    term: str
    paid_pledge: int = 0
    paid_reserve: int = 0
    already: int = 0
    amount_fen: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def paid(self) -> int:
        return self.paid_pledge + self.paid_reserve


def _girls_stmt(user: User, region: Region | None):
    stmt = (select(SpringBudProfile).join(Person, Person.id == SpringBudProfile.person_id)
            .join(Region, Region.id == Person.region_id))
    cond = region_filter(user, Region.path)
    if cond is not None:
        stmt = stmt.where(cond)
    if region is not None:
        stmt = stmt.where(Region.path.startswith(region.path, autoescape=True))
    return stmt


def _last_pledge(student: SpringBudProfile) -> Pledge | None:
    return db.session.scalar(
        select(Pledge).join(Sponsorship, Sponsorship.pledge_id == Pledge.id)
        .where(Sponsorship.student_id == student.id, Sponsorship.status == "ended",
               Sponsorship.started_on.is_not(None))  # not a declined or expired hold
        .order_by(Sponsorship.ended_on.desc().nulls_last(), Sponsorship.id.desc()).limit(1))


def plan_term(*, user: User, term: str, region: Region | None = None) -> list[PlannedPayment]:
    """Who would be paid for the term, from which source and how much. A girl is paid
    from her pledge only if it is active and covers the term (it runs on at least one of
    its days); pledges that ran out are lapsed first, so their girls go to the reserve."""
    term = parse_term(term)  # "2026-SPRING" and " 2026-spring" are 2026-spring
    year, half = split_term(term)
    first_day, last_day = term_dates(year, half)
    lapse_due(today=clock.today())
    paid = set(db.session.scalars(select(SponsorshipPayment.student_id).where(
        SponsorshipPayment.term == term)))
    out = []
    active = db.session.execute(
        _girls_stmt(user, region).add_columns(Sponsorship)
        .join(Sponsorship, Sponsorship.student_id == SpringBudProfile.id)
        .join(Pledge, Pledge.id == Sponsorship.pledge_id)
        .where(Sponsorship.status == "active", Pledge.status == "active",
               Pledge.starts_on <= last_day,
               or_(Pledge.ends_on.is_(None), Pledge.ends_on >= first_day),
               SpringBudProfile.status == "active", Person.status == "active")
        .order_by(Region.path, Person.name))
    funded = set()
    for student, s in active:
        funded.add(student.id)
        out.append(PlannedPayment(student=student, source="pledge",
                                  amount_fen=term_stipend(s.pledge, half), sponsorship=s,
                                  pledge=s.pledge, paid=student.id in paid))
    flagged = db.session.scalars(
        _girls_stmt(user, region).where(SpringBudProfile.sponsor_lapsed_on.is_not(None),
                                        SpringBudProfile.status == "active",
                                        Person.status == "active")
        .order_by(Region.path, Person.name))
    for student in flagged:
        if student.id in funded:
            continue
        last = _last_pledge(student)
        out.append(PlannedPayment(student=student, source="reserve",
                                  amount_fen=term_stipend(last, half) if last else 0,
                                  sponsorship=None, pledge=last, paid=student.id in paid))
    return out


def _ensure_award(*, user: User, fund: Fund, person: Person, first_fen: int,
                  need_fen: int, note: str) -> Award:
    """The girl's award in this fund, with at least ``need_fen`` left to pay. Made with
    ``first_fen`` (falling back to ``need_fen`` when the fund cannot reserve that much);
    an award with too little left is topped up, reserved within the budget in the same
    conditional UPDATE the ledger uses."""
    award = db.session.scalar(select(Award).where(Award.fund_id == fund.id,
                                                  Award.person_id == person.id))
    if award is None:
        last_error = None
        for amount in dict.fromkeys((max(first_fen, need_fen), need_fen)):
            try:
                with db.session.begin_nested():
                    application = Application(
                        fund_id=fund.id, person_id=person.id, amount_fen=amount,
                        schedule={str(fund.year): amount}, status="submitted", note=note)
                    db.session.add(application)
                    db.session.flush()
                    return ledger.approve_award(user=user, application=application)
            except DomainError as e:
                last_error = e
        raise last_error
    if award.status != "approved":
        raise DomainError(_("她在%(fund)s中的资助已取消", fund=fund.name))
    extra = need_fen - (award.amount_fen - award.paid_fen)
    if extra > 0:
        with db.session.begin_nested():
            done = db.session.execute(
                update(Fund).where(Fund.id == fund.id,
                                   Fund.reserved_fen + Fund.paid_fen + extra <= Fund.budget_fen)
                .values(reserved_fen=Fund.reserved_fen + extra)
                .execution_options(synchronize_session=False))
            if done.rowcount != 1:
                raise DomainError(_("资金余额不足，不能批准"))
            db.session.execute(
                update(Award).where(Award.id == award.id, Award.status == "approved")
                .values(amount_fen=Award.amount_fen + extra)
                .execution_options(synchronize_session=False))
        db.session.expire(award)
        db.session.expire(fund)
    return award


def pay_term(*, user: User, term: str, region: Region | None = None,
             paid_on: date | None = None) -> PayResult:
    """Pay the term's stipends: each girl with an active sponsorship from her region's
    pool, each flagged girl without one from the continuity reserve. A term is paid once
    per girl (a unique payment row and the ledger's idempotency key); whatever cannot be
    paid is reported, the rest is paid."""
    # One spelling of the term for the payment row, the already-paid check and the
    # ledger's key: otherwise "2026-SPRING" would pay 2026-spring a second time.
    term = parse_term(term)
    year, half = split_term(term)
    lapse_due(today=clock.today())
    paid_on = paid_on or clock.today()
    result = PayResult(term=term)
    for item in plan_term(user=user, term=term, region=region):
        student = item.student
        name = student.person.name
        if item.paid:
            result.already += 1
            continue
        if item.pledge is None or item.amount_fen <= 0:
            result.problems.append(_("%(name)s：找不到原捐助承诺，无法确定续助金额", name=name))
            continue
        maker = pool_fund if item.source == "pledge" else reserve_fund
        try:
            with db.session.begin_nested():
                fund = maker(item.pledge.region, year)
                first = _year_total(item.pledge) if item.source == "pledge" else item.amount_fen
                award = _ensure_award(
                    user=user, fund=fund, person=student.person, first_fen=first,
                    need_fen=item.amount_fen,
                    note=_("春蕾结对助学 %(term)s", term=term_label(term)))
                entry = ledger.disburse(user=user, award=award, amount_fen=item.amount_fen,
                                        paid_on=paid_on,
                                        idempotency_key=f"sponsor:{student.id}:{term}")
                db.session.add(SponsorshipPayment(
                    student_id=student.id, term=term, source=item.source,
                    disbursement_id=entry.id,
                    sponsorship_id=item.sponsorship.id if item.sponsorship else None))
                db.session.flush()
        except IntegrityError:
            # Paid at the same moment by another request: that payment stands.
            result.already += 1
            continue
        except DomainError as e:
            if item.source == "reserve":
                result.problems.append(_("%(name)s：续助储备金余额不足，本学期未发放（%(why)s）",
                                         name=name, why=e.message))
            else:
                result.problems.append(_("%(name)s：%(why)s", name=name, why=e.message))
            continue
        if item.source == "pledge":
            result.paid_pledge += 1
        else:
            result.paid_reserve += 1
        result.amount_fen += item.amount_fen
    return result


# ---------------------------------------------------------------- girls waiting

@dataclass
class Waiting:
    student: SpringBudProfile
    since: date
    days: int
    last_pledge: Pledge | None


def flagged_girls(user: User, *, today: date | None = None) -> list[Waiting]:
    """Girls whose donor's pledge ran out and who have no new sponsor yet (需要新的捐助人),
    longest waiting first."""
    today = today or clock.today()
    live = select(Sponsorship.student_id).where(Sponsorship.status == "active")
    rows = db.session.scalars(
        _girls_stmt(user, None).where(SpringBudProfile.sponsor_lapsed_on.is_not(None),
                                      SpringBudProfile.id.not_in(live))
        .order_by(SpringBudProfile.sponsor_lapsed_on, Person.name))
    out = []
    for s in rows:
        since = s.waiting_since or s.sponsor_lapsed_on
        out.append(Waiting(student=s, since=since, days=(today - since).days,
                           last_pledge=_last_pledge(s)))
    return out
