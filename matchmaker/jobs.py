"""Background jobs on RQ (when REDIS_URL is set): large match runs.

A job is queued only after the request that created its run has committed (so the
worker finds the row); the worker commits progress as it goes, so the page's progress
bar moves.
"""

from __future__ import annotations

import logging

from flask import current_app, g

log = logging.getLogger(__name__)
QUEUE = "matchmaker"


def after_commit(callback) -> None:
    """Run ``callback`` once this request's transaction has committed."""
    g.setdefault("after_commit", []).append(callback)


def queue():
    from redis import Redis
    from rq import Queue

    return Queue(QUEUE, connection=Redis.from_url(current_app.config["REDIS_URL"]))


def enqueue_run(run_id: int) -> None:
    """Queue the run once it is committed; if the queue cannot take it, the run is marked
    failed at once rather than left "queued" (which would block the programme)."""

    def send() -> None:
        from matchmaker.extensions import db
        from matchmaker.services import match_runs

        try:
            queue().enqueue(run_match, run_id, job_timeout=3600,
                            description=f"match run {run_id}")
        except Exception as exc:  # Redis down, refused, misconfigured
            log.error("could not queue match run %s: %s", run_id, type(exc).__name__)
            db.session.rollback()
            match_runs.fail_run(run_id, "后台队列不可用，请稍后重试")
            db.session.commit()

    after_commit(send)


def run_match(run_id: int) -> None:
    """The job: execute one run in its own application context, committing progress."""
    from matchmaker import create_app
    from matchmaker.extensions import db
    from matchmaker.models import MatchRun
    from matchmaker.services import audit, match_runs

    app = create_app()
    with app.app_context():
        run = db.session.get(MatchRun, run_id)
        if run is None or run.status not in ("queued", "running"):
            log.warning("match run %s not found or already finished", run_id)
            return
        with audit.acting_as(audit.Actor(run.created_by, "worker")):
            try:
                match_runs.execute_run(run_id, on_progress=lambda _run: db.session.commit())
                db.session.commit()
            except Exception as exc:
                db.session.rollback()
                match_runs.fail_run(run_id, f"{type(exc).__name__}: {exc}")
                db.session.commit()
                raise
