"""Learning weights from coordinators' decisions in a programme (never adopted silently)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.matching.learning import Decision, LearningError, WeightFit, fit_weights
from matchmaker.models import Programme, Proposal
from matchmaker.services.errors import DomainError
from matchmaker.services.programmes import weights_of


def decisions(programme: Programme) -> list[Decision]:
    # Only decisions a coordinator took: re-runs copy approved pairs, which are not new
    # decisions and would otherwise be counted again on every run.
    rows = db.session.scalars(select(Proposal).where(
        Proposal.programme_id == programme.id, Proposal.decided_by.is_not(None),
        Proposal.status.in_(("approved", "rejected"))).order_by(Proposal.id))
    return [Decision(features=p.contributions["features"], approved=p.status == "approved")
            for p in rows if (p.contributions or {}).get("features")]


def fit(programme: Programme) -> WeightFit:
    try:
        return fit_weights(decisions(programme), weights_of(programme))
    except LearningError as e:
        raise DomainError(_("决定记录不足，暂不能学习权重：%(why)s", why=str(e))) from None


def adopt(*, programme: Programme, weights: dict[str, float]) -> None:
    from matchmaker.matching.scoring import Weights

    try:
        programme.weights = Weights.from_mapping(weights).as_dict()
    except (TypeError, ValueError):
        raise DomainError(_("权重须为不小于 0 的数字")) from None
    db.session.flush()
