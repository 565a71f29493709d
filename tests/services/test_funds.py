"""Funds, applications and trial allocations."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from matchmaker.models import Fund, MenteeProfile, Person
from matchmaker.services import fund_flags, funds, ledger
from matchmaker.services.errors import DomainError


@pytest.fixture
def fund_world(app_ctx, make_person, make_user):
    admin = make_user("admin")
    people = []
    for i, (village, hardship) in enumerate([("330481107201", 5), ("330481107202", 3),
                                             ("330481101201", 4), ("330481101202", 1)]):
        p = make_person(f"母亲{i}", region=village, birth=date(1985, 1, 1 + i))
        app_ctx.add(MenteeProfile(person=p, kind="poor_mother", needs="养殖",
                                  industry="agriculture", hardship=hardship))
        people.append(p)
    app_ctx.flush()
    return admin, people


def test_interest_subsidy_amount_is_exact_and_capped(app_ctx, fund_world):
    admin, _ = fund_world
    fund = funds.create_fund(user=admin, data=funds.FundInput(
        name="贷款贴息", year=2026, kind="interest_subsidy", region_code="330481",
        budget="500000", rule="interest", subsidy_share="0.5", cap="6000"))
    got = funds.amount_for(fund, principal=Decimal("100000"), annual_rate=Decimal("0.0435"),
                           months=24)
    assert got == Decimal("4350.00")  # 100000 × 4.35% × 2 years × 50%
    capped = funds.amount_for(fund, principal=Decimal("300000"),
                              annual_rate=Decimal("0.0435"), months=24)
    assert capped == Decimal("6000.00")
    with pytest.raises(DomainError, match="月数"):
        funds.amount_for(fund, principal=Decimal("1000"), annual_rate=Decimal("0.04"),
                         months=60)


def test_eligibility_reasons_and_loan_rules(app_ctx, fund_world):
    admin, people = fund_world
    fund = funds.create_fund(user=admin, data=funds.FundInput(
        name="贴息", year=2026, kind="interest_subsidy", region_code="330481107",
        budget="10000", rule="standard", standard="3000",
        eligibility={"pool": "mentee", "kinds": ["poor_mother"], "min_hardship": 3}))
    ok = funds.eligibility_reasons(fund, people[0], hardship=5)
    assert ok == []
    assert "实施地区" in funds.eligibility_reasons(fund, people[2], hardship=4)[0]
    assert any("困难程度" in r for r in funds.eligibility_reasons(fund, people[1], hardship=2))
    assert any("还清" in r for r in funds.eligibility_reasons(
        fund, people[0], hardship=5, loan_number=2, first_loan_repaid=False))
    with pytest.raises(DomainError, match="不符合条件"):
        funds.submit_application(user=admin, fund=fund, data=funds.ApplicationInput(
            person_id=people[2].id, hardship=4))
    app = funds.submit_application(user=admin, fund=fund, data=funds.ApplicationInput(
        person_id=people[0].id, hardship=5, household_size=4, plan_score=3))
    assert app.amount_fen == 300000 and 0 < app.priority <= 1
    with pytest.raises(DomainError, match="已申请"):
        funds.submit_application(user=admin, fund=fund, data=funds.ApplicationInput(
            person_id=people[0].id, hardship=5))


def test_trial_allocation_meets_regional_minimums_with_reasons(app_ctx, fund_world):
    admin, people = fund_world
    fund = funds.create_fund(user=admin, data=funds.FundInput(
        name="帮扶", year=2026, kind="material_aid", region_code="330481", budget="6000",
        rule="standard", standard="3000", region_min={"330481101": 1}))
    apps = [funds.submit_application(user=admin, fund=fund, data=funds.ApplicationInput(
        person_id=p.id, hardship=h, plan_score=3)) for p, h in zip(people, (5, 4, 2, 1),
                                                                    strict=True)]
    run = funds.trial_allocation(user=admin, fund=fund)
    funded = set(run.results["funded"])
    assert len(funded) == 2 and str(apps[0].id) in funded
    assert funded & {str(apps[2].id), str(apps[3].id)}  # 许村镇 gets its one place
    assert all(run.results["reasons"][str(a.id)] for a in apps)
    ranked = funds.trial_allocation(user=admin, fund=fund, policy="ranked")
    assert ranked.results["total_priority"] <= run.results["total_priority"]


def test_cross_programme_flags(app_ctx, fund_world):
    admin, people = fund_world
    mother = people[0]
    app_ctx.get(Person, people[1].id).household = mother.household = "户42"
    app_ctx.flush()
    other = funds.create_fund(user=admin, data=funds.FundInput(
        name="春蕾", year=2026, kind="stipend", region_code="330481", budget="9000",
        rule="standard", standard="1000"))
    here = funds.create_fund(user=admin, data=funds.FundInput(
        name="帮扶", year=2026, kind="material_aid", region_code="330481", budget="9000",
        rule="standard", standard="2000"))
    a1 = funds.submit_application(user=admin, fund=other, data=funds.ApplicationInput(
        person_id=people[1].id, hardship=3))
    ledger.approve_award(user=admin, application=a1)
    a2 = funds.submit_application(user=admin, fund=here, data=funds.ApplicationInput(
        person_id=mother.id, hardship=5))
    flags = fund_flags.cross_programme_flags(a2)
    assert flags and "同户" in flags[0] and "1000.00" in flags[0]
    assert app_ctx.scalar(select(Person).where(Person.id == mother.id)).household == "户42"


def test_a_minimum_larger_than_the_applicants_funds_them_all(app_ctx, fund_world):
    admin, people = fund_world
    fund = funds.create_fund(user=admin, data=funds.FundInput(
        name="帮扶", year=2026, kind="material_aid", region_code="330481", budget="9000",
        rule="standard", standard="3000", region_min={"330481101": 5}))
    apps = [funds.submit_application(user=admin, fund=fund, data=funds.ApplicationInput(
        person_id=p.id, hardship=h)) for p, h in zip(people, (5, 4, 1, 1), strict=True)]
    run = funds.trial_allocation(user=admin, fund=fund)
    assert {str(apps[2].id), str(apps[3].id)} <= set(run.results["funded"])
    assert run.inputs["region_min_short"] == {"330481101": 3}


def test_a_multi_year_subsidy_charges_each_year_to_that_years_fund(app_ctx, fund_world):
    admin, people = fund_world
    spec = {"kind": "interest_subsidy", "region_code": "330481", "rule": "interest",
            "subsidy_share": "0.5"}
    fund26 = funds.create_fund(user=admin, data=funds.FundInput(
        name="贴息2026", year=2026, budget="5000", **spec))
    app = funds.submit_application(user=admin, fund=fund26, data=funds.ApplicationInput(
        person_id=people[0].id, hardship=5, principal="100000", annual_rate="0.0435",
        months=30))
    # 30 months: 12 + 12 + 6, each half of 4.35% interest on 100,000
    assert app.schedule == {"2026": 217500, "2027": 217500, "2028": 108750}
    assert app.amount_fen == 217500
    ledger.approve_award(user=admin, application=app)
    assert app_ctx.get(Fund, fund26.id).reserved_fen == 217500  # not the whole 5,437.50

    fund27 = funds.create_fund(user=admin, data=funds.FundInput(
        name="贴息2027", year=2027, budget="3000", **spec))
    assert funds.carry_forward(user=admin, fund=fund27) == (1, [])
    assert app_ctx.get(Fund, fund27.id).reserved_fen == 217500
    assert funds.carry_forward(user=admin, fund=fund27) == (0, [])  # once only
    fund28 = funds.create_fund(user=admin, data=funds.FundInput(
        name="贴息2028", year=2028, budget="100", **spec))
    done, refused = funds.carry_forward(user=admin, fund=fund28)
    assert done == 0 and "余额不足" in refused[0]  # a commitment the budget cannot hold


def test_the_fund_page_costs_the_same_queries_for_5_or_50_applications(app_ctx, fund_world,
                                                                       make_person):
    """applications_of once loaded each row's person, region, awards and cross-fund flags
    one by one: 12,130 queries and 3.3 s for 5,000 applications (benchmarks/load.py)."""
    from sqlalchemy import event

    from matchmaker.extensions import db

    admin, people = fund_world

    def statements_for(n: int, name: str) -> tuple[int, int]:
        fund = funds.create_fund(user=admin, data=funds.FundInput(
            name=name, year=2026, kind="material_aid", region_code="330481",
            budget="900000", rule="standard", standard="100"))
        for i in range(n):
            p = make_person(f"{name}{i}", region="330481107201", birth=date(1980, 1, 1),
                            mobile=None, id_number=None)
            app_ctx.add(MenteeProfile(person=p, kind="poor_mother", needs="养殖",
                                      industry="agriculture", hardship=3))
            app_ctx.flush()
            funds.submit_application(user=admin, fund=fund, data=funds.ApplicationInput(
                person_id=p.id, hardship=3))
        app_ctx.expire_all()
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        engine = db.session.get_bind()
        event.listen(engine, "before_cursor_execute", listener)
        try:
            rows = funds.applications_of(admin, app_ctx.get(Fund, fund.id))
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(rows), len(seen)

    few, few_queries = statements_for(5, "小")
    many, many_queries = statements_for(50, "大")
    assert (few, many) == (5, 50)
    assert many_queries == few_queries
