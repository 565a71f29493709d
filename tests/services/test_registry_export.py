"""Registry templates and exports: headers, formats, drop-downs, scope, filters, masking,
the formula guard and the audit trail."""

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from matchmaker.models import AuditEvent, MentorProfile, SpringBudProfile, VolunteerProfile
from matchmaker.services import registry_export, registry_templates
from matchmaker.services.audit import Actor, acting_as
from matchmaker.services.registries import BY_KEY, Filters
from matchmaker.services.registry_columns import columns_for
from tests.ids import make_id

VOL = BY_KEY["volunteer"]


@pytest.fixture
def volunteers(session, make_person):
    """Two volunteers in 盐官镇 (one at town level), one in 许村镇."""

    def add(name, region, *, team="家庭教育", note="", id_number="auto", mobile="13812345678"):
        person = make_person(name, region=region, mobile=mobile, id_number=id_number)
        person.note = note
        session.add(VolunteerProfile(person=person, team=team, services="助老,咨询",
                                     availability="we_am,wd_ev", skills="心理咨询"))
        session.flush()
        return person

    return {
        "a": add("沈丽华", "330481107201", id_number=make_id("330481", date(1985, 3, 8), 7)),
        "b": add("陈晓燕", "330481107", team="法律维权", mobile="13900001111"),
        "c": add("许美丽", "330481101201", mobile="13700002222"),
    }


def read_xlsx(data: bytes):
    return load_workbook(io.BytesIO(data))


def rows_of(data: bytes) -> list[list]:
    ws = read_xlsx(data).worksheets[0]
    return [[c.value for c in row] for row in ws.iter_rows()]


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# --- the template -------------------------------------------------------------------

@pytest.mark.parametrize("key", list(BY_KEY))
def test_template_has_headers_example_and_text_number_columns(app_ctx, make_user, key):
    admin = make_user("admin")
    wb = read_xlsx(registry_templates.build_template(admin, BY_KEY[key]))
    ws = wb.worksheets[0]
    columns = columns_for(key)
    assert [c.value for c in ws[1]] == [c.header for c in columns]
    assert ws.freeze_panes == "A2"
    for i, column in enumerate(columns, start=1):
        head, example = ws.cell(row=1, column=i), ws.cell(row=2, column=i)
        assert head.font.b
        if column.kind == "region":
            assert example.value == "盐官镇 郭店村"
        elif column.example:
            assert str(example.value) == column.example
        if column.required:
            assert "（必填）" in head.comment.text
        if column.hint:
            assert column.hint in head.comment.text
        if column.kind in ("id", "mobile"):
            assert example.value is None or isinstance(example.value, str)
            for row in (2, 3, 500, 1000):
                assert ws.cell(row=row, column=i).number_format == "@"
        else:
            assert ws.cell(row=3, column=i).number_format != "@"
        assert ws.column_dimensions[head.column_letter].width >= 10
    assert [s.title for s in wb.worksheets[1:]] == ["说明", "地区"]
    assert wb["地区"].sheet_state == "hidden"
    help_rows = [r[0].value for r in wb["说明"].iter_rows(min_row=2)]
    assert all(c.header in help_rows for c in columns)


def test_template_drop_downs(app_ctx, make_user):
    admin = make_user("admin")
    ws = read_xlsx(registry_templates.build_template(admin, BY_KEY["mentor"])).worksheets[0]
    header = {c.value: c.column_letter for c in ws[1]}
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation
             if dv.type == "list"}
    by_col = {ref.split(":")[0].rstrip("0123456789"): f for ref, f in lists.items()}
    assert by_col[header["性别"]] == '"女,男"'
    assert by_col[header["类别"]] == '"女企业家,女能手,专家,社会妈妈"'
    assert "种养殖" in by_col[header["行业"]]
    assert by_col[header["所在地区"]].startswith("'地区'!$A$1:$A$")
    assert f"{header['性别']}2:{header['性别']}1000" in lists
    # Free text and numbers have no list.
    assert header["姓名"] not in by_col and header["身份证号"] not in by_col
    sb = read_xlsx(registry_templates.build_template(admin, BY_KEY["spring_bud"])).worksheets[0]
    col = {c.value: c.column_letter for c in sb[1]}["监护人已书面同意"]
    assert any(str(dv.sqref).startswith(col + "2") and dv.formula1 == '"是,否"'
               for dv in sb.data_validations.dataValidation)
    vol = read_xlsx(registry_templates.build_template(admin, VOL)).worksheets[0]
    col = {c.value: c.column_letter for c in vol[1]}["服务队"]
    assert any(str(dv.sqref).startswith(col + "2") and "家庭教育" in dv.formula1
               for dv in vol.data_validations.dataValidation)


