"""Builders for the Spring Bud tests (a pytest plugin, loaded by conftest): girls with
their guardian's consent, donors, pledges and sponsorships made directly as rows."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from sqlalchemy import select

from matchmaker.models import ConsentRecord, DonorProfile, Pledge, Region, SpringBudProfile
from matchmaker.models.base import utcnow
from matchmaker.models.sponsorship import Sponsorship

_MOBILES = itertools.count(13700000001)


def _region(session, code: str) -> Region:
    return session.scalar(select(Region).where(Region.code == code))


@pytest.fixture
def make_girl(session, make_person):
    """A 春蕾 girl (a minor) in a village, by default with her guardian's consent."""

    def build(name: str = "李小花", *, region: str = "330481107201",
              birth: date = date(2014, 5, 1), grade: str = "五年级",
              school: str = "盐官镇中心小学", consent: bool = True,
              waiting_since: date | None = None,
              sponsor_lapsed_on: date | None = None) -> SpringBudProfile:
        person = make_person(name, region=region, birth=birth, mobile=None)
        girl = SpringBudProfile(person=person, school=school, grade=grade,
                                guardian_name="李建国", guardian_relation="父亲",
                                guardian_mobile=str(next(_MOBILES)),
                                guardian_consent=consent, alias=name[-1] + "同学",
                                waiting_since=waiting_since,
                                sponsor_lapsed_on=sponsor_lapsed_on, status="active")
        session.add(girl)
        if consent:
            session.add(ConsentRecord(person=person, purpose="spring_bud",
                                      notice_version="2026-11", given_by="李建国",
                                      relation="父亲", scope="春蕾资助", channel="paper",
                                      given_at=utcnow()))
        session.flush()
        return girl

    return build


@pytest.fixture
def make_donor(session, make_person):
    def build(name: str = "王爱心", *, region: str = "330481107201",
              display_name: str = "", kind: str = "person",
              organisation: str = "") -> DonorProfile:
        person = make_person(name, region=region, birth=date(1970, 1, 1),
                             mobile=str(next(_MOBILES)))
        donor = DonorProfile(person=person, kind=kind, organisation=organisation,
                             display_name=display_name or name, status="active")
        session.add(donor)
        session.flush()
        return donor

    return build


@pytest.fixture
def make_pledge(session, regions, make_donor):
    """A pledge as a row (no service checks), optionally with girls linked (active)."""

    def build(donor: DonorProfile | None = None, *, region: str = "330481107",
              amount_fen: int = 100000, period: str = "term", students: int = 1,
              starts_on: date = date(2026, 1, 1), ends_on: date | None = None,
              status: str = "active", girls=(), greatest_need: bool = False) -> Pledge:
        pledge = Pledge(donor=donor or make_donor(), region=_region(session, region),
                        amount_fen=amount_fen, period=period, students=students,
                        greatest_need=greatest_need, starts_on=starts_on, ends_on=ends_on,
                        status=status)
        session.add(pledge)
        session.flush()
        for girl in girls:
            session.add(Sponsorship(pledge_id=pledge.id, student_id=girl.id,
                                    status="active", started_on=starts_on))
            girl.waiting_since = None
        session.flush()
        return pledge

    return build
