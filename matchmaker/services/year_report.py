"""The year's account (年度工作报告): pairs formed and active, follow-ups, funds, people
helped, loans subsidised, Spring Bud girls funded and volunteer hours — by town and in
total, within the user's regions; and its audited workbook.

Where a figure belongs: people-based figures go to the region of the person (the mentee of
a pairing, the recipient of an award, the girl, the volunteer); fund figures to the fund's
region. The town is the ancestor region of level "town"; figures of people registered
above town level are shown under "未分镇（街道）".

Definitions (a year is 1 January to 31 December, local dates):
- pairs formed: pairings started in the year; active: pairings active now;
- follow-ups: follow-up visits dated in the year;
- funds: the funds of the year (``Fund.year``);
- people helped: distinct persons with an approved award from a fund of the year, or an
  active or completed pairing started in the year as mentee;
- loans subsidised: approved awards from interest-subsidy funds of the year, and their sum;
- Spring Bud girls funded: distinct girls with a term payment in a term of the year, or an
  approved award from a stipend fund of the year;
- volunteer hours: approved hours served in the year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO

from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import and_, select
from sqlalchemy.orm import aliased

from matchmaker.extensions import db
from matchmaker.models import (
    Award,
    FollowUp,
    Fund,
    Pairing,
    Person,
    Programme,
    Region,
    ServiceHours,
    SpringBudProfile,
    User,
    VolunteerProfile,
)
from matchmaker.models.fund import FUND_KIND_LABELS
from matchmaker.models.sponsorship import SponsorshipPayment
from matchmaker.services import audit
from matchmaker.services.clock import today
from matchmaker.services.errors import DomainError
from matchmaker.services.exports import MONEY, safe_text
from matchmaker.services.hours import hours_of
from matchmaker.services.money import to_yuan
from matchmaker.services.scope import region_filter, require_registry_role

FIRST_YEAR, LAST_YEAR = 2000, 2100
HOURS_FORMAT = "0.0"


def parse_year(raw: str | None) -> int:
    """The year asked for; empty → the current local year. Anything else → DomainError."""
    value = (raw or "").strip()
    if not value:
        return today().year
    # ASCII digits only: str.isdigit() also accepts "²⁰²⁶", which int() refuses.
    if not re.fullmatch(r"[0-9]{4}", value) or not FIRST_YEAR <= int(value) <= LAST_YEAR:
        raise DomainError(_("年份不正确，请填写 %(first)d 至 %(last)d 之间的四位年份",
                            first=FIRST_YEAR, last=LAST_YEAR), field="year")
    return int(value)


@dataclass
class TownFigures:
    code: str | None
    name: str
    pairs_formed: int = 0
    pairs_active: int = 0
    follow_ups: int = 0
    people_helped: int = 0
    loans: int = 0
    loans_fen: int = 0
    girls: int = 0
    minutes: int = 0

    @property
    def hours(self) -> float:
        return float(hours_of(self.minutes))

    @property
    def empty(self) -> bool:
        return not any((self.pairs_formed, self.pairs_active, self.follow_ups,
                        self.people_helped, self.loans, self.girls, self.minutes))


@dataclass
class ProgrammeFigures:
    id: int
    name: str
    year: int
    formed: int = 0
    active: int = 0
    follow_ups: int = 0


@dataclass
class FundFigures:
    id: int | None
    name: str
    kind: str
    region: str
    budget_fen: int = 0
    reserved_fen: int = 0
    paid_fen: int = 0

    @property
    def remaining_fen(self) -> int:
        return self.budget_fen - self.reserved_fen - self.paid_fen


@dataclass
class YearReport:
    year: int
    towns: list[TownFigures]
    total: TownFigures
    programmes: list[ProgrammeFigures]
    funds: list[FundFigures]
    fund_total: FundFigures
    regions: list[Region] = field(default_factory=list)  # the user's scope (coordinators)


def _located(stmt, user: User):
    """Join the town of ``Region`` (already joined) and limit to the user's regions."""
    town = aliased(Region, name="town")
    stmt = stmt.add_columns(town.code).outerjoin(
        town, and_(town.level == "town", Region.path.startswith(town.path)))
    scope = region_filter(user, Region.path)
    return stmt if scope is None else stmt.where(scope)


