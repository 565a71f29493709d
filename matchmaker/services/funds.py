"""Funds, applications and trial allocations: the rules that decide who may apply, how
much she gets and how urgent her case is — each written down and shown with its reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from matchmaker.extensions import db
from matchmaker.matching.allocation import Applicant, InfeasibleError, allocate
from matchmaker.models import (
    AllocationRun,
    Application,
    Award,
    Fund,
    MenteeProfile,
    Person,
    Region,
    SpringBudProfile,
    User,
)
from matchmaker.models.fund import FUND_KINDS
from matchmaker.services import fund_flags
from matchmaker.services.errors import DomainError
from matchmaker.services.money import parse_yuan, round_fen, to_fen, to_yuan
from matchmaker.services.scope import in_scope, region_by_code
from matchmaker.services.validation import clean_text

# priority = (w_hardship · hardship / 5 + w_household · min(size, 6) / 6 + w_plan · plan / 5)
#            / (sum of the weights), a number from 0 to 1.
DEFAULT_PRIORITY_WEIGHTS = {"hardship": 0.5, "household": 0.2, "plan": 0.3}


@dataclass
class FundInput:
    name: str
    year: int
    kind: str
    region_code: str
    budget: str
    rule: str = "standard"
    standard: str = ""
    subsidy_share: str = ""  # e.g. "0.5": the fund pays half the interest
    cap: str = ""
    eligibility: dict = field(default_factory=dict)  # pool, kinds, min_hardship
    region_min: dict = field(default_factory=dict)  # town code → at least this many
    priority_weights: dict = field(default_factory=dict)
    description: str = ""


def create_fund(*, user: User, data: FundInput) -> Fund:
    if data.kind not in FUND_KINDS:
        raise DomainError(_("请选择资金类别"), field="kind")
    if not 2000 <= int(data.year) <= 2100:
        raise DomainError(_("年度不正确"), field="year")
    region = region_by_code(user, data.region_code)
    fund = Fund(name=clean_text(data.name, field="name", label=_("名称"), max_length=100,
                                required=True),
                year=int(data.year), kind=data.kind, region=region,
                budget_fen=to_fen(parse_yuan(data.budget, field="budget", allow_zero=True)),
                rule=data.rule, description=clean_text(data.description, field="description",
                                                       label=_("说明"), max_length=1000))
    if data.rule == "standard":
        fund.standard_fen = to_fen(parse_yuan(data.standard, field="standard"))
    elif data.rule == "interest":
        try:
            share = Decimal(str(data.subsidy_share))
        except ArithmeticError:
            share = Decimal(-1)
        if not Decimal(0) < share <= Decimal(1):
            raise DomainError(_("贴息比例应在 0 到 1 之间，如 0.5"), field="subsidy_share")
        fund.subsidy_share = float(share)
        fund.cap_fen = to_fen(parse_yuan(data.cap, field="cap")) if str(data.cap).strip() \
            else None
    else:
        raise DomainError(_("请选择资助标准"), field="rule")
    fund.eligibility = dict(data.eligibility or {})
    fund.region_min = _region_min(region, data.region_min or {})
    weights = dict(DEFAULT_PRIORITY_WEIGHTS)
    weights.update({k: float(v) for k, v in (data.priority_weights or {}).items()
                    if k in DEFAULT_PRIORITY_WEIGHTS})
    if any(v < 0 for v in weights.values()) or sum(weights.values()) <= 0:
        raise DomainError(_("优先级权重须为不小于 0 的数字，且不全为 0"), field="priority_weights")
    fund.priority_weights = weights
    db.session.add(fund)
    db.session.flush()
    return fund


def _region_min(region: Region, raw: dict) -> dict[str, int]:
    out = {}
    for code, n in raw.items():
        town = db.session.scalar(select(Region).where(Region.code == str(code)))
        if town is None or not region.contains(town):
            raise DomainError(_("地区最低名额中的地区 %(code)s 不在本资金的范围内", code=code),
                              field="region_min")
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise DomainError(_("地区最低名额应为非负整数"), field="region_min")
        if n:
            out[town.code] = n
    return out


def schedule_for(fund: Fund, *, principal: Decimal, annual_rate: Decimal,
                 months: int) -> dict[str, int]:
    """A loan subsidised over several years, split by year from the fund's year: twelve
    months at most in each, each year's share rounded to the fen (the cap applies per
    year). {"2026": fen, "2027": fen, …}"""
    out, year, left = {}, fund.year, months
    while left > 0:
        m = min(12, left)
        out[str(year)] = to_fen(amount_for(fund, principal=principal, annual_rate=annual_rate,
                                           months=m))
        year, left = year + 1, left - m
    return out


def amount_for(fund: Fund, *, principal: Decimal | None = None,
               annual_rate: Decimal | None = None, months: int | None = None) -> Decimal:
    """The award the rule gives: a standard sum, or principal × rate × months / 12 × share,
    rounded to the fen and capped."""
    if fund.rule == "standard":
        return to_yuan(fund.standard_fen)
    if principal is None or annual_rate is None or not months:
        raise DomainError(_("贴息须填写贷款本金、年利率和贴息月数"), field="principal")
    if not 0 < months <= 48:
        raise DomainError(_("贴息月数应在 1 到 48 之间"), field="months")
    if not Decimal(0) < annual_rate < Decimal("0.5"):
        raise DomainError(_("年利率应为小数，如 0.0435"), field="annual_rate")
    amount = round_fen(principal * annual_rate * months / 12
                       * Decimal(str(fund.subsidy_share)))
    if fund.cap_fen is not None:
        amount = min(amount, to_yuan(fund.cap_fen))
    if amount <= 0:
        raise DomainError(_("计算出的贴息金额为 0"), field="principal")
    return amount


def priority_of(fund: Fund, *, hardship: int, household_size: int, plan_score: int) -> float:
    w = fund.priority_weights or DEFAULT_PRIORITY_WEIGHTS
    raw = (w["hardship"] * hardship / 5 + w["household"] * min(household_size, 6) / 6
           + w["plan"] * plan_score / 5)
    return round(raw / sum(w.values()), 4)


def eligibility_reasons(fund: Fund, person: Person, *, hardship: int,
                        loan_number: int | None = None, first_loan_repaid: bool = False
                        ) -> list[str]:
    """Why this person may not receive this fund (empty when she may)."""
    reasons = []
    if not fund.region.contains(person.region):
        reasons.append(_("不在本资金的实施地区"))
    rules = fund.eligibility or {}
    pool = rules.get("pool")
    if pool == "spring_bud":
        if db.session.scalar(select(SpringBudProfile.id).where(
                SpringBudProfile.person_id == person.id)) is None:
            reasons.append(_("不是春蕾学员"))
    elif pool == "mentee":
        kinds = rules.get("kinds") or []
        prof = db.session.scalar(select(MenteeProfile).where(
            MenteeProfile.person_id == person.id))
        if prof is None or (kinds and prof.kind not in kinds):
            reasons.append(_("不属于本资金资助的对象类别"))
    if hardship < int(rules.get("min_hardship", 0)):
        reasons.append(_("困难程度低于本资金的要求"))
    if db.session.scalar(select(Award.id).where(Award.fund_id == fund.id,
                                                Award.person_id == person.id)) is not None:
        reasons.append(_("已获得本资金资助"))
    if fund.kind == "interest_subsidy" and loan_number is not None:
        if loan_number > 2:
            reasons.append(_("贴息贷款最多两次"))
        elif loan_number == 2 and not first_loan_repaid:
            reasons.append(_("第一笔贷款还清后才能申请第二笔贴息"))
    return reasons


@dataclass
class ApplicationInput:
    person_id: int
    hardship: int = 0
    household_size: int = 1
    plan_score: int = 0
    principal: str = ""
    annual_rate: str = ""
    months: int | None = None
    loan_number: int | None = None
    first_loan_repaid: bool = False
    note: str = ""


def submit_application(*, user: User, fund: Fund, data: ApplicationInput) -> Application:
    person = db.session.get(Person, data.person_id)
    if person is None or not in_scope(user, person.region):
        raise DomainError(_("找不到这个人员，或不在您负责的地区内"), field="person_id")
    for value, top, name in ((data.hardship, 5, "hardship"), (data.plan_score, 5, "plan_score"),
                             (data.household_size, 20, "household_size")):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
            raise DomainError(_("请填写 0 到 %(n)s 之间的整数", n=top), field=name)
    reasons = eligibility_reasons(fund, person, hardship=data.hardship,
                                  loan_number=data.loan_number,
                                  first_loan_repaid=data.first_loan_repaid)
    if reasons:
        raise DomainError(_("不符合条件：%(why)s", why="；".join(reasons)))
    principal = parse_yuan(data.principal, field="principal") if data.principal else None
    rate = Decimal(str(data.annual_rate)) if str(data.annual_rate).strip() else None
    if fund.rule == "interest" and principal is not None and rate is not None \
            and data.months and data.months > 12:
        if not 0 < data.months <= 48:
            raise DomainError(_("贴息月数应在 1 到 48 之间"), field="months")
        schedule = schedule_for(fund, principal=principal, annual_rate=rate,
                                months=data.months)
        amount_fen = schedule[str(fund.year)]
    else:
        amount = amount_for(fund, principal=principal, annual_rate=rate, months=data.months)
        schedule, amount_fen = {str(fund.year): to_fen(amount)}, to_fen(amount)
    application = Application(
        fund=fund, person=person, amount_fen=amount_fen, schedule=schedule,
        principal_fen=to_fen(principal) if principal else None,
        rate_bp=int(rate * 10000) if rate is not None else None, months=data.months,
        loan_number=data.loan_number, first_loan_repaid=data.first_loan_repaid,
        hardship=data.hardship, household_size=data.household_size,
        plan_score=data.plan_score, status="submitted",
        priority=priority_of(fund, hardship=data.hardship,
                             household_size=data.household_size, plan_score=data.plan_score),
        note=clean_text(data.note, field="note", label=_("备注"), max_length=500))
    try:
        with db.session.begin_nested():
            db.session.add(application)
            db.session.flush()
    except IntegrityError:
        raise DomainError(_("此人已申请本项资金")) from None
    return application


def _town_code(region: Region) -> str:
    return region.code[:9] if len(region.code) >= 9 else region.code


def trial_allocation(*, user: User, fund: Fund, policy: str = "optimal") -> AllocationRun:
    """Allocate the fund's remaining money among open applications; kept as a trial with
    its inputs and every applicant's reason, for coordinators to approve from."""
    apps = list(db.session.scalars(select(Application).where(
        Application.fund_id == fund.id, Application.status == "submitted")
        .options(joinedload(Application.person).joinedload(Person.region))
        .order_by(Application.id)))
    balance = fund.budget_fen - fund.reserved_fen - fund.paid_fen
    applicants = [Applicant(id=str(a.id), region=_town_code(a.person.region),
                            amount=to_yuan(a.amount_fen), priority=a.priority) for a in apps]
    # A town's minimum is a quota for those who apply: where fewer apply, all of them are
    # the minimum (the shortfall is recorded with the run).
    count: dict[str, int] = {}
    for a in applicants:
        count[a.region] = count.get(a.region, 0) + 1
    wanted = fund.region_min or {}
    region_min = {code: min(n, count[code]) for code, n in wanted.items() if code in count}
    short = {code: n - region_min.get(code, 0) for code, n in wanted.items()
             if region_min.get(code, 0) < n}
    try:
        result = allocate(applicants, to_yuan(balance), region_min, policy)
    except InfeasibleError as e:
        raise DomainError(_("地区最低名额无法满足：%(why)s", why=str(e))) from None
    run = AllocationRun(fund=fund, policy=policy, created_by=user.id, inputs={
        "balance_fen": balance, "region_min": region_min, "policy": policy,
        "region_min_short": short,
        "applicants": [[a.id, a.region, str(a.amount), a.priority] for a in applicants],
    }, results={
        "funded": list(result.funded_ids), "reasons": result.reasons,
        "total_fen": to_fen(result.total_amount), "total_priority": result.total_priority,
        "status": result.status,
    })
    db.session.add(run)
    db.session.flush()
    return run


