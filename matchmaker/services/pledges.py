"""Spring Bud money (春蕾结对助学): donors' pledges, donations with receipts, term
payments through the grants ledger, and what happens when a pledge runs out.

Every donation is split: a configurable share (``SPRING_BUD_RESERVE_SHARE``) goes to the
region's continuity reserve (续助储备金), the rest to its sponsorship pool. Both are
ordinary grant funds (kind 'stipend'), one of each per region and year, made on first use;
a donation raises the fund's budget, a term payment is an award and a disbursement in the
ledger — so the grants pages, exports and balances show this money like any other.

When a pledge lapses, its girls are flagged (``sponsor_lapsed_on``) and the reserve pays
their terms until a coordinator finds them a new sponsor.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from matchmaker.extensions import db
from matchmaker.models import (
    Application,
    Award,
    Donation,
    DonorProfile,
    Fund,
    Person,
    Pledge,
    Region,
    SpringBudProfile,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.models.sponsorship import PLEDGE_PERIODS, Sponsorship, SponsorshipPayment
from matchmaker.services import clock, ledger, letters, notifications, sponsorships
from matchmaker.services.errors import DomainError, NotFound
from matchmaker.services.money import parse_yuan, to_fen, to_yuan
from matchmaker.services.scope import in_scope, region_filter
from matchmaker.services.terms import parse_term, split_term, term_end, term_label, term_start
from matchmaker.services.validation import clean_text

DEFAULT_RESERVE_SHARE = "0.10"
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


# ---------------------------------------------------------------- funds

def _fund_names(year: int) -> tuple[str, str]:
    return f"{year} 春蕾结对助学（捐助）", f"{year} 春蕾续助储备金"


def _find_fund(region: Region, year: int, name: str) -> Fund | None:
    return db.session.scalar(select(Fund).where(
        Fund.region_id == region.id, Fund.year == year, Fund.name == name).limit(1))


def _get_or_create_fund(region: Region, year: int, name: str, description: str) -> Fund:
    """The fund, made on first use. Two first donations at the same moment both find none:
    one insert wins (``uq_fund_region_year_name``), the other rolls back its savepoint and
    takes the winner's fund."""
    fund = _find_fund(region, year, name)
    if fund is not None:
        return fund
    try:
        with db.session.begin_nested():
            fund = Fund(name=name, year=year, kind="stipend", region_id=region.id,
                        budget_fen=0, reserved_fen=0, paid_fen=0, rule="standard",
                        eligibility={"pool": "spring_bud"}, region_min={},
                        priority_weights={}, description=description)
            db.session.add(fund)
            db.session.flush()
    except IntegrityError:
        fund = _find_fund(region, year, name)
        if fund is None:
            raise
    return fund


def pool_fund(region: Region, year: int) -> Fund:
    """The region's sponsorship pool for the year (donations less the reserve share)."""
    return _get_or_create_fund(region, year, _fund_names(year)[0],
                               _("捐助人捐款（扣除续助储备金后）；按学期发放给结对的春蕾学员"))


def reserve_fund(region: Region, year: int) -> Fund:
    """The region's continuity reserve for the year: pays girls whose donor's pledge
    lapsed, until a new sponsor is found."""
    return _get_or_create_fund(region, year, _fund_names(year)[1],
                               _("每笔捐款按比例留存；捐助人承诺中断时继续资助学员"))


def reserve_share() -> Decimal:
    raw = current_app.config.get("SPRING_BUD_RESERVE_SHARE", DEFAULT_RESERVE_SHARE)
    try:
        share = Decimal(str(raw))
    except InvalidOperation:
        share = Decimal(-1)
    if not Decimal(0) <= share < Decimal(1):
        raise DomainError(_("续助储备金比例配置有误，应为 0 到 1 之间的小数"))
    return share


