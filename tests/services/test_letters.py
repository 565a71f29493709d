"""Donors' letters: only to a girl she sponsors now with her guardian's consent in force,
no contact details, read by a coordinator of the girl's region, the donor told either way
without the girl's full name."""

from datetime import date

import pytest
from sqlalchemy import select

from matchmaker.models import (
    ConsentRecord,
    DonorLetter,
    DonorProfile,
    Notification,
    Pledge,
    Sponsorship,
    SpringBudProfile,
)
from matchmaker.models.base import utcnow
from matchmaker.services import consent, letters, names
from matchmaker.services.errors import DomainError, Forbidden, NotFound

LETTER = "小蕾你好！听说你这学期参加了合唱队，真为你高兴。天冷了，注意身体，好好学习。"


@pytest.fixture
def world(session, make_person, make_user, regions):
    """Two girls in 盐官镇 (王小花, alias 小蕾, sponsored by donor A; 李朵朵 held for A, not
    yet active) and 张丽丽 in 许村镇, sponsored by donor B."""

    def girl(name, region, alias=""):
        person = make_person(name, region=region, birth=date(2015, 4, 2), mobile=None)
        session.add(ConsentRecord(person=person, purpose="spring_bud", notice_version="2026-11",
                                  given_by="监护人", relation="母亲", channel="paper",
                                  given_at=utcnow()))
        profile = SpringBudProfile(person=person, school="海宁市盐官镇中心小学", grade="五年级",
                                   guardian_name="赵美丽", guardian_relation="母亲",
                                   guardian_consent=True, alias=alias)
        session.add(profile)
        return profile

    def donor(name, mobile, display):
        person = make_person(name, region="330481", birth=date(1975, 1, 1), mobile=mobile)
        profile = DonorProfile(person=person, display_name=display)
        session.add(profile)
        session.flush()
        return profile

    def sponsor(donor_profile, student, status="active"):
        pledge = Pledge(donor=donor_profile, region=regions["330481"], amount_fen=100_000,
                        starts_on=date(2026, 2, 1))
        session.add(Sponsorship(pledge=pledge, student=student, status=status,
                                started_on=date(2026, 2, 1) if status == "active" else None))

    w = {"xiaohua": girl("王小花", "330481107201", alias="小蕾"),
         "duoduo": girl("李朵朵", "330481107202"),
         "lili": girl("张丽丽", "330481101201"),
         "a": donor("周慧敏", "13900001111", "周女士"),
         "b": donor("吴建华", None, "")}
    sponsor(w["a"], w["xiaohua"])
    sponsor(w["a"], w["duoduo"], status="held")
    sponsor(w["b"], w["lili"])
    session.flush()
    w["yanguan"] = make_user("coordinator", region_codes=("330481107",))
    w["xucun"] = make_user("coordinator", region_codes=("330481101",))
    return w


def test_a_donor_writes_to_the_girl_she_sponsors(app_ctx, world):
    letter = letters.submit(donor=world["a"], student_id=world["xiaohua"].id, body=LETTER)
    assert (letter.status, letter.donor_id, letter.student_id, letter.body) == (
        "pending", world["a"].id, world["xiaohua"].id, LETTER)
    assert letters.letters_of(world["a"]) == [letter]
    assert letters.letters_of(world["b"]) == []


def test_no_letter_without_an_active_sponsorship(app_ctx, world):
    for donor, girl in [("a", "lili"),       # another donor's girl
                        ("a", "duoduo"),     # only held for her, not active yet
                        ("b", "xiaohua")]:
        with pytest.raises(NotFound):
            letters.submit(donor=world[donor], student_id=world[girl].id, body=LETTER)
    with pytest.raises(NotFound):
        letters.submit(donor=world["a"], student_id=999_999, body=LETTER)
    assert app_ctx.scalar(select(DonorLetter.id)) is None


def test_no_letter_once_the_guardian_withdrew_consent(app_ctx, world):
    consent.withdraw(person=world["xiaohua"].person, purpose="spring_bud")
    with pytest.raises(NotFound):
        letters.submit(donor=world["a"], student_id=world["xiaohua"].id, body=LETTER)


def test_no_letter_after_the_sponsorship_ended(app_ctx, world):
    app_ctx.scalar(select(Sponsorship).where(
        Sponsorship.student_id == world["xiaohua"].id)).status = "ended"
    app_ctx.flush()
    with pytest.raises(NotFound):
        letters.submit(donor=world["a"], student_id=world["xiaohua"].id, body=LETTER)


