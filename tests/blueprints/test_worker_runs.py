"""With REDIS_URL, a large run goes to an RQ worker and the page shows its progress."""

import os

import pytest
from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.models import MatchRun
from tests.conftest import ID_KEY, csrf_token, make_test_app, reset_database

REDIS_URL = os.environ.get("TEST_REDIS_URL")


@pytest.mark.skipif(not REDIS_URL, reason="Redis not configured: set TEST_REDIS_URL to run")
def test_large_run_goes_to_the_worker(tmp_path, monkeypatch):
    from redis import Redis
    from rq import Queue, SimpleWorker

    from matchmaker.jobs import QUEUE
    from matchmaker.services import match_runs

    url = f"sqlite:///{tmp_path}/worker.db"
    for key, value in {"DATABASE_URL": url, "MATCHMAKER_INSTANCE": str(tmp_path),
                       "MATCHMAKER_ID_KEY": ID_KEY, "SECRET_KEY": "test-secret",
                       "REDIS_URL": REDIS_URL}.items():
        monkeypatch.setenv(key, value)  # the worker builds its own app from these
    monkeypatch.setattr(match_runs, "INLINE_LIMIT", 10)
    app = make_test_app(str(tmp_path), url, REDIS_URL=REDIS_URL, JOBS_INLINE=False)
    reset_database(app)
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    redis = Redis.from_url(REDIS_URL)
    queue = Queue(QUEUE, connection=redis)
    queue.empty()

    client = app.test_client()
    client.post("/login", data={"username": "coordinator", "password": "matchmaker-demo",
                                "csrf_token": csrf_token(client)})
    with app.app_context():
        from matchmaker.models import Programme

        programme_id = db.session.scalar(select(Programme.id).where(
            Programme.name.contains("农村妇女")))
    resp = client.post(f"/programmes/{programme_id}/runs",
                       data={"csrf_token": csrf_token(client)})
    run_url = resp.headers["Location"]
    waiting = client.get(run_url).get_data(as_text=True)
    assert "<progress" in waiting and "排队中" in waiting
    assert len(queue) == 1

    SimpleWorker([queue], connection=redis).work(burst=True)

    done = client.get(run_url).get_data(as_text=True)
    assert "<progress" not in done and "建议 100 对" in done
    with app.app_context():
        run = db.session.scalar(select(MatchRun).order_by(MatchRun.id.desc()))
        assert (run.status, run.progress) == ("done", 100)
        assert run.inputs["pool_hash"]
