"""Candidate edges: only plausible pairs reach the solver.

A mentor is a candidate for a mentee when the hard rules allow the pair (region range,
exclusions, optional shared category, minimum text similarity, mentor capacity > 0) and she
is among the mentee's ``top_k`` allowed mentors ranked by text similarity (6 decimals), then
nearer region, then input order — a total order, so the result is deterministic.

Cost grows with (mentors + mentees) × k, never mentors × mentees in memory:

- with a region rule (same county / town / village) mentees and mentors are grouped by
  that region and each group is a small dense block;
- without one, mentees are processed in chunks against the sparse mentor TF-IDF matrix and
  only the non-zero similarities are ranked; a mentee with fewer than ``top_k`` non-zero
  allowed mentors is filled up with the nearest zero-similarity mentors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .features import EncodedProfiles, TextIndex, pair_region_level, region_level

_BLOCK_CELLS = 4_000_000  # dense cells per block; bounds memory at ~100 MB


@dataclass(frozen=True)
class CandidateRules:
    """Hard rules and the top-k size.

    ``max_region_level``: 0 same village, 1 same town, 2 same county (default), 3 anywhere.
    ``exclusions``: (mentor_id, mentee_id) pairs that must never be proposed.
    """

    max_region_level: int = 2
    top_k: int = 20
    min_text_similarity: float = 0.0
    require_category: bool = False
    exclusions: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    chunk_size: int = 2048

    def __post_init__(self) -> None:
        if self.max_region_level not in (0, 1, 2, 3):
            raise ValueError("max_region_level must be 0, 1, 2 or 3")
        if self.top_k < 1 or self.chunk_size < 1:
            raise ValueError("top_k and chunk_size must be positive")


@dataclass(frozen=True)
class Candidates:
    """Candidate edges in (mentee, mentor) order with their text similarity."""

    edge_mentor: np.ndarray
    edge_mentee: np.ndarray
    text_similarity: np.ndarray


class _Context:
    """Shared state of one candidate run: rules, masks and the ranking key."""

    def __init__(self, index: TextIndex, enc: EncodedProfiles, rules: CandidateRules,
                 excluded: set[int]) -> None:
        self.index, self.enc, self.rules = index, enc, rules
        self.n_mentors = index.mentor_matrix.shape[0]
        self.usable = enc.capacity > 0
        self.excluded = excluded  # keys mentee * n_mentors + mentor

    def allowed(self, rows: np.ndarray, cols: np.ndarray, sim: np.ndarray,
                level: np.ndarray) -> np.ndarray:
        """Hard-rule mask for mentee ``rows`` × mentor ``cols`` (broadcastable arrays)."""
        ok = (level <= self.rules.max_region_level) & self.usable[cols]
        if self.rules.min_text_similarity > 0:
            ok &= sim >= self.rules.min_text_similarity
        if self.rules.require_category:
            a = self.enc.mentee_categories[rows.ravel()] if rows.ndim == 1 else None
            if a is not None:  # aligned entry lists
                b = self.enc.mentor_categories[cols.ravel()]
                ok &= np.asarray(a.multiply(b).sum(axis=1)).ravel() > 0
            else:  # block: rows (r, 1), cols (1, c)
                shared = self.enc.mentee_categories[rows[:, 0]] @ self.enc.mentor_categories[
                    cols[0]
                ].T
                ok &= shared.toarray() > 0
        if self.excluded:
            keys = rows.astype(np.int64) * self.n_mentors + cols
            ok &= ~np.isin(keys, list(self.excluded))
        return ok

    def key(self, sim: np.ndarray, level: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Distinct int64 ranking keys: similarity, then nearer region, then lower index."""
        q = np.floor(np.asarray(sim) * 1e6 + 0.5).astype(np.int64)
        return (q * 4 + (3 - level)) * (self.n_mentors + 1) + (self.n_mentors - cols)


