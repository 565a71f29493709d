"""Races with real connections: a throwaway database (SQLite file, or a fresh PostgreSQL
database when TEST_DATABASE_URL is set) and a way to start many threads at one moment,
each with its own application context, connection and session."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import create_engine, select, text

from matchmaker.config import database_url
from matchmaker.extensions import db
from matchmaker.models import Region
from matchmaker.services.errors import DomainError
from tests.conftest import make_test_app, reset_database

PG = os.environ.get("TEST_DATABASE_URL", "")


def race_app(request, tmp_path_factory, label: str) -> Iterator[Flask]:
    """Body of a module-scoped fixture parametrised with "sqlite" and "postgresql"."""
    tmp = tmp_path_factory.mktemp(label)
    admin = name = None
    if request.param == "postgresql":
        if not PG.startswith("postgres"):
            pytest.skip("PostgreSQL not configured: set TEST_DATABASE_URL to run")
        base = database_url(PG)
        name = f"mm_{label}_{uuid.uuid4().hex[:8]}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = base.rsplit("/", 1)[0] + "/" + name
    else:
        url = f"sqlite:///{tmp}/{label}.db"
    app = make_test_app(str(tmp), url)
    reset_database(app)
    yield app
    with app.app_context():
        db.engine.dispose()
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def city() -> Region:
    """海宁市, made on first use (inside an application context)."""
    found = db.session.scalar(select(Region).where(Region.code == "330481"))
    if found is None:
        found = Region(code="330481", name="海宁市", level="city", path="330481/")
        db.session.add(found)
    return found


def run_at_once(app, work_items, work) -> list[str]:
    """Run ``work.act(work.prepare(item))`` for every item in its own thread, all released
    together; returns "ok" or the DomainError message of each, in order."""
    barrier = threading.Barrier(len(work_items), timeout=60)
    outcomes = [""] * len(work_items)

    def run(k, item):
        with app.app_context():
            prepared = work.prepare(item)
            # End the read transaction before the race: on SQLite (BEGIN IMMEDIATE) an
            # open transaction holds the write lock, and the others could not get ready.
            db.session.commit()
            barrier.wait()
            try:
                work.act(prepared)
                db.session.commit()
                outcomes[k] = "ok"
            except DomainError as e:
                db.session.rollback()
                outcomes[k] = e.message

    threads = [threading.Thread(target=run, args=(k, item)) for k, item in enumerate(work_items)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes
