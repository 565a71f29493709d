"""Progress notes: terms, the privacy guard on what a donor will read, four eyes on
approval, scope, and only approved notes reaching a donor."""

from datetime import date

import pytest

from matchmaker.models import ConsentRecord, ProgressNote, SpringBudProfile
from matchmaker.models.base import utcnow
from matchmaker.services import progress_notes as notes
from matchmaker.services import terms
from matchmaker.services.errors import DomainError, Forbidden, NotFound

BODY = "本学期她的语文和数学成绩都有进步，参加了学校合唱队，老师说她上课更爱发言了。"


@pytest.fixture
def girl(session, make_person):
    """王小花, 11, in 盐官镇 郭店村, at 海宁市盐官镇中心小学, with her guardian's consent."""
    person = make_person("王小花", region="330481107201", birth=date(2015, 4, 2), mobile=None)
    session.add(ConsentRecord(person=person, purpose="spring_bud", notice_version="2026-11",
                              given_by="王建国", relation="父亲", channel="paper",
                              given_at=utcnow()))
    profile = SpringBudProfile(person=person, school="海宁市盐官镇中心小学", grade="五年级",
                               guardian_name="王建国", guardian_relation="父亲",
                               guardian_consent=True, alias="小蕾")
    session.add(profile)
    session.flush()
    return profile


@pytest.fixture
def staff(make_user):
    return {"writer": make_user("coordinator", region_codes=("330481107",)),
            "checker": make_user("coordinator", region_codes=("330481107",)),
            "xucun": make_user("coordinator", region_codes=("330481101",)),
            "admin": make_user("admin")}


# ---------------------------------------------------------------- terms


@pytest.mark.parametrize("raw, stored", [("2026-autumn", "2026-autumn"),
                                         (" 2025-Spring ", "2025-spring")])
def test_terms_are_year_and_season(app_ctx, raw, stored):
    assert terms.parse_term(raw) == stored


@pytest.mark.parametrize("raw", ["2026-summer", "2026秋", "26-autumn", "", "1999-spring",
                                 "2999-autumn"])
def test_other_terms_are_refused_in_chinese(app_ctx, raw):
    with pytest.raises(DomainError) as e:
        terms.parse_term(raw)
    assert e.value.field == "term" and "学期" in e.value.message


def test_term_labels_and_order(app_ctx):
    assert terms.term_label("2026-autumn") == "2026年秋季学期"
    assert terms.term_label("2026-spring") == "2026年春季学期"
    assert terms.current_term(date(2026, 9, 1)) == "2026-autumn"
    assert terms.current_term(date(2027, 1, 15)) == "2026-autumn"
    assert terms.current_term(date(2027, 3, 1)) == "2027-spring"
    assert terms.recent_terms(3, date(2026, 9, 1)) == ["2026-autumn", "2026-spring",
                                                       "2025-autumn"]


# ---------------------------------------------------------------- the guard


@pytest.mark.parametrize("body, problem", [
    ("她的妈妈电话 138 1234 5678，有事可以联系。" + BODY, "手机号码"),
    ("她的身份证号码是330481201504020026。" + BODY, "身份证号码"),
    ("王小花同学" + BODY, "全名"),
    ("王 小花同学" + BODY, "全名"),
    ("她在海宁市盐官镇中心小学读五年级。" + BODY, "学校名称"),
    ("她在盐官镇中心小学读五年级。" + BODY, "学校名称"),
    ("她的父亲王建国很支持她。" + BODY, "监护人"),
])
def test_note_text_naming_or_reaching_the_girl_is_refused(app_ctx, girl, staff, body, problem):
    with pytest.raises(DomainError) as e:
        notes.write(user=staff["writer"], student=girl, term="2026-spring", body=body)
    assert problem in e.value.message and e.value.field == "body"
    assert app_ctx.query(ProgressNote).count() == 0


def test_a_given_name_an_alias_and_ordinary_numbers_pass(app_ctx, girl, staff):
    body = "小花（小蕾）期末考了 95.5 分，2026-01-20 放寒假，全班 45 人中排第 3。" + BODY
    note = notes.write(user=staff["writer"], student=girl, term="2026-spring", body=body)
    assert (note.status, note.written_by, note.body) == ("draft", staff["writer"].id, body)


