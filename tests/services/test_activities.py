"""Service activities: the overlap check, the waitlist and its automatic promotion,
cancellations, and the coordinators' side (scope, slots, local time)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from matchmaker.models import ActivitySignup, Notification, Region
from matchmaker.models.base import utcnow
from matchmaker.services import activities, clock
from matchmaker.services.errors import DomainError, NotFound
from tests.volunteering import outbox, started_activity


def fresh(session, obj):
    session.expire(obj)
    return obj


# --- overlap ----------------------------------------------------------------------------

def test_overlapping_activity_is_refused_naming_the_clash(app_ctx, make_volunteer,
                                                          make_activity):
    v = make_volunteer()
    morning = make_activity("社区调解咨询", start=time(9), end=time(11))
    clashing = make_activity("老年人防诈骗宣传", start=time(10, 30), end=time(12))
    activities.sign_up(volunteer=v, activity=morning)
    with pytest.raises(DomainError) as e:
        activities.sign_up(volunteer=v, activity=clashing)
    assert "社区调解咨询" in e.value.message and "时间冲突" in e.value.message
    assert app_ctx.scalar(select(ActivitySignup).where(
        ActivitySignup.activity_id == clashing.id)) is None


def test_adjacent_activities_are_allowed(app_ctx, make_volunteer, make_activity):
    v = make_volunteer()
    first = make_activity("上午一", start=time(9), end=time(11))
    second = make_activity("上午二", start=time(11), end=time(12))
    before = make_activity("清早", start=time(8), end=time(9))
    for a in (first, second, before):
        assert activities.sign_up(volunteer=v, activity=a).status == "confirmed"


def test_a_waitlisted_sign_up_clashes_too_but_a_cancelled_activity_does_not(
        app_ctx, make_volunteer, make_activity):
    v, other = make_volunteer("甲"), make_volunteer("乙")
    full = make_activity("满员活动", slots=1)
    activities.sign_up(volunteer=other, activity=full)
    assert activities.sign_up(volunteer=v, activity=full).status == "waitlisted"
    same_time = make_activity("同一时间", slots=5)
    with pytest.raises(DomainError, match="满员活动"):
        activities.sign_up(volunteer=v, activity=same_time)
    activities.cancel_activity(user=None, activity=full)
    assert activities.sign_up(volunteer=v, activity=same_time).status == "confirmed"


def test_a_second_live_sign_up_for_the_same_activity_is_refused(app_ctx, make_volunteer,
                                                                make_activity):
    v = make_volunteer()
    a = make_activity()
    first = activities.sign_up(volunteer=v, activity=a)
    with pytest.raises(DomainError, match="已报名"):
        activities.sign_up(volunteer=v, activity=a)
    activities.cancel(signup=first)
    assert activities.sign_up(volunteer=v, activity=a).status == "confirmed"


@pytest.mark.parametrize("status", ["pending", "inactive", "archived"])
def test_only_accepted_volunteers_sign_up(app_ctx, make_volunteer, make_activity, status):
    with pytest.raises(DomainError, match="暂不能报名"):
        activities.sign_up(volunteer=make_volunteer(status=status), activity=make_activity())


def test_started_or_cancelled_activities_take_no_sign_ups(app_ctx, make_volunteer,
                                                          make_activity):
    v = make_volunteer()
    with pytest.raises(DomainError, match="已经开始"):
        activities.sign_up(volunteer=v, activity=started_activity(make_activity))
    with pytest.raises(DomainError, match="已取消或已结束"):
        activities.sign_up(volunteer=v, activity=make_activity(status="cancelled"))


# --- waitlist ---------------------------------------------------------------------------

def test_three_on_two_places_then_the_waitlisted_one_moves_up(app_ctx, make_volunteer,
                                                              make_activity):
    a = make_activity(slots=2)
    vs = [make_volunteer(n) for n in ("甲", "乙", "丙")]
    signups = [activities.sign_up(volunteer=v, activity=a) for v in vs]
    assert [s.status for s in signups] == ["confirmed", "confirmed", "waitlisted"]
    assert fresh(app_ctx, a).filled == 2
    assert activities.waitlist_position(signups[2]) == 1

    promoted = activities.cancel(signup=signups[0])
    assert [p.id for p in promoted] == [signups[2].id]
    assert [fresh(app_ctx, s).status for s in signups] == ["cancelled", "confirmed", "confirmed"]
    assert fresh(app_ctx, a).filled == 2
    told = outbox(app_ctx, vs[2])
    assert len(told) == 1 and "候补成功" in told[0].subject and a.title in told[0].body
    assert outbox(app_ctx, vs[1]) == []
    # The SMS copy waits in the outbox for the gateway.
    assert app_ctx.scalar(select(Notification).where(
        Notification.person_id == vs[2].person_id, Notification.channel == "sms")).status \
        == "pending"


def test_the_waitlist_is_served_in_order(app_ctx, make_volunteer, make_activity):
    a = make_activity(slots=1)
    first = activities.sign_up(volunteer=make_volunteer("甲"), activity=a)
    w1 = activities.sign_up(volunteer=make_volunteer("乙"), activity=a)
    w2 = activities.sign_up(volunteer=make_volunteer("丙"), activity=a)
    # Same queue time: the earlier sign-up (lower id) is still served first.
    w2.queued_at = w1.queued_at
    app_ctx.flush()
    assert (activities.waitlist_position(w1), activities.waitlist_position(w2)) == (1, 2)
    activities.cancel(signup=first)
    assert (fresh(app_ctx, w1).status, fresh(app_ctx, w2).status) == ("confirmed", "waitlisted")
    assert activities.waitlist_position(w2) == 1
    activities.cancel(signup=w1)
    assert fresh(app_ctx, w2).status == "confirmed"
    assert fresh(app_ctx, a).filled == 1


def test_cancelling_a_waitlisted_sign_up_frees_no_place(app_ctx, make_volunteer,
                                                        make_activity):
    a = make_activity(slots=1)
    activities.sign_up(volunteer=make_volunteer("甲"), activity=a)
    w = activities.sign_up(volunteer=make_volunteer("乙"), activity=a)
    assert activities.cancel(signup=w) == []
    assert fresh(app_ctx, a).filled == 1


def test_filled_never_exceeds_slots(app_ctx, make_volunteer, make_activity):
    a = make_activity(slots=3)
    statuses = [activities.sign_up(volunteer=make_volunteer(f"志愿者{i}"), activity=a).status
                for i in range(8)]
    assert statuses.count("confirmed") == 3 and statuses.count("waitlisted") == 5
    assert fresh(app_ctx, a).filled == 3
    # And the database itself refuses more (the last line of defence).
    with pytest.raises(IntegrityError), app_ctx.begin_nested():
        app_ctx.execute(text("UPDATE activity SET filled = slots + 1 WHERE id = :id"),
                        {"id": a.id})


def test_cancel_after_the_start_is_refused(app_ctx, make_volunteer, make_activity):
    v = make_volunteer()
    a = started_activity(make_activity)
    s = ActivitySignup(activity_id=a.id, volunteer_id=v.id, status="confirmed",
                       queued_at=utcnow() - timedelta(days=1))
    app_ctx.add(s)
    app_ctx.flush()
    with pytest.raises(DomainError, match="已经开始"):
        activities.cancel(signup=s)
    assert fresh(app_ctx, s).status == "confirmed"


# --- coordinators -----------------------------------------------------------------------

def test_cancelling_an_activity_cancels_and_tells_everyone(app_ctx, make_user, make_volunteer,
                                                           make_activity):
    coordinator = make_user("coordinator")
    a = make_activity("巾帼普法进村", slots=1)
    vs = [make_volunteer(n) for n in ("甲", "乙", "丙")]
    signups = [activities.sign_up(volunteer=v, activity=a) for v in vs]
    assert activities.cancel_activity(user=coordinator, activity=a) == 3
    assert {fresh(app_ctx, s).status for s in signups} == {"cancelled"}
    assert (fresh(app_ctx, a).status, a.filled) == ("cancelled", 0)
    for v in vs:
        (message,) = outbox(app_ctx, v)
        assert "活动取消" in message.subject and "巾帼普法进村" in message.body
    with pytest.raises(DomainError):
        activities.cancel_activity(user=coordinator, activity=a)


def _input(**changes) -> activities.ActivityInput:
    data = dict(title="防诈骗宣传", service="宣传", region_code="330481107201", place="村文化礼堂",
                day=(date.today() + timedelta(days=10)).isoformat(), start="09:00",
                end="11:30", slots=5, team="法律维权", description="")
    data.update(changes)
    return activities.ActivityInput(**data)


def test_create_keeps_local_time_as_utc(app_ctx, make_user):
    coordinator = make_user("coordinator", region_codes=("330481107",))
    a = activities.create_activity(user=coordinator, data=_input())
    app_ctx.expire(a)
    day = date.today() + timedelta(days=10)
    assert clock.as_utc(a.starts_at) == datetime.combine(day, time(1), UTC)
    assert clock.to_local(a.ends_at).strftime("%H:%M") == "11:30"
    assert (a.status, a.filled, a.slots, a.region.code) == ("open", 0, 5, "330481107201")


@pytest.mark.parametrize(("changes", "field"), [
    ({"region_code": "330481101201"}, "region"),   # another town
    ({"region_code": "330481"}, "region"),         # not a town or village (and out of scope)
    ({"end": "08:00"}, "end"),
    ({"start": "25:00"}, "start"),
    ({"slots": 0}, "slots"),
    ({"service": "跳舞"}, "service"),
    ({"team": "不存在"}, "team"),
    ({"title": " "}, "title"),
    ({"day": "2020-01-01"}, "day"),
])
def test_create_refuses_bad_input(app_ctx, make_user, changes, field):
    coordinator = make_user("coordinator", region_codes=("330481107",))
    with pytest.raises(DomainError) as e:
        activities.create_activity(user=coordinator, data=_input(**changes))
    assert e.value.field == field


def test_slots_below_filled_are_refused_and_more_slots_promote(app_ctx, make_user,
                                                               make_volunteer):
    coordinator = make_user("coordinator")
    a = activities.create_activity(user=coordinator, data=_input(slots=2))
    signups = [activities.sign_up(volunteer=make_volunteer(n), activity=a)
               for n in ("甲", "乙", "丙")]
    with pytest.raises(DomainError, match="名额不能少于已报名人数") as e:
        activities.update_activity(user=coordinator, activity=a, data=_input(slots=1))
    assert e.value.field == "slots" and fresh(app_ctx, a).slots == 2
    activities.update_activity(user=coordinator, activity=a, data=_input(slots=3))
    assert (fresh(app_ctx, a).slots, a.filled) == (3, 3)
    assert fresh(app_ctx, signups[2]).status == "confirmed"
    assert "候补成功" in outbox(app_ctx, signups[2].volunteer)[0].subject


def test_town_coordinator_sees_only_her_town(app_ctx, make_user, make_activity):
    mine = make_activity("盐官活动", region="330481107201")
    other = make_activity("许村活动", region="330481101")
    coordinator = make_user("coordinator", region_codes=("330481107",))
    assert [a.id for a in activities.activities_for(coordinator)] == [mine.id]
    assert activities.get_activity(coordinator, mine.id) is mine
    with pytest.raises(NotFound):
        activities.get_activity(coordinator, other.id)
    assert {a.id for a in activities.activities_for(make_user("admin"))} == {mine.id, other.id}


def test_the_portal_offers_activities_in_her_county_only(app_ctx, session, make_volunteer,
                                                         make_activity):
    ours = make_activity("本县活动", region="330481101201")
    elsewhere_city = Region(code="330402", name="南湖区", level="county", path="330402/")
    session.add(elsewhere_city)
    session.flush()
    far = make_activity("外地活动", region="330402")
    make_activity("已取消", region="330481107", status="cancelled")
    started_activity(make_activity)
    v = make_volunteer(region="330481107201")
    assert [a.id for a in activities.open_activities_for(v)] == [ours.id]
    with pytest.raises(NotFound):
        activities.open_activity_for(v, far.id)