@pytest.mark.parametrize("extra, problem", [
    ("有事打我电话 139-0000-1111。", "手机号码"),
    ("我的手机：＋86 13900001111", "手机号码"),
    ("我的身份证 33048119750101002X 你可以记下。", "身份证号码"),
    ("可以给我写邮件 zhou@example.com", "电子邮箱"),
    ("加我微信 zhou_hm1975 吧", "微信号"),
    ("我家在文苑路 18 号，欢迎来玩。", "住址"),
    ("座机 0573-87251234", "电话号码"),
])
def test_contact_details_are_refused_in_a_letter(app_ctx, world, extra, problem):
    with pytest.raises(DomainError) as e:
        letters.submit(donor=world["a"], student_id=world["xiaohua"].id, body=LETTER + extra)
    assert problem in e.value.message and e.value.field == "body"


def test_a_letter_naming_the_girl_in_full_is_refused(app_ctx, world):
    with pytest.raises(DomainError) as e:
        letters.submit(donor=world["a"], student_id=world["xiaohua"].id, body="王小花：" + LETTER)
    assert "全名" in e.value.message


def test_letter_length_is_limited(app_ctx, world):
    for body in ("", "好" * (letters.LETTER_MAX + 1)):
        with pytest.raises(DomainError):
            letters.submit(donor=world["a"], student_id=world["xiaohua"].id, body=body)


def test_letters_cannot_pile_up_unread(app_ctx, world):
    for _ in range(letters.MAX_PENDING):
        letters.submit(donor=world["a"], student_id=world["xiaohua"].id, body=LETTER)
    with pytest.raises(DomainError):
        letters.submit(donor=world["a"], student_id=world["xiaohua"].id, body=LETTER)


def _inbox(session, donor):
    return list(session.scalars(select(Notification).where(
        Notification.person_id == donor.person_id).order_by(Notification.id)))


def test_forwarding_tells_the_donor_by_pseudonym(app_ctx, world):
    letter = letters.submit(donor=world["a"], student_id=world["xiaohua"].id, body=LETTER)
    assert letters.queue(world["yanguan"]) == [letter]
    letters.forward(user=world["yanguan"], letter=letter)
    assert (letter.status, letter.reviewed_by) == ("forwarded", world["yanguan"].id)
    assert letter.reviewed_at is not None
    sent = _inbox(app_ctx, world["a"])
    assert {n.channel for n in sent} == {"inapp", "sms"}  # donor A has a mobile
    for n in sent:
        assert "小蕾" in n.body and "王小花" not in n.body + n.subject
        assert "自愿" in n.body
    assert letters.queue(world["yanguan"]) == []
    with pytest.raises(DomainError):
        letters.forward(user=world["yanguan"], letter=letter)


def test_declining_tells_the_donor_why_without_the_full_name(app_ctx, world):
    letter = letters.submit(donor=world["a"], student_id=world["xiaohua"].id, body=LETTER)
    with pytest.raises(DomainError) as e:
        letters.decline(user=world["yanguan"], letter=letter, note="")
    assert e.value.field == "note" and letter.status == "pending"
    with pytest.raises(DomainError) as e:
        letters.decline(user=world["yanguan"], letter=letter, note="王小花不想收信")
    assert "全名" in e.value.message
    letters.decline(user=world["yanguan"], letter=letter, note="信中有让孩子为难的要求")
    assert (letter.status, letter.review_note) == ("declined", "信中有让孩子为难的要求")
    (n,) = _inbox(app_ctx, world["a"])[:1]
    assert "信中有让孩子为难的要求" in n.body and "小蕾" in n.body
    assert "王小花" not in n.body + n.subject


def test_a_girl_without_alias_is_named_by_her_given_name(app_ctx, world):
    app_ctx.scalar(select(Sponsorship).where(
        Sponsorship.student_id == world["duoduo"].id)).status = "active"
    app_ctx.flush()
    letter = letters.submit(donor=world["a"], student_id=world["duoduo"].id,
                            body="朵朵你好！祝你新学期学习进步，天天开心。")
    letters.forward(user=world["yanguan"], letter=letter)
    (n, *_) = _inbox(app_ctx, world["a"])
    assert "朵朵" in n.body and "李朵朵" not in n.body


def test_a_coordinator_of_another_town_finds_no_letter(app_ctx, world):
    letter = letters.submit(donor=world["a"], student_id=world["xiaohua"].id, body=LETTER)
    assert letters.queue(world["xucun"]) == []
    for call in (lambda: letters.get_letter(world["xucun"], letter.id),
                 lambda: letters.forward(user=world["xucun"], letter=letter),
                 lambda: letters.decline(user=world["xucun"], letter=letter, note="不合适")):
        with pytest.raises(NotFound):
            call()
    assert letter.status == "pending" and _inbox(app_ctx, world["a"]) == []


def test_a_donor_account_cannot_review_letters(app_ctx, world, make_user):
    with pytest.raises(Forbidden):
        letters.queue(make_user("donor"))


@pytest.mark.parametrize("full, given", [("王小花", "小花"), ("欧阳娜娜", "娜娜"), ("诸葛亮", "亮"),
                                         ("东方明", "方明"), ("阿依古丽·买买提", "阿依古丽"),
                                         ("Anna Smith", "Anna")])
