"""The fund ledger: reserve on approval, pay by disbursement, never past the budget."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from matchmaker.models import Application, Award, Disbursement, Fund
from matchmaker.services import ledger
from matchmaker.services.errors import DomainError
from matchmaker.services.money import parse_yuan, round_fen, to_fen, to_yuan


def make_fund(session, region, budget_yuan: str) -> Fund:
    fund = Fund(name="贷款贴息", year=2026, kind="interest_subsidy", region=region,
                budget_fen=to_fen(Decimal(budget_yuan)), rule="standard")
    session.add(fund)
    session.flush()
    return fund


def make_applications(session, fund, people, amount_yuan: str) -> list[Application]:
    apps = [Application(fund=fund, person=p, amount_fen=to_fen(Decimal(amount_yuan)))
            for p in people]
    session.add_all(apps)
    session.flush()
    return apps


@pytest.fixture
def setup(app_ctx, make_person, make_user, regions):
    from tests.conftest import _region

    admin = make_user("admin")
    people = [make_person(f"申请人{i}", birth=date(1980, 1, 1 + i)) for i in range(5)]
    fund = make_fund(app_ctx, _region(app_ctx, "330481"), "10000.00")
    return app_ctx, admin, fund, people


def test_money_parsing():
    assert parse_yuan("3,000.50元") == Decimal("3000.50")
    assert to_fen(Decimal("0.10")) + to_fen(Decimal("0.20")) == to_fen(Decimal("0.30"))
    assert to_yuan(12345678901) == Decimal("123456789.01")
    assert round_fen(Decimal("100") * Decimal("0.0435") * 7 / 12) == Decimal("2.54")
    for bad, message in [("12.345", "两位小数"), ("abc", "格式"), ("0", "大于 0"),
                         ("-5", "大于 0"), ("1e30", "过大")]:
        with pytest.raises(DomainError, match=message):
            parse_yuan(bad)


def test_approvals_reserve_until_the_budget_is_spent(setup):
    s, admin, fund, people = setup
    apps = make_applications(s, fund, people, "3000.00")
    for app in apps[:3]:
        ledger.approve_award(user=admin, application=app)
    with pytest.raises(DomainError, match="余额不足"):
        ledger.approve_award(user=admin, application=apps[3])
    fund = s.get(Fund, fund.id)
    assert fund.reserved_fen == 900000 and ledger.balance_fen(fund) == 100000
    assert s.get(Application, apps[3].id).status == "submitted"
    assert s.scalar(select(func.count(Award.id))) == 3


def test_no_second_award_from_the_same_fund(setup):
    s, admin, fund, people = setup
    (app,) = make_applications(s, fund, people[:1], "100")
    ledger.approve_award(user=admin, application=app)
    with pytest.raises(DomainError, match="已处理"):
        ledger.approve_award(user=admin, application=app)
    assert s.get(Fund, fund.id).reserved_fen == 10000


def test_disbursement_is_idempotent_and_bounded(setup):
    s, admin, fund, people = setup
    (app,) = make_applications(s, fund, people[:1], "3000.00")
    award = ledger.approve_award(user=admin, application=app)
    first = ledger.disburse(user=admin, award=award, amount_fen=100000, paid_on=date.today(),
                            idempotency_key="pay-0001-aaaa")
    again = ledger.disburse(user=admin, award=award, amount_fen=100000, paid_on=date.today(),
                            idempotency_key="pay-0001-aaaa")
    assert first.id == again.id
    assert s.scalar(select(func.count(Disbursement.id))) == 1
    fund = s.get(Fund, fund.id)
    assert (fund.reserved_fen, fund.paid_fen) == (200000, 100000)
    with pytest.raises(DomainError, match="超过资助余额"):
        ledger.disburse(user=admin, award=s.get(Award, award.id), amount_fen=200001,
                        paid_on=date.today(), idempotency_key="pay-0002-bbbb")
    with pytest.raises(DomainError, match="另一笔"):
        ledger.disburse(user=admin, award=s.get(Award, award.id), amount_fen=5,
                        paid_on=date.today(), idempotency_key="pay-0001-aaaa")
    ledger.disburse(user=admin, award=s.get(Award, award.id), amount_fen=200000,
                    paid_on=date.today(), idempotency_key="pay-0003-cccc")
    fund = s.get(Fund, fund.id)
    assert (fund.reserved_fen, fund.paid_fen) == (0, 300000)


def test_cancel_gives_back_what_was_not_paid(setup):
    s, admin, fund, people = setup
    (app,) = make_applications(s, fund, people[:1], "3000.00")
    award = ledger.approve_award(user=admin, application=app)
    ledger.disburse(user=admin, award=award, amount_fen=50000, paid_on=date.today(),
                    idempotency_key="pay-cancel-01")
    ledger.cancel_award(award=s.get(Award, award.id))
    fund = s.get(Fund, fund.id)
    assert (fund.reserved_fen, fund.paid_fen) == (0, 50000)
    with pytest.raises(DomainError):
        ledger.cancel_award(award=s.get(Award, award.id))


def test_the_database_refuses_overspending_even_if_code_forgets(setup):
    from sqlalchemy.exc import IntegrityError

    s, _, fund, _ = setup
    fund.reserved_fen = fund.budget_fen + 1
    with pytest.raises(IntegrityError):
        s.flush()
