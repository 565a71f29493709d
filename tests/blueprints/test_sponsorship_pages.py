"""The coordinators' Spring Bud money pages: pledges, donations and receipts, term
payments, girls waiting for a new sponsor — with Chinese errors, scope (another town's
records are 404) and the lapse-pledges command."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from matchmaker.models import Donation, Fund, Pledge, SpringBudProfile
from matchmaker.models.sponsorship import Sponsorship, SponsorshipPayment
from tests.conftest import csrf_token

YANGUAN, XUCUN = ("330481107",), ("330481101",)


def _pledge_data(client, **over):
    data = {"csrf_token": csrf_token(client), "region": "330481107", "amount": "1,000",
            "period": "term", "students": "2", "pref_region": "", "pref_grade": "五年级",
            "starts_on": "2026-02-01", "ends_on": "", "note": ""}
    data.update(over)
    return data


def test_pledge_form_errors_in_chinese_then_saved(client, session, as_role, make_donor):
    donor = make_donor("王爱心")
    session.flush()
    as_role("coordinator", region_codes=YANGUAN)
    page = client.get("/sponsorship/pledges/new").get_data(as_text=True)
    assert "王爱心" in page and "每名学员的资助金额（元）" in page

    bad = client.post("/sponsorship/pledges/new", data=_pledge_data(
        client, donor=str(donor.id), amount="一千", students="0", starts_on="明天",
        ends_on="2026-13-40"))
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "资助人数应在 1 到 100 之间" in html
    assert "日期格式不正确" in html and "日期 2026-13-40 不存在" in html
    bad = client.post("/sponsorship/pledges/new", data=_pledge_data(
        client, donor=str(donor.id), amount="一千"))
    assert bad.status_code == 422 and "金额格式不正确" in bad.get_data(as_text=True)
    bad = client.post("/sponsorship/pledges/new", data=_pledge_data(
        client, donor=str(donor.id), ends_on="2026-01-01"))
    assert "结束日期不能早于开始日期" in bad.get_data(as_text=True)
    assert session.scalar(select(func.count(Pledge.id))) == 0

    ok = client.post("/sponsorship/pledges/new", data=_pledge_data(
        client, donor=str(donor.id), amount="1,000.50", greatest_need="y"))
    assert ok.status_code == 302
    pledge = session.scalar(select(Pledge))
    assert (pledge.amount_fen, pledge.students, pledge.greatest_need) == (100050, 2, True)
    listing = client.get("/sponsorship/").get_data(as_text=True)
    assert "王爱心" in listing and "1,000.50" in listing and "0 / 2" in listing

    edit = client.post(f"/sponsorship/pledges/{pledge.id}/edit",
                       data=_pledge_data(client, amount="800", period="year"))
    assert edit.status_code == 302, edit.get_data(as_text=True)
    session.expire_all()
    pledge = session.get(Pledge, pledge.id)
    assert (pledge.amount_fen, pledge.period) == (80000, "year")


def test_donation_receipt_and_lists(client, session, as_role, make_donor, make_pledge):
    donor = make_donor("王爱心", display_name="王女士")
    pledge = make_pledge(donor)
    session.flush()
    pledge_id = pledge.id
    as_role("coordinator", region_codes=YANGUAN)
    form = client.get(f"/sponsorship/donations/new?pledge_id={pledge_id}")
    assert form.status_code == 200 and f'selected value="{pledge_id}"' in \
        form.get_data(as_text=True)
    bad = client.post("/sponsorship/donations/new", data={
        "csrf_token": csrf_token(client), "donor": str(donor.id), "pledge": str(pledge_id),
        "region": "", "amount": "0", "received_on": "2026-03-01"})
    assert bad.status_code == 422 and "金额必须大于 0" in bad.get_data(as_text=True)
    later = (date.today() + timedelta(days=3)).isoformat()
    bad = client.post("/sponsorship/donations/new", data={
        "csrf_token": csrf_token(client), "donor": str(donor.id), "pledge": str(pledge_id),
        "region": "", "amount": "100", "received_on": later})
    assert "收款日期不能晚于今天" in bad.get_data(as_text=True)

    ok = client.post("/sponsorship/donations/new", data={
        "csrf_token": csrf_token(client), "donor": str(donor.id), "pledge": str(pledge_id),
        "region": "", "amount": "1,234.50", "received_on": "2026-03-01"})
    assert ok.status_code == 302
    donation = session.scalar(select(Donation))
    assert ok.headers["Location"].endswith(f"/sponsorship/donations/{donation.id}/receipt")
    assert (donation.amount_fen, donation.reserve_fen) == (123450, 12345)
    receipt = client.get(f"/sponsorship/donations/{donation.id}/receipt").get_data(as_text=True)
    for text in ("捐赠收据", "CL2026-000001", "王女士", "1,234.50", "壹仟贰佰叁拾肆元伍角整",
                 "海宁市盐官镇妇女联合会", "123.45"):
        assert text in receipt, text
    assert "CL2026-000001" in client.get("/sponsorship/donations/").get_data(as_text=True)
    assert "CL2026-000001" in client.get(f"/sponsorship/pledges/{pledge_id}").get_data(
        as_text=True)
    budgets = dict(session.execute(select(Fund.name, Fund.budget_fen)).all())
    assert budgets == {"2026 春蕾结对助学（捐助）": 111105, "2026 春蕾续助储备金": 12345}


def test_another_towns_coordinator_gets_404(client, session, as_role, make_user, make_donor,
                                            make_pledge, make_girl):
    from matchmaker.services import donations

    admin = make_user("admin")
    donor = make_donor()
    pledge = make_pledge(donor, girls=[make_girl()])
    with client.application.app_context():  # popped before any request (see conftest)
        donation = donations.record_donation(user=admin, donor=donor, amount="100",
                                           received_on=date(2026, 3, 1), pledge=pledge)
        ids = (pledge.id, donation.id, donor.id)
        session.commit()
    as_role("coordinator", region_codes=XUCUN)
    p, d, donor_id = ids
    for url in (f"/sponsorship/pledges/{p}", f"/sponsorship/pledges/{p}/edit",
                f"/sponsorship/donations/{d}/receipt",
                f"/sponsorship/donations/new?pledge_id={p}"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/sponsorship/pledges/{p}/end",
                       data={"csrf_token": csrf_token(client)}).status_code == 404
    listing = client.get("/sponsorship/").get_data(as_text=True)
    assert f"/sponsorship/pledges/{p}\"" not in listing
    assert "CL2026" not in client.get("/sponsorship/donations/").get_data(as_text=True)
    # Her donor list does not offer the other town's donor either.
    new = client.get("/sponsorship/pledges/new").get_data(as_text=True)
    assert "王爱心" not in new and f'<option value="{donor_id}">' not in new
    assert session.get(Pledge, p).status == "active"


@pytest.mark.parametrize("role", ["volunteer", "donor"])
def test_other_roles_are_refused(client, as_role, role):
    as_role(role)
    for url in ("/sponsorship/", "/sponsorship/donations/", "/sponsorship/terms",
                "/sponsorship/waiting"):
        assert client.get(url).status_code == 403, url


def test_term_preview_then_pay_once(client, session, as_role, make_donor, make_pledge,
                                    make_girl, make_user):
    from matchmaker.services import donations

    donor = make_donor()
    girl = make_girl("李小花")
    pledge = make_pledge(donor, amount_fen=100000, girls=[girl])
    with client.application.app_context():  # popped before any request (see conftest)
        donations.record_donation(user=make_user("admin"), donor=donor, amount="5000",
                                received_on=date(2026, 3, 1), pledge=pledge)
        girl_id = girl.id
        session.commit()
    as_role("coordinator", region_codes=YANGUAN)
    page = client.get("/sponsorship/terms").get_data(as_text=True)
    assert 'name="year"' in page and "确认发放" not in page
    bad = client.get("/sponsorship/terms?year=abc&half=spring").get_data(as_text=True)
    assert "确认发放" not in bad
    preview = client.get("/sponsorship/terms?year=2026&half=spring&region=")
    html = preview.get_data(as_text=True)
    assert "李小花" in html and "待发放" in html and "1,000.00" in html and "确认发放" in html
    assert 'name="term" value="2026-spring"' in html
    assert session.scalar(select(func.count(SponsorshipPayment.id))) == 0

    data = {"csrf_token": csrf_token(client), "term": "2026-spring", "region": ""}
    paid = client.post("/sponsorship/terms", data=data)
    assert paid.status_code == 200
    assert "由捐助人捐款发放 1 人" in paid.get_data(as_text=True)
    again = client.post("/sponsorship/terms", data=data).get_data(as_text=True)
    assert "由捐助人捐款发放 0 人" in again and "此前已发放 1 人" in again
    payment = session.scalar(select(SponsorshipPayment))
    assert (payment.student_id, payment.source) == (girl_id, "pledge")
    assert session.scalar(select(func.count(SponsorshipPayment.id))) == 1

    bad_term = client.post("/sponsorship/terms", data={**data, "term": "2026-summer"})
    assert bad_term.status_code == 302


def test_list_lapses_due_pledges_and_waiting_page(client, session, as_role, make_pledge,
                                                  make_girl):
    girl = make_girl("李小花")
    pledge = make_pledge(ends_on=date.today() - timedelta(days=1), girls=[girl])
    session.flush()
    ids = (pledge.id, girl.id)
    as_role("coordinator", region_codes=YANGUAN)
    assert client.get("/sponsorship/waiting").status_code == 200
    listing = client.get("/sponsorship/?status=lapsed").get_data(as_text=True)
    assert f"#{ids[0]}" in listing and "已中断" in listing
    session.expire_all()
    assert session.get(Pledge, ids[0]).status == "lapsed"
    assert session.get(SpringBudProfile, ids[1]).sponsor_lapsed_on == date.today()
    waiting = client.get("/sponsorship/waiting").get_data(as_text=True)
    assert "李小花" in waiting and "0 天" in waiting
    assert "李小花" not in client.get("/sponsorship/?status=active").get_data(as_text=True)


def test_end_pledge_from_its_page(client, session, as_role, make_pledge, make_girl):
    girl = make_girl("李小花")
    pledge = make_pledge(girls=[girl])
    session.flush()
    ids = (pledge.id, girl.id)
    as_role("coordinator", region_codes=YANGUAN)
    page = client.get(f"/sponsorship/pledges/{ids[0]}").get_data(as_text=True)
    assert "李小花" in page and "资助中" in page and "1 / 1" not in page
    resp = client.post(f"/sponsorship/pledges/{ids[0]}/end",
                       data={"csrf_token": csrf_token(client)})
    assert resp.status_code == 302
    session.expire_all()
    s = session.scalar(select(Sponsorship).where(Sponsorship.student_id == ids[1]))
    assert (s.status, s.end_reason) == ("ended", "捐助人承诺结束")
    assert session.get(Pledge, ids[0]).status == "ended"
    assert "捐助人承诺结束" in client.get(f"/sponsorship/pledges/{ids[0]}").get_data(
        as_text=True)


def test_lapse_pledges_command(app, session, make_pledge, make_girl):
    girl = make_girl("李小花")
    pledge = make_pledge(ends_on=date(2026, 6, 30), girls=[girl])
    session.flush()
    runner = app.test_cli_runner()
    early = runner.invoke(args=["lapse-pledges", "--today", "2026-06-30"])
    assert early.exit_code == 0 and "已中断 0 项" in early.output
    out = runner.invoke(args=["lapse-pledges", "--today", "2026-07-01"])
    assert out.exit_code == 0, out.output
    assert "已中断 1 项" in out.output and f"#{pledge.id}" in out.output
    assert "李小花" not in out.output
    session.expire_all()
    assert session.get(Pledge, pledge.id).status == "lapsed"
    bad = runner.invoke(args=["lapse-pledges", "--today", "7/1"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output


def test_ids_in_page_links_not_names(client, session, as_role, make_pledge, make_girl):
    """A girl's name never appears in a URL on these pages."""
    make_pledge(girls=[make_girl("李小花")])
    session.flush()
    as_role("coordinator", region_codes=YANGUAN)
    for url in ("/sponsorship/", "/sponsorship/waiting",
                "/sponsorship/terms?year=2026&half=spring"):
        html = client.get(url).get_data(as_text=True)
        assert not any("李小花" in h for h in re.findall(r'href="([^"]*)"', html)), url


def test_an_expired_hold_is_not_counted_on_the_pledge_pages(client, session, as_role,
                                                            make_pledge, make_girl):
    from matchmaker.models.base import utcnow

    sponsored, held = make_girl("李小花"), make_girl("张小草")
    pledge = make_pledge(students=2, girls=[sponsored])
    session.add(Sponsorship(pledge_id=pledge.id, student_id=held.id, status="held",
                            hold_expires_at=utcnow() - timedelta(hours=1)))
    session.flush()
    pledge_id = pledge.id
    as_role("coordinator", region_codes=YANGUAN)
    page = client.get(f"/sponsorship/pledges/{pledge_id}").get_data(as_text=True)
    assert "已结对 1 / 承诺 2 名" in page and "确认期限已过" in page
    assert "1 / 2" in client.get("/sponsorship/").get_data(as_text=True)
    # Down to one girl: the expired hold does not stand in the way.
    edit = client.post(f"/sponsorship/pledges/{pledge_id}/edit", data=_pledge_data(
        client, students="1"))
    assert edit.status_code == 302, edit.get_data(as_text=True)
    session.expire_all()
    assert session.get(Pledge, pledge_id).students == 1
