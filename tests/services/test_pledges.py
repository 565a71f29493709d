"""Spring Bud money: donations split between pool and reserve (in fen), receipt numbers,
term payments through the ledger (once per girl and term), the reserve paying flagged
girls, and lapsing pledges."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from matchmaker.models import Award, Disbursement, Donation, Fund, Region
from matchmaker.models.sponsorship import Sponsorship, SponsorshipPayment
from matchmaker.services import donations, ledger, pledges, term_payments
from matchmaker.services.errors import DomainError, NotFound


def _region(session, code):
    return session.scalar(select(Region).where(Region.code == code))


def _donate(session, user, donor, amount, *, pledge=None, on=date(2026, 3, 1), region=None):
    return donations.record_donation(user=user, donor=donor, amount=amount, received_on=on,
                                   pledge=pledge, region=region)


def test_reserve_share_in_fen_and_budgets_raised(app_ctx, make_user, make_donor, make_pledge):
    admin = make_user("admin")
    donor = make_donor()
    pledge = make_pledge(donor)
    d = _donate(app_ctx, admin, donor, "1,000.00", pledge=pledge)
    assert (d.amount_fen, d.reserve_fen) == (100000, 10000)
    pool = donations.pool_fund(pledge.region, 2026)
    reserve = donations.reserve_fund(pledge.region, 2026)
    assert (d.fund_id, d.reserve_fund_id) == (pool.id, reserve.id)
    assert (pool.budget_fen, reserve.budget_fen) == (90000, 10000)
    assert pool.kind == reserve.kind == "stipend"
    assert pool.name == "2026 春蕾结对助学（捐助）" and reserve.name == "2026 春蕾续助储备金"

    # Odd fen: 123.45 × 10% = 12.345 → 12.35 (half up); 0.05 × 10% = 0.005 → 0.01.
    assert _donate(app_ctx, admin, donor, "123.45", pledge=pledge).reserve_fen == 1235
    assert _donate(app_ctx, admin, donor, "0.05", pledge=pledge).reserve_fen == 1
    app_ctx.expire_all()
    assert pool.budget_fen == 90000 + 11110 + 4 and reserve.budget_fen == 10000 + 1235 + 1
    # The same funds are reused: one pool and one reserve per region and year.
    assert app_ctx.scalar(select(func.count(Fund.id)).where(Fund.kind == "stipend")) == 2


def test_reserve_share_is_configurable(app, app_ctx, make_user, make_donor, make_pledge,
                                       monkeypatch):
    monkeypatch.setitem(app.config, "SPRING_BUD_RESERVE_SHARE", "0.15")
    admin, donor = make_user("admin"), make_donor()
    d = _donate(app_ctx, admin, donor, "333.33", pledge=make_pledge(donor))
    assert d.reserve_fen == 5000  # 33333 × 0.15 = 4999.95 → 5000
    monkeypatch.setitem(app.config, "SPRING_BUD_RESERVE_SHARE", "1.5")
    with pytest.raises(DomainError):
        _donate(app_ctx, admin, donor, "10", pledge=make_pledge(donor))


def test_receipt_numbers_are_sequential_per_year_and_unique(app_ctx, make_user, make_donor,
                                                            make_pledge, monkeypatch):
    admin, donor = make_user("admin"), make_donor()
    pledge = make_pledge(donor)
    nos = [_donate(app_ctx, admin, donor, "100", pledge=pledge).receipt_no for _ in range(3)]
    assert nos == ["CL2026-000001", "CL2026-000002", "CL2026-000003"]
    assert _donate(app_ctx, admin, donor, "100", pledge=pledge,
                   on=date(2025, 12, 30)).receipt_no == "CL2025-000001"

    # Two recordings at once both read 000003 as the last: the loser takes the next.
    real = donations._next_receipt_no
    calls = iter(["CL2026-000003"])
    monkeypatch.setattr(donations, "_next_receipt_no",
                        lambda year: next(calls, None) or real(year))
    d = _donate(app_ctx, admin, donor, "100", pledge=pledge)
    assert d.receipt_no == "CL2026-000004"
    assert app_ctx.scalar(select(func.count(Donation.id))) == 5


def test_donation_checks(app_ctx, make_user, make_donor, make_pledge):
    admin, donor, other = make_user("admin"), make_donor(), make_donor("赵善")
    pledge = make_pledge(other)
    with pytest.raises(DomainError) as e:
        _donate(app_ctx, admin, donor, "100", pledge=pledge)
    assert e.value.field == "pledge"
    with pytest.raises(DomainError) as e:
        _donate(app_ctx, admin, donor, "abc", pledge=make_pledge(donor))
    assert e.value.field == "amount"
    # No pledge and no region: which federation received it is asked.
    lonely = make_donor("钱多")
    with pytest.raises(DomainError) as e:
        _donate(app_ctx, admin, lonely, "100")
    assert e.value.field == "region"
    d = _donate(app_ctx, admin, lonely, "100", region=_region(app_ctx, "330481"))
    assert d.fund.region.code == "330481"
    # A town coordinator cannot record for a donor of another town.
    xu = make_user("coordinator", region_codes=("330481101",))
    with pytest.raises(NotFound):
        _donate(app_ctx, xu, donor, "100", pledge=make_pledge(donor))


def test_receipt_data_has_no_child_and_capital_amount(app_ctx, make_user, make_donor,
                                                      make_pledge, make_girl):
    admin = make_user("admin")
    donor = make_donor("王爱心", display_name="王女士")
    girl = make_girl("李小花")
    d = _donate(app_ctx, admin, donor, "1234.50", pledge=make_pledge(donor, girls=[girl]))
    r = donations.receipt_data(d)
    assert r.receipt_no == "CL2026-000001" and r.donor_name == "王女士"
    assert r.amount == Decimal("1234.50") and r.amount_words == "壹仟贰佰叁拾肆元伍角整"
    assert r.issuer == "海宁市盐官镇妇女联合会"
    assert "李小花" not in repr(r) and "盐官镇中心小学" not in repr(r)


@pytest.mark.parametrize(("amount", "words"), [
    ("0.07", "柒分"), ("10", "壹拾元整"), ("1005", "壹仟零伍元整"),
    ("100000", "壹拾万元整"), ("100500.07", "壹拾万零伍佰元零柒分"),
    ("12345678.9", "壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元玖角整"), ("100000001", "壹亿零壹元整"),
])
def test_capital_numerals(amount, words):
    assert donations.capital_yuan(Decimal(amount)) == words


@pytest.fixture
def funded(app_ctx, make_user, make_donor, make_pledge, make_girl):
    """Two girls in 盐官镇: one on a 1,000 yuan a term pledge, one on 1,500.01 a year; the
    pool holds 9,000 yuan (10,000 donated) and the reserve 1,000."""
    admin = make_user("admin")
    donor = make_donor()
    a, b = make_girl("李小花"), make_girl("张小草", region="330481107202")
    p_term = make_pledge(donor, amount_fen=100000, period="term", girls=[a])
    p_year = make_pledge(donor, amount_fen=150001, period="year", girls=[b])
    _donate(app_ctx, admin, donor, "10000", pledge=p_term)
    return admin, a, b, p_term, p_year


def test_pay_term_pays_each_active_sponsorship_once(app_ctx, funded):
    admin, a, b, p_term, p_year = funded
    result = term_payments.pay_term(user=admin, term="2026-spring", paid_on=date(2026, 3, 2))
    assert (result.paid_pledge, result.paid_reserve, result.problems) == (2, 0, [])
    assert result.amount_fen == 100000 + 75000
    pool = donations.pool_fund(p_term.region, 2026)
    award_a = app_ctx.scalar(select(Award).where(Award.person_id == a.person_id))
    award_b = app_ctx.scalar(select(Award).where(Award.person_id == b.person_id))
    # The award is the year's total; a year pledge pays half a term (odd fen in autumn).
    assert (award_a.amount_fen, award_a.paid_fen) == (200000, 100000)
    assert (award_b.amount_fen, award_b.paid_fen) == (150001, 75000)
    assert award_a.fund_id == pool.id
    assert pool.paid_fen == 175000 and pool.reserved_fen == 100000 + 75001

    again = term_payments.pay_term(user=admin, term="2026-spring")
    assert (again.paid, again.already) == (0, 2)
    assert app_ctx.scalar(select(func.count(Disbursement.id))) == 2
    payments = list(app_ctx.scalars(select(SponsorshipPayment)))
    assert {(p.student_id, p.source, p.term) for p in payments} == {
        (a.id, "pledge", "2026-spring"), (b.id, "pledge", "2026-spring")}
    assert all(p.sponsorship_id is not None for p in payments)

    autumn = term_payments.pay_term(user=admin, term="2026-autumn")
    assert autumn.paid_pledge == 2 and autumn.amount_fen == 100000 + 75001
    app_ctx.expire_all()
    assert award_b.paid_fen == award_b.amount_fen == 150001
    assert ledger.balance_fen(pool) == 900000 - 350001


def test_pay_term_validates_term_and_scope(app_ctx, funded, make_user):
    admin = funded[0]
    for bad in ("2026-summer", "26-spring", "2026 spring", ""):
        with pytest.raises(DomainError) as e:
            term_payments.pay_term(user=admin, term=bad)
        assert e.value.field == "term"
    xu = make_user("coordinator", region_codes=("330481101",))
    assert term_payments.pay_term(user=xu, term="2026-spring").paid == 0
    assert app_ctx.scalar(select(func.count(Disbursement.id))) == 0


def test_pool_shortfall_is_reported_and_the_rest_paid(app_ctx, make_user, make_donor,
                                                      make_pledge, make_girl):
    admin, donor = make_user("admin"), make_donor()
    a, b = make_girl("李小花"), make_girl("张小草")
    pledge = make_pledge(donor, amount_fen=100000, students=2, girls=[a, b])
    _donate(app_ctx, admin, donor, "1200", pledge=pledge)  # pool 1,080: one term only
    result = term_payments.pay_term(user=admin, term="2026-spring")
    assert result.paid_pledge == 1 and len(result.problems) == 1
    assert "资金余额不足" in result.problems[0]


def test_lapse_due_ends_sponsorships_and_flags_girls(app_ctx, make_pledge, make_girl):
    a, b, c = make_girl("李小花"), make_girl("张小草"), make_girl("陈小苗")
    old = make_pledge(ends_on=date(2026, 6, 30), girls=[a, b])
    open_ended = make_pledge(girls=[c])
    later = make_pledge(ends_on=date(2026, 12, 31))
    assert pledges.lapse_due(today=date(2026, 6, 30)) == []
    lapsed = pledges.lapse_due(today=date(2026, 7, 1))
    assert [p.id for p in lapsed] == [old.id]
    assert (old.status, open_ended.status, later.status) == ("lapsed", "active", "active")
    for girl in (a, b):
        s = app_ctx.scalar(select(Sponsorship).where(Sponsorship.student_id == girl.id))
        assert (s.status, s.ended_on, s.end_reason) == ("ended", date(2026, 7, 1),
                                                         "捐助人承诺到期")
        assert girl.sponsor_lapsed_on == girl.waiting_since == date(2026, 7, 1)
    assert c.sponsor_lapsed_on is None
    assert pledges.lapse_due(today=date(2026, 7, 2)) == []


def test_flagged_girl_is_paid_from_the_reserve(app_ctx, funded, make_girl):
    admin, a, b, p_term, p_year = funded
    p_term.ends_on = date(2026, 6, 30)
    pledges.lapse_due(today=date(2026, 7, 1))
    assert [w.student.id for w in term_payments.flagged_girls(admin, today=date(2026, 7, 11))] \
        == [a.id]
    assert term_payments.flagged_girls(admin, today=date(2026, 7, 11))[0].days == 10

    plan = {(p.student.id, p.source, p.amount_fen)
            for p in term_payments.plan_term(user=admin, term="2026-autumn")}
    assert plan == {(a.id, "reserve", 100000), (b.id, "pledge", 75001)}
    # The reserve holds 1,000 yuan: exactly her term.
    result = term_payments.pay_term(user=admin, term="2026-autumn")
    assert (result.paid_pledge, result.paid_reserve, result.problems) == (1, 1, [])
    pay = app_ctx.scalar(select(SponsorshipPayment).where(SponsorshipPayment.student_id == a.id))
    assert (pay.source, pay.sponsorship_id) == ("reserve", None)
    reserve = donations.reserve_fund(p_term.region, 2026)
    assert pay.disbursement.fund_id == reserve.id and reserve.paid_fen == 100000
    assert ledger.balance_fen(reserve) == 0


def test_reserve_shortfall_is_reported(app_ctx, make_user, make_donor, make_pledge,
                                       make_girl):
    admin, donor = make_user("admin"), make_donor()
    girl = make_girl("李小花")
    pledge = make_pledge(donor, amount_fen=100000, ends_on=date(2026, 6, 30), girls=[girl])
    _donate(app_ctx, admin, donor, "2000", pledge=pledge)  # reserve 200 yuan
    pledges.lapse_due(today=date(2026, 7, 1))
    result = term_payments.pay_term(user=admin, term="2026-autumn")
    assert result.paid == 0 and len(result.problems) == 1
    assert "李小花" in result.problems[0] and "续助储备金余额不足" in result.problems[0]
    assert app_ctx.scalar(select(func.count(SponsorshipPayment.id))) == 0
    assert app_ctx.scalar(select(func.count(Award.id))) == 0  # nothing left reserved


def test_pledge_create_update_end(app_ctx, make_user, make_donor, make_girl, make_pledge):
    coord = make_user("coordinator", region_codes=("330481107",))
    donor = make_donor()
    data = pledges.PledgeInput(donor_id=donor.id, region_code="330481107", amount="800.5",
                               period="year", students=2, pref_region_code="330481107",
                               pref_grade="五年级", starts_on=date(2026, 2, 1))
    pledge = pledges.create_pledge(user=coord, data=data)
    assert (pledge.amount_fen, pledge.period, pledge.students) == (80050, "year", 2)
    for change, field in (({"amount": "0"}, "amount"), ({"students": 0}, "students"),
                          ({"students": 101}, "students"), ({"period": "month"}, "period"),
                          ({"region_code": "330481101"}, "region"),
                          ({"ends_on": date(2026, 1, 1)}, "ends_on")):
        with pytest.raises(DomainError) as e:
            pledges.create_pledge(user=coord, data=pledges.PledgeInput(
                **{**data.__dict__, **change}))
        assert e.value.field == field, change

    girls = [make_girl("李小花"), make_girl("张小草")]
    linked = make_pledge(donor, students=2, girls=girls)
    with pytest.raises(DomainError) as e:
        pledges.update_pledge(user=coord, pledge=linked, data=pledges.PledgeInput(
            **{**data.__dict__, "students": 1}))
    assert e.value.field == "students"
    assert pledges.end_pledge(user=coord, pledge=linked, today=date(2026, 5, 1)) == 2
    assert linked.status == "ended" and girls[0].sponsor_lapsed_on == date(2026, 5, 1)
    with pytest.raises(DomainError):
        pledges.end_pledge(user=coord, pledge=linked)

    xu = make_user("coordinator", region_codes=("330481101",))
    with pytest.raises(NotFound):
        pledges.get_pledge(xu, pledge.id)
    with pytest.raises(NotFound):
        pledges.create_pledge(user=xu, data=data)  # the donor is not hers


# ---------------------------------------------------------------- review fixes

def _on(monkeypatch, day):
    """Pretend today is ``day`` (pay_term lapses what ran out as of today)."""
    from matchmaker.services import clock

    monkeypatch.setattr(clock, "today", lambda: day)


def test_reserve_amount_comes_from_her_last_active_pledge_not_a_declined_hold(
        app_ctx, make_user, make_donor, make_pledge, make_girl, monkeypatch):
    """Her 1,000 a term pledge (盐官镇) lapses; a hold on a 9,000 a year pledge in 许村镇 is
    then declined. The reserve pays 1,000 from 盐官镇's reserve, not 4,500 from 许村镇's."""
    _on(monkeypatch, date(2026, 7, 20))
    admin = make_user("admin")
    girl = make_girl("李小花")
    mine = make_pledge(amount_fen=100000, period="term", ends_on=date(2026, 6, 30),
                       girls=[girl])
    pledges.lapse_due(today=date(2026, 7, 1))
    other = make_pledge(region="330481101", amount_fen=900000, period="year")
    for reason, on in (("捐助人未确认", date(2026, 7, 10)), ("确认期限已过", date(2026, 7, 15))):
        app_ctx.add(Sponsorship(pledge_id=other.id, student_id=girl.id, status="ended",
                                ended_on=on, end_reason=reason))
    app_ctx.flush()
    [item] = term_payments.plan_term(user=admin, term="2026-autumn")
    assert (item.source, item.amount_fen, item.pledge.id) == ("reserve", 100000, mine.id)
    assert term_payments.flagged_girls(admin)[0].last_pledge.id == mine.id


def test_pay_term_lapses_what_ran_out_and_pays_only_pledges_covering_the_term(
        app_ctx, make_user, make_donor, make_pledge, make_girl, monkeypatch):
    admin, donor = make_user("admin"), make_donor()
    ran_out, future, ends_soon, covers = (make_girl(n) for n in ("李小花", "张小草", "陈小苗",
                                                                 "王小禾"))
    # Ended in June but nobody opened the list since: still 'active' until lapsed.
    p_out = make_pledge(donor, ends_on=date(2026, 6, 30), girls=[ran_out])
    # One starts after the autumn term; one ends before the next spring term.
    p_future = make_pledge(donor, starts_on=date(2027, 3, 1), girls=[future])
    p_soon = make_pledge(donor, starts_on=date(2026, 2, 1), ends_on=date(2026, 12, 31),
                         girls=[ends_soon])
    # Ends in the middle of the autumn term: it still covers it.
    p_covers = make_pledge(donor, ends_on=date(2026, 9, 30), girls=[covers])
    _donate(app_ctx, admin, donor, "20000", pledge=p_covers, on=date(2026, 8, 1))
    _on(monkeypatch, date(2026, 9, 1))

    plan = {p.student.id: (p.source, p.pledge.id) for p in
            term_payments.plan_term(user=admin, term="2026-autumn")}
    assert p_out.status == "lapsed" and ran_out.sponsor_lapsed_on == date(2026, 9, 1)
    assert plan == {ran_out.id: ("reserve", p_out.id), ends_soon.id: ("pledge", p_soon.id),
                    covers.id: ("pledge", p_covers.id)}
    spring = {p.student.id: p.pledge.id for p in
              term_payments.plan_term(user=admin, term="2027-spring")}
    # p_covers and p_soon end before 2027-02-01; p_future starts within the spring term.
    assert spring == {ran_out.id: p_out.id, future.id: p_future.id}

    result = term_payments.pay_term(user=admin, term="2026-autumn")
    assert (result.paid_pledge, result.paid_reserve, result.problems) == (2, 1, [])
    sources = dict(app_ctx.execute(select(SponsorshipPayment.student_id,
                                          SponsorshipPayment.source)).all())
    assert sources == {ran_out.id: "reserve", ends_soon.id: "pledge", covers.id: "pledge"}


def test_pay_term_skips_inactive_girls_on_a_pledge(app_ctx, make_user, make_donor,
                                                    make_pledge, make_girl):
    admin, donor = make_user("admin"), make_donor()
    active, left, gone = make_girl("李小花"), make_girl("张小草"), make_girl("陈小苗")
    pledge = make_pledge(donor, students=3, girls=[active, left, gone])
    _donate(app_ctx, admin, donor, "10000", pledge=pledge)
    left.status = "inactive"
    gone.person.status = "inactive"
    app_ctx.flush()
    assert [p.student.id for p in term_payments.plan_term(user=admin, term="2026-spring")] \
        == [active.id]
    result = term_payments.pay_term(user=admin, term="2026-spring")
    assert (result.paid_pledge, result.problems) == (1, [])
    assert app_ctx.scalar(select(func.count(Award.id))) == 1


def test_expired_holds_are_not_live_places(app_ctx, make_user, make_donor, make_pledge,
                                           make_girl):
    """A hold whose time to decide has passed no longer takes a place: it is ended (确认期限
    已过) when the pledges are listed, a pledge's places counted, or a pledge changed."""
    from datetime import timedelta

    from matchmaker.models.base import utcnow

    coord = make_user("coordinator", region_codes=("330481107",))
    donor = make_donor()
    sponsored, waited = make_girl("李小花"), make_girl("张小草")
    pledge = make_pledge(donor, students=2, girls=[sponsored])
    hold = Sponsorship(pledge_id=pledge.id, student_id=waited.id, status="held",
                       hold_expires_at=utcnow() - timedelta(minutes=1))
    fresh = make_pledge(donor, students=1)
    live_hold = Sponsorship(pledge_id=fresh.id, student_id=make_girl("陈小苗").id,
                            status="held", hold_expires_at=utcnow() + timedelta(days=3))
    app_ctx.add_all([hold, live_hold])
    app_ctx.flush()

    counts = {p.id: n for p, n in pledges.pledges_of(coord)}
    assert counts == {pledge.id: 1, fresh.id: 1}
    assert (hold.status, hold.end_reason) == ("ended", "确认期限已过")
    assert live_hold.status == "held"
    assert pledges.live_count(pledge) == 1

    hold.status, hold.end_reason, hold.ended_on = "held", "", None  # expired again
    app_ctx.flush()
    data = pledges.PledgeInput(donor_id=donor.id, region_code="330481107", amount="1000",
                               students=1, starts_on=date(2026, 1, 1))
    pledges.update_pledge(user=coord, pledge=pledge, data=data)
    assert pledge.students == 1 and hold.status == "ended"
