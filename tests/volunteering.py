"""Fixtures and builders for the volunteer-service tests (a pytest plugin, loaded by
conftest): volunteers, activities at local times, rows made directly (past activities and
entries the services would refuse), and the logged-in volunteer."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from matchmaker.models import (
    Activity,
    ActivitySignup,
    Notification,
    Region,
    ServiceHours,
    VolunteerProfile,
)
from matchmaker.models.base import utcnow
from tests.conftest import login

_MOBILES = itertools.count(13900000001)


@pytest.fixture
def make_volunteer(session, make_person):
    def build(name: str = "志愿者", *, region: str = "330481107201",
              status: str = "active") -> VolunteerProfile:
        person = make_person(name, region=region, mobile=str(next(_MOBILES)))
        v = VolunteerProfile(person=person, team="文明传播", teams="文明传播", status=status)
        session.add(v)
        session.flush()
        return v

    return build


@pytest.fixture
def make_activity(session, regions):
    def build(title: str = "敬老院助老", *, day: date | None = None, start: time = time(9),
              end: time = time(11), slots: int = 2, region: str = "330481107",
              starts_at: datetime | None = None, ends_at: datetime | None = None,
              status: str = "open") -> Activity:
        day = day or (date.today() + timedelta(days=7))
        tz = ZoneInfo("Asia/Shanghai")
        a = Activity(title=title, service="助老", team="",
                     region=session.scalar(select(Region).where(Region.code == region)),
                     place="敬老院",
                     starts_at=starts_at or datetime.combine(day, start, tz).astimezone(UTC),
                     ends_at=ends_at or datetime.combine(day, end, tz).astimezone(UTC),
                     slots=slots, filled=0, status=status)
        session.add(a)
        session.flush()
        return a

    return build


def started_activity(make_activity, **kwargs) -> Activity:
    """An activity that began an hour ago (made directly: the service refuses the past)."""
    now = utcnow()
    return make_activity(starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1),
                         **kwargs)


def outbox(session, volunteer: VolunteerProfile) -> list[Notification]:
    return list(session.scalars(select(Notification).where(
        Notification.person_id == volunteer.person_id, Notification.channel == "inapp")
        .order_by(Notification.id)))


@pytest.fixture
def me(client, make_user, make_volunteer):
    """A volunteer logged in, and another volunteer with records of her own."""

    def log_in(status: str = "active", region: str = "330481107201") -> VolunteerProfile:
        v = make_volunteer("陈晓燕", status=status, region=region)
        login(client, make_user("volunteer", person=v.person))
        return v

    return log_in


def signup_row(session, volunteer, activity, status="confirmed") -> ActivitySignup:
    s = ActivitySignup(activity_id=activity.id, volunteer_id=volunteer.id, status=status,
                       queued_at=utcnow())
    session.add(s)
    if status == "confirmed":
        activity.filled += 1
    session.flush()
    return s


def hours_row(session, volunteer, served_on, minutes, status="pending") -> ServiceHours:
    e = ServiceHours(volunteer_id=volunteer.id, served_on=served_on, minutes=minutes,
                     description="服务", status=status)
    session.add(e)
    session.flush()
    return e
