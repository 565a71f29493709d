"""Migrations: upgrade → downgrade → upgrade, on SQLite and (when configured) PostgreSQL."""

import os
import uuid

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from matchmaker.config import database_url
from matchmaker.extensions import db
from tests.conftest import make_test_app

EXPECTED = {"region", "person", "user_account", "user_region", "audit_event",
            "volunteer_profile", "mentor_profile", "mentee_profile", "spring_bud_profile",
            "donor_profile", "programme", "match_run", "proposal", "unmatched_mentee",
            "pairing", "follow_up", "notification", "fund", "application", "allocation_run",
            "award", "disbursement", "activity", "activity_signup", "service_request",
            "service_assignment", "service_hours", "consent_record", "one_time_token",
            "pledge", "donation", "sponsorship", "sponsorship_payment", "progress_note",
            "donor_letter"}


def round_trip(app) -> None:
    with app.app_context():
        upgrade()
        assert EXPECTED <= set(inspect(db.engine).get_table_names())
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert EXPECTED <= tables
        # Named constraints (batch mode needs them): check one of each kind.
        checks = {c["name"] for c in inspect(db.engine).get_check_constraints("person")}
        assert "ck_person_gender" in checks
        # 0002 altered a check through batch mode, which needs the names.
        mentor = {c["name"]: c["sqltext"] for c in
                  inspect(db.engine).get_check_constraints("mentor_profile")}
        assert "social_mother" in mentor["ck_mentor_profile_kind"]
        assert "ck_mentor_profile_active_pairings" in mentor
        fund = {c["name"] for c in inspect(db.engine).get_check_constraints("fund")}
        assert "ck_fund_within_budget" in fund
        volunteer = {c["name"]: c["sqltext"] for c in
                     inspect(db.engine).get_check_constraints("volunteer_profile")}
        assert "archived" in volunteer["ck_volunteer_profile_status"]
        db.engine.dispose()


def test_0004_recodes_availability(tmp_path):
    """weekday/evening/weekend become weekday/weekend x morning/afternoon/evening, and back."""
    app = make_test_app(str(tmp_path), f"sqlite:///{tmp_path}/m.db")
    with app.app_context():
        upgrade(revision="0003")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO region (id, code, name, level, path) "
                              "VALUES (1, '330481', '海宁市', 'city', '330481/')"))
            for pid, avail in ((1, "weekday,evening"), (2, "weekend"), (3, "")):
                conn.execute(text(
                    "INSERT INTO person (id, name, name_pinyin, name_initials, gender, "
                    "region_id, status, note, household, created_at, updated_at) VALUES "
                    f"({pid}, 'p', '', '', 'F', 1, 'active', '', '', "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
                conn.execute(text(
                    "INSERT INTO volunteer_profile (id, person_id, status, team, services, "
                    "skills, availability, created_at, updated_at) VALUES "
                    f"({pid}, {pid}, 'active', '家庭教育', '', '', '{avail}', "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))

        def values():
            with db.engine.connect() as conn:
                return [r[0] for r in conn.execute(text(
                    "SELECT availability FROM volunteer_profile ORDER BY id"))]

        upgrade(revision="0004")
        assert values() == ["wd_am,wd_pm,wd_ev", "we_am,we_pm,we_ev", ""]
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT teams FROM volunteer_profile WHERE id = 1")
                                ).scalar() == "家庭教育"
        downgrade(revision="0003")
        assert values() == ["weekday,evening", "weekend", ""]
        db.engine.dispose()


def test_sqlite_round_trip(tmp_path):
    round_trip(make_test_app(str(tmp_path), f"sqlite:///{tmp_path}/m.db"))


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
                    reason="PostgreSQL not configured: set TEST_DATABASE_URL to run")
def test_postgresql_round_trip(tmp_path):
    base = database_url(os.environ["TEST_DATABASE_URL"])
    name = f"mm_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = base.rsplit("/", 1)[0] + "/" + name
        round_trip(make_test_app(str(tmp_path), url))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def test_models_and_migrations_agree(app):
    """Autogenerate finds nothing to do: the reviewed migration matches the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []
