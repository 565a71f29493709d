"""Spring Bud donations racing, each thread with its own connection and session: ten first
donations of a region and year at once make one pool fund and one reserve fund, whose
budgets are the sum; ten donations at once take ten consecutive receipt numbers, none
refused. Runs on SQLite always and on PostgreSQL when TEST_DATABASE_URL is set (skipped
otherwise — the races that matter are PostgreSQL's: SQLite serialises writers)."""

import itertools
from datetime import date

import pytest
from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.models import Donation, DonorProfile, Fund, Person, Region, User
from matchmaker.services import donations
from tests import races
from tests.races import run_at_once

ROUNDS = 3
AT_ONCE = 10
_SEQ = itertools.count(1)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def race_app(request, tmp_path_factory):
    yield from races.race_app(request, tmp_path_factory, "pledges")


def build_town(app) -> tuple[int, int, list[int]]:
    """A new town (so its funds do not exist yet), an admin and ten donors in it."""
    with app.app_context():
        n = next(_SEQ)
        city = races.city()
        code = f"330481{900 + n}"
        town = Region(code=code, name=f"测试镇{n}", level="town", parent=city,
                      path=f"330481/{code}/")
        admin = User(username=f"pledge-admin-{n}", role="admin", display_name="admin",
                     password_hash="x")
        donors = [DonorProfile(person=Person(name=f"捐助人{i}", gender="F", region=town),
                               kind="person", display_name=f"捐助人{i}", status="active")
                  for i in range(AT_ONCE)]
        db.session.add_all([town, admin, *donors])
        db.session.commit()
        return town.id, admin.id, [d.id for d in donors]


class Donate:
    def __init__(self, town_id: int, admin_id: int, on: date) -> None:
        self.town_id, self.admin_id, self.on = town_id, admin_id, on

    def prepare(self, donor_id: int):
        donor = db.session.get(DonorProfile, donor_id)
        _ = donor.person.region  # load before racing
        return (db.session.get(User, self.admin_id), donor,
                db.session.get(Region, self.town_id))

    def act(self, prepared) -> None:
        user, donor, town = prepared
        donations.record_donation(user=user, donor=donor, amount="100", received_on=self.on,
                                region=town)


def test_ten_first_donations_at_once_make_one_pool_and_one_reserve(race_app):
    for _ in range(ROUNDS):
        town_id, admin_id, donors = build_town(race_app)
        outcomes = run_at_once(race_app, donors, Donate(town_id, admin_id, date(2026, 3, 1)))
        assert outcomes == ["ok"] * AT_ONCE, outcomes
        with race_app.app_context():
            funds = {f.name: f for f in db.session.scalars(
                select(Fund).where(Fund.region_id == town_id))}
            assert len(funds) == 2, sorted(funds)
            pool, reserve = funds["2026 春蕾结对助学（捐助）"], funds["2026 春蕾续助储备金"]
            assert (pool.budget_fen, reserve.budget_fen) == (AT_ONCE * 9000, AT_ONCE * 1000)
            assert db.session.scalar(select(func.count(Donation.id)).where(
                Donation.fund_id == pool.id, Donation.reserve_fund_id == reserve.id)) \
                == AT_ONCE


def test_ten_donations_at_once_take_ten_consecutive_receipts(race_app):
    town_id, admin_id, donors = build_town(race_app)
    with race_app.app_context():  # the funds exist: only the receipt numbers race
        town = db.session.get(Region, town_id)
        donations.pool_fund(town, 2024), donations.reserve_fund(town, 2024)
        db.session.commit()
    work = Donate(town_id, admin_id, date(2024, 5, 1))
    for r in range(ROUNDS):
        outcomes = run_at_once(race_app, donors, work)
        assert outcomes == ["ok"] * AT_ONCE, outcomes
        with race_app.app_context():
            nos = sorted(db.session.scalars(select(Donation.receipt_no).where(
                Donation.receipt_no.startswith("CL2024-"))))
            assert nos == [f"CL2024-{k:06d}" for k in range(1, AT_ONCE * (r + 1) + 1)]
