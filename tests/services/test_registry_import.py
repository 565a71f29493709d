"""Registry import: header mapping, row checks, de-duplication, dry run and commit.

The tables here are in-memory fakes of ``spreadsheets.Table``; reading real .xlsx/.csv
files is tested with the spreadsheets service, and the page and CLI tests use real files.
(A round trip, export → import → nothing changes, is added once exports exist.)
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.models import AuditEvent, MentorProfile, Person, VolunteerProfile
from matchmaker.services import registry_import
from matchmaker.services.privacy import vault
from matchmaker.services.registry_import import BadHeaders, map_headers
from matchmaker.services.spreadsheets import Cell
from tests.ids import make_id

VOL_HEADERS = ["姓名", "身份证号", "手机号", "所在地区", "服务队", "服务项目", "可服务时间", "备注"]


def cell(value) -> Cell:
    if isinstance(value, Cell):
        return value
    if value is None or value == "":
        return Cell(None, "empty")
    return Cell(str(value), "text", value)


class FakeTable:
    """The shape of ``spreadsheets.Table``: headers, a hint, and rows from sheet row 2."""

    def __init__(self, headers: list[str], rows: list[list]) -> None:
        self.headers = headers
        self._data = rows
        self.row_count_hint = len(rows)

    def rows(self):
        for number, values in enumerate(self._data, start=2):
            yield number, [cell(v) for v in values]


def id_of(n: int, birth: date = date(1988, 5, 6)) -> str:
    return make_id("330481", birth, n)


def vol_row(n: int, *, name: str = "", region: str = "盐官镇 郭店村", team: str = "家庭教育",
            mobile: str | None = None, id_number: str | None = "auto", note: str = "") -> list:
    return [name or f"沈丽{'华芳英红萍'[n % 5]}", id_of(n) if id_number == "auto" else id_number,
            mobile if mobile is not None else f"139{n:08d}", region, team, "助老、咨询",
            "周末上午、工作日晚上", note]


def people_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Person))


@pytest.fixture
def admin(app_ctx, make_user):
    return make_user("admin")


# --- headers -------------------------------------------------------------------------------

@pytest.mark.parametrize("name_h", ["姓名", "名字", "姓 名", "*姓名（必填）"])
@pytest.mark.parametrize("mobile_h", ["手机", "手机号", "联系电话"])
@pytest.mark.parametrize("id_h", ["身份证", "身份证号", "公民身份号码"])
def test_header_synonyms_map_to_their_columns(app_ctx, name_h, mobile_h, id_h):
    mapped = map_headers("volunteer", [name_h, id_h, mobile_h, "地区", "服务队"])
    assert [m.column.key for m in mapped] == ["name", "id_number", "mobile", "region", "team"]
    assert mapped[2].header == mobile_h


def test_unknown_header_names_the_nearest_known_one(app_ctx):
    with pytest.raises(BadHeaders) as e:
        map_headers("volunteer", ["姓名", "手机号吗", "所在地区", "服务队"])
    assert e.value.messages == ["未知的列“手机号吗”，是不是“手机号”？"]


def test_header_far_from_any_lists_the_columns(app_ctx):
    with pytest.raises(BadHeaders) as e:
        map_headers("volunteer", ["姓名", "血型", "所在地区", "服务队"])
    assert "血型" in e.value.message and "服务队" in e.value.message


def test_duplicate_and_missing_columns_refuse_the_file(app_ctx):
    with pytest.raises(BadHeaders) as e:
        map_headers("volunteer", ["姓名", "手机", "手机号", "所在地区"])
    assert any("手机" in m and "同一列" in m for m in e.value.messages)
    assert any("缺少必填的列“服务队”" == m for m in e.value.messages)


def test_bad_headers_write_nothing(admin):
    before = people_count()
    table = FakeTable(["姓名", "手机号吗", "所在地区", "服务队"],
                      [["沈丽华", "", "郭店村", "家庭教育"]])
    with pytest.raises(BadHeaders):
        registry_import.commit(admin, "volunteer", table)
    assert people_count() == before


# --- rows ----------------------------------------------------------------------------------

def test_valid_rows_are_created_with_their_profile(admin):
    table = FakeTable(VOL_HEADERS, [vol_row(1, name="沈丽华", note="老党员"), vol_row(2)])
    report = registry_import.commit(admin, "volunteer", table)
    assert (report.created, report.updated, report.skipped, report.problems) == (2, 0, 0, [])
    assert report.actions == [(2, "create"), (3, "create")]
    person = db.session.scalar(select(Person).where(Person.id_hash == vault().digest(id_of(1))))
    assert person.name == "沈丽华" and person.mobile == "13900000001"
    assert person.region.name == "郭店村" and person.note == "老党员"
    assert person.gender == "F" and person.birth_date == date(1988, 5, 6)
    assert person.id_tail == id_of(1)[-4:] and person.name_initials == "slh"
    prof = db.session.scalar(select(VolunteerProfile)
                             .where(VolunteerProfile.person_id == person.id))
    assert (prof.team, prof.teams, prof.services, prof.availability) == (
        "家庭教育", "家庭教育", "助老,咨询", "wd_ev,we_am")
    assert prof.source == "registry"


@pytest.mark.parametrize("region", ["盐官镇 郭店村", "海宁市盐官镇郭店村", "郭店村", "330481107201",
                                    "盐官镇/郭店村"])
def test_region_by_code_or_names(admin, region):
    report = registry_import.dry_run(admin, "volunteer",
                                     FakeTable(VOL_HEADERS, [vol_row(1, region=region)]))
    assert report.problems == [] and report.created == 1


def test_region_out_of_scope_is_a_row_error(app_ctx, make_user):
    coordinator = make_user("coordinator", region_codes=("330481101",))  # 许村镇 only
    report = registry_import.dry_run(coordinator, "volunteer",
                                     FakeTable(VOL_HEADERS, [vol_row(1), vol_row(2,
                                               region="许村镇 许巷村")]))
    assert [(p.row, p.column) for p in report.problems] == [(2, "所在地区")]
    assert "不在您负责的范围内" in report.problems[0].reason
    assert report.created == 1


def test_id_number_stored_as_a_number_is_refused(admin):
    row = vol_row(1)
    row[1] = Cell("3.30481198805061E+17", "number", 3.30481198805061e17)
    report = registry_import.dry_run(admin, "volunteer", FakeTable(VOL_HEADERS, [row]))
    (p,) = report.problems
    assert p.column == "身份证号" and "存成了数字" in p.reason and "已经丢失" in p.reason
    assert p.value.startswith("****")  # never shown whole


def test_mobile_stored_as_a_number_is_fine(admin):
    row = vol_row(1)
    row[2] = Cell("13900000001", "number", 13900000001.0)
    report = registry_import.dry_run(admin, "volunteer", FakeTable(VOL_HEADERS, [row]))
    assert report.problems == [] and report.created == 1


def test_formula_in_any_cell_is_a_row_error(admin):
    row = vol_row(1)
    row[7] = Cell("=A1&B1", "formula", "=A1&B1")
    report = registry_import.commit(admin, "volunteer", FakeTable(VOL_HEADERS, [row, vol_row(2)]))
    assert [(p.row, p.column) for p in report.problems] == [(2, "备注")]
    assert "公式" in report.problems[0].reason
    assert report.created == 1 and report.actions == [(2, "error"), (3, "create")]


@pytest.mark.parametrize(("column", "value", "reason"), [
    (0, "张3", "姓名只能包含"),
    (0, "", "姓名不能为空"),
    (1, "330481198805060000", "校验位"),
    (1, "33048119880506", "18 位"),
    (2, "1390000", "手机号码"),
    (3, "东海镇 不存在村", "地区不存在"),
    (4, "跳舞队", "不是可选的值"),
    (5, "助老、唱歌", "“唱歌”不是可选的值"),
    (6, "每天", "不是可选的值"),
    (7, "备注<script>", "尖括号"),
])
def test_each_bad_value_is_reported_with_row_column_and_reason(admin, column, value, reason):
    row = vol_row(1)
    row[column] = value
    report = registry_import.dry_run(admin, "volunteer", FakeTable(VOL_HEADERS, [row]))
    (p,) = report.problems
    assert (p.row, p.column) == (2, VOL_HEADERS[column])
    assert reason in p.reason
    assert report.created == 0 and report.actions == [(2, "error")]


MENTOR_HEADERS = ["姓名", "性别", "出生日期", "手机号", "所在地区", "类别", "专长", "行业",
                  "可带徒人数"]


def mentor_row(**changes) -> list:
    values = {"姓名": "王桂英", "性别": "女", "出生日期": "1975-04-01", "手机号": "13900001111",
              "所在地区": "盐官镇 桃园村", "类别": "女能手", "专长": "茶叶种植", "行业": "种养殖",
              "可带徒人数": "2"}
    values.update(changes)
    return [values[h] for h in MENTOR_HEADERS]


@pytest.mark.parametrize(("header", "value", "reason"), [
    ("可带徒人数", "99", "应在 0 到 20 之间"),
    ("可带徒人数", "两个", "请填写整数"),
    ("出生日期", "1975-13-40", "不存在"),
    ("出生日期", "去年", "日期格式不正确"),
    ("出生日期", "2999-01-01", "不能晚于今天"),
    ("性别", "未知", "不是可选的值"),
    ("性别", "", "请填写性别"),
    ("类别", "企业家", "不是可选的值"),
])
def test_mentor_kinds_of_values(admin, header, value, reason):
    report = registry_import.dry_run(admin, "mentor",
                                     FakeTable(MENTOR_HEADERS, [mentor_row(**{header: value})]))
    (p,) = report.problems
    assert p.column == header and reason in p.reason


def test_mentor_dates_as_excel_dates_and_labels(admin):
    row = mentor_row(出生日期=Cell("1975-04-01", "date", datetime(1975, 4, 1)), 性别="F",
                     行业="agriculture")
    report = registry_import.commit(admin, "mentor", FakeTable(MENTOR_HEADERS, [row]))
    assert report.problems == [] and report.created == 1
    prof = db.session.scalar(select(MentorProfile).join(Person)
                             .where(Person.mobile == "13900001111"))
    assert (prof.kind, prof.industry, prof.capacity) == ("skilled", "agriculture", 2)
    assert prof.person.birth_date == date(1975, 4, 1) and prof.person.gender == "F"


def test_spring_bud_needs_the_guardians_consent(admin):
    headers = ["姓名", "性别", "所在地区", "学校", "年级", "监护人姓名", "与学员关系",
               "监护人已书面同意"]
    rows = [["陈小燕", "女", "郭店村", "盐官镇中心小学", "五年级", "陈美华", "母亲", v]
            for v in ("否", "也许")]
    report = registry_import.dry_run(admin, "spring_bud", FakeTable(headers, rows))
    reasons = [p.reason for p in report.problems]
    assert "登记未成年人须先取得监护人同意" in reasons[0]
    assert "请填写“是”或“否”" in reasons[1]


# --- de-duplication, updates, scope --------------------------------------------------------

def test_reimporting_the_same_file_adds_nothing(admin):
    headers = [*VOL_HEADERS, "性别"]
    rows = [[*vol_row(n), "女"] for n in range(1, 6)]
    rows.append([*vol_row(9, id_number="", name="无证"), "女"])  # found by name + mobile
    first = registry_import.commit(admin, "volunteer", FakeTable(headers, rows))
    assert first.created == 6 and first.problems == []
    before = people_count()
    second = registry_import.commit(admin, "volunteer", FakeTable(headers, rows))
    assert (second.created, second.updated, second.skipped) == (0, 0, 6)
    assert people_count() == before


def test_duplicates_within_the_file(admin):
    rows = [vol_row(1), vol_row(2), vol_row(1, mobile="13700000000"),
            vol_row(7, id_number="", name="甲乙"), vol_row(8, id_number="", name="甲乙",
                                                          mobile="13900000007")]
    report = registry_import.dry_run(admin, "volunteer",
                                     FakeTable([*VOL_HEADERS, "性别"], [[*r, "女"] for r in rows]))
    assert [(p.row, p.reason) for p in report.problems] == [(4, "与第 2 行重复"),
                                                            (6, "与第 5 行重复")]
    assert report.created == 3


def test_an_existing_person_is_updated_never_blanked(admin, make_person):
    person = make_person("沈丽华", id_number=id_of(1), mobile="13811112222")
    person.note, person.household = "老党员", "H-12"
    db.session.flush()
    row = vol_row(1, name="沈丽华", mobile="13933334444", region="盐官镇 桃园村")  # note empty
    dry = registry_import.dry_run(admin, "volunteer", FakeTable(VOL_HEADERS, [row]))
    assert dry.actions == [(2, "update")] and person.mobile == "13811112222"
    report = registry_import.commit(admin, "volunteer", FakeTable(VOL_HEADERS, [row]))
    assert (report.created, report.updated) == (0, 1)
    db.session.refresh(person)
    assert person.mobile == "13933334444" and person.region.name == "桃园村"
    assert person.note == "老党员" and person.household == "H-12"
    assert person.id_hash == vault().digest(id_of(1))
    prof = db.session.scalar(select(VolunteerProfile)
                             .where(VolunteerProfile.person_id == person.id))
    assert prof.team == "家庭教育"
    # The same row again: nothing differs.
    again = registry_import.commit(admin, "volunteer", FakeTable(VOL_HEADERS, [row]))
    assert again.actions == [(2, "skip")]
    # A change of team keeps her other teams.
    prof.teams = "家庭教育,法律维权"
    db.session.flush()
    changed = vol_row(1, name="沈丽华", team="科技惠民", mobile="13933334444", region="桃园村")
    moved = registry_import.commit(admin, "volunteer", FakeTable(VOL_HEADERS, [changed]))
    assert moved.actions == [(2, "update")]
    assert (prof.team, prof.teams) == ("科技惠民", "家庭教育,法律维权,科技惠民")


def test_match_by_name_and_mobile_without_an_id(admin, make_person):
    person = make_person("李秀英", id_number=None, mobile="13955550000")
    row = vol_row(3, name="李秀英", mobile="13955550000", id_number="")
    report = registry_import.commit(admin, "volunteer", FakeTable(VOL_HEADERS, [row]))
    assert report.actions == [(2, "update")] and people_count() >= 1
    assert db.session.scalar(select(VolunteerProfile.team)
                             .where(VolunteerProfile.person_id == person.id)) == "家庭教育"
    # Her ID number, given later, is filled in (she had none).
    with_id = vol_row(3, name="李秀英", mobile="13955550000")
    assert registry_import.commit(admin, "volunteer",
                                  FakeTable(VOL_HEADERS, [with_id])).actions == [(2, "update")]
    db.session.refresh(person)
    assert person.id_hash == vault().digest(id_of(3)) and person.birth_date == date(1988, 5, 6)


def test_a_person_registered_elsewhere_is_an_error_that_does_not_say_where(app_ctx, make_user,
                                                                           make_person):
    make_person("沈丽华", region="330481107201", id_number=id_of(1))  # 盐官镇
    coordinator = make_user("coordinator", region_codes=("330481101",))  # 许村镇
    before = people_count()
    report = registry_import.commit(coordinator, "volunteer",
                                    FakeTable(VOL_HEADERS, [vol_row(1, region="许村镇 许巷村")]))
    (p,) = report.problems
    assert "该人员已在其他地区登记" in p.reason and "盐官" not in p.reason + p.value
    assert report.created == report.updated == 0 and people_count() == before
    # Telling her that someone exists elsewhere is a disclosure: audited, dry run or not.
    from matchmaker.models import AuditEvent

    registry_import.dry_run(coordinator, "volunteer",
                            FakeTable(VOL_HEADERS, [vol_row(1, region="许村镇 许巷村")]))
    assert app_ctx.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "import_conflict")) == 2


def test_a_valid_id_under_another_name_does_not_rename_her(admin, make_person):
    """A mistyped but valid ID number must not turn 沈丽华 into someone else."""
    her = make_person("沈丽华", region="330481107201", id_number=id_of(1))
    report = registry_import.commit(admin, "volunteer", FakeTable(
        VOL_HEADERS, [vol_row(1, name="王小梅")]))
    (p,) = report.problems
    assert "身份证号与已登记的姓名不一致" in p.reason
    db.session.refresh(her)
    assert her.name == "沈丽华" and report.updated == 0


def test_all_or_nothing_writes_nothing_when_a_row_is_bad(admin):
    before = people_count()
    rows = [vol_row(1), vol_row(2, team="跳舞队")]
    report = registry_import.commit(admin, "volunteer", FakeTable(VOL_HEADERS, rows),
                                    all_or_nothing=True)
    assert report.committed and not report.written and report.problem_rows == 1
    assert people_count() == before
    assert registry_import.commit(admin, "volunteer", FakeTable(VOL_HEADERS, [vol_row(1)]),
                                  all_or_nothing=True).written
    assert people_count() == before + 1


def test_dry_run_writes_nothing(admin):
    rows = [vol_row(n) for n in range(1, 4)]
    before = people_count()
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    report = registry_import.dry_run(admin, "volunteer", FakeTable(VOL_HEADERS, rows))
    assert report.created == 3 and not report.committed
    db.session.flush()
    assert people_count() == before
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_commit_is_audited_per_row_and_as_one_import(admin):
    registry_import.commit(admin, "volunteer", FakeTable(VOL_HEADERS, [vol_row(1)]))
    actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-1] == "import" and actions.count("create") >= 2  # person + profile


def test_blank_rows_are_not_counted(admin):
    rows = [vol_row(1), [""] * 8, vol_row(2)]
    report = registry_import.dry_run(admin, "volunteer", FakeTable(VOL_HEADERS, rows))
    assert report.rows == 2 and report.created == 2


def test_volunteers_cannot_import(app_ctx, make_user):
    from matchmaker.services.errors import Forbidden

    with pytest.raises(Forbidden):
        registry_import.dry_run(make_user("volunteer"), "volunteer",
                                FakeTable(VOL_HEADERS, [vol_row(1)]))