def test_template_regions_are_the_users_scope(app_ctx, make_user):
    admin = make_user("admin")
    town = make_user("coordinator", region_codes=("330481101",))
    all_regions = [r[0].value for r in read_xlsx(registry_templates.build_template(
        admin, VOL))["地区"].iter_rows()]
    assert all_regions == ["许村镇", "许村镇 许巷村", "许村镇 永福村",
                           "盐官镇", "盐官镇 郭店村", "盐官镇 桃园村"]
    wb = read_xlsx(registry_templates.build_template(town, VOL))
    assert [r[0].value for r in wb["地区"].iter_rows()] == ["许村镇", "许村镇 许巷村",
                                                          "许村镇 永福村"]
    ws = wb.worksheets[0]
    region_col = [c.value for c in ws[1]].index("所在地区") + 1
    assert ws.cell(row=2, column=region_col).value == "许村镇 许巷村"  # an example of hers
    dv = next(d for d in ws.data_validations.dataValidation if d.formula1.startswith("'地区'"))
    assert dv.formula1.endswith("$A$3")


# --- the export ---------------------------------------------------------------------

def test_xlsx_export_same_columns_as_template_full_numbers_as_text(app_ctx, make_user,
                                                                    volunteers):
    admin = make_user("admin")
    rows = rows_of(registry_export.build_xlsx(admin, VOL, Filters()))
    assert rows[0] == [c.header for c in columns_for("volunteer")]
    by_name = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert set(by_name) == {"沈丽华", "陈晓燕", "许美丽"}
    a = by_name["沈丽华"]
    assert a["身份证号"] == make_id("330481", date(1985, 3, 8), 7)
    assert a["手机号"] == "13812345678"
    assert a["性别"] == "女" and a["出生日期"] == "1985-03-08"
    assert a["所在地区"] == "盐官镇 郭店村"
    assert by_name["陈晓燕"]["所在地区"] == "盐官镇"  # a town-level person
    assert a["服务队"] == "家庭教育" and a["服务项目"] == "助老、咨询"
    assert a["可服务时间"] == "周末上午、工作日晚上"
    ws = read_xlsx(registry_export.build_xlsx(admin, VOL, Filters())).worksheets[0]
    head = [c.value for c in ws[1]]
    for header in ("身份证号", "手机号"):
        cell = ws.cell(row=2, column=head.index(header) + 1)
        assert cell.data_type == "s" and cell.number_format == "@"
    assert ws.freeze_panes == "A2"


def test_export_respects_scope_and_filters(app_ctx, make_user, volunteers):
    town = make_user("coordinator", region_codes=("330481107",))
    names = [r[0] for r in rows_of(registry_export.build_xlsx(town, VOL, Filters()))[1:]]
    assert sorted(names) == ["沈丽华", "陈晓燕"]
    admin = make_user("admin")
    names = [r[0] for r in rows_of(registry_export.build_xlsx(
        admin, VOL, Filters(region="330481101")))[1:]]
    assert names == ["许美丽"]
    rows = read_csv(registry_export.build_csv(admin, VOL, Filters(kind="法律维权")))
    assert [r[0] for r in rows[1:]] == ["陈晓燕"]
    rows = read_csv(registry_export.build_csv(admin, VOL, Filters(q="丽")))
    assert sorted(r[0] for r in rows[1:]) == ["沈丽华", "许美丽"]
    # A town coordinator asking for the other town gets nothing from it.
    rows = read_csv(registry_export.build_csv(town, VOL, Filters(region="330481101")))
    assert rows[1:] == []


def test_number_masking_rule(app_ctx, make_user):
    assert registry_export.shows_full_numbers(make_user("admin"))
    assert registry_export.shows_full_numbers(make_user("coordinator"))
    assert not registry_export.shows_full_numbers(make_user("volunteer"))
    assert not registry_export.shows_full_numbers(make_user("donor"))
    cell = registry_export.number_cell
    assert cell("13812345678", kind="mobile", full=True) == "13812345678"
    assert cell("13812345678", kind="mobile", full=False) == "138****5678"
    full_id = make_id("330481", date(1985, 3, 8), 7)
    assert cell(full_id, kind="id", full=True, id_tail=full_id[-4:]) == full_id
    assert cell(None, kind="id", full=False, id_tail=full_id[-4:]) == "*" * 14 + full_id[-4:]
    assert cell(None, kind="mobile", full=False) == ""


