"""The error page for a database that cannot be reached, in-process: which errors are an
outage (503, in Chinese, with Retry-After) and which are bugs (the 500 page, logged); and
the page is shown even when the rollback itself fails on the dead connection."""

from __future__ import annotations

import sqlite3

import psycopg
import psycopg.errors as pg
import pytest
from sqlalchemy import exc as sa_exc

from matchmaker.extensions import db
from tests.conftest import make_test_app

MESSAGE = "数据库暂时无法连接，您的操作没有保存，请稍后重试。"


class Refused(Exception):
    """What a driver says when the server is not there."""


def sqlite_error(text: str, code: int) -> sqlite3.OperationalError:
    e = sqlite3.OperationalError(text)
    e.sqlite_errorcode = code
    return e


ERRORS = {
    "connection refused": lambda: sa_exc.OperationalError(
        "SELECT 1", {}, Refused("connection refused")),
    "connection cut mid-query": lambda: sa_exc.DBAPIError(
        "SELECT 1", {}, Refused("server closed the connection"), connection_invalidated=True),
    "connection already closed": lambda: sa_exc.InterfaceError(
        "SELECT 1", {}, Refused("connection already closed")),
    "pool exhausted": lambda: sa_exc.TimeoutError("QueuePool limit reached"),
    "sqlite busy": lambda: sa_exc.OperationalError(
        "UPDATE fund", {}, sqlite_error("database is locked", 5)),
    "postgresql shutting down": lambda: sa_exc.OperationalError(
        "SELECT 1", {}, pg.AdminShutdown("terminating connection due to administrator")),
    "postgresql starting up": lambda: sa_exc.OperationalError(
        "SELECT 1", {}, pg.CannotConnectNow("the database system is starting up")),
    "postgresql too many connections": lambda: sa_exc.OperationalError(
        "SELECT 1", {}, pg.TooManyConnections("sorry, too many clients already")),
    "postgresql connection failure": lambda: sa_exc.OperationalError(
        "SELECT 1", {}, pg.ConnectionFailure("connection failure")),
}
BUGS = {
    "sqlite missing table": lambda: sa_exc.OperationalError(
        "SELECT x", {}, sqlite_error("no such table: x", 1)),
    "integrity": lambda: sa_exc.IntegrityError("INSERT", {}, Refused("duplicate key")),
    # PostgreSQL errors that are OperationalError too, but come from what the app did.
    "statement timeout": lambda: sa_exc.OperationalError(
        "SELECT", {}, pg.QueryCanceled("canceling statement due to statement timeout")),
    "deadlock": lambda: sa_exc.OperationalError(
        "UPDATE", {}, pg.DeadlockDetected("deadlock detected")),
    "serialization": lambda: sa_exc.OperationalError(
        "UPDATE", {}, pg.SerializationFailure("could not serialize access")),
    "too many parameters": lambda: sa_exc.OperationalError(
        "SELECT", {}, psycopg.OperationalError(
            "sending query and params failed: number of parameters must be between 0 and "
            "65535")),
}


@pytest.fixture(scope="module")
def broken_app(tmp_path_factory):
    """An app whose routes fail the ways a database does (no database is touched)."""
    tmp = tmp_path_factory.mktemp("dberrors")
    app = make_test_app(str(tmp), f"sqlite:///{tmp}/unused.db", PROPAGATE_EXCEPTIONS=False)
    app.config["TRIGGER"] = None

    @app.get("/fails-in-view")
    def fails_in_view():
        raise app.config["TRIGGER"]()

    @app.get("/fails-at-commit")
    def fails_at_commit():
        return "saved"  # the commit at the request boundary fails (patched below)

    @app.get("/makes-a-token-then-fails")
    def makes_a_token_then_fails():
        from flask_wtf.csrf import generate_csrf

        return generate_csrf()

    @app.get("/flashes-then-fails")
    def flashes_then_fails():
        from flask import flash, session

        flash("已批准 5000 项资助", "success")
        session["chosen"] = "by the view"  # as login_user would, say
        return "saved"

    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("name", list(ERRORS))