def visible_funds(user: User) -> list[Fund]:
    """Funds of the regions the user works in, and the wider funds that contain them."""
    rows = db.session.scalars(select(Fund).order_by(Fund.year.desc(), Fund.id))
    return [f for f in rows if in_scope(user, f.region) or _contains_users(user, f.region)]


def _contains_users(user: User, region: Region) -> bool:
    return any(region.contains(r) for r in user.regions)


def get_fund(user: User, fund_id: int, *, manage: bool = False) -> Fund:
    from matchmaker.services.errors import Forbidden, NotFound

    fund = db.session.get(Fund, fund_id)
    if fund is None or not (in_scope(user, fund.region) or _contains_users(user, fund.region)):
        raise NotFound(_("找不到这项资金"))
    if manage and not in_scope(user, fund.region):
        raise Forbidden(_("这项资金覆盖您负责范围以外的地区，只有上级协调员可以分配"))
    return fund


def applications_of(user: User, fund: Fund) -> list[tuple[Application, list[str]]]:
    """Applications in the user's regions, each with its cross-programme flags."""
    rows = db.session.scalars(select(Application).where(Application.fund_id == fund.id)
                              .options(joinedload(Application.person).joinedload(Person.region),
                                       selectinload(Application.awards))
                              .order_by(Application.priority.desc(), Application.id))
    mine = [a for a in rows.unique() if in_scope(user, a.person.region)]
    flags = fund_flags.flags_of_fund(fund, mine)
    return [(a, flags[a.id]) for a in mine]


