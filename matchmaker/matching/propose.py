"""The whole pipeline in one call: profiles -> candidates -> scores -> exact pairs -> reasons.

``propose(mentors, mentees, weights, rules)`` is what a 双百 run (100 mentors × 100
mentees) or a province run calls; :func:`score_candidates` is the first half, exposed so a
caller (or the benchmark) can time or reuse the scored edges.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .candidates import CandidateRules, generate_candidates
from .explain import PairExplanation, explain_pair, slot_names, unmatched_reasons
from .features import (
    FEATURE_KEYS,
    EdgeFeatures,
    build_text_index,
    compute_edge_features,
    encode_profiles,
    rowwise_dot,
)
from .scoring import Weights, contributions, longest_common_substring
from .solver import solve_arrays
from .types import MenteeProfile, MentorProfile


@dataclass(frozen=True)
class ScoredEdges:
    """Candidate edges (mentee-major order) with features, contributions and scores."""

    features: EdgeFeatures
    contributions: np.ndarray
    scores: np.ndarray
    pinned: np.ndarray  # edge indices of pinned pairs
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def edge_mentor(self) -> np.ndarray:
        return self.features.edge_mentor

    @property
    def edge_mentee(self) -> np.ndarray:
        return self.features.edge_mentee


@dataclass(frozen=True)
class ProposedPair:
    """One proposed pair with everything a screen needs to justify it."""

    mentor_id: str
    mentee_id: str
    score: float
    pinned: bool
    features: dict[str, float]
    contributions: dict[str, float]
    explanation: PairExplanation


@dataclass(frozen=True)
class UnmatchedMentee:
    """A mentee left without a mentor and the reason (code + Chinese + English)."""

    mentee_id: str
    reason: str
    text_zh: str
    text_en: str


@dataclass(frozen=True)
class Proposal:
    """Pairs ordered by mentor input order then mentee order; unmatched in mentee order."""

    pairs: tuple[ProposedPair, ...]
    unmatched: tuple[UnmatchedMentee, ...]
    pair_count: int
    total_score: float
    candidate_count: int
    limit_binding: bool
    timings: dict[str, float]


def _index_of(ids: Sequence[str], what: str) -> dict[str, int]:
    index = {x: k for k, x in enumerate(ids)}
    if len(index) != len(ids):
        raise ValueError(f"duplicate {what} id")
    return index


def score_candidates(
    mentors: Sequence[MentorProfile],
    mentees: Sequence[MenteeProfile],
    weights: Weights,
    rules: CandidateRules,
    pinned: Sequence[tuple[str, str]] = (),
) -> ScoredEdges:
    """Build candidate edges under ``rules`` (pinned pairs always included) and score them."""
    m_index = _index_of([m.id for m in mentors], "mentor")
    e_index = _index_of([e.id for e in mentees], "mentee")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    index = build_text_index([m.text for m in mentors], [e.needs for e in mentees])
    enc = encode_profiles(mentors, mentees)
    t1 = time.perf_counter()
    cand = generate_candidates(index, enc, rules, list(m_index), list(e_index))
    em, ee, sim = cand.edge_mentor, cand.edge_mentee, cand.text_similarity
    try:
        pin_pairs = [(m_index[m], e_index[e]) for m, e in pinned]
    except KeyError as exc:
        raise ValueError(f"pinned pair names an unknown id: {exc.args[0]}") from None
    have = set(zip(em.tolist(), ee.tolist(), strict=True))
    extra = sorted({p for p in pin_pairs if p not in have}, key=lambda p: (p[1], p[0]))
    if extra:
        xm = np.array([p[0] for p in extra], dtype=np.int64)
        xe = np.array([p[1] for p in extra], dtype=np.int64)
        xs = rowwise_dot(index.mentor_matrix, index.mentee_matrix, xm, xe)
        order = np.lexsort((np.concatenate([em, xm]), np.concatenate([ee, xe])))
        em = np.concatenate([em, xm])[order]
        ee = np.concatenate([ee, xe])[order]
        sim = np.concatenate([sim, xs])[order]
    t2 = time.perf_counter()
    feats = compute_edge_features(enc, index, em, ee, sim)
    contrib = contributions(feats.values, weights)
    total = contrib.sum(axis=1)
    key = ee * max(len(mentors), 1) + em
    pin_keys = np.array([e * max(len(mentors), 1) + m for m, e in pin_pairs], dtype=np.int64)
    pin_idx = np.searchsorted(key, pin_keys) if len(pin_keys) else np.zeros(0, dtype=np.int64)
    t3 = time.perf_counter()
    timings.update(text_index=t1 - t0, candidates=t2 - t1, features=t3 - t2)
    return ScoredEdges(feats, contrib, total, pin_idx, timings)


def _details(mentor: MentorProfile, mentee: MenteeProfile) -> dict[str, str | tuple[str, str]]:
    """Short specifics for a pair's explanation (shared expertise, categories, slots)."""
    out: dict[str, str | tuple[str, str]] = {}
    common = longest_common_substring(mentor.specialty or mentor.text, mentee.needs)
    if len(common.strip()) < 2:
        common = longest_common_substring(mentor.text, mentee.needs)
    if len(common.strip()) >= 2:
        out["text"] = common.strip()
    shared = mentor.categories & mentee.categories
    if shared:
        out["category"] = "、".join(sorted(shared))
    slots = mentor.availability & mentee.availability
    if slots:
        out["availability"] = (slot_names(slots), "/".join(sorted(slots)))
    if mentee.hardship:
        out["priority"] = (f"{mentee.hardship}级", f"level {mentee.hardship}")
    return out


