"""Progress notes and donors' letters in the browser: write, four eyes, withdraw, the
letters queue, forward / decline, the printable letter, scope and roles."""

from datetime import date

import pytest
from sqlalchemy import select

from matchmaker.models import (
    ConsentRecord,
    DonorLetter,
    DonorProfile,
    Notification,
    Pledge,
    ProgressNote,
    Sponsorship,
    SpringBudProfile,
)
from matchmaker.models.base import utcnow
from tests.conftest import csrf_token, login

BODY = "本学期她的语文和数学成绩都有进步，参加了学校合唱队，老师说她上课更爱发言了。"
LETTER = "小花你好！听说你这学期参加了合唱队，真为你高兴。天冷了，注意身体。"
SCHOOL = "海宁市盐官镇中心小学"


@pytest.fixture
def world(session, make_person, make_user, regions):
    """王小花 in 盐官镇, sponsored by donor 周慧敏 (who signs 周女士); two coordinators of
    盐官镇 and one of 许村镇."""
    person = make_person("王小花", region="330481107201", birth=date(2015, 4, 2), mobile=None)
    session.add(ConsentRecord(person=person, purpose="spring_bud", notice_version="2026-11",
                              given_by="赵美丽", relation="母亲", channel="paper",
                              given_at=utcnow()))
    girl = SpringBudProfile(person=person, school=SCHOOL, grade="五年级",
                            guardian_name="赵美丽", guardian_relation="母亲",
                            guardian_consent=True)
    donor_person = make_person("周慧敏", region="330481", birth=date(1975, 1, 1),
                               mobile="13900001111")
    donor = DonorProfile(person=donor_person, display_name="周女士")
    pledge = Pledge(donor=donor, region=regions["330481"], amount_fen=100_000,
                    starts_on=date(2026, 2, 1))
    session.add_all([girl, donor, Sponsorship(pledge=pledge, student=girl, status="active",
                                              started_on=date(2026, 2, 1))])
    session.flush()
    return {"girl": girl.id, "donor": donor.id, "donor_person": donor_person.id,
            "writer": make_user("coordinator", region_codes=("330481107",)),
            "checker": make_user("coordinator", region_codes=("330481107",)),
            "xucun": make_user("coordinator", region_codes=("330481101",))}


def post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client), **data})


def switch(client, user):
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert login(client, user).status_code == 302


def _letter(session, world, body=LETTER) -> int:
    letter = DonorLetter(donor_id=world["donor"], student_id=world["girl"], body=body,
                         status="pending")
    session.add(letter)
    session.flush()
    return letter.id


# ---------------------------------------------------------------- notes


def test_write_a_note_then_a_colleague_approves_it(client, session, world):
    login(client, world["writer"])
    form = client.get(f"/spring-bud/notes/new?student={world['girl']}").get_data(as_text=True)
    assert "王小花" in form and "五年级" in form and "季学期" in form
    assert f'selected value="{world["girl"]}"' in form or \
        f'value="{world["girl"]}" selected' in form
    term = "2026-spring"
    resp = post(client, "/spring-bud/notes/new", student=str(world["girl"]), term=term,
                body=BODY)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/spring-bud/notes/")
    note = session.scalar(select(ProgressNote))
    assert (note.status, note.term, note.written_by) == ("draft", term, world["writer"].id)

    queue = client.get("/spring-bud/notes/").get_data(as_text=True)
    assert "等待同事审核" in queue and f"/spring-bud/notes/{note.id}/approve" not in queue
    # Her own approval is refused, even by a forged POST.
    resp = post(client, f"/spring-bud/notes/{note.id}/approve")
    assert resp.status_code == 302
    assert "不能批准自己写的进展" in client.get("/spring-bud/notes/").get_data(as_text=True)
    assert session.get(ProgressNote, note.id).status == "draft"

    switch(client, world["checker"])
    queue = client.get("/spring-bud/notes/").get_data(as_text=True)
    assert f"/spring-bud/notes/{note.id}/approve" in queue and "2026年春季学期" in queue
    assert post(client, f"/spring-bud/notes/{note.id}/approve").status_code == 302
    session.expire_all()
    note = session.get(ProgressNote, note.id)
    assert (note.status, note.approved_by) == ("approved", world["checker"].id)

    assert post(client, f"/spring-bud/notes/{note.id}/withdraw").status_code == 302
    session.expire_all()
    assert session.get(ProgressNote, note.id).status == "withdrawn"


@pytest.mark.parametrize("body, problem", [
    ("妈妈电话13812345678。" + BODY, "手机号码"),
    ("身份证 330481201504020026。" + BODY, "身份证号码"),
    ("王小花" + BODY, "全名"),
    (f"她在{SCHOOL}读书。" + BODY, "学校名称"),
])
def test_a_note_naming_or_reaching_her_is_refused_beside_the_field(client, session, world,
                                                                   body, problem):
    login(client, world["writer"])
    resp = post(client, "/spring-bud/notes/new", student=str(world["girl"]),
                term="2026-spring", body=body)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and problem in html and 'class="error"' in html
    assert session.scalar(select(ProgressNote.id)) is None


def test_a_bad_term_is_refused_in_chinese(client, session, world):
    login(client, world["writer"])
    resp = post(client, "/spring-bud/notes/new", student=str(world["girl"]),
                term="2026-summer", body=BODY)
    assert resp.status_code == 422 and "学期格式不正确" in resp.get_data(as_text=True)


