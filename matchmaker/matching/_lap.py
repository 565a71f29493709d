"""Fast exact engine: maximum-cardinality, maximum-score b-matching without a pair limit.

Strategy (all heavy lifting in SciPy's compiled code):

1. A maximum flow (Dinic) gives one maximum-cardinality matching and its size.
2. The Gallai–Edmonds / Dulmage–Mendelsohn decomposition of the mentor-copy graph, read off
   the residual graph with two breadth-first searches, splits the problem into three
   independent assignment problems in which one side must be matched completely:
   - mentors that are saturated in every maximum matching (A_m) and the mentees that some
     maximum matching leaves single (D_e): every copy of an A_m mentor is matched into D_e;
   - mentees matched in every maximum matching and adjacent to mentors with spare capacity
     (A_e) and those mentors (D_m): every A_e mentee is matched into D_m;
   - the rest (C), which every maximum matching matches perfectly.
   Edges between the parts are never used by a maximum matching.
3. Each part is a "full matching" problem solved exactly by LAPJVsp
   (``scipy.sparse.csgraph.min_weight_full_bipartite_matching``) on mentor capacity copies.

Because no part needs dummy vertices or a big-M penalty, costs stay small integers, which
float64 represents exactly, so the optimum is exact for the integer (quantised) scores.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import (
    breadth_first_order,
    connected_components,
    maximum_flow,
    min_weight_full_bipartite_matching,
)

_BATCH_COLUMNS = 512


def max_flow_matching(
    capacities: np.ndarray, edge_mentor: np.ndarray, edge_mentee: np.ndarray, n_mentees: int
) -> np.ndarray:
    """Return a boolean mask of edges forming one maximum-cardinality b-matching.

    Precondition: edges sorted by (mentee, mentor) without duplicates.
    """
    n_mentors = len(capacities)
    n_edges = len(edge_mentor)
    matched = np.zeros(n_edges, dtype=bool)
    if n_edges == 0:
        return matched
    # Nodes: 0 = source, 1..N = mentees, N+1..N+M = mentors, N+M+1 = sink; CSR built directly.
    sink = n_mentees + n_mentors + 1
    degree = np.bincount(edge_mentee, minlength=n_mentees)
    row_len = np.concatenate([[n_mentees], degree, np.ones(n_mentors, dtype=np.int64), [0]])
    indptr = np.concatenate([[0], np.cumsum(row_len)]).astype(np.int32)
    indices = np.concatenate(
        [1 + np.arange(n_mentees), n_mentees + 1 + edge_mentor, np.full(n_mentors, sink)]
    ).astype(np.int32)
    caps = np.concatenate(
        [np.ones(n_mentees + n_edges, dtype=np.int32), capacities.astype(np.int32)]
    )
    graph = sp.csr_array((caps, indices, indptr), shape=(sink + 1, sink + 1))
    flow = maximum_flow(graph, 0, sink, method="dinic").flow
    flow.sort_indices()
    lo, hi = flow.indptr[1], flow.indptr[n_mentees + 1]
    cols = flow.indices[lo:hi]
    rows = np.repeat(np.arange(n_mentees), np.diff(flow.indptr[1 : n_mentees + 2]))
    sel = (flow.data[lo:hi] > 0) & (cols > n_mentees)
    key_flow = rows[sel].astype(np.int64) * n_mentors + (cols[sel] - n_mentees - 1)
    key_edge = edge_mentee.astype(np.int64) * n_mentors + edge_mentor
    matched[np.searchsorted(key_edge, key_flow)] = True
    return matched


def reachable(
    n_nodes: int, tails: np.ndarray, heads: np.ndarray, sources: np.ndarray
) -> np.ndarray:
    """Nodes reachable from any of ``sources`` along directed arcs ``tails -> heads``."""
    root = n_nodes
    t = np.concatenate([tails, np.full(len(sources), root)]).astype(np.int32)
    h = np.concatenate([heads, sources]).astype(np.int32)
    graph = sp.csr_array((np.ones(len(t), dtype=np.int8), (t, h)), shape=(root + 1, root + 1))
    order = breadth_first_order(graph, root, directed=True, return_predecessors=False)
    seen = np.zeros(root + 1, dtype=bool)
    seen[order] = True
    return seen[:n_nodes]


def _compact(values: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and each value's position among them (a fast ``np.unique``)."""
    present = np.zeros(size, dtype=bool)
    present[values] = True
    distinct = np.flatnonzero(present)
    position = np.cumsum(present) - 1
    return distinct, position[values]


