"""Grant allocation: fund whole requests from a fixed budget (pure: numpy/SciPy only).

A fund (e.g. 500,000 yuan paying interest on women's start-up loans) receives requests.
Each :class:`Applicant` asks for an exact ``amount`` (``Decimal`` yuan, at most two
decimals) and carries a ``priority`` (a non-negative number). :func:`allocate` funds a set
of applicants, each at exactly her amount, with

1. total amount <= budget (exact: money is converted to integer fen);
2. at least ``region_min[r]`` funded applicants in each region ``r``;

and, under ``policy="optimal"``, the largest possible sum of priorities; under
``policy="ranked"``, the transparent first-come-by-priority rule described in
:func:`_ranked`. Unmeetable minimums raise :class:`InfeasibleError` (checked exactly:
regions are disjoint, so the cheapest way to meet every minimum is the sum over regions of
each region's cheapest ``region_min[r]`` requests).

Exactness of the optimum
------------------------
* Priorities are compared on a decimal grid: exactly when every priority has at most 6
  decimals (``0.8``, ``0.75``), otherwise rounded half-even to 6 decimals (coarser only if
  the sum of all priorities would exceed 10**13 grid units). The grid is reported as
  ``AllocationResult.priority_decimals``; ``total_priority`` is the exact grid sum.
* The model is a 0/1 knapsack with regional cover rows. Steps:

  1. a feasible incumbent: greedy by priority per yuan after the cheapest way to meet
     the minimums, then (for more than ``_CORE_SIZE`` free applicants) a "core" solve:
     the LP relaxation's clear decisions are kept and the ~100 applicants nearest the
     margin are decided exactly (the DP below, else HiGHS). Heuristic only.
  2. exact reduced-cost fixing: the LP relaxation (``linprog``/HiGHS) supplies dual
     prices; for *any* non-negative prices the Lagrangian bound is valid, and it is
     evaluated in Python integers (prices rounded to multiples of 2**-40). ``x_i`` is
     fixed only when every solution violating the fixing is worth strictly less than the
     incumbent, so no optimal solution is cut off. On 5,000 applicants this settles all
     but a few dozen to a hundred.
  3. the residual is solved exactly in integers by a Pareto dynamic programme
     (:func:`_pareto`; regional counts are part of the state), so the optimum does not
     depend on any floating-point tolerance (``proof="exact"``). If the state space is too
     large, or with ``reduce=False``, HiGHS (:func:`scipy.optimize.milp`) solves it with
     ``mip_rel_gap=0``, integer objective coefficients (grid units over their gcd) and the
     budget row divided by the gcd of the amounts in fen, its bound rounded down (exact:
     the left side is a multiple of that gcd) (``proof="highs"``).

* Whatever the path, the point is verified in integers (budget in fen, minimums, fixings);
  one that fails raises :class:`SolverError`. If the verified value were below the
  incumbent's (a tolerance failure), the incumbent is used and ``status`` is
  ``"feasible"`` instead of ``"optimal"``.

Ties (deterministic: same input in the same order, same result)
----------------------------------------------------------------
1. Zero-priority applicants are funded when a regional minimum needs them, and otherwise
   only with money nobody of positive priority can use: in input order, each one that
   still fits.
2. Equal priorities favour input order: an unfunded applicant never could take the place
   of a *later-listed* funded applicant of the same priority (one-for-one swaps that keep
   the budget and the minimums are applied until none is left).
3. Remaining ties (e.g. one applicant of 1.0 against two of 0.5) are decided by the
   solver path (the DP keeps, among equal values, the cheapest state, preferring not to
   take a later applicant; HiGHS is deterministic for the same model).

Explanations
------------
Every applicant gets a Chinese reason. Under ``"optimal"``, an unfunded applicant whose
priority is higher than some funded applicant's ("displaced") is explained by re-solving
with her forced in: the reason says how much total priority the best such alternative
loses and whom it squeezes out. Only the ``explain_top_k`` highest-priority displaced
applicants (default 20) are re-solved; the others get a generic reason.
"""


from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import numpy as np

from .allocation_exact import _optimal, _verify
from .allocation_model import (
    DEFAULT_EXPLAIN_TOP_K,
    FUNDED_REASON,
    MAX_PRIORITY_DECIMALS,
    MAX_YUAN,
    POLICIES,
    AllocationError,
    AllocationResult,
    Alternative,
    Applicant,
    InfeasibleError,
    SolverError,
    _build_problem,
    _check_feasible,
    _grid_float,
    _Problem,
    format_yuan,
)

__all__ = [
    "DEFAULT_EXPLAIN_TOP_K",
    "FUNDED_REASON",
    "MAX_PRIORITY_DECIMALS",
    "MAX_YUAN",
    "POLICIES",
    "AllocationError",
    "AllocationResult",
    "Alternative",
    "Applicant",
    "InfeasibleError",
    "SolverError",
    "allocate",
    "format_yuan",
]


