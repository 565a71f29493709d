"""CSRF on every state-changing route; no unmasked number where the role may not see it."""

import re
from datetime import date

import pytest
from sqlalchemy import select

from matchmaker.models import AuditEvent, DonorProfile, MentorProfile, SpringBudProfile
from tests.conftest import csrf_token
from tests.ids import make_id


def post_routes(app) -> list[str]:
    """Every URL rule that accepts POST, with sample arguments."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        # Every integer id gets 1; the other converters get a plausible value.
        url = re.sub(r"<int:\w+>", "1", rule.rule)
        url = url.replace("<slug>", "mentors").replace("<kind>", "mentor")
        url = url.replace("<token>", "sample-token")
        assert "<" not in url, f"add a sample value for {rule.rule}"
        urls.append(url)
    return sorted(urls)


def test_there_are_post_routes_to_check(app):
    routes = post_routes(app)
    assert "/login" in routes and "/people/1/reveal" in routes and len(routes) >= 10


@pytest.mark.parametrize("as_who", ["anonymous", "admin"])
def test_every_post_route_refuses_a_request_without_token(app, client, as_role, make_person,
                                                          as_who):
    make_person()
    if as_who == "admin":
        as_role("admin")
    for url in post_routes(app):
        resp = client.post(url, data={"status": "inactive", "field": "mobile",
                                      "username": "x", "password": "y"})
        assert resp.status_code == 400, url
        assert "安全令牌" in resp.get_data(as_text=True)
        wrong = client.post(url, data={"csrf_token": "forged", "status": "inactive"})
        assert wrong.status_code == 400, url


def test_rejected_post_changes_nothing(client, session, as_role, make_person):
    p = make_person()
    as_role("admin")
    client.post(f"/people/{p.id}/status", data={"status": "inactive"})
    assert session.get(type(p), p.id).status == "active"


MOBILE = "13912348765"
GUARDIAN = "13755554444"


@pytest.fixture
def people(session, make_person):
    adult_id = make_id("330481", date(1980, 2, 3), 77)
    adult = make_person("沈美华", mobile=MOBILE, id_number=adult_id, birth=date(1980, 2, 3))
    session.add(MentorProfile(person=adult, kind="skilled", specialty="茶", industry="agriculture"))
    session.add(DonorProfile(person=adult, kind="person", display_name="沈女士"))
    girl_id = make_id("330481", date(2014, 9, 9), 78)
    girl = make_person("陈小燕", mobile=None, id_number=girl_id, birth=date(2014, 9, 9))
    session.add(SpringBudProfile(person=girl, school="小学", grade="六年级",
                                 guardian_name="陈芳", guardian_relation="母亲",
                                 guardian_mobile=GUARDIAN, guardian_consent=True))
    session.flush()
    return {"adult": adult, "girl": girl, "secrets": [MOBILE, GUARDIAN, adult_id, girl_id,
                                                      adult_id[6:14], girl_id[:14]]}


def pages_for(person_ids) -> list[str]:
    pages = ["/", "/people/", "/people/?q=8765"]
    pages += [f"/registry/{s}/" for s in
              ("volunteers", "mentors", "mentees", "spring-buds", "donors")]
    for pid in person_ids:
        pages += [f"/people/{pid}", f"/people/{pid}/edit",
                  f"/people/{pid}/profiles/spring_bud/edit",
                  f"/people/{pid}/profiles/mentor/edit"]
    return pages


def assert_no_secret(html: str, secrets: list[str], where: str) -> None:
    digits = re.sub(r"\D", "", html)
    for secret in secrets:
        assert secret not in html, (where, secret)
        if len(secret) >= 11:
            assert secret not in digits or secret[:3] + "****" in html, (where, secret)


@pytest.mark.parametrize("role", ["admin", "coordinator", "volunteer", "donor"])
def test_no_unmasked_number_on_any_page(client, as_role, people, role):
    user = as_role(role)
    assert user
    for url in pages_for([people["adult"].id, people["girl"].id]):
        resp = client.get(url)
        assert resp.status_code in (200, 403, 404), url
        assert_no_secret(resp.get_data(as_text=True), people["secrets"], url)


def test_masked_forms_are_shown_to_staff(client, as_role, people):
    as_role("coordinator")
    html = client.get(f"/people/{people['adult'].id}").get_data(as_text=True)
    assert "139****8765" in html
    assert "*" * 14 + people["secrets"][2][-4:] in html
    girl = client.get(f"/people/{people['girl'].id}").get_data(as_text=True)
    assert "137****4444" in girl


@pytest.mark.parametrize("field", ["mobile", "id_number"])
def test_reveal_shows_the_number_once_and_is_audited(client, session, as_role, people, field):
    user = as_role("coordinator")
    adult = people["adult"]
    resp = client.post(f"/people/{adult.id}/reveal",
                       data={"field": field, "csrf_token": csrf_token(client)})
    expected = MOBILE if field == "mobile" else people["secrets"][2]
    assert expected in resp.get_data(as_text=True)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "reveal"))
    assert (event.user_id, event.target_id, event.detail) == (user.id, adult.id,
                                                             {"field": field})
    assert expected not in str(event.detail)
    # The next ordinary view is masked again.
    assert expected not in client.get(f"/people/{adult.id}").get_data(as_text=True)


def test_reveal_is_not_in_the_url(client, as_role, people):
    as_role("coordinator")
    resp = client.get(f"/people/{people['adult'].id}/reveal?field=mobile")
    assert resp.status_code == 405
