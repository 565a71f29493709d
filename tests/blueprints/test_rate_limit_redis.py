"""With Redis, the login and sign-up limits are shared by every app server (not counted
per process)."""

import os
import uuid

import pytest

from tests.conftest import csrf_token, make_test_app, reset_database

REDIS_URL = os.environ.get("TEST_REDIS_URL")


@pytest.mark.skipif(not REDIS_URL, reason="Redis not configured: set TEST_REDIS_URL to run")
@pytest.mark.parametrize(("path", "setting", "data", "refused"), [
    ("/login", "LOGIN_RATE_LIMIT", {"username": "x", "password": "y"}, 200),
    ("/join", "SIGNUP_RATE_LIMIT", {}, 422),
])
def test_two_app_servers_share_the_limit(tmp_path, path, setting, data, refused):
    settings = {"RATELIMIT_STORAGE_URI": REDIS_URL, setting: "3 per minute",
                "RATELIMIT_KEY_PREFIX": f"mm-test-{uuid.uuid4().hex}"}
    url = f"sqlite:///{tmp_path}/rl.db"
    first = make_test_app(str(tmp_path), url, **settings)
    second = make_test_app(str(tmp_path), url, **settings)
    reset_database(first)
    try:
        codes = []
        for app in (first, second, first, second, first):
            client = app.test_client()
            codes.append(client.post(path, data={**data, "csrf_token": csrf_token(client)})
                         .status_code)
        assert codes == [refused, refused, refused, 429, 429]
    finally:
        # The limiter is one object for every app: give it back an in-memory store, so
        # that later tests do not count against this Redis.
        make_test_app(str(tmp_path), url)
