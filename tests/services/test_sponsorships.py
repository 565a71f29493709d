"""Spring Bud links: the guardian's consent first, one live sponsorship per girl (the
service and the database), holds that expire, the donor's decision, withdrawal, and the
engine's proposals within the coordinator's scope."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from matchmaker.models import (
    ConsentRecord,
    DonorProfile,
    Notification,
    Pledge,
    Sponsorship,
)
from matchmaker.models.base import utcnow
from matchmaker.services import names, sponsorships
from matchmaker.services.clock import as_utc, today
from matchmaker.services.errors import DomainError, NotFound
from tests.sponsorship_fixtures import XUCUN_VILLAGE, YANGUAN_VILLAGE, region


@pytest.fixture
def make_girl(make_waiting_girl):
    """This file's girl: 陈小燕, her mother's consent, waiting 30 days (see the plugin)."""
    return make_waiting_girl


@pytest.fixture
def make_donor(session, make_person):
    def build(name: str = "王慧", mobile: str = "13900001111") -> DonorProfile:
        person = make_person(name, region="330481107201", mobile=mobile, id_number=None)
        donor = DonorProfile(person=person, kind="person", display_name=name)
        session.add(donor)
        session.flush()
        return donor

    return build


@pytest.fixture
def make_pledge(session, make_donor):
    def build(donor: DonorProfile | None = None, *, region_code: str = "330481",
              students: int = 1, pref_region: str | None = None, pref_grade: str = "",
              greatest_need: bool = False, status: str = "active") -> Pledge:
        pledge = Pledge(donor=donor or make_donor(), region=region(session, region_code),
                        amount_fen=100_000, period="term", students=students,
                        greatest_need=greatest_need,
                        pref_region=region(session, pref_region) if pref_region else None,
                        pref_grade=pref_grade, starts_on=date(2026, 9, 1), status=status)
        session.add(pledge)
        session.flush()
        return pledge

    return build


@pytest.fixture
def coordinator(make_user):
    return make_user("coordinator", region_codes=("330481",))


def donor_inbox(session, donor: DonorProfile) -> list[Notification]:
    return list(session.scalars(select(Notification).where(
        Notification.person_id == donor.person_id)))


# --- what may be said of a girl ---------------------------------------------------------

@pytest.mark.parametrize(("birth", "band"), [
    (date(2021, 1, 2), "6岁以下"), (date(2020, 1, 1), "6–8岁"), (date(2017, 1, 2), "6–8岁"),
    (date(2017, 1, 1), "9–11岁"), (date(2014, 1, 1), "12–14岁"), (date(2009, 1, 2), "15–17岁"),
    (date(2008, 1, 1), "18岁及以上")])
def test_age_band_from_the_birth_date(app_ctx, birth, band):
    assert sponsorships.age_band(birth, date(2026, 1, 1)) == band


def test_pseudonym_is_the_alias_or_the_given_name(app_ctx, make_girl):
    assert names.pseudonym(make_girl("陈小燕")) == "小燕"
    assert names.pseudonym(make_girl("欧阳春花")) == "春花"
    assert names.pseudonym(make_girl("李梅", alias="小梅")) == "小梅"


# --- consent ----------------------------------------------------------------------------

def test_no_link_without_the_guardians_consent(app_ctx, coordinator, make_girl, make_pledge):
    girl, pledge = make_girl(consent=False), make_pledge()
    with pytest.raises(DomainError, match="监护人"):
        sponsorships.link(user=coordinator, pledge=pledge, student=girl)
    assert app_ctx.scalar(select(Sponsorship.id)) is None


def test_recording_consent_keeps_who_relation_scope_version_and_recorder(
        app_ctx, coordinator, make_girl, make_pledge):
    girl = make_girl(consent=False)
    assert not sponsorships.consented(girl)
    record = sponsorships.record_guardian_consent(
        user=coordinator, student=girl, given_by="陈芳", relation="母亲", scope="结对资助")
    assert (record.purpose, record.notice_version, record.given_by, record.relation,
            record.scope, record.channel, record.recorded_by) == (
        "spring_bud", "2026-11", "陈芳", "母亲", "结对资助", "paper", coordinator.id)
    assert sponsorships.consented(girl) and girl.guardian_consent
    with pytest.raises(DomainError, match="无需重复"):
        sponsorships.record_guardian_consent(user=coordinator, student=girl, given_by="陈芳",
                                             relation="母亲", scope="结对资助")
    with pytest.raises(DomainError) as e:
        sponsorships.record_guardian_consent(user=coordinator, student=make_girl("周小丽",
                                             consent=False), given_by="", relation="母亲",
                                             scope="x")
    assert e.value.field == "given_by"
    assert sponsorships.link(user=coordinator, pledge=make_pledge(), student=girl).status == "held"


def test_only_coordinators_of_her_region_record_or_withdraw(app_ctx, make_user, make_girl):
    girl = make_girl(consent=False, region_code=XUCUN_VILLAGE)
    yanguan = make_user("coordinator", region_codes=("330481107",))
    with pytest.raises(NotFound):
        sponsorships.record_guardian_consent(user=yanguan, student=girl, given_by="陈芳",
                                             relation="母亲", scope="结对资助")
    with pytest.raises(NotFound):
        sponsorships.withdraw_guardian_consent(user=yanguan, student=girl)
    with pytest.raises(NotFound):
        sponsorships.get_student(yanguan, girl.id)
    assert app_ctx.scalar(select(ConsentRecord.id)) is None


def test_withdrawing_consent_ends_her_live_sponsorships_at_once(
        app_ctx, coordinator, make_girl, make_pledge):
    girl = make_girl()
    pledge = make_pledge()
    sp = sponsorships.link(user=coordinator, pledge=pledge, student=girl)
    sponsorships.confirm_hold(donor=pledge.donor, sponsorship_id=sp.id)
    assert sponsorships.withdraw_guardian_consent(user=coordinator, student=girl) == 1
    assert (sp.status, sp.end_reason, sp.ended_on) == ("ended", "监护人撤回同意", today())
    assert not sponsorships.consented(girl) and not girl.guardian_consent
    # The donor is told a link ended, not whose.
    assert all("小燕" not in n.body and "陈" not in n.body
               for n in donor_inbox(app_ctx, pledge.donor)[-2:])
    with pytest.raises(DomainError, match="监护人"):
        sponsorships.link(user=coordinator, pledge=pledge, student=girl)
    with pytest.raises(DomainError, match="没有有效"):
        sponsorships.withdraw_guardian_consent(user=coordinator, student=girl)


def test_withdrawing_also_ends_a_hold(app_ctx, coordinator, make_girl, make_pledge):
    girl = make_girl()
    pledge = make_pledge()
    sp = sponsorships.link(user=coordinator, pledge=pledge, student=girl)
    sponsorships.withdraw_guardian_consent(user=coordinator, student=girl)
    assert sp.status == "ended"
    with pytest.raises(NotFound):
        sponsorships.confirm_hold(donor=pledge.donor, sponsorship_id=sp.id)


# --- links ------------------------------------------------------------------------------

def test_a_link_is_held_for_the_donor_who_is_told_without_the_full_name(
        app_ctx, coordinator, make_girl, make_pledge):
    girl = make_girl("陈小燕", birth=date(2015, 5, 1))
    pledge = make_pledge()
    sp = sponsorships.link(user=coordinator, pledge=pledge, student=girl)
    assert sp.status == "held" and sp.created_by == coordinator.id and not sp.proposed
    left = as_utc(sp.hold_expires_at) - utcnow()
    assert timedelta(days=13, hours=23) < left <= timedelta(days=14)
    inbox = donor_inbox(app_ctx, pledge.donor)
    assert {n.channel for n in inbox} == {"inapp", "sms"}
    body = inbox[0].body
    assert "小燕" in body and "盐官镇" in body and "岁" in body
    assert "陈小燕" not in body and "中心小学" not in body and "郭店村" not in body


def test_one_live_sponsorship_per_girl_checked_by_the_service(
        app_ctx, coordinator, make_girl, make_pledge):
    girl = make_girl()
    sponsorships.link(user=coordinator, pledge=make_pledge(), student=girl)
    with pytest.raises(DomainError, match="这名学生已有捐助人或正在等待捐助人确认"):
        sponsorships.link(user=coordinator, pledge=make_pledge(), student=girl)


def test_a_race_past_the_check_is_refused_by_the_index_in_chinese(
        app_ctx, coordinator, make_girl, make_pledge, monkeypatch):
    girl = make_girl()
    sponsorships.link(user=coordinator, pledge=make_pledge(), student=girl)
    monkeypatch.setattr(sponsorships, "_live_of", lambda student: [])
    with pytest.raises(DomainError, match="这名学生已有捐助人或正在等待捐助人确认"):
        sponsorships.link(user=coordinator, pledge=make_pledge(), student=girl)
    assert len(app_ctx.scalars(select(Sponsorship)).all()) == 1


def test_the_database_index_alone_allows_one_live_sponsorship(app_ctx, make_girl, make_pledge):
    girl = make_girl()
    p1, p2 = make_pledge(), make_pledge()
    app_ctx.add(Sponsorship(pledge=p1, student=girl, status="ended"))
    app_ctx.add(Sponsorship(pledge=p1, student=girl, status="active"))
    app_ctx.flush()
    with pytest.raises(IntegrityError):
        with app_ctx.begin_nested():
            app_ctx.add(Sponsorship(pledge=p2, student=girl, status="held"))
            app_ctx.flush()
    app_ctx.add(Sponsorship(pledge=p2, student=girl, status="ended"))
    app_ctx.flush()


def test_a_pledge_takes_no_more_girls_than_its_n(app_ctx, coordinator, make_girl, make_pledge):
    pledge = make_pledge(students=2)
    a, b, c = make_girl("甲小红"), make_girl("乙小红"), make_girl("丙小红")
    sponsorships.link(user=coordinator, pledge=pledge, student=a)
    held_b = sponsorships.link(user=coordinator, pledge=pledge, student=b)
    with pytest.raises(DomainError, match="名额已满"):
        sponsorships.link(user=coordinator, pledge=pledge, student=c)
    sponsorships.decline_hold(donor=pledge.donor, sponsorship_id=held_b.id)
    assert sponsorships.link(user=coordinator, pledge=pledge, student=c).status == "held"


def test_pledges_and_girls_out_of_scope_or_closed(app_ctx, make_user, make_girl, make_pledge):
    yanguan = make_user("coordinator", region_codes=("330481107",))
    city_pledge = make_pledge()
    town_pledge = make_pledge(region_code="330481107")
    here, there = make_girl("甲小红"), make_girl("乙小红", region_code=XUCUN_VILLAGE)
    with pytest.raises(NotFound):
        sponsorships.link(user=yanguan, pledge=city_pledge, student=here)
    with pytest.raises(NotFound):
        sponsorships.link(user=yanguan, pledge=town_pledge, student=there)
    with pytest.raises(NotFound):
        sponsorships.get_pledge(yanguan, city_pledge.id)
    lapsed = make_pledge(region_code="330481107", status="lapsed")
    with pytest.raises(DomainError, match="中断或已结束"):
        sponsorships.link(user=yanguan, pledge=lapsed, student=here)
    assert sponsorships.link(user=yanguan, pledge=town_pledge, student=here).status == "held"


# --- the donor decides ------------------------------------------------------------------

def test_the_donor_confirms_her_own_hold(app_ctx, coordinator, make_girl, make_pledge):
    girl = make_girl(flagged=True)
    pledge = make_pledge()
    sp = sponsorships.link(user=coordinator, pledge=pledge, student=girl)
    done = sponsorships.confirm_hold(donor=pledge.donor, sponsorship_id=sp.id)
    assert (done.status, done.started_on) == ("active", today())
    assert girl.waiting_since is None and girl.sponsor_lapsed_on is None
    with pytest.raises(NotFound):  # no longer held
        sponsorships.confirm_hold(donor=pledge.donor, sponsorship_id=sp.id)


def test_another_donors_sponsorship_is_not_found(app_ctx, coordinator, make_girl, make_pledge,
                                                 make_donor):
    pledge = make_pledge()
    sp = sponsorships.link(user=coordinator, pledge=pledge, student=make_girl())
    other = make_donor("赵敏", mobile="13900002222")
    with pytest.raises(NotFound):
        sponsorships.confirm_hold(donor=other, sponsorship_id=sp.id)
    with pytest.raises(NotFound):
        sponsorships.decline_hold(donor=other, sponsorship_id=sp.id)
    with pytest.raises(NotFound):
        sponsorships.confirm_hold(donor=pledge.donor, sponsorship_id=sp.id + 999)
    assert sp.status == "held"


def test_the_donor_declines(app_ctx, coordinator, make_girl, make_pledge):
    girl = make_girl(waited=40)
    since = girl.waiting_since
    pledge = make_pledge()
    sp = sponsorships.link(user=coordinator, pledge=pledge, student=girl)
    sponsorships.decline_hold(donor=pledge.donor, sponsorship_id=sp.id)
    assert (sp.status, sp.end_reason) == ("ended", "捐助人未确认")
    assert girl.waiting_since == since  # she kept waiting all along


def test_holds_expire(app_ctx, coordinator, make_girl, make_pledge):
    pledge = make_pledge()
    sp = sponsorships.link(user=coordinator, pledge=pledge, student=make_girl())
    assert sponsorships.expire_holds(now=utcnow() + timedelta(days=13)) == 0
    assert sp.status == "held"
    assert sponsorships.expire_holds(now=utcnow() + timedelta(days=14, minutes=1)) == 1
    assert (sp.status, sp.end_reason) == ("ended", "确认期限已过")
    with pytest.raises(NotFound):
        sponsorships.confirm_hold(donor=pledge.donor, sponsorship_id=sp.id)


def test_an_expired_hold_cannot_be_confirmed_before_the_sweep(
        app_ctx, coordinator, make_girl, make_pledge):
    pledge = make_pledge()
    sp = sponsorships.link(user=coordinator, pledge=pledge, student=make_girl())
    sp.hold_expires_at = utcnow() - timedelta(minutes=1)
    app_ctx.flush()
    with pytest.raises(NotFound):
        sponsorships.confirm_hold(donor=pledge.donor, sponsorship_id=sp.id)


def test_a_coordinator_ends_a_link_with_a_reason(app_ctx, coordinator, make_girl, make_pledge):
    girl = make_girl()
    pledge = make_pledge()
    sp = sponsorships.link(user=coordinator, pledge=pledge, student=girl)
    sponsorships.confirm_hold(donor=pledge.donor, sponsorship_id=sp.id)
    with pytest.raises(DomainError) as e:
        sponsorships.end(user=coordinator, sponsorship=sp, reason=" ")
    assert e.value.field == "reason"
    sponsorships.end(user=coordinator, sponsorship=sp, reason="学生转学外省")
    assert (sp.status, sp.end_reason, girl.waiting_since) == ("ended", "学生转学外省", today())
    with pytest.raises(DomainError, match="已经结束"):
        sponsorships.end(user=coordinator, sponsorship=sp, reason="再次")


# --- the girls list and the engine's proposals ------------------------------------------

def test_girls_list_filters(app_ctx, coordinator, make_girl, make_pledge):
    waiting = make_girl("甲小红")
    flagged = make_girl("乙小红", flagged=True)
    no_consent = make_girl("丙小红", consent=False)
    sponsored = make_girl("丁小红")
    sponsorships.link(user=coordinator, pledge=make_pledge(), student=sponsored)

    def ids(show):
        return {s.id for s in app_ctx.scalars(sponsorships.girls_query(coordinator, show=show))}

    assert ids("waiting") == {waiting.id, flagged.id}
    assert ids("flagged") == {flagged.id}
    assert ids("no_consent") == {no_consent.id}
    assert ids("sponsored") == {sponsored.id}
    first = app_ctx.scalars(sponsorships.girls_query(coordinator)).first()
    assert first.id == flagged.id


def test_girls_without_a_waiting_date_sort_by_their_registration(app_ctx, coordinator,
                                                                 make_girl):
    # Rows from before migration 0005 have no waiting date: they wait since registration.
    recent = make_girl("阿小红", waited=10)
    old_row = make_girl("白小红", waited=None)
    old_row.created_at = utcnow() - timedelta(days=100)
    longest = make_girl("曹小红", waited=200)
    app_ctx.flush()
    order = [s.id for s in app_ctx.scalars(sponsorships.girls_query(coordinator))]
    assert order == [longest.id, old_row.id, recent.id]


def test_proposals_respect_places_need_and_exclusions(app_ctx, coordinator, make_girl,
                                                      make_pledge):
    pledge = make_pledge(students=2)
    longest = make_girl("甲小红", waited=400)
    make_girl("乙小红", waited=10)
    flagged = make_girl("丙小红", waited=5, flagged=True)
    make_girl("丁小红", waited=5000, consent=False)
    taken = make_girl("戊小红", waited=4000)
    sponsorships.link(user=coordinator, pledge=make_pledge(), student=taken)
    props = sponsorships.proposals(coordinator, pledge)
    assert [p.student.id for p in props] == [flagged.id, longest.id]
    assert props[0].explanation.startswith("原捐助中断 · 等待 5 天")
    assert props[1].explanation == "等待 400 天"


def test_proposals_honour_the_donors_wishes_and_the_coordinators_scope(
        app_ctx, make_user, make_girl, make_pledge):
    pledge = make_pledge(students=1, pref_region="330481101", pref_grade="初中")
    make_girl("甲小红", waited=900)  # 盐官镇, 五年级
    fits = make_girl("乙小红", region_code=XUCUN_VILLAGE, grade="初二", waited=120)
    admin = make_user("admin")
    props = sponsorships.proposals(admin, pledge)
    assert [p.student.id for p in props] == [fits.id]
    assert props[0].explanation == "等待 120 天 · 同镇 · 年级相符"
    yanguan = make_user("coordinator", region_codes=("330481107",))
    with pytest.raises(NotFound):
        sponsorships.proposals(yanguan, pledge)
    town_pledge = make_pledge(region_code="330481107", students=3)
    assert {p.student.person.region.code for p in
            sponsorships.proposals(admin, town_pledge)} == {YANGUAN_VILLAGE}


def test_linking_proposals_records_the_reasons(app_ctx, coordinator, make_girl, make_pledge):
    pledge = make_pledge(students=2)
    a, b = make_girl("甲小红", waited=300), make_girl("乙小红", waited=200)
    c = make_girl("丙小红", waited=1)
    made = sponsorships.link_proposed(user=coordinator, pledge=pledge,
                                      student_ids=[a.id, b.id, c.id])
    assert {sp.student_id for sp in made} == {a.id, b.id}
    assert all(sp.proposed and sp.explanation.startswith("等待 ") for sp in made)
    assert sponsorships.proposals(coordinator, pledge) == []
