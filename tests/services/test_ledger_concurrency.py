"""Twenty approvals at once against a budget that covers ten, on SQLite and PostgreSQL
with real connections: exactly ten awards and the budget spent to the fen, twenty times
over. And a double-submitted payment pays once."""

import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.models import Application, Award, Disbursement, Fund, Person, User
from matchmaker.services import ledger
from tests.races import city, race_app, run_at_once

ROUNDS = 20


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def money_app(request, tmp_path_factory):
    yield from race_app(request, tmp_path_factory, "ledger")


def build_round(app, n: int, applicants: int, budget_fen: int, amount_fen: int):
    with app.app_context():
        home = city()
        user = User(username=f"fin{n}", role="admin", password_hash="x")
        fund = Fund(name=f"贴息{n}", year=2026, kind="interest_subsidy", region=home,
                    budget_fen=budget_fen, rule="standard")
        apps = [Application(fund=fund, person=Person(name=f"申请人{i}", gender="F", region=home),
                            amount_fen=amount_fen) for i in range(applicants)]
        db.session.add_all([user, fund, *apps])
        db.session.commit()
        return user.id, fund.id, [a.id for a in apps]


class Approve:
    def __init__(self, user_id):
        self.user_id = user_id

    def prepare(self, app_id):
        return db.session.get(User, self.user_id), db.session.get(Application, app_id)

    def act(self, prepared):
        user, application = prepared
        ledger.approve_award(user=user, application=application)


def test_twenty_approvals_against_a_budget_for_ten(money_app):
    for n in range(ROUNDS):
        user_id, fund_id, apps = build_round(money_app, n, 20, budget_fen=10 * 300_000,
                                             amount_fen=300_000)
        outcomes = run_at_once(money_app, apps, Approve(user_id))
        assert outcomes.count("ok") == 10, outcomes
        assert all("余额不足" in o for o in outcomes if o != "ok")
        with money_app.app_context():
            fund = db.session.get(Fund, fund_id)
            assert fund.reserved_fen == fund.budget_fen == 3_000_000
            assert db.session.scalar(select(func.count(Award.id)).where(
                Award.fund_id == fund_id)) == 10


class Pay:
    def __init__(self, user_id, award_id):
        self.user_id, self.award_id = user_id, award_id

    def prepare(self, key):
        return db.session.get(User, self.user_id), db.session.get(Award, self.award_id), key

    def act(self, prepared):
        user, award, key = prepared
        ledger.disburse(user=user, award=award, amount_fen=100_000, paid_on=date(2026, 11, 1),
                        idempotency_key=key)


def test_a_double_submitted_payment_pays_once(money_app):
    for n in range(5):
        user_id, fund_id, (app_id,) = build_round(money_app, 1000 + n, 1, 1_000_000, 300_000)
        with money_app.app_context():
            award = ledger.approve_award(user=db.session.get(User, user_id),
                                         application=db.session.get(Application, app_id))
            db.session.commit()
            award_id = award.id
        key = f"pay-{uuid.uuid4().hex}"
        outcomes = run_at_once(money_app, [key, key], Pay(user_id, award_id))
        assert outcomes == ["ok", "ok"], outcomes  # both see the same single payment
        with money_app.app_context():
            assert db.session.scalar(select(func.count(Disbursement.id)).where(
                Disbursement.award_id == award_id)) == 1
            fund = db.session.get(Fund, fund_id)
            assert (fund.reserved_fen, fund.paid_fen) == (200_000, 100_000)
            assert db.session.get(Award, award_id).paid_fen == 100_000


class ApproveTrial:
    """Two coordinators press 批准 on the same trial (or on overlapping trials) at once."""

    def __init__(self, user_id):
        self.user_id = user_id

    def prepare(self, run_id):
        from matchmaker.models import AllocationRun

        run = db.session.get(AllocationRun, run_id)
        _ = run.results
        return db.session.get(User, self.user_id), run

    def act(self, prepared):
        from matchmaker.services import funds

        user, run = prepared
        _done, refused = funds.approve_trial(user=user, run=run)
        # Applications the other coordinator approved meanwhile are skipped, as before,
        # not reported as refused; only money running out is a reason.
        assert all("余额不足" in r for r in refused), refused


@pytest.mark.parametrize("budget_for", [30, 20])
def test_two_trial_approvals_at_once_award_each_once(money_app, budget_for):
    """Thirty applicants, two overlapping trials approved at the same moment (all at once
    when everything fits, one by one when it does not): every applicant at most one
    award, the budget never passed, reserved money equal to the awards."""
    from matchmaker.models import AllocationRun

    for n in range(5):
        user_id, fund_id, apps = build_round(money_app, 100 + budget_for * 10 + n, 30,
                                             budget_fen=budget_for * 100_000,
                                             amount_fen=100_000)
        with money_app.app_context():
            runs = [AllocationRun(fund_id=fund_id, policy="ranked",
                                  results={"funded": [str(i) for i in ids]})
                    for ids in (apps[:20], apps[10:])]
            db.session.add_all(runs)
            db.session.commit()
            run_ids = [r.id for r in runs]
        assert run_at_once(money_app, run_ids, ApproveTrial(user_id)) == ["ok", "ok"]
        with money_app.app_context():
            fund = db.session.get(Fund, fund_id)
            awards = db.session.scalars(select(Award).where(Award.fund_id == fund_id)).all()
            assert len({a.application_id for a in awards}) == len(awards)
            assert fund.reserved_fen == sum(a.amount_fen for a in awards) <= fund.budget_fen
            assert len(awards) == min(30, budget_for)
