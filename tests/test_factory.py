import secrets

from matchmaker import create_app
from matchmaker.config import ConfigError, database_url, load


def test_testing_flag_comes_from_the_mapping(app):
    assert app.testing
    assert not create_app({"ID_KEY": app.config["ID_KEY"]},
                          instance_path=app.instance_path).testing


def test_instance_secrets_are_generated_once(tmp_path):
    first = load(str(tmp_path), environ={})
    second = load(str(tmp_path), environ={})
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert first["ID_KEY"] == second["ID_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert first["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/matchmaker.db"


def test_production_refuses_to_start_without_secrets(tmp_path):
    try:
        load(str(tmp_path), environ={"MATCHMAKER_ENV": "production"})
    except ConfigError as e:
        assert "SECRET_KEY" in str(e)
    else:
        raise AssertionError("production started without secrets")
    assert not (tmp_path / "secret_key").exists()


def test_environment_settings(tmp_path):
    cfg = load(str(tmp_path), environ={
        "SECRET_KEY": "s", "MATCHMAKER_ID_KEY": "k", "DATABASE_URL": "postgresql://u@h/db",
        "REDIS_URL": "redis://127.0.0.1:6379/0", "MATCHMAKER_HTTPS": "1"})
    assert cfg["SECRET_KEY"] == "s"
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert cfg["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert cfg["JOBS_INLINE"] is False
    assert cfg["SESSION_COOKIE_SECURE"] is True
    assert load(str(tmp_path), environ={})["SESSION_COOKIE_SECURE"] is False


def test_database_url_normalisation():
    assert database_url(None) is None
    assert database_url("postgres://a/b") == "postgresql+psycopg://a/b"
    assert database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_login_page_is_chinese(client):
    html = client.get("/login").get_data(as_text=True)
    assert "登录" in html and "用户名" in html
    assert 'lang="zh-CN"' in html


def test_anonymous_home_redirects_to_login(client):
    resp = client.get("/")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]


def _seen_behind_proxy(app, tmp_path, hops: int) -> tuple[str, str]:
    """(an external link, the client address) as the app sees them through a proxy."""
    from flask import request, url_for

    proxied = create_app({"ID_KEY": app.config["ID_KEY"], "TESTING": True,
                          "PROXY_HOPS": hops}, instance_path=str(tmp_path))
    seen = {}

    @proxied.get("/_probe")
    def probe():
        seen["url"] = url_for("signup.join", _external=True)
        seen["addr"] = request.remote_addr
        return ""

    proxied.test_client().get("/_probe", environ_base={"REMOTE_ADDR": "10.0.0.1"}, headers={
        "X-Forwarded-Proto": "https", "X-Forwarded-Host": "fulian.example.cn",
        "X-Forwarded-For": "203.0.113.7"})
    return seen["url"], seen["addr"]


def test_behind_a_proxy_links_use_the_public_address(app, tmp_path):
    """With MATCHMAKER_PROXY_HOPS=1, a link built for an SMS (the set-password link, say)
    carries the scheme and host the proxy was reached at, and rate limits see the visitor;
    without it, forwarded headers are ignored (anyone could send them)."""
    assert _seen_behind_proxy(app, tmp_path, 1) == ("https://fulian.example.cn/join",
                                                    "203.0.113.7")
    assert _seen_behind_proxy(app, tmp_path, 0) == ("http://localhost/join", "10.0.0.1")
    assert load(str(tmp_path), environ={"MATCHMAKER_PROXY_HOPS": "2"})["PROXY_HOPS"] == 2
    try:
        load(str(tmp_path), environ={"MATCHMAKER_PROXY_HOPS": "two"})
    except ConfigError as e:
        assert "MATCHMAKER_PROXY_HOPS" in str(e)
    else:
        raise AssertionError("a bad MATCHMAKER_PROXY_HOPS was accepted")


def test_workers_starting_together_agree_on_the_development_secrets(tmp_path):
    """gunicorn starts its workers at once; on a fresh instance folder each one makes the
    development secrets: they must all end up with the same, whole value."""
    import threading

    from matchmaker.config import _instance_secret

    def start(folder, barrier, got, errors):
        barrier.wait()
        try:
            got.append(_instance_secret(folder, "secret_key", lambda: secrets.token_hex(32)))
        except Exception as e:  # noqa: BLE001 - any failure is the finding
            errors.append(repr(e))

    for trial in range(20):
        folder = tmp_path / f"inst{trial}"
        barrier = threading.Barrier(6)
        got, errors = [], []
        threads = [threading.Thread(target=start, args=(folder, barrier, got, errors))
                   for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert len(set(got)) == 1 and len(got[0]) == 64
        assert (folder / "secret_key").read_text() == got[0]
        assert [p.name for p in folder.iterdir()] == ["secret_key"]  # no temporary left


def test_database_errors_do_not_carry_the_values(tmp_path):
    """Flask logs a failed request's exception text; with the engine's hide_parameters
    that text names the statement but not the values (a name, a mobile)."""
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from matchmaker.extensions import db
    from tests.conftest import make_test_app

    app = make_test_app(str(tmp_path), f"sqlite:///{tmp_path}/h.db")
    with app.app_context():
        with pytest.raises(DBAPIError) as caught:
            db.session.execute(text("INSERT INTO no_such_table VALUES (:mobile)"),
                               {"mobile": "13812345678"})
        db.session.rollback()
    assert "13812345678" not in str(caught.value)
    assert "no_such_table" in str(caught.value)


def test_postgresql_plans_each_statement_for_its_own_values():
    """psycopg prepares a statement after five runs and PostgreSQL may then plan it once
    for all values: a list's deep pages got page 1's plan (200 ms instead of 40)."""
    from matchmaker.config import engine_options

    base = {"pool_pre_ping": True}
    pg = engine_options("postgresql+psycopg://db/x", base)
    assert pg["connect_args"]["prepare_threshold"] is None and pg["pool_pre_ping"] is True
    assert engine_options("sqlite:///x.db", base) == base
    assert engine_options("postgresql+psycopg2://db/x", base) == base  # not psycopg's option


def test_the_postgresql_engine_does_not_prepare(tmp_path):
    import os

    import pytest

    from matchmaker.config import database_url
    from matchmaker.extensions import db
    from tests.conftest import make_test_app

    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("PostgreSQL not configured: set TEST_DATABASE_URL to run")
    app = make_test_app(str(tmp_path), database_url(url))
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            assert raw.driver_connection.prepare_threshold is None
        finally:
            raw.close()
        db.engine.dispose()
