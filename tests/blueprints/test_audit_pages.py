"""The audit log page and its exports: admins only, filters, no detail values."""

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from matchmaker.models import AuditEvent
from matchmaker.services import audit_views


def _ev(session, **kw) -> AuditEvent:
    kw.setdefault("actor", "system")
    kw.setdefault("target_type", "person")
    kw.setdefault("detail", {})
    ev = AuditEvent(**kw)
    session.add(ev)
    session.flush()
    return ev


@pytest.mark.parametrize("role", ["coordinator", "volunteer"])
@pytest.mark.parametrize("url", ["/admin/audit", "/admin/audit/export.csv",
                                 "/admin/audit/export.xlsx"])
def test_non_admins_403(client, session, as_role, role, url):
    as_role(role)
    assert client.get(url).status_code == 403
    assert session.scalar(select(AuditEvent).where(AuditEvent.target_type
                                                   == "audit_event")) is None


def test_page_filters_by_person_and_never_shows_values(client, session, as_role,
                                                       make_applicant):
    her = make_applicant("沈小芳")
    other = make_applicant("许美丽", mobile="13957005678")
    _ev(session, action="reveal", target_id=her.person_id,
        detail={"field": "mobile", "secret_note": "13957001234"},
        at=datetime(2026, 11, 29, 15, 30, tzinfo=UTC))
    as_role("admin")
    html = client.get(f"/admin/audit?person={her.person_id}").get_data(as_text=True)
    assert f"volunteer_profile #{her.id}" in html and f"person #{her.person_id}" in html
    assert f"volunteer_profile #{other.id}" not in html
    assert "secret_note" in html and "13957001234" not in html
    assert "2026-11-29 23:30:00" in html  # local time
    assert f"/admin/audit/export.csv?person={her.person_id}" in html
    assert f"/admin/audit/export.xlsx?person={her.person_id}" in html
    assert "导出 CSV" in html and "导出 Excel" in html


def test_page_filters_by_user_action_and_period(client, session, as_role):
    admin = as_role("admin", username="boss1")
    hit = _ev(session, action="reveal", user_id=admin.id, actor="boss1", target_id=777001,
              at=datetime(2026, 11, 29, 15, 30, tzinfo=UTC))
    _ev(session, action="reveal", user_id=admin.id, actor="boss1", target_id=777002,
        at=datetime(2026, 11, 29, 16, 0, tzinfo=UTC))  # the 30th, locally
    _ev(session, action="view_minor", user_id=admin.id, actor="boss1", target_id=777003,
        at=datetime(2026, 11, 29, 15, 0, tzinfo=UTC))
    resp = client.get("/admin/audit?user=boss1&action=reveal&start=2026-11-29&end=2026-11-29")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert f"#{hit.target_id}" in html
    assert "#777002" not in html and "#777003" not in html
    assert "start=2026-11-29" in html and "user=boss1" in html


@pytest.mark.parametrize(("query", "message"), [
    ("start=2026-13-45", "日期格式应为"),
    ("end=abc", "日期格式应为"),
    ("start=2026-11-30&end=2026-11-01", "结束日期不能早于开始日期"),
    ("person=12x", "人员编号应为数字"),
    ("person=%EF%BC%91", "人员编号应为数字"),
    ("user=nobody-at-all", "没有用户名为"),
    ("action=drop", "没有这种操作"),
])
def test_bad_inputs_give_chinese_errors(client, as_role, query, message):
    as_role("admin")
    resp = client.get(f"/admin/audit?{query}")
    assert resp.status_code == 422
    assert message in resp.get_data(as_text=True)
    resp = client.get(f"/admin/audit/export.csv?{query}")
    assert resp.status_code == 422 and message in resp.get_data(as_text=True)


def test_csv_export_through_the_page_is_filtered_and_audited(client, session, as_role):
    admin = as_role("admin")
    keep = _ev(session, action="reveal", user_id=admin.id, actor="=cmd|calc",
               target_id=777010, detail={"field": "id_number"})
    _ev(session, action="view_minor", user_id=admin.id, target_id=777011)
    resp = client.get(f"/admin/audit/export.csv?action=reveal&user={admin.id}")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    assert resp.data.startswith(b"\xef\xbb\xbf") and b"\r\n" in resp.data
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"), newline="")))
    assert [r[0] for r in rows[1:]] == [str(keep.id)]
    assert rows[1][3] == "'=cmd|calc" and "id_number" not in rows[1]
    ev = session.scalar(select(AuditEvent).where(AuditEvent.target_type == "audit_event"))
    assert ev.action == "export" and ev.user_id == admin.id
    assert ev.detail["rows"] == 1
    assert ev.detail["filters"] == {"action": "reveal", "user": str(admin.id)}


def test_xlsx_export_through_the_page(client, session, as_role):
    as_role("admin")
    ids = {_ev(session, action="match_run", target_type="match_run", target_id=i).id
           for i in (1, 2)}
    resp = client.get("/admin/audit/export.xlsx?action=match_run")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(resp.data)).worksheets[0]
    assert {r[0] for r in ws.iter_rows(min_row=2, values_only=True)} == ids


def test_export_over_the_cap_is_refused_with_a_message(client, session, as_role,
                                                       monkeypatch):
    as_role("admin")
    for _ in range(3):
        _ev(session, action="import", target_type="person")
    monkeypatch.setattr(audit_views, "MAX_EXPORT_ROWS", 2)
    resp = client.get("/admin/audit/export.csv?action=import", follow_redirects=True)
    assert "超过导出上限" in resp.get_data(as_text=True)
    assert session.scalar(select(AuditEvent).where(AuditEvent.target_type
                                                   == "audit_event")) is None
