"""The Spring Bud sponsorship pages: the girls list and its filters, a girl's page (every
view audited), consent recorded and withdrawn through forms, links by hand and from the
engine's proposals; scope and roles."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from matchmaker.models import (
    AuditEvent,
    ConsentRecord,
    DonorProfile,
    Pledge,
    Sponsorship,
    SpringBudProfile,
)
from matchmaker.models.base import utcnow
from matchmaker.services.clock import today
from tests.conftest import csrf_token
from tests.sponsorship_fixtures import XUCUN_VILLAGE, YANGUAN_VILLAGE, region


@pytest.fixture
def make_girl(make_waiting_girl):
    """This file's girl: 陈小燕, her mother's consent, waiting 30 days (see the plugin)."""
    return make_waiting_girl


@pytest.fixture
def make_pledge(session, make_person):
    def build(*, region_code: str = "330481", students: int = 1,
              donor_name: str = "王慧") -> Pledge:
        person = make_person(donor_name, region=YANGUAN_VILLAGE, mobile="13900001111",
                             id_number=None)
        donor = DonorProfile(person=person, kind="person", display_name=donor_name)
        pledge = Pledge(donor=donor, region=region(session, region_code), amount_fen=100_000,
                        period="term", students=students, starts_on=date(2026, 9, 1),
                        status="active")
        session.add_all([donor, pledge])
        session.flush()
        return pledge

    return build


def views(session) -> list[tuple[int, int]]:
    return [(e.target_id, e.user_id) for e in session.scalars(
        select(AuditEvent).where(AuditEvent.action == "view_minor").order_by(AuditEvent.id))]


def test_girls_list_shows_her_region_with_filters(client, session, as_role, make_girl,
                                                  make_pledge):
    make_girl("甲小红", waited=100)
    make_girl("乙小红", flagged=True)
    make_girl("丙小红", consent=False)
    make_girl("丁小红", region_code=XUCUN_VILLAGE)
    sponsored = make_girl("戊小红")
    session.add(Sponsorship(pledge=make_pledge(), student=sponsored, status="active",
                            started_on=today()))
    session.flush()
    as_role("coordinator", region_codes=("330481107",))
    page = client.get("/spring-bud/").get_data(as_text=True)
    assert all(n in page for n in ("甲小红", "乙小红", "丙小红", "戊小红"))
    assert "丁小红" not in page
    assert "9–11岁" in page and "盐官镇" in page and "100" in page and "原捐助中断" in page
    assert "郭店村" not in page and "中心小学" not in page

    def names(show):
        html = client.get(f"/spring-bud/?show={show}").get_data(as_text=True)
        return {n for n in ("甲小红", "乙小红", "丙小红", "戊小红") if n in html}

    assert names("waiting") == {"甲小红", "乙小红"}
    assert names("flagged") == {"乙小红"}
    assert names("no_consent") == {"丙小红"}
    assert names("sponsored") == {"戊小红"}


def test_pages_are_for_coordinators_of_her_region_only(client, session, as_role, make_girl,
                                                       make_pledge):
    there = make_girl(region_code=XUCUN_VILLAGE)
    pledge = make_pledge()
    as_role("coordinator", region_codes=("330481107",))
    assert client.get(f"/spring-bud/girls/{there.id}").status_code == 404
    assert client.get("/spring-bud/girls/999999").status_code == 404
    assert client.get(f"/spring-bud/pledges/{pledge.id}/proposals").status_code == 404
    token = csrf_token(client)
    for url in (f"/spring-bud/girls/{there.id}/consent/withdraw",
                f"/spring-bud/girls/{there.id}/link"):
        assert client.post(url, data={"csrf_token": token}).status_code == 404
    assert views(session) == []
    assert session.get(SpringBudProfile, there.id).guardian_consent


@pytest.mark.parametrize("role", ["volunteer", "donor"])
def test_other_roles_are_refused(client, as_role, make_girl, role):
    girl = make_girl()
    as_role(role)
    assert client.get("/spring-bud/").status_code == 403
    assert client.get(f"/spring-bud/girls/{girl.id}").status_code == 403


def test_every_view_of_her_page_is_audited(client, session, as_role, make_girl):
    girl = make_girl()
    user = as_role("coordinator")
    page = client.get(f"/spring-bud/girls/{girl.id}").get_data(as_text=True)
    assert "陈小燕" in page and "每次查看都会被记录" in page and "陈芳" in page
    client.get(f"/spring-bud/girls/{girl.id}")
    assert views(session) == [(girl.person_id, user.id)] * 2


def test_consent_recorded_through_the_form_shows_the_notice_first(client, session, as_role,
                                                                  make_girl):
    girl = make_girl(consent=False)
    user = as_role("coordinator")
    page = client.get(f"/spring-bud/girls/{girl.id}").get_data(as_text=True)
    assert "监护人告知书" in page and "2026-11" in page
    data = {"csrf_token": csrf_token(client), "given_by": "陈芳", "relation": "母亲",
            "scope": "结对资助"}
    resp = client.post(f"/spring-bud/girls/{girl.id}/consent", data=data)
    assert resp.status_code == 422
    assert "须先向监护人出示告知书并取得签字" in resp.get_data(as_text=True)
    resp = client.post(f"/spring-bud/girls/{girl.id}/consent",
                       data={**data, "notice_shown": "y"})
    assert resp.status_code == 302
    record = session.scalar(select(ConsentRecord).where(
        ConsentRecord.person_id == girl.person_id))
    assert (record.purpose, record.given_by, record.relation, record.notice_version,
            record.recorded_by) == ("spring_bud", "陈芳", "母亲", "2026-11", user.id)
    page = client.get(f"/spring-bud/girls/{girl.id}").get_data(as_text=True)
    assert "撤回监护人同意" in page and "结对资助" in page


def test_link_by_hand_then_withdrawal_ends_it(client, session, as_role, make_girl,
                                              make_pledge):
    girl = make_girl()
    pledge = make_pledge(students=2)
    as_role("coordinator")
    page = client.get(f"/spring-bud/girls/{girl.id}").get_data(as_text=True)
    assert "王慧" in page and "尚余 2 个名额" in page
    resp = client.post(f"/spring-bud/girls/{girl.id}/link",
                       data={"csrf_token": csrf_token(client), "pledge": str(pledge.id)})
    assert resp.status_code == 302
    sp = session.scalar(select(Sponsorship))
    assert (sp.status, sp.pledge_id, sp.proposed) == ("held", pledge.id, False)
    again = client.post(f"/spring-bud/girls/{girl.id}/link",
                        data={"csrf_token": csrf_token(client), "pledge": str(pledge.id)})
    assert again.status_code == 422
    assert "这名学生已有捐助人或正在等待捐助人确认" in again.get_data(as_text=True)
    client.post(f"/spring-bud/girls/{girl.id}/consent/withdraw",
                data={"csrf_token": csrf_token(client)})
    session.expire_all()
    sp = session.get(Sponsorship, sp.id)
    assert (sp.status, sp.end_reason) == ("ended", "监护人撤回同意")


def test_link_without_consent_is_refused_beside_the_field(client, session, as_role, make_girl,
                                                          make_pledge):
    girl = make_girl(consent=False)
    pledge = make_pledge()
    as_role("coordinator")
    resp = client.post(f"/spring-bud/girls/{girl.id}/link",
                       data={"csrf_token": csrf_token(client), "pledge": str(pledge.id)})
    assert resp.status_code == 422 and "监护人" in resp.get_data(as_text=True)
    assert session.scalar(select(func.count(Sponsorship.id))) == 0


def test_an_expired_hold_ends_when_the_list_is_opened(client, session, as_role, make_girl,
                                                      make_pledge):
    sp = Sponsorship(pledge=make_pledge(), student=make_girl(), status="held",
                     hold_expires_at=utcnow() - timedelta(hours=1))
    session.add(sp)
    session.flush()
    as_role("coordinator")
    client.get("/spring-bud/")
    session.expire_all()
    assert session.get(Sponsorship, sp.id).status == "ended"


def test_an_expired_hold_does_not_block_linking_her_by_hand(client, session, as_role,
                                                            make_girl, make_pledge):
    girl = make_girl()
    old = Sponsorship(pledge=make_pledge(donor_name="李芳"), student=girl, status="held",
                      hold_expires_at=utcnow() - timedelta(hours=1))
    session.add(old)
    pledge = make_pledge()
    session.flush()
    as_role("coordinator")
    resp = client.post(f"/spring-bud/girls/{girl.id}/link",
                       data={"csrf_token": csrf_token(client), "pledge": str(pledge.id)})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    session.expire_all()
    assert session.get(Sponsorship, old.id).status == "ended"
    assert session.scalar(select(Sponsorship.status).where(
        Sponsorship.pledge_id == pledge.id)) == "held"


def test_an_expired_hold_frees_the_girl_and_the_place_for_proposals(
        client, session, as_role, make_girl, make_pledge):
    pledge = make_pledge(students=1)
    was_held = make_girl("甲小红", waited=300)
    other = make_girl("乙小红", waited=100)
    elsewhere = make_pledge(donor_name="李芳")
    session.add_all([
        Sponsorship(pledge=pledge, student=other, status="held",
                    hold_expires_at=utcnow() - timedelta(hours=1)),
        Sponsorship(pledge=elsewhere, student=was_held, status="held",
                    hold_expires_at=utcnow() - timedelta(hours=1))])
    session.flush()
    as_role("coordinator")
    resp = client.post(f"/spring-bud/pledges/{pledge.id}/proposals",
                       data={"csrf_token": csrf_token(client), "student_id": str(was_held.id)})
    assert resp.status_code == 302
    session.expire_all()
    live = session.scalars(select(Sponsorship).where(Sponsorship.status == "held")).all()
    assert [(sp.pledge_id, sp.student_id) for sp in live] == [(pledge.id, was_held.id)]


def test_proposals_page_links_one_then_all(client, session, as_role, make_girl, make_pledge):
    pledge = make_pledge(students=2)
    flagged = make_girl("甲小红", flagged=True, waited=3)
    longest = make_girl("乙小红", waited=300)
    make_girl("丙小红", waited=5)
    make_girl("丁小红", waited=9000, consent=False)
    as_role("coordinator")
    assert "推荐学生" in client.get("/spring-bud/pledges/").get_data(as_text=True)
    page = client.get(f"/spring-bud/pledges/{pledge.id}/proposals").get_data(as_text=True)
    assert "甲小红" in page and "乙小红" in page
    assert "丙小红" not in page and "丁小红" not in page
    assert "原捐助中断 · 等待 3 天" in page and "等待 300 天" in page
    resp = client.post(f"/spring-bud/pledges/{pledge.id}/proposals",
                       data={"csrf_token": csrf_token(client), "student_id": str(longest.id)})
    assert resp.status_code == 302
    sp = session.scalar(select(Sponsorship))
    assert sp.student_id == longest.id and sp.proposed and sp.explanation == "等待 300 天"
    # One place left: the engine now proposes only the flagged girl; "link all" takes her.
    page = client.get(f"/spring-bud/pledges/{pledge.id}/proposals").get_data(as_text=True)
    assert "甲小红" in page and "乙小红" not in page
    client.post(f"/spring-bud/pledges/{pledge.id}/proposals",
                data={"csrf_token": csrf_token(client), "all": "1",
                      "student_id": [str(flagged.id)]})
    linked = {s.student_id for s in session.scalars(select(Sponsorship))}
    assert linked == {flagged.id, longest.id}
    page = client.get(f"/spring-bud/pledges/{pledge.id}/proposals").get_data(as_text=True)
    assert "没有可推荐的学生" in page