def propose(
    mentors: Sequence[MentorProfile],
    mentees: Sequence[MenteeProfile],
    weights: Weights | None = None,
    rules: CandidateRules | None = None,
    pinned: Sequence[tuple[str, str]] = (),
    max_pairs: int | None = None,
) -> Proposal:
    """Profiles to an exact best set of pairs, with explanations and unmatched reasons."""
    weights = weights or Weights()
    rules = rules or CandidateRules()
    scored = score_candidates(mentors, mentees, weights, rules, pinned)
    em, ee = scored.edge_mentor, scored.edge_mentee
    t0 = time.perf_counter()
    caps = np.array([m.capacity for m in mentors], dtype=np.int64)
    result = solve_arrays(caps, em, ee, scored.scores, len(mentees), scored.pinned, max_pairs)
    t1 = time.perf_counter()
    pin_set = set(scored.pinned.tolist())
    chosen = sorted(result.chosen.tolist(), key=lambda k: (em[k], ee[k]))
    pairs = []
    for k in chosen:
        mentor, mentee = mentors[em[k]], mentees[ee[k]]
        row = scored.contributions[k]
        pairs.append(
            ProposedPair(
                mentor.id,
                mentee.id,
                float(scored.scores[k]),
                k in pin_set,
                dict(zip(FEATURE_KEYS, scored.features.values[k].tolist(), strict=True)),
                dict(zip(FEATURE_KEYS, row.tolist(), strict=True)),
                explain_pair(row, int(scored.features.region_level[k]), _details(mentor, mentee)),
            )
        )
    reasons = unmatched_reasons(
        caps, em, ee, result.chosen, len(mentees), max_pairs, scored.scores,
        [m.id for m in mentors],
    )
    unmatched = tuple(
        UnmatchedMentee(mentees[r.mentee_index].id, r.code, r.text_zh, r.text_en)
        for r in reasons
    )
    t2 = time.perf_counter()
    timings = dict(scored.timings, solve=t1 - t0, explain=t2 - t1)
    return Proposal(
        pairs=tuple(pairs),
        unmatched=unmatched,
        pair_count=len(pairs),
        total_score=round(math.fsum(p.score for p in pairs), 9),
        candidate_count=len(em),
        limit_binding=result.limit_binding,
        timings=timings,
    )