def test_given_names(full, given):
    assert names.given_name(full) == given


def test_ordinary_numbers_in_a_letter_pass(app_ctx, world):
    body = "小蕾：第3单元测验考了98.5分吧？9月3号开学，2026-09-01 我也去学校附近出差。"
    assert letters.submit(donor=world["a"], student_id=world["xiaohua"].id, body=body).body == body


# ---------------------------------------------------------------- after consent or the link ends


def _the_link(session, world, girl="xiaohua"):
    return session.scalar(select(Sponsorship).where(Sponsorship.student_id == world[girl].id))


def test_no_forward_or_decline_once_consent_is_withdrawn(app_ctx, world):
    letter = letters.submit(donor=world["a"], student_id=world["xiaohua"].id, body=LETTER)
    consent.withdraw(person=world["xiaohua"].person, purpose="spring_bud")
    for call in (lambda: letters.forward(user=world["yanguan"], letter=letter),
                 lambda: letters.decline(user=world["yanguan"], letter=letter, note="不合适")):
        with pytest.raises(DomainError) as e:
            call()
        assert "监护人" in e.value.message
    assert letter.status == "pending" and _inbox(app_ctx, world["a"]) == []


def test_no_forward_or_decline_once_the_donor_no_longer_sponsors_her(app_ctx, world):
    letter = letters.submit(donor=world["a"], student_id=world["xiaohua"].id, body=LETTER)
    _the_link(app_ctx, world).status = "ended"
    app_ctx.flush()
    for call in (lambda: letters.forward(user=world["yanguan"], letter=letter),
                 lambda: letters.decline(user=world["yanguan"], letter=letter, note="不合适")):
        with pytest.raises(DomainError) as e:
            call()
        assert "结对" in e.value.message
    assert letter.status == "pending" and _inbox(app_ctx, world["a"]) == []


def test_withdrawing_consent_closes_her_pending_letters(app_ctx, world):
    from matchmaker.services import sponsorships

    mine = letters.submit(donor=world["a"], student_id=world["xiaohua"].id, body=LETTER)
    done = letters.submit(donor=world["a"], student_id=world["xiaohua"].id, body=LETTER)
    letters.forward(user=world["yanguan"], letter=done)
    other = letters.submit(donor=world["b"], student_id=world["lili"].id,
                           body="丽丽你好！" + LETTER)
    before = len(_inbox(app_ctx, world["a"]))
    sponsorships.withdraw_guardian_consent(user=world["yanguan"], student=world["xiaohua"])
    # The donor is told that things changed, not why.
    assert (mine.status, mine.review_note) == ("declined", "结对情况变化")
    assert mine.reviewed_at is not None
    assert done.status == "forwarded" and other.status == "pending"
    assert letters.queue(world["yanguan"]) == []
    told = _inbox(app_ctx, world["a"])[before:]
    letter_notes = [n for n in told if "信" in n.subject + n.body]
    assert letter_notes
    for n in told:
        for secret in ("小蕾", "王小花", "小花"):
            assert secret not in n.subject + n.body


def test_ending_a_sponsorship_closes_that_donors_pending_letters(app_ctx, world):
    from matchmaker.services import sponsorships

    letter = letters.submit(donor=world["a"], student_id=world["xiaohua"].id, body=LETTER)
    sponsorships.end(user=world["yanguan"], sponsorship=_the_link(app_ctx, world),
                     reason="家庭搬迁到外省")
    assert letter.status == "declined" and letter.review_note
    assert "外省" not in letter.review_note
    assert all("小蕾" not in n.body and "王小花" not in n.body for n in _inbox(app_ctx, world["a"]))


def test_close_pending_only_touches_the_given_donor(app_ctx, world):
    mine = letters.submit(donor=world["a"], student_id=world["xiaohua"].id, body=LETTER)
    # Donor B once sponsored her too; a letter of B's is still waiting.
    theirs = DonorLetter(donor_id=world["b"].id, student_id=world["xiaohua"].id, body=LETTER,
                         status="pending")
    app_ctx.add(theirs)
    app_ctx.flush()
    assert letters.close_pending(world["xiaohua"].id, world["b"].id, reason="结对已结束") == 1
    assert (theirs.status, mine.status) == ("declined", "pending")
    assert letters.close_pending(world["xiaohua"].id, reason="监护人撤回同意") == 1
    assert mine.status == "declined"
    assert letters.close_pending(world["xiaohua"].id, reason="监护人撤回同意") == 0


@pytest.mark.parametrize("body", ["王-小花你好！", "王\u200b小花你好！", "王、小花你好！",
                                  "有事打 139.0000.1111", "我家在某村12号"])
def test_a_letter_cannot_slip_past_the_guard(app_ctx, world, body):
    with pytest.raises(DomainError):
        letters.submit(donor=world["a"], student_id=world["xiaohua"].id, body=body + LETTER)
