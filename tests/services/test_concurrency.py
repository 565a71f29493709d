"""Two coordinators at the same moment, on PostgreSQL with real connections: the
database, not a read-then-write, keeps one pairing per proposal and every mentor within
her capacity. Repeated, because a race that passes once proves little."""

import os
import threading
import uuid
from datetime import date

import pytest
from sqlalchemy import create_engine, func, select, text

from matchmaker.config import database_url
from matchmaker.extensions import db
from matchmaker.models import (
    MenteeProfile,
    MentorProfile,
    Pairing,
    Person,
    Programme,
    Proposal,
    Region,
    User,
)
from matchmaker.services import review
from matchmaker.services.errors import DomainError
from tests.conftest import make_test_app, reset_database

URL = os.environ.get("TEST_DATABASE_URL", "")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not URL.startswith("postgres"),
                       reason="PostgreSQL not configured: set TEST_DATABASE_URL to run"),
]
ROUNDS = 20


@pytest.fixture(scope="module")
def pg_app(tmp_path_factory):
    base = database_url(URL)
    name = f"mm_concurrency_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    app = make_test_app(str(tmp_path_factory.mktemp("conc")), base.rsplit("/", 1)[0] + "/" + name)
    reset_database(app)
    yield app
    with app.app_context():
        db.engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def build_round(app, n: int, mentees: int) -> tuple[list[int], list[int]]:
    """One mentor of capacity 1, ``mentees`` proposals for her; returns proposal and user ids."""
    with app.app_context():
        city = db.session.scalar(select(Region).where(Region.code == "330481"))
        if city is None:
            city = Region(code="330481", name="海宁市", level="city", path="330481/")
            db.session.add(city)
        users = [User(username=f"c{n}-{i}", role="admin", password_hash="x") for i in range(2)]
        mentor_p = Person(name="导师", gender="F", region=city)
        mentor = MentorProfile(person=mentor_p, kind="skilled", specialty="茶叶",
                               industry="agriculture", capacity=1)
        programme = Programme(name=f"p{n}", year=2026, region=city, mentor_kinds="skilled",
                              mentee_pool="mentee", mentee_kinds="rural")
        db.session.add_all([*users, mentor, programme])
        db.session.flush()
        from matchmaker.models import MatchRun

        run = MatchRun(programme=programme, status="done")
        db.session.add(run)
        proposals = []
        for i in range(mentees):
            p = Person(name=f"学员{i}", gender="F", region=city)
            m = MenteeProfile(person=p, kind="rural", needs="茶叶", industry="agriculture")
            db.session.add(m)
            db.session.flush()
            proposals.append(Proposal(run=run, programme_id=programme.id, mentor_id=mentor.id,
                                      mentee_id=m.id, mentee_key=f"mentee:{m.id}",
                                      mentee_person_id=p.id, score=1.0))
        db.session.add_all(proposals)
        db.session.commit()
        return [p.id for p in proposals], [u.id for u in users]


def race(app, jobs: list[tuple[int, int]]) -> list[str]:
    """Each job (user id, proposal id) approves in its own thread, connection and session,
    all released at once; returns "ok" or the refusal of each."""
    barrier = threading.Barrier(len(jobs))
    outcomes = [""] * len(jobs)

    def work(k: int, user_id: int, proposal_id: int) -> None:
        with app.app_context():
            user = db.session.get(User, user_id)
            proposal = db.session.get(Proposal, proposal_id)
            _ = proposal.mentee_profile.person.region, proposal.mentor  # load before racing
            barrier.wait()
            try:
                review.approve(user=user, proposal=proposal, on=date(2026, 11, 1))
                db.session.commit()
                outcomes[k] = "ok"
            except DomainError as e:
                db.session.rollback()
                outcomes[k] = e.message

    threads = [threading.Thread(target=work, args=(k, u, p)) for k, (u, p) in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


def test_same_proposal_approved_twice_at_once_makes_one_pairing(pg_app):
    for n in range(ROUNDS):
        (proposal,), (u1, u2) = build_round(pg_app, n, mentees=1)
        outcomes = race(pg_app, [(u1, proposal), (u2, proposal)])
        assert sorted(o == "ok" for o in outcomes) == [False, True], outcomes
        with pg_app.app_context():
            assert db.session.scalar(select(func.count(Pairing.id)).where(
                Pairing.proposal_id == proposal)) == 1
            assert db.session.get(Proposal, proposal).status == "approved"


def test_mentor_never_exceeds_capacity_under_concurrent_approvals(pg_app):
    for n in range(ROUNDS):
        proposals, (u1, u2) = build_round(pg_app, 100 + n, mentees=4)
        outcomes = race(pg_app, [(u1 if k % 2 else u2, p) for k, p in enumerate(proposals)])
        assert outcomes.count("ok") == 1, outcomes
        assert all("名额已满" in o for o in outcomes if o != "ok")
        with pg_app.app_context():
            mentor_id = db.session.get(Proposal, proposals[0]).mentor_id
            assert db.session.get(MentorProfile, mentor_id).active_pairings == 1
            assert db.session.scalar(select(func.count(Pairing.id)).where(
                Pairing.mentor_id == mentor_id, Pairing.status == "active")) == 1