def test_another_towns_coordinator_cannot_reach_the_girl_or_her_notes(client, session, world):
    note = ProgressNote(student_id=world["girl"], term="2026-spring", body=BODY,
                        status="draft", written_by=world["writer"].id)
    session.add(note)
    session.flush()
    login(client, world["xucun"])
    form = client.get("/spring-bud/notes/new").get_data(as_text=True)
    assert "王小花" not in form
    resp = post(client, "/spring-bud/notes/new", student=str(world["girl"]),
                term="2026-spring", body=BODY)
    assert resp.status_code == 422 and "找不到这名春蕾学员" in resp.get_data(as_text=True)
    assert "王小花" not in client.get("/spring-bud/notes/").get_data(as_text=True)
    assert post(client, f"/spring-bud/notes/{note.id}/approve").status_code == 404
    assert post(client, f"/spring-bud/notes/{note.id}/withdraw").status_code == 404
    session.expire_all()
    assert session.get(ProgressNote, note.id).status == "draft"


@pytest.mark.parametrize("role", ["donor", "volunteer"])
def test_other_roles_are_refused(client, as_role, world, role):
    as_role(role)
    for url in ("/spring-bud/notes/", "/spring-bud/notes/new", "/spring-bud/letters/"):
        assert client.get(url).status_code == 403


# ---------------------------------------------------------------- letters


def test_forward_a_letter_and_print_it_for_the_girl(client, session, world):
    letter_id = _letter(session, world)
    login(client, world["writer"])
    queue = client.get("/spring-bud/letters/").get_data(as_text=True)
    assert "王小花" in queue and "周女士" in queue and "周慧敏" not in queue
    page = client.get(f"/spring-bud/letters/{letter_id}").get_data(as_text=True)
    assert LETTER in page and "13900001111" not in page
    # Not printable before it is forwarded.
    assert client.get(f"/spring-bud/letters/{letter_id}/print").status_code == 302

    resp = post(client, f"/spring-bud/letters/{letter_id}/forward")
    assert resp.headers["Location"].endswith(f"/spring-bud/letters/{letter_id}/print")
    session.expire_all()
    letter = session.get(DonorLetter, letter_id)
    assert (letter.status, letter.reviewed_by) == ("forwarded", world["writer"].id)

    printed = client.get(f"/spring-bud/letters/{letter_id}/print").get_data(as_text=True)
    assert "亲爱的小花" in printed and "周女士" in printed and LETTER in printed
    assert "回信完全自愿" in printed
    for secret in ("王小花", "周慧敏", SCHOOL, "13900001111", "盐官镇", "郭店村"):
        assert secret not in printed

    inbox = session.scalars(select(Notification).where(
        Notification.person_id == world["donor_person"])).all()
    assert inbox and all("王小花" not in n.body + n.subject for n in inbox)
    assert any("小花" in n.body for n in inbox)


def test_decline_needs_a_reason_and_tells_the_donor(client, session, world):
    letter_id = _letter(session, world)
    login(client, world["writer"])
    resp = post(client, f"/spring-bud/letters/{letter_id}/decline", note="")
    assert resp.status_code == 422 and "不转交的原因不能为空" in resp.get_data(as_text=True)
    resp = post(client, f"/spring-bud/letters/{letter_id}/decline", note="王小花的家人不同意")
    assert resp.status_code == 422 and "全名" in resp.get_data(as_text=True)
    resp = post(client, f"/spring-bud/letters/{letter_id}/decline", note="信里要求孩子每月回信")
    assert resp.status_code == 302
    session.expire_all()
    letter = session.get(DonorLetter, letter_id)
    assert (letter.status, letter.review_note) == ("declined", "信里要求孩子每月回信")
    (inapp,) = session.scalars(select(Notification).where(
        Notification.person_id == world["donor_person"], Notification.channel == "inapp")).all()
    assert "信里要求孩子每月回信" in inapp.body and "王小花" not in inapp.body
    assert client.get(f"/spring-bud/letters/{letter_id}/print").status_code == 302


def test_another_towns_coordinator_gets_404_for_letters(client, session, world):
    letter_id = _letter(session, world)
    login(client, world["xucun"])
    assert "王小花" not in client.get("/spring-bud/letters/").get_data(as_text=True)
    assert client.get(f"/spring-bud/letters/{letter_id}").status_code == 404
    assert client.get(f"/spring-bud/letters/{letter_id}/print").status_code == 404
    assert post(client, f"/spring-bud/letters/{letter_id}/forward").status_code == 404
    assert post(client, f"/spring-bud/letters/{letter_id}/decline", note="不合适").status_code \
        == 404
    session.expire_all()
    assert session.get(DonorLetter, letter_id).status == "pending"
    assert session.scalar(select(Notification.id).where(
        Notification.person_id == world["donor_person"])) is None


def test_a_letter_cannot_be_forwarded_after_consent_is_withdrawn(client, session, world):
    letter_id = _letter(session, world)
    consent = session.scalar(select(ConsentRecord).where(
        ConsentRecord.purpose == "spring_bud",
        ConsentRecord.person_id == session.get(SpringBudProfile, world["girl"]).person_id))
    consent.withdrawn_at = utcnow()
    session.flush()
    login(client, world["writer"])
    resp = post(client, f"/spring-bud/letters/{letter_id}/forward")
    assert resp.headers["Location"].endswith(f"/spring-bud/letters/{letter_id}")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "监护人" in page
    session.expire_all()
    assert session.get(DonorLetter, letter_id).status == "pending"
    assert client.get(f"/spring-bud/letters/{letter_id}/print").status_code == 302
