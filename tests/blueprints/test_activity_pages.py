"""Coordinators' activity pages: create, list, roster, cancel, and the hours queue."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from matchmaker.models import Activity, ActivitySignup, Notification, ServiceHours
from tests.conftest import csrf_token
from tests.volunteering import hours_row, signup_row


def post(client, url: str, **data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client)})


def form(**changes) -> dict:
    data = {"title": "防诈骗宣传进村", "service": "宣传", "team": "法律维权",
            "region": "330481107201", "place": "文化礼堂",
            "day": (date.today() + timedelta(days=14)).isoformat(), "start": "09:00",
            "end": "11:00", "slots": "3", "description": "带好宣传册"}
    data.update(changes)
    return data


@pytest.mark.parametrize("role", ["anonymous", "volunteer", "donor"])
def test_activity_pages_are_for_staff(client, as_role, role):
    if role != "anonymous":
        as_role(role)
    for url in ("/activities/", "/activities/new", "/activities/hours"):
        resp = client.get(url)
        assert resp.status_code == (302 if role == "anonymous" else 403), url
        if role == "anonymous":
            assert "/login" in resp.headers["Location"]


def test_coordinator_publishes_an_activity(client, session, as_role):
    as_role("coordinator", region_codes=("330481107",))
    page = client.get("/activities/new").get_data(as_text=True)
    assert "郭店村" in page and "许巷村" not in page  # only her town's places
    resp = post(client, "/activities/new", **form())
    assert resp.status_code == 302, resp.get_data(as_text=True)
    a = session.scalar(select(Activity))
    assert (a.title, a.slots, a.filled, a.team) == ("防诈骗宣传进村", 3, 0, "法律维权")
    html = client.get("/activities/").get_data(as_text=True)
    assert "防诈骗宣传进村" in html and "0/3" in html
    detail = client.get(f"/activities/{a.id}").get_data(as_text=True)
    assert "09:00–11:00" in detail


@pytest.mark.parametrize(("changes", "message"), [
    ({"end": "08:00"}, "结束时间应晚于开始时间"),
    ({"region": "330481101201"}, "不在您负责的范围内"),
    ({"slots": "0"}, "名额应在 1 到 1000 之间"),
    ({"title": ""}, "活动名称不能为空"),
])
def test_bad_activity_form_is_explained(client, session, as_role, changes, message):
    as_role("coordinator", region_codes=("330481107",))
    resp = post(client, "/activities/new", **form(**changes))
    assert resp.status_code == 422
    assert message in resp.get_data(as_text=True)
    assert session.scalar(select(func.count(Activity.id))) == 0


def test_roster_confirmed_then_waitlist_with_masked_mobiles(client, session, as_role,
                                                            make_volunteer, make_activity):
    a = make_activity(slots=1)
    first, second, third = (make_volunteer(n) for n in ("第一人", "第二人", "第三人"))
    signup_row(session, first, a)
    for v in (second, third):
        signup_row(session, v, a, status="waitlisted")
    as_role("coordinator")
    html = client.get(f"/activities/{a.id}").get_data(as_text=True)
    assert html.index("第一人") < html.index("第二人") < html.index("第三人")
    assert "候补1" in html and "候补2" in html
    for v in (first, second, third):
        assert v.person.mobile not in html and v.person.mobile[-4:] in html


def test_lowering_slots_below_signups_is_refused(client, session, as_role, make_volunteer,
                                                 make_activity):
    a = make_activity(slots=2)
    for n in ("甲", "乙"):
        signup_row(session, make_volunteer(n), a)
    as_role("coordinator")
    resp = post(client, f"/activities/{a.id}/edit", **form(slots="1"))
    assert resp.status_code == 422
    assert "名额不能少于已报名人数" in resp.get_data(as_text=True)
    session.expire_all()
    assert session.get(Activity, a.id).slots == 2


def test_cancelling_an_activity_tells_every_volunteer(client, session, as_role,
                                                      make_volunteer, make_activity):
    a = make_activity(slots=1)
    vs = [make_volunteer(n) for n in ("甲", "乙")]
    signup_row(session, vs[0], a)
    signup_row(session, vs[1], a, status="waitlisted")
    as_role("coordinator")
    assert post(client, f"/activities/{a.id}/cancel").status_code == 302
    session.expire_all()
    assert session.get(Activity, a.id).status == "cancelled"
    assert set(session.scalars(select(ActivitySignup.status))) == {"cancelled"}
    told = set(session.scalars(select(Notification.person_id).where(
        Notification.channel == "inapp")))
    assert told == {v.person_id for v in vs}


def test_town_coordinator_cannot_reach_another_towns_activity(client, session, as_role,
                                                              make_activity):
    theirs = make_activity("许村活动", region="330481101201")
    as_role("coordinator", region_codes=("330481107",))
    assert "许村活动" not in client.get("/activities/").get_data(as_text=True)
    assert client.get(f"/activities/{theirs.id}").status_code == 404
    assert client.get(f"/activities/{theirs.id}/edit").status_code == 404
    assert post(client, f"/activities/{theirs.id}/cancel").status_code == 404
    assert session.get(Activity, theirs.id).status == "open"


def test_hours_queue_bulk_approve_and_reject(client, session, as_role, make_volunteer):
    v = make_volunteer("陈晓燕", region="330481107201")
    yesterday = date.today() - timedelta(days=1)
    e1, e2, e3 = (hours_row(session, v, yesterday, m) for m in (60, 90, 120))
    as_role("coordinator", region_codes=("330481107",))
    html = client.get("/activities/hours").get_data(as_text=True)
    assert "陈晓燕" in html and "1.5" in html
    assert client.post("/activities/hours/approve", data={
        "hours_id": [str(e1.id), str(e2.id)], "csrf_token": csrf_token(client)}).status_code == 302
    resp = post(client, f"/activities/hours/{e3.id}/reject", reason="")
    assert resp.status_code == 302
    session.expire_all()
    assert session.get(ServiceHours, e3.id).status == "pending"  # a reason is required
    post(client, f"/activities/hours/{e3.id}/reject", reason="没有签到记录")
    session.expire_all()
    assert [session.get(ServiceHours, e.id).status for e in (e1, e2, e3)] == \
        ["approved", "approved", "rejected"]
    assert session.get(ServiceHours, e3.id).reject_reason == "没有签到记录"
    assert "没有待审核" in client.get("/activities/hours").get_data(as_text=True)


def test_out_of_scope_coordinator_gets_404_on_hours(client, session, as_role, make_volunteer):
    v = make_volunteer("盐官甲某", region="330481107201")
    entry = hours_row(session, v, date.today() - timedelta(days=1), 60)
    as_role("coordinator", region_codes=("330481101",))
    assert "盐官甲某" not in client.get("/activities/hours").get_data(as_text=True)
    assert post(client, f"/activities/hours/{entry.id}/approve").status_code == 404
    assert post(client, f"/activities/hours/{entry.id}/reject", reason="不符").status_code == 404
    client.post("/activities/hours/approve", data={"hours_id": [str(entry.id)],
                                                   "csrf_token": csrf_token(client)})
    session.expire_all()
    assert session.get(ServiceHours, entry.id).status == "pending"
