"""Service requests: engine suggestions with reasons, assignment, scope."""

from datetime import date

import pytest
from sqlalchemy import select

from matchmaker.models import (
    MenteeProfile,
    Notification,
    ServiceRequest,
    VolunteerProfile,
)
from matchmaker.services import service_requests as sr
from matchmaker.services.errors import DomainError, NotFound

_births = iter(range(1, 28))


@pytest.fixture
def add_volunteer(app_ctx, make_person):
    def build(name: str, skills: str, *, region: str = "330481107201",
              availability: str = "we_am,wd_ev", team: str = "创业指导",
              status: str = "active", person=None) -> VolunteerProfile:
        person = person or make_person(name, region=region,
                                       birth=date(1980, 1, next(_births)))
        v = VolunteerProfile(person=person, team=team, teams=team, services="帮困",
                             skills=skills, availability=availability, status=status)
        app_ctx.add(v)
        app_ctx.flush()
        return v

    return build


@pytest.fixture
def mother(app_ctx, make_person):
    p = make_person("王秀英", region="330481107201", mobile="13911112222",
                    birth=date(1979, 5, 5))
    app_ctx.add(MenteeProfile(person=p, kind="poor_mother", needs="网上销售",
                              industry="ecommerce", hardship=4))
    app_ctx.flush()
    return p


def new_request(user, *, region="330481107201", person=None, wanted=1, teams=(),
                availability=("we_am", "wd_ev")) -> ServiceRequest:
    return sr.create_request(user=user, data=sr.RequestInput(
        title="网上销售农产品", need="帮助贫困母亲在网上销售农产品", region_code=region,
        teams=list(teams), availability=list(availability), volunteers_wanted=wanted,
        person_id=person.id if person else None))


def names(suggestions) -> list[str]:
    return [s.volunteer.person.name for s in suggestions]


def test_suggestions_rank_skills_then_region_then_availability(app_ctx, make_user,
                                                                add_volunteer):
    admin = make_user("admin")
    add_volunteer("法律邻居", "法律咨询 婚姻家庭调解", team="法律维权")
    add_volunteer("许村电商", "电商直播 网店运营", region="330481101201")
    add_volunteer("同镇电商", "电商直播 网店运营", region="330481107202")
    add_volunteer("同村电商", "电商直播 网店运营")
    add_volunteer("同村电商周末下午", "电商直播 网店运营", availability="we_pm")
    req = new_request(admin)
    got = sr.suggestions(admin, req)
    order = names(got)
    by_name = {s.volunteer.person.name: s.fit for s in got}
    # Skills first: every e-commerce volunteer, even in another town, before the neighbour
    # whose skills are law.
    assert order[-1] == "法律邻居"
    # Equal skills and time: nearer first (village, town, county).
    assert order.index("同村电商") < order.index("同镇电商") < order.index("许村电商")
    # Equal skills and place: the one who can come when needed first.
    assert order.index("同村电商") < order.index("同村电商周末下午")
    best = by_name["同村电商"].explanation.text_zh
    assert "技能对口：电商≈网上销售" in best and "同村 +0.50" in best
    assert "时间契合：工作日晚上/周末上午 +0.40" in best
    assert "同镇 +0.30" in by_name["同镇电商"].explanation.text_zh
    assert "同县 +0.15" in by_name["许村电商"].explanation.text_zh
    assert "时间不重合" in by_name["同村电商周末下午"].explanation.text_zh
    assert "技能对口" not in by_name["法律邻居"].explanation.text_zh


def test_only_active_volunteers_and_never_the_beneficiary(app_ctx, make_user, add_volunteer,
                                                          mother):
    admin = make_user("admin")
    for status in ("pending", "inactive", "archived"):
        add_volunteer(f"电商{status}", "电商直播", status=status)
    add_volunteer("她本人", "电商直播 网上销售", person=mother)
    add_volunteer("可推荐", "电商直播")
    req = new_request(admin, person=mother)
    assert names(sr.suggestions(admin, req)) == ["可推荐"]
    herself = app_ctx.scalar(select(VolunteerProfile.id).where(
        VolunteerProfile.person_id == mother.id))
    with pytest.raises(DomainError, match="受助人本人"):
        sr.assign(user=admin, req=req, volunteer_id=herself)
    pending = app_ctx.scalar(select(VolunteerProfile.id).where(
        VolunteerProfile.status == "pending"))
    with pytest.raises(DomainError, match="不是已录用的志愿者"):
        sr.assign(user=admin, req=req, volunteer_id=pending)


def test_suggestions_stay_in_the_county_and_the_coordinators_regions(app_ctx, make_user,
                                                                      add_volunteer, regions):
    from matchmaker.models import Region

    other_county = Region(code="330482", name="平湖市", level="city", path="330482/")
    app_ctx.add(other_county)
    app_ctx.flush()
    add_volunteer("外县电商", "电商直播", region="330482")
    add_volunteer("许村电商", "电商直播", region="330481101201")
    add_volunteer("盐官电商", "电商直播")
    city = make_user("coordinator")
    town = make_user("coordinator", region_codes=("330481107",))
    req = new_request(city)
    assert names(sr.suggestions(city, req)) == ["盐官电商", "许村电商"]
    assert names(sr.suggestions(town, req)) == ["盐官电商"]


