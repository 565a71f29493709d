"""The person page's personal-information rights: export (download, audited) and erase
(a preview with reasons, then a POST with a required reason). Out of scope → 404."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select

from matchmaker.models import AuditEvent, Person
from tests.conftest import csrf_token
from tests.services.test_personal_data import ID_NUMBER, NAME, build_life, scan


def test_buttons_export_and_erase(client, session, as_role, make_person, make_user):
    her = build_life(session, make_person, make_user)[0]
    pid = her.id
    session.flush()
    coord = as_role("coordinator", region_codes=("330481107",))
    page = client.get(f"/people/{pid}").get_data(as_text=True)
    assert "导出个人信息" in page and "删除 / 匿名化" in page

    resp = client.post(f"/people/{pid}/export-personal", data={"csrf_token": csrf_token(client)})
    assert resp.status_code == 200 and NAME not in resp.headers["Content-Disposition"]
    wb = load_workbook(BytesIO(resp.data))
    assert dict(wb["person"].iter_rows(values_only=True))["id_number"] == ID_NUMBER
    ev = session.scalar(select(AuditEvent).where(AuditEvent.action == "export",
                                                 AuditEvent.target_id == pid))
    assert ev.user_id == coord.id and ev.detail == {"subject_access": True}

    preview = client.get(f"/people/{pid}/erase")
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "财务档案" in text and "已删除人员#" in text
    # Her live pairing is shown as ended, and why the row is kept.
    assert "与他人的结对/资助记录须保留" in text and "本人申请删除个人信息" in text
    assert "<td>结束</td>" in text
    missing = client.post(f"/people/{pid}/erase", data={"csrf_token": csrf_token(client),
                                                         "reason": ""})
    assert missing.status_code == 422 and "删除依据" in missing.get_data(as_text=True)
    session.expire_all()
    assert session.get(Person, pid).name == NAME  # nothing done yet

    done = client.post(f"/people/{pid}/erase", data={"csrf_token": csrf_token(client),
                                                     "reason": "本人书面申请 2026-11-20"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/people/{pid}")
    session.expire_all()
    assert session.get(Person, pid).name == f"已删除人员#{pid}"
    assert scan([NAME, ID_NUMBER]) == []
    after = client.get(f"/people/{pid}").get_data(as_text=True)
    assert "删除 / 匿名化" not in after
    assert client.get(f"/people/{pid}/erase").status_code == 302  # already erased


def test_delete_path_redirects_to_people(client, session, as_role, make_person):
    her = make_person("严佳慧")
    pid = her.id
    session.flush()
    as_role("admin")
    resp = client.post(f"/people/{pid}/erase", data={"csrf_token": csrf_token(client),
                                                     "reason": "本人申请"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/people/")
    session.expire_all()
    assert session.get(Person, pid) is None


def test_out_of_scope_and_volunteers(client, session, as_role, make_person):
    her = make_person("严佳慧")  # in 盐官镇
    pid = her.id
    session.flush()
    as_role("coordinator", region_codes=("330481101",))
    token = csrf_token(client)
    assert client.post(f"/people/{pid}/export-personal",
                       data={"csrf_token": token}).status_code == 404
    assert client.get(f"/people/{pid}/erase").status_code == 404
    assert client.post(f"/people/{pid}/erase", data={"csrf_token": token,
                                                     "reason": "x"}).status_code == 404
    session.expire_all()
    assert session.get(Person, pid) is not None
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "export")) is None


def test_volunteer_cannot_reach_them(client, session, as_role, make_person):
    pid = make_person("严佳慧").id
    session.flush()
    as_role("volunteer")
    assert client.post(f"/people/{pid}/export-personal",
                       data={"csrf_token": csrf_token(client)}).status_code in (403, 404)
    assert client.get(f"/people/{pid}/erase").status_code in (403, 404)