def _grouped(ctx: _Context, out: list[tuple[np.ndarray, ...]]) -> None:
    """Region rule present: rank within each region group (county, town or village)."""
    col = 2 - ctx.rules.max_region_level
    e_ids = ctx.enc.mentee_region[:, col]
    m_ids = ctx.enc.mentor_region[:, col]
    m_order = np.argsort(m_ids, kind="stable")
    m_sorted = m_ids[m_order]
    k = ctx.rules.top_k
    for gid in np.unique(e_ids[e_ids >= 0]):
        lo, hi = np.searchsorted(m_sorted, [gid, gid + 1])
        cols = m_order[lo:hi]
        cols = cols[ctx.usable[cols]]
        if len(cols) == 0:
            continue
        mentor_block = ctx.index.mentor_matrix[cols].T.tocsr()
        members = np.flatnonzero(e_ids == gid)
        step = max(1, _BLOCK_CELLS // len(cols))
        for s in range(0, len(members), step):
            rows = members[s : s + step]
            sim = (ctx.index.mentee_matrix[rows] @ mentor_block).toarray().astype(np.float64)
            level = region_level(ctx.enc.mentor_region[cols][None, :, :],
                                 ctx.enc.mentee_region[rows][:, None, :])
            ok = ctx.allowed(rows[:, None], cols[None, :], sim, level)
            key = np.where(ok, ctx.key(sim, level, cols[None, :]), -1)
            top = np.argsort(-key, axis=1, kind="stable")[:, :k]
            r_idx = np.repeat(np.arange(len(rows)), top.shape[1])
            c_idx = top.ravel()
            keep = key[r_idx, c_idx] >= 0
            r_idx, c_idx = r_idx[keep], c_idx[keep]
            out.append((rows[r_idx], cols[c_idx], sim[r_idx, c_idx]))


class _Pools:
    """Mentor indices per region id at each level, for proximity-ordered filling."""

    def __init__(self, enc: EncodedProfiles) -> None:
        self.by_level: list[dict[int, np.ndarray]] = []
        for col in (2, 1, 0):  # village, town, county
            ids = enc.mentor_region[:, col]
            order = np.argsort(ids, kind="stable")
            bounds = np.flatnonzero(np.diff(ids[order])) + 1
            groups = np.split(order, bounds)
            self.by_level.append(
                {int(ids[g[0]]): g for g in groups if len(g) and ids[g[0]] >= 0}
            )


def _fill(ctx: _Context, pools: _Pools, j: int, need: int, taken: np.ndarray) -> np.ndarray:
    """Zero-similarity mentors for mentee ``j``: same village, town, county, then anyone."""
    region = ctx.enc.mentee_region[j]
    near = [pools.by_level[n].get(int(region[c]), np.zeros(0, dtype=np.int64))
            for n, c in enumerate((2, 1, 0))]
    window = need + len(taken) + sum(len(p) for p in near) + 16
    while True:
        order = np.concatenate([*near, np.arange(min(window, ctx.n_mentors))])
        _, first = np.unique(order, return_index=True)
        order = order[np.sort(first)]  # proximity order, each mentor once
        order = order[~np.isin(order, taken)]
        level = pair_region_level(ctx.enc, order, np.full(len(order), j))
        ok = ctx.allowed(np.full(len(order), j), order, np.zeros(len(order)), level)
        if ok.sum() >= need or window >= ctx.n_mentors:
            return order[ok][:need]
        window *= 4


def _anywhere(ctx: _Context, out: list[tuple[np.ndarray, ...]]) -> None:
    """No region rule: chunks of mentees against all mentors, ranking non-zero entries."""
    mentor_t = ctx.index.mentor_matrix.T.tocsr()
    n_mentees = ctx.index.mentee_matrix.shape[0]
    k = min(ctx.rules.top_k, ctx.n_mentors)
    pools = _Pools(ctx.enc)
    key_span = (4_000_004 + 4) * (ctx.n_mentors + 1)  # exceeds any ranking key
    for start in range(0, n_mentees, ctx.rules.chunk_size):
        stop = min(start + ctx.rules.chunk_size, n_mentees)
        prod = sp.csr_matrix(ctx.index.mentee_matrix[start:stop] @ mentor_t)
        prod.eliminate_zeros()
        rows = np.repeat(np.arange(start, stop), np.diff(prod.indptr))
        cols = prod.indices.astype(np.int64)
        sim = prod.data.astype(np.float64)
        level = pair_region_level(ctx.enc, cols, rows)
        ok = ctx.allowed(rows, cols, sim, level)
        rows, cols, sim, level = rows[ok], cols[ok], sim[ok], level[ok]
        # One int64 sort: by row, then by descending ranking key.
        order = np.argsort((rows - start) * key_span + (key_span - 1 - ctx.key(sim, level, cols)))
        rows, cols, sim = rows[order], cols[order], sim[order]
        have = np.bincount(rows - start, minlength=stop - start)
        rank = np.arange(len(rows)) - np.repeat(np.cumsum(have) - have, have)
        keep = rank < k
        out.append((rows[keep], cols[keep], sim[keep]))
        if ctx.rules.min_text_similarity > 0:
            continue
        have = np.minimum(have, k)
        for local in np.flatnonzero(have < k):
            j = start + int(local)
            nonzero = prod.indices[prod.indptr[local] : prod.indptr[local + 1]]
            extra = _fill(ctx, pools, j, k - int(have[local]), nonzero)
            if len(extra):
                out.append((np.full(len(extra), j), extra, np.zeros(len(extra))))


def generate_candidates(
    index: TextIndex,
    enc: EncodedProfiles,
    rules: CandidateRules,
    mentor_ids: Sequence[str] = (),
    mentee_ids: Sequence[str] = (),
) -> Candidates:
    """Return the candidate edges allowed by ``rules`` (ids are needed only for exclusions)."""
    n_mentors = index.mentor_matrix.shape[0]
    excluded: set[int] = set()
    if rules.exclusions:
        m_pos = {m: k for k, m in enumerate(mentor_ids)}
        e_pos = {e: k for k, e in enumerate(mentee_ids)}
        excluded = {
            e_pos[e] * n_mentors + m_pos[m]
            for m, e in rules.exclusions
            if m in m_pos and e in e_pos
        }
    ctx = _Context(index, enc, rules, excluded)
    out: list[tuple[np.ndarray, ...]] = []
    if n_mentors and index.mentee_matrix.shape[0]:
        if rules.max_region_level < 3:
            _grouped(ctx, out)
        else:
            _anywhere(ctx, out)
    if not out:
        empty = np.zeros(0, dtype=np.int64)
        return Candidates(empty, empty.copy(), np.zeros(0))
    ee = np.concatenate([o[0] for o in out]).astype(np.int64)
    em = np.concatenate([o[1] for o in out]).astype(np.int64)
    sim = np.concatenate([o[2] for o in out]).astype(np.float64)
    order = np.lexsort((em, ee))
    return Candidates(em[order], ee[order], np.clip(sim[order], 0.0, 1.0))
