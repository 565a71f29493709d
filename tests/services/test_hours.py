"""Hours: logged by the volunteer, decided by a coordinator of her region, totalled for
her certificate."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from matchmaker.models import ActivitySignup, ServiceHours
from matchmaker.models.base import utcnow
from matchmaker.services import clock, hours
from matchmaker.services.errors import DomainError, NotFound
from tests.volunteering import started_activity


def yesterday() -> date:
    return clock.today() - timedelta(days=1)


def test_logged_hours_are_pending_in_minutes(app_ctx, make_volunteer):
    v = make_volunteer()
    entry = hours.log_hours(volunteer=v, served_on=clock.today() - timedelta(days=1),
                            hours=Decimal("2.5"), description="陪老人聊天")
    assert (entry.status, entry.minutes, entry.activity_id) == ("pending", 150, None)
    assert hours.log_hours(volunteer=v, served_on="2026-01-05", hours="0.75").minutes == 45


def test_a_future_date_is_refused(app_ctx, make_volunteer):
    with pytest.raises(DomainError, match="不能晚于今天") as e:
        hours.log_hours(volunteer=make_volunteer(), served_on=yesterday() + timedelta(days=3),
                        hours=Decimal(1))
    assert e.value.field == "served_on"


@pytest.mark.parametrize(("raw", "ok"), [
    ("0", False), ("-1", False), ("0.001", False), ("24.01", False), ("abc", False),
    ("", False), ("NaN", False), ("24", True), ("0.02", True)])
def test_minutes_bounds(app_ctx, make_volunteer, raw, ok):
    v = make_volunteer()
    if ok:
        entry = hours.log_hours(volunteer=v, served_on=clock.today(), hours=raw)
        assert 0 < entry.minutes <= 1440
    else:
        with pytest.raises(DomainError) as e:
            hours.log_hours(volunteer=v, served_on=clock.today(), hours=raw)
        assert e.value.field == "hours"


def test_applicants_cannot_log_hours(app_ctx, make_volunteer):
    with pytest.raises(DomainError, match="尚未录用"):
        hours.log_hours(volunteer=make_volunteer(status="pending"),
                        served_on=clock.today(), hours="1")


def _signup(session, volunteer, activity, status="confirmed") -> ActivitySignup:
    s = ActivitySignup(activity_id=activity.id, volunteer_id=volunteer.id, status=status,
                       queued_at=utcnow() - timedelta(days=3))
    session.add(s)
    session.flush()
    return s


def test_hours_for_an_activity_need_a_confirmed_place_and_its_date(app_ctx, make_volunteer,
                                                                   make_activity):
    v, waiting = make_volunteer("甲"), make_volunteer("乙")
    a = started_activity(make_activity)
    _signup(app_ctx, v, a)
    _signup(app_ctx, waiting, a, status="waitlisted")
    day = clock.to_local(a.starts_at).date()
    with pytest.raises(DomainError, match="没有正式报名") as e:
        hours.log_hours(volunteer=waiting, served_on=day, hours="2", activity_id=a.id)
    assert e.value.field == "activity"
    with pytest.raises(DomainError, match="没有正式报名"):
        hours.log_hours(volunteer=v, served_on=day, hours="2",
                        activity_id=make_activity("别的活动").id)
    with pytest.raises(DomainError, match="活动当天"):
        hours.log_hours(volunteer=v, served_on=day - timedelta(days=1), hours="2",
                        activity_id=a.id)
    entry = hours.log_hours(volunteer=v, served_on=day, hours="2", activity_id=a.id)
    assert entry.activity_id == a.id
    with pytest.raises(DomainError, match="已登记过"):
        hours.log_hours(volunteer=v, served_on=day, hours="1", activity_id=a.id)
    assert entry.activity.title == a.title
    assert [s.activity_id for s in hours.loggable_activities(v)] == [a.id]


def test_coordinator_in_scope_approves_and_rejects(app_ctx, make_user, make_volunteer):
    v = make_volunteer(region="330481107201")
    coordinator = make_user("coordinator", region_codes=("330481107",))
    e1 = hours.log_hours(volunteer=v, served_on=clock.today(), hours="2")
    e2 = hours.log_hours(volunteer=v, served_on=clock.today(), hours="3")
    assert [e.id for e in hours.pending_for(coordinator)] == [e1.id, e2.id]
    hours.approve(user=coordinator, entry=hours.get_entry(coordinator, e1.id))
    with pytest.raises(DomainError, match="不能为空"):
        hours.reject(user=coordinator, entry=e2, reason="  ")
    hours.reject(user=coordinator, entry=e2, reason="当天没有活动记录")
    app_ctx.expire_all()
    assert (e1.status, e1.reviewed_by) == ("approved", coordinator.id)
    assert (e2.status, e2.reject_reason) == ("rejected", "当天没有活动记录")
    assert e1.reviewed_at is not None
    # Only pending entries can be decided.
    with pytest.raises(DomainError, match="已审核过"):
        hours.reject(user=coordinator, entry=e1, reason="改主意")
    assert hours.pending_for(coordinator) == []


def test_out_of_scope_coordinator_cannot_reach_the_hours(app_ctx, make_user, make_volunteer):
    v = make_volunteer(region="330481107201")
    entry = hours.log_hours(volunteer=v, served_on=clock.today(), hours="2")
    other_town = make_user("coordinator", region_codes=("330481101",))
    assert hours.pending_for(other_town) == []
    with pytest.raises(NotFound):
        hours.get_entry(other_town, entry.id)
    done, refused = hours.approve_many(user=other_town, hours_ids=[entry.id])
    assert (done, len(refused)) == (0, 1)
    app_ctx.expire(entry)
    assert entry.status == "pending"


def test_bulk_approval(app_ctx, make_user, make_volunteer):
    coordinator = make_user("coordinator")
    v = make_volunteer()
    entries = [hours.log_hours(volunteer=v, served_on=clock.today(), hours=str(h))
               for h in (1, 2, 3)]
    hours.approve(user=coordinator, entry=entries[0])
    done, refused = hours.approve_many(user=coordinator,
                                       hours_ids=[e.id for e in entries] + [entries[1].id])
    assert done == 2 and len(refused) == 1 and "已审核过" in refused[0]
    app_ctx.expire_all()
    assert {e.status for e in entries} == {"approved"}


def test_certificate_counts_only_approved_hours_of_the_year(app_ctx, make_user,
                                                            make_volunteer):
    coordinator = make_user("coordinator")
    v = make_volunteer("沈美华")
    year = clock.today().year - 1  # a whole year in the past

    def logged(day, h, decide=None):
        e = hours.log_hours(volunteer=v, served_on=day, hours=h)
        if decide == "approve":
            hours.approve(user=coordinator, entry=e)
        elif decide == "reject":
            hours.reject(user=coordinator, entry=e, reason="不符")
        return e

    a1 = logged(date(year, 1, 2), "2.5", "approve")
    a2 = logged(date(year, 1, 3), "1", "approve")
    logged(date(year, 1, 4), "4", "reject")
    logged(date(year, 1, 5), "3")
    # The year before (older than a volunteer may log now): written directly.
    app_ctx.add(ServiceHours(volunteer_id=v.id, served_on=date(year - 1, 12, 31), minutes=360,
                             status="approved", reviewed_by=coordinator.id))
    app_ctx.flush()
    assert hours.approved_total(v, year) == 210
    assert hours.approved_total(v, year - 1) == 360
    cert = hours.certificate(v, year)
    assert [e.id for e in cert.entries] == [a1.id, a2.id]
    assert (cert.name, cert.total_minutes, cert.total_hours) == ("沈美华", 210, Decimal("3.5"))
    assert cert.federation == "海宁市妇联"


def test_a_volunteer_withdraws_only_her_own_pending_entry(app_ctx, make_user, make_volunteer):
    v, other = make_volunteer("甲"), make_volunteer("乙")
    mine = hours.log_hours(volunteer=v, served_on=clock.today(), hours="1")
    theirs = hours.log_hours(volunteer=other, served_on=clock.today(), hours="1")
    with pytest.raises(NotFound):
        hours.get_entry_of(v, theirs.id)
    hours.approve(user=make_user("admin"), entry=mine)
    with pytest.raises(DomainError, match="不能撤回"):
        hours.withdraw_entry(entry=hours.get_entry_of(v, mine.id))
    fresh = hours.log_hours(volunteer=v, served_on=clock.today(), hours="1")
    hours.withdraw_entry(entry=fresh)
    assert app_ctx.get(ServiceHours, fresh.id) is None
