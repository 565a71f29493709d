"""Spring Bud rules through the pages: a donor's home page forgets a girl she
declined; a town's coordinator sees only her town's girls on a pledge; dates out of range
and the guardian's signing date are handled beside their fields."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from matchmaker.models import ConsentRecord, Donation, Pledge
from matchmaker.models.sponsorship import Sponsorship
from matchmaker.services import clock, sponsorships
from tests.conftest import csrf_token, login
from tests.sponsorship_fixtures import XUCUN_VILLAGE


def post(client, url: str, **data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client)})


def test_a_declined_girl_leaves_the_donors_home_page(app, client, session, world, make_user):
    donor, user = world.donor()
    pledge = world.pledge(donor)
    girl = world.girl("王小红")  # 桃园村, 盐官镇; called 小红
    coord = make_user("coordinator", region_codes=("330481",))
    with app.app_context():  # popping it ends the session: commit first
        sp_id = sponsorships.link(user=coord, pledge=pledge, student=girl).id
        session.commit()
    assert login(client, user).status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "小红" in home and "盐官镇" in home  # the proposal, before she decides

    assert post(client, f"/donor/students/{sp_id}/decline").status_code == 302
    assert session.get(Sponsorship, sp_id).status == "ended"
    home = client.get("/").get_data(as_text=True)
    assert "请确认结对的学生" not in home
    assert "小红" not in home and "盐官镇" not in home and "王小红" not in home
    assert "学生信息已隐藏" in home


def test_a_town_coordinator_sees_only_her_towns_girls_on_a_pledge(
        client, session, as_role, make_pledge, make_girl):
    mine, theirs = make_girl("李小花"), make_girl("许小梅", region=XUCUN_VILLAGE)
    # An older link made before link() checked the pledge's region.
    pledge = make_pledge(region="330481107", students=2, girls=[mine, theirs])
    pledge_id = pledge.id
    session.flush()
    as_role("coordinator", region_codes=("330481",))
    page = client.get(f"/sponsorship/pledges/{pledge_id}").get_data(as_text=True)
    assert "李小花" in page and "许小梅" in page
    post(client, "/logout")
    as_role("coordinator", region_codes=("330481107",))
    page = client.get(f"/sponsorship/pledges/{pledge_id}").get_data(as_text=True)
    assert "李小花" in page and "许小梅" not in page and "许巷村" not in page


def test_linking_a_girl_outside_the_pledges_region_is_refused_beside_the_field(
        client, session, as_role, make_pledge, make_girl):
    girl = make_girl("许小梅", region=XUCUN_VILLAGE)
    pledge = make_pledge(region="330481107")
    girl_id, pledge_id = girl.id, pledge.id
    session.flush()
    as_role("coordinator", region_codes=("330481",))
    resp = post(client, f"/spring-bud/girls/{girl_id}/link", pledge=str(pledge_id))
    assert resp.status_code == 422
    assert "这名学生不在这项捐助承诺的受理地区内" in resp.get_data(as_text=True)
    assert session.scalar(select(func.count(Sponsorship.id))) == 0


def _pledge_data(**over):
    data = {"region": "330481107", "amount": "1,000", "period": "term", "students": "1",
            "pref_region": "", "pref_grade": "", "starts_on": "2026-02-01", "ends_on": "",
            "note": ""}
    data.update(over)
    return data


def test_dates_out_of_range_are_refused_beside_their_fields(client, session, as_role,
                                                            make_donor):
    donor = make_donor("王爱心")
    donor_id = donor.id
    session.flush()
    as_role("coordinator", region_codes=("330481107",))
    far = (clock.today() + timedelta(days=6 * 366)).isoformat()
    for over, message in (({"starts_on": "1999-12-31"}, "日期不能早于 2000 年"),
                          ({"ends_on": far}, "日期不能晚于五年后"),
                          ({"amount": "1_000"}, "金额格式不正确")):
        resp = post(client, "/sponsorship/pledges/new", donor=str(donor_id),
                    **_pledge_data(**over))
        assert resp.status_code == 422, over
        assert message in resp.get_data(as_text=True), over
    assert session.scalar(select(func.count(Pledge.id))) == 0

    resp = post(client, "/sponsorship/donations/new", donor=str(donor_id), pledge="",
                region="330481107", amount="500", received_on="1999-12-31")
    assert resp.status_code == 422
    assert "日期不能早于 2000 年" in resp.get_data(as_text=True)
    assert session.scalar(select(func.count(Donation.id))) == 0


def test_the_consent_form_takes_the_signing_date(client, session, as_role, make_girl):
    girl = make_girl("李小花", consent=False)
    girl_id, person_id = girl.id, girl.person_id
    session.flush()
    as_role("coordinator", region_codes=("330481",))
    page = client.get(f"/spring-bud/girls/{girl_id}").get_data(as_text=True)
    assert "签署日期" in page
    data = {"given_by": "李建国", "relation": "父亲", "scope": "春蕾资助", "notice_shown": "y"}
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    for bad, message in ((tomorrow, "签署日期不能晚于今天"), ("1999-06-01", "不能早于 2000 年"),
                         ("上个月", "日期格式不正确")):
        resp = post(client, f"/spring-bud/girls/{girl_id}/consent", signed_on=bad, **data)
        assert resp.status_code == 422, bad
        assert message in resp.get_data(as_text=True), bad
    assert session.scalar(select(func.count(ConsentRecord.id))) == 0

    signed = clock.today() - timedelta(days=30)
    resp = post(client, f"/spring-bud/girls/{girl_id}/consent",
                signed_on=f"{signed.year}年{signed.month}月{signed.day}日", **data)
    assert resp.status_code == 302
    record = session.scalar(select(ConsentRecord).where(ConsentRecord.person_id == person_id))
    assert clock.to_local(record.given_at).date() == signed
    page = client.get(f"/spring-bud/girls/{girl_id}").get_data(as_text=True)
    assert signed.isoformat() in page


def test_signing_date_may_be_left_out(client, session, as_role, make_girl):
    girl = make_girl("李小花", consent=False)
    girl_id, person_id = girl.id, girl.person_id
    session.flush()
    as_role("coordinator", region_codes=("330481",))
    resp = post(client, f"/spring-bud/girls/{girl_id}/consent", given_by="李建国",
                relation="父亲", scope="春蕾资助", notice_shown="y", signed_on="")
    assert resp.status_code == 302
    record = session.scalar(select(ConsentRecord).where(ConsentRecord.person_id == person_id))
    assert clock.to_local(record.given_at).date() == clock.today()