def test_masked_rows_when_the_rule_says_so(app_ctx, make_user, volunteers, monkeypatch):
    """If a staff role ever loses the right to full numbers, exports mask them."""
    monkeypatch.setattr(registry_export, "shows_full_numbers", lambda user: False)
    admin = make_user("admin")
    rows = read_csv(registry_export.build_csv(admin, VOL, Filters(q="沈丽华")))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["手机号"] == "138****5678"
    assert row["身份证号"] == "*" * 14 + volunteers["a"].id_tail
    event = app_ctx.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
    assert event.detail["full_numbers"] is False


def test_formula_guard_in_xlsx_and_csv(app_ctx, make_user, volunteers):
    a = volunteers["a"]
    a.name = '=HYPERLINK("http://x","点")'
    a.note = "+1"
    volunteers["b"].note = "@SUM(A1)"
    volunteers["c"].note = "\t=1"
    app_ctx.flush()
    admin = make_user("admin")
    ws = read_xlsx(registry_export.build_xlsx(admin, VOL, Filters())).worksheets[0]
    note_col = [c.value for c in ws[1]].index("备注")
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"
            if isinstance(cell.value, str):
                assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))
    values = {row[0].value: row[note_col].value for row in ws.iter_rows(min_row=2)}
    assert values["'=HYPERLINK(\"http://x\",\"点\")"] == "'+1"
    rows = read_csv(registry_export.build_csv(admin, VOL, Filters()))
    cells = [c for r in rows[1:] for c in r]
    assert "'=HYPERLINK(\"http://x\",\"点\")" in cells and "'+1" in cells
    assert "'@SUM(A1)" in cells and "'\t=1" in cells
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)


def test_csv_has_bom_crlf_and_reads_back(app_ctx, make_user, volunteers):
    admin = make_user("admin")
    data = registry_export.build_csv(admin, VOL, Filters())
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    rows = read_csv(data)
    assert rows[0] == [c.header for c in columns_for("volunteer")]
    assert len(rows) == 4 and all(len(r) == len(rows[0]) for r in rows)


def test_each_export_is_audited_once_with_filters_and_count(app_ctx, make_user, volunteers):
    town = make_user("coordinator", region_codes=("330481107",))
    with acting_as(Actor(town.id, town.username)):
        registry_export.build_xlsx(town, VOL, Filters(status="active"))
        registry_export.build_csv(town, VOL, Filters(q="沈"))
    events = list(app_ctx.scalars(select(AuditEvent).where(AuditEvent.action == "export")
                                  .order_by(AuditEvent.id)))
    assert len(events) == 2
    xlsx, csv_ = events
    assert xlsx.user_id == town.id and xlsx.target_type == "volunteer_profile"
    assert xlsx.detail["format"] == "xlsx" and xlsx.detail["rows"] == 2
    assert xlsx.detail["filters"] == {"status": "active"}
    assert csv_.detail["format"] == "csv" and csv_.detail["rows"] == 1
    assert csv_.detail["filters"] == {"q": "沈"}
    assert "minors" not in xlsx.detail


def test_spring_bud_export_is_audited_as_minors(app_ctx, make_user, make_person):
    girl = make_person("小燕", birth=date(2015, 4, 2))
    app_ctx.add(SpringBudProfile(person=girl, school="盐官镇中心小学", grade="五年级",
                                 guardian_name="陈美华", guardian_relation="母亲",
                                 guardian_mobile="13955556666", guardian_consent=True))
    app_ctx.flush()
    coordinator = make_user("coordinator")
    rows = read_csv(registry_export.build_csv(coordinator, BY_KEY["spring_bud"], Filters()))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["监护人手机"] == "13955556666" and row["监护人已书面同意"] == "是"
    event = app_ctx.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
    assert event.detail["minors"] is True and event.detail["rows"] == 1
    assert event.detail["registry"] == "spring_bud"


def test_mentor_choices_and_numbers(app_ctx, make_user, make_person):
    person = make_person("沈丽华")
    app_ctx.add(MentorProfile(person=person, kind="skilled", specialty="茶叶种植",
                              industry="agriculture", capacity=2, availability="we_pm"))
    app_ctx.flush()
    admin = make_user("admin")
    rows = rows_of(registry_export.build_xlsx(admin, BY_KEY["mentor"], Filters()))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["类别"] == "女能手" and row["行业"] == "种养殖"
    assert row["可带徒人数"] == 2 and row["可指导时间"] == "周末下午"