def _of_people(*columns, person_id, start=None, via=()):
    """``columns`` of rows whose person is ``person_id``, with that person's region.
    ``start`` and ``via`` (model, on-clause pairs) come first: PostgreSQL refuses a join
    whose ON clause names a table that is not yet in FROM (SQLite lets it pass)."""
    stmt = select(*columns)
    if start is not None:
        stmt = stmt.select_from(start)
    for model, on in via:
        stmt = stmt.join(model, on)
    return stmt.join(Person, Person.id == person_id).join(Region, Region.id == Person.region_id)


def year_report(user: User, year: int) -> YearReport:
    require_registry_role(user)
    start, end = date(year, 1, 1), date(year, 12, 31)
    towns: dict[str | None, TownFigures] = {}

    def town(code: str | None) -> TownFigures:
        if code not in towns:
            towns[code] = TownFigures(code, "")
        return towns[code]

    # Every town in scope gets a row, even with nothing to show.
    stmt = select(Region.code).where(Region.level == "town")
    scope = region_filter(user, Region.path)
    for (code,) in db.session.execute(stmt if scope is None else stmt.where(scope)):
        town(code)

    # Pairs: formed in the year (per programme and town), active now, follow-ups.
    programmes: dict[int, ProgrammeFigures] = {}

    def programme(pid: int) -> ProgrammeFigures:
        if pid not in programmes:
            p = db.session.get(Programme, pid)
            programmes[pid] = ProgrammeFigures(p.id, p.name, p.year)
        return programmes[pid]

    pair_rows = _located(_of_people(Pairing.id, Pairing.programme_id, Pairing.status,
                                    Pairing.started_on, Pairing.mentee_person_id,
                                    person_id=Pairing.mentee_person_id), user)
    helped: dict[int, str | None] = {}
    for _id, pid, status, started_on, mentee_id, code in db.session.execute(pair_rows):
        if start <= started_on <= end:
            town(code).pairs_formed += 1
            programme(pid).formed += 1
            if status in ("active", "completed"):
                helped[mentee_id] = code
        if status == "active":
            town(code).pairs_active += 1
            programme(pid).active += 1
    follow_rows = _located(
        _of_people(FollowUp.id, Pairing.programme_id, person_id=Pairing.mentee_person_id,
                   start=FollowUp, via=[(Pairing, Pairing.id == FollowUp.pairing_id)])
        .where(FollowUp.on >= start, FollowUp.on <= end), user)
    for _id, pid, code in db.session.execute(follow_rows):
        town(code).follow_ups += 1
        programme(pid).follow_ups += 1

    # Awards of the year's funds: people helped, loans subsidised, stipends.
    girls: dict[int, str | None] = {}
    award_rows = _located(
        _of_people(Award.person_id, Award.amount_fen, Fund.kind, person_id=Award.person_id)
        .select_from(Award).join(Fund, Fund.id == Award.fund_id)
        .where(Award.status == "approved", Fund.year == year), user)
    for person_id, amount_fen, kind, code in db.session.execute(award_rows):
        helped[person_id] = code
        if kind == "interest_subsidy":
            town(code).loans += 1
            town(code).loans_fen += amount_fen
        elif kind == "stipend":
            girls[person_id] = code
    pay_rows = _located(
        _of_people(SpringBudProfile.person_id, person_id=SpringBudProfile.person_id,
                   start=SponsorshipPayment,
                   via=[(SpringBudProfile, SpringBudProfile.id == SponsorshipPayment.student_id)])
        .where(SponsorshipPayment.term.startswith(f"{year}-", autoescape=True)), user)
    for person_id, code in db.session.execute(pay_rows):
        girls[person_id] = code
    for code in helped.values():
        town(code).people_helped += 1
    for code in girls.values():
        town(code).girls += 1

    # Volunteer hours: approved, served in the year, where the volunteer lives.
    hours_rows = _located(
        _of_people(ServiceHours.minutes, person_id=VolunteerProfile.person_id,
                   start=ServiceHours,
                   via=[(VolunteerProfile, VolunteerProfile.id == ServiceHours.volunteer_id)])
        .where(ServiceHours.status == "approved", ServiceHours.served_on >= start,
               ServiceHours.served_on <= end), user)
    for minutes, code in db.session.execute(hours_rows):
        town(code).minutes += minutes

    names = dict(db.session.execute(select(Region.code, Region.name).where(
        Region.code.in_([c for c in towns if c is not None]))).all())
    for code, row in towns.items():
        row.name = names.get(code, "") if code is not None else _("未分镇（街道）")
    town_rows = sorted((t for t in towns.values() if t.code is not None or not t.empty),
                       key=lambda t: (t.code is None, t.code or ""))
    total = TownFigures(None, _("合计"))
    for t in town_rows:
        for name in ("pairs_formed", "pairs_active", "follow_ups", "people_helped", "loans",
                     "loans_fen", "girls", "minutes"):
            setattr(total, name, getattr(total, name) + getattr(t, name))

    # Funds of the year, in the user's regions.
    fund_stmt = (select(Fund).join(Region, Region.id == Fund.region_id)
                 .where(Fund.year == year).order_by(Region.path, Fund.name, Fund.id))
    if scope is not None:
        fund_stmt = fund_stmt.where(scope)
    funds = [FundFigures(f.id, f.name, f.kind, f.region.full_name, f.budget_fen,
                         f.reserved_fen, f.paid_fen) for f in db.session.scalars(fund_stmt)]
    fund_total = FundFigures(None, _("合计"), "", "",
                             sum(f.budget_fen for f in funds),
                             sum(f.reserved_fen for f in funds),
                             sum(f.paid_fen for f in funds))
    regions = list(user.regions) if user.role == "coordinator" else []
    return YearReport(year, town_rows, total,
                      sorted(programmes.values(), key=lambda p: (p.year, p.name, p.id)),
                      funds, fund_total, regions)


