"""Hours reports: approved hours only, period bounds inclusive, region scope, export."""

from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from matchmaker.models import AuditEvent, ServiceHours, VolunteerProfile
from matchmaker.services import volunteer_reports as vr
from matchmaker.services.errors import DomainError

MARCH = vr.Period(date(2026, 3, 1), date(2026, 4, 30))


@pytest.fixture
def hours_world(app_ctx, make_person, make_user):
    """Three volunteers in 盐官镇 (two villages), one in 许村镇, one at city level."""
    def volunteer(name, region, team, n):
        p = make_person(name, region=region, birth=date(1980, 1, n),
                        mobile=f"1391234{n:04d}")
        v = VolunteerProfile(person=p, team=team, teams=team, status="active")
        app_ctx.add(v)
        return v

    a = volunteer("陈一", "330481107201", "创业指导", 1)
    b = volunteer("王二", "330481107202", "创业指导", 2)
    c = volunteer("张三", "330481107201", "法律维权", 3)
    d = volunteer("许四", "330481101201", "家庭教育", 4)
    e = volunteer("市五", "330481", "环保护绿", 5)
    app_ctx.flush()

    def log(v, day, minutes, status="approved"):
        app_ctx.add(ServiceHours(volunteer_id=v.id, served_on=day, minutes=minutes,
                                 status=status))

    log(a, date(2026, 3, 1), 90)            # first day: counted
    log(a, date(2026, 4, 30), 60)           # last day: counted
    log(a, date(2026, 2, 28), 600)          # before
    log(a, date(2026, 5, 1), 600)           # after
    log(a, date(2026, 3, 15), 600, "pending")
    log(a, date(2026, 3, 16), 600, "rejected")
    log(b, date(2026, 3, 20), 120)
    log(c, date(2026, 4, 2), 45)
    log(d, date(2026, 3, 3), 30)
    log(e, date(2026, 4, 9), 180)
    app_ctx.flush()
    return make_user


def rows(grouping) -> dict[str, tuple[int, int]]:
    return {r.label: (r.entries, r.minutes) for r in grouping}


def test_totals_by_volunteer_team_town_and_month(app_ctx, hours_world):
    report = vr.hours_report(hours_world("admin"), MARCH)
    assert (report.entries, report.minutes, report.hours) == (6, 525, 8.8)
    assert rows(report.by_volunteer) == {"陈一": (2, 150), "王二": (1, 120), "张三": (1, 45),
                                         "许四": (1, 30), "市五": (1, 180)}
    first = report.by_volunteer[0]
    assert (first.label, first.town, first.team, first.hours) == ("市五", "未分镇（街道）",
                                                                  "环保护绿", 3.0)
    chen = next(r for r in report.by_volunteer if r.label == "陈一")
    assert (chen.town, chen.team, chen.hours) == ("盐官镇", "创业指导", 2.5)
    assert rows(report.by_team) == {"创业指导": (3, 270), "法律维权": (1, 45),
                                    "家庭教育": (1, 30), "环保护绿": (1, 180)}
    assert rows(report.by_town) == {"盐官镇": (4, 315), "许村镇": (1, 30),
                                    "未分镇（街道）": (1, 180)}
    assert rows(report.by_month) == {"2026-03": (3, 240), "2026-04": (3, 285)}
    assert [r.label for r in report.by_month] == ["2026-03", "2026-04"]


def test_only_hours_of_volunteers_in_scope(app_ctx, hours_world):
    town = vr.hours_report(hours_world("coordinator", region_codes=("330481107",)), MARCH)
    assert set(rows(town.by_volunteer)) == {"陈一", "王二", "张三"}
    assert rows(town.by_town) == {"盐官镇": (4, 315)}
    assert (town.entries, town.minutes) == (4, 315)
    village = vr.hours_report(hours_world("coordinator", region_codes=("330481101201",)),
                              MARCH)
    assert rows(village.by_volunteer) == {"许四": (1, 30)}
    empty = vr.hours_report(hours_world("admin"), vr.Period(date(2025, 1, 1),
                                                            date(2025, 12, 31)))
    assert (empty.entries, empty.minutes, empty.by_volunteer, empty.by_month) == (0, 0, [], [])