def test_an_outage_is_a_503_in_chinese(broken_app, name):
    broken_app.config["TRIGGER"] = ERRORS[name]
    resp = broken_app.test_client().get("/fails-in-view", headers={"Host": "localhost"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 503, html[:500]
    assert MESSAGE in html and "服务暂时不可用" in html and "Traceback" not in html
    assert resp.headers["Retry-After"].isdigit()


@pytest.mark.parametrize("name", list(BUGS))
def test_a_bug_is_still_a_500(broken_app, name, caplog):
    broken_app.config["TRIGGER"] = BUGS[name]
    resp = broken_app.test_client().get("/fails-in-view", headers={"Host": "localhost"})
    assert resp.status_code == 500 and "系统出错" in resp.get_data(as_text=True)
    assert any(r.exc_info for r in caplog.records)  # logged with its traceback


def test_a_failed_rollback_still_shows_the_page(broken_app, monkeypatch, caplog):
    """On a connection that has just died, the rollback raises too."""
    calls = []

    def rollback():
        calls.append(1)
        if len(calls) == 1:
            raise sa_exc.InterfaceError("ROLLBACK", {}, Refused("connection already closed"))

    monkeypatch.setattr(db.session, "rollback", rollback)
    broken_app.config["TRIGGER"] = ERRORS["connection refused"]
    resp = broken_app.test_client().get("/fails-in-view", headers={"Host": "localhost"})
    assert resp.status_code == 503 and MESSAGE in resp.get_data(as_text=True)
    assert calls and "rollback failed" in caplog.text


def test_an_outage_at_the_commit_is_a_503_too(broken_app, monkeypatch):
    def commit():
        raise sa_exc.OperationalError("COMMIT", {}, Refused("terminating connection due to "
                                                             "administrator command"))

    monkeypatch.setattr(db.session, "commit", commit)
    resp = broken_app.test_client().get("/fails-at-commit", headers={"Host": "localhost"})
    assert resp.status_code == 503 and MESSAGE in resp.get_data(as_text=True)
    assert "saved" not in resp.get_data(as_text=True)


def test_the_log_names_the_error_but_not_the_query_values(broken_app, caplog):
    mobile = "13912345678"
    broken_app.config["TRIGGER"] = lambda: sa_exc.OperationalError(
        "SELECT * FROM person WHERE mobile = ?", (mobile,), Refused("connection refused"))
    resp = broken_app.test_client().get("/fails-in-view", headers={"Host": "localhost"})
    assert resp.status_code == 503
    assert "database unavailable" in caplog.text and mobile not in caplog.text


def test_a_failed_request_does_not_show_what_the_view_promised(broken_app, monkeypatch):
    """The view queued "已保存" and then the commit failed: the page must not say both."""
    def commit():
        raise sa_exc.OperationalError("COMMIT", {}, pg.AdminShutdown("terminating"))

    monkeypatch.setattr(db.session, "commit", commit)
    client = broken_app.test_client()
    resp = client.get("/flashes-then-fails", headers={"Host": "localhost"})
    assert resp.status_code == 503
    assert "已批准" not in resp.get_data(as_text=True)
    monkeypatch.undo()
    with client.session_transaction() as sess:
        assert "_flashes" not in sess  # nor on the next page
        assert "chosen" not in sess  # nor anything else the view put in the session


@pytest.fixture
def failing_commit(monkeypatch):
    def commit():
        raise sa_exc.OperationalError("COMMIT", {}, pg.AdminShutdown("terminating"))

    monkeypatch.setattr(db.session, "commit", commit)


def test_a_message_pending_from_before_does_not_carry_the_failed_views(broken_app,
                                                                     failing_commit):
    client = broken_app.test_client()
    with client.session_transaction() as sess:
        sess["_flashes"] = [("info", "之前的提示")]
    resp = client.get("/flashes-then-fails", headers={"Host": "localhost"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 503 and "已批准" not in html


def test_the_error_page_keeps_a_csrf_token_that_works(broken_app, failing_commit):
    client = broken_app.test_client()
    resp = client.get("/makes-a-token-then-fails", headers={"Host": "localhost"})
    assert resp.status_code == 503
    with client.session_transaction() as sess:
        assert sess.get("csrf_token")  # the token the page's forms carry can be checked
