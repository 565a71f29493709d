"""The sign-up operation and the poster's pieces, called directly (no requests)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from matchmaker.models import (
    Activity,
    ConsentRecord,
    Notification,
    Person,
    Region,
    VolunteerProfile,
)
from matchmaker.models.base import utcnow
from matchmaker.services import posters, signup
from matchmaker.services.consent import CURRENT_NOTICES
from matchmaker.services.errors import DomainError, NotFound
from tests.ids import make_id

NOTICE = CURRENT_NOTICES["volunteer"].version


def data(**over) -> signup.SignupInput:
    values = dict(name="沈丽华", mobile="13900001234", town_code="330481107",
                  village_code="330481107201", teams=["环保护绿", "创业指导"],
                  availability=["we_ev", "wd_am"], skills="种茶", notice_version=NOTICE)
    values.update(over)
    return signup.SignupInput(**values)


def activity(session, *, days=3, status="open", where="330481107") -> Activity:
    start = utcnow() + timedelta(days=days)
    a = Activity(title="普法讲座", service="咨询", region=session.scalar(
        select(Region).where(Region.code == where)), place="文化礼堂", starts_at=start,
        ends_at=start + timedelta(hours=1), slots=5, status=status)
    session.add(a)
    session.flush()
    return a


def test_register_writes_person_profile_consent_and_outbox(app_ctx, regions):
    profile = signup.register(data=data())
    person = profile.person
    assert (person.name, person.gender, person.status) == ("沈丽华", "F", "active")
    assert (profile.status, profile.source, profile.team) == ("pending", "signup", "创业指导")
    assert profile.teams == "创业指导,环保护绿" and profile.availability == "wd_am,we_ev"
    assert app_ctx.scalar(select(ConsentRecord.notice_version).where(
        ConsentRecord.person_id == person.id)) == NOTICE
    assert app_ctx.scalar(select(func.count(Notification.id)).where(
        Notification.person_id == person.id)) == 2  # in-app and SMS


def test_register_refuses_a_second_time(app_ctx, regions):
    signup.register(data=data())
    with pytest.raises(signup.AlreadyRegistered):
        signup.register(data=data(name="别人", mobile="+86 139-0000-1234"))
    assert app_ctx.scalar(select(func.count(VolunteerProfile.id))) == 1


def test_register_by_id_number(app_ctx, regions, make_person):
    number = make_id("330481", date(1992, 1, 9), 5)
    first = signup.register(data=data(id_number=number))
    assert first.person.birth_date == date(1992, 1, 9)
    with pytest.raises(signup.AlreadyRegistered):
        signup.register(data=data(mobile="13600000000", id_number=number))


def test_an_id_held_outside_the_volunteer_registry_is_neither_confirmed_nor_linked(
        app_ctx, regions, make_person):
    """The public page must not tell whether an ID number belongs to a mentee or a poor
    mother, nor attach anything to her record: a new applicant is made, without the ID
    number, and a note asks the coordinator to compare the two."""
    number = make_id("330481", date(1970, 3, 3), 6)
    her = make_person("顾月琴", region="330481101201", mobile=None, id_number=number)
    for name in ("顾月", "顾月琴"):
        profile = signup.register(data=data(name=name, id_number=number,
                                            mobile=f"1390000{len(name):04d}"))
        assert profile.person_id != her.id
        assert profile.person.id_hash is None and profile.person.id_cipher is None
        assert "请核对后合并" in profile.person.note
    assert her.mobile is None and her.note == "" and her.region.code == "330481101201"
    assert app_ctx.scalar(select(func.count(ConsentRecord.id)).where(
        ConsentRecord.person_id == her.id)) == 0


def test_under_18_cannot_sign_up_online(app_ctx, regions):
    child = make_id("330481", date.today().replace(year=date.today().year - 15), 7)
    with pytest.raises(DomainError) as e:
        signup.register(data=data(id_number=child))
    assert e.value.field == "id_number" and "未满 18 周岁" in e.value.message
    assert app_ctx.scalar(select(func.count(Person.id))) == 0


@pytest.mark.parametrize(("over", "field"), [
    ({"notice_version": "1999-01"}, "consent"),
    ({"mobile": "123"}, "mobile"),
    ({"teams": ["不存在的队"]}, "teams"),
    ({"availability": []}, "availability"),
    ({"town_code": "330481107201"}, "town"),  # a village is not a town
    ({"village_code": "330481101202"}, "village"),
    ({"id_number": "12345"}, "id_number"),
])
def test_register_names_the_field_at_fault(app_ctx, regions, over, field):
    with pytest.raises(DomainError) as err:
        signup.register(data=data(**over))
    assert err.value.field == field
    assert app_ctx.scalar(select(func.count(Person.id))) == 0


def test_public_regions_and_presets(app_ctx, regions):
    towns = signup.public_regions()
    assert [(t.code, t.label) for t in towns] == [("330481101", "许村镇"),
                                                  ("330481107", "盐官镇")]
    assert towns[1].villages == (("330481107201", "郭店村"), ("330481107202", "桃园村"))
    assert signup.preset_region("330481107") == ("330481107", "")
    assert signup.preset_region("330481107202") == ("330481107", "330481107202")
    assert signup.preset_region("330481") == ("", "")  # the city: nothing to preset
    assert signup.preset_region("x" * 500) == ("", "")


def test_towns_are_named_with_their_county_when_there_are_several(app_ctx, regions):
    other = Region(code="330424", name="海盐县", level="city", path="330424/")
    app_ctx.add(other)
    app_ctx.add(Region(code="330424100", name="武原街道", level="town", parent=other,
                       path="330424/330424100/"))
    app_ctx.flush()
    labels = [t.label for t in signup.public_regions()]
    assert "海宁市 盐官镇" in labels and "海盐县 武原街道" in labels


def test_wanted_activity_only_when_open_and_ahead(app_ctx, regions):
    assert signup.wanted_activity(activity(app_ctx).id) is not None
    assert signup.wanted_activity(activity(app_ctx, days=-1).id) is None
    assert signup.wanted_activity(activity(app_ctx, status="done").id) is None
    assert signup.wanted_activity(None) is None and signup.wanted_activity(10**8) is None


def test_qr_svg_is_a_pure_function_of_the_url():
    a = posters.qr_svg("https://example.org/join?town=330481107")
    assert a.startswith("<svg") and 'viewBox="0 0' in a and 'class="qr"' in a
    assert a == posters.qr_svg("https://example.org/join?town=330481107")
    assert a != posters.qr_svg("https://example.org/join?town=330481101")
    assert posters.qr_svg_file("https://example.org/join").startswith(b"<?xml")


def test_poster_target_stays_in_her_regions(app_ctx, regions, make_user):
    coordinator = make_user("coordinator", region_codes=("330481101",))
    assert [r.code for r in posters.poster_regions(coordinator)] == ["330481101"]
    mine, theirs = activity(app_ctx, where="330481101201"), activity(app_ctx)
    assert [a.id for a in posters.poster_activities(coordinator)] == [mine.id]
    town, act = posters.poster_target(coordinator, town_code="330481101", activity_id=mine.id)
    assert (town.code, act.id) == ("330481101", mine.id)
    with pytest.raises(NotFound) as err:
        posters.poster_target(coordinator, town_code="330481107")
    assert err.value.field == "town"
    with pytest.raises(NotFound) as err:
        posters.poster_target(coordinator, activity_id=theirs.id)
    assert err.value.field == "activity"


def test_village_coordinators_get_their_villages(app_ctx, regions, make_user):
    coordinator = make_user("coordinator", region_codes=("330481107202",))
    assert [r.code for r in posters.poster_regions(coordinator)] == ["330481107202"]
