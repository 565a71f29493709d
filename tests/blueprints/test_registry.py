"""Each registry: create, edit, list, search, filters; bad input writes nothing."""

from datetime import date

import pytest
from sqlalchemy import func, select

from matchmaker.models import PROFILE_MODELS, AuditEvent, Person
from matchmaker.services.clock import today
from matchmaker.services.registries import REGISTRIES
from tests.conftest import csrf_token
from tests.ids import make_id

PROFILE_DATA = {
    "volunteers": ("volunteer", {"team": "家庭教育", "services": ["助老", "咨询"],
                                 "skills": "心理咨询", "availability": ["we_am"]}),
    "mentors": ("mentor", {"kind": "skilled", "specialty": "茶叶种植", "industry": "agriculture",
                           "organisation": "云龙茶场", "experience": "种茶二十年",
                           "capacity": "2", "availability": ["we_pm", "wd_ev"]}),
    "mentees": ("mentee", {"kind": "rural", "needs": "想学茶叶种植", "industry": "agriculture",
                           "hardship": "3", "school": "", "major": "",
                           "availability": ["we_am"]}),
    "spring-buds": ("spring_bud", {"school": "盐官镇中心小学", "grade": "五年级",
                                   "guardian_name": "陈美华", "guardian_relation": "母亲",
                                   "guardian_mobile": "13955556666", "guardian_consent": "y",
                                   "hardship_note": "单亲家庭", "alias": "小燕"}),
    "donors": ("donor", {"kind": "person", "organisation": "", "display_name": "沈女士"}),
}


def form_data(client, person: dict, profile: dict) -> dict:
    data = {"csrf_token": csrf_token(client)}
    data.update({f"person-{k}": v for k, v in person.items()})
    data.update({f"profile-{k}": v for k, v in profile.items()})
    return data


def person_fields(**over) -> dict:
    fields = {"name": "沈丽华", "id_number": make_id("330481", date(1988, 6, 1), 41),
              "gender": "", "birth_date": "", "mobile": "139 0000 1234",
              "region": "330481107201", "note": ""}
    fields.update(over)
    return fields


def count(session, model=Person) -> int:
    return session.scalar(select(func.count(model.id)))


@pytest.mark.parametrize("slug", list(PROFILE_DATA))
def test_create_in_each_registry(client, session, as_role, slug):
    as_role("coordinator")
    key, profile = PROFILE_DATA[slug]
    birth = date(2015, 4, 2) if key == "spring_bud" else date(1988, 6, 1)
    person = person_fields(id_number=make_id("330481", birth, 41))
    resp = client.post(f"/registry/{slug}/new", data=form_data(client, person, profile))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    created = session.scalar(select(Person).where(Person.name == "沈丽华"))
    assert created.birth_date == birth and created.gender == "F"  # read from the ID
    assert created.mobile == "13900001234"
    model = PROFILE_MODELS[key]
    prof = session.scalar(select(model).where(model.person_id == created.id))
    assert prof is not None and prof.status == "active"
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "沈丽华" in page and "139****1234" in page
    listing = client.get(f"/registry/{slug}/").get_data(as_text=True)
    assert "沈丽华" in listing
    actions = set(session.scalars(select(AuditEvent.target_type).where(
        AuditEvent.action == "create")))
    assert {"person", model.__tablename__} <= actions


def test_a_new_spring_bud_girl_waits_for_a_sponsor_from_today(client, session, as_role):
    as_role("coordinator")
    key, profile = PROFILE_DATA["spring-buds"]
    person = person_fields(id_number=make_id("330481", date(2015, 4, 2), 41))
    resp = client.post("/registry/spring-buds/new", data=form_data(client, person, profile))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    model = PROFILE_MODELS[key]
    girl = session.scalar(select(model).join(Person).where(Person.name == "沈丽华"))
    assert girl.waiting_since == today()  # the local date: "longest waiting" counts from it


def test_mentor_fields_are_stored(client, session, as_role):
    as_role("coordinator")
    client.post("/registry/mentors/new",
                data=form_data(client, person_fields(), PROFILE_DATA["mentors"][1]))
    person = session.scalar(select(Person).where(Person.name == "沈丽华"))
    prof = session.scalar(select(PROFILE_MODELS["mentor"]).where(
        PROFILE_MODELS["mentor"].person_id == person.id))
    assert (prof.specialty, prof.capacity, prof.availability) == ("茶叶种植", 2, "wd_ev,we_pm")


