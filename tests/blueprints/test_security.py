"""Security headers and cookies under a plain-HTTP install and an HTTPS one, the password
policy, and the lockout after repeated wrong passwords."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.models import AuditEvent, User
from matchmaker.models.base import utcnow
from matchmaker.services import users
from matchmaker.services.errors import DomainError
from tests.conftest import PASSWORD, csrf_token, login, make_test_app, reset_database

TEMPLATES = Path(__file__).resolve().parents[2] / "matchmaker"


def _config_app(tmp_path, monkeypatch, https: bool):
    """A whole app configured from the environment, as a deployment would be."""
    if https:
        monkeypatch.setenv("MATCHMAKER_HTTPS", "1")
    else:
        monkeypatch.delenv("MATCHMAKER_HTTPS", raising=False)
    app = make_test_app(str(tmp_path), f"sqlite:///{tmp_path}/sec.db")
    reset_database(app)
    with app.app_context():
        users.create_user(username="sec-admin", password="Sicher-2026", role="admin")
        db.session.commit()
    return app


def _cookie(resp, name: str) -> str:
    found = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith(name + "=")]
    assert found, f"no {name} cookie in {resp.headers.getlist('Set-Cookie')}"
    return found[-1]


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
def test_headers_and_cookies_follow_the_deployment(tmp_path, monkeypatch, https):
    app = _config_app(tmp_path, monkeypatch, https)
    base = "https://localhost" if https else "http://localhost"
    client = app.test_client()
    page = client.get("/login", base_url=base)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    # Flask-WTF checks the Referer on HTTPS (WTF_CSRF_SSL_STRICT), as browsers send it.
    resp = client.post("/login", base_url=base, headers={"Referer": base + "/login"}, data={
        "username": "sec-admin", "password": "Sicher-2026", "csrf_token": token.group(1)})
    assert resp.status_code == 302
    for r in (page, resp, client.get("/", base_url=base), client.get("/nowhere", base_url=base)):
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "same-origin"
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["Cache-Control"] == "no-store"
        assert ("Strict-Transport-Security" in r.headers) is https
    if https:
        assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    session_cookie = _cookie(resp, "session")
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    assert ("Secure" in session_cookie) is https
    # Logged in: the home page works over the scheme the install is configured for.
    assert client.get("/", base_url=base).status_code == 200
    static = client.get("/static/style.css", base_url=base)
    assert static.status_code == 200 and "no-store" not in static.headers.get(
        "Cache-Control", "")
    assert "default-src 'self'" in static.headers["Content-Security-Policy"]
    static.close()


def test_plain_http_install_keeps_its_session(tmp_path, monkeypatch):
    """Secure cookies on plain HTTP would log everyone out at once: not sent there."""
    app = _config_app(tmp_path, monkeypatch, https=False)
    assert app.config["SESSION_COOKIE_SECURE"] is False
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    client.post("/login", data={"username": "sec-admin", "password": "Sicher-2026",
                                "csrf_token": token})
    assert client.get("/").status_code == 200


INLINE = [
    (re.compile(r"<style"), "an inline <style> block"),
    (re.compile(r"\sstyle\s*="), "a style attribute"),
    (re.compile(r"<script(?![^>]*\ssrc=)[^>]*>"), "an inline <script>"),
    (re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I), "an inline event handler"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def test_no_template_needs_what_the_csp_forbids():
    """default-src 'self' blocks inline style and script: a page that had them would
    render unstyled or dead in the browser, so none may have them."""
    offenders = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"\{#.*?#\}", "", text, flags=re.S)  # comments are not served
        for pattern, what in INLINE:
            if pattern.search(text):
                offenders.append(f"{path.relative_to(TEMPLATES)}: {what}")
    assert offenders == []


def test_the_pages_that_print_link_their_own_stylesheets(client, as_role):
    as_role("admin")
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "pages/audit.css" in html
    resp = client.get("/static/pages/audit.css")
    assert resp.status_code == 200 and ".audit-filters" in resp.get_data(as_text=True)
    resp.close()


# --- password policy ---------------------------------------------------------------


@pytest.mark.parametrize("password, message", [
    ("short1", "至少 8 位"),
    ("onlyletters", "字母和数字或符号"),
    ("12345678", "字母和数字或符号"),
    ("Password1", "太常见"),
    ("1qaz2wsx", "太常见"),
    ("woaini1314", "太常见"),
    ("xx-liwei-2026", "不能包含用户名"),
])
def test_password_policy_refuses_weak_passwords(app_ctx, password, message):
    with pytest.raises(DomainError, match=message):
        users.create_user(username="liwei", password=password, role="admin")


def test_password_policy_accepts_a_reasonable_one(app_ctx):
    user = users.create_user(username="liwei", password="Cha-yuan-7", role="admin")
    assert user.id is not None


def test_admin_form_shows_the_policy_error(client, session, as_role):
    as_role("admin")
    resp = client.post("/admin/users/new", data={
        "username": "zhaomin", "display_name": "赵敏", "role": "admin", "active": "y",
        "password": "abcd1234", "csrf_token": csrf_token(client)})
    assert resp.status_code == 422
    assert "这个密码太常见" in resp.get_data(as_text=True)
    assert session.scalar(select(User).where(User.username == "zhaomin")) is None


# --- lockout -----------------------------------------------------------------------


def _wrong(client, user, times: int):
    for _ in range(times):
        resp = login(client, user, password="not-the-password-9")
        assert resp.status_code == 200
    return resp


def _fresh(session, user) -> User:
    """The account as the last request left it (requests end the fixture's session)."""
    return session.get(User, user.id)


def _locked_events(session, user):
    return session.scalars(select(AuditEvent).where(
        AuditEvent.action == "account_locked", AuditEvent.target_id == user.id)).all()


def test_five_wrong_passwords_lock_the_account(client, session, make_user):
    user = make_user("coordinator")
    resp = _wrong(client, user, 4)
    assert "用户名或密码不正确。连续输错 5 次，账号将锁定 15 分钟" in resp.get_data(as_text=True)
    assert _fresh(session, user).locked_until is None
    assert _fresh(session, user).failed_logins == 4
    _wrong(client, user, 1)
    user = _fresh(session, user)
    assert user.locked_until is not None and user.failed_logins == 0
    assert len(_locked_events(session, user)) == 1
    # While locked even the right password is refused, with the answer a wrong one gets:
    # nothing tells it was right, nor that this name is a real, locked account.
    resp = login(client, user)
    assert resp.status_code == 200
    assert "用户名或密码不正确。连续输错" in resp.get_data(as_text=True)
    assert client.get("/").status_code == 302
    # Guessing on while locked neither extends the lock nor counts.
    until = user.locked_until
    _wrong(client, user, 3)
    user = _fresh(session, user)
    assert user.locked_until == until and user.failed_logins == 0


def test_the_lock_ends_by_itself(client, session, make_user):
    user = make_user("coordinator")
    _wrong(client, user, 5)
    user = _fresh(session, user)
    user.locked_until = utcnow() - timedelta(seconds=1)
    session.flush()
    assert login(client, user).status_code == 302
    user = _fresh(session, user)
    assert user.locked_until is None and user.failed_logins == 0


def test_a_right_password_resets_the_count(client, session, make_user):
    user = make_user("coordinator")
    _wrong(client, user, 4)
    assert login(client, user).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    _wrong(client, user, 4)
    user = _fresh(session, user)
    assert user.locked_until is None and user.failed_logins == 4


def test_unknown_names_lock_nothing(client, session, make_user):
    user = make_user("coordinator")
    for _ in range(6):
        client.post("/login", data={"username": "nobody-here", "password": "x",
                                    "csrf_token": csrf_token(client)})
    assert login(client, user).status_code == 302


def test_lockout_counts_logins_by_mobile(client, session, make_user, make_person):
    person = make_person(name="周丽", mobile="13905710001")
    user = make_user("volunteer", person=person)
    for _ in range(5):
        client.post("/login", data={"username": "13905710001", "password": "nope-nope-1",
                                    "csrf_token": csrf_token(client)})
    user = _fresh(session, user)
    assert users.locked(user)
    resp = client.post("/login", data={"username": "13905710001", "password": PASSWORD,
                                       "csrf_token": csrf_token(client)})
    assert resp.status_code == 200 and client.get("/").status_code == 302


def test_admin_sees_and_lifts_the_lock(client, session, make_user, as_role):
    victim = make_user("coordinator")
    _wrong(client, victim, 5)
    as_role("admin")
    listing = client.get("/admin/users").get_data(as_text=True)
    assert "已锁定至" in listing
    form = client.get(f"/admin/users/{victim.id}").get_data(as_text=True)
    assert "解除登录锁定" in form
    resp = client.post(f"/admin/users/{victim.id}", data={
        "username": victim.username, "display_name": victim.display_name,
        "role": "coordinator", "regions": ["330481"], "active": "y", "unlock": "y",
        "csrf_token": csrf_token(client)})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:400]
    victim = _fresh(session, victim)
    assert not users.locked(victim) and victim.failed_logins == 0
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert login(client, victim).status_code == 302


