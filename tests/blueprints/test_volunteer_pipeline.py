"""Coordinators review volunteer applicants in the browser: lists, review page, accept,
reject, pause, archive, reinstate, resend link, bulk accept; roles and region scope."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from matchmaker.models import (
    ConsentRecord,
    Notification,
    OneTimeToken,
    User,
    VolunteerProfile,
)
from matchmaker.models.base import utcnow
from tests.conftest import csrf_token


def post(client, url: str, **data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client)})


def test_list_shows_applicants_of_the_coordinators_town_only(client, as_role, make_applicant):
    make_applicant("盐官甲", mobile="13957000001")
    make_applicant("盐官乙", mobile="13957000002", status="active")
    make_applicant("许村丙", region="330481101201", mobile="13957000003")
    as_role("coordinator", region_codes=("330481107",))

    html = client.get("/volunteers/applicants").get_data(as_text=True)
    assert "盐官甲" in html and "许村丙" not in html and "盐官乙" not in html
    assert 'name="ids"' in html and "139****0001" in html and "13957000001" not in html
    for tab in ("申请中", "已录用", "暂停服务", "已归档"):
        assert tab in html
    active = client.get("/volunteers/applicants?status=active").get_data(as_text=True)
    assert "盐官乙" in active and "盐官甲" not in active and 'name="ids"' not in active
    assert "许村丙" not in client.get("/volunteers/applicants?town=330481101").get_data(
        as_text=True)


def test_town_filter_for_a_city_coordinator(client, as_role, make_applicant):
    make_applicant("盐官甲", mobile="13957000001")
    make_applicant("许村丙", region="330481101201", mobile="13957000003")
    as_role("coordinator")
    html = client.get("/volunteers/applicants?town=330481101").get_data(as_text=True)
    assert "许村丙" in html and "盐官甲" not in html


def test_review_page_shows_her_application_masked(client, session, as_role, make_applicant):
    profile = make_applicant()
    session.add(ConsentRecord(person_id=profile.person_id, purpose="volunteer",
                              notice_version="2026-11", channel="web", given_at=utcnow()))
    session.flush()
    as_role("coordinator")
    resp = client.get(f"/volunteers/{profile.id}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "139****1234" in html and "13957001234" not in html
    for text in ("盐官镇", "郭店村", "家庭教育、法律维权", "心理咨询", "周末上午", "工作日晚上",
                 "2026-11", "报名", "录用", "不予录用"):
        assert text in html, text


def test_accept_through_the_page_sends_a_link(client, session, as_role, make_applicant):
    profile = make_applicant()
    as_role("coordinator")
    resp = post(client, f"/volunteers/{profile.id}/accept")
    assert resp.status_code == 302
    assert session.get(VolunteerProfile, profile.id).status == "active"
    inapp, sms = session.execute(select(Notification.body, Notification.secret).where(
        Notification.person_id == profile.person_id).order_by(Notification.channel)).all()
    # The link goes by SMS only, kept apart from the text; her inbox never holds it.
    assert sms.secret.startswith("http://localhost/account/set-password/")
    assert inapp.secret is None and "set-password" not in inapp.body + sms.body
    assert "短信中的链接" in inapp.body
    again = post(client, f"/volunteers/{profile.id}/accept")
    assert "只能录用申请中的报名" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert session.scalar(select(func.count(User.id)).where(
        User.person_id == profile.person_id)) == 1


def test_reject_needs_a_reason(client, session, as_role, make_applicant):
    profile = make_applicant()
    as_role("coordinator")
    resp = post(client, f"/volunteers/{profile.id}/reject", reason="")
    assert resp.status_code == 422 and "不能为空" in resp.get_data(as_text=True)
    assert session.get(VolunteerProfile, profile.id).status == "pending"
    resp = post(client, f"/volunteers/{profile.id}/reject", reason="年龄不符合要求")
    assert resp.status_code == 302
    assert session.get(VolunteerProfile, profile.id).status == "archived"


def test_pause_archive_reinstate_and_resend(client, session, as_role, make_applicant):
    profile = make_applicant()
    as_role("coordinator")
    post(client, f"/volunteers/{profile.id}/accept")
    account_id = session.scalar(select(User.id).where(User.person_id == profile.person_id))

    post(client, f"/volunteers/{profile.id}/status", status="inactive")
    assert session.get(VolunteerProfile, profile.id).status == "inactive"
    post(client, f"/volunteers/{profile.id}/resend-link")
    tokens = session.scalars(select(OneTimeToken).where(
        OneTimeToken.user_id == account_id).order_by(OneTimeToken.id)).all()
    assert len(tokens) == 2 and tokens[0].used_at is not None and tokens[1].used_at is None

    post(client, f"/volunteers/{profile.id}/status", status="archived")
    assert session.get(VolunteerProfile, profile.id).status == "archived"
    assert session.get(User, account_id).active is False
    html = client.get(f"/volunteers/{profile.id}").get_data(as_text=True)
    assert "重新启用" in html and "重新发送设置密码链接" not in html

    post(client, f"/volunteers/{profile.id}/status", status="active")
    assert session.get(VolunteerProfile, profile.id).status == "active"
    assert session.get(User, account_id).active is True


def test_bulk_accept_reports_what_it_skipped(client, session, as_role, make_applicant):
    first = make_applicant("盐官甲", mobile="13957000001")
    already = make_applicant("盐官乙", mobile="13957000002", status="active")
    elsewhere = make_applicant("许村丙", region="330481101201", mobile="13957000003")
    as_role("coordinator", region_codes=("330481107",))
    resp = client.post("/volunteers/bulk-accept", data={
        "ids": [str(first.id), str(already.id), str(elsewhere.id)],
        "csrf_token": csrf_token(client)})
    assert resp.status_code == 302
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已录用 1 人" in html and "盐官乙" in html and f"编号 {elsewhere.id}" in html
    assert "许村丙" not in html
    assert session.get(VolunteerProfile, first.id).status == "active"
    assert session.get(VolunteerProfile, elsewhere.id).status == "pending"
    nothing = post(client, "/volunteers/bulk-accept")
    assert "请先勾选" in client.get(nothing.headers["Location"]).get_data(as_text=True)


ROUTES = [("GET", "/volunteers/applicants"), ("GET", "/volunteers/{id}"),
          ("POST", "/volunteers/{id}/accept"), ("POST", "/volunteers/{id}/reject"),
          ("POST", "/volunteers/{id}/status"), ("POST", "/volunteers/{id}/resend-link"),
          ("POST", "/volunteers/bulk-accept")]


@pytest.mark.parametrize(("method", "template"), ROUTES)
@pytest.mark.parametrize("role", ["anonymous", "volunteer", "donor"])
def test_only_staff_reach_the_pipeline(client, session, as_role, make_applicant, role,
                                       method, template):
    profile = make_applicant()
    if role != "anonymous":
        as_role(role)
    url = template.format(id=profile.id)
    if method == "GET":
        resp = client.get(url)
    else:
        resp = post(client, url, status="active", reason="x", ids=str(profile.id))
    if role == "anonymous":
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    else:
        assert resp.status_code == 403
    assert session.get(VolunteerProfile, profile.id).status == "pending"


@pytest.mark.parametrize(("method", "template"), [r for r in ROUTES if "{id}" in r[1]])
def test_town_coordinator_gets_404_for_another_towns_applicant(
        client, session, as_role, make_applicant, method, template):
    other = make_applicant("许村丙", region="330481101201")
    as_role("coordinator", region_codes=("330481107",))
    url = template.format(id=other.id)
    resp = client.get(url) if method == "GET" else post(client, url, status="archived",
                                                         reason="x")
    assert resp.status_code == 404
    assert session.get(VolunteerProfile, other.id).status == "pending"
    assert client.get("/volunteers/999999").status_code == 404


def test_home_counts_applicants_and_pending_hours_in_scope(client, session, as_role,
                                                           make_applicant):
    from datetime import date

    from matchmaker.models import ServiceHours

    make_applicant("盐官甲", mobile="13957000001")
    make_applicant("盐官乙", mobile="13957000002")
    make_applicant("许村丙", region="330481101201", mobile="13957000003")
    served = make_applicant("盐官丁", mobile="13957000004", status="active")
    session.add(ServiceHours(volunteer_id=served.id, served_on=date(2026, 11, 1), minutes=90,
                             status="pending"))
    session.flush()
    as_role("coordinator", region_codes=("330481107",))
    html = client.get("/").get_data(as_text=True)
    assert "志愿者报名待审核 2 人" in html and "服务时长待审核 1 条" in html


def test_home_counts_spring_bud_work_waiting_in_scope(client, session, as_role, make_girl,
                                                      make_donor):
    """Flagged girls, notes waiting for a second pair of eyes and letters to read — only
    in her town, and never her own draft."""
    from datetime import date

    from matchmaker.models import DonorLetter, ProgressNote

    here = make_girl("李小花", sponsor_lapsed_on=date(2026, 9, 1))
    there = make_girl("赵小梅", region="330481101201", sponsor_lapsed_on=date(2026, 9, 1))
    donor = make_donor()
    coordinator = as_role("coordinator", region_codes=("330481107",))
    session.add_all([
        ProgressNote(student_id=here.id, term="2026-autumn", body="成绩进步", status="draft"),
        ProgressNote(student_id=here.id, term="2026-spring", body="我写的", status="draft",
                     written_by=coordinator.id),
        ProgressNote(student_id=there.id, term="2026-autumn", body="外镇", status="draft"),
        DonorLetter(donor_id=donor.id, student_id=here.id, body="加油", status="pending"),
        DonorLetter(donor_id=donor.id, student_id=there.id, body="加油", status="pending"),
    ])
    session.flush()
    html = client.get("/").get_data(as_text=True)
    assert "需要新捐助人的学生 1 人" in html
    assert "成长记录待审核 1 条" in html and "捐助人来信待审阅 1 封" in html