BAD_INPUT = [
    ({"id_number": "330481198806014129"}, "校验位"),
    ({"id_number": "330481880601412"}, "15 位"),
    ({"id_number": "", "birth_date": "1988-02-30", "gender": "F"}, "不存在"),
    ({"mobile": "0573-87654321"}, "固定电话"),
    ({"name": ""}, "姓名不能为空"),
    ({"name": "王" * 31}, "不能超过"),
    ({"name": "<script>alert(1)</script>"}, "只能包含"),
    ({"note": "x" * 501}, "不能超过"),
    ({"region": ""}, "请选择所在地区"),
    ({"id_number": "", "gender": ""}, "请选择性别"),
]


@pytest.mark.parametrize(("override", "message"), BAD_INPUT)
def test_bad_person_input_writes_nothing(client, session, as_role, override, message):
    as_role("coordinator")
    before, audit_before = count(session), count(session, AuditEvent)
    resp = client.post("/registry/mentors/new", data=form_data(
        client, person_fields(**override), PROFILE_DATA["mentors"][1]))
    assert resp.status_code == 422
    assert message in resp.get_data(as_text=True)
    assert count(session) == before
    assert count(session, PROFILE_MODELS["mentor"]) == 0
    assert count(session, AuditEvent) == audit_before


@pytest.mark.parametrize(("override", "message"), [
    ({"specialty": ""}, "专长不能为空"),
    ({"specialty": "茶" * 101}, "不能超过 100 个字"),
    ({"capacity": "abc"}, "不是有效的整数"),
    ({"capacity": "99"}, "0 到 20"),
    ({"experience": "<script>x</script>"}, "尖括号"),
    ({"kind": "boss"}, "不是有效的选择"),
])
def test_bad_profile_input_writes_nothing(client, session, as_role, override, message):
    as_role("coordinator")
    before = count(session)
    resp = client.post("/registry/mentors/new", data=form_data(
        client, person_fields(), {**PROFILE_DATA["mentors"][1], **override}))
    assert resp.status_code == 422
    assert message in resp.get_data(as_text=True)
    assert count(session) == before


def test_minor_needs_guardian_consent(client, session, as_role):
    as_role("coordinator")
    profile = {**PROFILE_DATA["spring-buds"][1]}
    profile.pop("guardian_consent")
    resp = client.post("/registry/spring-buds/new", data=form_data(
        client, person_fields(id_number=make_id("330481", date(2015, 1, 1), 5)), profile))
    assert resp.status_code == 422
    assert "监护人同意" in resp.get_data(as_text=True)
    assert count(session) == 0


def test_duplicate_id_number_is_refused(client, session, as_role, make_person):
    as_role("coordinator")
    number = make_id("330481", date(1988, 6, 1), 41)
    make_person("陈一", id_number=number)
    resp = client.post("/registry/mentors/new", data=form_data(
        client, person_fields(id_number=number), PROFILE_DATA["mentors"][1]))
    assert resp.status_code == 422
    assert "已在系统中登记" in resp.get_data(as_text=True)
    assert count(session) == 1


def test_edit_person_keeps_id_when_blank_and_rederives_when_given(
        client, session, as_role, make_person):
    as_role("coordinator")
    p = make_person("陈晓燕", birth=date(1985, 3, 8))
    old_hash = p.id_hash
    page = client.get(f"/people/{p.id}/edit").get_data(as_text=True)
    assert "陈晓燕" in page and "13812345678" not in page  # no full number prefilled
    data = {"csrf_token": csrf_token(client), "name": "陈晓艳", "id_number": "",
            "gender": "F", "birth_date": "", "mobile": "13812345678",
            "region": "330481107202", "note": "搬家"}
    assert client.post(f"/people/{p.id}/edit", data=data).status_code == 302
    p = session.get(Person, p.id)
    assert (p.name, p.region.code, p.id_hash) == ("陈晓艳", "330481107202", old_hash)
    assert p.note == "搬家"
    assert p.name_initials == "cxy"
    data["id_number"] = make_id("330481", date(1990, 1, 2), 9)
    assert client.post(f"/people/{p.id}/edit", data=data).status_code == 302
    p = session.get(Person, p.id)
    assert p.birth_date == date(1990, 1, 2) and p.id_hash != old_hash
    event = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "update", AuditEvent.target_id == p.id,
        AuditEvent.target_type == "person").order_by(AuditEvent.id)).first()
    assert "name" in event.detail["fields"] and "陈晓艳" not in str(event.detail)