def year_xlsx(report: YearReport) -> bytes:
    """The report as a workbook, one sheet per table; numbers as numbers, text formula-safe;
    audited. No names of people, no mobiles, no ID numbers."""
    wb = Workbook()
    towns = wb.active
    towns.title = _("按镇街")
    towns.append([_("镇（街道）"), _("新结对"), _("结对中"), _("跟踪服务"), _("受助人数"),
                  _("贴息贷款笔数"), _("贴息金额（元）"), _("春蕾学员"), _("志愿服务（小时）")])
    for t in [*report.towns, report.total]:
        towns.append([safe_text(t.name), t.pairs_formed, t.pairs_active, t.follow_ups,
                      t.people_helped, t.loans, float(to_yuan(t.loans_fen)), t.girls, t.hours])
    for cell in towns["G"][1:]:
        cell.number_format = MONEY
    for cell in towns["I"][1:]:
        cell.number_format = HOURS_FORMAT

    progs = wb.create_sheet(_("按项目"))
    progs.append([_("项目"), _("年度"), _("新结对"), _("结对中"), _("跟踪服务")])
    for p in report.programmes:
        progs.append([safe_text(p.name), p.year, p.formed, p.active, p.follow_ups])

    funds = wb.create_sheet(_("专项资金"))
    funds.append([_("资金"), _("类别"), _("地区"), _("预算（元）"), _("已预留（元）"),
                  _("已发放（元）"), _("余额（元）")])
    for f in [*report.funds, report.fund_total]:
        funds.append([safe_text(f.name), _(FUND_KIND_LABELS[f.kind]) if f.kind else "",
                      safe_text(f.region), float(to_yuan(f.budget_fen)),
                      float(to_yuan(f.reserved_fen)), float(to_yuan(f.paid_fen)),
                      float(to_yuan(f.remaining_fen))])
    for col in "DEFG":
        for cell in funds[col][1:]:
            cell.number_format = MONEY
    audit.record("export", target_type="year_report", what="year_report", year=report.year,
                 regions=[r.code for r in report.regions])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
