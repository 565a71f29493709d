"""Service requests and hours reports in the browser's terms: forms, suggestions, assign,
scope, roles, masking, export."""

import re
from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from matchmaker.models import (
    AuditEvent,
    MenteeProfile,
    Notification,
    ServiceAssignment,
    ServiceHours,
    ServiceRequest,
    VolunteerProfile,
)
from tests.conftest import csrf_token

MOTHER_MOBILE = "13911112222"
VOLUNTEER_MOBILE = "13833334444"


@pytest.fixture
def world(session, make_person, regions):
    """A poor mother and three volunteers in 盐官镇; a request for her there; one in 许村镇."""
    mother = make_person("王秀英", region="330481107201", mobile=MOTHER_MOBILE,
                         birth=date(1979, 5, 5))
    session.add(MenteeProfile(person=mother, kind="poor_mother", needs="网上销售",
                              industry="ecommerce", hardship=4))
    vols = {}
    for i, (name, skills, status) in enumerate([("李电商", "电商直播 网店", "active"),
                                                ("赵法律", "法律咨询", "active"),
                                                ("钱申请", "电商直播", "pending")]):
        p = make_person(name, region="330481107202", birth=date(1985, 1, 1 + i),
                        mobile=VOLUNTEER_MOBILE if i == 0 else None)
        vols[name] = VolunteerProfile(person=p, team="创业指导", teams="创业指导",
                                      skills=skills, availability="we_am", status=status)
        session.add(vols[name])
    yanguan = ServiceRequest(title="网上销售农产品", need="帮助贫困母亲在网上销售农产品",
                             region=regions["330481107201"], person=mother,
                             availability="we_am", volunteers_wanted=1, status="open")
    xucun = ServiceRequest(title="许村助老", need="陪伴独居老人", region=regions["330481101"],
                           volunteers_wanted=1, status="open")
    session.add_all([yanguan, xucun])
    session.flush()
    return {"mother": mother, "vols": vols, "yanguan": yanguan.id, "xucun": xucun.id}


def post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client), **data})


def test_create_request_with_checkboxes_and_a_beneficiary(client, session, as_role, world):
    as_role("coordinator", region_codes=("330481107",))
    form = client.get("/service-requests/new").get_data(as_text=True)
    assert "文明传播" in form and "周末上午" in form and "王秀英" in form
    assert MOTHER_MOBILE not in form and "许村镇" not in form
    resp = post(client, "/service-requests/new", title="教老人用智能手机",
                need="每周六上午到村里教老人用手机", teams=["科技惠民", "文明传播"],
                availability=["we_am", "we_pm"], region="330481107202", volunteers_wanted="2",
                person_id=str(world["mother"].id))
    assert resp.status_code == 302
    req = session.scalar(select(ServiceRequest).where(ServiceRequest.title == "教老人用智能手机"))
    assert (req.teams, req.availability, req.volunteers_wanted, req.person_id, req.status) == (
        "文明传播,科技惠民", "we_am,we_pm", 2, world["mother"].id, "open")
    assert resp.headers["Location"].endswith(f"/service-requests/{req.id}")


def test_form_errors_are_chinese_beside_their_fields(client, session, as_role, world):
    as_role("coordinator", region_codes=("330481107",))
    resp = post(client, "/service-requests/new", title="", need="<b>x</b>",
                region="330481101201", volunteers_wanted="0", teams=["黑客"])
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "标题不能为空" in html and "尖括号" in html and "1 到 50" in html
    assert "不是有效的选择" in html
    assert session.scalar(select(ServiceRequest).where(ServiceRequest.title == "")) is None


def test_request_page_suggests_explains_and_assigns(client, session, as_role, world):
    as_role("coordinator")
    url = f"/service-requests/{world['yanguan']}"
    html = client.get(url).get_data(as_text=True)
    li, zhao = world["vols"]["李电商"], world["vols"]["赵法律"]
    assert html.index(f'id="suggestion-{li.id}"') < html.index(f'id="suggestion-{zhao.id}"')
    assert "技能对口：电商≈网上销售" in html and "同镇" in html and "时间契合：周末上午" in html
    assert "钱申请" not in html  # an applicant is never suggested
    assert MOTHER_MOBILE not in html and VOLUNTEER_MOBILE not in html

    assert post(client, f"{url}/assign", volunteer_id=str(li.id)).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "已派单给李电商" in page and "138****4444" in page
    assignment = session.scalar(select(ServiceAssignment))
    assert (assignment.volunteer_id, assignment.status) == (li.id, "active")
    assert "技能对口" in assignment.explanation
    assert session.get(ServiceRequest, world["yanguan"]).status == "assigned"
    assert session.scalar(select(Notification).where(
        Notification.person_id == li.person_id, Notification.channel == "inapp")) is not None
    # Assigned already: a second click is refused with a message, not an error page.
    again = post(client, f"{url}/assign", volunteer_id=str(li.id))
    assert again.status_code == 302
    assert "已派满" in client.get(url).get_data(as_text=True)

    post(client, f"/service-requests/assignments/{assignment.id}/end")
    assert session.get(ServiceAssignment, assignment.id).status == "ended"
    assert session.get(ServiceRequest, world["yanguan"]).status == "open"
    post(client, f"{url}/close")
    assert session.get(ServiceRequest, world["yanguan"]).status == "closed"


