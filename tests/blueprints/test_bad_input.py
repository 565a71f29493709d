"""Bad input never makes a 500 (ids in URLs, forms and query strings, on every page),
the portal's "give consent again", and report dates in local time."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from matchmaker.blueprints.helpers import code_arg, int_arg
from matchmaker.models import ConsentRecord, VolunteerProfile
from matchmaker.models.base import utcnow
from matchmaker.services import clock
from tests.blueprints.test_portal import post

HUGE = "9" * 20  # beyond SQLite's 64-bit integers


@pytest.mark.parametrize(("raw", "value"), [
    ("1", 1), (" 42 ", 42), ("000000007", 7), ("999999999", 999999999), ("1000000000", None),
    ("²", None), ("٣", None), ("-1", None), ("+1", None), ("1.0", None), ("", None),
    ("1\n", 1), ("1\n2", None), (None, None), (7, None), ("\x00", None)])
def test_int_arg_takes_only_ascii_digits(raw, value):
    assert int_arg(raw) == value


def test_code_arg_takes_town_and_village_codes_only():
    assert code_arg("330481107") == "330481107" and code_arg("330481107201") == "330481107201"
    assert code_arg("\x00") == code_arg("3304811072011") == code_arg("³") == ""


@pytest.mark.parametrize("url", [f"/activities/{HUGE}", "/activities/2147483648",
                                 f"/volunteers/{HUGE}", f"/service-requests/{HUGE}",
                                 "/activities/" + "9" * 5000])
def test_huge_ids_in_urls_are_404(client, as_role, url):
    as_role("admin")
    assert client.get(url).status_code == 404


def test_the_int_converter_is_bounded_everywhere(app):
    for rule in app.url_map.iter_rules():
        for converter in rule._converters.values():
            if type(converter).__name__ == "BoundedInt":
                assert converter.max == 2**31 - 1
    assert type(app.url_map.converters["int"]).__name__ != "IntegerConverter"
    assert app.url_map.converters["int"].__name__ == "BoundedInt"


@pytest.mark.parametrize("page", [HUGE, "²", "-3"])
def test_bad_page_numbers_show_the_first_page(client, as_role, page):
    as_role("admin")
    for url in ("/service-requests/", "/volunteers/applicants"):
        assert client.get(f"{url}?page={page}").status_code == 200


def test_a_nul_town_filter_never_reaches_the_database(client, as_role, monkeypatch):
    from matchmaker.services import volunteers

    seen = []
    real = volunteers.volunteers_query
    monkeypatch.setattr(volunteers, "volunteers_query",
                        lambda user, filters: seen.append(filters.town) or real(user, filters))
    as_role("admin")
    for town in ("%00", "33048110%25", "330481107"):
        assert client.get(f"/volunteers/applicants?town={town}").status_code == 200
    assert seen == ["", "", "330481107"]


@pytest.mark.parametrize("raw", ["²", HUGE])
def test_bad_ids_in_forms_are_refused_not_500(client, session, as_role, raw):
    as_role("admin")
    resp = post(client, "/activities/hours/approve", hours_id=raw)
    assert resp.status_code == 302
    assert "请先勾选" in client.get(resp.headers["Location"]).get_data(as_text=True)
    resp = post(client, "/volunteers/bulk-accept", ids=raw)
    assert resp.status_code == 302
    assert "请先勾选" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_a_huge_volunteer_id_to_assign_is_refused(client, session, as_role, regions):
    from matchmaker.models import ServiceRequest

    req = ServiceRequest(title="助老", need="陪伴", region=regions["330481107"],
                         volunteers_wanted=1, status="open")
    session.add(req)
    session.flush()
    as_role("admin")
    resp = post(client, f"/service-requests/{req.id}/assign", volunteer_id=HUGE)
    assert resp.status_code == 302
    assert "找不到这位志愿者" in client.get(resp.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("raw", ["²", HUGE])
def test_a_bad_activity_in_the_hours_form_is_a_chinese_error(client, session, me, raw):
    me()
    resp = post(client, "/me/hours", served_on=clock.today().isoformat(), hours="1",
                activity=raw)
    assert resp.status_code == 422
    assert "没有正式报名这个活动" in resp.get_data(as_text=True)


def test_huge_hours_in_the_portal_are_a_chinese_error(client, session, me):
    me()
    resp = post(client, "/me/hours", served_on=clock.today().isoformat(), hours="1e999999",
                activity="")
    assert resp.status_code == 422 and "不超过 24 小时" in resp.get_data(as_text=True)


@pytest.mark.parametrize("query", ["activity=²", "activity=" + HUGE, "town=%00",
                                   "town=²&activity=³"])
def test_join_ignores_bad_poster_arguments(client, session, regions, monkeypatch, query):
    from matchmaker.services import signup

    seen = []
    real = signup.preset_region
    monkeypatch.setattr(signup, "preset_region", lambda code: seen.append(code) or real(code))
    assert client.get(f"/join?{query}").status_code == 200
    assert seen[0] == ""


def test_she_consents_again_from_her_portal(client, session, me):
    v = me(status="inactive")
    session.add(ConsentRecord(person_id=v.person_id, purpose="volunteer",
                              notice_version="2026-11", channel="web", given_at=utcnow(),
                              withdrawn_at=utcnow()))
    session.flush()
    assert "重新同意" in client.get("/me").get_data(as_text=True)
    page = client.get("/me/consent").get_data(as_text=True)
    assert "个人信息保护告知书（2026-11 版）" in page
    resp = post(client, "/me/consent")
    assert resp.status_code == 302
    assert "已记录您的同意" in client.get("/me").get_data(as_text=True)
    session.expire_all()
    record = session.scalar(select(ConsentRecord).where(
        ConsentRecord.person_id == v.person_id, ConsentRecord.withdrawn_at.is_(None)))
    assert (record.channel, record.notice_version) == ("portal", "2026-11")
    assert session.get(VolunteerProfile, v.id).status == "inactive"


def test_hours_report_uses_the_local_date(client, session, as_role, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: date(2020, 6, 1))
    as_role("admin")
    html = client.get("/volunteer-reports/hours").get_data(as_text=True)
    assert 'value="2020-01-01"' in html


GARBAGE = ("99999999999999999999999", "²", "-3", "1e9", "%00")


@pytest.mark.parametrize("value", GARBAGE)
@pytest.mark.parametrize("path", ["/people/?page=", "/registry/volunteers/?page=",
                                  "/admin/audit?page=", "/volunteers/applicants?page=",
                                  "/people/"])
def test_garbage_in_query_strings_and_paths(client, as_role, regions, path, value):
    as_role("admin")
    status = client.get(path + value).status_code
    assert status in (200, 404), (path, value, status)
