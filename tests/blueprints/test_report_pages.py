"""The yearly report's pages: who may open them, what a town coordinator sees, a bad year,
the printable stylesheet, escaped town names in the charts, and the audited workbook."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from matchmaker.models import AuditEvent, Fund, Region
from matchmaker.services import clock
from tests.conftest import linked_css

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def funds(session, regions):
    """A fund of this year in each town."""
    year = clock.today().year  # the federation's zone, as the app's default
    for code, name, budget in (("330481107", "盐官镇巾帼贴息", 1_000_000),
                               ("330481101", "许村镇助学金", 2_345_600)):
        session.add(Fund(name=name, year=year, kind="other", region_id=regions[code].id,
                         budget_fen=budget, paid_fen=budget // 4))
    session.flush()
    return year


def test_city_coordinator_sees_every_town_and_the_charts(client, as_role, funds):
    as_role("coordinator")
    resp = client.get("/reports/year")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert f"{funds}年度工作报告" in html
    assert "盐官镇" in html and "许村镇" in html
    assert "盐官镇巾帼贴息" in html and "许村镇助学金" in html
    assert "33,456.00" in html  # the two budgets in yuan, in total
    assert html.count("<svg") == 3
    css = linked_css(client, html)
    assert "@media print" in css and "size: A4" in css
    assert "http://" not in html.split("<svg", 1)[1].replace(
        'xmlns="http://www.w3.org/2000/svg"', "")  # no outside resource in the charts


def test_town_coordinator_sees_only_her_town(client, as_role, funds):
    as_role("coordinator", region_codes=("330481107",))
    html = client.get(f"/reports/year?year={funds}").get_data(as_text=True)
    assert "盐官镇巾帼贴息" in html
    assert "许村镇" not in html and "许村镇助学金" not in html
    book = load_workbook(BytesIO(client.get(f"/reports/year.xlsx?year={funds}").data))
    cells = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert any("盐官镇" in c for c in cells) and not any("许村镇" in c for c in cells)


@pytest.mark.parametrize("bad", ["abc", "1850", "99999", "<script>", "2026%00", "²⁰²⁶"])
def test_a_bad_year_shows_the_current_year_and_says_why(client, as_role, funds, bad):
    as_role("coordinator")
    resp = client.get("/reports/year", query_string={"year": bad})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "年份不正确" in html and f"{funds}年度工作报告" in html
    assert "<script>" not in html
    resp = client.get("/reports/year.xlsx", query_string={"year": bad})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/reports/year")


def test_another_year(client, as_role, funds):
    as_role("admin")
    html = client.get(f"/reports/year?year={funds - 1}").get_data(as_text=True)
    assert f"{funds - 1}年度工作报告" in html and "盐官镇巾帼贴息" not in html


def test_a_town_named_script_is_escaped(client, as_role, session, regions, funds):
    city = regions["330481"]
    session.add(Region(code="330481199", name="<script>alert(1)</script>", level="town",
                       parent=city, path=city.path + "330481199/"))
    session.flush()
    as_role("coordinator")
    html = client.get("/reports/year").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("role", ["volunteer", "donor"])
def test_other_roles_are_refused(client, as_role, role):
    as_role(role)
    assert client.get("/reports/year").status_code == 403
    assert client.get("/reports/year.xlsx").status_code == 403


def test_anonymous_is_sent_to_log_in(client):
    resp = client.get("/reports/year")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_the_workbook_is_audited(client, as_role, session, funds):
    user = as_role("coordinator")
    before = session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "export", AuditEvent.target_type == "year_report"))
    resp = client.get(f"/reports/year.xlsx?year={funds}")
    assert resp.status_code == 200 and resp.mimetype == XLSX
    assert f"year-report-{funds}.xlsx" in resp.headers["Content-Disposition"]
    events = list(session.scalars(select(AuditEvent).where(
        AuditEvent.action == "export", AuditEvent.target_type == "year_report")))
    assert len(events) == before + 1 and events[-1].user_id == user.id
    book = load_workbook(BytesIO(resp.data))
    funds_sheet = book.worksheets[2]
    budgets = {r[0].value: r[3].value for r in funds_sheet.iter_rows(min_row=2)}
    assert budgets["盐官镇巾帼贴息"] == 10000 and budgets["许村镇助学金"] == pytest.approx(23456)
