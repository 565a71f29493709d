"""Who a run serves: match rate and mean score by town, age band and mentee kind."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.models import (
    MatchRun,
    MenteeProfile,
    Person,
    Proposal,
    Region,
    UnmatchedMentee,
    User,
)
from matchmaker.models.base import N_
from matchmaker.models.profiles import MENTEE_KIND_LABELS
from matchmaker.services.clock import today
from matchmaker.services.scope import in_scope
from matchmaker.services.validation import age_on

AGE_BANDS = ((0, 18, N_("18 岁以下")), (18, 25, N_("18–24 岁")), (25, 35, N_("25–34 岁")),
             (35, 45, N_("35–44 岁")), (45, 55, N_("45–54 岁")), (55, 200, N_("55 岁及以上")))


@dataclass
class Group:
    label: str
    pool: int = 0
    matched: int = 0
    score_sum: float = 0.0

    @property
    def rate(self) -> float:
        return self.matched / self.pool if self.pool else 0.0

    @property
    def mean_score(self) -> float:
        return self.score_sum / self.matched if self.matched else 0.0


@dataclass
class Fairness:
    by_town: list[Group]
    by_age: list[Group]
    by_kind: list[Group]
    overall: Group


def _town(region: Region) -> Region:
    node = region
    while node.level == "village" and node.parent is not None:
        node = node.parent
    return node


def _age_band(person: Person) -> str:
    if person.birth_date is None:
        return _("年龄不详")
    age = age_on(person.birth_date, today())
    return next(_(label) for lo, hi, label in AGE_BANDS if lo <= age < hi)


def run_fairness(user: User, run: MatchRun) -> Fairness:
    """Figures over the run's mentees in the user's regions only."""
    groups: dict[str, dict[str, Group]] = defaultdict(dict)
    overall = Group(_("全部"))

    def count(person: Person, kind: str, score: float | None) -> None:
        keys = (("town", _town(person.region).name), ("age", _age_band(person)),
                ("kind", _(MENTEE_KIND_LABELS.get(kind, "春蕾学员"))))
        targets = [groups[dim].setdefault(label, Group(label)) for dim, label in keys]
        for g in [*targets, overall]:
            g.pool += 1
            if score is not None:
                g.matched += 1
                g.score_sum += score

    for p in db.session.scalars(select(Proposal).where(Proposal.run_id == run.id)):
        prof = p.mentee_profile
        if in_scope(user, prof.person.region):
            count(prof.person, getattr(prof, "kind", "spring_bud"), p.score)
    for u in db.session.scalars(select(UnmatchedMentee).where(UnmatchedMentee.run_id == run.id)):
        person = db.session.get(Person, u.person_id)
        if not in_scope(user, person.region):
            continue
        pool, _sep, pid = u.mentee_key.partition(":")
        prof = db.session.get(MenteeProfile, int(pid)) if pool == "mentee" else None
        count(person, prof.kind if prof else "spring_bud", None)

    def ordered(dim: str) -> list[Group]:
        return sorted(groups[dim].values(), key=lambda g: g.label)

    return Fairness(ordered("town"), ordered("age"), ordered("kind"), overall)
