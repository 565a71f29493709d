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


# --- approving many at once ----------------------------------------------------------


def _awards(s, fund) -> list[Award]:
    return list(s.scalars(select(Award).where(Award.fund_id == fund.id).order_by(Award.id)))


def test_approve_together_reserves_the_total_once(setup):
    from matchmaker.models import AuditEvent

    s, admin, fund, people = setup
    apps = make_applications(s, fund, people, "2000.00")
    before = s.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.target_type == "award"))
    assert ledger.approve_together(user=admin, applications=apps) is True
    fund = s.get(Fund, fund.id)
    assert fund.reserved_fen == 5 * 200000 and ledger.balance_fen(fund) == 0
    awards = _awards(s, fund)
    assert [a.application_id for a in awards] == [a.id for a in apps]
    assert all(a.status == "approved" and a.approved_by == admin.id for a in awards)
    assert {s.get(Application, a.id).status for a in apps} == {"awarded"}
    assert s.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.target_type == "award")) == before + 5  # each award audited


@pytest.mark.parametrize("obstacle", ["budget", "handled", "awarded", "twice"])
def test_approve_together_writes_nothing_when_not_all_can_go(setup, obstacle):
    """Whatever stands in the way, the batch leaves no trace; the caller then goes one
    by one (approve_trial), and each gets her award or her reason."""
    s, admin, fund, people = setup
    apps = make_applications(s, fund, people[:4], "2000.00")
    if obstacle == "budget":
        fund.budget_fen = 700000  # three of the four
    elif obstacle == "handled":
        apps[2].status = "withdrawn"
    elif obstacle == "awarded":
        ledger.approve_award(user=admin, application=apps[1])  # meanwhile, elsewhere
    elif obstacle == "twice":
        apps.append(apps[0])
    s.flush()
    reserved = s.get(Fund, fund.id).reserved_fen
    awards = len(_awards(s, fund))
    assert ledger.approve_together(user=admin, applications=apps) is False
    assert s.get(Fund, fund.id).reserved_fen == reserved
    assert len(_awards(s, fund)) == awards


def _trial(s, fund, apps):
    from matchmaker.models import AllocationRun

    run = AllocationRun(fund=fund, policy="ranked",
                        results={"funded": [str(a.id) for a in apps]})
    s.add(run)
    s.flush()
    return run


def test_approve_trial_goes_one_by_one_when_the_money_runs_short(setup):
    from matchmaker.services import funds

    s, admin, fund, people = setup
    apps = make_applications(s, fund, people, "3000.00")  # five of 3,000 in 10,000
    done, refused = funds.approve_trial(user=admin, run=_trial(s, fund, apps))
    assert done == 3 and len(refused) == 2
    assert all("余额不足" in r for r in refused)
    assert s.get(Fund, fund.id).reserved_fen == 900000
    assert len(_awards(s, fund)) == 3


def test_approve_trial_twice_awards_once(setup):
    from matchmaker.services import funds

    s, admin, fund, people = setup
    apps = make_applications(s, fund, people, "1000.00")
    run = _trial(s, fund, apps)
    assert funds.approve_trial(user=admin, run=run) == (5, [])
    assert funds.approve_trial(user=admin, run=run) == (0, [])  # all handled already
    assert s.get(Fund, fund.id).reserved_fen == 500000 and len(_awards(s, fund)) == 5


def test_approve_trial_when_short_awards_what_one_by_one_would(setup):
    """Money reserved since the trial: the awards are those approving one by one in the
    trial's order would give — the run from the top that fits, then any later, smaller
    one that still fits — and the others are refused with the reason."""
    from matchmaker.services import funds

    s, admin, fund, people = setup  # a budget of 10,000
    amounts = ["3000.00", "3000.00", "3000.00", "2000.00", "500.00"]
    apps = [make_applications(s, fund, [p], a)[0] for p, a in zip(people, amounts, strict=True)]
    done, refused = funds.approve_trial(user=admin, run=_trial(s, fund, apps))
    assert done == 4 and len(refused) == 1 and "余额不足" in refused[0]
    awarded = {a.application_id for a in _awards(s, fund)}
    assert awarded == {apps[0].id, apps[1].id, apps[2].id, apps[4].id}
    assert s.get(Fund, fund.id).reserved_fen == 950000
