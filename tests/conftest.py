"""Shared fixtures: one migrated database per run (SQLite, or PostgreSQL when
TEST_DATABASE_URL is set); every test runs inside a transaction that is rolled back."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from datetime import date

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import text
from sqlalchemy.orm import scoped_session, sessionmaker
from werkzeug.security import generate_password_hash

from matchmaker import create_app
from matchmaker.config import database_url
from matchmaker.extensions import db
from matchmaker.models import ConsentRecord, Person, Region, User, VolunteerProfile
from matchmaker.models.base import utcnow
from matchmaker.services.pinyin import name_keys
from matchmaker.services.privacy import IdVault
from tests.ids import make_id

# Builders for the volunteer-service tests live beside this file.
pytest_plugins = ("tests.volunteering", "tests.sponsorship_fixtures")

PASSWORD = "test-pass-123"
# A cheap hash for builder-made users; the real scrypt path is tested in test_auth.
_PW_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
ID_KEY = Fernet.generate_key().decode()
_USER_SEQ = itertools.count(1)


def test_database_url(tmp_dir: str) -> str:
    return database_url(os.environ.get("TEST_DATABASE_URL")) or f"sqlite:///{tmp_dir}/test.db"


def make_test_app(instance: str, url: str, **overrides) -> Flask:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "ID_KEY": ID_KEY,
        "SQLALCHEMY_DATABASE_URI": url,
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": "localhost",
    }
    config.update(overrides)
    return create_app(config, instance_path=instance)


def reset_database(app: Flask) -> None:
    """Drop everything, then build the schema from the migrations (not create_all)."""
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()


@pytest.fixture(scope="session")
def app(tmp_path_factory) -> Iterator[Flask]:
    instance = str(tmp_path_factory.mktemp("instance"))
    app = make_test_app(instance, test_database_url(instance))
    reset_database(app)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def session(app: Flask) -> Iterator:
    """A session bound to one connection whose outer transaction is rolled back.

    No application context stays pushed during the test: a request must get its own
    (and its own ``g``), as it would in production. Use ``app_ctx`` for direct calls.
    """
    with app.app_context():
        connection = db.engine.connect()
    outer = connection.begin()
    original = db.session
    db.session = scoped_session(sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False))
    try:
        yield db.session
    finally:
        db.session.remove()
        db.session = original
        outer.rollback()
        connection.close()


@pytest.fixture
def app_ctx(app: Flask, session):
    """An application context for tests that call services directly (no requests)."""
    with app.app_context():
        yield session


@pytest.fixture
def client(app: Flask, session):
    return app.test_client()


@pytest.fixture
def regions(session) -> dict[str, Region]:
    """海宁市 with two towns, two villages each: enough for scope tests."""
    made: dict[str, Region] = {}

    def add(code: str, name: str, level: str, parent: str | None) -> None:
        p = made[parent] if parent else None
        made[code] = Region(code=code, name=name, level=level, parent=p,
                            path=(p.path if p else "") + code + "/")
        session.add(made[code])

    add("330481", "海宁市", "city", None)
    add("330481107", "盐官镇", "town", "330481")
    add("330481107201", "郭店村", "village", "330481107")
    add("330481107202", "桃园村", "village", "330481107")
    add("330481101", "许村镇", "town", "330481")
    add("330481101201", "许巷村", "village", "330481101")
    add("330481101202", "永福村", "village", "330481101")
    session.flush()
    return made


def _region(session, code: str) -> Region:
    """The region from the current session (fixtures' objects may be detached by then)."""
    from sqlalchemy import select

    return session.scalar(select(Region).where(Region.code == code))


@pytest.fixture
def make_user(session, regions):
    def build(role: str, *, username: str | None = None, region_codes=("330481",),
              person: Person | None = None) -> User:
        user = User(username=username or f"{role}-{next(_USER_SEQ)}",
                    role=role, display_name=role, password_hash=_PW_HASH, person=person,
                    regions=[_region(session, c) for c in region_codes]
                    if role == "coordinator" else [])
        session.add(user)
        session.flush()
        return user

    return build


@pytest.fixture
def make_person(app, session, regions):
    counter = iter(range(1, 10_000))

    def build(name: str = "陈晓燕", *, region: str = "330481107201", birth: date = date(1985, 3, 8),
              gender: str = "F", mobile: str | None = "13812345678",
              id_number: str | None = "auto") -> Person:
        n = next(counter)
        if id_number == "auto":
            id_number = make_id("330481", birth, n, female=(gender == "F"))
        pinyin, initials = name_keys(name)
        v = IdVault(ID_KEY)  # not vault(): popping an app context would end the session
        person = Person(name=name, name_pinyin=pinyin, name_initials=initials, gender=gender,
                        birth_date=birth, mobile=mobile, region=_region(session, region),
                        status="active",
                        id_cipher=v.encrypt(id_number) if id_number else None,
                        id_hash=v.digest(id_number) if id_number else None,
                        id_tail=id_number[-4:] if id_number else None)
        session.add(person)
        session.flush()
        return person

    return build


@pytest.fixture
def make_applicant(session, make_person):
    """A volunteer applicant as the sign-up page leaves her: pending, with her consent."""

    def build(name: str = "沈小芳", *, region: str = "330481107201",
              mobile: str | None = "13957001234", status: str = "pending",
              consented: bool = True) -> VolunteerProfile:
        person = make_person(name, region=region, mobile=mobile)
        if consented:
            session.add(ConsentRecord(person=person, purpose="volunteer",
                                      notice_version="2026-11", channel="web",
                                      given_at=utcnow()))
        profile = VolunteerProfile(person=person, team="家庭教育", teams="家庭教育,法律维权",
                                   services="助老", skills="心理咨询", availability="we_am,wd_ev",
                                   source="signup", status=status)
        session.add(profile)
        session.flush()
        return profile

    return build


def login(client, user: User, password: str = PASSWORD):
    return client.post("/login", data={"username": user.username, "password": password,
                                       "csrf_token": csrf_token(client)})


def csrf_token(client) -> str:
    """The CSRF token of the client's session (every page carries one)."""
    html = client.get("/", follow_redirects=True).get_data(as_text=True)
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert m, "no csrf token on the page"
    return m.group(1)


@pytest.fixture
def as_role(client, make_user):
    """Log the client in as a new user of the given role."""

    def do(role: str, **kwargs) -> User:
        user = make_user(role, **kwargs)
        resp = login(client, user)
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return user

    return do


def seeded_demo_app(tmp_path_factory, label: str) -> Iterator[Flask]:
    """Body of a module-scoped fixture: an app on its own SQLite file with the demo county
    seeded (``seed-demo``), for tests that read the whole demo as a user would."""
    tmp = tmp_path_factory.mktemp(label)
    app = make_test_app(str(tmp), f"sqlite:///{tmp}/{label}.db")
    reset_database(app)
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    yield app
    with app.app_context():
        db.engine.dispose()


def linked_css(client, html: str) -> str:
    """The text of every stylesheet the page links (pages keep no inline style: the CSP
    forbids it), for tests of print layouts."""
    import re

    found = []
    for href in re.findall(r'<link rel="stylesheet" href="([^"]+)"', html):
        resp = client.get(href)
        assert resp.status_code == 200, href
        found.append(resp.get_data(as_text=True))
        resp.close()
    return "\n".join(found)
