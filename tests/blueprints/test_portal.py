"""The volunteer portal: her own data only, sign-ups, hours, certificate, consent."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from matchmaker.models import (
    ActivitySignup,
    ConsentRecord,
    Notification,
    ServiceHours,
    VolunteerProfile,
)
from matchmaker.models.base import utcnow
from tests.conftest import csrf_token, linked_css
from tests.volunteering import hours_row, signup_row, started_activity


def post(client, url: str, **data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client)})


def test_portal_is_for_volunteers_only(client, as_role):
    assert client.get("/me").status_code == 302
    as_role("coordinator")
    for url in ("/me", "/me/activities", "/me/hours", "/me/certificate"):
        assert client.get(url).status_code == 403, url


def test_home_shows_her_profile_masked(client, session, me):
    v = me()
    html = client.get("/me").get_data(as_text=True)
    assert "陈晓燕" in html and "盐官镇 郭店村" in html
    assert v.person.mobile not in html and v.person.mobile[-4:] in html
    assert "撤回同意" in html and "没有有效的同意记录" in html


def test_another_volunteers_ids_are_404_everywhere(client, session, me, make_volunteer,
                                                   make_activity):
    me()
    other = make_volunteer("别人")
    a = make_activity()
    theirs = signup_row(session, other, a)
    their_hours = hours_row(session, other, date.today() - timedelta(days=1), 60)
    assert post(client, f"/me/signups/{theirs.id}/cancel").status_code == 404
    assert post(client, f"/me/hours/{their_hours.id}/withdraw").status_code == 404
    assert post(client, "/me/signups/999999/cancel").status_code == 404
    assert post(client, "/me/hours/999999/withdraw").status_code == 404
    assert post(client, "/me/activities/999999/signup").status_code == 404
    assert session.get(ActivitySignup, theirs.id).status == "confirmed"
    assert session.get(ServiceHours, their_hours.id) is not None
    # Her lists show none of the other volunteer's records.
    assert "别人" not in client.get("/me/activities").get_data(as_text=True)


def test_activity_elsewhere_is_404(client, session, me, make_activity):
    from matchmaker.models import Region

    session.add(Region(code="330402", name="南湖区", level="county", path="330402/"))
    session.flush()
    far = make_activity("外地活动", region="330402")
    me()
    assert "外地活动" not in client.get("/me/activities").get_data(as_text=True)
    assert post(client, f"/me/activities/{far.id}/signup").status_code == 404


def test_sign_up_waitlist_and_cancel_through_the_portal(client, session, me, make_volunteer,
                                                        make_activity):
    a = make_activity("助老送餐", slots=1)
    first = make_volunteer("先报名")
    signup_row(session, first, a)
    v = me()
    html = client.get("/me/activities").get_data(as_text=True)
    assert "助老送餐" in html and "候补报名" in html
    resp = post(client, f"/me/activities/{a.id}/signup")
    assert resp.status_code == 302
    html = client.get("/me/activities").get_data(as_text=True)
    assert "候补" in html and "第 1 位" in html
    mine = session.scalar(select(ActivitySignup).where(ActivitySignup.volunteer_id == v.id))
    assert mine.status == "waitlisted"
    assert post(client, f"/me/signups/{mine.id}/cancel").status_code == 302
    session.expire_all()
    assert session.get(ActivitySignup, mine.id).status == "cancelled"


def test_a_clash_is_explained_in_chinese(client, session, me, make_activity):
    v = me()
    a = make_activity("上午活动")
    b = make_activity("同时活动")
    signup_row(session, v, a)
    html = client.post(f"/me/activities/{b.id}/signup", data={
        "csrf_token": csrf_token(client)}, follow_redirects=True).get_data(as_text=True)
    assert "上午活动" in html and "时间冲突" in html


@pytest.mark.parametrize("status", ["pending", "inactive", "archived"])
def test_a_volunteer_not_accepted_sees_the_portal_but_cannot_sign_up(client, session, me,
                                                                     make_activity, status):
    a = make_activity("可报名活动")
    v = me(status=status)
    html = client.get("/me/activities").get_data(as_text=True)
    assert "可报名活动" in html and "暂不能报名" in html
    html = client.post(f"/me/activities/{a.id}/signup", data={
        "csrf_token": csrf_token(client)}, follow_redirects=True).get_data(as_text=True)
    assert "暂不能报名" in html
    assert session.scalar(select(ActivitySignup).where(ActivitySignup.volunteer_id == v.id)) \
        is None


def test_log_hours_through_the_portal(client, session, me):
    v = me()
    served = date.today() - timedelta(days=1)
    resp = post(client, "/me/hours", served_on=served.isoformat(), hours="2.5", activity="",
                description="陪伴老人")
    assert resp.status_code == 302
    entry = session.scalar(select(ServiceHours).where(ServiceHours.volunteer_id == v.id))
    assert (entry.minutes, entry.status) == (150, "pending")
    assert "待审核" in client.get("/me/hours").get_data(as_text=True)
    resp = post(client, "/me/hours", served_on=(date.today() + timedelta(days=3)).isoformat(),
                hours="30", activity="")
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "服务日期不能晚于今天" in html


def test_hours_for_an_activity_offered_in_the_form(client, session, me, make_activity):
    v = me()
    a = started_activity(make_activity, title="已开始的活动")
    signup_row(session, v, a)
    html = client.get("/me/hours").get_data(as_text=True)
    assert "已开始的活动" in html
    from matchmaker.services.clock import as_utc

    day = (as_utc(a.starts_at) + timedelta(hours=8)).date().isoformat()
    resp = post(client, "/me/hours", served_on=day, hours="2", activity=str(a.id))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert session.scalar(select(ServiceHours.activity_id).where(
        ServiceHours.volunteer_id == v.id)) == a.id


def test_certificate_shows_only_approved_hours(client, session, me):
    v = me()
    year = date.today().year - 1
    hours_row(session, v, date(year, 3, 8), 150, "approved")
    hours_row(session, v, date(year, 5, 1), 90, "approved")
    hours_row(session, v, date(year, 6, 1), 600, "pending")
    hours_row(session, v, date(year, 7, 1), 480, "rejected")
    hours_row(session, v, date(year - 1, 7, 1), 300, "approved")
    html = client.get(f"/me/certificate?year={year}").get_data(as_text=True)
    assert "志愿服务证明" in html and "陈晓燕" in html and "海宁市妇联" in html
    assert "共计 4.0 小时" in html
    assert f"{year}-03-08" in html and f"{year}-05-01" in html
    assert f"{year}-06-01" not in html and f"{year}-07-01" not in html
    css = linked_css(client, html)
    assert "@media print" in css and "A4" in css
    assert v.person.mobile not in html


def test_profile_edit_changes_only_teams_skills_availability(client, session, me):
    v = me()
    resp = post(client, "/me/profile", teams=["家庭教育", "法律维权"], skills="心理咨询",
                availability=["we_am", "wd_ev"])
    assert resp.status_code == 302
    session.expire_all()
    v = session.get(VolunteerProfile, v.id)
    assert (v.teams, v.team, v.skills, v.availability) == (
        "家庭教育,法律维权", "家庭教育", "心理咨询", "wd_ev,we_am")
    resp = post(client, "/me/profile", skills="x")
    assert resp.status_code == 422 and "请至少选择一个服务队" in resp.get_data(as_text=True)


def test_withdrawing_consent_makes_her_inactive_and_frees_her_places(
        client, session, me, make_volunteer, make_activity):
    v = me()
    session.add(ConsentRecord(person_id=v.person_id, purpose="volunteer",
                              notice_version="2026-11", channel="web", given_at=utcnow()))
    a = make_activity("满员活动", slots=1)
    mine = signup_row(session, v, a)
    waiting_v = make_volunteer("候补者")
    waiting = ActivitySignup(activity_id=a.id, volunteer_id=waiting_v.id, status="waitlisted",
                             queued_at=utcnow())
    session.add(waiting)
    session.flush()
    assert "版本 2026-11" in client.get("/me").get_data(as_text=True)
    page = client.get("/me/consent/withdraw").get_data(as_text=True)
    assert "满员活动" in page and "暂停服务" in page
    assert post(client, "/me/consent/withdraw").status_code == 302
    session.expire_all()
    assert session.get(VolunteerProfile, v.id).status == "inactive"
    assert session.get(ActivitySignup, mine.id).status == "cancelled"
    assert session.get(ActivitySignup, waiting.id).status == "confirmed"
    assert session.scalar(select(ConsentRecord.withdrawn_at).where(
        ConsentRecord.person_id == v.person_id)) is not None
    assert session.scalar(select(Notification).where(
        Notification.person_id == waiting_v.person_id)) is not None
    assert "暂不能报名" in client.get("/me").get_data(as_text=True)


def test_home_page_links_to_the_portal_and_shows_her_next_activity(client, session, me,
                                                                   make_activity):
    v = me()
    signup_row(session, v, make_activity("下周助老活动"))
    html = client.get("/").get_data(as_text=True)
    assert "/me/activities" in html and "下周助老活动" in html
