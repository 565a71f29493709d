"""Independent references for the solver: brute force, a MILP (SciPy/HiGHS), OR-Tools.

Each returns ``(pair_count, total)`` where ``total`` is the sum of the given integer
weights, so comparisons are exact. Pins follow the contract: pinned pairs are fixed first,
then as many further pairs as possible (up to ``max_pairs``), then the best total.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp


def brute_force(
    caps: Sequence[int], em: Sequence[int], ee: Sequence[int], w: Sequence[int],
    n_mentees: int, pins: Sequence[int] = (), max_pairs: int | None = None,
) -> tuple[int, int]:
    """Enumerate every assignment (each mentee: one of her edges or none)."""
    by_mentee: list[list[int]] = [[] for _ in range(n_mentees)]
    for e in range(len(em)):
        by_mentee[ee[e]].append(e)
    forced = {ee[e]: e for e in pins}
    load = [0] * len(caps)
    best = (-1, 0)

    def rec(j: int, count: int, total: int) -> None:
        nonlocal best
        if max_pairs is not None and count > max_pairs:
            return
        if j == n_mentees:
            best = max(best, (count, total))
            return
        options = [forced[j]] if j in forced else [-1, *by_mentee[j]]
        for e in options:
            if e < 0:
                rec(j + 1, count, total)
            elif load[em[e]] < caps[em[e]]:
                load[em[e]] += 1
                rec(j + 1, count + 1, total + int(w[e]))
                load[em[e]] -= 1

    rec(0, 0, 0)
    return best


def _reduce(caps, em, ee, pins):
    """Apply pins: remaining capacities and the edges still usable."""
    caps = np.asarray(caps, dtype=np.int64).copy()
    pinned_mentees = {int(ee[e]) for e in pins}
    for e in pins:
        caps[em[e]] -= 1
    free = [e for e in range(len(em)) if int(ee[e]) not in pinned_mentees and caps[em[e]] > 0]
    return caps, np.array(free, dtype=np.int64)


def milp_reference(caps, em, ee, w, n_mentees, pins=(), max_pairs=None) -> tuple[int, int]:
    """Two-stage MILP with HiGHS: most pairs, then best total with that many pairs."""
    caps_left, free = _reduce(caps, em, ee, pins)
    base = (len(pins), int(sum(int(w[e]) for e in pins)))
    if len(free) == 0:
        return base
    em_f, ee_f = np.asarray(em)[free], np.asarray(ee)[free]
    w_f = np.asarray(w, dtype=np.float64)[free]
    n = len(free)
    a_mentee = sp.csr_array((np.ones(n), (ee_f, np.arange(n))), shape=(n_mentees, n))
    a_mentor = sp.csr_array((np.ones(n), (em_f, np.arange(n))), shape=(len(caps), n))
    cons = [LinearConstraint(a_mentee, 0, 1), LinearConstraint(a_mentor, 0, caps_left)]
    if max_pairs is not None:
        cons.append(LinearConstraint(np.ones((1, n)), 0, max_pairs - len(pins)))
    opts = {"mip_rel_gap": 0.0}
    first = milp(-np.ones(n), constraints=cons, integrality=np.ones(n), bounds=Bounds(0, 1),
                 options=opts)
    count = int(round(-first.fun))
    cons.append(LinearConstraint(np.ones((1, n)), count, count))
    second = milp(-w_f, constraints=cons, integrality=np.ones(n), bounds=Bounds(0, 1),
                  options=opts)
    x = np.round(second.x).astype(int)
    return base[0] + int(x.sum()), base[1] + int(np.asarray(w, dtype=np.int64)[free][x == 1].sum())


def ortools_reference(caps, em, ee, w, n_mentees, pins=(), max_pairs=None) -> tuple[int, int]:
    """OR-Tools SimpleMinCostFlow: maximum flow with minimum cost (cost = -weight)."""
    from ortools.graph.python import min_cost_flow

    caps_left, free = _reduce(caps, em, ee, pins)
    base = (len(pins), int(sum(int(w[e]) for e in pins)))
    n_mentors = len(caps)
    source, sink = n_mentees + n_mentors, n_mentees + n_mentors + 1
    flow = min_cost_flow.SimpleMinCostFlow()
    em_f, ee_f = np.asarray(em)[free], np.asarray(ee)[free]
    tails = np.concatenate([np.full(n_mentees, source), ee_f, n_mentees + np.arange(n_mentors)])
    heads = np.concatenate([np.arange(n_mentees), n_mentees + em_f, np.full(n_mentors, sink)])
    capacity = np.concatenate([np.ones(n_mentees + len(free)), np.maximum(caps_left, 0)])
    cost = np.concatenate([np.zeros(n_mentees), -np.asarray(w, dtype=np.int64)[free],
                           np.zeros(n_mentors)])
    flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int64), heads.astype(np.int64), capacity.astype(np.int64),
        cost.astype(np.int64),
    )
    supply = n_mentees if max_pairs is None else max_pairs - len(pins)
    flow.set_node_supply(source, int(supply))
    flow.set_node_supply(sink, -int(supply))
    status = flow.solve_max_flow_with_min_cost()
    assert status == flow.OPTIMAL
    used = flow.flows(np.arange(n_mentees, n_mentees + len(free))) > 0
    return base[0] + int(used.sum()), base[1] + int(np.asarray(w, dtype=np.int64)[free][used].sum())