def test_edit_profile_and_deactivate(client, session, as_role, make_person):
    from matchmaker.models import MentorProfile

    as_role("coordinator")
    p = make_person()
    session.add(MentorProfile(person=p, kind="skilled", specialty="紫菜养殖",
                              industry="agriculture", capacity=1))
    session.flush()
    page = client.get(f"/people/{p.id}/profiles/mentor/edit").get_data(as_text=True)
    assert "紫菜养殖" in page
    resp = client.post(f"/people/{p.id}/profiles/mentor/edit", data={
        "csrf_token": csrf_token(client), "kind": "entrepreneur", "specialty": "农村电商",
        "industry": "ecommerce", "organisation": "", "experience": "", "capacity": "3",
        "availability": ["wd_am"]})
    assert resp.status_code == 302
    prof = session.scalar(select(MentorProfile).where(MentorProfile.person_id == p.id))
    assert (prof.specialty, prof.capacity, prof.availability) == ("农村电商", 3, "wd_am")
    client.post(f"/people/{p.id}/profiles/mentor/status",
                data={"csrf_token": csrf_token(client), "status": "inactive"})
    assert session.get(MentorProfile, prof.id).status == "inactive"
    client.post(f"/people/{p.id}/status", data={"csrf_token": csrf_token(client),
                                                "status": "inactive"})
    assert session.get(Person, p.id).status == "inactive"


def test_add_second_profile_to_a_person(client, session, as_role, make_person):
    from matchmaker.models import VolunteerProfile

    as_role("coordinator")
    p = make_person()
    resp = client.post(f"/people/{p.id}/profiles/volunteer/new", data={
        "csrf_token": csrf_token(client), "team": "法律维权", "services": ["调解"],
        "skills": "", "availability": []})
    assert resp.status_code == 302
    prof = session.scalar(select(VolunteerProfile).where(VolunteerProfile.person_id == p.id))
    assert prof.teams == "法律维权"  # the main team is always among her teams
    again = client.post(f"/people/{p.id}/profiles/volunteer/new", data={
        "csrf_token": csrf_token(client), "team": "法律维权"})
    assert again.status_code == 422 and "已有这一类登记" in again.get_data(as_text=True)


@pytest.fixture
def crowd(session, make_person):
    from matchmaker.models import MenteeProfile

    specs = [("陈晓燕", "330481107201", "13811110001", "rural", "active"),
             ("曾小红", "330481107202", "13811110002", "student", "active"),
             ("沈丽华", "330481101201", "13811110003", "poor_mother", "active"),
             ("王芳", "330481101202", "13811119999", "rural", "inactive")]
    made = {}
    for name, region, mobile, kind, status in specs:
        p = make_person(name, region=region, mobile=mobile)
        session.add(MenteeProfile(person=p, kind=kind, needs="电商", industry="ecommerce",
                                  status=status))
        made[name] = p
    session.flush()
    return made


def names_in(html: str, candidates) -> set[str]:
    return {n for n in candidates if n in html}


@pytest.mark.parametrize(("query", "expected"), [
    ("", {"陈晓燕", "曾小红", "沈丽华", "王芳"}),
    ("q=晓燕", {"陈晓燕"}),
    ("q=cxy", {"陈晓燕"}),
    ("q=ZXH", {"曾小红"}),  # 曾 read as zeng
    ("q=cengx", {"曾小红"}),  # …or as the common ceng
    ("q=shenli", {"沈丽华"}),
    ("q=9999", {"王芳"}),  # last four digits of the mobile
    ("region=330481107", {"陈晓燕", "曾小红"}),
    ("region=330481101201", {"沈丽华"}),
    ("kind=rural", {"陈晓燕", "王芳"}),
    ("status=inactive", {"王芳"}),
    ("kind=rural&status=active&region=330481107", {"陈晓燕"}),
    ("q=%25", set()),  # LIKE wildcards are literal
])
def test_search_and_filters(client, as_role, crowd, query, expected):
    as_role("coordinator")
    html = client.get(f"/registry/mentees/?{query}").get_data(as_text=True)
    assert names_in(html, crowd) == expected


