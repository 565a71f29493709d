"""Girls for donors' pledges (春蕾结对): which waiting girls to propose for the free places
of one or more pledges, each with a score and a reason in Chinese.

A pledge is a "mentor" whose capacity is its free places; a girl is a "mentee". Every
girl inside a pledge's area (the federation that handles it) is a candidate edge, and the
exact solver (:mod:`.solver`) fills as many places as possible and, among those, takes the
largest total score — so no pledge gets more girls than it has places and no girl is
proposed twice.

The score of a girl for a pledge is her need plus how well she fits the donor's wishes:

* **preferences** come first, because they are the donor's conditions: a girl in the
  region the donor asked for gets ``PREF_REGION`` (8), one in the grade asked for
  ``PREF_GRADE`` (6). A "greatest need" pledge has no preferences.
* **need** orders girls the wishes do not tell apart: a girl whose sponsor's pledge lapsed
  (flagged; the continuity reserve pays her terms meanwhile) gets ``FLAGGED`` (3), more than
  any waiting time can give; then waiting time, ``WAIT`` (up to 2) × days / five years.

So among girls who fit the wishes equally, flagged girls come first, then those who have
waited longest. Pure: plain data in, plain data out (no Flask, no database).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .solver import solve_arrays

PREF_REGION = 8.0
PREF_GRADE = 6.0
FLAGGED = 3.0
WAIT = 2.0
WAIT_CAP_DAYS = 5 * 365
SEPARATOR = " · "

# How a preferred region is named when a girl lives inside it, by its level.
SAME_REGION = {"province": "同省", "city": "同市", "county": "同县", "town": "同镇",
               "village": "同村"}
# A preferred grade may name a school stage rather than one grade.
GRADE_STAGES = {
    "小学": ("一年级", "二年级", "三年级", "四年级", "五年级", "六年级"),
    "初中": ("初一", "初二", "初三"),
    "高中": ("高一", "高二", "高三"),
}


@dataclass(frozen=True)
class PledgeSlot:
    """A pledge as the engine sees it. Paths are region paths ("330481/330481107/")."""

    id: int
    free: int
    area_path: str = ""  # the handling federation's region: candidates live inside it
    pref_region_path: str = ""
    pref_region_level: str = ""
    pref_grade: str = ""
    greatest_need: bool = False


@dataclass(frozen=True)
class GirlNeed:
    id: int
    region_path: str
    grade: str
    waiting_days: int
    flagged: bool = False


@dataclass(frozen=True)
class ProposedLink:
    pledge_id: int
    girl_id: int
    score: float
    reasons: tuple[str, ...]

    @property
    def explanation(self) -> str:
        return SEPARATOR.join(self.reasons)


def grade_matches(preferred: str, grade: str) -> bool:
    """The girl's grade is the one asked for, or in the school stage asked for."""
    preferred, grade = (preferred or "").strip(), (grade or "").strip()
    if not preferred:
        return False
    return grade == preferred or grade in GRADE_STAGES.get(preferred, ())


def need_score(girl: GirlNeed) -> float:
    days = min(max(girl.waiting_days, 0), WAIT_CAP_DAYS)
    return (FLAGGED if girl.flagged else 0.0) + WAIT * days / WAIT_CAP_DAYS


def fit(pledge: PledgeSlot, girl: GirlNeed) -> tuple[float, tuple[str, ...]]:
    """The score of one girl for one pledge and the reasons, most important first."""
    score = need_score(girl)
    reasons: list[str] = []
    if girl.flagged:
        reasons.append("原捐助中断")
    reasons.append(f"等待 {max(girl.waiting_days, 0)} 天")
    if not pledge.greatest_need:
        if pledge.pref_region_path:
            if girl.region_path.startswith(pledge.pref_region_path):
                score += PREF_REGION
                reasons.append(SAME_REGION.get(pledge.pref_region_level, "意向地区"))
            else:
                reasons.append("不在意向地区")
        if (pledge.pref_grade or "").strip():
            if grade_matches(pledge.pref_grade, girl.grade):
                score += PREF_GRADE
                reasons.append("年级相符")
            else:
                reasons.append("年级不符")
    return round(score, 6), tuple(reasons)


def propose_links(pledges: Sequence[PledgeSlot], girls: Sequence[GirlNeed]) -> list[ProposedLink]:
    """Girls for the pledges' free places: as many links as places and girls allow, the
    best total score among those; per pledge, best first."""
    edges: list[tuple[int, int, float, tuple[str, ...]]] = []
    for p, pledge in enumerate(pledges):
        if pledge.free <= 0:
            continue
        for g, girl in enumerate(girls):
            if girl.region_path.startswith(pledge.area_path):
                score, reasons = fit(pledge, girl)
                edges.append((p, g, score, reasons))
    if not edges:
        return []
    result = solve_arrays([max(p.free, 0) for p in pledges], [e[0] for e in edges],
                          [e[1] for e in edges], [e[2] for e in edges], len(girls))
    chosen = [edges[k] for k in result.chosen.tolist()]
    chosen.sort(key=lambda e: (e[0], -e[2], e[1]))
    return [ProposedLink(pledges[p].id, girls[g].id, score, reasons)
            for p, g, score, reasons in chosen]
