"""Hours reports: approved volunteer hours in a period, by volunteer, team, town and month,
for the coordinator's regions (where the volunteer lives); and their export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from io import BytesIO

from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import and_, extract, func, select
from sqlalchemy.orm import aliased

from matchmaker.extensions import db
from matchmaker.models import Person, Region, ServiceHours, User, VolunteerProfile
from matchmaker.models.base import N_
from matchmaker.services import audit, hours
from matchmaker.services.errors import DomainError
from matchmaker.services.exports import safe_text
from matchmaker.services.scope import region_filter, require_registry_role
from matchmaker.services.validation import parse_date

PRESETS = {
    "this_month": N_("本月"),
    "this_quarter": N_("本季度"),
    "this_year": N_("本年"),
    "last_year": N_("上一年"),
}
DEFAULT_PRESET = "this_year"
HOURS_FORMAT = "0.0"


def hours_of(minutes: int) -> float:
    """Minutes as hours with one decimal, rounded half up (315 minutes → 5.3), as a
    number for the spreadsheet: the rounding is ``hours.hours_of``, shared by every page."""
    return float(hours.hours_of(minutes))


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    preset: str = ""  # the preset it came from, "" for dates typed in


def preset_period(preset: str, today: date) -> Period:
    """The period a preset names, around ``today``; bounds inclusive."""
    if preset == "this_month":
        start = today.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    elif preset == "this_quarter":
        start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        end = (start + timedelta(days=95)).replace(day=1) - timedelta(days=1)
    elif preset == "last_year":
        start, end = date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    elif preset == "this_year":
        start, end = date(today.year, 1, 1), date(today.year, 12, 31)
    else:
        raise DomainError(_("未知的统计期间"), field="preset")
    return Period(start, end, preset)


def parse_period(*, preset: str = "", start: str = "", end: str = "", today: date) -> Period:
    """Dates typed in win over a preset; with neither, this year."""
    if (start or "").strip() or (end or "").strip():
        if not (start or "").strip() or not (end or "").strip():
            raise DomainError(_("请同时填写起止日期"), field="start" if not start else "end")
        first = parse_date(start, field="start")
        last = parse_date(end, field="end")
        if first > last:
            raise DomainError(_("开始日期不能晚于结束日期"), field="end")
        return Period(first, last)
    return preset_period(preset or DEFAULT_PRESET, today)


@dataclass(frozen=True)
class Row:
    """One line of a grouping: its label, entries counted and minutes served."""

    label: str
    entries: int
    minutes: int
    town: str = ""
    team: str = ""

    @property
    def hours(self) -> float:
        return hours_of(self.minutes)


@dataclass(frozen=True)
class HoursReport:
    period: Period
    by_volunteer: list[Row]
    by_team: list[Row]
    by_town: list[Row]
    by_month: list[Row]
    entries: int
    minutes: int

    @property
    def hours(self) -> float:
        return hours_of(self.minutes)


def hours_report(user: User, period: Period) -> HoursReport:
    """Approved hours served within the period (bounds inclusive), in the user's regions."""
    require_registry_role(user)
    town = aliased(Region)
    entries = func.count(ServiceHours.id)
    minutes = func.coalesce(func.sum(ServiceHours.minutes), 0)

    def base(*columns):
        # A volunteer's town is the region of level "town" whose path starts hers (region
        # paths contain digits and "/" only, so the LIKE pattern needs no escaping).
        stmt = (select(*columns, entries, minutes)
                .select_from(ServiceHours)
                .join(VolunteerProfile, VolunteerProfile.id == ServiceHours.volunteer_id)
                .join(Person, Person.id == VolunteerProfile.person_id)
                .join(Region, Region.id == Person.region_id)
                .outerjoin(town, and_(town.level == "town", Region.path.startswith(town.path)))
                .where(ServiceHours.status == "approved",
                       ServiceHours.served_on >= period.start,
                       ServiceHours.served_on <= period.end))
        scope = region_filter(user, Region.path)
        return stmt if scope is None else stmt.where(scope)

    no_town = _("未分镇（街道）")
    by_volunteer = [
        Row(name, n, int(m), town=town_name or no_town, team=team or "")
        for _id, name, team, town_name, n, m in db.session.execute(
            base(VolunteerProfile.id, Person.name, VolunteerProfile.team, town.name)
            .group_by(VolunteerProfile.id, Person.name, VolunteerProfile.team, town.name)
            .order_by(minutes.desc(), Person.name, VolunteerProfile.id))
    ]
    by_team = [Row(team or _("未分队"), n, int(m)) for team, n, m in db.session.execute(
        base(VolunteerProfile.team).group_by(VolunteerProfile.team)
        .order_by(minutes.desc(), VolunteerProfile.team))]
    by_town = [Row(name or no_town, n, int(m)) for _code, name, n, m in db.session.execute(
        base(town.code, town.name).group_by(town.code, town.name).order_by(town.code))]
    year = extract("year", ServiceHours.served_on)
    month = extract("month", ServiceHours.served_on)
    by_month = [Row(f"{int(y)}-{int(mo):02d}", n, int(m)) for y, mo, n, m in db.session.execute(
        base(year, month).group_by(year, month).order_by(year, month))]
    total_entries, total_minutes = db.session.execute(base()).one()
    return HoursReport(period, by_volunteer, by_team, by_town, by_month,
                       int(total_entries or 0), int(total_minutes or 0))


def hours_xlsx(report: HoursReport) -> bytes:
    """The report as a workbook: one sheet per grouping and a summary; audited. Names only —
    no mobile or ID number is exported."""
    wb = Workbook()
    summary = wb.active
    summary.title = _("汇总")
    summary.append([_("统计期间"), f"{report.period.start.isoformat()} — "
                                   f"{report.period.end.isoformat()}"])
    summary.append([_("记录数"), report.entries])
    summary.append([_("服务时长（小时）"), report.hours])
    summary["B3"].number_format = HOURS_FORMAT
    head = [_("记录数"), _("服务时长（小时）")]
    sheets = (
        (_("按志愿者"), [_("姓名"), _("镇（街道）"), _("服务队")], report.by_volunteer,
         lambda r: [r.label, r.town, r.team]),
        (_("按服务队"), [_("服务队")], report.by_team, lambda r: [r.label]),
        (_("按镇街"), [_("镇（街道）")], report.by_town, lambda r: [r.label]),
        (_("按月份"), [_("月份")], report.by_month, lambda r: [r.label]),
    )
    for title, columns, rows, cells in sheets:
        sheet = wb.create_sheet(title)
        sheet.append(columns + head)
        for row in rows:
            sheet.append([safe_text(c) for c in cells(row)] + [row.entries, row.hours])
        sheet.append([_("合计")] + [None] * (len(columns) - 1) + [report.entries, report.hours])
        hours_col = sheet.max_column
        for (cell,) in sheet.iter_rows(min_row=2, min_col=hours_col, max_col=hours_col):
            cell.number_format = HOURS_FORMAT
    audit.record("export", target_type="service_hours", what="hours_report",
                 start=report.period.start.isoformat(), end=report.period.end.isoformat())
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
