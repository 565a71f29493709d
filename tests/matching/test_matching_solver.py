"""The solver contract, checked against brute force, a MILP and OR-Tools."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matchmaker.matching._ssp import solve_with_limit
from matchmaker.matching.solver import quantize_scores, solve, solve_arrays
from matchmaker.matching.types import Edge, MentorCapacity
from tests.matching.refs import brute_force, milp_reference, ortools_reference

SCORES = st.one_of(
    st.sampled_from([-2.0, -0.5, 0.0, 0.5, 1.0, 1.0, 2.0]),  # many ties
    st.integers(-3, 3),
    st.floats(-3, 3, allow_nan=False, allow_infinity=False),
)


@st.composite
def instances(draw):
    n_mentors = draw(st.integers(1, 4))
    n_mentees = draw(st.integers(0, 6))
    caps = draw(st.lists(st.integers(0, 3), min_size=n_mentors, max_size=n_mentors))
    pairs = [(i, j) for j in range(n_mentees) for i in range(n_mentors)]
    keep = draw(st.lists(st.booleans(), min_size=len(pairs), max_size=len(pairs)))
    pairs = [p for p, k in zip(pairs, keep, strict=True) if k]
    pairs = [pairs[k] for k in draw(st.permutations(range(len(pairs))))]  # any input order
    scores = draw(st.lists(SCORES, min_size=len(pairs), max_size=len(pairs)))
    em = [p[0] for p in pairs]
    ee = [p[1] for p in pairs]
    pins, load, pinned = [], [0] * n_mentors, set()
    for e in range(len(pairs)):
        if draw(st.integers(0, 4)) == 0 and ee[e] not in pinned and load[em[e]] < caps[em[e]]:
            pins.append(e)
            pinned.add(ee[e])
            load[em[e]] += 1
    max_pairs = draw(st.one_of(st.none(), st.integers(len(pins), len(pins) + 4)))
    return caps, em, ee, scores, n_mentees, pins, max_pairs


@st.composite
def binding_instances(draw):
    """Instances whose max_pairs is below the attainable number of pairs (SSP engine)."""
    n_mentors = draw(st.integers(1, 4))
    n_mentees = draw(st.integers(2, 6))
    caps = draw(st.lists(st.integers(1, 3), min_size=n_mentors, max_size=n_mentors))
    pairs = [(i, j) for j in range(n_mentees) for i in range(n_mentors)]
    keep = draw(st.lists(st.booleans(), min_size=len(pairs), max_size=len(pairs)))
    pairs = [p for p, k in zip(pairs, keep, strict=True) if k]
    scores = draw(st.lists(SCORES, min_size=len(pairs), max_size=len(pairs)))
    em, ee = [p[0] for p in pairs], [p[1] for p in pairs]
    full = solve_arrays(caps, em, ee, scores, n_mentees).unlimited_cardinality
    return caps, em, ee, scores, n_mentees, [], draw(st.integers(0, max(0, full - 1)))


def check_feasible(caps, em, ee, n_mentees, pins, max_pairs, chosen):
    chosen = list(chosen)
    assert len(set(chosen)) == len(chosen)
    mentees = [ee[e] for e in chosen]
    assert len(set(mentees)) == len(mentees), "a mentee got two mentors"
    load = np.bincount([em[e] for e in chosen], minlength=len(caps))
    assert np.all(load <= np.asarray(caps)), "a mentor is over capacity"
    assert set(pins) <= set(chosen), "a pinned pair is missing"
    if max_pairs is not None:
        assert len(chosen) <= max_pairs


@settings(max_examples=400, deadline=None)
@given(instances())
def test_matches_brute_force(inst):
    caps, em, ee, scores, n_mentees, pins, max_pairs = inst
    result = solve_arrays(caps, em, ee, scores, n_mentees, pins, max_pairs)
    check_feasible(caps, em, ee, n_mentees, pins, max_pairs, result.chosen)
    w, _ = quantize_scores(np.array(scores, dtype=float), n_mentees + sum(caps))
    got = (len(result.chosen), int(w[result.chosen].sum()) if len(result.chosen) else 0)
    assert got == brute_force(caps, em, ee, w, n_mentees, pins, max_pairs)
    again = solve_arrays(caps, em, ee, scores, n_mentees, pins, max_pairs)
    assert again.chosen.tolist() == result.chosen.tolist(), "not deterministic"


@settings(max_examples=200, deadline=None)
@given(binding_instances())
def test_binding_limit_matches_brute_force(inst):
    caps, em, ee, scores, n_mentees, pins, max_pairs = inst
    result = solve_arrays(caps, em, ee, scores, n_mentees, pins, max_pairs)
    check_feasible(caps, em, ee, n_mentees, pins, max_pairs, result.chosen)
    w, _ = quantize_scores(np.array(scores, dtype=float), n_mentees + sum(caps))
    got = (len(result.chosen), int(w[result.chosen].sum()) if len(result.chosen) else 0)
    assert got == brute_force(caps, em, ee, w, n_mentees, pins, max_pairs)


def medium_instance(seed: int, n_mentors=40, n_mentees=150, per_mentee=8, pin_count=0,
                    max_pairs=None):
    """Random instance; scores on a 0.001 grid so any suboptimality is >= 0.001."""
    rng = np.random.default_rng(seed)
    caps = rng.integers(0, 4, n_mentors)
    em, ee = [], []
    for j in range(n_mentees):
        for i in rng.choice(n_mentors, size=rng.integers(0, per_mentee + 1), replace=False):
            em.append(int(i))
            ee.append(j)
    scores = np.round(rng.normal(0.3, 0.5, len(em)), 3)
    pins, load, pinned = [], np.zeros(n_mentors, int), set()
    for e in rng.permutation(len(em))[: pin_count * 3]:
        if len(pins) < pin_count and ee[e] not in pinned and load[em[e]] < caps[em[e]]:
            pins.append(int(e))
            pinned.add(ee[e])
            load[em[e]] += 1
    return caps.tolist(), em, ee, scores, n_mentees, pins, max_pairs


MEDIUM = [
    dict(seed=1),
    dict(seed=2, pin_count=10),
    dict(seed=3, max_pairs=40),
    dict(seed=4, pin_count=5, max_pairs=25),
    dict(seed=5, n_mentors=80, n_mentees=400, per_mentee=12),
    dict(seed=6, n_mentors=10, n_mentees=300, per_mentee=4, max_pairs=18),
]


def _solver_value(inst):
    caps, em, ee, scores, n_mentees, pins, max_pairs = inst
    result = solve_arrays(caps, em, ee, scores, n_mentees, pins, max_pairs)
    check_feasible(caps, em, ee, n_mentees, pins, max_pairs, result.chosen)
    milli = np.round(np.asarray(scores) * 1000).astype(np.int64)
    return len(result.chosen), int(milli[result.chosen].sum()), milli


@pytest.mark.parametrize("params", MEDIUM, ids=[str(p) for p in MEDIUM])
def test_medium_agrees_with_milp(params):
    inst = medium_instance(**params)
    count, total, milli = _solver_value(inst)
    caps, em, ee, _, n_mentees, pins, max_pairs = inst
    assert (count, total) == milp_reference(caps, em, ee, milli, n_mentees, pins, max_pairs)


@pytest.mark.parametrize("params", MEDIUM, ids=[str(p) for p in MEDIUM])
def test_medium_agrees_with_ortools(params):
    pytest.importorskip(
        "ortools", reason="OR-Tools is the benchmark extra; the MILP test still checks this"
    )
    inst = medium_instance(**params)
    count, total, milli = _solver_value(inst)
    caps, em, ee, _, n_mentees, pins, max_pairs = inst
    assert (count, total) == ortools_reference(caps, em, ee, milli, n_mentees, pins, max_pairs)


@pytest.mark.parametrize("seed", range(100, 106))
def test_every_pair_limit_agrees_with_milp(seed):
    """Sweep max_pairs from 0 to the attainable maximum: each step is an exact optimum."""
    caps, em, ee, scores, n_mentees, _, _ = medium_instance(seed, 20, 60, 6)
    milli = np.round(np.asarray(scores) * 1000).astype(np.int64)
    full = solve_arrays(caps, em, ee, scores, n_mentees).unlimited_cardinality
    for limit in range(full + 1):
        result = solve_arrays(caps, em, ee, scores, n_mentees, (), limit)
        got = (len(result.chosen), int(milli[result.chosen].sum()))
        assert got == milp_reference(caps, em, ee, milli, n_mentees, (), limit), limit


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_both_engines_agree_without_limit(seed):
    caps, em, ee, scores, n_mentees, _, _ = medium_instance(seed, 30, 200, 10)
    fast = solve_arrays(caps, em, ee, scores, n_mentees)
    assert not fast.limit_binding
    w, _ = quantize_scores(scores, n_mentees + sum(caps))
    order = np.lexsort((em, ee))  # the SSP engine takes any order; use sorted for variety
    active = [e for e in order if caps[em[e]] > 0]
    ssp = solve_with_limit(caps, [em[e] for e in active], [ee[e] for e in active],
                           [int(w[e]) for e in active], n_mentees, 10**9)
    ssp_chosen = [active[k] for k in ssp]
    assert len(ssp_chosen) == len(fast.chosen)
    assert int(w[ssp_chosen].sum()) == int(w[fast.chosen].sum())


def test_negative_edge_is_used_when_cardinality_needs_it():
    mentors = [MentorCapacity("甲", 1), MentorCapacity("乙", 1)]
    edges = [Edge("甲", "小红", 5.0), Edge("乙", "小红", -1.0), Edge("甲", "小芳", 4.0)]
    sol = solve(mentors, ["小红", "小芳"], edges)
    assert {(p.mentor, p.mentee) for p in sol.pairs} == {("乙", "小红"), ("甲", "小芳")}
    assert sol.pair_count == 2 and sol.total_score == 3.0


def test_max_pairs_keeps_the_best_pairs():
    mentors = [MentorCapacity("甲", 2), MentorCapacity("乙", 1)]
    edges = [Edge("甲", "a", 0.2), Edge("甲", "b", 0.9), Edge("乙", "c", 0.5)]
    sol = solve(mentors, ["a", "b", "c"], edges, max_pairs=2)
    assert [(p.mentor, p.mentee) for p in sol.pairs] == [("甲", "b"), ("乙", "c")]
    assert sol.limit_binding and sol.unlimited_cardinality == 3
    assert sol.unmatched_mentees == ("a",)


def test_pins_are_kept_even_when_they_cost_score_and_pairs():
    mentors = [MentorCapacity("甲", 1)]
    edges = [Edge("甲", "a", 0.1), Edge("甲", "b", 0.9)]
    sol = solve(mentors, ["a", "b"], edges, pinned=[("甲", "a")])
    assert [(p.mentor, p.mentee, p.pinned) for p in sol.pairs] == [("甲", "a", True)]


def test_zero_capacity_isolated_mentee_and_empty_input():
    mentors = [MentorCapacity("甲", 0), MentorCapacity("乙", 1)]
    sol = solve(mentors, ["a", "b"], [Edge("甲", "a", 1.0), Edge("乙", "a", 0.5)])
    assert [(p.mentor, p.mentee) for p in sol.pairs] == [("乙", "a")]
    assert sol.unmatched_mentees == ("b",)
    empty = solve([], [], [])
    assert empty.pair_count == 0 and empty.pairs == () and empty.status == "optimal"


def test_float_noise_does_not_change_the_result():
    # 0.1 + 0.2 != 0.3 in float64, but they are equal on the 1e-9 grid, so both inputs
    # are the same problem with tied optima and must give the same pairs.
    mentors = [MentorCapacity("甲", 1), MentorCapacity("乙", 1)]
    noisy = [Edge("甲", "a", 0.1 + 0.2), Edge("乙", "a", 0.3), Edge("甲", "b", 0.3),
             Edge("乙", "b", 0.1 + 0.2)]
    clean = [Edge(e.mentor, e.mentee, 0.3) for e in noisy]
    a = solve(mentors, ["a", "b"], noisy)
    b = solve(mentors, ["a", "b"], clean)
    assert [(p.mentor, p.mentee) for p in a.pairs] == [(p.mentor, p.mentee) for p in b.pairs]
    assert a.total_score == b.total_score == 0.6


def test_tiny_scores_round_to_zero_on_the_grid():
    scores = [2.2250738585e-311, 1e-12, -1e-10]
    w, step = quantize_scores(np.array(scores), 3)
    assert step == 1e-9 and w.tolist() == [0, 0, 0]


def test_large_magnitudes_use_a_coarser_grid_but_stay_optimal():
    mentors = [MentorCapacity("甲", 1), MentorCapacity("乙", 1)]
    edges = [Edge("甲", "a", 3e12), Edge("乙", "a", 1e12), Edge("甲", "b", 2.5e12),
             Edge("乙", "b", -1e12)]
    sol = solve(mentors, ["a", "b"], edges)
    assert sol.score_resolution > 1e-9
    assert sol.total_score == 3.5e12  # 乙-a + 甲-b beats 甲-a + 乙-b (2e12)


@pytest.mark.parametrize(
    ("pinned", "max_pairs", "message"),
    [
        ([("甲", "c")], None, "not a candidate edge"),
        ([("甲", "a"), ("乙", "a")], None, "pinned twice"),
        ([("乙", "a"), ("乙", "b")], None, "capacity"),
        ([("甲", "a"), ("乙", "b")], 1, "max_pairs"),
    ],
)
def test_bad_pins_raise(pinned, max_pairs, message):
    mentors = [MentorCapacity("甲", 2), MentorCapacity("乙", 1)]
    edges = [Edge("甲", "a", 1), Edge("乙", "a", 1), Edge("乙", "b", 1), Edge("甲", "b", 1)]
    with pytest.raises(ValueError, match=message):
        solve(mentors, ["a", "b", "c"], edges, pinned=pinned, max_pairs=max_pairs)


def test_duplicate_edge_and_unknown_ids_raise():
    mentors = [MentorCapacity("甲", 1)]
    with pytest.raises(ValueError, match="duplicate edge"):
        solve(mentors, ["a"], [Edge("甲", "a", 1), Edge("甲", "a", 2)])
    with pytest.raises(ValueError, match="unknown id"):
        solve(mentors, ["a"], [Edge("乙", "a", 1)])
    with pytest.raises(ValueError, match="finite"):
        solve(mentors, ["a"], [Edge("甲", "a", float("nan"))])