def reserve_part(amount_fen: int, share: Decimal) -> int:
    """The reserve's part of a donation, in fen, rounded half up."""
    return int((Decimal(amount_fen) * share).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _raise_budget(fund: Fund, fen: int) -> None:
    if fen <= 0:
        return
    done = db.session.execute(
        update(Fund).where(Fund.id == fund.id, Fund.budget_fen >= 0)
        .values(budget_fen=Fund.budget_fen + fen)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise DomainError(_("资金不存在，不能入账"))
    db.session.expire(fund)


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


# ---------------------------------------------------------------- donations and receipts

def _receipts_one_at_a_time(year: int) -> None:
    """Serialise receipt numbering of a year until the transaction ends, so that donations
    recorded at the same moment do not all read the same last number. PostgreSQL: a
    transaction-scoped advisory lock on a hash of "receipt:{year}"; SQLite already
    serialises writers (BEGIN IMMEDIATE). The unique receipt number stays the last line."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(f"receipt:{year}".encode()).digest()[:8], "big",
                         signed=True)
    db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _next_receipt_no(year: int) -> str:
    prefix = f"CL{year}-"
    last = db.session.scalar(select(func.max(Donation.receipt_no)).where(
        Donation.receipt_no.startswith(prefix, autoescape=True)))
    n = int(last[len(prefix):]) + 1 if last else 1
    return f"{prefix}{n:06d}"


def record_donation(*, user: User, donor: DonorProfile, amount: Decimal | str | int,
                    received_on: date, pledge: Pledge | None = None,
                    region: Region | None = None) -> Donation:
    """Money received from a donor, with a receipt number of its year (CL2026-000123).

    The reserve share goes to the region's continuity reserve, the rest to its pool; each
    fund's budget rises in one UPDATE. The region is the pledge's, else ``region``, else
    the region of the donor's newest active pledge."""
    if not in_scope(user, donor.person.region):
        raise NotFound(_("找不到这位捐助人，或不在您负责的地区内"), field="donor")
    if pledge is not None:
        if pledge.donor_id != donor.id:
            raise DomainError(_("这项承诺不是这位捐助人的"), field="pledge")
        if not in_scope(user, pledge.region):
            raise NotFound(_("找不到这项捐助承诺"), field="pledge")
        region = pledge.region
    if region is None:
        newest = db.session.scalar(select(Pledge).where(
            Pledge.donor_id == donor.id, Pledge.status == "active")
            .order_by(Pledge.id.desc()).limit(1))
        region = newest.region if newest is not None else None
    if region is None or not in_scope(user, region):
        raise DomainError(_("请选择受理这笔捐款的地区"), field="region")
    if not isinstance(received_on, date):
        raise DomainError(_("请填写收款日期"), field="received_on")
    if received_on > clock.today():
        raise DomainError(_("收款日期不能晚于今天"), field="received_on")
    if received_on < EARLIEST:
        raise DomainError(_("日期不能早于 2000 年"), field="received_on")
    amount_fen = to_fen(parse_yuan(amount, field="amount"))
    reserve_fen = reserve_part(amount_fen, reserve_share())
    year = received_on.year
    pool, reserve = pool_fund(region, year), reserve_fund(region, year)
    _receipts_one_at_a_time(year)
    donation = None
    for _attempt in range(5):
        try:
            with db.session.begin_nested():
                donation = Donation(
                    donor_id=donor.id, pledge_id=pledge.id if pledge else None,
                    amount_fen=amount_fen, reserve_fen=reserve_fen, received_on=received_on,
                    receipt_no=_next_receipt_no(year), fund_id=pool.id,
                    reserve_fund_id=reserve.id, recorded_by=user.id)
                db.session.add(donation)
                db.session.flush()
            break
        except IntegrityError:
            # Another donation took the number at the same moment: take the next one.
            donation = None
    if donation is None:
        raise DomainError(_("收据编号分配冲突，请重试"))
    _raise_budget(pool, amount_fen - reserve_fen)
    _raise_budget(reserve, reserve_fen)
    return donation


def donations_of(user: User, *, pledge: Pledge | None = None,
                 donor: DonorProfile | None = None) -> list[Donation]:
    stmt = (select(Donation).join(Fund, Fund.id == Donation.fund_id)
            .join(Region, Region.id == Fund.region_id)
            .order_by(Donation.received_on.desc(), Donation.id.desc()))
    cond = region_filter(user, Region.path)
    if cond is not None:
        stmt = stmt.where(cond)
    if pledge is not None:
        stmt = stmt.where(Donation.pledge_id == pledge.id)
    if donor is not None:
        stmt = stmt.where(Donation.donor_id == donor.id)
    return list(db.session.scalars(stmt.limit(500)))


def get_donation(user: User, donation_id: int) -> Donation:
    donation = db.session.get(Donation, donation_id)
    if donation is None or not in_scope(user, donation.fund.region):
        raise NotFound(_("找不到这笔捐款"))
    return donation


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ("", "拾", "佰", "仟")
_SECTIONS = ("", "万", "亿", "万亿")


def _four(n: int) -> str:
    """0 < n < 10000 in capitals, with inner zeros as 零 (e.g. 1005 → 壹仟零伍)."""
    out, zero = "", False
    for i in range(3, -1, -1):
        d = n // 10 ** i % 10
        if d == 0:
            zero = bool(out)
        else:
            if zero:
                out += "零"
            out += _DIGITS[d] + _UNITS[i]
            zero = False
    return out


def capital_yuan(amount: Decimal) -> str:
    """An amount in Chinese capital numerals (大写), as receipts write it:
    1234.50 → 壹仟贰佰叁拾肆元伍角整; 100.07 → 壹佰元零柒分."""
    fen = to_fen(amount)
    if fen < 0:
        raise ValueError("negative amount")
    yuan, jiao, cents = fen // 100, fen // 10 % 10, fen % 10
    whole = ""
    if yuan:
        groups = []
        n = yuan
        while n:
            groups.append(n % 10000)
            n //= 10000
        need_zero = False
        for i in range(len(groups) - 1, -1, -1):
            g = groups[i]
            if g == 0:
                need_zero = bool(whole)
                continue
            if whole and (need_zero or g < 1000):
                whole += "零"
            whole += _four(g) + _SECTIONS[i]
            need_zero = False
        whole += "元"
    if not jiao and not cents:
        return (whole or "零元") + "整"
    tail = ""
    if jiao:
        tail += _DIGITS[jiao] + "角"
    elif whole:
        tail += "零"
    if cents:
        tail += _DIGITS[cents] + "分"
    else:
        tail += "整"
    return whole + tail


@dataclass(frozen=True)
class Receipt:
    """What a receipt shows: the donation and the donor, never a child."""

    donation_id: int
    receipt_no: str
    donor_name: str
    amount: Decimal
    amount_words: str
    reserve: Decimal
    received_on: date
    issuer: str
    fund_name: str


def receipt_data(donation: Donation) -> Receipt:
    """The receipt of a donation (捐赠收据), for the staff page and the donor portal."""
    fund = donation.fund
    issuer = current_app.config.get("SPRING_BUD_RECEIPT_ISSUER") or \
        f"{fund.region.full_name.replace(' ', '')}妇女联合会"
    amount = to_yuan(donation.amount_fen)
    return Receipt(donation_id=donation.id, receipt_no=donation.receipt_no,
                   donor_name=donor_name(donation.donor), amount=amount,
                   amount_words=capital_yuan(amount), reserve=to_yuan(donation.reserve_fen),
                   received_on=donation.received_on, issuer=issuer, fund_name=fund.name)


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