def latest_trial(fund: Fund) -> AllocationRun | None:
    return db.session.scalar(select(AllocationRun).where(AllocationRun.fund_id == fund.id)
                             .order_by(AllocationRun.id.desc()).limit(1))


def approve_trial(*, user: User, run: AllocationRun) -> tuple[int, list[str]]:
    """Approve every funded applicant of a trial; each either gets her award or a reason.
    All at once when they all fit (see ``ledger.approve_together``), else one by one."""
    from matchmaker.services import ledger

    ids = list(dict.fromkeys(int(app_id) for app_id in run.results.get("funded", [])))
    loaded: dict[int, Application] = {}
    for start in range(0, len(ids), 5000):  # IN lists within every database's limit
        loaded.update((a.id, a) for a in db.session.scalars(
            select(Application).where(Application.id.in_(ids[start:start + 5000]))
            .options(joinedload(Application.person).joinedload(Person.region))))
    mine = [loaded[i] for i in ids if i in loaded and loaded[i].status == "submitted"
            and in_scope(user, loaded[i].person.region)]
    mine_ids = [a.id for a in mine]
    if ledger.approve_together(user=user, applications=mine):
        return len(mine), []
    # Not all at once: some were approved meanwhile elsewhere (read again, and skipped),
    # or the money no longer covers them all. Approving one by one in order would award
    # the longest run from the top that fits, then try each of the rest: the run goes
    # together, the rest one by one — the same awards, without a write per award.
    for start in range(0, len(mine_ids), 5000):  # read again together, not one by one
        db.session.scalars(select(Application).where(
            Application.id.in_(mine_ids[start:start + 5000]))
            .execution_options(populate_existing=True)).all()
    mine = [a for a in mine if a.status == "submitted"]
    balance, run_length = ledger.balance_fen(db.session.get(Fund, run.fund_id)), 0
    for application in mine:
        if application.amount_fen > balance:
            break
        balance -= application.amount_fen
        run_length += 1
    done = 0
    if run_length and ledger.approve_together(user=user, applications=mine[:run_length]):
        done, mine = run_length, mine[run_length:]
    refused = []
    for application in mine:
        if application.status != "submitted":  # read again: approved meanwhile elsewhere
            continue
        try:
            ledger.approve_award(user=user, application=application)
            done += 1
        except DomainError as e:
            refused.append(f"{application.person.name}：{e.message}")
    return done, refused


