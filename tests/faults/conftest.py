"""Fault tests run the real server (gunicorn) in its own process group, on SQLite always
and on PostgreSQL when TEST_DATABASE_URL is set; see ``site.py``."""

from __future__ import annotations

import pytest

from tests.faults.site import build_site, seed_template


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory):
    yield from seed_template("sqlite", tmp_path_factory.mktemp("faults-template"))


@pytest.fixture(scope="session")
def seeded_postgresql(tmp_path_factory):
    yield from seed_template("postgresql", tmp_path_factory.mktemp("faults-template"))


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql",
                                                                marks=pytest.mark.postgres)])
def site(request, tmp_path_factory):
    """A fresh copy of the demo county, and a server on it (started by the test)."""
    template = request.getfixturevalue(f"seeded_{request.param}")
    yield from build_site(template, tmp_path_factory.mktemp(f"faults-{request.param}"))