# --------------------------------------------------------------------------- ranked policy


def _ranked(p: _Problem) -> tuple[np.ndarray, dict[int, str]]:
    """The ranked policy.

    Rank = priority, highest first, ties by input order. Phase 1 (only if there are
    minimums): walk the ranking; an applicant whose region is still below its minimum is
    funded if, after paying her, the remaining budget still covers the cheapest way to fill
    every outstanding minimum from the applicants not yet passed; otherwise she is passed
    over in this phase. This always meets every minimum when they can be met at all.
    Phase 2: walk the ranking again and fund each unfunded applicant who fits the
    remaining budget, skipping those who do not.
    """
    order = np.lexsort((np.arange(p.n), -p.weight)).tolist()
    amount, region = p.amount.tolist(), p.region.tolist()
    x = np.zeros(p.n, dtype=bool)
    left = p.budget
    need = p.minimum.astype(np.int64).copy()
    if need.any():
        pools: dict[int, list[tuple[int, int]]] = {
            int(c): sorted((amount[i], i) for i in range(p.n) if region[i] == c)
            for c in np.flatnonzero(need > 0)
        }

        def cheapest(code: int, count: int, without: int) -> int:
            total, taken = 0, 0
            for a, i in pools[code]:
                if taken == count:
                    break
                if i != without:
                    total, taken = total + a, taken + 1
            return total

        cost = {c: cheapest(c, int(need[c]), -1) for c in pools}
        outstanding = sum(cost.values())
        for i in order:
            c = region[i]
            if need[c] <= 0:
                continue
            after = cheapest(c, int(need[c]) - 1, i)
            if left - amount[i] >= outstanding - cost[c] + after:
                x[i] = True
                left -= amount[i]
                need[c] -= 1
                outstanding += after - cost[c]
                cost[c] = after
            else:
                still = cheapest(c, int(need[c]), i)
                outstanding += still - cost[c]
                cost[c] = still
            pools[c].remove((amount[i], i))
        assert not (need > 0).any()  # guaranteed by the invariant (see docstring)
    reasons: dict[int, str] = {}
    for rank, i in enumerate(order, start=1):
        if x[i]:
            reasons[i] = FUNDED_REASON
        elif amount[i] <= left:
            x[i] = True
            left -= amount[i]
            reasons[i] = FUNDED_REASON
        else:
            reasons[i] = (
                f"预算不足：排在第 {rank} 位时剩余预算 {format_yuan(left)} 元，"
                f"不足以支付 {format_yuan(amount[i])} 元"
            )
    return x, reasons


# --------------------------------------------------------------------------- public API


def allocate(
    applicants: Sequence[Applicant],
    budget: Decimal,
    region_min: Mapping[str, int] | None = None,
    policy: str = "optimal",
    *,
    explain_top_k: int = DEFAULT_EXPLAIN_TOP_K,
    reduce: bool = True,
) -> AllocationResult:
    """Allocate ``budget`` (yuan) to whole requests; see the module docs for the rules.

    Raises :class:`InfeasibleError` when the regional minimums cannot be met and
    :class:`AllocationError` for invalid input (duplicate ids, amounts <= 0 or with more
    than two decimals, floats for money, negative or non-finite priorities, unknown policy).
    ``reduce=False`` hands the whole model to HiGHS (no fixing, no DP; same optimum; for
    benchmarks and tests).
    """
    if policy not in POLICIES:
        raise AllocationError(f"未知的分配方式「{policy}」，可选：{'、'.join(POLICIES)}")
    if isinstance(explain_top_k, bool) or not isinstance(explain_top_k, int) or explain_top_k < 0:
        raise AllocationError("explain_top_k 必须是非负整数")
    p = _build_problem(applicants, budget, region_min)
    _check_feasible(p)
    mip_gap: float | None = None
    proof: str | None = None
    alternatives: dict[str, Alternative] = {}
    if policy == "ranked":
        x, reasons_by_index = _ranked(p)
        status = "ranked"
    else:
        x, reasons_by_index, status, solution, alternatives = _optimal(p, explain_top_k, reduce)
        mip_gap, proof = solution.mip_gap, solution.proof
    if not _verify(p, x, np.zeros(p.n, dtype=bool), np.zeros(p.n, dtype=bool)):
        raise SolverError("分配结果未通过精确校验 (allocation fails exact verification)")
    funded = np.flatnonzero(x)
    return AllocationResult(
        funded_ids=tuple(p.ids[i] for i in funded),
        reasons={p.ids[i]: reasons_by_index[i] for i in range(p.n)},
        total_amount=Decimal(int(p.amount[funded].sum())).scaleb(-2).quantize(Decimal("0.01")),
        total_priority=_grid_float(int(p.weight[funded].sum()), p.decimals),
        status=status,
        policy=policy,
        priority_decimals=p.decimals,
        mip_gap=mip_gap,
        proof=proof,
        alternatives=alternatives,
    )
