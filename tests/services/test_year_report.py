"""The year's account equals independent counts over the demo county (plus a few pairings,
follow-ups and awards added here so that every figure has something to count, and some
rows that must not count): for the city coordinator and for a town coordinator. The
counts below walk the ORM objects and find each town by climbing the region tree — they
do not call the report's code."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.models import (
    Application,
    AuditEvent,
    Award,
    FollowUp,
    Fund,
    MenteeProfile,
    MentorProfile,
    Pairing,
    Person,
    Programme,
    Region,
    ServiceHours,
    User,
)
from matchmaker.models.sponsorship import SponsorshipPayment
from matchmaker.services import clock, svg_charts, year_report
from matchmaker.services.errors import DomainError
from tests.conftest import seeded_demo_app

YEAR = 2026
TOWN = "330481107"  # 盐官镇, the demo town coordinator's town


def _add_programme_data() -> None:
    """Pairings in two towns, in the year and the year before, with follow-ups; awards
    from the loan-subsidy and stipend funds (one cancelled); pending hours."""
    city = db.session.scalar(select(Region).where(Region.level == "city"))
    mentors = list(db.session.scalars(select(MentorProfile).order_by(MentorProfile.id)))
    mentees = list(db.session.scalars(select(MenteeProfile).order_by(MenteeProfile.id)))
    assert len(mentors) >= 2 and len(mentees) >= 6, "the demo has too few mentors/mentees"
    prog_a = Programme(name="双百结对 测试", year=YEAR, region=city, mentee_pool="mentee")
    prog_b = Programme(name="贫困母亲帮扶 测试", year=YEAR - 1, region=city,
                       mentee_pool="mentee")
    db.session.add_all([prog_a, prog_b])
    db.session.flush()
    plan = [  # programme, status, started_on
        (prog_a, "active", date(YEAR, 3, 1)), (prog_a, "completed", date(YEAR, 4, 1)),
        (prog_a, "ended", date(YEAR, 5, 1)), (prog_b, "active", date(YEAR - 1, 6, 1)),
        (prog_b, "active", date(YEAR, 2, 1)), (prog_b, "completed", date(YEAR - 1, 2, 1)),
    ]
    pairings = []
    for i, (prog, status, started) in enumerate(plan):
        mentee = mentees[i]
        pairing = Pairing(programme_id=prog.id, mentor_id=mentors[i % 2].id,
                          mentee_key=f"mentee:{mentee.id}", mentee_person_id=mentee.person_id,
                          status=status, started_on=started)
        db.session.add(pairing)
        pairings.append(pairing)
    db.session.flush()
    for pairing, day in ((pairings[0], date(YEAR, 3, 10)), (pairings[0], date(YEAR, 6, 10)),
                         (pairings[3], date(YEAR - 1, 12, 31)), (pairings[3], date(YEAR, 1, 1)),
                         (pairings[4], date(YEAR, 12, 31)), (pairings[5], date(YEAR + 1, 1, 1))):
        db.session.add(FollowUp(pairing_id=pairing.id, on=day, kind="visit"))
    loans = db.session.scalar(select(Fund).where(Fund.year == YEAR,
                                                 Fund.kind == "interest_subsidy"))
    stipend = db.session.scalar(select(Fund).where(Fund.year == YEAR, Fund.kind == "stipend")
                                .order_by(Fund.id))
    assert loans is not None and stipend is not None
    awards = [(loans, mentees[0].person_id, 120000, "approved"),  # also paired: counted once
              (loans, mentees[6 % len(mentees)].person_id, 80050, "approved"),
              (loans, mentees[7 % len(mentees)].person_id, 50000, "cancelled")]
    for fund, person_id, amount, status in awards:
        app = Application(fund_id=fund.id, person_id=person_id, amount_fen=amount,
                          status="awarded")
        db.session.add(app)
        db.session.flush()
        db.session.add(Award(fund_id=fund.id, application_id=app.id, person_id=person_id,
                             amount_fen=amount, status=status))
        if status == "approved":
            fund.reserved_fen += amount
    # A girl's stipend application, awarded (the demo's are all still waiting).
    waiting = db.session.scalar(
        select(Application).where(Application.fund_id == stipend.id,
                                  Application.id.not_in(select(Award.application_id)))
        .order_by(Application.id.desc()))
    assert waiting is not None
    waiting.status = "awarded"
    db.session.add(Award(fund_id=stipend.id, application_id=waiting.id,
                         person_id=waiting.person_id, amount_fen=waiting.amount_fen))
    stipend.reserved_fen += waiting.amount_fen
    hours = db.session.scalar(select(ServiceHours).order_by(ServiceHours.id))
    db.session.add(ServiceHours(volunteer_id=hours.volunteer_id, served_on=date(YEAR, 5, 5),
                                minutes=600, status="pending"))
    db.session.commit()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    for app in seeded_demo_app(tmp_path_factory, "year"):
        with app.app_context():
            _add_programme_data()
        yield app


def town_of(region: Region | None) -> str | None:
    while region is not None and region.level != "town":
        region = region.parent
    return region.code if region is not None else None


def independent(user: User) -> dict:
    """Every figure, counted here: {town code: {figure: value}}, programmes, funds."""
    wanted = {r.code for r in user.regions}

    def seen(region: Region) -> bool:
        node = region
        while node is not None:
            if user.role == "admin" or node.code in wanted:
                return True
            node = node.parent
        return False

    towns: dict = {}

    def add(region: Region, name: str, n: int = 1) -> None:
        row = towns.setdefault(town_of(region), {})
        row[name] = row.get(name, 0) + n

    start, end = date(YEAR, 1, 1), date(YEAR, 12, 31)
    progs: dict = {}
    helped, girls = {}, {}
    for p in db.session.scalars(select(Pairing)):
        region = db.session.get(Person, p.mentee_person_id).region
        if not seen(region):
            continue
        row = progs.setdefault(p.programme_id, [0, 0, 0])
        if start <= p.started_on <= end:
            add(region, "pairs_formed")
            row[0] += 1
            if p.status in ("active", "completed"):
                helped[p.mentee_person_id] = region
        if p.status == "active":
            add(region, "pairs_active")
            row[1] += 1
    for f in db.session.scalars(select(FollowUp)):
        region = f.pairing.mentee_person.region
        if seen(region) and start <= f.on <= end:
            add(region, "follow_ups")
            progs.setdefault(f.pairing.programme_id, [0, 0, 0])[2] += 1
    for a in db.session.scalars(select(Award).where(Award.status == "approved")):
        fund = db.session.get(Fund, a.fund_id)
        region = db.session.get(Person, a.person_id).region
        if fund.year != YEAR or not seen(region):
            continue
        helped[a.person_id] = region
        if fund.kind == "interest_subsidy":
            add(region, "loans")
            add(region, "loans_fen", a.amount_fen)
        if fund.kind == "stipend":
            girls[a.person_id] = region
    for pay in db.session.scalars(select(SponsorshipPayment)):
        girl = pay.student.person
        if pay.term in (f"{YEAR}-spring", f"{YEAR}-autumn") and seen(girl.region):
            girls[girl.id] = girl.region
    for region in helped.values():
        add(region, "people_helped")
    for region in girls.values():
        add(region, "girls")
    for h in db.session.scalars(select(ServiceHours).where(ServiceHours.status == "approved")):
        region = h.volunteer.person.region
        if seen(region) and start <= h.served_on <= end:
            add(region, "minutes", h.minutes)
    funds = {f.id: (f.budget_fen, f.reserved_fen, f.paid_fen,
                    f.budget_fen - f.reserved_fen - f.paid_fen)
             for f in db.session.scalars(select(Fund).where(Fund.year == YEAR))
             if seen(f.region)}
    return {"towns": towns, "programmes": progs, "funds": funds}


FIGURES = ("pairs_formed", "pairs_active", "follow_ups", "people_helped", "loans",
           "loans_fen", "girls", "minutes")


def as_counted(report: year_report.YearReport) -> dict:
    towns = {t.code: {k: getattr(t, k) for k in FIGURES if getattr(t, k)}
             for t in report.towns}
    return {"towns": {c: row for c, row in towns.items() if row},
            "programmes": {p.id: [p.formed, p.active, p.follow_ups] for p in report.programmes},
            "funds": {f.id: (f.budget_fen, f.reserved_fen, f.paid_fen, f.remaining_fen)
                      for f in report.funds}}


def user_named(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


@pytest.mark.parametrize("username", ["coordinator", "town-coordinator", "admin"])
def test_every_figure_equals_an_independent_count(demo, username):
    with demo.app_context():
        user = user_named(username)
        report = year_report.year_report(user, YEAR)
        expected = independent(user)
        assert as_counted(report) == expected
        for name in FIGURES:
            assert getattr(report.total, name) == sum(
                row.get(name, 0) for row in expected["towns"].values())
        assert report.fund_total.budget_fen == sum(f[0] for f in expected["funds"].values())
        assert report.fund_total.paid_fen == sum(f[2] for f in expected["funds"].values())
        if username == "coordinator":
            # Every figure has something to count in the city, so none is trivially zero.
            for name in FIGURES:
                assert getattr(report.total, name) > 0, name
            assert expected["funds"] and len(expected["programmes"]) == 2
            # the cancelled award and the pending hours are not counted
            assert report.total.loans == 2 and report.total.loans_fen == 200050


def test_a_town_coordinator_sees_only_her_town(demo):
    with demo.app_context():
        report = year_report.year_report(user_named("town-coordinator"), YEAR)
        assert [t.code for t in report.towns] == [TOWN]
        city = year_report.year_report(user_named("coordinator"), YEAR)
        assert len(city.towns) > 1
        assert all(f.region.startswith("盐官镇") for f in report.funds)
        other = db.session.scalar(select(Region).where(Region.code == "330481101"))
        assert other.name not in [t.name for t in report.towns]


def test_another_year_has_other_figures(demo):
    with demo.app_context():
        user = user_named("coordinator")
        last = year_report.year_report(user, YEAR - 1)
        assert last.total.pairs_formed == db.session.scalar(
            select(func.count(Pairing.id)).where(Pairing.started_on >= date(YEAR - 1, 1, 1),
                                                 Pairing.started_on < date(YEAR, 1, 1)))
        assert last.total.pairs_formed == 2


def test_the_workbook_is_audited_with_numbers_as_numbers(demo):
    with demo.app_context():
        user = user_named("coordinator")
        before = db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.target_type == "year_report"))
        report = year_report.year_report(user, YEAR)
        wb = load_workbook(BytesIO(year_report.year_xlsx(report)))
        events = list(db.session.scalars(select(AuditEvent).where(
            AuditEvent.target_type == "year_report", AuditEvent.action == "export")))
        assert len(events) == before + 1 and events[-1].detail["year"] == YEAR
        assert len(wb.sheetnames) == 3
        towns = wb.worksheets[0]
        total = [c.value for c in towns[towns.max_row]]
        assert total[1] == report.total.pairs_formed and isinstance(total[1], int)
        assert total[6] == pytest.approx(2000.50)
        funds = wb.worksheets[2]
        assert isinstance(funds.cell(2, 4).value, int | float)  # a number, not text
        db.session.rollback()


def test_workbook_text_cannot_start_a_formula(demo):
    with demo.app_context():
        report = year_report.year_report(user_named("coordinator"), YEAR)
        report.funds[0].name = "=HYPERLINK(\"x\")"
        wb = load_workbook(BytesIO(year_report.year_xlsx(report)))
        assert wb.worksheets[2].cell(2, 1).value == "'=HYPERLINK(\"x\")"
        db.session.rollback()


def test_chart_labels_are_escaped():
    svg = svg_charts.bar_chart("<b>图</b>", [("<script>alert(1)</script>", 3), ("许村镇", 1)])
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&lt;b&gt;" in svg
    stacked = svg_charts.stacked_bar_chart("资金", ["已发放", "<i>"], [("<script>", [1, 2])])
    assert "<script>" not in stacked and "&lt;script&gt;" in stacked and "<i>" not in stacked
    assert stacked.startswith("<svg") and stacked.count("<rect") == 2 + 2  # legend + parts


def test_bar_lengths_are_proportional():
    svg = svg_charts.bar_chart("t", [("a", 10), ("b", 5)])
    widths = [float(w) for w in __import__("re").findall(r'<rect [^>]*width="([\d.]+)"', svg)]
    assert widths[0] == pytest.approx(2 * widths[1])


def test_year_parsing(demo):
    with demo.app_context():
        assert year_report.parse_year("") == clock.today().year
        assert year_report.parse_year(" 2025 ") == 2025
        for bad in ("abc", "1999", "20266", "-1", "2026.5"):
            with pytest.raises(DomainError) as e:
                year_report.parse_year(bad)
            assert "年份" in e.value.message
