"""Rules that cross the volunteer services: activity edits (no past start, no clashes,
the roster told), resuming and the waitlist, consent before serving, ending assignments,
hours limits and rounding, the activity an accepted applicant asked for."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from matchmaker.models import (
    ActivitySignup,
    ConsentRecord,
    Notification,
    Region,
    ServiceAssignment,
    ServiceHours,
)
from matchmaker.models.base import utcnow
from matchmaker.services import (
    activities,
    clock,
    consent,
    hours,
    portal,
    service_requests,
    volunteer_reports,
    volunteers,
)
from matchmaker.services.errors import DomainError
from tests.volunteering import outbox


def link_for(raw: str) -> str:
    return "https://fl.example/set/" + raw


def give(session, volunteer) -> None:
    session.add(ConsentRecord(person=volunteer.person, purpose="volunteer",
                              notice_version="2026-11", channel="web", given_at=utcnow()))
    session.flush()


def data_of(activity, **changes) -> activities.ActivityInput:
    start, end = clock.to_local(activity.starts_at), clock.to_local(activity.ends_at)
    values = dict(title=activity.title, service=activity.service, team=activity.team,
                  region_code=activity.region.code, place=activity.place, day=start.date(),
                  start=start.time(), end=end.time(), slots=activity.slots,
                  description=activity.description or "")
    values.update(changes)
    return activities.ActivityInput(**values)


# --- 1. editing an activity ----------------------------------------------------------

def test_edit_refuses_a_start_in_the_past(app_ctx, make_user, make_activity):
    a = make_activity()
    past = clock.to_local(utcnow() - timedelta(hours=2))
    with pytest.raises(DomainError, match="开始时间已过") as e:
        activities.update_activity(user=make_user("admin"), activity=a, data=data_of(
            a, day=past.date(), start=past.time().replace(second=0, microsecond=0),
            end=time(23, 59)))
    assert e.value.field == "day"


def test_edit_refuses_a_time_that_clashes_for_someone_on_the_roster(
        app_ctx, make_user, make_volunteer, make_activity):
    a = make_activity("敬老院助老", start=time(9), end=time(11), slots=1)
    other = make_activity("防诈骗宣传", start=time(14), end=time(16))
    v, w = make_volunteer("沈美华"), make_volunteer("陈晓燕")
    activities.sign_up(volunteer=v, activity=a)
    activities.sign_up(volunteer=w, activity=a)  # on the waitlist: she counts too
    activities.sign_up(volunteer=v, activity=other)
    activities.sign_up(volunteer=w, activity=other)
    with pytest.raises(DomainError, match="沈美华、陈晓燕"):
        activities.update_activity(user=make_user("admin"), activity=a,
                                   data=data_of(a, start=time(13), end=time(15)))
    # Moving it clear of her other activity is fine.
    activities.update_activity(user=make_user("admin"), activity=a,
                               data=data_of(a, start=time(10), end=time(12)))
    assert clock.to_local(a.starts_at).time() == time(10)


def test_a_new_time_or_place_is_told_to_the_whole_roster(app_ctx, make_user, make_volunteer,
                                                         make_activity):
    admin = make_user("admin")
    a = make_activity(slots=1)
    v, w = make_volunteer("甲"), make_volunteer("乙")
    activities.sign_up(volunteer=v, activity=a)
    activities.sign_up(volunteer=w, activity=a)
    activities.update_activity(user=admin, activity=a, data=data_of(a, title="新名称"))
    assert outbox(app_ctx, v) == [] and outbox(app_ctx, w) == []

    activities.update_activity(user=admin, activity=a, data=data_of(a, place="村文化礼堂"))
    activities.update_activity(user=admin, activity=a,
                               data=data_of(a, start=time(14), end=time(16)))
    for person in (v, w):
        bodies = [n.body for n in outbox(app_ctx, person)]
        assert len(bodies) == 2 and "村文化礼堂" in bodies[0] and "14:00" in bodies[1]


@pytest.mark.parametrize("day", [date(1, 1, 1), date(9999, 12, 31), "0001-01-01",
                                 "9999-12-31"])
def test_a_day_far_away_is_refused_in_chinese(app_ctx, make_user, regions, day):
    with pytest.raises(DomainError, match="活动日期应在") as e:
        activities.create_activity(user=make_user("admin"), data=activities.ActivityInput(
            title="助老", service="助老", region_code="330481107", place="敬老院", day=day,
            start="09:00", end="10:00", slots=3))
    assert e.value.field == "day"


def test_a_day_within_two_years_is_accepted(app_ctx, make_user, regions):
    day = activities.years_later(clock.today(), 2)
    a = activities.create_activity(user=make_user("admin"), data=activities.ActivityInput(
        title="助老", service="助老", region_code="330481107", place="敬老院", day=day,
        start="09:00", end="10:00", slots=3))
    assert clock.to_local(a.starts_at).date() == day


# --- 2. resuming runs the waitlist ---------------------------------------------------

def test_resuming_gives_a_free_place_to_the_first_in_line(app_ctx, make_user, make_volunteer,
                                                          make_activity):
    coordinator = make_user("coordinator")
    a = make_activity(slots=1)
    first, waiting = make_volunteer("先到"), make_volunteer("候补")
    give(app_ctx, waiting)
    taken = activities.sign_up(volunteer=first, activity=a)
    queued = activities.sign_up(volunteer=waiting, activity=a)
    assert queued.status == "waitlisted"
    volunteers.set_status(user=coordinator, profile=waiting, status="inactive",
                          link_for=link_for)
    activities.cancel(signup=taken)  # the place frees while she is paused: nobody moves up
    app_ctx.refresh(queued)
    assert queued.status == "waitlisted"

    volunteers.set_status(user=coordinator, profile=waiting, status="active", link_for=link_for)
    app_ctx.refresh(queued)
    app_ctx.refresh(a)
    assert queued.status == "confirmed" and a.filled == 1
    assert any("候补成功" in n.subject for n in outbox(app_ctx, waiting))


# --- 3. consent before serving -------------------------------------------------------

def test_no_accept_or_resume_without_consent(app_ctx, make_user, make_volunteer):
    coordinator = make_user("coordinator")
    applicant = make_volunteer("无同意", status="pending")
    with pytest.raises(DomainError, match="撤回个人信息使用同意"):
        volunteers.accept(user=coordinator, profile=applicant, link_for=link_for)
    assert applicant.status == "pending"

    v = make_volunteer("撤回者")
    give(app_ctx, v)
    portal.withdraw_consent(volunteer=v)
    for status in ("active",):
        with pytest.raises(DomainError, match="须本人重新同意"):
            volunteers.set_status(user=coordinator, profile=v, status=status,
                                  link_for=link_for)
    volunteers.set_status(user=coordinator, profile=v, status="archived", link_for=link_for)
    with pytest.raises(DomainError, match="须本人重新同意"):  # reinstating
        volunteers.set_status(user=coordinator, profile=v, status="active", link_for=link_for)
    assert v.status == "archived"


def test_she_consents_again_and_a_coordinator_resumes_her(app_ctx, make_user, make_volunteer):
    v = make_volunteer()
    give(app_ctx, v)
    portal.withdraw_consent(volunteer=v)
    portal.give_consent_again(volunteer=v)
    record = consent.active(v.person, "volunteer")
    assert (record.channel, record.notice_version) == (
        "portal", consent.current_notice("volunteer").version)
    assert v.status == "inactive"  # her consent does not resume her
    with pytest.raises(DomainError, match="仍然有效"):
        portal.give_consent_again(volunteer=v)
    volunteers.set_status(user=make_user("coordinator"), profile=v, status="active",
                          link_for=link_for)
    assert v.status == "active"


# --- 4. archiving and withdrawing end her assignments --------------------------------

def _assigned(app_ctx, make_user, make_volunteer):
    coordinator = make_user("coordinator")
    v = make_volunteer("派单者")
    v.skills, v.availability = "心理咨询", "we_am"
    give(app_ctx, v)
    req = service_requests.create_request(user=coordinator, data=service_requests.RequestInput(
        title="心理疏导", need="心理咨询", region_code="330481107201",
        availability=["we_am"]))
    assignment = service_requests.assign(user=coordinator, req=req, volunteer_id=v.id)
    assert req.status == "assigned"
    return coordinator, v, req, assignment


def test_archiving_ends_her_assignments_and_reopens_the_request(app_ctx, make_user,
                                                                make_volunteer):
    coordinator, v, req, assignment = _assigned(app_ctx, make_user, make_volunteer)
    volunteers.set_status(user=coordinator, profile=v, status="archived", link_for=link_for)
    assert assignment.status == "ended" and req.status == "open"
    assert any("派单结束" in n.subject for n in outbox(app_ctx, v))


def test_withdrawing_consent_ends_her_assignments(app_ctx, make_user, make_volunteer):
    _, v, req, assignment = _assigned(app_ctx, make_user, make_volunteer)
    portal.withdraw_consent(volunteer=v)
    assert app_ctx.get(ServiceAssignment, assignment.id).status == "ended"
    assert req.status == "open"


# --- 5c, 6. hours ------------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["1e999999", "-1e999999", "9" * 5000])
def test_huge_hours_are_refused_in_chinese(app_ctx, make_volunteer, raw):
    with pytest.raises(DomainError, match="不超过 24 小时") as e:
        hours.log_hours(volunteer=make_volunteer(), served_on=clock.today(), hours=raw)
    assert e.value.field == "hours"


def test_one_day_holds_at_most_24_hours(app_ctx, make_user, make_volunteer):
    v = make_volunteer()
    day = clock.today() - timedelta(days=1)
    first = hours.log_hours(volunteer=v, served_on=day, hours="20")
    with pytest.raises(DomainError, match="一天合计不能超过 24 小时") as e:
        hours.log_hours(volunteer=v, served_on=day, hours="4.5")
    assert e.value.field == "hours"
    assert hours.log_hours(volunteer=v, served_on=day, hours="4").minutes == 240
    hours.reject(user=make_user("admin"), entry=first, reason="重复")
    assert hours.log_hours(volunteer=v, served_on=day, hours="20").minutes == 1200  # freed


def test_served_on_not_before_the_first_of_last_year(app_ctx, make_volunteer):
    v = make_volunteer()
    earliest = date(clock.today().year - 1, 1, 1)
    assert hours.log_hours(volunteer=v, served_on=earliest, hours="1").served_on == earliest
    for day in (earliest - timedelta(days=1), date(1, 1, 1)):
        with pytest.raises(DomainError, match="不能早于") as e:
            hours.log_hours(volunteer=v, served_on=day, hours="1")
        assert e.value.field == "served_on"


def test_hours_for_an_activity_not_yet_started_are_refused(app_ctx, make_volunteer,
                                                           make_activity):
    v = make_volunteer()
    now = utcnow()
    # Later today (local): the day matches, but it has not started.
    a = make_activity(starts_at=now + timedelta(minutes=1), ends_at=now + timedelta(hours=1))
    app_ctx.add(ActivitySignup(activity_id=a.id, volunteer_id=v.id, status="confirmed",
                               queued_at=now))
    app_ctx.flush()
    with pytest.raises(DomainError, match="还没有开始") as e:
        hours.log_hours(volunteer=v, served_on=clock.to_local(a.starts_at).date(), hours="1",
                        activity_id=a.id)
    assert e.value.field == "activity"
    assert app_ctx.scalar(select(ServiceHours.id)) is None


# --- 7. one rounding ---------------------------------------------------------------------

@pytest.mark.parametrize(("minutes", "shown"), [(3, "0.1"), (9, "0.2"), (315, "5.3"),
                                                (0, "0.0"), (1440, "24.0")])
def test_minutes_to_hours_rounds_half_up_everywhere(app, minutes, shown):
    assert str(hours.hours_of(minutes)) == shown
    assert volunteer_reports.hours_of(minutes) == float(shown)
    assert app.jinja_env.filters["hours"](minutes) == shown


def test_certificate_total_rounds_half_up_like_the_rows(app_ctx, make_user, make_volunteer):
    v = make_volunteer()
    admin = make_user("admin")
    for day in (1, 2):  # 3 minutes each: rows show 0.1, and so must a total of 6 minutes...
        entry = hours.log_hours(volunteer=v, served_on=clock.today() - timedelta(days=day),
                                hours="0.05")
        hours.approve(user=admin, entry=entry)
    year = clock.today().year if clock.today().timetuple().tm_yday > 2 else None
    if year is None:
        pytest.skip("the two days straddle new year")
    cert = hours.certificate(v, year)
    assert cert.total_minutes == 6 and cert.total_hours == Decimal("0.1")
    one = hours.Certificate(name="", year=year, entries=[], total_minutes=3, federation="",
                            issued_on=clock.today())
    assert one.total_hours == Decimal("0.1")  # 0.05 → 0.1, not 0.0 (half even)


# --- 9. accepting and the poster's activity ----------------------------------------------

def test_accepting_onto_a_full_activity_says_she_waits(app_ctx, make_user, make_volunteer,
                                                       make_activity):
    coordinator = make_user("coordinator")
    a = make_activity(slots=1)
    activities.sign_up(volunteer=make_volunteer("已报名"), activity=a)
    applicant = make_volunteer("候补者", status="pending")
    applicant.wanted_activity_id = a.id
    give(app_ctx, applicant)
    volunteers.accept(user=coordinator, profile=applicant, link_for=link_for)
    body = " ".join(n.body for n in outbox(app_ctx, applicant))
    assert "候补" in body and "已为您报名活动" not in body


def test_accepting_joins_only_an_activity_in_her_county_and_the_coordinators_scope(
        app_ctx, make_user, make_volunteer, make_activity, regions):
    town = make_user("coordinator", region_codes=("330481107",))
    other_town = make_activity("许村活动", region="330481101")
    far = Region(code="330482", name="平湖市", level="city", parent=None, path="330482/")
    app_ctx.add(far)
    app_ctx.add(Region(code="330482001", name="当湖街道", level="town", parent=far,
                       path="330482/330482001/"))
    app_ctx.flush()
    other_county = make_activity("平湖活动", region="330482001")
    admin = make_user("admin")
    for who, activity in ((town, other_town), (admin, other_county)):
        applicant = make_volunteer(status="pending")
        applicant.wanted_activity_id = activity.id
        give(app_ctx, applicant)
        volunteers.accept(user=who, profile=applicant, link_for=link_for)
        assert applicant.status == "active"
        assert app_ctx.scalar(select(ActivitySignup.id).where(
            ActivitySignup.volunteer_id == applicant.id)) is None
        assert all(activity.title not in n.body for n in app_ctx.scalars(
            select(Notification).where(Notification.person_id == applicant.person_id)))
