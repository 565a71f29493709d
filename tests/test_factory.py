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
