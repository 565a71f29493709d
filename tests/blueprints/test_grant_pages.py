"""Grant funds in the browser's terms: trial, approve, pay once, export; scope and roles."""

import re
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from matchmaker.models import Award, Disbursement, Fund
from matchmaker.services import funds
from tests.conftest import csrf_token


@pytest.fixture
def city_fund(app, session, make_person, make_user):
    """Built in its own app context (not app_ctx: requests need their own ``g``)."""
    from datetime import date

    from matchmaker.models import MenteeProfile

    with app.app_context():
        admin = make_user("admin")
        people = []
        for i, village in enumerate(["330481107201", "330481107202", "330481101201",
                                     "330481101202"]):
            p = make_person(f"母亲{i}", region=village, birth=date(1985, 1, 1 + i))
            session.add(MenteeProfile(person=p, kind="poor_mother", needs="养殖",
                                      industry="agriculture", hardship=3))
            people.append(p)
        session.flush()
        fund = funds.create_fund(user=admin, data=funds.FundInput(
            name="贫困母亲帮扶", year=2026, kind="material_aid", region_code="330481",
            budget="6000", rule="standard", standard="3000"))
        for p, h in zip(people, (5, 4, 2, 1), strict=True):
            funds.submit_application(user=admin, fund=fund, data=funds.ApplicationInput(
                person_id=p.id, hardship=h, plan_score=2))
        session.commit()
        return fund.id


def test_trial_approve_pay_once_and_export(client, session, as_role, city_fund):
    as_role("coordinator")
    assert "贫困母亲帮扶" in client.get("/funds/").get_data(as_text=True)
    client.post(f"/funds/{city_fund}/trials", data={"csrf_token": csrf_token(client),
                                                    "policy": "optimal"})
    page = client.get(f"/funds/{city_fund}").get_data(as_text=True)
    assert "已资助" in page and "预算不足" in page
    run_id = int(re.search(r"/funds/trials/(\d+)/approve", page)[1])
    client.post(f"/funds/trials/{run_id}/approve", data={"csrf_token": csrf_token(client)})
    assert session.scalar(select(func.count(Award.id))) == 2
    assert session.get(Fund, city_fund).reserved_fen == 600000

    award = session.scalar(select(Award).order_by(Award.id))
    form = client.get(f"/funds/awards/{award.id}/pay").get_data(as_text=True)
    key = re.search(r'name="key" value="([0-9a-f]+)"', form)[1]
    data = {"csrf_token": csrf_token(client), "key": key, "amount": "1,000.50"}
    assert client.post(f"/funds/awards/{award.id}/pay", data=data).status_code == 302
    assert client.post(f"/funds/awards/{award.id}/pay", data=data).status_code == 302
    assert session.scalar(select(func.count(Disbursement.id))) == 1
    assert session.get(Fund, city_fund).paid_fen == 100050

    resp = client.get(f"/funds/{city_fund}/ledger.xlsx")
    assert resp.status_code == 200
    wb = load_workbook(BytesIO(resp.data))
    assert wb.worksheets[1]["D2"].value == 1000.5
    later = client.get(f"/funds/{city_fund}/ledger.xlsx?start=2099-01-01")
    assert load_workbook(BytesIO(later.data)).worksheets[1]["D2"].value is None  # period
    bad = client.get(f"/funds/{city_fund}/ledger.xlsx?start=昨天")
    assert bad.status_code == 302


def test_town_coordinator_cannot_allocate_a_city_fund(client, as_role, city_fund):
    as_role("coordinator", region_codes=("330481107",))
    assert client.get(f"/funds/{city_fund}").status_code == 200
    assert client.post(f"/funds/{city_fund}/trials", data={
        "csrf_token": csrf_token(client), "policy": "optimal"}).status_code == 403
    assert client.get(f"/funds/{city_fund}/ledger.xlsx").status_code == 403
    page = client.get(f"/funds/{city_fund}").get_data(as_text=True)
    assert "母亲0" in page and "母亲2" not in page  # 母亲2 lives in 许村镇


@pytest.mark.parametrize("role", ["volunteer", "donor"])
def test_other_roles_are_refused(client, as_role, city_fund, role):
    as_role(role)
    assert client.get("/funds/").status_code == 403
    assert client.get(f"/funds/{city_fund}").status_code == 403


def test_create_an_interest_fund_and_an_application(client, session, as_role, city_fund):
    as_role("coordinator")
    base = {"csrf_token": csrf_token(client), "name": "巾帼创业贷款贴息", "year": "2026",
            "kind": "interest_subsidy", "region": "330481", "budget": "500,000",
            "rule": "interest", "subsidy_share": "0.5", "cap": "6000", "pool": "mentee",
            "kinds": ["poor_mother"], "min_hardship": "0", "region_min": "330481101 1",
            "w_hardship": "0.6", "w_household": "0.1", "w_plan": "0.3"}
    bad = client.post("/funds/new", data={**base, "budget": "12.345"})
    assert bad.status_code == 422 and "两位小数" in bad.get_data(as_text=True)
    resp = client.post("/funds/new", data=base)
    assert resp.status_code == 302, resp.get_data(as_text=True)[-1500:]
    fund = session.scalar(select(Fund).where(Fund.name == "巾帼创业贷款贴息"))
    assert fund.budget_fen == 50_000_000 and fund.region_min == {"330481101": 1}
    assert fund.priority_weights == {"hardship": 0.6, "household": 0.1, "plan": 0.3}

    form = client.get(f"/funds/{fund.id}/applications/new").get_data(as_text=True)
    person_id = re.search(r'<option value="(\d+)">母亲0', form)[1]
    app_data = {"csrf_token": csrf_token(client), "person_id": person_id, "hardship": "4",
                "household_size": "3", "plan_score": "4", "principal": "100000",
                "annual_rate": "0.0435", "months": "24", "loan_number": "2"}
    refused = client.post(f"/funds/{fund.id}/applications/new", data=app_data)
    assert refused.status_code == 422 and "还清" in refused.get_data(as_text=True)
    app_data["first_loan_repaid"] = "y"
    assert client.post(f"/funds/{fund.id}/applications/new", data=app_data).status_code == 302
    page = client.get(f"/funds/{fund.id}").get_data(as_text=True)
    assert "2,175.00" in page  # this year's share: 100000 × 4.35% × 1 year × 50%


def test_budget_cannot_drop_below_what_is_committed(client, session, as_role, city_fund):
    as_role("coordinator")
    client.post(f"/funds/{city_fund}/trials", data={"csrf_token": csrf_token(client),
                                                    "policy": "optimal"})
    run_id = int(re.search(r"/funds/trials/(\d+)/approve",
                           client.get(f"/funds/{city_fund}").get_data(as_text=True))[1])
    client.post(f"/funds/trials/{run_id}/approve", data={"csrf_token": csrf_token(client)})
    assert "贫困母亲帮扶" in client.get(f"/funds/{city_fund}/edit").get_data(as_text=True)
    low = client.post(f"/funds/{city_fund}/edit", data={
        "csrf_token": csrf_token(client), "name": "贫困母亲帮扶", "budget": "5999.99"})
    assert low.status_code == 422 and "不能少于" in low.get_data(as_text=True)
    ok = client.post(f"/funds/{city_fund}/edit", data={
        "csrf_token": csrf_token(client), "name": "贫困母亲帮扶（追加）", "budget": "9000"})
    assert ok.status_code == 302
    fund = session.get(Fund, city_fund)
    assert (fund.budget_fen, fund.name) == (900000, "贫困母亲帮扶（追加）")
