"""Volunteer races, each thread with its own connection and session, repeated because a
race that passes once proves little: ten volunteers on a three-place activity, two
cancellations at once, one volunteer in four tabs, one sign-up form sent five times.
Runs on SQLite always and on PostgreSQL when TEST_DATABASE_URL is set."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.models import Activity, ActivitySignup, Person, Region, VolunteerProfile
from matchmaker.models.base import utcnow
from matchmaker.services import activities
from tests import races
from tests.races import run_at_once

ROUNDS = 5
VOLUNTEERS, SLOTS = 10, 3


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def race_app(request, tmp_path_factory):
    yield from races.race_app(request, tmp_path_factory, "volunteers")


def build_round(app, n: int) -> tuple[int, list[int]]:
    with app.app_context():
        city = races.city()
        start = utcnow() + timedelta(days=3, hours=n)
        activity = Activity(title=f"助老{n}", service="助老", region=city, place="敬老院",
                            starts_at=start, ends_at=start + timedelta(hours=2), slots=SLOTS,
                            filled=0, status="open")
        volunteers = [VolunteerProfile(person=Person(name=f"志愿者{i}", gender="F", region=city),
                                       team="文明传播", status="active")
                      for i in range(VOLUNTEERS)]
        db.session.add_all([activity, *volunteers])
        db.session.commit()
        return activity.id, [v.id for v in volunteers]


class SignUp:
    def __init__(self, activity_id: int) -> None:
        self.activity_id = activity_id

    def prepare(self, volunteer_id: int):
        return db.session.get(VolunteerProfile, volunteer_id), \
            db.session.get(Activity, self.activity_id)

    def act(self, prepared) -> None:
        volunteer, activity = prepared
        activities.sign_up(volunteer=volunteer, activity=activity)


def test_ten_sign_ups_at_once_for_three_places(race_app):
    for n in range(ROUNDS):
        activity_id, volunteers = build_round(race_app, n)
        outcomes = run_at_once(race_app, volunteers, SignUp(activity_id))
        assert outcomes == ["ok"] * VOLUNTEERS, outcomes
        with race_app.app_context():
            counts = dict(db.session.execute(
                select(ActivitySignup.status, func.count(ActivitySignup.id))
                .where(ActivitySignup.activity_id == activity_id)
                .group_by(ActivitySignup.status)).all())
            assert counts == {"confirmed": SLOTS, "waitlisted": VOLUNTEERS - SLOTS}
            assert db.session.get(Activity, activity_id).filled == SLOTS


def test_two_cancellations_at_once_promote_two_in_order(race_app):
    """Two confirmed volunteers cancel at the same moment: the first two on the waitlist
    move up, once each, and the places taken stay at three."""
    activity_id, volunteers = build_round(race_app, 100)
    outcomes = run_at_once(race_app, volunteers[:5], SignUp(activity_id))
    assert outcomes == ["ok"] * 5
    with race_app.app_context():
        rows = db.session.scalars(select(ActivitySignup).where(
            ActivitySignup.activity_id == activity_id)
            .order_by(ActivitySignup.queued_at, ActivitySignup.id)).all()
        confirmed = [s.id for s in rows if s.status == "confirmed"]
        waiting = [s.id for s in rows if s.status == "waitlisted"]
    assert len(confirmed) == 3 and len(waiting) == 2

    class Cancel:
        def prepare(self, signup_id):
            s = db.session.get(ActivitySignup, signup_id)
            _ = s.activity  # load before racing
            return s

        def act(self, signup):
            activities.cancel(signup=signup)

    assert run_at_once(race_app, confirmed[:2], Cancel()) == ["ok", "ok"]
    with race_app.app_context():
        statuses = {s.id: s.status for s in db.session.scalars(select(ActivitySignup).where(
            ActivitySignup.activity_id == activity_id))}
        assert [statuses[i] for i in waiting] == ["confirmed", "confirmed"]
        assert db.session.get(Activity, activity_id).filled == 3


def test_one_volunteer_in_two_tabs_never_gets_two_clashing_places(race_app):
    """The same volunteer signs up for four overlapping activities at the same moment
    (tabs, double taps): one succeeds, the others are refused as clashes."""
    with race_app.app_context():
        city = races.city()
        start = utcnow() + timedelta(days=9)
        acts = [Activity(title=f"调解{i}", service="调解", region=city, place="礼堂",
                         starts_at=start + timedelta(minutes=10 * i),
                         ends_at=start + timedelta(hours=2), slots=5, filled=0,
                         status="open") for i in range(4)]
        her = VolunteerProfile(person=Person(name="双开", gender="F", region=city),
                               team="法律维权", status="active")
        db.session.add_all([*acts, her])
        db.session.commit()
        ids, her_id = [a.id for a in acts], her.id

    class Mine:
        def prepare(self, activity_id):
            return db.session.get(VolunteerProfile, her_id), db.session.get(Activity,
                                                                            activity_id)

        def act(self, prepared):
            volunteer, activity = prepared
            activities.sign_up(volunteer=volunteer, activity=activity)

    for _ in range(ROUNDS):
        outcomes = run_at_once(race_app, ids, Mine())
        assert outcomes.count("ok") == 1, outcomes
        assert all("时间冲突" in o for o in outcomes if o != "ok"), outcomes
        with race_app.app_context():
            live = db.session.scalars(select(ActivitySignup).where(
                ActivitySignup.volunteer_id == her_id,
                ActivitySignup.status != "cancelled")).all()
            assert len(live) == 1
            activities.cancel(signup=live[0])
            db.session.commit()


def test_the_same_sign_up_sent_five_times_at_once_makes_one_applicant(race_app):
    """A double-tapped public form: five identical sign-ups race; one applicant results,
    the others are told she is already registered."""
    from matchmaker.services import signup
    from matchmaker.services.consent import CURRENT_NOTICES

    with race_app.app_context():
        town = db.session.scalar(select(Region).where(Region.code == "330481107"))
        if town is None:
            town = Region(code="330481107", name="盐官镇", level="town", parent=races.city(),
                          path="330481/330481107/")
            db.session.add(town)
            db.session.commit()

    class Register:
        def prepare(self, mobile):
            return mobile

        def act(self, mobile):
            signup.register(data=signup.SignupInput(
                name="双击", mobile=mobile, town_code="330481107", teams=["文明传播"],
                availability=["we_am"], notice_version=CURRENT_NOTICES["volunteer"].version))

    for n in range(ROUNDS):
        mobile = f"1398800{n:04d}"
        outcomes = run_at_once(race_app, [mobile] * 5, Register())
        assert outcomes.count("ok") == 1, outcomes
        with race_app.app_context():
            assert db.session.scalar(select(func.count(VolunteerProfile.id)).join(
                Person, VolunteerProfile.person_id == Person.id)
                .where(Person.mobile == mobile)) == 1