def test_assign_notifies_refuses_a_duplicate_and_fills_the_request(app_ctx, make_user,
                                                                   add_volunteer, mother):
    admin = make_user("admin")
    a = add_volunteer("甲", "电商直播")
    b = add_volunteer("乙", "电商直播")
    req = new_request(admin, person=mother, wanted=2)
    first = sr.assign(user=admin, req=req, volunteer_id=a.id)
    assert (first.status, req.status) == ("active", "open")
    assert first.score > 0 and "技能与需求相近" in first.explanation
    assert "甲" not in names(sr.suggestions(admin, req))
    with pytest.raises(DomainError, match="已派到这个服务需求"):
        sr.assign(user=admin, req=req, volunteer_id=a.id)
    sr.assign(user=admin, req=req, volunteer_id=b.id)
    assert req.status == "assigned"
    with pytest.raises(DomainError, match="已派满"):
        sr.assign(user=admin, req=req, volunteer_id=add_volunteer("丙", "电商").id)
    messages = app_ctx.scalars(select(Notification).where(
        Notification.person_id == a.person_id, Notification.channel == "inapp")).all()
    assert len(messages) == 1
    body = messages[0].subject + messages[0].body
    assert "网上销售农产品" in body and "盐官镇 郭店村" in body
    assert "13911112222" not in body and mother.id_tail not in body
    assert [x.volunteer.person.name for x in sr.assignments_for(a)] == ["甲"]


def test_the_database_refuses_a_second_active_assignment(app_ctx, make_user, add_volunteer,
                                                        monkeypatch):
    """If two coordinators race past the checks, the partial unique index stops the second
    and the refusal is a Chinese message, not an error page."""
    admin = make_user("admin")
    a = add_volunteer("甲", "电商直播")
    req = new_request(admin, wanted=3)
    sr.assign(user=admin, req=req, volunteer_id=a.id)
    # What the second coordinator saw before the first one's assignment was written:
    monkeypatch.setattr(sr, "_is_assigned", lambda req, volunteer: False)
    monkeypatch.setattr(sr, "candidate_volunteers", lambda user, req: [a])
    with pytest.raises(DomainError, match="已派到这个服务需求"):
        sr.assign(user=admin, req=req, volunteer_id=a.id)
    assert [x.status for x in sr.assignments_of(req)] == ["active"]


def test_end_assignment_reopens_and_close_ends_all(app_ctx, make_user, add_volunteer):
    admin = make_user("admin")
    a = add_volunteer("甲", "电商直播")
    b = add_volunteer("乙", "电商直播")
    req = new_request(admin, wanted=1)
    first = sr.assign(user=admin, req=req, volunteer_id=a.id)
    assert req.status == "assigned"
    sr.end_assignment(assignment=first)
    assert (first.status, req.status) == ("ended", "open")
    with pytest.raises(DomainError):
        sr.end_assignment(assignment=first)
    # She may be assigned again once the earlier assignment ended.
    again = sr.assign(user=admin, req=req, volunteer_id=a.id)
    assert sr.close_request(req=req) == 1
    assert (again.status, req.status) == ("ended", "closed")
    assert sr.suggestions(admin, req) == []
    with pytest.raises(DomainError, match="已办结"):
        sr.assign(user=admin, req=req, volunteer_id=b.id)
    with pytest.raises(DomainError):
        sr.update_request(user=admin, req=req, data=sr.RequestInput(
            title="x", need="y", region_code="330481107"))
    ended = app_ctx.scalars(select(Notification).where(
        Notification.person_id == a.person_id, Notification.channel == "inapp",
        Notification.subject.contains("结束"))).all()
    assert len(ended) == 2
    assert [x.status for x in sr.assignments_for(a)] == ["ended", "ended"]


def test_scope_and_validation(app_ctx, make_user, make_person):
    town = make_user("coordinator", region_codes=("330481107",))
    other = make_user("coordinator", region_codes=("330481101",))
    req = new_request(town)
    assert sr.get_request(town, req.id) is req
    with pytest.raises(NotFound):
        sr.get_request(other, req.id)
    assert app_ctx.scalars(sr.requests_query(other)).all() == []
    with pytest.raises(NotFound):
        new_request(town, region="330481101201")
    with pytest.raises(DomainError, match="镇（街道）或村（社区）") as e:
        new_request(make_user("admin"), region="330481")
    assert e.value.field == "region"
    elsewhere = make_person("许村某", region="330481101201")
    with pytest.raises(DomainError) as e:
        new_request(town, person=elsewhere)
    assert e.value.field == "person_id"
    with pytest.raises(DomainError) as e:
        sr.create_request(user=town, data=sr.RequestInput(
            title="t", need="n", region_code="330481107", teams=["不存在"]))
    assert e.value.field == "teams"
    with pytest.raises(DomainError) as e:
        sr.create_request(user=town, data=sr.RequestInput(
            title="t", need="n", region_code="330481107", volunteers_wanted=0))
    assert e.value.field == "volunteers_wanted"


def test_volunteer_of_another_town_cannot_be_assigned_by_a_town_coordinator(
        app_ctx, make_user, add_volunteer):
    town = make_user("coordinator", region_codes=("330481107",))
    far = add_volunteer("许村电商", "电商直播", region="330481101201")
    req = new_request(town)
    with pytest.raises(NotFound):
        sr.assign(user=town, req=req, volunteer_id=far.id)


def test_beneficiary_choices_are_mentees_in_scope_poor_mothers_first(app_ctx, make_user,
                                                                     make_person, mother):
    rural = make_person("农村妇女", region="330481107202", birth=date(1990, 1, 1))
    app_ctx.add(MenteeProfile(person=rural, kind="rural", needs="种植", industry="agriculture"))
    far = make_person("许村母亲", region="330481101201", birth=date(1990, 1, 2))
    app_ctx.add(MenteeProfile(person=far, kind="poor_mother", needs="养殖",
                              industry="agriculture"))
    app_ctx.flush()
    town = make_user("coordinator", region_codes=("330481107",))
    assert [m.person.name for m in sr.beneficiary_choices(town)] == ["王秀英", "农村妇女"]