def candidates(user: User, fund: Fund) -> list[Person]:
    """People who may apply to the fund, in the user's regions, without an application."""
    rules = fund.eligibility or {}
    if rules.get("pool") == "spring_bud":
        stmt = select(Person).join(SpringBudProfile, SpringBudProfile.person_id == Person.id)
    elif rules.get("pool") == "mentee":
        stmt = select(Person).join(MenteeProfile, MenteeProfile.person_id == Person.id)
        if rules.get("kinds"):
            stmt = stmt.where(MenteeProfile.kind.in_(rules["kinds"]))
    else:
        stmt = select(Person)
    applied = select(Application.person_id).where(Application.fund_id == fund.id)
    stmt = (stmt.join(Region, Region.id == Person.region_id)
            .where(Person.status == "active", Person.id.not_in(applied),
                   Region.path.startswith(fund.region.path, autoescape=True))
            .order_by(Region.path, Person.name).limit(2000))
    return [p for p in db.session.scalars(stmt) if in_scope(user, p.region)]


def carry_forward(*, user: User, fund: Fund) -> tuple[int, list[str]]:
    """Charge this year's shares of earlier years' multi-year subsidies to this fund: each
    becomes an application and an award here, reserved against this year's budget (a
    commitment made before comes first). Returns how many, and any that did not fit."""
    from matchmaker.services import ledger

    earlier = db.session.scalars(
        select(Application).join(Fund, Fund.id == Application.fund_id)
        .join(Award, Award.application_id == Application.id)
        .where(Fund.kind == fund.kind, Fund.year < fund.year, Fund.region_id == fund.region_id,
               Award.status == "approved").order_by(Application.id))
    done, refused = 0, []
    for origin in earlier:
        share = (origin.schedule or {}).get(str(fund.year))
        if not share:
            continue
        exists = db.session.scalar(select(Application.id).where(
            Application.fund_id == fund.id, Application.person_id == origin.person_id))
        if exists is not None:
            continue
        application = Application(
            fund=fund, person_id=origin.person_id, amount_fen=share,
            schedule=origin.schedule, carried_from_id=origin.id, hardship=origin.hardship,
            household_size=origin.household_size, plan_score=origin.plan_score,
            principal_fen=origin.principal_fen, rate_bp=origin.rate_bp, months=origin.months,
            loan_number=origin.loan_number, priority=origin.priority, status="submitted",
            note=_("承接 %(year)s 年的多年贴息", year=origin.fund.year))
        db.session.add(application)
        db.session.flush()
        try:
            ledger.approve_award(user=user, application=application)
            done += 1
        except DomainError as e:
            refused.append(f"{origin.person.name}：{e.message}")
    return done, refused