def test_people_list_search(client, as_role, crowd):
    as_role("admin")
    html = client.get("/people/?q=slh").get_data(as_text=True)
    assert names_in(html, crowd) == {"沈丽华"}


def test_pagination(client, session, as_role, make_person, app):
    as_role("coordinator")
    for i in range(25):
        make_person("张" + "一二三四五六七八九十"[i % 10] + "甲乙丙"[i // 10])
    first = client.get("/people/").get_data(as_text=True)
    assert "第 1 / 2 页，共 25 条" in first
    second = client.get("/people/?page=2").get_data(as_text=True)
    assert second.count("/people/") >= 5 and "第 2 / 2 页" in second
    assert client.get("/people/?page=99").status_code == 200


EDITS = {  # registry slug → (field to change, new value, column value expected)
    "volunteers": ("skills", "法律咨询", "法律咨询"),
    "mentors": ("capacity", "4", 4),
    "mentees": ("hardship", "5", 5),
    "spring-buds": ("grade", "初一", "初一"),
    "donors": ("display_name", "海宁爱心企业", "海宁爱心企业"),
}


@pytest.mark.parametrize("slug", list(PROFILE_DATA))
def test_edit_search_and_filter_each_registry(client, session, as_role, slug):
    as_role("coordinator")
    key, profile = PROFILE_DATA[slug]
    birth = date(2015, 4, 2) if key == "spring_bud" else date(1988, 6, 1)
    person = person_fields(id_number=make_id("330481", birth, 43), name="钱佳慧")
    assert client.post(f"/registry/{slug}/new",
                       data=form_data(client, person, profile)).status_code == 302
    model = PROFILE_MODELS[key]
    prof = session.scalar(select(model))
    pid = prof.person_id

    field, value, expected = EDITS[slug]
    form = client.get(f"/people/{pid}/profiles/{key}/edit").get_data(as_text=True)
    assert "钱佳慧" in form
    data = {**profile, field: value, "csrf_token": csrf_token(client)}
    if key == "spring_bud":
        data["guardian_mobile"] = ""
    resp = client.post(f"/people/{pid}/profiles/{key}/edit", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert getattr(session.get(model, prof.id), field) == expected
    if key == "spring_bud":  # the guardian's mobile was left blank: kept
        assert session.get(model, prof.id).guardian_mobile == "13955556666"

    listing = f"/registry/{slug}/"
    assert "钱佳慧" in client.get(listing + "?q=qjh").get_data(as_text=True)
    assert "钱佳慧" in client.get(listing + "?q=1234").get_data(as_text=True)
    assert "钱佳慧" not in client.get(listing + "?q=zzz").get_data(as_text=True)
    assert "钱佳慧" in client.get(listing + "?region=330481107").get_data(as_text=True)
    assert "钱佳慧" not in client.get(listing + "?region=330481101").get_data(as_text=True)
    assert "钱佳慧" not in client.get(listing + "?status=inactive").get_data(as_text=True)
    if "kind" in profile:
        kind = profile["kind"]
        assert "钱佳慧" in client.get(listing + f"?kind={kind}").get_data(as_text=True)
        other = next(k for k in REGISTRIES[slug].kind_labels if k != kind)
        assert "钱佳慧" not in client.get(listing + f"?kind={other}").get_data(as_text=True)


def test_volunteer_status_changes_only_through_the_pipeline(client, session, as_role,
                                                            make_person):
    """Accepting an applicant creates her account, so the registry's status buttons must
    not make a pending volunteer active behind the pipeline's back."""
    from matchmaker.models import User, VolunteerProfile

    as_role("coordinator")
    p = make_person()
    prof = VolunteerProfile(person=p, team="家庭教育", status="pending")
    session.add(prof)
    session.flush()
    resp = client.post(f"/people/{p.id}/profiles/volunteer/status",
                       data={"csrf_token": csrf_token(client), "status": "active"},
                       follow_redirects=True)
    assert "志愿者的状态请在志愿者审核页面修改" in resp.get_data(as_text=True)
    assert session.get(VolunteerProfile, prof.id).status == "pending"
    assert session.scalar(select(User).where(User.person_id == p.id)) is None
    page = client.get(f"/people/{p.id}").get_data(as_text=True)
    assert f"/volunteers/{prof.id}" in page and "申请中" in page
