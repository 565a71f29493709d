"""The one-time set-password link, and logging in by mobile afterwards."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from matchmaker.models import (
    AuditEvent,
    Notification,
    OneTimeToken,
)
from matchmaker.models.base import utcnow
from tests.conftest import csrf_token

MOBILE = "13957001234"
NEW_PASSWORD = "Garden-2026"


@pytest.fixture
def applicant(make_applicant):
    return make_applicant(mobile=MOBILE)


def accept_and_get_link(client, session, as_role, profile) -> str:
    """A coordinator accepts her; returns the path of the link in her message, logged out."""
    as_role("coordinator")
    resp = client.post(f"/volunteers/{profile.id}/accept",
                       data={"csrf_token": csrf_token(client)})
    assert resp.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    return sms_link(session, profile.person_id)


def sms_link(session, person_id: int) -> str:
    """The path of the link in her newest SMS (kept apart from the text until used)."""
    secret = session.scalar(select(Notification.secret).where(
        Notification.person_id == person_id, Notification.channel == "sms",
        Notification.secret.is_not(None)).order_by(Notification.id.desc()))
    return re.fullmatch(r"http://localhost(/account/set-password/[\w-]+)", secret).group(1)


def set_password(client, path: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    return client.post(path, data={"password": password,
                                   "confirm": password if confirm is None else confirm,
                                   "csrf_token": csrf_token(client)})


def log_in(client, name: str, password: str = NEW_PASSWORD):
    return client.post("/login", data={"username": name, "password": password,
                                       "csrf_token": csrf_token(client)})


def test_link_sets_the_password_and_she_logs_in_with_her_mobile(client, session, as_role,
                                                                applicant):
    path = accept_and_get_link(client, session, as_role, applicant)

    page = client.get(path)
    assert page.status_code == 200 and "设置密码" in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"

    resp = set_password(client, path)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    # Used: the outbox no longer holds the link anywhere.
    assert session.scalar(select(func.count(Notification.id)).where(
        Notification.person_id == applicant.person_id,
        Notification.secret.is_not(None))) == 0
    assert "密码已设置" in client.get("/login").get_data(as_text=True)

    for name in (MOBILE, "139 5700 1234"):
        resp = log_in(client, name)
        assert resp.status_code == 302, name
        assert "我的志愿服务" in client.get("/").get_data(as_text=True)
        client.post("/logout", data={"csrf_token": csrf_token(client)})
    wrong = log_in(client, MOBILE, "Wrong-2026")
    assert wrong.status_code == 200
    assert "用户名或密码不正确" in wrong.get_data(as_text=True)

    # The link works once.
    again = client.get(path)
    assert again.status_code == 410
    assert "链接已失效或已使用，请联系所在地妇联重新发送" in again.get_data(as_text=True)
    assert again.headers["Referrer-Policy"] == "no-referrer"
    assert set_password(client, path, "Other-pass-1").status_code == 410
    assert log_in(client, MOBILE).status_code == 302


def test_login_page_asks_for_username_or_mobile(client):
    html = client.get("/login").get_data(as_text=True)
    assert "用户名或手机号" in html and 'id="username"' in html and 'name="username"' in html


@pytest.mark.parametrize(("password", "confirm", "message"), [
    ("short1", None, "密码至少 8 位"),
    ("onlyletters", None, "密码须同时包含字母和数字或符号"),
    (NEW_PASSWORD, "Garden-2027", "两次输入的密码不一致"),
    ("", None, "请输入新密码"),
])
def test_refused_password_keeps_the_link_usable(client, session, as_role, applicant,
                                                password, confirm, message):
    path = accept_and_get_link(client, session, as_role, applicant)
    resp = set_password(client, path, password, confirm)
    assert resp.status_code == 422
    assert message in resp.get_data(as_text=True)
    assert client.get(path).status_code == 200
    assert set_password(client, path).status_code == 302


def test_expired_link_is_gone(client, session, as_role, applicant):
    path = accept_and_get_link(client, session, as_role, applicant)
    token = session.scalar(select(OneTimeToken))
    token.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()  # (a refused request rolls back what is not committed)
    assert client.get(path).status_code == 410
    assert set_password(client, path).status_code == 410


def test_unknown_link_is_gone(client):
    assert client.get("/account/set-password/made-up-token").status_code == 410


def test_resending_invalidates_the_first_link(client, session, as_role, applicant):
    first = accept_and_get_link(client, session, as_role, applicant)
    as_role("coordinator")
    client.post(f"/volunteers/{applicant.id}/resend-link",
                data={"csrf_token": csrf_token(client)})
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    second = sms_link(session, applicant.person_id)
    assert second != first
    # The superseded link is forgotten: only the newest SMS still holds one.
    assert session.scalar(select(func.count(Notification.id)).where(
        Notification.person_id == applicant.person_id,
        Notification.secret.is_not(None))) == 1
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200


def test_token_is_never_in_the_audit_log_nor_the_app_log(client, session, as_role,
                                                          applicant, caplog):
    caplog.set_level(logging.DEBUG)
    path = accept_and_get_link(client, session, as_role, applicant)
    raw = path.rsplit("/", 1)[1]
    set_password(client, path, "short1")
    set_password(client, path)
    set_password(client, path)  # reused
    events = session.scalars(select(AuditEvent)).all()
    assert any(e.action == "set_password" for e in events)
    for e in events:
        assert raw not in f"{e.actor} {e.action} {e.target_type} {e.detail}"
    assert raw not in caplog.text
    stored = session.scalar(select(OneTimeToken))
    assert raw not in stored.token_hash


def test_set_password_posts_are_rate_limited(app, client, session, as_role, applicant,
                                             monkeypatch):
    path = accept_and_get_link(client, session, as_role, applicant)
    monkeypatch.setitem(app.config, "SET_PASSWORD_RATE_LIMIT", "2 per minute")
    codes = [set_password(client, path, "short1").status_code for _ in range(3)]
    assert codes == [422, 422, 429]
    assert client.get(path).status_code == 200  # looking is not limited
