"""The CLI: seed-demo (idempotent), demo-accounts, create-user."""

from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.models import AuditEvent, Person, Region, SpringBudProfile, User
from tests.conftest import make_test_app, reset_database


def fresh_app(tmp_path):
    app = make_test_app(str(tmp_path), f"sqlite:///{tmp_path}/cli.db")
    reset_database(app)
    return app


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
                for m in (Region, Person, User, SpringBudProfile)}


def test_seed_demo_twice_creates_nothing_new(tmp_path):
    app = fresh_app(tmp_path)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "已加载演示数据" in first.output
    after_first = counts(app)
    assert after_first["Region"] >= 13 and after_first["Person"] >= 300
    assert after_first["User"] == 5 and after_first["SpringBudProfile"] >= 40
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "没有新增" in second.output
    assert counts(app) == after_first
    third = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "未加载" in third.output and counts(app) == after_first


def test_demo_accounts_log_in_with_the_documented_password(tmp_path):
    app = fresh_app(tmp_path)
    app.test_cli_runner().invoke(args=["seed-demo"])
    with app.app_context():
        town = db.session.scalar(select(User).where(User.username == "town-coordinator"))
        assert [r.name for r in town.regions] == ["盐官镇"]
        vol = db.session.scalar(select(User).where(User.username == "volunteer"))
        assert vol.person is not None
        seeded_by = set(db.session.scalars(select(AuditEvent.actor)))
        assert seeded_by == {"seed-demo"}
    client = app.test_client()
    from tests.conftest import csrf_token

    for username in ("admin", "coordinator", "town-coordinator", "volunteer", "donor"):
        resp = client.post("/login", data={"username": username, "password": "matchmaker-demo",
                                           "csrf_token": csrf_token(client)})
        assert resp.status_code == 302, username
        assert client.get("/").status_code == 200
        client.post("/logout", data={"csrf_token": csrf_token(client)})


def test_town_coordinator_sees_only_her_town_in_demo(tmp_path):
    app = fresh_app(tmp_path)
    app.test_cli_runner().invoke(args=["seed-demo"])
    from tests.conftest import csrf_token

    client = app.test_client()
    client.post("/login", data={"username": "town-coordinator", "password": "matchmaker-demo",
                                "csrf_token": csrf_token(client)})
    html = client.get("/people/").get_data(as_text=True)
    assert "盐官镇" in html and "许村镇" not in html


def test_demo_accounts_are_printed(tmp_path):
    out = fresh_app(tmp_path).test_cli_runner().invoke(args=["demo-accounts"]).output
    assert "matchmaker-demo" in out
    for name in ("admin", "coordinator", "town-coordinator", "volunteer", "donor"):
        assert name in out


def test_create_user(tmp_path):
    app = fresh_app(tmp_path)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["create-user", "--username", "chief", "--role", "admin",
                             "--password", "Good-pass-1"])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(args=["create-user", "--username", "c2", "--role", "coordinator",
                              "--password", "Good-pass-1"])
    assert bad.exit_code == 2
    weak = runner.invoke(args=["create-user", "--username", "weakling", "--role", "admin",
                               "--password", "short"])
    assert weak.exit_code == 2 and "密码至少" in weak.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_a_production_start_creates_no_demo_data(tmp_path, monkeypatch):
    """Creating the app and upgrading the schema never seeds anything."""
    app = fresh_app(tmp_path)
    assert counts(app) == {"Region": 0, "Person": 0, "User": 0, "SpringBudProfile": 0}


def test_an_admin_locked_out_gets_back_in_from_the_command_line(tmp_path):
    """An administrator who locked herself out (or was locked out by someone guessing)
    has the server's command line: unlock-user, or set-password."""
    from datetime import timedelta

    from matchmaker.models import AuditEvent
    from matchmaker.models.base import utcnow
    from matchmaker.services import users

    app = fresh_app(tmp_path)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["create-user", "--username", "chief", "--role", "admin",
                               "--password", "Good-pass-1"]).exit_code == 0

    def lock():
        with app.app_context():
            user = db.session.scalar(select(User).where(User.username == "chief"))
            user.locked_until = utcnow() + timedelta(minutes=15)
            db.session.commit()

    def is_locked():
        with app.app_context():
            return users.locked(db.session.scalar(select(User).where(User.username == "chief")))

    lock()
    out = runner.invoke(args=["unlock-user", "chief"])
    assert out.exit_code == 0 and "已解除 chief 的登录锁定" in out.output
    assert not is_locked()
    assert "没有被锁定" in runner.invoke(args=["unlock-user", "chief"]).output
    assert runner.invoke(args=["unlock-user", "nobody"]).exit_code == 2

    lock()
    weak = runner.invoke(args=["set-password", "chief", "--password", "password1"])
    assert weak.exit_code == 2 and "太常见" in weak.output and is_locked()
    out = runner.invoke(args=["set-password", "chief", "--password", "New-pass-22"])
    assert out.exit_code == 0, out.output
    assert not is_locked()
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.target_type == "user_account").order_by(AuditEvent.id)))
    assert actions.count("account_unlocked") == 2 and actions[-1] == "set_password"
