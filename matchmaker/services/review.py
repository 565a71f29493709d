"""Coordinators' decisions on proposals: approve, reject, swap the mentor, pin, and
approve in bulk. Each is safe against two coordinators acting at the same moment: the
database decides (conditional updates and unique constraints), never a read-then-write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from matchmaker.extensions import db
from matchmaker.matching.features import FEATURE_KEYS
from matchmaker.matching.propose import score_candidates
from matchmaker.models import MentorProfile, Pairing, Proposal, User
from matchmaker.models.base import utcnow
from matchmaker.models.match_run import PROPOSAL_STATUS_LABELS
from matchmaker.services import notifications
from matchmaker.services.clock import today
from matchmaker.services.engine_inputs import build_input, load_pools
from matchmaker.services.errors import DomainError, NotFound
from matchmaker.services.programmes import weights_of
from matchmaker.services.scope import in_scope


def get_proposal(user: User, proposal_id: int) -> Proposal:
    """A proposal whose mentee lives in the user's regions; otherwise NotFound."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or not in_scope(user, proposal.mentee_profile.person.region):
        raise NotFound(_("找不到这条配对建议，或不在您负责的地区内"))
    return proposal


def _decide(proposal: Proposal, user: User, status: str, reason: str = "") -> None:
    """Move a proposal out of "proposed" — only if nobody else did it first."""
    done = db.session.execute(
        update(Proposal).where(Proposal.id == proposal.id, Proposal.status == "proposed")
        .values(status=status, reason=reason, decided_by=user.id, decided_at=utcnow())
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        db.session.refresh(proposal)
        label = _(PROPOSAL_STATUS_LABELS.get(proposal.status, proposal.status))
        raise DomainError(_("这条建议已被处理（%(status)s），请刷新页面", status=label))
    db.session.refresh(proposal)


def take_capacity(mentor_id: int) -> None:
    """One more active pairing for the mentor, in the statement that checks her capacity."""
    done = db.session.execute(
        update(MentorProfile).where(MentorProfile.id == mentor_id,
                                    MentorProfile.active_pairings < MentorProfile.capacity)
        .values(active_pairings=MentorProfile.active_pairings + 1)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise DomainError(_("该导师的带徒名额已满"))


def check_programme_limit(proposal: Proposal) -> None:
    """At most the programme's per-mentor number of active pairings. Run after
    take_capacity, whose UPDATE holds the mentor's row: a concurrent approval for the
    same mentor waits for this transaction, then counts what it committed."""
    limit = proposal.run.programme.default_capacity
    count = db.session.scalar(select(func.count(Pairing.id)).where(
        Pairing.programme_id == proposal.programme_id, Pairing.mentor_id == proposal.mentor_id,
        Pairing.status == "active"))
    if count >= limit:
        raise DomainError(_("该导师在本项目中最多带 %(n)s 人，已满", n=limit))


def release_capacity(mentor_id: int) -> None:
    db.session.execute(
        update(MentorProfile).where(MentorProfile.id == mentor_id,
                                    MentorProfile.active_pairings > 0)
        .values(active_pairings=MentorProfile.active_pairings - 1)
        .execution_options(synchronize_session=False))


def approve(*, user: User, proposal: Proposal, on: date | None = None) -> Pairing:
    """Approve a proposal: it becomes an active pairing, and both sides are told."""
    try:
        with db.session.begin_nested():
            _decide(proposal, user, "approved")
            take_capacity(proposal.mentor_id)
            check_programme_limit(proposal)
            pairing = Pairing(
                programme_id=proposal.programme_id, proposal_id=proposal.id,
                mentor_id=proposal.mentor_id, mentee_key=proposal.mentee_key,
                mentee_person_id=proposal.mentee_profile.person_id, status="active",
                started_on=on or today(), approved_by=user.id)
            db.session.add(pairing)
            db.session.flush()
    except IntegrityError:
        db.session.expire(proposal)
        raise DomainError(_("该帮扶对象在本项目中已有结对，或这条建议已被批准")) from None
    except DomainError:
        db.session.expire(proposal)  # what the rolled-back savepoint read is stale
        raise
    db.session.refresh(proposal.mentor)
    notifications.pairing_published(pairing)
    return pairing


def reject(*, user: User, proposal: Proposal, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写否决理由"), field="reason")
    if len(reason) > 500:
        raise DomainError(_("否决理由不能超过 500 字"), field="reason")
    _decide(proposal, user, "rejected", reason)


def set_pinned(*, proposal: Proposal, pinned: bool) -> None:
    done = db.session.execute(
        update(Proposal).where(Proposal.id == proposal.id, Proposal.status == "proposed")
        .values(pinned=pinned).execution_options(synchronize_session=False))
    db.session.refresh(proposal)
    if done.rowcount != 1:
        raise DomainError(_("只有待审核的建议可以锁定"))


@dataclass
class Alternative:
    mentor: MentorProfile
    score: float
    explanation: str
    free: int  # places left: her own, and within the programme's per-mentor limit
    contributions: dict


def alternatives(proposal: Proposal, limit: int = 5) -> list[Alternative]:
    """Other mentors for this mentee, best first, scored as the run scored them."""
    programme = proposal.run.programme
    pools = load_pools(programme)
    data = build_input(programme, pools)
    from matchmaker.matching.explain import explain_pair

    scored = score_candidates(data.mentors, data.mentees, weights_of(programme), data.rules)
    try:
        e_idx = [m.id for m in data.mentees].index(proposal.mentee_key)
    except ValueError:
        return []
    rows = [k for k in range(len(scored.scores)) if scored.edge_mentee[k] == e_idx]
    rows.sort(key=lambda k: -scored.scores[k])
    by_id = {m.id: m for m in pools.mentors}
    in_programme = dict(db.session.execute(
        select(Pairing.mentor_id, func.count(Pairing.id)).where(
            Pairing.programme_id == programme.id, Pairing.status == "active")
        .group_by(Pairing.mentor_id)).all())
    out = []
    for k in rows:
        mentor = by_id[int(data.mentors[scored.edge_mentor[k]].id)]
        if mentor.id == proposal.mentor_id:
            continue
        expl = explain_pair(scored.contributions[k], int(scored.features.region_level[k]))
        free = min(mentor.capacity - mentor.active_pairings,
                   programme.default_capacity - in_programme.get(mentor.id, 0))
        row = scored.contributions[k]
        contributions = {
            "features": dict(zip(FEATURE_KEYS, scored.features.values[k].tolist(),
                                 strict=True)),
            "contributions": dict(zip(FEATURE_KEYS, row.tolist(), strict=True)),
            "items": [[i.label_zh, i.value, i.detail, i.label_en] for i in expl.items],
            "text_en": expl.text_en,
        }
        out.append(Alternative(mentor, float(scored.scores[k]), expl.text_zh, free,
                               contributions))
        if len(out) == limit:
            break
    return out


def swap(*, user: User, proposal: Proposal, mentor_id: int) -> None:
    """Give the mentee another of her candidate mentors (the proposal stays open)."""
    if proposal.status != "proposed":
        raise DomainError(_("只有待审核的建议可以更换导师"))
    choice = next((a for a in alternatives(proposal, limit=50) if a.mentor.id == mentor_id),
                  None)
    if choice is None:
        raise DomainError(_("所选导师不是这位帮扶对象的候选导师"), field="mentor_id")
    if choice.free <= 0:
        raise DomainError(_("所选导师已没有名额"), field="mentor_id")
    done = db.session.execute(
        update(Proposal).where(Proposal.id == proposal.id, Proposal.status == "proposed")
        .values(mentor_id=mentor_id, score=choice.score, explanation=choice.explanation,
                contributions={**choice.contributions, "swapped_by": user.id})
        .execution_options(synchronize_session=False))
    db.session.refresh(proposal)
    if done.rowcount != 1:
        raise DomainError(_("这条建议已被处理，请刷新页面"))


@dataclass
class BulkResult:
    approved: int
    skipped: list[str]


def bulk_approve(*, user: User, run_id: int, min_score: float) -> BulkResult:
    """Approve every open proposal of the run at or above ``min_score`` in the user's
    regions; a proposal that cannot be approved (mentor full, decided meanwhile) is
    skipped with its reason and the others go on."""
    proposals = db.session.scalars(select(Proposal).where(
        Proposal.run_id == run_id, Proposal.status == "proposed",
        Proposal.score >= min_score).order_by(Proposal.score.desc(), Proposal.id))
    approved, skipped = 0, []
    for p in list(proposals):
        if not in_scope(user, p.mentee_profile.person.region):
            continue
        try:
            approve(user=user, proposal=p)
            approved += 1
        except DomainError as e:
            skipped.append(f"{p.mentee_profile.person.name}：{e.message}")
    return BulkResult(approved, skipped)
