from sqlalchemy import select

from matchmaker.models import AuditEvent, User
from tests.conftest import PASSWORD, csrf_token, login, make_test_app


def test_login_with_a_real_scrypt_password(app_ctx, client):
    from matchmaker.services.users import create_user

    user = create_user(username="wang", password="Secret-2026", role="admin")
    assert user.password_hash.startswith("scrypt:")
    app_ctx.commit()
    resp = login(client, user, password="Secret-2026")
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    assert "工作台" in client.get("/").get_data(as_text=True)


def test_wrong_password_and_unknown_user(client, session, make_user):
    user = make_user("admin")
    resp = login(client, user, password="wrong-password")
    assert resp.status_code == 200
    assert "用户名或密码不正确" in resp.get_data(as_text=True)
    resp = client.post("/login", data={"username": "nobody", "password": "x",
                                       "csrf_token": csrf_token(client)})
    assert "用户名或密码不正确" in resp.get_data(as_text=True)
    assert client.get("/").status_code == 302
    failures = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "login_failed")).all()
    assert len(failures) == 2


def test_inactive_account_cannot_log_in(client, session, make_user):
    user = make_user("coordinator")
    user.active = False
    session.flush()
    assert login(client, user).status_code == 200
    assert client.get("/").status_code == 302


def test_logout_needs_post_and_ends_the_session(client, as_role):
    as_role("admin")
    assert client.get("/logout").status_code == 405
    resp = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert resp.status_code == 302
    assert client.get("/").status_code == 302


def test_next_parameter_stays_on_site(client, make_user):
    user = make_user("admin")
    token = csrf_token(client)
    for target, expected in [("/people/", "/people/"), ("https://evil.example/", "/"),
                             ("//evil.example/", "/")]:
        resp = client.post(f"/login?next={target}", data={
            "username": user.username, "password": PASSWORD, "csrf_token": token})
        assert resp.headers["Location"] == expected
        client.post("/logout", data={"csrf_token": csrf_token(client)})
        token = csrf_token(client)


def test_login_is_rate_limited(tmp_path):
    from tests.conftest import reset_database

    app = make_test_app(str(tmp_path), f"sqlite:///{tmp_path}/rl.db",
                        LOGIN_RATE_LIMIT="3 per minute")
    reset_database(app)
    client = app.test_client()
    codes = []
    for _ in range(5):
        codes.append(client.post("/login", data={"username": "x", "password": "y",
                                                 "csrf_token": csrf_token(client)}).status_code)
    assert codes[:3] == [200, 200, 200]
    assert codes[3:] == [429, 429]
    limited = client.post("/login", data={"username": "x", "password": "y",
                                          "csrf_token": csrf_token(client)})
    assert "过于频繁" in limited.get_data(as_text=True)


def test_each_role_lands_on_its_home(client, session, as_role, make_person):
    from matchmaker.models import DonorProfile, VolunteerProfile

    vol = make_person("志愿者甲", mobile="13800001111")
    session.add(VolunteerProfile(person=vol, team="家庭教育", availability="we_am"))
    session.flush()
    as_role("volunteer", person=vol)
    html = client.get("/").get_data(as_text=True)
    assert "我的志愿服务" in html and "家庭教育" in html and "138****1111" in html
    assert "/registry/" not in html
    client.post("/logout", data={"csrf_token": csrf_token(client)})

    donor = make_person("捐助人甲")
    session.add(DonorProfile(person=donor, kind="person", display_name="沈女士"))
    session.flush()
    as_role("donor", person=donor)
    assert "沈女士" in client.get("/").get_data(as_text=True)


def test_language_switch(client, as_role):
    as_role("admin")
    assert "工作台" in client.get("/").get_data(as_text=True)
    resp = client.post("/language", data={"lang": "en", "next": "/people/",
                                          "csrf_token": csrf_token(client)})
    assert resp.headers["Location"] == "/people/"
    html = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in html and "Dashboard" in html and "工作台" not in html
    client.post("/language", data={"lang": "xx", "csrf_token": csrf_token(client)})
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


def test_security_headers(client):
    resp = client.get("/login")
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_user_accounts_are_audited_without_passwords(app_ctx):
    from matchmaker.services.users import create_user

    user = create_user(username="liwei", password="Secret-2026", role="admin")
    events = app_ctx.scalars(select(AuditEvent).where(
        AuditEvent.target_type == User.__tablename__)).all()
    assert [e.action for e in events] == ["create"]
    assert "Secret" not in str(events[0].detail) and user.id == events[0].target_id


def test_a_sign_out_sticks_even_when_its_request_fails(app, client, as_role, monkeypatch):
    """The database fails as she signs out: the page says nothing was saved, but on a
    shared office PC the next person must not find her still signed in."""
    from sqlalchemy import exc as sa_exc

    from matchmaker.extensions import db

    as_role("coordinator")
    token = csrf_token(client)

    def commit():
        raise sa_exc.OperationalError("COMMIT", {}, ConnectionError("terminating"))

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setattr(db.session, "commit", commit)
    resp = client.post("/logout", data={"csrf_token": token})
    assert resp.status_code == 503
    monkeypatch.undo()
    with client.session_transaction() as sess:
        assert "_user_id" not in sess
    assert client.get("/").status_code == 302  # to the login page
