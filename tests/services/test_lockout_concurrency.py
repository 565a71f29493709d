"""Wrong passwords sent at the same moment (two app servers, several tabs) all count:
the fifth locks the account once. Runs on SQLite always and on PostgreSQL when
TEST_DATABASE_URL is set."""

import threading

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from matchmaker.extensions import db
from matchmaker.models import AuditEvent, User
from matchmaker.services import users
from tests import races
from tests.races import run_at_once

ROUNDS = 3


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def race_app(request, tmp_path_factory):
    yield from races.race_app(request, tmp_path_factory, "lockout")


class WrongPassword:
    def prepare(self, username):
        return username

    def act(self, username):
        assert users.authenticate(username=username, password="wrong-wrong-1") is None


@pytest.mark.parametrize("n", range(ROUNDS))
def test_five_wrong_passwords_at_once_lock_the_account_once(race_app, n):
    with race_app.app_context():
        user = User(username=f"racer-{n}", role="admin", display_name="racer",
                    password_hash=generate_password_hash("Right-pass-1",
                                                         method="pbkdf2:sha256:1000"))
        db.session.add(user)
        db.session.commit()
        user_id = user.id
    run_at_once(race_app, [f"racer-{n}"] * 5, WrongPassword())
    with race_app.app_context():
        account = db.session.get(User, user_id)
        assert users.locked(account) and account.failed_logins == 0
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "account_locked", AuditEvent.target_id == user_id)) == 1


def test_guesses_sent_all_at_once_get_no_more_checks_than_the_limit(race_app, monkeypatch):
    """Twelve guesses in flight together: only five passwords are checked; the rest are
    refused unchecked, as if the account were already locked."""
    with race_app.app_context():
        user = User(username="burst", role="admin", display_name="burst",
                    password_hash=generate_password_hash("Right-pass-1",
                                                         method="pbkdf2:sha256:1000"))
        db.session.add(user)
        db.session.commit()
        user_id = user.id
    checked, guard = [], threading.Lock()
    real = users._password_matches

    def counting(account, password):
        with guard:
            checked.append(account.id)
        return real(account, password)

    monkeypatch.setattr(users, "_password_matches", counting)
    run_at_once(race_app, ["burst"] * 12, WrongPassword())
    assert checked.count(user_id) == 5
    with race_app.app_context():
        assert users.locked(db.session.get(User, user_id))