def test_edit_keeps_and_changes_fields(client, session, as_role, world):
    as_role("coordinator", region_codes=("330481107",))
    url = f"/service-requests/{world['yanguan']}/edit"
    html = client.get(url).get_data(as_text=True)
    assert 'value="网上销售农产品"' in html
    assert re.search(r'value="we_am"[^>]*checked|checked[^>]*value="we_am"', html)
    resp = post(client, url, title="网上卖茶叶", need="帮助开网店卖茶叶", region="330481107201",
                volunteers_wanted="1", availability=["wd_ev"], person_id="")
    assert resp.status_code == 302
    req = session.get(ServiceRequest, world["yanguan"])
    assert (req.title, req.availability, req.person_id) == ("网上卖茶叶", "wd_ev", None)


def test_list_filters_by_status_and_shows_only_the_coordinators_town(client, session,
                                                                     as_role, world):
    session.get(ServiceRequest, world["yanguan"]).status = "closed"
    session.flush()
    as_role("coordinator", region_codes=("330481107",))
    html = client.get("/service-requests/").get_data(as_text=True)
    assert "网上销售农产品" in html and "许村助老" not in html
    assert "网上销售农产品" not in client.get("/service-requests/?status=open").get_data(
        as_text=True)


@pytest.mark.parametrize(("method", "path"), [
    ("GET", ""), ("GET", "/edit"), ("POST", "/edit"), ("POST", "/assign"), ("POST", "/close"),
])
def test_town_coordinator_of_another_town_gets_404(client, session, as_role, world, method,
                                                   path):
    as_role("coordinator", region_codes=("330481101",))
    url = f"/service-requests/{world['yanguan']}{path}"
    resp = client.get(url) if method == "GET" else post(
        client, url, volunteer_id=str(world["vols"]["李电商"].id))
    assert resp.status_code == 404
    assert session.get(ServiceRequest, world["yanguan"]).status == "open"


def test_assignment_of_another_town_is_404(client, session, as_role, world):
    session.add(ServiceAssignment(request_id=world["yanguan"],
                                  volunteer_id=world["vols"]["李电商"].id, status="active"))
    session.flush()
    aid = session.scalar(select(ServiceAssignment.id))
    as_role("coordinator", region_codes=("330481101",))
    assert post(client, f"/service-requests/assignments/{aid}/end").status_code == 404
    assert session.get(ServiceAssignment, aid).status == "active"


@pytest.mark.parametrize("role", ["volunteer", "donor"])
def test_other_roles_are_refused(client, as_role, world, role):
    as_role(role)
    for url in ("/service-requests/", f"/service-requests/{world['yanguan']}",
                "/volunteer-reports/hours", "/volunteer-reports/hours.xlsx"):
        assert client.get(url).status_code == 403, url


@pytest.fixture
def hours(session, world):
    li = world["vols"]["李电商"]
    for day, minutes, status in [(date(2026, 3, 1), 90, "approved"),
                                 (date(2026, 3, 31), 45, "approved"),
                                 (date(2026, 3, 2), 600, "pending"),
                                 (date(2026, 4, 1), 600, "approved")]:
        session.add(ServiceHours(volunteer_id=li.id, served_on=day, minutes=minutes,
                                 status=status))
    session.flush()


def test_hours_report_page_and_export(client, session, as_role, hours):
    user = as_role("coordinator", region_codes=("330481107",))
    html = client.get("/volunteer-reports/hours?start=2026-03-01&end=2026-03-31").get_data(
        as_text=True)
    assert "李电商" in html and "盐官镇" in html and "2026-03" in html
    assert "合计 2.3 小时" in html  # 135 minutes
    assert VOLUNTEER_MOBILE not in html
    last_year = client.get("/volunteer-reports/hours?preset=last_year").get_data(as_text=True)
    year = date.today().year - 1
    assert f'value="{year}-01-01"' in last_year and f'value="{year}-12-31"' in last_year
    resp = client.get("/volunteer-reports/hours.xlsx?start=2026-03-01&end=2026-03-31")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(BytesIO(resp.data))
    assert wb.sheetnames == ["汇总", "按志愿者", "按服务队", "按镇街", "按月份"]
    assert wb["汇总"]["B3"].value == 2.3
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
    assert event.user_id == user.id and event.detail["start"] == "2026-03-01"


def test_hours_report_out_of_scope_and_bad_dates(client, session, as_role, hours):
    as_role("coordinator", region_codes=("330481101",))
    html = client.get("/volunteer-reports/hours?start=2026-01-01&end=2026-12-31").get_data(
        as_text=True)
    assert "李电商" not in html and "合计 0.0 小时" in html
    bad = client.get("/volunteer-reports/hours?start=2026-05-01&end=2026-04-01")
    assert bad.status_code == 200 and "开始日期不能晚于结束日期" in bad.get_data(as_text=True)
    export = client.get("/volunteer-reports/hours.xlsx?start=2026-13-01&end=2026-04-01")
    assert export.status_code == 302
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "export")) is None