def _batches(select: np.ndarray, edge_mentor: np.ndarray, edge_mentee: np.ndarray,
             n_mentors: int) -> list[np.ndarray]:
    """Split the selected edges into groups of whole connected components.

    SciPy's LAPJVsp resets and scans every column once per augmenting-path search, so one
    call costs about rows × columns; solving components (packed into batches of about
    ``_BATCH_COLUMNS`` columns to bound the number of calls) is far cheaper and still exact,
    because components share no vertex.
    """
    eidx = np.flatnonzero(select)
    if len(eidx) == 0:
        return []
    mentors, m_local = _compact(edge_mentor[eidx], n_mentors)
    mentees, e_local = _compact(edge_mentee[eidx], int(edge_mentee.max()) + 1)
    nm, n_nodes = len(mentors), len(mentors) + len(mentees)
    graph = sp.csr_array(
        (np.ones(len(eidx), dtype=np.int8), (m_local, nm + e_local)), shape=(n_nodes, n_nodes)
    )
    n_comp, label = connected_components(graph, directed=False)
    columns = np.bincount(label[nm:], minlength=n_comp)
    batch_of = np.zeros(n_comp, dtype=np.int64)
    batch, filled = 0, 0
    for comp in range(n_comp):  # components in label order: deterministic
        if filled and filled + columns[comp] > _BATCH_COLUMNS:
            batch, filled = batch + 1, 0
        batch_of[comp] = batch
        filled += columns[comp]
    edge_batch = batch_of[label[m_local]]
    order = np.argsort(edge_batch, kind="stable")  # keeps (mentee, mentor) order inside
    bounds = np.searchsorted(edge_batch[order], np.arange(batch + 2))
    return [eidx[order[bounds[b] : bounds[b + 1]]] for b in range(batch + 1)]


def _solve_block(
    select: np.ndarray,
    capacities: np.ndarray,
    edge_mentor: np.ndarray,
    edge_mentee: np.ndarray,
    weight: np.ndarray,
    rows_are_mentors: bool,
) -> np.ndarray:
    """Solve one decomposition part, component batch by batch; return chosen edges."""
    parts = [
        _solve_part(batch, capacities, edge_mentor, edge_mentee, weight, rows_are_mentors)
        for batch in _batches(select, edge_mentor, edge_mentee, len(capacities))
    ]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _solve_part(
    eidx: np.ndarray,
    capacities: np.ndarray,
    edge_mentor: np.ndarray,
    edge_mentee: np.ndarray,
    weight: np.ndarray,
    rows_are_mentors: bool,
) -> np.ndarray:
    """Solve a set of whole components (edges ``eidx`` in (mentee, mentor) order).

    The rows side (mentor copies, or mentees) must be matched completely; LAPJVsp gets
    costs ``max(w) - w + 1`` (all >= 1, as it forbids explicit zeros).
    """
    mentors, m_local = _compact(edge_mentor[eidx], len(capacities))
    mentees, e_local = _compact(edge_mentee[eidx], int(edge_mentee.max()) + 1)
    caps = capacities[mentors].astype(np.int64)
    copy_start = np.concatenate([[0], np.cumsum(caps)[:-1]])
    n_copies = int(caps.sum())
    w = weight[eidx]
    cost_base = w.max() + 1
    if rows_are_mentors:
        # Input is in (mentee, mentor) order, so a stable sort by mentor gives (mentor, mentee).
        order = np.argsort(m_local.astype(np.int32), kind="stable")
        eidx, m_local, e_local, w = eidx[order], m_local[order], e_local[order], w[order]
        deg = np.bincount(m_local, minlength=len(mentors))
        first = np.concatenate([[0], np.cumsum(deg)[:-1]])
        row_len = np.repeat(deg, caps)
        indptr = np.concatenate([[0], np.cumsum(row_len)])
        pos = np.repeat(np.repeat(first, caps) - indptr[:-1], row_len) + np.arange(indptr[-1])
        indices = e_local[pos]
        data = (cost_base - w[pos]).astype(np.float64)
        shape = (n_copies, len(mentees))
        row_owner = np.repeat(np.arange(len(mentors)), caps)
    else:
        reps = caps[m_local]
        pos = np.repeat(np.arange(len(eidx)), reps)
        offset = np.arange(len(pos)) - np.repeat(np.cumsum(reps) - reps, reps)
        indices = copy_start[m_local][pos] + offset
        indptr = np.concatenate([[0], np.cumsum(np.bincount(e_local[pos], minlength=len(mentees)))])
        data = (cost_base - w[pos]).astype(np.float64)
        shape = (len(mentees), n_copies)
        row_owner = None
    matrix = sp.csr_array(
        (data, indices.astype(np.int32), indptr.astype(np.int32)), shape=shape
    )
    rows, cols = min_weight_full_bipartite_matching(matrix)
    if rows_are_mentors:
        m_pick = row_owner[rows]
        e_pick = cols
    else:
        copy_owner = np.repeat(np.arange(len(mentors)), caps)
        m_pick = copy_owner[cols]
        e_pick = rows
    # Locate the original edge of each chosen (mentor, mentee) pair.
    if rows_are_mentors:  # edges are in (mentor, mentee) order
        key_all = m_local.astype(np.int64) * len(mentees) + e_local
        key_pick = m_pick.astype(np.int64) * len(mentees) + e_pick
    else:  # edges are in (mentee, mentor) order
        key_all = e_local.astype(np.int64) * len(mentors) + m_local
        key_pick = e_pick.astype(np.int64) * len(mentors) + m_pick
    return eidx[np.searchsorted(key_all, key_pick)]


