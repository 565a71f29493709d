"""The exact pairing solver — the public contract.

Given mentors with capacities, mentees, candidate edges with scores, pinned pairs and an
optional ``max_pairs``, :func:`solve` returns pairs that

1. use only candidate edges;
2. give each mentee at most one mentor and each mentor at most its capacity;
3. include every pinned pair;
4. are as many as possible without exceeding ``max_pairs``; and
5. among those, have the largest total score.

Scores are compared on an integer grid (1e-9 unless the magnitudes force a coarser grid,
reported as ``score_resolution``), which makes the optimum exact and the result
deterministic: the same input in the same order always gives the same pairs.
Negative scores are allowed; a negative edge is used when cardinality needs it.

Pins are fixed first (their mentees leave the problem, their mentors' capacities and
``max_pairs`` shrink), then the rest is solved. Two exact engines are used: without a
binding pair limit, maximum flow plus a Dulmage–Mendelsohn split into LAPJVsp assignment
problems solved per connected component (``_lap``; ~1 s for a million edges); with a
binding limit, successive shortest paths in pure Python (``_ssp``; cost grows with the
limit: ~3 s for 1,000 pairs on a million edges, minutes for limits near the maximum).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ._lap import max_flow_matching, solve_max_cardinality
from ._ssp import solve_with_limit
from .types import Edge, MentorCapacity, Pair, Solution

_EXACT_LIMIT = 2.0**52
DEFAULT_DECIMALS = 9


@dataclass(frozen=True)
class ArraySolution:
    """Result of :func:`solve_arrays`: indices into the edge arrays, plus facts for explaining.

    ``chosen`` is sorted ascending. ``unlimited_cardinality`` is the number of pairs the
    instance would allow without ``max_pairs`` (pins included).
    """

    chosen: np.ndarray
    unlimited_cardinality: int
    limit_binding: bool
    score_resolution: float


def quantize_scores(scores: np.ndarray, n_vertices: int) -> tuple[np.ndarray, float]:
    """Map scores to int64 on a decimal grid; return (integers, grid step).

    The grid is 1e-9, coarsened by powers of ten only when ``|score| * vertices`` would leave
    float64's exact-integer range (LAPJVsp works in float64).
    """
    scores = np.asarray(scores, dtype=np.float64)
    if not np.all(np.isfinite(scores)):
        raise ValueError("scores must be finite numbers")
    biggest = float(np.max(np.abs(scores))) if len(scores) else 0.0
    decimals = DEFAULT_DECIMALS
    ratio = _EXACT_LIMIT / (4.0 * (n_vertices + 2)) / biggest if biggest > 0 else math.inf
    if math.isfinite(ratio):  # tiny (even subnormal) scores keep the default grid
        decimals = min(DEFAULT_DECIMALS, math.floor(math.log10(ratio)))
    step = 10.0**-decimals
    return np.round(scores * 10.0**decimals).astype(np.int64), step


def solve_arrays(
    capacities: Sequence[int] | np.ndarray,
    edge_mentor: Sequence[int] | np.ndarray,
    edge_mentee: Sequence[int] | np.ndarray,
    scores: Sequence[float] | np.ndarray,
    n_mentees: int,
    pinned: Iterable[int] = (),
    max_pairs: int | None = None,
) -> ArraySolution:
    """Solve on index arrays (edge ``e`` joins mentor ``edge_mentor[e]`` and mentee
    ``edge_mentee[e]``); ``pinned`` lists edge indices that must be chosen.

    Raises ``ValueError`` on inconsistent input (bad indices, duplicate edges, pins that
    break a capacity, a mentee or ``max_pairs``).
    """
    caps = np.asarray(capacities, dtype=np.int64)
    em = np.asarray(edge_mentor, dtype=np.int64)
    ee = np.asarray(edge_mentee, dtype=np.int64)
    n_mentors = len(caps)
    if len(em) != len(ee) or len(em) != len(scores):
        raise ValueError("edge arrays must have equal lengths")
    if np.any(caps < 0):
        raise ValueError("capacities must be non-negative")
    if len(em) and (em.min() < 0 or em.max() >= n_mentors or ee.min() < 0 or ee.max() >= n_mentees):
        raise ValueError("edge endpoint out of range")
    keys = ee * max(n_mentors, 1) + em
    by_key = np.argsort(keys, kind="stable")
    if np.any(keys[by_key[1:]] == keys[by_key[:-1]]):
        raise ValueError("duplicate edge")
    if max_pairs is not None and max_pairs < 0:
        raise ValueError("max_pairs must be non-negative")
    weight, step = quantize_scores(np.asarray(scores), n_mentees + int(caps.sum()))

    pins = np.unique(np.asarray(list(pinned), dtype=np.int64))
    if len(pins) and (pins.min() < 0 or pins.max() >= len(em)):
        raise ValueError("pinned edge index out of range")
    if len(np.unique(ee[pins])) != len(pins):
        raise ValueError("a mentee is pinned twice")
    pin_load = np.bincount(em[pins], minlength=n_mentors)
    if np.any(pin_load > caps):
        raise ValueError("pins exceed a mentor's capacity")
    if max_pairs is not None and len(pins) > max_pairs:
        raise ValueError("pins exceed max_pairs")

    residual_caps = caps - pin_load
    pinned_mentee = np.zeros(n_mentees, dtype=bool)
    pinned_mentee[ee[pins]] = True
    # Engines take edges in (mentee, mentor) order; ``active`` maps back to input indices.
    active = by_key[~pinned_mentee[ee[by_key]] & (residual_caps[em[by_key]] > 0)]
    a_em, a_ee, a_w = em[active], ee[active], weight[active]
    matched = max_flow_matching(residual_caps, a_em, a_ee, n_mentees)
    best_count = int(matched.sum())
    limit = None if max_pairs is None else max_pairs - len(pins)
    binding = limit is not None and limit < best_count
    if binding:
        local = np.asarray(
            solve_with_limit(
                residual_caps.tolist(), a_em.tolist(), a_ee.tolist(), a_w.tolist(),
                n_mentees, int(limit),
            ),
            dtype=np.int64,
        )
    else:
        local = solve_max_cardinality(residual_caps, a_em, a_ee, a_w, n_mentees, matched)
    chosen = np.sort(np.concatenate([pins, active[local]])).astype(np.int64)
    return ArraySolution(chosen, best_count + len(pins), binding, step)


def solve(
    mentors: Sequence[MentorCapacity],
    mentee_ids: Sequence[str],
    edges: Sequence[Edge],
    pinned: Sequence[tuple[str, str]] = (),
    max_pairs: int | None = None,
) -> Solution:
    """Solve on string ids; pairs come back ordered by mentor input order, then mentee order.

    Raises ``ValueError`` (message in English) on unknown/duplicate ids, duplicate edges,
    pins that are not edges, or pins that break a capacity or ``max_pairs``. The JSON layer
    (:mod:`.jsonio`) validates first and reports the offending item in Chinese.
    """
    mentor_index = {m.id: k for k, m in enumerate(mentors)}
    mentee_index = {mid: k for k, mid in enumerate(mentee_ids)}
    if len(mentor_index) != len(mentors) or len(mentee_index) != len(mentee_ids):
        raise ValueError("duplicate mentor or mentee id")
    try:
        em = [mentor_index[e.mentor] for e in edges]
        ee = [mentee_index[e.mentee] for e in edges]
    except KeyError as exc:
        raise ValueError(f"edge names an unknown id: {exc.args[0]}") from None
    edge_index = {(e.mentor, e.mentee): k for k, e in enumerate(edges)}
    try:
        pins = [edge_index[(m, e)] for m, e in pinned]
    except KeyError as exc:
        raise ValueError(f"pinned pair is not a candidate edge: {exc.args[0]}") from None
    if len(set(pins)) != len(pins):
        raise ValueError("a pair is pinned twice")
    result = solve_arrays(
        [m.capacity for m in mentors], em, ee, [e.score for e in edges],
        len(mentee_ids), pins, max_pairs,
    )
    pin_set = set(pins)
    chosen = sorted(result.chosen.tolist(), key=lambda k: (em[k], ee[k]))
    pairs = tuple(
        Pair(edges[k].mentor, edges[k].mentee, float(edges[k].score), k in pin_set)
        for k in chosen
    )
    matched = {p.mentee for p in pairs}
    return Solution(
        pairs=pairs,
        pair_count=len(pairs),
        total_score=round(math.fsum(p.score for p in pairs), 9),
        unmatched_mentees=tuple(m for m in mentee_ids if m not in matched),
        status="optimal",
        score_resolution=result.score_resolution,
        unlimited_cardinality=result.unlimited_cardinality,
        limit_binding=result.limit_binding,
    )
