"""Registry export and template downloads: links on the list page, filters carried over,
scope, staff only, one audit event per download."""

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from matchmaker.models import AuditEvent, VolunteerProfile


@pytest.fixture
def two_towns(session, make_person):
    for name, region in (("沈丽华", "330481107201"), ("许美丽", "330481101201")):
        person = make_person(name, region=region)
        session.add(VolunteerProfile(person=person, team="家庭教育"))
    session.flush()


def test_list_page_links_carry_the_filters(client, as_role, two_towns):
    as_role("coordinator")
    html = client.get("/registry/volunteers/?q=%E6%B2%88&status=active").get_data(as_text=True)
    assert "/registry/volunteers/export.xlsx?" in html
    assert "/registry/volunteers/export.csv?" in html
    assert "q=%E6%B2%88" in html and "status=active" in html
    assert "/registry/volunteers/template.xlsx" in html
    assert "导出 Excel" in html and "下载导入模板" in html


def test_download_xlsx_with_filters_and_scope(client, session, as_role, two_towns):
    user = as_role("coordinator", region_codes=("330481107",))
    resp = client.get("/registry/volunteers/export.xlsx")
    assert resp.status_code == 200
    assert resp.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in resp.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(resp.data)).worksheets[0]
    assert [r[0].value for r in ws.iter_rows(min_row=2)] == ["沈丽华"]
    resp = client.get("/registry/volunteers/export.csv?region=330481101")
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"), newline="")))
    assert resp.status_code == 200 and resp.data.startswith(b"\xef\xbb\xbf")
    assert rows[1:] == []
    events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "export")
                                  .order_by(AuditEvent.id)))
    assert [(e.user_id, e.detail["format"], e.detail["rows"]) for e in events] == [
        (user.id, "xlsx", 1), (user.id, "csv", 0)]
    assert events[1].detail["filters"] == {"region": "330481101"}


def test_template_download(client, as_role):
    as_role("coordinator", region_codes=("330481101",))
    resp = client.get("/registry/mentors/template.xlsx")
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.data))
    assert wb.worksheets[0]["A1"].value == "姓名"
    assert [r[0].value for r in wb["地区"].iter_rows()] == ["许村镇", "许村镇 许巷村",
                                                          "许村镇 永福村"]


@pytest.mark.parametrize("path", ["/registry/volunteers/export.xlsx",
                                  "/registry/volunteers/export.csv",
                                  "/registry/volunteers/template.xlsx"])
def test_not_for_volunteers_or_donors(client, session, as_role, path):
    as_role("volunteer")
    assert client.get(path).status_code == 403
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "export")) is None


def test_unknown_registry_is_404(client, as_role):
    as_role("admin")
    assert client.get("/registry/nobody/export.csv").status_code == 404
    assert client.get("/registry/nobody/template.xlsx").status_code == 404
