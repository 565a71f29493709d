"""With Redis, the login limit is shared by every app server (not counted per process)."""

import os
import uuid

import pytest

from tests.conftest import csrf_token, make_test_app, reset_database

REDIS_URL = os.environ.get("TEST_REDIS_URL")


@pytest.mark.skipif(not REDIS_URL, reason="Redis not configured: set TEST_REDIS_URL to run")
def test_two_app_servers_share_the_login_limit(tmp_path):
    settings = {"RATELIMIT_STORAGE_URI": REDIS_URL, "LOGIN_RATE_LIMIT": "3 per minute",
                "RATELIMIT_KEY_PREFIX": f"mm-test-{uuid.uuid4().hex}"}
    url = f"sqlite:///{tmp_path}/rl.db"
    first = make_test_app(str(tmp_path), url, **settings)
    second = make_test_app(str(tmp_path), url, **settings)
    reset_database(first)
    codes = []
    for app in (first, second, first, second, first):
        client = app.test_client()
        codes.append(client.post("/login", data={"username": "x", "password": "y",
                                                 "csrf_token": csrf_token(client)}).status_code)
    assert codes == [200, 200, 200, 429, 429]
