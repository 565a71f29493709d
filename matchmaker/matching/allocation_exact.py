"""The exact optimiser for the allocation model (see allocation.py for the method)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import csr_matrix, vstack

from .allocation_model import (
    FUNDED_REASON,
    Alternative,
    SolverError,
    _cheapest_cost,
    _completion_cost,
    _grid_float,
    _grid_text,
    _Problem,
    _residual,
    _show,
    format_yuan,
)

_PRICE_SCALE = 1 << 40  # dual prices are rounded to multiples of 2**-40 (any price >= 0 is valid)
_CORE_SIZE = 100  # applicants the core heuristic leaves to HiGHS
_CORE_GAP = 1e-4  # the core MIP only supplies an incumbent
_DP_MAX_KEYS = 4096  # regional-count combinations tracked by the residual DP
_DP_MAX_FRONTIER = 200_000  # states per step, and in total (memory), before HiGHS takes over
_DP_MAX_STORED = 4_000_000


# --------------------------------------------------------------------------- optimal policy


@dataclass
class _Solution:
    x: np.ndarray  # bool
    value: int  # grid units
    proven: bool  # HiGHS proved optimality and the verified value is at least the greedy one
    mip_gap: float | None
    fixed: int  # variables fixed by reduced costs
    mip_size: int  # variables left after fixing
    proof: str  # "exact" (integer fixing + Pareto DP) or "highs" (HiGHS, mip_rel_gap=0)


def _ratio_order(p: _Problem) -> np.ndarray:
    """Applicants by priority per yuan, best first (ties: higher priority, then input order)."""
    ratio = p.weight / p.amount
    return np.lexsort((np.arange(p.n), -p.weight, -ratio))


def _greedy(
    p: _Problem, start: np.ndarray, locked: np.ndarray, banned: np.ndarray, order: np.ndarray
) -> np.ndarray | None:
    """A feasible solution near ``start``: meet minimums cheaply, repair budget, fill by ratio."""
    x = (start | locked) & ~banned
    counts = np.bincount(p.region[x], minlength=len(p.region_names))
    amount = p.amount.tolist()
    region = p.region.tolist()
    for code in np.flatnonzero(counts < p.minimum):
        pool = np.flatnonzero((p.region == code) & ~x & ~banned)
        pool = pool[np.lexsort((pool, -p.weight[pool], p.amount[pool]))]
        deficit = int(p.minimum[code] - counts[code])
        if pool.size < deficit:
            return None
        x[pool[:deficit]] = True
        counts[code] += deficit
    total = int(p.amount[x].sum())
    if total > p.budget:
        for i in order[::-1].tolist():
            if total <= p.budget:
                break
            if x[i] and not locked[i] and counts[region[i]] > p.minimum[region[i]]:
                x[i] = False
                counts[region[i]] -= 1
                total -= amount[i]
        if total > p.budget:
            return None
    weight = p.weight.tolist()
    for i in order.tolist():
        if not x[i] and not banned[i] and weight[i] > 0 and amount[i] <= p.budget - total:
            x[i] = True
            total += amount[i]
    return x


def _verify(p: _Problem, x: np.ndarray, locked: np.ndarray, banned: np.ndarray) -> bool:
    counts = np.bincount(p.region[x], minlength=len(p.region_names))
    return (
        int(p.amount[x].sum()) <= p.budget
        and bool(np.all(counts >= p.minimum))
        and bool(np.all(x[locked]))
        and not bool(np.any(x[banned]))
    )


def _rows(p: _Problem, idx: np.ndarray, budget: int, need: np.ndarray):
    """Budget row (divided by the gcd of the amounts) and cover rows for regions in need."""
    g = math.gcd(*p.amount[idx].tolist()) if idx.size else 1
    codes = np.flatnonzero(need > 0)
    row_of = np.full(len(p.region_names), -1, dtype=np.int64)
    row_of[codes] = np.arange(codes.size)
    local = row_of[p.region[idx]]
    members = np.flatnonzero(local >= 0)
    cover = csr_matrix(
        (np.ones(members.size), (local[members], members)), shape=(codes.size, idx.size)
    )
    return g, (p.amount[idx] // g).astype(np.float64), budget // g, codes, cover


def _mip(
    p: _Problem, idx: np.ndarray, budget: int, need: np.ndarray, rel_gap: float
) -> tuple[np.ndarray, float | None]:
    """HiGHS on the applicants ``idx`` (integer objective, gcd-scaled budget row)."""
    g, row, bound, codes, cover = _rows(p, idx, budget, need)
    weights = p.weight[idx]
    gw = math.gcd(*weights.tolist()) or 1
    res = milp(
        -(weights // gw).astype(np.float64),
        constraints=LinearConstraint(
            vstack([csr_matrix(row[None, :]), cover], format="csr"),
            np.concatenate([[-np.inf], need[codes].astype(np.float64)]),
            np.concatenate([[float(bound)], np.full(codes.size, np.inf)]),
        ),
        integrality=np.ones(idx.size),
        bounds=Bounds(0, 1),
        options={"mip_rel_gap": rel_gap},
    )
    if res.x is None or res.status != 0:
        raise SolverError(f"HiGHS: {res.message}")
    return np.asarray(res.x) > 0.5, (None if res.mip_gap is None else float(res.mip_gap))


@dataclass
class _Lp:
    reduced: list[int]  # exact reduced costs of ``idx``, in units of 2**-40 grid units
    upper: int  # exact Lagrangian bound on the value of ``idx``, same units
    x: np.ndarray  # the LP point (floats), for the core heuristic


def _lp_bound(p: _Problem, idx: np.ndarray, budget: int, need: np.ndarray) -> _Lp | None:
    """LP relaxation prices turned into an exact Lagrangian bound (see module docs).

    For prices lam >= 0 (budget) and mu_r >= 0 (cover rows), every feasible x satisfies
    w.x <= lam*B - sum_r mu_r*need_r + sum_i d_i x_i with d_i = w_i - lam*a_i + mu_r(i);
    hence w.x <= upper = lam*B - sum mu*need + sum max(d_i, 0). All in integers.
    """
    g, row, bound, codes, cover = _rows(p, idx, budget, need)
    lp = linprog(
        -p.weight[idx].astype(np.float64),
        A_ub=vstack([csr_matrix(row[None, :]), -cover], format="csr"),
        b_ub=np.concatenate([[bound], -need[codes].astype(np.float64)]),
        bounds=(0, 1),
        method="highs",
    )
    if lp.status != 0 or lp.ineqlin is None or lp.x is None:
        return None
    prices = [max(0, round(-float(m) * _PRICE_SCALE)) for m in lp.ineqlin.marginals]
    lam, mus = prices[0], prices[1:]
    mu_of = [0] * len(p.region_names)
    for code, mu in zip(codes.tolist(), mus, strict=True):
        mu_of[code] = mu
    reduced = [
        w * _PRICE_SCALE - lam * a + mu_of[r]
        for w, a, r in zip(
            p.weight[idx].tolist(),
            (p.amount[idx] // g).tolist(),
            p.region[idx].tolist(),
            strict=True,
        )
    ]
    upper = lam * bound - sum(mu * int(need[c]) for c, mu in zip(codes.tolist(), mus, strict=True))
    upper += sum(d for d in reduced if d > 0)
    return _Lp(reduced, upper, np.asarray(lp.x))


def _core_solution(
    p: _Problem, idx: np.ndarray, lp: _Lp, base: np.ndarray, banned: np.ndarray
) -> np.ndarray | None:
    """A strong feasible solution: keep the LP's clear decisions, solve the ~core exactly.

    Applicants of ``idx`` with the largest |reduced cost| take their LP side; HiGHS decides
    the _CORE_SIZE closest to the margin. A heuristic only: fixings come later, exactly.
    """
    reduced = np.array([float(d) for d in lp.reduced])
    ranked = np.lexsort((idx, np.abs(reduced)))
    core = np.zeros(idx.size, dtype=bool)
    core[ranked[:_CORE_SIZE]] = True
    side = np.where(reduced == 0, lp.x > 0.5, reduced > 0)
    x = base.copy()
    x[idx[~core & side]] = True
    budget, need = _residual(p, x)
    sub = idx[core]
    sub = sub[p.amount[sub] <= budget]
    if budget < 0 or sub.size == 0:
        return None
    candidates = np.zeros(p.n, dtype=bool)
    candidates[sub] = True
    cheapest, _ = _completion_cost(p, candidates, need)
    if cheapest < 0 or cheapest > budget:
        return None
    chosen = _pareto(p, sub, budget, need)
    if chosen is None:
        try:
            chosen, _ = _mip(p, sub, budget, need, _CORE_GAP)
        except SolverError:  # a heuristic: any trouble just means no core incumbent
            return None
    x[sub[chosen]] = True
    return x if _verify(p, x, base, banned) else None


def _solve_optimal(
    p: _Problem,
    locked: np.ndarray | None = None,
    *,
    starts: Sequence[np.ndarray] = (),
    reduce: bool = True,
) -> _Solution | None:
    """Maximum-priority feasible set with ``locked`` applicants forced in; None if none exists."""
    n = p.n
    locked = np.zeros(n, dtype=bool) if locked is None else locked
    banned = (p.amount > p.budget) & ~locked
    cheapest, _ = _cheapest_cost(p, locked)
    if cheapest < 0 or cheapest > p.budget:
        return None
    order = _ratio_order(p)
    best: np.ndarray | None = None
    for start in [np.zeros(n, dtype=bool), *starts]:
        candidate = _greedy(p, start, locked, banned, order)
        if candidate is not None and (
            best is None or int(p.weight[candidate].sum()) > int(p.weight[best].sum())
        ):
            best = candidate
    assert best is not None  # the cheapest completion is always a feasible start

    ones = locked.copy()
    free = ~locked & ~banned
    fixed = 0
    if reduce and free.any():
        idx = np.flatnonzero(free)
        budget, need = _residual(p, locked)
        lp = _lp_bound(p, idx, budget, need)
        if lp is not None:
            if idx.size > _CORE_SIZE:
                core = _core_solution(p, idx, lp, locked, banned)
                if core is not None and int(p.weight[core].sum()) > int(p.weight[best].sum()):
                    best = core
            target = (int(p.weight[best].sum()) - int(p.weight[locked].sum())) * _PRICE_SCALE
            if lp.upper >= target:  # always, for a valid bound and a feasible incumbent
                upper = lp.upper
                one = np.array([d > 0 and upper - d < target for d in lp.reduced], dtype=bool)
                zero = np.array([d < 0 and upper + d < target for d in lp.reduced], dtype=bool)
                ones[idx[one]] = True
                free[idx[one | zero]] = False
                fixed = int(np.count_nonzero(one | zero))
    incumbent = int(p.weight[best].sum())
    budget, need = _residual(p, ones)
    free &= p.amount <= budget
    idx = np.flatnonzero(free)
    x = ones.copy()
    gap: float | None = 0.0
    proof = "exact"
    if idx.size:
        chosen = _pareto(p, idx, budget, need) if reduce else None
        if chosen is None:
            chosen, gap = _mip(p, idx, budget, need, 0.0)
            proof = "highs"
        x[idx[chosen]] = True
    if not _verify(p, x, locked, banned):
        raise SolverError("求解结果未通过精确校验 (solver point fails exact verification)")
    value = int(p.weight[x].sum())
    proven = value >= incumbent
    if not proven:
        x, value = best, incumbent
    return _Solution(x, value, proven, gap, fixed, int(idx.size), proof)


def _pareto(p: _Problem, idx: np.ndarray, budget: int, need: np.ndarray) -> np.ndarray | None:
    """Exact residual solve in integers: a Pareto (Nemhauser-Ullmann) dynamic programme.

    States are (cost, value, key) where the key encodes, capped at the need, how many
    applicants of each region still in need have been taken. Within a key, a state is
    dropped when another costs no more and is worth at least as much (ties: the one that
    does not take the newer applicant stays). Returns a mask over ``idx``, or None when the
    state space outgrows the limits (then HiGHS solves the residual).
    """
    codes = np.flatnonzero(need > 0)
    caps = need[codes].astype(np.int64)
    n_keys = math.prod(int(c) + 1 for c in caps)  # Python ints: no silent overflow
    big = int(p.weight[idx].sum()) + 1
    if n_keys > _DP_MAX_KEYS or n_keys * big >= 2**62:
        return None
    radix = np.cumprod(np.concatenate([[1], caps + 1]))[: caps.size].astype(np.int64)
    slot = np.full(len(p.region_names), -1, dtype=np.int64)
    slot[codes] = np.arange(codes.size)
    cost = np.zeros(1, dtype=np.int64)
    value = np.zeros(1, dtype=np.int64)
    key = np.zeros(1, dtype=np.int64)
    parents: list[np.ndarray] = []
    took: list[np.ndarray] = []
    stored = 0
    for a, w, r in zip(
        p.amount[idx].tolist(), p.weight[idx].tolist(), p.region[idx].tolist(), strict=True
    ):
        fits = np.flatnonzero(cost <= budget - a)
        new_key = key[fits]
        if slot[r] >= 0:
            step, cap = int(radix[slot[r]]), int(caps[slot[r]])
            new_key = new_key + step * ((new_key // step) % (cap + 1) < cap)
        all_cost = np.concatenate([cost, cost[fits] + a])
        all_value = np.concatenate([value, value[fits] + w])
        all_key = np.concatenate([key, new_key])
        all_parent = np.concatenate([np.arange(cost.size), fits])
        order = np.lexsort((-all_value, all_cost, all_key))  # stable: "not taken" first
        ranked = all_value[order] + all_key[order] * big  # the running max restarts per key
        keep = np.ones(order.size, dtype=bool)
        keep[1:] = ranked[1:] > np.maximum.accumulate(ranked)[:-1]
        kept = order[keep]
        took.append(kept >= cost.size)
        parents.append(all_parent[kept])
        cost, value, key = all_cost[kept], all_value[kept], all_key[kept]
        stored += kept.size
        if kept.size > _DP_MAX_FRONTIER or stored > _DP_MAX_STORED:
            return None
    complete = np.flatnonzero(key == int((caps * radix).sum()))
    if complete.size == 0:  # cannot happen: the incumbent satisfies every fixing
        return None
    state = int(complete[np.argmax(value[complete])])  # first maximum: the cheapest
    chosen = np.zeros(idx.size, dtype=bool)
    for k in range(idx.size - 1, -1, -1):
        chosen[k] = took[k][state]
        state = int(parents[k][state])
    return chosen


def _classes(p: _Problem) -> list[np.ndarray]:
    """Applicants grouped by equal priority (each group in input order), cached."""
    if "classes" not in p.cache:
        order = np.lexsort((np.arange(p.n), p.weight))
        cuts = np.flatnonzero(np.diff(p.weight[order])) + 1
        p.cache["classes"] = [c for c in np.split(order, cuts) if c.size > 1]
        p.cache["fill"] = np.lexsort((np.arange(p.n), -p.weight))
    return p.cache["classes"]


def _canonical(p: _Problem, x: np.ndarray, locked: np.ndarray) -> tuple[np.ndarray, bool]:
    """Apply the tie rules of the module docs; returns (x, whether positive priority was added)."""
    x = x.copy()
    banned = p.amount > p.budget
    counts = np.bincount(p.region[x], minlength=len(p.region_names))
    minimum = p.minimum.tolist()
    amount, weight, region = p.amount.tolist(), p.weight.tolist(), p.region.tolist()
    # Rule 1: drop zero priority not needed for a minimum (latest first).
    for i in np.flatnonzero(x & (p.weight == 0) & ~locked)[::-1].tolist():
        if counts[region[i]] > minimum[region[i]]:
            x[i] = False
            counts[region[i]] -= 1
    total = int(p.amount[x].sum())
    improved = False
    classes = _classes(p)
    changed = True
    while changed:
        changed = False
        for mem in classes:  # rule 2: one-for-one swaps toward input order
            movable = mem[x[mem] & ~locked[mem]]
            if movable.size == 0:
                continue
            for j in mem[~x[mem] & ~banned[mem] & (mem < movable[-1])].tolist():
                slack = p.budget - total
                cand = mem[(mem > j) & x[mem] & ~locked[mem]]
                if cand.size == 0:
                    break
                cand = cand[p.amount[cand] >= amount[j] - slack]
                cand = cand[
                    (p.region[cand] == region[j])
                    | (counts[p.region[cand]] > p.minimum[p.region[cand]])
                ]
                if cand.size:
                    i = int(cand[-1])
                    x[i], x[j] = False, True
                    counts[region[i]] -= 1
                    counts[region[j]] += 1
                    total += amount[j] - amount[i]
                    changed = True
        # Rule 1 again (and a safety net): fund whoever still fits, best priority first.
        fill = p.cache["fill"]
        for i in fill[~x[fill] & (p.amount[fill] <= p.budget - total)].tolist():
            if amount[i] <= p.budget - total:
                x[i] = True
                counts[region[i]] += 1
                total += amount[i]
                improved |= weight[i] > 0
                changed = True
    return x, improved


def _optimal(
    p: _Problem, explain_top_k: int, reduce: bool
) -> tuple[np.ndarray, dict[int, str], str, _Solution, dict[str, Alternative]]:
    no_lock = np.zeros(p.n, dtype=bool)
    solution = _solve_optimal(p, no_lock, reduce=reduce)
    assert solution is not None  # feasibility was checked
    x, improved = _canonical(p, solution.x, no_lock)
    status = "optimal" if solution.proven and not improved else "feasible"
    value = int(p.weight[x].sum())
    funded = np.flatnonzero(x)
    spent = int(p.amount[x].sum())
    left = p.budget - spent
    reasons: dict[int, str] = {int(i): FUNDED_REASON for i in funded}
    alternatives: dict[str, Alternative] = {}
    dec = p.decimals
    budget_text = format_yuan(p.budget)

    def prio(i: int) -> str:
        return _grid_text(int(p.weight[i]), dec)

    lowest = funded[np.lexsort((funded, p.weight[funded]))] if funded.size else funded
    unfunded = np.flatnonzero(~x)
    floor = int(p.weight[lowest[0]]) if lowest.size else None
    displaced = sorted(
        (
            int(j)
            for j in unfunded
            if floor is not None and p.weight[j] > floor and p.amount[j] <= p.budget
        ),
        key=lambda j: (-int(p.weight[j]), j),
    )
    explained = set(displaced[:explain_top_k])
    displaced_set = set(displaced)
    for j in unfunded.tolist():
        amount_text = format_yuan(int(p.amount[j]))
        if p.amount[j] > p.budget:
            reasons[j] = f"申请金额 {amount_text} 元超过预算总额 {budget_text} 元，无法资助"
            continue
        if j not in displaced_set:
            reasons[j] = (
                f"预算不足：已资助的人优先级都不低于她（{prio(j)}），"
                f"剩余预算 {format_yuan(left)} 元，不足以支付 {amount_text} 元"
            )
            continue
        below = lowest[p.weight[lowest] < p.weight[j]]
        named = int(below[0])
        others = f"等 {below.size} 人" if below.size > 1 else ""
        head = (
            f"优先级 {prio(j)} 高于已资助的 {_show(p.ids[named])}（{prio(named)}）{others}，"
            f"但资助她需要 {amount_text} 元，超出剩余预算 {format_yuan(left)} 元"
        )
        if j not in explained:
            reasons[j] = head + "；腾出预算须挤掉他人，总优先级会下降（未逐一计算替代方案）"
            continue
        locked = no_lock.copy()
        locked[j] = True
        forced = _solve_optimal(p, locked, starts=[x], reduce=reduce)
        if forced is None:
            alternatives[p.ids[j]] = Alternative(p.ids[j], feasible=False)
            reasons[j] = head + "；资助她之后，剩余预算无法满足各地区的最低名额"
            continue
        alt, _ = _canonical(p, forced.x, locked)
        alt_value = int(p.weight[alt].sum())
        removed = np.flatnonzero(x & ~alt)
        added = np.flatnonzero(alt & ~x & ~locked)
        loss = value - alt_value
        alternatives[p.ids[j]] = Alternative(
            p.ids[j],
            feasible=True,
            total_priority=_grid_float(alt_value, dec),
            loss=_grid_float(loss, dec),
            removed_ids=tuple(p.ids[i] for i in removed),
            added_ids=tuple(p.ids[i] for i in added),
        )
        squeezed = (
            f"挤掉优先级合计 {_grid_text(int(p.weight[removed].sum()), dec)} 的 {removed.size} 人"
        )
        extra = f"（另补上 {added.size} 人）" if added.size else ""
        if loss == 0:
            reasons[j] = (
                head + f"；资助她的最优方案需{squeezed}{extra}，总优先级相同（并列最优），"
                "按平局规则未选她"
            )
        elif loss < 0:  # only possible when the main solve could not be proven optimal
            status = "feasible"
            reasons[j] = head + f"；资助她的方案需{squeezed}{extra}，总优先级反而更高"
        else:
            reasons[j] = (
                head + f"；若资助她，最好的方案也会{squeezed}{extra}，"
                f"总优先级减少 {_grid_text(loss, dec)}"
            )
    return x, reasons, status, solution, alternatives