def test_lockout_settings_come_from_the_config(app, client, session, make_user):
    user = make_user("coordinator")
    app.config["LOGIN_LOCKOUT_ATTEMPTS"] = 2
    try:
        _wrong(client, user, 2)
    finally:
        app.config["LOGIN_LOCKOUT_ATTEMPTS"] = 5
    user = _fresh(session, user)
    assert users.locked(user)


def test_unknown_names_and_locked_accounts_get_the_same_answer(client, make_user):
    user = make_user("coordinator")
    _wrong(client, user, 5)
    locked_page = login(client, user, password="not-the-password-9").get_data(as_text=True)
    ghost = client.post("/login", data={"username": "ghost-user", "password": "x-1234567",
                                        "csrf_token": csrf_token(client)})
    flash = re.compile(r'<p class="flash[^"]*" role="status">(.*?)</p>', re.S)
    assert flash.findall(locked_page) == flash.findall(ghost.get_data(as_text=True))
    assert flash.findall(locked_page)


def test_a_family_members_login_does_not_count_against_the_other(client, session, make_user,
                                                                  make_person):
    """Mother (volunteer) and daughter (donor) share a mobile: the daughter's logins try
    the mother's account first, and must not wear it down to a lock."""
    mother = make_user("volunteer", person=make_person(name="周丽", mobile="13905710002"))
    daughter = make_user("donor", person=make_person(name="周小丽", mobile="13905710002"))
    daughter_user = _fresh(session, daughter)
    daughter_user.password_hash = users.generate_password_hash("Daughter-pw-1")
    session.flush()
    for _ in range(6):
        resp = client.post("/login", data={"username": "13905710002",
                                           "password": "Daughter-pw-1",
                                           "csrf_token": csrf_token(client)})
        assert resp.status_code == 302
        client.post("/logout", data={"csrf_token": csrf_token(client)})
    mother = _fresh(session, mother)
    assert not users.locked(mother) and mother.failed_logins == 0