def test_periods_from_presets_and_dates():
    today = date(2026, 5, 17)
    assert vr.preset_period("this_month", today) == vr.Period(date(2026, 5, 1),
                                                              date(2026, 5, 31), "this_month")
    assert vr.preset_period("this_month", date(2026, 2, 3)).end == date(2026, 2, 28)
    q = vr.preset_period("this_quarter", today)
    assert (q.start, q.end) == (date(2026, 4, 1), date(2026, 6, 30))
    q4 = vr.preset_period("this_quarter", date(2026, 12, 31))
    assert (q4.start, q4.end) == (date(2026, 10, 1), date(2026, 12, 31))
    y = vr.preset_period("this_year", today)
    assert (y.start, y.end) == (date(2026, 1, 1), date(2026, 12, 31))
    last = vr.preset_period("last_year", today)
    assert (last.start, last.end) == (date(2025, 1, 1), date(2025, 12, 31))
    typed = vr.parse_period(preset="this_month", start="2026-03-01", end="2026年4月30日",
                            today=today)
    assert (typed.start, typed.end, typed.preset) == (date(2026, 3, 1), date(2026, 4, 30), "")
    assert vr.parse_period(today=today).preset == "this_year"


@pytest.mark.parametrize(("start", "end", "field"), [
    ("2026-05-01", "2026-04-01", "end"), ("2026-02-30", "2026-03-01", "start"),
    ("2026-01-01", "", "end"),
])
def test_bad_periods_are_refused_in_chinese(app_ctx, start, end, field):
    with pytest.raises(DomainError) as e:
        vr.parse_period(start=start, end=end, today=date(2026, 5, 1))
    assert e.value.field == field and any("\u4e00" <= ch <= "\u9fff" for ch in e.value.message)
    with pytest.raises(DomainError):
        vr.preset_period("next_decade", date(2026, 5, 1))


def test_export_has_a_sheet_per_grouping_with_totals_and_is_audited(app_ctx, hours_world):
    user = hours_world("admin")
    report = vr.hours_report(user, MARCH)
    data = vr.hours_xlsx(report)
    wb = load_workbook(BytesIO(data))
    assert wb.sheetnames == ["汇总", "按志愿者", "按服务队", "按镇街", "按月份"]
    assert [c.value for c in wb["汇总"]["B"]][1:] == [6, 8.8]
    people = wb["按志愿者"]
    assert [c.value for c in people[1]] == ["姓名", "镇（街道）", "服务队", "记录数",
                                          "服务时长（小时）"]
    assert [c.value for c in people[2]] == ["市五", "未分镇（街道）", "环保护绿", 1, 3.0]
    assert [c.value for c in people[people.max_row]] == ["合计", None, None, 6, 8.8]
    assert people.cell(2, 5).number_format == "0.0"
    towns = {r[0]: r[1:] for r in wb["按镇街"].iter_rows(min_row=2, values_only=True)}
    assert towns == {"盐官镇": (4, 5.3), "许村镇": (1, 0.5), "未分镇（街道）": (1, 3.0),
                     "合计": (6, 8.8)}
    months = list(wb["按月份"].iter_rows(min_row=2, values_only=True))
    assert months == [("2026-03", 3, 4.0), ("2026-04", 3, 4.8), ("合计", 6, 8.8)]
    teams = [r[0] for r in wb["按服务队"].iter_rows(min_row=2, values_only=True)]
    assert teams[0] == "创业指导" and teams[-1] == "合计"
    text = " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row)
    assert "1391234" not in text
    event = app_ctx.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
    assert (event.target_type, event.detail) == (
        "service_hours", {"what": "hours_report", "start": "2026-03-01", "end": "2026-04-30"})


def test_export_cells_cannot_become_formulas(app_ctx, hours_world):
    v = app_ctx.scalar(select(VolunteerProfile).where(VolunteerProfile.team == "法律维权"))
    v.person.name = "=HYPERLINK(\"x\")"
    app_ctx.flush()
    wb = load_workbook(BytesIO(vr.hours_xlsx(vr.hours_report(hours_world("admin"), MARCH))))
    names = [r[0] for r in wb["按志愿者"].iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(\"x\")" in names
