"""What a donor sees of the girls she sponsors (donor_view: an allow-list projection) and
how a coordinator invites a donor (donor_accounts)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from matchmaker.models import Notification, OneTimeToken, User
from matchmaker.models.base import utcnow
from matchmaker.services import consent, donor_accounts, donor_view, tokens
from matchmaker.services.errors import DomainError, NotFound
from matchmaker.services.terms import current_term, term_end
from tests.conftest import _region


@pytest.fixture
def world(app_ctx, world):
    """The shared world (tests.sponsorship_fixtures), in an application context: these
    tests call the services directly."""
    return world


ALLOWED = {"sponsorship_id", "pseudonym", "age_band", "grade", "town", "status", "since",
           "hold_expires_at", "notes"}


def test_the_card_is_an_allow_list(world):
    assert {f.name for f in dataclasses.fields(donor_view.StudentCard)} == ALLOWED
    assert {f.name for f in dataclasses.fields(donor_view.NoteView)} == {"term", "body"}
    donor, _ = world.donor()
    girl = world.girl()
    sp = world.sponsorship(world.pledge(donor), girl)
    world.note(girl, "本学期数学考了95分。")
    world.note(girl, "草稿，还没审核。", term="2027-spring", status="draft")
    card = donor_view.card(donor, sp.id)
    with pytest.raises(dataclasses.FrozenInstanceError):
        card.pseudonym = "王小红"  # type: ignore[misc]
    assert card.pseudonym == "小红" and card.town == "盐官镇" and card.grade == "四年级"
    assert card.age_band.endswith("岁") and "2015" not in card.age_band
    assert card.status == "active" and card.since == date(2026, 9, 1)
    assert card.notes == (donor_view.NoteView("2026年秋季学期", "本学期数学考了95分。"),)
    # Nothing of hers beyond the allow-list, in any field.
    text = repr(card)
    for secret in ("王小红", "盐官镇中心小学", "王大山", "欠债", "13700000009", "13600000008",
                   "桃园村", girl.person.id_tail):
        assert secret not in text


def test_pseudonym_prefers_the_alias_and_cuts_compound_surnames(world):
    donor, _ = world.donor()
    pledge = world.pledge(donor, students=3)
    a = world.sponsorship(pledge, world.girl("欧阳娜娜"))
    b = world.sponsorship(pledge, world.girl("李春燕", alias="小燕子"))
    assert donor_view.card(donor, a.id).pseudonym == "娜娜"
    assert donor_view.card(donor, b.id).pseudonym == "小燕子"


def test_only_her_live_consented_girls_are_listed(world):
    donor, _ = world.donor()
    other, _ = world.donor("吴敏", mobile="13900000002")
    pledge = world.pledge(donor, students=5)
    active = world.sponsorship(pledge, world.girl("张小丽"))
    held = world.sponsorship(pledge, world.girl("刘小芳"), status="held")
    ended = world.sponsorship(pledge, world.girl("陈小梅"), status="ended")
    no_consent = world.sponsorship(pledge, world.girl("赵小雪", consented=False))
    theirs = world.sponsorship(world.pledge(other), world.girl("孙小雨"))

    cards = donor_view.cards(donor)
    # Proposals waiting for her answer come first.
    assert [(c.sponsorship_id, c.status) for c in cards] == [(held.id, "held"),
                                                             (active.id, "active")]
    assert cards[0].hold_expires_at is not None and cards[1].hold_expires_at is None
    for sid in (ended.id, no_consent.id, theirs.id, 999_999):
        with pytest.raises(NotFound):
            donor_view.card(donor, sid)


def test_an_expired_hold_is_not_offered(world):
    donor, _ = world.donor()
    sp = world.sponsorship(world.pledge(donor), world.girl(), status="held")
    sp.hold_expires_at = utcnow() - timedelta(minutes=1)
    world.s.flush()
    assert donor_view.cards(donor) == []
    with pytest.raises(NotFound):
        donor_view.card(donor, sp.id)


def test_withdrawing_consent_hides_her_at_once(world):
    donor, _ = world.donor()
    girl = world.girl()
    sp = world.sponsorship(world.pledge(donor), girl)
    world.payment(sp)
    world.letter(donor, girl)
    assert donor_view.card(donor, sp.id).pseudonym == "小红"
    consent.withdraw(person=girl.person, purpose="spring_bud")
    assert donor_view.cards(donor) == []
    with pytest.raises(NotFound):
        donor_view.card(donor, sp.id)
    # Her money's record stays, without the girl.
    assert [p.pseudonym for p in donor_view.payments(donor)] == [""]
    assert [x.pseudonym for x in donor_view.letters(donor)] == [""]


def test_once_her_sponsorship_ends_the_donor_no_longer_sees_her_name(world):
    donor, _ = world.donor()
    girl = world.girl()
    sp = world.sponsorship(world.pledge(donor), girl)
    pay = world.payment(sp)
    letter = world.letter(donor, girl)
    assert donor_view.payment(donor, pay.id).pseudonym == "小红"
    sp.status, sp.ended_on = "ended", date(2027, 2, 1)
    other, _ = world.donor("吴敏", mobile="13900000002")
    world.sponsorship(world.pledge(other), girl)  # another donor sponsors her now
    # Her money's record and her letters stay, without the girl.
    assert [p.pseudonym for p in donor_view.payments(donor)] == [""]
    assert donor_view.payment(donor, pay.id).pseudonym == ""
    assert [x.pseudonym for x in donor_view.letters(donor)] == [""]
    assert donor_view.letter(donor, letter.id).pseudonym == ""


@pytest.mark.parametrize(("term", "end"), [("2026-spring", date(2026, 7, 31)),
                                           ("2026-autumn", date(2027, 1, 31))])
def test_term_end(term, end):
    assert term_end(term) == end
    assert current_term(end) == term and current_term(end + timedelta(days=1)) != term


def test_the_card_shows_notes_only_from_terms_since_the_sponsorship_started(world):
    donor, _ = world.donor()
    girl = world.girl()
    sp = world.sponsorship(world.pledge(donor), girl)  # started 2026-09-01
    world.note(girl, "写给上一位捐助人的近况。", term="2026-spring")
    world.note(girl, "本学期当上了学习委员。", term="2026-autumn")
    world.note(girl, "春季学期的近况。", term="2027-spring")
    assert [n.body for n in donor_view.card(donor, sp.id).notes] == [
        "春季学期的近况。", "本学期当上了学习委员。"]
    sp.started_on = date(2026, 7, 31)  # the last day of the spring term: it counts
    world.s.flush()
    assert len(donor_view.card(donor, sp.id).notes) == 3


def test_payments_receipts_and_letters_are_hers_only(world):
    donor, _ = world.donor()
    other, _ = world.donor("吴敏", mobile="13900000002")
    mine = world.sponsorship(world.pledge(donor), world.girl())
    theirs = world.sponsorship(world.pledge(other), world.girl("孙小雨"))
    p1 = world.payment(mine, amount_fen=120_000)
    world.payment(mine, term="2027-spring", source="reserve")  # not her money
    p_other = world.payment(theirs)
    d_mine, d_other = world.donation(donor), world.donation(other, amount_fen=50_000)
    l_mine, l_other = world.letter(donor, mine.student), world.letter(other, theirs.student)

    assert [(p.id, p.amount_fen, p.pseudonym) for p in donor_view.payments(donor)] == [
        (p1.id, 120_000, "小红")]
    assert donor_view.payment(donor, p1.id).term == "2026年秋季学期"
    assert [r.donation_id for r in donor_view.receipts(donor)] == [d_mine.id]
    assert donor_view.receipt(donor, d_mine.id).receipt_no == d_mine.receipt_no
    assert [x.id for x in donor_view.letters(donor)] == [l_mine.id]
    money = donor_view.money_summary(donor)
    assert (money.donated_fen, money.donations, money.disbursed_fen, money.payments) == (
        200_000, 1, 120_000, 1)
    for lookup, other_id in ((donor_view.payment, p_other.id),
                             (donor_view.receipt, d_other.id),
                             (donor_view.letter, l_other.id),
                             (donor_view.card, theirs.id)):
        with pytest.raises(NotFound):
            lookup(donor, other_id)


def test_letters_go_only_to_an_active_sponsorship(world):
    donor, _ = world.donor()
    pledge = world.pledge(donor)
    active = world.sponsorship(pledge, world.girl())
    held = world.sponsorship(pledge, world.girl("刘小芳"), status="held")
    assert donor_view.student_id_for_letter(donor, active.id) == active.student_id
    with pytest.raises(NotFound):
        donor_view.student_id_for_letter(donor, held.id)


def test_an_account_without_a_donor_profile_sees_nothing(world, make_user):
    with pytest.raises(NotFound):
        donor_view.donor_of(make_user("donor"))


# --- invitations ----------------------------------------------------------------------

def _link(raw: str) -> str:
    return f"https://example.org/account/set-password/{raw}"


def test_invite_makes_one_account_and_sends_the_link_by_sms_only(world, make_user):
    donor, _ = world.donor(account=False)
    coordinator = make_user("coordinator", region_codes=("330481107",))
    account = donor_accounts.invite(user=coordinator, donor=donor, link_for=_link)
    assert account.role == "donor" and account.username == f"d{donor.person_id}"
    assert account.password_hash.startswith("!")
    assert donor_accounts.summary(donor).account == "invited"
    rows = world.s.execute(select(Notification.channel, Notification.body,
                                  Notification.secret).where(
        Notification.person_id == donor.person_id).order_by(Notification.channel)).all()
    (inapp, inapp_body, inapp_secret), (sms, sms_body, sms_secret) = rows
    assert (inapp, sms) == ("inapp", "sms")
    assert inapp_secret is None and sms_secret.startswith(_link(""))
    assert "set-password" not in inapp_body + sms_body
    first = sms_secret.rsplit("/", 1)[1]
    assert tokens.peek(first) is not None

    again = donor_accounts.invite(user=coordinator, donor=donor, link_for=_link)
    assert again.id == account.id
    assert world.s.scalar(select(func.count(User.id)).where(
        User.person_id == donor.person_id)) == 1
    assert tokens.peek(first) is None  # the first link was revoked
    assert world.s.scalar(select(func.count(OneTimeToken.id)).where(
        OneTimeToken.user_id == account.id, OneTimeToken.used_at.is_(None))) == 1


def test_invite_is_refused_out_of_scope_and_without_a_mobile(world, make_user):
    donor, _ = world.donor(account=False)
    elsewhere = make_user("coordinator", region_codes=("330481101",))
    with pytest.raises(NotFound):
        donor_accounts.get_donor(elsewhere, donor.id)
    with pytest.raises(NotFound):
        donor_accounts.invite(user=elsewhere, donor=donor, link_for=_link)
    # A pledge handled by the other town's federation brings her into its scope.
    pledge = world.pledge(donor)
    pledge.region = _region(world.s, "330481101")
    world.s.flush()
    assert donor_accounts.get_donor(elsewhere, donor.id) == donor

    no_mobile, _ = world.donor("钱芳", mobile=None, account=False)
    with pytest.raises(DomainError, match="手机号"):
        donor_accounts.invite(user=make_user("admin"), donor=no_mobile, link_for=_link)
    assert donor_accounts.account_of(no_mobile) is None