def test_note_length_and_markup_are_limited(app_ctx, girl, staff):
    for body, words in [("x" * (notes.NOTE_MAX + 1), "不能超过"), ("", "不能为空"),
                        ("<script>alert(1)</script>" + BODY, "尖括号"), ("很好", "太短")]:
        with pytest.raises(DomainError) as e:
            notes.write(user=staff["writer"], student=girl, term="2026-spring", body=body)
        assert words in e.value.message


# ---------------------------------------------------------------- four eyes


def test_the_writer_cannot_approve_her_own_note(app_ctx, girl, staff):
    note = notes.write(user=staff["writer"], student=girl, term="2026-spring", body=BODY)
    with pytest.raises(DomainError) as e:
        notes.approve(user=staff["writer"], note=note)
    assert "不能批准自己写的进展" in e.value.message
    assert note.status == "draft" and note.approved_by is None
    notes.approve(user=staff["checker"], note=note)
    assert (note.status, note.approved_by) == ("approved", staff["checker"].id)
    assert note.approved_at is not None


def test_an_admin_who_wrote_a_note_cannot_approve_it_either(app_ctx, girl, staff):
    note = notes.write(user=staff["admin"], student=girl, term="2026-spring", body=BODY)
    with pytest.raises(DomainError):
        notes.approve(user=staff["admin"], note=note)
    notes.approve(user=staff["writer"], note=note)
    assert note.status == "approved"


def test_the_approval_queue_leaves_out_her_own_drafts(app_ctx, girl, staff):
    note = notes.write(user=staff["writer"], student=girl, term="2026-spring", body=BODY)
    assert notes.to_approve(staff["writer"]) == []
    assert notes.my_drafts(staff["writer"]) == [note]
    assert notes.to_approve(staff["checker"]) == [note]
    assert notes.to_approve(staff["xucun"]) == []


def test_only_a_draft_is_approved_and_only_once(app_ctx, girl, staff):
    note = notes.write(user=staff["writer"], student=girl, term="2026-spring", body=BODY)
    notes.approve(user=staff["checker"], note=note)
    with pytest.raises(DomainError):
        notes.approve(user=staff["admin"], note=note)


def test_approval_checks_the_text_again(app_ctx, girl, staff):
    note = notes.write(user=staff["writer"], student=girl, term="2026-spring",
                       body="她的同桌李梅梅很照顾她。" + BODY)
    girl.person.name = "李梅梅"  # the name on file was corrected after the note was written
    with pytest.raises(DomainError) as e:
        notes.approve(user=staff["checker"], note=note)
    assert "全名" in e.value.message and note.status == "draft"


# ---------------------------------------------------------------- scope and roles


def test_a_coordinator_of_another_town_finds_neither_girl_nor_note(app_ctx, girl, staff):
    with pytest.raises(NotFound):
        notes.get_student(staff["xucun"], girl.id)
    with pytest.raises(NotFound):
        notes.write(user=staff["xucun"], student=girl, term="2026-spring", body=BODY)
    note = notes.write(user=staff["writer"], student=girl, term="2026-spring", body=BODY)
    with pytest.raises(NotFound):
        notes.get_note(staff["xucun"], note.id)
    with pytest.raises(NotFound):
        notes.approve(user=staff["xucun"], note=note)
    assert girl not in notes.students_in_scope(staff["xucun"])
    assert girl in notes.students_in_scope(staff["writer"])


def test_donors_and_volunteers_cannot_write_notes(app_ctx, girl, make_user):
    with pytest.raises(Forbidden):
        notes.write(user=make_user("donor"), student=girl, term="2026-spring", body=BODY)


def test_one_live_note_per_girl_and_term(app_ctx, girl, staff):
    first = notes.write(user=staff["writer"], student=girl, term="2026-spring", body=BODY)
    with pytest.raises(DomainError) as e:
        notes.write(user=staff["checker"], student=girl, term="2026-spring", body=BODY)
    assert e.value.field == "term" and "2026年春季学期" in e.value.message
    notes.withdraw(user=staff["writer"], note=first)
    assert notes.write(user=staff["checker"], student=girl, term="2026-spring", body=BODY)


# ---------------------------------------------------------------- what reaches a donor