def update_fund(*, fund: Fund, name: str, description: str, budget: str) -> None:
    """Rename or re-budget a fund; the budget never drops below what is already reserved
    and paid (checked in the same UPDATE that sets it)."""
    from sqlalchemy import update

    new_fen = to_fen(parse_yuan(budget, field="budget", allow_zero=True))
    done = db.session.execute(
        update(Fund).where(Fund.id == fund.id, Fund.reserved_fen + Fund.paid_fen <= new_fen)
        .values(budget_fen=new_fen,
                name=clean_text(name, field="name", label=_("名称"), max_length=100,
                                required=True),
                description=clean_text(description, field="description", label=_("说明"),
                                       max_length=1000))
        .execution_options(synchronize_session=False))
    db.session.expire(fund)
    if done.rowcount != 1:
        raise DomainError(_("预算不能少于已预留和已发放的合计 %(n)s 元",
                            n=to_yuan(fund.reserved_fen + fund.paid_fen)), field="budget")


def get_trial(user: User, run_id: int) -> AllocationRun:
    """A trial allocation of a fund the user may allocate; NotFound / Forbidden otherwise."""
    from matchmaker.services.errors import NotFound

    run = db.session.get(AllocationRun, run_id)
    if run is None:
        raise NotFound(_("找不到这次试分配"))
    get_fund(user, run.fund_id, manage=True)
    return run


def get_award(user: User, award_id: int) -> Award:
    """An award to someone in the user's regions; NotFound otherwise."""
    from matchmaker.services.errors import NotFound

    award = db.session.get(Award, award_id)
    if award is None or not in_scope(user, award.person.region):
        raise NotFound(_("找不到这项资助"))
    get_fund(user, award.fund_id)
    return award