def solve_max_cardinality(
    capacities: np.ndarray,
    edge_mentor: np.ndarray,
    edge_mentee: np.ndarray,
    weight: np.ndarray,
    n_mentees: int,
    matched: np.ndarray | None = None,
) -> np.ndarray:
    """Exact maximum-cardinality, then maximum-weight b-matching; returns chosen edge indices.

    Preconditions: edges sorted by (mentee, mentor) without duplicates, all capacities
    positive; ``weight`` holds integers small enough that ``(max - min + 1) * (vertices + 1)``
    stays below 2**52. ``matched`` may pass a precomputed maximum-cardinality matching mask.
    """
    n_mentors = len(capacities)
    if len(edge_mentor) == 0:
        return np.zeros(0, dtype=np.int64)
    if matched is None:
        matched = max_flow_matching(capacities, edge_mentor, edge_mentee, n_mentees)
    free_edge = ~matched
    mentee_matched = np.zeros(n_mentees, dtype=bool)
    mentee_matched[edge_mentee[matched]] = True
    used = np.bincount(edge_mentor[matched], minlength=n_mentors)
    n_nodes = n_mentees + n_mentors
    mentor_node = n_mentees + edge_mentor
    # Alternating paths from single mentees: mentee -(free edge)-> mentor -(matched)-> mentee.
    r1 = reachable(
        n_nodes,
        np.concatenate([edge_mentee[free_edge], mentor_node[matched]]),
        np.concatenate([mentor_node[free_edge], edge_mentee[matched]]),
        np.flatnonzero(~mentee_matched),
    )
    d_mentee, a_mentor = r1[:n_mentees], r1[n_mentees:]
    # Alternating paths from mentors with spare capacity, in the other direction.
    r2 = reachable(
        n_nodes,
        np.concatenate([mentor_node[free_edge], edge_mentee[matched]]),
        np.concatenate([edge_mentee[free_edge], mentor_node[matched]]),
        n_mentees + np.flatnonzero(used < capacities),
    )
    d_mentor = r2[n_mentees:]
    a_mentee = np.zeros(n_mentees, dtype=bool)
    a_mentee[edge_mentee[d_mentor[edge_mentor]]] = True
    c_mentee = ~(d_mentee | a_mentee)
    c_mentor = ~(d_mentor | a_mentor)
    em, ee = edge_mentor, edge_mentee
    parts = [
        _solve_block(d_mentee[ee] & a_mentor[em], capacities, em, ee, weight, True),
        _solve_block(a_mentee[ee] & d_mentor[em], capacities, em, ee, weight, False),
        _solve_block(c_mentee[ee] & c_mentor[em], capacities, em, ee, weight, False),
    ]
    chosen = np.sort(np.concatenate(parts)).astype(np.int64)
    if len(chosen) != int(matched.sum()):  # pragma: no cover - would be a bug
        raise RuntimeError("decomposition lost pairs; please report this input")
    return chosen
