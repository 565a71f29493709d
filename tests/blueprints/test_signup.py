"""The public volunteer sign-up (/join) and the coordinators' QR poster."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from matchmaker.extensions import limiter
from matchmaker.models import (
    Activity,
    AuditEvent,
    ConsentRecord,
    MenteeProfile,
    Notification,
    Person,
    Region,
    VolunteerProfile,
)
from matchmaker.models.base import utcnow
from matchmaker.services import posters
from matchmaker.services.consent import CURRENT_NOTICES
from tests.conftest import csrf_token, linked_css
from tests.ids import make_id

NOTICE = CURRENT_NOTICES["volunteer"].version
ALREADY = "该手机号或身份证号已经报名登记过"
MODELS = (Person, VolunteerProfile, ConsentRecord, Notification, AuditEvent)


@pytest.fixture(autouse=True)
def fresh_limiter(app):
    """The limiter is global: every test starts (and leaves) with no counts."""
    with app.app_context():
        limiter.reset()
    yield
    with app.app_context():
        limiter.reset()


def counts(session) -> dict[str, int]:
    return {m.__name__: session.scalar(select(func.count(m.id))) for m in MODELS}


def signup_data(client, **over) -> dict:
    data = {"csrf_token": csrf_token(client), "name": "沈丽华", "mobile": "139 0000 1234",
            "id_number": "", "town": "330481107", "village": "330481107201",
            "teams": ["家庭教育", "文明传播"], "skills": "会计，电商直播",
            "availability": ["we_am", "wd_ev"], "consent": "y", "notice_version": NOTICE,
            "activity": "", "website": ""}
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def region(session, code: str) -> Region:
    return session.scalar(select(Region).where(Region.code == code))


def make_volunteer(session, make_person, name="王秀英", *, village="330481101202",
                   mobile="13900001234", id_number="auto", status="active"):
    person = make_person(name, region=village, mobile=mobile, id_number=id_number)
    session.add(VolunteerProfile(person=person, team="法律维权", teams="法律维权",
                                 availability="wd_am", status=status))
    session.flush()
    return person


def make_activity(session, *, title="敬老院助老服务", status="open", days=7,
                  where="330481107") -> Activity:
    start = utcnow() + timedelta(days=days)
    activity = Activity(title=title, service="助老", team="文明传播", region=region(session, where),
                        place="盐官镇敬老院", starts_at=start, ends_at=start + timedelta(hours=2),
                        slots=10, status=status)
    session.add(activity)
    session.flush()
    return activity


def without_tokens(page: str) -> str:
    return re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "", page)


# ---- the page --------------------------------------------------------------------------


def test_the_page_needs_no_login_and_offers_regions_teams_times_and_the_notice(client, regions):
    resp = client.get("/join")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    for text in ("盐官镇", "许村镇", "郭店村", "永福村", "文明传播", "环保护绿", "周末晚上",
                 "个人信息保护告知书（2026-11 版）"):
        assert text in page
    # Villages grouped by town, so the choice works without JavaScript.
    assert re.search(r'<optgroup label="许村镇" data-town="330481101">\s*<option value='
                     r'"330481101201"', page)
    assert f'name="notice_version" type="hidden" value="{NOTICE}"' in page
    # The honeypot is there for robots, out of people's way.
    assert re.search(r'<input type="text" id="website" name="website" value="" '
                     r'tabindex="-1" autocomplete="off">', page)
    assert 'type="tel"' in page


def test_success_creates_one_applicant_with_consent_and_a_message(client, session, regions):
    before = counts(session)
    resp = client.post("/join", data=signup_data(client))
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/join/done"  # nothing in the URL
    done = client.get("/join/done").get_data(as_text=True)
    assert "报名已提交" in done
    assert "沈丽华" not in done and "1234" not in done

    after = counts(session)
    for model in ("Person", "VolunteerProfile", "ConsentRecord"):
        assert after[model] == before[model] + 1
    person = session.scalar(select(Person).where(Person.name == "沈丽华"))
    assert (person.status, person.gender, person.mobile) == ("active", "F", "13900001234")
    assert person.region.code == "330481107201" and person.id_hash is None
    assert person.name_initials == "slh"
    profile = session.scalar(select(VolunteerProfile).where(
        VolunteerProfile.person_id == person.id))
    assert (profile.status, profile.source) == ("pending", "signup")
    # Teams and times in their canonical order, whatever order they were sent in.
    assert (profile.team, profile.teams) == ("文明传播", "文明传播,家庭教育")
    assert profile.availability == "wd_ev,we_am" and profile.skills == "会计，电商直播"
    assert profile.wanted_activity_id is None
    record = session.scalar(select(ConsentRecord).where(ConsentRecord.person_id == person.id))
    assert (record.purpose, record.notice_version, record.channel) == ("volunteer", NOTICE, "web")
    messages = session.scalars(select(Notification).where(
        Notification.person_id == person.id)).all()
    assert {m.channel for m in messages} == {"inapp", "sms"}
    assert all("已收到" in m.subject and "审核" in m.body for m in messages)


def test_an_id_number_gives_birth_date_and_gender_and_is_kept_encrypted(client, session,
                                                                        regions):
    number = make_id("330481", date(1979, 5, 4), 7, female=False)
    resp = client.post("/join", data=signup_data(client, id_number=number))
    assert resp.status_code == 302
    person = session.scalar(select(Person).where(Person.name == "沈丽华"))
    assert (person.gender, person.birth_date) == ("M", date(1979, 5, 4))
    assert person.id_tail == number[-4:] and person.id_hash and person.id_cipher
    assert number.encode() not in person.id_cipher


def test_a_town_without_villages_is_enough(client, session, regions):
    town = Region(code="330481108", name="周王庙镇", level="town", parent=regions["330481"],
                  path="330481/330481108/")
    session.add(town)
    session.flush()
    resp = client.post("/join", data=signup_data(client, town="330481108", village=""))
    assert resp.status_code == 302
    assert session.scalar(select(Person).where(Person.name == "沈丽华")).region.code \
        == "330481108"


# ---- refusals ------------------------------------------------------------------------


@pytest.mark.parametrize(("over", "message"), [
    ({"mobile": "12345"}, "请填写有效的 11 位手机号码"),
    ({"mobile": "010-12345678"}, "这是固定电话号码，请填写 11 位手机号码"),
    ({"mobile": ""}, "请填写手机号码"),
    ({"name": "  "}, "姓名不能为空"),
    ({"name": "<b>x</b>"}, "姓名只能包含汉字、字母和间隔号"),
    ({"id_number": "330481198503080000"}, "身份证号码校验位不正确"),
    ({"teams": None}, "请至少选择一个服务队"),
    ({"teams": ["黑客队"]}, "不是有效的选择"),
    ({"availability": None}, "请至少选择一个可服务时间"),
    ({"consent": None}, "请阅读个人信息保护告知书，并勾选同意"),
    ({"town": ""}, "请选择所在镇（街道）"),
    ({"town": "999999999"}, "请选择所在镇（街道）"),
    ({"village": ""}, "请选择所在村（社区）"),
    ({"village": "330481101201"}, "所选村（社区）不属于所选镇（街道）"),
    ({"village": "330481107299"}, "所选村（社区）不属于所选镇（街道）"),
    ({"skills": "<script>"}, "特长不能包含尖括号"),
])
def test_bad_input_is_refused_beside_the_field_and_writes_nothing(client, session, regions,
                                                                  over, message):
    before = counts(session)
    resp = client.post("/join", data=signup_data(client, **over))
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert re.search(r'<span class="error" role="alert">[^<]*' + re.escape(message), page)
    assert counts(session) == before


def test_input_is_kept_after_an_error(client, regions):
    page = client.post("/join", data=signup_data(client, mobile="12345")).get_data(as_text=True)
    assert 'value="沈丽华"' in page
    assert '<option value="330481107201" selected>' in page
    assert re.search(r'<input checked id="teams-\d" name="teams" type="checkbox" '
                     r'value="家庭教育">', page)


def test_an_outdated_notice_must_be_read_again(client, session, regions):
    before = counts(session)
    resp = client.post("/join", data=signup_data(client, notice_version="2020-01"))
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "个人信息保护告知书已经更新，请重新阅读后再勾选同意" in page
    assert f'value="{NOTICE}"' in page  # the form now carries the notice shown
    assert 'id="consent" name="consent" type="checkbox" value="y">' in page  # not ticked
    assert counts(session) == before


def test_a_request_without_the_csrf_token_is_refused(client, session, regions):
    before = counts(session)
    data = signup_data(client)
    del data["csrf_token"]
    resp = client.post("/join", data=data)
    assert resp.status_code == 400
    assert counts(session) == before


def test_honeypot_filled_shows_the_confirmation_and_writes_nothing(client, session, regions):
    before = counts(session)
    resp = client.post("/join", data=signup_data(client, website="http://spam.example"))
    assert resp.status_code == 302 and resp.headers["Location"] == "/join/done"
    assert counts(session) == before
    # Even with rubbish elsewhere, a robot learns nothing from error messages.
    resp = client.post("/join", data=signup_data(client, website="x", mobile="1"))
    assert resp.status_code == 302 and resp.headers["Location"] == "/join/done"
    assert counts(session) == before


# ---- duplicates ----------------------------------------------------------------------


def test_same_mobile_as_a_volunteer_is_refused_without_telling_whose(client, session,
                                                                     make_person, regions):
    existing = make_volunteer(session, make_person, "王秀英", village="330481101202")
    before = counts(session)
    first = client.post("/join", data=signup_data(client))
    assert first.status_code == 422
    page = first.get_data(as_text=True)
    assert ALREADY in page
    assert counts(session) == before
    assert "王秀英" not in page and "已录用" not in page and "法律维权" not in page.split(
        "愿意参加的服务队")[0]
    # Her town and village are not what the page shows as chosen.
    assert '<option value="330481101" selected>' not in page
    assert '<option value="330481101202" selected>' not in page

    # Proof that nothing of her record shapes the answer: change all of it, ask again,
    # and the page is the same.
    existing = session.get(Person, existing.id)
    existing.name, existing.region = "李春梅", region(session, "330481107202")
    session.scalar(select(VolunteerProfile).where(
        VolunteerProfile.person_id == existing.id)).status = "pending"
    session.flush()
    second = client.post("/join", data=signup_data(client))
    assert second.status_code == 422
    assert without_tokens(second.get_data(as_text=True)) == without_tokens(page)


def test_same_id_number_as_a_volunteer_is_refused(client, session, make_person, regions):
    number = make_id("330481", date(1986, 2, 3), 11)
    make_volunteer(session, make_person, "王秀英", mobile="13711112222", id_number=number)
    before = counts(session)
    resp = client.post("/join", data=signup_data(client, id_number=number))
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert ALREADY in page and "王秀英" not in page and "137****2222" not in page
    assert counts(session) == before


def test_same_mobile_as_an_applicant_is_refused_too(client, session, make_person, regions):
    make_volunteer(session, make_person, "王秀英", status="pending")
    resp = client.post("/join", data=signup_data(client, name="王秀英"))
    assert resp.status_code == 422 and ALREADY in resp.get_data(as_text=True)


def test_her_id_in_another_registry_is_not_confirmed(client, session, make_person, regions):
    """Whatever name is typed, an ID held by a mentee gets the same confirmation as an
    unknown one: the page is no oracle for who is in the registries."""
    number = make_id("330481", date(1990, 7, 1), 21)
    mentee = make_person("沈丽华", region="330481101201", mobile="13700000001", id_number=number)
    session.add(MenteeProfile(person=mentee, kind="rural", needs="学电商", industry="ecommerce"))
    session.flush()
    before = counts(session)
    resp = client.post("/join", data=signup_data(client, id_number=number))
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/join/done")
    after = counts(session)
    assert after["Person"] == before["Person"] + 1
    assert after["VolunteerProfile"] == before["VolunteerProfile"] + 1
    person = session.get(Person, mentee.id)
    assert person.mobile == "13700000001" and person.region.code == "330481101201"
    assert session.scalar(select(ConsentRecord.id).where(
        ConsentRecord.person_id == person.id)) is None


# ---- presets from posters -------------------------------------------------------------


def test_town_preset(client, regions):
    page = client.get("/join?town=330481101").get_data(as_text=True)
    assert '<option value="330481101" selected>' in page
    page = client.get("/join?town=330481107202").get_data(as_text=True)  # a village code
    assert '<option value="330481107" selected>' in page
    assert '<option value="330481107202" selected>' in page
    page = client.get("/join?town=nonsense").get_data(as_text=True)
    assert " selected>" not in page


def test_activity_preset_is_shown_and_stored(client, session, regions):
    activity = make_activity(session, where="330481101")
    activity_id = activity.id
    page = client.get(f"/join?activity={activity_id}").get_data(as_text=True)
    assert "敬老院助老服务" in page and "盐官镇敬老院" in page
    assert f'name="activity" type="hidden" value="{activity_id}"' in page
    assert '<option value="330481101" selected>' in page  # her town from the activity
    resp = client.post("/join", data=signup_data(client, activity=str(activity_id)))
    assert resp.status_code == 302
    person = session.scalar(select(Person).where(Person.name == "沈丽华"))
    assert session.scalar(select(VolunteerProfile.wanted_activity_id).where(
        VolunteerProfile.person_id == person.id)) == activity_id


@pytest.mark.parametrize("kind", ["cancelled", "past", "missing", "garbage"])
def test_an_activity_not_open_is_ignored_silently(client, session, regions, kind):
    if kind in ("cancelled", "past"):
        activity = make_activity(session, status="cancelled" if kind == "cancelled" else "open",
                                 days=7 if kind == "cancelled" else -1)
        ref = str(activity.id)
    else:
        ref = "999999" if kind == "missing" else "1;drop"
    resp = client.get(f"/join?activity={ref}")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "敬老院助老服务" not in page
    assert 'name="activity" type="hidden" value=""' in page
    resp = client.post("/join", data=signup_data(client, activity=ref))
    assert resp.status_code == 302
    person = session.scalar(select(Person).where(Person.name == "沈丽华"))
    assert session.scalar(select(VolunteerProfile.wanted_activity_id).where(
        VolunteerProfile.person_id == person.id)) is None


# ---- the rate limit ------------------------------------------------------------------


def test_posts_are_rate_limited_per_address(app, client, regions):
    saved = app.config["SIGNUP_RATE_LIMIT"]
    app.config["SIGNUP_RATE_LIMIT"] = "3 per minute"
    try:
        with app.app_context():
            limiter.reset()
        token = csrf_token(client)
        codes = [client.post("/join", data={"csrf_token": token}).status_code
                 for _ in range(5)]
        assert codes == [422, 422, 422, 429, 429]
        limited = client.post("/join", data={"csrf_token": token})
        assert limited.status_code == 429
        assert "操作过于频繁" in limited.get_data(as_text=True)
        assert client.get("/join").status_code == 200  # reading the page is not limited
        # Another address still may.
        other = client.post("/join", data={"csrf_token": token},
                            environ_base={"REMOTE_ADDR": "10.0.0.9"})
        assert other.status_code == 422
    finally:
        app.config["SIGNUP_RATE_LIMIT"] = saved
        with app.app_context():
            limiter.reset()


def test_the_default_limit_is_set():
    from matchmaker.config import DEFAULTS

    assert "per" in DEFAULTS["SIGNUP_RATE_LIMIT"]


# ---- the poster ----------------------------------------------------------------------


def test_poster_for_a_coordinator(client, session, as_role, regions):
    as_role("coordinator", region_codes=("330481107",))
    resp = client.get("/volunteers/poster")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    url = "http://localhost/join?town=330481107"  # her only town is chosen for her
    assert "巾帼志愿者招募" in page and "扫码报名" in page and "<svg" in page
    assert url in page
    assert posters.qr_svg(url) in page  # the code on the page encodes that address
    assert "@media print" in linked_css(client, page)
    assert "/volunteers/poster.svg?town=330481107" in page
    # Only her towns are offered.
    assert 'value="330481101"' not in page


def test_poster_with_an_activity(client, session, as_role, regions):
    activity = make_activity(session)
    activity_id = activity.id
    as_role("coordinator")
    page = client.get(f"/volunteers/poster?town=330481107&activity={activity_id}"
                      ).get_data(as_text=True)
    url = f"http://localhost/join?town=330481107&activity={activity_id}"
    assert html.escape(url) in page and posters.qr_svg(url) in page
    assert "敬老院助老服务" in page


def test_poster_refuses_towns_and_activities_outside_her_regions(client, session, as_role,
                                                                regions):
    elsewhere = make_activity(session, where="330481107")
    elsewhere_id = elsewhere.id
    as_role("coordinator", region_codes=("330481101",))
    page = client.get("/volunteers/poster?town=330481107").get_data(as_text=True)
    assert "镇（街道）不存在或不在您负责的范围内" in page and "<svg" not in page
    page = client.get(f"/volunteers/poster?town=&activity={elsewhere_id}").get_data(as_text=True)
    assert "活动不存在、已结束或不在您负责的范围内" in page and "<svg" not in page
    assert client.get("/volunteers/poster.svg?town=330481107").status_code == 404


def test_poster_is_for_staff_only(client, session, as_role, make_person, regions):
    resp = client.get("/volunteers/poster")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert client.get("/volunteers/poster.svg").status_code == 302
    as_role("volunteer", person=make_person("志愿者甲", mobile="13800001111"))
    assert client.get("/volunteers/poster").status_code == 403
    assert client.get("/volunteers/poster.svg").status_code == 403


def test_poster_svg_download(client, session, as_role, regions):
    as_role("admin")
    resp = client.get("/volunteers/poster.svg?town=330481101")
    assert resp.status_code == 200
    assert resp.mimetype == "image/svg+xml"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="join-qr-330481101.svg"'
    body = resp.get_data()
    assert body.startswith(b"<?xml") and b"<svg" in body
    assert body == posters.qr_svg_file("http://localhost/join?town=330481101")
