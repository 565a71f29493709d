"""Spring Bud rules across services: a term is paid once whatever its spelling; a pledge only
takes (and only shows) girls inside its region and the user's scope; a donor's inbox
forgets a girl once her link to her ends; amounts and dates are checked strictly; a
guardian's consent carries the day it was signed."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from matchmaker.models import ConsentRecord, Disbursement, Notification
from matchmaker.models.sponsorship import Sponsorship, SponsorshipPayment
from matchmaker.services import (
    clock,
    consent,
    donations,
    notifications,
    pledges,
    sponsorships,
    term_payments,
)
from matchmaker.services.errors import DomainError
from matchmaker.services.money import parse_yuan
from matchmaker.services.names import pseudonym
from tests.sponsorship_fixtures import XUCUN_VILLAGE


def _years_ahead(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# ---------------------------------------------------------------- 1. one payment per term

def test_a_term_is_paid_once_however_it_is_spelt(app_ctx, make_user, make_donor, make_pledge,
                                                 make_girl):
    admin, donor, girl = make_user("admin"), make_donor(), make_girl()
    pledge = make_pledge(donor, girls=[girl])
    donations.record_donation(user=admin, donor=donor, amount="10000", pledge=pledge,
                            received_on=date(2026, 3, 1))
    results = [term_payments.pay_term(user=admin, term=t)
               for t in ("2026-spring", "2026-SPRING", " 2026-spring", "2026-Spring ")]
    assert [r.paid for r in results] == [1, 0, 0, 0]
    assert [r.already for r in results] == [0, 1, 1, 1]
    assert {r.term for r in results} == {"2026-spring"}
    assert app_ctx.scalar(select(func.count(Disbursement.id))) == 1
    assert list(app_ctx.scalars(select(SponsorshipPayment.term))) == ["2026-spring"]
    assert app_ctx.scalar(select(Disbursement.idempotency_key)) == \
        f"sponsor:{girl.id}:2026-spring"
    [item] = term_payments.plan_term(user=admin, term=" 2026-SPRING")
    assert item.paid


# ---------------------------------------------------------------- 2. a pledge's region

def test_link_refuses_a_girl_outside_the_pledges_region(app_ctx, make_user, make_pledge,
                                                        make_girl):
    city = make_user("coordinator", region_codes=("330481",))
    xucun_girl = make_girl("许小梅", region=XUCUN_VILLAGE)
    yanguan_pledge = make_pledge(region="330481107")
    with pytest.raises(DomainError, match="不在这项捐助承诺的受理地区内") as e:
        sponsorships.link(user=city, pledge=yanguan_pledge, student=xucun_girl)
    assert e.value.field == "pledge"
    assert app_ctx.scalar(select(func.count(Sponsorship.id))) == 0
    # A city's pledge takes a girl of any of its towns.
    city_pledge = make_pledge(region="330481")
    assert sponsorships.link(user=city, pledge=city_pledge, student=xucun_girl).status == "held"


def test_a_pledge_cannot_move_away_from_its_girls(app_ctx, make_user, make_donor, make_pledge,
                                                  make_girl):
    city = make_user("coordinator", region_codes=("330481",))
    donor = make_donor()
    pledge = make_pledge(donor, region="330481", students=2,
                         girls=[make_girl("李小花"), make_girl("许小梅", region=XUCUN_VILLAGE)])
    data = pledges.PledgeInput(donor_id=donor.id, region_code="330481107", amount="1000",
                               students=2, starts_on=date(2026, 1, 1))
    with pytest.raises(DomainError, match="不在新的受理地区内") as e:
        with app_ctx.begin_nested():
            pledges.update_pledge(user=city, pledge=pledge, data=data)
    assert e.value.field == "region"
    app_ctx.refresh(pledge)
    assert pledge.region.code == "330481"
    # Once the 许村镇 girl's link has ended, the pledge may become 盐官镇's.
    xu = app_ctx.scalar(select(Sponsorship).where(Sponsorship.pledge_id == pledge.id)
                        .order_by(Sponsorship.id.desc()).limit(1))
    sponsorships.end(user=city, sponsorship=xu, reason="转学")
    pledges.update_pledge(user=city, pledge=pledge, data=data)
    assert pledge.region.code == "330481107"


def test_the_pledge_page_lists_only_girls_in_the_users_scope(app_ctx, make_user, make_pledge,
                                                             make_girl):
    yanguan = make_user("coordinator", region_codes=("330481107",))
    city = make_user("coordinator", region_codes=("330481",))
    mine, theirs = make_girl("李小花"), make_girl("许小梅", region=XUCUN_VILLAGE)
    # Made as rows, as an older link (before link() checked the region) would be.
    pledge = make_pledge(region="330481107", students=2, girls=[mine, theirs])
    assert [s.student_id for s in pledges.sponsorships_of(pledge, yanguan)] == [mine.id]
    assert {s.student_id for s in pledges.sponsorships_of(pledge, city)} == {mine.id, theirs.id}


# ---------------------------------------------------------------- 3. the donor's inbox

def _about(session, donor, girl) -> list[Notification]:
    session.expire_all()
    return list(session.scalars(select(Notification).where(
        Notification.person_id == donor.person_id,
        Notification.about_person_id == girl.person_id)))


def _end_by(how, *, coord, pledge, donor, sp):
    if how == "decline":
        sponsorships.decline_hold(donor=donor, sponsorship_id=sp.id)
    elif how == "expire":
        sponsorships.expire_holds(now=clock.as_utc(sp.hold_expires_at) + timedelta(seconds=1))
    elif how == "end":
        sponsorships.end(user=coord, sponsorship=sp, reason="学生转学")
    elif how == "end_pledge":
        sponsorships.confirm_hold(donor=donor, sponsorship_id=sp.id)
        pledges.end_pledge(user=coord, pledge=pledge)
    elif how == "lapse":
        sponsorships.confirm_hold(donor=donor, sponsorship_id=sp.id)
        pledge.ends_on = clock.today() - timedelta(days=1)
        pledges.lapse_due(today=clock.today())


@pytest.mark.parametrize("how", ["decline", "expire", "end", "end_pledge", "lapse"])
def test_a_donor_forgets_a_girl_whose_link_ended(app_ctx, make_user, make_donor, make_pledge,
                                                 make_girl, how):
    coord = make_user("coordinator", region_codes=("330481",))
    donor, girl = make_donor(), make_girl("李小花", alias="")
    pledge = make_pledge(donor, region="330481107", starts_on=date(2026, 1, 1))
    sp = sponsorships.link(user=coord, pledge=pledge, student=girl)
    # A forwarded letter's message names her too.
    notifications.notify(person=donor.person, subject="您的来信已转交",
                         body=f"您写给{pseudonym(girl)}的信已转交。", about=girl.person)
    app_ctx.flush()
    before = _about(app_ctx, donor, girl)
    assert before and any("小花" in n.body for n in before)
    assert any(n.channel == "sms" and n.status == "pending" for n in before)

    _end_by(how, coord=coord, pledge=pledge, donor=donor, sp=sp)
    app_ctx.flush()
    after = _about(app_ctx, donor, girl)
    assert len(after) == len(before)
    assert {(n.subject, n.body) for n in after} == {(notifications.HIDDEN,) * 2}
    assert not any(n.status == "pending" for n in after)


def test_hide_about_one_reader_leaves_the_others(app_ctx, make_person, make_girl):
    girl = make_girl()
    a, b = make_person("甲捐助人", mobile=None), make_person("乙捐助人", mobile=None)
    for reader in (a, b):
        notifications.notify(person=reader, subject="关于小花", body="小花，盐官镇",
                             about=girl.person)
    notifications.notify(person=girl.person, subject="给她自己", body="小花", about=girl.person)
    app_ctx.flush()
    assert notifications.hide_about(girl.person_id, reader_id=a.id) == 1
    app_ctx.expire_all()
    bodies = dict(app_ctx.execute(select(Notification.person_id, Notification.body)).all())
    assert bodies == {a.id: notifications.HIDDEN, b.id: "小花，盐官镇", girl.person_id: "小花"}
    notifications.hide_about(girl.person_id)  # everyone's (consent withdrawn): b's too
    app_ctx.expire_all()
    assert app_ctx.scalar(select(Notification.body).where(Notification.person_id == b.id)) \
        == notifications.HIDDEN


# ---------------------------------------------------------------- 4. amounts and dates

@pytest.mark.parametrize("good, value", [
    ("3000", "3000"), ("3,000.50元", "3000.50"), (" 3000 元 ", "3000"), ("0.5", "0.5"),
    ("1，000", "1000")])
def test_amounts_as_typed(good, value):
    assert str(parse_yuan(good)) == value


@pytest.mark.parametrize("bad", ["1_000", "٣", "３０００", "1e3", "+5", "3000.", ".5",
                                 "0x10", "1 000", "Infinity", "NaN"])
def test_amounts_decimal_would_take_are_refused(bad):
    with pytest.raises(DomainError, match="金额格式不正确") as e:
        parse_yuan(bad, field="budget")
    assert e.value.field == "budget"


def test_amount_messages_still_say_why(app_ctx):
    for bad, message in (("12.345", "两位小数"), ("-5", "大于 0"), ("1e30", "过大"),
                         ("0", "大于 0")):
        with pytest.raises(DomainError, match=message):
            parse_yuan(bad)
    assert parse_yuan("0", allow_zero=True) == 0


def test_pledge_and_donation_dates_within_2000_and_five_years(app_ctx, make_user, make_donor,
                                                              make_pledge):
    coord = make_user("coordinator", region_codes=("330481107",))
    donor = make_donor()
    today = clock.today()
    base = dict(donor_id=donor.id, region_code="330481107", amount="1000", students=1,
                starts_on=date(2026, 1, 1))
    for change, field in (({"starts_on": date(1999, 12, 31)}, "starts_on"),
                          ({"starts_on": _years_ahead(today, 5) + timedelta(days=1)},
                           "starts_on"),
                          ({"ends_on": _years_ahead(today, 5) + timedelta(days=1)}, "ends_on")):
        with pytest.raises(DomainError) as e:
            pledges.create_pledge(user=coord, data=pledges.PledgeInput(**{**base, **change}))
        assert e.value.field == field, change
    made = pledges.create_pledge(user=coord, data=pledges.PledgeInput(
        **{**base, "starts_on": date(2000, 1, 1), "ends_on": _years_ahead(today, 5)}))
    assert made.ends_on == _years_ahead(today, 5)

    pledge = make_pledge(donor)
    with pytest.raises(DomainError, match="2000") as e:
        donations.record_donation(user=coord, donor=donor, amount="100", pledge=pledge,
                                received_on=date(1999, 12, 31))
    assert e.value.field == "received_on"
    assert donations.record_donation(user=coord, donor=donor, amount="100", pledge=pledge,
                                   received_on=date(2000, 1, 1)).receipt_no == "CL2000-000001"


# ---------------------------------------------------------------- 5. the signing date

def test_consent_records_the_day_the_guardian_signed(app_ctx, make_user, make_girl):
    coord = make_user("coordinator", region_codes=("330481",))
    signed = clock.today() - timedelta(days=40)
    girl = make_girl("李小花", consent=False)
    record = sponsorships.record_guardian_consent(
        user=coord, student=girl, given_by="李建国", relation="父亲", scope="春蕾资助",
        signed_on=signed)
    assert clock.as_utc(record.given_at) == clock.from_local(signed, time(12, 0))
    assert clock.to_local(record.given_at).date() == signed

    for bad in (clock.today() + timedelta(days=1), date(1999, 12, 31)):
        with pytest.raises(DomainError) as e:
            sponsorships.record_guardian_consent(
                user=coord, student=make_girl("张小草", consent=False), given_by="张强",
                relation="父亲", scope="春蕾资助", signed_on=bad)
        assert e.value.field == "signed_on"
    # Signed today: noon may be still ahead, the record is never in the future.
    today_girl = make_girl("陈小苗", consent=False)
    record = sponsorships.record_guardian_consent(
        user=coord, student=today_girl, given_by="陈芳", relation="母亲", scope="春蕾资助",
        signed_on=clock.today())
    assert clock.as_utc(record.given_at) <= datetime.now(clock.local_zone())
    assert clock.to_local(record.given_at).date() == clock.today()
    # No date: now.
    record = sponsorships.record_guardian_consent(
        user=coord, student=make_girl("王小禾", consent=False), given_by="王军",
        relation="父亲", scope="春蕾资助")
    assert abs(clock.as_utc(record.given_at) - datetime.now(clock.local_zone())) \
        < timedelta(minutes=1)


def test_consent_give_takes_a_time(app_ctx, make_person):
    person = make_person("陈晓燕")
    at = clock.from_local(date(2025, 3, 8), time(12, 0))
    record = consent.give(person=person, purpose="volunteer", channel="paper", given_at=at)
    assert clock.as_utc(app_ctx.get(ConsentRecord, record.id).given_at) == at