def test_lockout_can_be_turned_off(app, client, session, make_user):
    user = make_user("coordinator")
    app.config["LOGIN_LOCKOUT_ATTEMPTS"] = 0
    try:
        resp = _wrong(client, user, 8)
        assert "连续输错" not in resp.get_data(as_text=True)
        assert login(client, user).status_code == 302
    finally:
        app.config["LOGIN_LOCKOUT_ATTEMPTS"] = 5


def test_exports_are_not_stored_either(client, as_role):
    as_role("admin")
    resp = client.get("/admin/audit/export.csv")
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    resp.close()


def test_hsts_follows_a_trusted_proxys_https(tmp_path):
    app = make_test_app(str(tmp_path), f"sqlite:///{tmp_path}/p.db", PROXY_HOPS=1)
    # PROXY_HOPS is read when the app is made; build one the way create_app does.
    from werkzeug.middleware.proxy_fix import ProxyFix

    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    client = app.test_client()
    plain = client.get("/login")
    proxied = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in plain.headers
    assert proxied.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("username, password, mobile, refused", [
    ("v12", "Passwd123!", "", False),      # generated names are not checked
    ("d7", "Hd7-garden", "", False),
    ("abc", "abc-Garden1", "", False),     # nor names of three characters or fewer
    ("liwei", "Liwei-2026", "", True),
    ("v12", "a13905710001", "13905710001", True),  # her mobile is
])
def test_password_policy_words(app_ctx, username, password, mobile, refused):
    if refused:
        with pytest.raises(DomainError):
            users.check_password_policy(password, username=username, mobile=mobile)
    else:
        users.check_password_policy(password, username=username, mobile=mobile)


def test_logins_go_on_when_redis_is_down(tmp_path, monkeypatch):
    """Redis holds the shared rate limits. With it unreachable, logins are neither refused
    with an error page nor unlimited: each process counts on its own until it is back."""
    from matchmaker.extensions import limiter

    # The limiter is one object for every app in this test run, and it remembers that its
    # storage died (Flask-Limiter's private flag, rechecked only after a back-off): put it
    # back afterwards, or later tests would count in the fallback store.
    monkeypatch.setattr(limiter, "_storage_dead", limiter._storage_dead)
    app = make_test_app(str(tmp_path), f"sqlite:///{tmp_path}/r.db",
                        RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0",  # nothing listens
                        LOGIN_RATE_LIMIT="3 per minute")
    reset_database(app)
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    try:
        codes = [client.post("/login", data={"username": "x", "password": "y-1234567",
                                             "csrf_token": token}).status_code
                 for _ in range(5)]
    finally:
        # The limiter is one object for every app: give it back an in-memory store, so
        # that later tests do not count against a Redis that is not there.
        make_test_app(str(tmp_path), f"sqlite:///{tmp_path}/r.db")
    assert codes == [200, 200, 200, 429, 429]
