"""Match runs: start one (inline, or on an RQ worker for large pools), execute it, and
keep its inputs so that it can be reproduced."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from matchmaker.extensions import db
from matchmaker.matching.propose import propose
from matchmaker.models import MatchRun, Programme, Proposal, UnmatchedMentee, User
from matchmaker.models.base import utcnow
from matchmaker.services import audit
from matchmaker.services.engine_inputs import (
    ENGINE_VERSION,
    active_pairings,
    build_input,
    load_pools,
)
from matchmaker.services.errors import DomainError, NotFound
from matchmaker.services.programmes import weights_of

# Pools at most this large run inside the request; larger ones go to a worker when one
# is configured (REDIS_URL).
INLINE_LIMIT = 2_000
STALE_AFTER = timedelta(hours=2)


def start_run(*, user: User, programme: Programme,
              enqueue: Callable[[int], None] | None = None) -> MatchRun:
    """Create a run. Small pools (or no worker) run now; large ones are queued."""
    if programme.status != "active":
        raise DomainError(_("项目未在进行中，不能匹配"))
    # A run a lost worker never finished must not block the programme for ever.
    db.session.execute(update(MatchRun).where(
        MatchRun.programme_id == programme.id, MatchRun.status.in_(("queued", "running")),
        MatchRun.created_at < utcnow() - STALE_AFTER)
        .values(status="failed", error=_("超时未完成，已作废"), finished_at=utcnow())
        .execution_options(synchronize_session=False))
    pools = load_pools(programme)
    run = MatchRun(programme=programme, status="queued", created_by=user.id, inputs={
        "weights": dict(programme.weights), "rules": dict(programme.rules),
        "target_pairs": programme.target_pairs, "engine": ENGINE_VERSION,
        "mentors": len(pools.mentors), "mentees": len(pools.mentees),
        "started_by": user.username,
    })
    try:
        with db.session.begin_nested():
            db.session.add(run)
            db.session.flush()
    except IntegrityError:
        raise DomainError(_("该项目已有一次匹配正在进行，请等待完成")) from None
    size = len(pools.mentors) + len(pools.mentees)
    if enqueue is not None and size > INLINE_LIMIT and not current_app.config["JOBS_INLINE"]:
        enqueue(run.id)
    else:
        execute_run(run.id)
    return run


def execute_run(run_id: int, *, on_progress: Callable[[MatchRun], None] | None = None) -> None:
    """Run the engine and store proposals and unmatched mentees (flushes, never commits:
    a worker passes ``on_progress`` to commit progress as it goes)."""
    run = db.session.get(MatchRun, run_id)
    programme = run.programme

    def step(percent: int, status: str = "running") -> None:
        run.progress, run.status = percent, status
        db.session.flush()
        if on_progress is not None:
            on_progress(run)

    step(5)
    pools = load_pools(programme)
    data = build_input(programme, pools)
    run.inputs = dict(run.inputs, pool_hash=data.pool_hash, pinned=len(data.pinned),
                      excluded=len(data.rules.exclusions))
    step(20)
    result = propose(data.mentors, data.mentees, weights_of(programme), data.rules,
                     pinned=data.pinned, max_pairs=data.max_pairs)
    step(80)
    # Older runs' open proposals give way to this one; decisions stay as they were.
    db.session.execute(update(Proposal).where(
        Proposal.programme_id == programme.id, Proposal.status == "proposed",
        Proposal.run_id != run.id).values(status="superseded"))
    by_key = pools.mentee_by_key()
    # Pairs that are active pairings now come back as approved (and pinned); a pairing
    # that has been completed or ended is history, not a decision about this run.
    approved = {(p.mentor_id, p.mentee_key) for p in active_pairings(programme)}
    rows = []
    for pair in result.pairs:
        mentee = by_key[pair.mentee_id]
        mentor_id = int(pair.mentor_id)
        rows.append(Proposal(
            run=run, programme_id=programme.id, mentor_id=mentor_id,
            mentee_key=pair.mentee_id, mentee_person_id=mentee.person_id, score=pair.score,
            pinned=pair.pinned,
            mentee_id=mentee.id if pair.mentee_id.startswith("mentee:") else None,
            spring_bud_id=mentee.id if pair.mentee_id.startswith("spring_bud:") else None,
            status="approved" if (mentor_id, pair.mentee_id) in approved else "proposed",
            explanation=pair.explanation.text_zh,
            contributions={
                "features": pair.features, "contributions": pair.contributions,
                "items": [[i.label_zh, i.value, i.detail, i.label_en]
                          for i in pair.explanation.items],
                "text_en": pair.explanation.text_en,
            }))
    db.session.add_all(rows)
    db.session.add_all(UnmatchedMentee(
        run_id=run.id, mentee_key=u.mentee_id, person_id=by_key[u.mentee_id].person_id,
        reason_code=u.reason, reason=u.text_zh) for u in result.unmatched)
    run.stats = {
        "pairs": result.pair_count, "total_score": result.total_score,
        "mean_score": round(result.total_score / result.pair_count, 4)
        if result.pair_count else 0.0,
        "unmatched": len(result.unmatched), "candidates": result.candidate_count,
        "limit_binding": result.limit_binding,
        "seconds": round(sum(result.timings.values()), 3),
    }
    run.finished_at = utcnow()
    step(100, "done")
    audit.record("match_run", target_type="match_run", target_id=run.id,
                 pairs=result.pair_count, pool_hash=data.pool_hash)


def fail_run(run_id: int, message: str) -> None:
    run = db.session.get(MatchRun, run_id)
    run.status, run.error, run.finished_at = "failed", message[:500], utcnow()
    db.session.flush()


def latest_run(programme: Programme) -> MatchRun | None:
    return db.session.scalar(select(MatchRun).where(MatchRun.programme_id == programme.id)
                             .order_by(MatchRun.id.desc()).limit(1))


def runs_of(programme: Programme) -> list[MatchRun]:
    return list(db.session.scalars(select(MatchRun).where(
        MatchRun.programme_id == programme.id).order_by(MatchRun.id.desc())))


@dataclass
class RunComparison:
    added: list[tuple[str, int, int]]  # mentee key, old mentor (or 0), new mentor
    removed: list[tuple[str, int]]
    same: int
    unmatched_a: int
    unmatched_b: int
    mean_a: float
    mean_b: float


def compare_runs(a: MatchRun, b: MatchRun) -> RunComparison:
    def pairs(run: MatchRun) -> dict[str, int]:
        return dict(db.session.execute(select(Proposal.mentee_key, Proposal.mentor_id).where(
            Proposal.run_id == run.id)).all())

    pa, pb = pairs(a), pairs(b)
    changed = [(k, pa.get(k, 0), m) for k, m in pb.items() if pa.get(k) != m]
    removed = [(k, m) for k, m in pa.items() if k not in pb]
    return RunComparison(changed, removed, sum(1 for k, m in pb.items() if pa.get(k) == m),
                         a.stats.get("unmatched", 0), b.stats.get("unmatched", 0),
                         a.stats.get("mean_score", 0.0), b.stats.get("mean_score", 0.0))



def get_run(user: User, run_id: int) -> MatchRun:
    """A run of a programme the user may see; otherwise NotFound."""
    from matchmaker.services.programmes import get_programme

    run = db.session.get(MatchRun, run_id)
    if run is None:
        raise NotFound(_("找不到这次匹配"))
    get_programme(user, run.programme_id)
    return run


def programmes_with_latest_run(user: User) -> list[tuple[Programme, MatchRun | None]]:
    from matchmaker.services.programmes import visible_query

    return [(p, latest_run(p)) for p in db.session.scalars(visible_query(user))]