def test_only_approved_notes_reach_a_donor_newest_term_first(app_ctx, girl, staff):
    w, c = staff["writer"], staff["checker"]
    spring = notes.write(user=w, student=girl, term="2026-spring", body=BODY)
    autumn = notes.write(user=w, student=girl, term="2026-autumn", body=BODY)
    old = notes.write(user=w, student=girl, term="2025-autumn", body=BODY)
    draft = notes.write(user=w, student=girl, term="2025-spring", body=BODY)
    assert notes.approved_for(girl) == []
    for n in (spring, autumn, old):
        notes.approve(user=c, note=n)
    assert notes.approved_for(girl) == [autumn, spring, old]
    notes.withdraw(user=c, note=spring)
    assert spring.status == "withdrawn"
    assert notes.approved_for(girl) == [autumn, old]
    assert draft not in notes.approved_for(girl)
    with pytest.raises(DomainError):
        notes.withdraw(user=c, note=spring)


# ---------------------------------------------------------------- the guard, harder cases


@pytest.fixture
def lihua(session, make_person):
    """李小花, born 2014-05-01, in 郭店村 (盐官镇), at 盐官镇中心小学, guardian 李建国."""
    person = make_person("李小花", region="330481107201", birth=date(2014, 5, 1), mobile=None)
    profile = SpringBudProfile(person=person, school="盐官镇中心小学", grade="六年级",
                               guardian_name="李建国", guardian_relation="父亲",
                               guardian_consent=True)
    session.add(profile)
    session.flush()
    return profile


@pytest.mark.parametrize("text, problem", [
    ("李\u200b小花这学期很努力", "全名"),
    ("李-小花这学期很努力", "全名"),
    ("李、小花这学期很努力", "全名"),
    ("李\n小花这学期很努力", "全名"),
    ("ＬＩ李 ★ 小花", "全名"),
    ("她父亲李\u200c建-国很支持", "监护人"),
    ("联系 138.1234.5678", "手机号码"),
    ("联系 138–1234–5678", "手机号码"),
    ("联系 138/1234/5678", "手机号码"),
    ("联系 138_1234_5678", "手机号码"),
    ("联系一三八一二三四五六七八", "手机号码"),
    ("联系 幺三八 一二三四 五六七八", "手机号码"),
    ("证件三三〇四八一二〇一四〇五〇一〇〇二六", "身份证号码"),
    ("她家在郭店村，离学校不远", "村"),
    ("她家在某村12号", "住址"),
    ("她家在新华村3组12号", "住址"),
    ("她家在郭店村3组12号", ""),
    ("她家在某村十二号", "住址"),
    ("她在盐官中心小学读书", "学校名称"),
    ("她在盐官小学读书", "学校名称"),
    ("她在盐官镇中心小学读书", "学校名称"),
    ("她是2014年5月1日出生的", "出生日期"),
    ("出生日期：2014-05-01", "出生日期"),
    ("她生于二〇一四年五月一日", "出生日期"),
    ("她的生日是5月1日", "出生日期"),
    ("2014.5.1 是她来到世上的日子", "出生日期"),
])
def test_the_guard_is_not_fooled_by_separators_numerals_or_short_forms(app_ctx, lihua, text,
                                                                         problem):
    with pytest.raises(DomainError) as e:
        notes.check_private(text, lihua, field="body")
    assert problem in e.value.message and e.value.field == "body"


@pytest.mark.parametrize("text", [
    "2026年9月她升入六年级，第3单元测验考得很好。",
    "数学95分，语文98.5分，英语第3名。",
    "9月3号开学，2026-09-01 报到，第3组值日。",
    "她所在的盐官镇今年新建了图书馆。",
    "小花祝你生日快乐！一二三四五，上山打老虎。",
    "全班 45 人，她排第 3，共 12 次获得小红花。",
    "2025年出了一本书，2026年9月1日我们去看了海宁潮。",
    "请捐助人 2026-01-20 到 2026-02-10 之间来看望。",
    "小花，祝你生日快乐！9月1日开学见。她的生日在三月。",
])
def test_ordinary_dates_scores_and_places_still_pass(app_ctx, lihua, text):
    notes.check_private(text, lihua, field="body")
