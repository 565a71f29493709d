"""Builders for the Spring Bud tests (a pytest plugin, loaded by conftest): girls with
their guardian's consent, donors, pledges and sponsorships made directly as rows, and the
donor's ``world`` (donors, girls, pledges, money, notes and letters)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from matchmaker.models import ConsentRecord, DonorProfile, Pledge, Region, SpringBudProfile, User
from matchmaker.models.base import utcnow
from matchmaker.models.fund import Application, Award, Disbursement, Fund
from matchmaker.models.sponsorship import (
    Donation,
    DonorLetter,
    ProgressNote,
    Sponsorship,
    SponsorshipPayment,
)
from matchmaker.services.clock import today
from tests.ids import make_id

_MOBILES = itertools.count(13700000001)
_SEQ = itertools.count(1)
_AUTO = "auto"

YANGUAN_VILLAGE, XUCUN_VILLAGE = "330481107201", "330481101201"


def region(session, code: str) -> Region:
    return session.scalar(select(Region).where(Region.code == code))


_region = region  # for builders whose ``region`` parameter hides the helper


def _girl_builder(session, make_person):
    """A 春蕾 girl (a minor) in a village, by default with her guardian's consent.

    ``waited`` (days until today) and ``flagged`` (her sponsor lapsed today) stand in for
    ``waiting_since`` and ``sponsor_lapsed_on``; ``alias=None`` makes one of her name."""

    def build(name: str = "李小花", *, region: str = "330481107201",
              birth: date = date(2014, 5, 1), grade: str = "五年级",
              school: str = "盐官镇中心小学", consent: bool = True,
              waiting_since: date | None = None,
              sponsor_lapsed_on: date | None = None, waited: int | None = None,
              flagged: bool = False, alias: str | None = None,
              guardian: tuple[str, str] = ("李建国", "父亲"),
              guardian_mobile: str | None = _AUTO,
              consent_scope: str | None = "春蕾资助") -> SpringBudProfile:
        person = make_person(name, region=region, birth=birth, mobile=None)
        if waited is not None:
            waiting_since = today() - timedelta(days=waited)
        if flagged:
            sponsor_lapsed_on = today()
        given_by, relation = guardian
        girl = SpringBudProfile(person=person, school=school, grade=grade,
                                guardian_name=given_by, guardian_relation=relation,
                                guardian_mobile=str(next(_MOBILES))
                                if guardian_mobile == _AUTO else guardian_mobile,
                                guardian_consent=consent,
                                alias=name[-1] + "同学" if alias is None else alias,
                                waiting_since=waiting_since,
                                sponsor_lapsed_on=sponsor_lapsed_on, status="active")
        session.add(girl)
        if consent:
            session.add(ConsentRecord(person=person, purpose="spring_bud",
                                      notice_version="2026-11", given_by=given_by,
                                      relation=relation, scope=consent_scope,
                                      channel="paper", given_at=utcnow()))
        session.flush()
        return girl

    return build


@pytest.fixture
def make_girl(session, make_person):
    """李小花, whose father 李建国 consented (see ``_girl_builder`` for the parameters)."""
    return _girl_builder(session, make_person)


@pytest.fixture
def make_waiting_girl(session, make_person):
    """A girl as the Spring Bud list and link tests want her: 陈小燕, born 2015, whose
    mother 陈芳 consented on paper (no scope, no guardian mobile, no alias), waiting
    ``waited`` days (None: no date)."""
    girl = _girl_builder(session, make_person)

    def build(name: str = "陈小燕", *, region_code: str = YANGUAN_VILLAGE,
              birth: date = date(2015, 5, 1), grade: str = "五年级", consent: bool = True,
              waited: int | None = 30, flagged: bool = False,
              alias: str = "") -> SpringBudProfile:
        return girl(name, region=region_code, birth=birth, grade=grade, consent=consent,
                    waited=waited, flagged=flagged, alias=alias, guardian=("陈芳", "母亲"),
                    guardian_mobile=None, consent_scope=None)

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


class World:
    """Builders for donors, girls, pledges, sponsorships and money (rows made directly)."""

    def __init__(self, session, make_person, make_user) -> None:
        self.s, self.make_person, self.make_user = session, make_person, make_user
        self._funds: dict[int, Fund] = {}

    def donor(self, name: str = "周慧敏", *, mobile: str | None = "13900000001",
              region: str = "330481107201", display_name: str = "",
              account: bool = True) -> tuple[DonorProfile, User | None]:
        person = self.make_person(name, region=region, mobile=mobile, id_number=None)
        donor = DonorProfile(person=person, kind="person", display_name=display_name)
        self.s.add(donor)
        self.s.flush()
        user = self.make_user("donor", person=person) if account else None
        return donor, user

    def girl(self, name: str = "王小红", *, alias: str = "", birth: date = date(2015, 5, 1),
             region: str = "330481107202", consented: bool = True) -> SpringBudProfile:
        n = next(_SEQ)
        person = self.make_person(name, region=region, birth=birth, mobile="13700000009",
                                  id_number=make_id("330481", birth, 300 + n))
        girl = SpringBudProfile(person=person, school="盐官镇中心小学", grade="四年级",
                                guardian_name="王大山", guardian_relation="父亲",
                                guardian_mobile="13600000008", guardian_consent=True,
                                hardship_note="母亲患病，家中欠债三万元", alias=alias)
        self.s.add(girl)
        if consented:
            self.s.add(ConsentRecord(person=person, purpose="spring_bud",
                                     notice_version="2026-11", given_by="王大山",
                                     relation="父亲", scope="春蕾资助", channel="paper",
                                     given_at=utcnow()))
        self.s.flush()
        return girl

    def fund(self) -> Fund:
        fund = Fund(name=f"2026年春蕾助学金{next(_SEQ)}", year=2026, kind="stipend",
                    region=_region(self.s, "330481"), budget_fen=100_000_000)
        self.s.add(fund)
        self.s.flush()
        return fund

    def pledge(self, donor: DonorProfile, *, students: int = 2) -> Pledge:
        pledge = Pledge(donor=donor, region=_region(self.s, "330481"), amount_fen=100_000,
                        period="term", students=students, starts_on=date(2026, 9, 1))
        self.s.add(pledge)
        self.s.flush()
        return pledge

    def sponsorship(self, pledge: Pledge, girl: SpringBudProfile, *,
                    status: str = "active") -> Sponsorship:
        sp = Sponsorship(pledge=pledge, student=girl, status=status,
                         started_on=date(2026, 9, 1) if status == "active" else None,
                         hold_expires_at=utcnow() + timedelta(days=7)
                         if status == "held" else None)
        self.s.add(sp)
        self.s.flush()
        return sp

    def donation(self, donor: DonorProfile, *, amount_fen: int = 200_000) -> Donation:
        fund = self.fund()
        d = Donation(donor=donor, amount_fen=amount_fen, reserve_fen=0,
                     received_on=date(2026, 8, 20), receipt_no=f"CL2026-{next(_SEQ):05d}",
                     fund_id=fund.id)
        self.s.add(d)
        self.s.flush()
        return d

    def payment(self, sp: Sponsorship, *, term: str = "2026-autumn", source: str = "pledge",
                amount_fen: int = 100_000) -> SponsorshipPayment:
        fund = self._funds.get(sp.student_id) or self.fund()
        self._funds[sp.student_id] = fund
        award = self.s.scalar(select(Award).where(Award.fund_id == fund.id))
        if award is None:
            app = Application(fund_id=fund.id, person_id=sp.student.person_id,
                              amount_fen=1_000_000, status="awarded")
            self.s.add(app)
            self.s.flush()
            award = Award(fund_id=fund.id, application_id=app.id,
                          person_id=sp.student.person_id, amount_fen=1_000_000)
            self.s.add(award)
            self.s.flush()
        d = Disbursement(award_id=award.id, fund_id=fund.id, amount_fen=amount_fen,
                         paid_on=date(2026, 9, 10), idempotency_key=f"k{next(_SEQ)}")
        self.s.add(d)
        self.s.flush()
        p = SponsorshipPayment(student_id=sp.student_id, sponsorship_id=sp.id,
                               disbursement_id=d.id, term=term, source=source)
        self.s.add(p)
        self.s.flush()
        return p

    def note(self, girl: SpringBudProfile, body: str, *, term: str = "2026-autumn",
             status: str = "approved") -> ProgressNote:
        n = ProgressNote(student_id=girl.id, term=term, body=body, status=status)
        self.s.add(n)
        self.s.flush()
        return n

    def letter(self, donor: DonorProfile, girl: SpringBudProfile,
               body: str = "祝你学习进步！") -> DonorLetter:
        letter = DonorLetter(donor_id=donor.id, student_id=girl.id, body=body)
        self.s.add(letter)
        self.s.flush()
        return letter


@pytest.fixture
def world(session, make_person, make_user) -> World:
    return World(session, make_person, make_user)
