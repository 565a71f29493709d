"""Every registry route × every role, and region scope for town coordinators."""

import pytest

from matchmaker.models import MentorProfile, SpringBudProfile
from tests.conftest import csrf_token

SLUGS = ["volunteers", "mentors", "mentees", "spring-buds", "donors"]

# (method, url template) — {pid} is a person in 盐官镇 who is a mentor.
ROUTES = [("GET", "/people/")]
ROUTES += [("GET", f"/registry/{s}/") for s in SLUGS]
ROUTES += [("GET", f"/registry/{s}/new") for s in SLUGS]
ROUTES += [
    ("GET", "/people/{pid}"),
    ("GET", "/people/{pid}/edit"),
    ("POST", "/people/{pid}/reveal"),
    ("POST", "/people/{pid}/status"),
    ("GET", "/people/{pid}/profiles/volunteer/new"),
    ("GET", "/people/{pid}/profiles/mentor/edit"),
    ("POST", "/people/{pid}/profiles/mentor/status"),
]
# Service requests and hours reports (issue 6).
ROUTES += [("GET", "/service-requests/"), ("GET", "/service-requests/new"),
           ("GET", "/volunteer-reports/hours")]


@pytest.fixture
def mentor_in_yanguan(session, make_person):
    p = make_person("盐官导师", region="330481107201")
    session.add(MentorProfile(person=p, kind="skilled", specialty="茶叶", industry="agriculture"))
    session.flush()
    return p


def expected_for(role: str, method: str, url: str) -> int:
    if role == "anonymous":
        return 302
    if role in ("volunteer", "donor"):
        return 403
    if method == "POST" and not url.endswith("/reveal"):
        return 302
    return 200


def request(client, method: str, url: str):
    """GET, or POST with a valid CSRF token (anonymous clients get one from /login too),
    so that what is tested is the role check, not the token check."""
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"field": "mobile", "status": "active",
                                  "csrf_token": csrf_token(client)})


@pytest.mark.parametrize("role", ["anonymous", "volunteer", "donor", "coordinator", "admin",
                                  "town-coordinator"])
@pytest.mark.parametrize(("method", "template"), ROUTES)
def test_matrix(client, as_role, mentor_in_yanguan, role, method, template):
    if role == "town-coordinator":
        as_role("coordinator", region_codes=("330481107",))
    elif role != "anonymous":
        as_role(role)
    url = template.format(pid=mentor_in_yanguan.id)
    resp = request(client, method, url)
    want = expected_for("coordinator" if role == "town-coordinator" else role, method, url)
    assert resp.status_code == want, (role, method, url)
    if want == 302 and role == "anonymous":
        assert "/login" in resp.headers["Location"]


# The volunteer pipeline: {vid} is an applicant's volunteer profile in 盐官镇.
VOLUNTEER_ROUTES = [
    ("GET", "/volunteers/applicants"),
    ("GET", "/volunteers/{vid}"),
    ("POST", "/volunteers/{vid}/accept"),
    ("POST", "/volunteers/{vid}/reject"),
    ("POST", "/volunteers/{vid}/status"),
    ("POST", "/volunteers/{vid}/resend-link"),
    ("POST", "/volunteers/bulk-accept"),
]


@pytest.mark.parametrize("role", ["anonymous", "volunteer", "donor", "coordinator", "admin",
                                  "town-coordinator"])
@pytest.mark.parametrize(("method", "template"), VOLUNTEER_ROUTES)
def test_volunteer_pipeline_matrix(client, session, as_role, make_person, role, method,
                                   template):
    from matchmaker.models import VolunteerProfile

    profile = VolunteerProfile(person=make_person("盐官报名", region="330481107201"),
                               team="家庭教育", status="pending", source="signup")
    session.add(profile)
    session.flush()
    if role == "town-coordinator":
        as_role("coordinator", region_codes=("330481107",))
    elif role != "anonymous":
        as_role(role)
    url = template.format(vid=profile.id)
    if method == "GET":
        resp = client.get(url)
    else:
        resp = client.post(url, data={"reason": "名额已满", "status": "inactive",
                                      "ids": str(profile.id), "csrf_token": csrf_token(client)})
    want = expected_for("coordinator" if role == "town-coordinator" else role, method, url)
    assert resp.status_code == want, (role, method, url)
    if want == 302 and role == "anonymous":
        assert "/login" in resp.headers["Location"]


@pytest.mark.parametrize(("method", "template"), [r for r in ROUTES if "{pid}" in r[1]])
def test_town_coordinator_cannot_reach_another_town(client, as_role, session, make_person,
                                                    method, template):
    other = make_person("许村导师", region="330481101201")
    session.add(MentorProfile(person=other, kind="skilled", specialty="家纺",
                              industry="manufacturing"))
    session.flush()
    as_role("coordinator", region_codes=("330481107",))
    resp = request(client, method, template.format(pid=other.id))
    assert resp.status_code == 404


def test_lists_show_only_the_coordinators_town(client, as_role, session, make_person):
    for name, region in [("盐官甲", "330481107201"), ("许村乙", "330481101201")]:
        p = make_person(name, region=region)
        session.add(MentorProfile(person=p, kind="skilled", specialty="茶", industry="agriculture"))
    session.flush()
    as_role("coordinator", region_codes=("330481107",))
    for url in ("/people/", "/registry/mentors/", "/registry/mentors/?region=330481101"):
        html = client.get(url).get_data(as_text=True)
        assert "盐官甲" in html or "region=330481101" in url
        assert "许村乙" not in html


def test_town_coordinator_cannot_register_in_another_town(client, session, as_role):
    from sqlalchemy import func, select

    from matchmaker.models import Person
    from tests.blueprints.test_registry import PROFILE_DATA, form_data, person_fields

    as_role("coordinator", region_codes=("330481107",))
    resp = client.post("/registry/mentors/new", data=form_data(
        client, person_fields(region="330481101201"), PROFILE_DATA["mentors"][1]))
    assert resp.status_code == 422
    assert session.scalar(select(func.count(Person.id))) == 0


def test_unknown_registry_and_profile_kind_are_404(client, as_role, mentor_in_yanguan):
    as_role("admin")
    assert client.get("/registry/aliens/").status_code == 404
    assert client.get(f"/people/{mentor_in_yanguan.id}/profiles/alien/new").status_code == 404
    assert client.get("/people/999999").status_code == 404


def test_minor_record_view_is_audited(client, session, as_role, make_person):
    from datetime import date

    from sqlalchemy import select

    from matchmaker.models import AuditEvent

    girl = make_person("小燕", birth=date(2015, 5, 1), mobile=None)
    session.add(SpringBudProfile(person=girl, school="小学", grade="五年级", guardian_name="陈芳",
                                 guardian_relation="母亲", guardian_consent=True))
    adult = make_person("成年人")
    session.flush()
    user = as_role("coordinator")
    assert "未成年人" in client.get(f"/people/{girl.id}").get_data(as_text=True)
    client.get(f"/people/{adult.id}")
    views = session.scalars(select(AuditEvent).where(AuditEvent.action == "view_minor")).all()
    assert [(v.target_id, v.user_id) for v in views] == [(girl.id, user.id)]
