"""User accounts and the audit log, for admins only."""

import pytest
from sqlalchemy import select

from matchmaker.models import AuditEvent, User
from tests.conftest import csrf_token, login

ADMIN_PAGES = ["/admin/users", "/admin/users/new", "/admin/audit"]


@pytest.mark.parametrize("role", ["coordinator", "volunteer", "donor"])
def test_only_admins(client, as_role, role):
    as_role(role)
    for url in ADMIN_PAGES:
        assert client.get(url).status_code == 403, url


def test_anonymous_goes_to_login(client):
    for url in ADMIN_PAGES:
        assert "/login" in client.get(url).headers["Location"]


def test_create_coordinator_for_a_town_then_edit(client, session, as_role, regions):
    as_role("admin")
    form = {"csrf_token": csrf_token(client), "username": "yanguan", "display_name": "盐官",
            "role": "coordinator", "regions": ["330481107"], "active": "y",
            "password": "Town-pass-1"}
    resp = client.post("/admin/users/new", data=form)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    user = session.scalar(select(User).where(User.username == "yanguan"))
    assert [r.code for r in user.regions] == ["330481107"]
    assert user.password_hash.startswith("scrypt:")
    assert "yanguan" in client.get("/admin/users").get_data(as_text=True)

    edit = {"csrf_token": csrf_token(client), "username": "yanguan", "display_name": "盐官",
            "role": "coordinator", "regions": ["330481101"], "password": ""}
    assert client.post(f"/admin/users/{user.id}", data=edit).status_code == 302
    user = session.get(User, user.id)
    assert [r.code for r in user.regions] == ["330481101"] and user.active is False
    fields = session.scalars(select(AuditEvent.detail).where(
        AuditEvent.target_type == "user_account", AuditEvent.action == "update")).all()
    assert any("active" in f.get("fields", []) for f in fields)


def test_deactivated_account_cannot_log_in(client, session, as_role, make_user):
    target = make_user("coordinator")
    as_role("admin")
    client.post(f"/admin/users/{target.id}", data={
        "csrf_token": csrf_token(client), "username": target.username, "display_name": "x",
        "role": "coordinator", "regions": ["330481"], "password": ""})
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert login(client, target).status_code == 200
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(("override", "message"), [
    ({"regions": []}, "必须指定负责的地区"),
    ({"password": "short"}, "密码至少 8 位"),
    ({"username": "李"}, "用户名须为"),
    ({"regions": ["999"]}, "不是有效的选择"),
])
def test_bad_account_input(client, session, as_role, regions, override, message):
    as_role("admin")
    form = {"csrf_token": csrf_token(client), "username": "newbie", "display_name": "",
            "role": "coordinator", "regions": ["330481"], "active": "y",
            "password": "Good-pass-1"}
    form.update(override)
    resp = client.post("/admin/users/new", data=form)
    assert resp.status_code == 422
    assert message in resp.get_data(as_text=True)
    assert session.scalar(select(User).where(User.username == form["username"])) is None


def test_audit_log_lists_reveals(client, session, as_role, make_person):
    person = make_person()
    as_role("admin")
    client.post(f"/people/{person.id}/reveal", data={"field": "mobile",
                                                     "csrf_token": csrf_token(client)})
    html = client.get("/admin/audit?action=reveal").get_data(as_text=True)
    assert "查看完整号码" in html and f"#{person.id}" in html
    assert "13812345678" not in html
