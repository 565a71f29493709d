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

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from numbers import Real

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import csr_matrix, vstack

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

POLICIES = ("optimal", "ranked")
DEFAULT_EXPLAIN_TOP_K = 20
MAX_PRIORITY_DECIMALS = 6
MAX_YUAN = Decimal(10) ** 12  # per amount and for the budget: keeps fen far inside int64
FUNDED_REASON = "已资助"

_MAX_GRID_SUM = 10**13  # sum of all priorities in grid units (HiGHS works in doubles)
_PRICE_SCALE = 1 << 40  # dual prices are rounded to multiples of 2**-40 (any price >= 0 is valid)
_CORE_SIZE = 100  # applicants the core heuristic leaves to HiGHS
_CORE_GAP = 1e-4  # the core MIP only supplies an incumbent
_DP_MAX_KEYS = 4096  # regional-count combinations tracked by the residual DP
_DP_MAX_FRONTIER = 200_000  # states per step, and in total (memory), before HiGHS takes over
_DP_MAX_STORED = 4_000_000


class AllocationError(ValueError):
    """Invalid input to :func:`allocate` (message in Chinese)."""


class InfeasibleError(AllocationError):
    """The regional minimums cannot be met (too few applicants, or not enough budget).

    ``region`` names the region at fault (the costliest one when several add up);
    ``english`` is a one-line English rendering for bilingual callers.
    """

    def __init__(self, message: str, *, region: str | None = None, english: str = "") -> None:
        super().__init__(message)
        self.region = region
        self.english = english


class SolverError(RuntimeError):
    """HiGHS returned no usable solution (a bug or a numerical failure, never bad input)."""


@dataclass(frozen=True)
class Applicant:
    """One request: ``amount`` in yuan (``Decimal``, at most two decimals), ``priority`` >= 0."""

    id: str
    region: str
    amount: Decimal
    priority: float


@dataclass(frozen=True)
class Alternative:
    """The best allocation that funds ``applicant_id`` (a displaced applicant), for explaining.

    ``feasible`` is False when funding her leaves too little for the regional minimums.
    ``loss`` = optimal total priority - this alternative's total priority (>= 0).
    ``removed_ids``/``added_ids``: funded applicants it drops / others it adds (input order).
    """

    applicant_id: str
    feasible: bool
    total_priority: float | None = None
    loss: float | None = None
    removed_ids: tuple[str, ...] = ()
    added_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class AllocationResult:
    """``funded_ids`` in input order; ``reasons`` for every applicant, in input order.

    ``status``: ``"optimal"`` (proven), ``"ranked"`` (the ranked policy, no optimality
    claim) or ``"feasible"`` (optimal policy, but the proof failed a check; see module docs).
    ``proof`` (optimal policy): ``"exact"`` when integer arithmetic alone settled the
    optimum (reduced-cost fixing and the residual DP), ``"highs"`` when HiGHS solved the
    residual with ``mip_rel_gap=0``; ``mip_gap`` is then HiGHS's reported gap (0.0 for
    ``"exact"``).
    """

    funded_ids: tuple[str, ...]
    reasons: dict[str, str]
    total_amount: Decimal
    total_priority: float
    status: str
    policy: str = "optimal"
    priority_decimals: int = MAX_PRIORITY_DECIMALS
    mip_gap: float | None = None
    proof: str | None = None
    alternatives: dict[str, Alternative] = field(default_factory=dict)


# --------------------------------------------------------------------------- formatting


def format_yuan(fen: int, *, grouping: bool = True) -> str:
    """``123456789`` fen -> ``"1,234,567.89"`` (or ``"1234567.89"`` without grouping)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    body = f"{whole:,}" if grouping else str(whole)
    return f"{sign}{body}.{cents:02d}"


def _grid_text(units: int, decimals: int) -> str:
    """Exact decimal text of a grid value: 13, 1 -> '1.3'; 500000, 6 -> '0.5'."""
    value = Decimal(int(units)).scaleb(-decimals).normalize()
    return format(value, "f")


def _grid_float(units: int, decimals: int) -> float:
    return float(Decimal(int(units)).scaleb(-decimals))


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def _show(text: str) -> str:
    """An id as it may appear inside a one-line message (control characters escaped)."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# --------------------------------------------------------------------------- the problem


@dataclass
class _Problem:
    ids: list[str]
    amount: np.ndarray  # int64 fen
    weight: np.ndarray  # int64 priority grid units
    region: np.ndarray  # int64 region codes
    region_names: list[str]
    minimum: np.ndarray  # int64 per region code
    budget: int  # fen
    decimals: int
    cache: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.ids)


def _money_to_fen(value: object, what: str, *, positive: bool) -> int:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise AllocationError(f"{what}必须是 Decimal 金额（不接受浮点数）：{value!r}")
    amount = Decimal(value)
    if not amount.is_finite():
        raise AllocationError(f"{what}不是有限的金额：{value!r}")
    if positive and amount <= 0:
        raise AllocationError(f"{what}必须大于 0：{value}")
    if amount < 0:
        raise AllocationError(f"{what}不能为负数：{value}")
    if amount > MAX_YUAN:
        raise AllocationError(f"{what}过大（上限 {MAX_YUAN:,} 元）：{value}")
    fen = amount.scaleb(2)
    if fen != fen.to_integral_value():
        raise AllocationError(f"{what}最多两位小数：{value}")
    return int(fen)


def _priority_decimal(value: object, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Real | Decimal):
        raise AllocationError(f"{what}的优先级必须是数字：{value!r}")
    if isinstance(value, Decimal):
        dec = value
    elif isinstance(value, int):
        dec = Decimal(value)
    else:
        number = float(value)
        if not math.isfinite(number):
            raise AllocationError(f"{what}的优先级必须是有限数：{value!r}")
        dec = Decimal(repr(number))  # shortest text that round-trips: 0.1 -> Decimal('0.1')
    if not dec.is_finite() or not math.isfinite(float(dec)):
        raise AllocationError(f"{what}的优先级必须是有限数：{value!r}")
    if dec < 0:
        raise AllocationError(f"{what}的优先级不能为负数：{value!r}")
    return dec


def _priority_grid(priorities: Sequence[Decimal]) -> tuple[np.ndarray, int]:
    """Integer grid units and the number of decimals (see module docs)."""
    needed = 0
    for p in priorities:
        exponent = p.normalize().as_tuple().exponent
        if isinstance(exponent, int) and exponent < 0:
            needed = max(needed, -exponent)
    decimals = min(needed, MAX_PRIORITY_DECIMALS)
    while True:
        units = [int(p.scaleb(decimals).to_integral_value(ROUND_HALF_EVEN)) for p in priorities]
        if sum(units) <= _MAX_GRID_SUM:
            return np.array(units, dtype=np.int64), decimals
        decimals -= 1


def _build_problem(
    applicants: Sequence[Applicant], budget: object, region_min: Mapping[str, int] | None
) -> _Problem:
    if isinstance(applicants, str | bytes) or not isinstance(applicants, Sequence):
        raise AllocationError("applicants 必须是 Applicant 的序列")
    budget_fen = _money_to_fen(budget, "预算", positive=False)
    ids: list[str] = []
    seen: set[str] = set()
    fens: list[int] = []
    priorities: list[Decimal] = []
    region_code: dict[str, int] = {}
    codes: list[int] = []
    for k, applicant in enumerate(applicants, start=1):
        what = f"第 {k} 位申请人"
        if not isinstance(applicant, Applicant):
            raise AllocationError(f"{what}不是 Applicant")
        if not isinstance(applicant.id, str) or not applicant.id.strip():
            raise AllocationError(f"{what}的 id 必须是非空字符串")
        if applicant.id in seen:
            raise AllocationError(f"{what}的 id「{_show(applicant.id)}」重复")
        if not isinstance(applicant.region, str):
            raise AllocationError(f"{what}的地区必须是字符串")
        seen.add(applicant.id)
        ids.append(applicant.id)
        fens.append(_money_to_fen(applicant.amount, f"{what}的申请金额", positive=True))
        priorities.append(_priority_decimal(applicant.priority, what))
        codes.append(region_code.setdefault(applicant.region, len(region_code)))
    names = list(region_code)
    minimum = np.zeros(len(names), dtype=np.int64)
    members = np.bincount(np.array(codes, dtype=np.int64), minlength=len(names))
    if region_min is not None and not isinstance(region_min, Mapping):
        raise AllocationError("地区最低名额必须是「地区 → 人数」的映射")
    for region, count in (region_min or {}).items():
        if not isinstance(region, str):
            raise AllocationError(f"地区最低名额的地区必须是字符串：{region!r}")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise AllocationError(f"地区「{_show(region)}」的最低名额必须是非负整数：{count!r}")
        if count == 0:
            continue
        if region not in region_code:
            raise InfeasibleError(
                f"地区「{_show(region)}」至少要资助 {count} 人，但该地区没有申请人",
                region=region,
                english=f"region {region!r} needs {count} funded but has no applicant",
            )
        minimum[region_code[region]] = count
    for code in np.flatnonzero(minimum > members):
        region = names[code]
        raise InfeasibleError(
            f"地区「{_show(region)}」至少要资助 {minimum[code]} 人，"
            f"但只有 {members[code]} 位申请人",
            region=region,
            english=(
                f"region {region!r} needs {minimum[code]} funded "
                f"but has only {members[code]} applicants"
            ),
        )
    weight, decimals = _priority_grid(priorities)
    return _Problem(
        ids=ids,
        amount=np.array(fens, dtype=np.int64),
        weight=weight,
        region=np.array(codes, dtype=np.int64),
        region_names=names,
        minimum=minimum,
        budget=budget_fen,
        decimals=decimals,
    )


def _residual(p: _Problem, ones: np.ndarray) -> tuple[int, np.ndarray]:
    """Budget left and regional needs left once the applicants in ``ones`` are funded."""
    counts = np.bincount(p.region[ones], minlength=p.minimum.size)
    return p.budget - int(p.amount[ones].sum()), np.maximum(p.minimum - counts, 0)


def _completion_cost(
    p: _Problem, candidates: np.ndarray, need: np.ndarray
) -> tuple[int, dict[int, int]]:
    """Exact cheapest cost of giving every region ``need[r]`` more funded ``candidates``.

    Regions are disjoint, so this is the sum over regions of the cheapest ``need[r]``
    amounts. Returns (total fen, per-region cost); the total is -1 when a region lacks
    candidates.
    """
    total = 0
    per_region: dict[int, int] = {}
    for code in np.flatnonzero(need > 0):
        pool = np.sort(p.amount[(p.region == code) & candidates])
        if pool.size < need[code]:
            return -1, per_region
        per_region[int(code)] = int(pool[: int(need[code])].sum())
        total += per_region[int(code)]
    return total, per_region


def _cheapest_cost(p: _Problem, locked: np.ndarray | None = None) -> tuple[int, dict[int, int]]:
    """Cheapest total of a set that contains ``locked`` and meets every minimum (-1: none)."""
    locked = np.zeros(p.n, dtype=bool) if locked is None else locked
    budget, need = _residual(p, locked)
    extra, per_region = _completion_cost(p, ~locked, need)
    return (-1 if extra < 0 else p.budget - budget + extra), per_region


def _check_feasible(p: _Problem) -> None:
    total, per_region = _cheapest_cost(p)
    if total <= p.budget:
        return
    worst = sorted(per_region.items(), key=lambda item: (-item[1], item[0]))
    code, cost = worst[0]
    region = p.region_names[code]
    need = int(p.minimum[code])
    budget = format_yuan(p.budget)
    if cost > p.budget:
        raise InfeasibleError(
            f"无法满足地区最低名额：地区「{_show(region)}」至少要资助 {need} 人，"
            f"最便宜的 {need} 人合计 {format_yuan(cost)} 元，已超过预算 {budget} 元",
            region=region,
            english=(
                f"region {region!r}: the {need} cheapest requests cost {format_yuan(cost)} "
                f"yuan, more than the budget {budget}"
            ),
        )
    shown = "；".join(
        f"「{_show(p.region_names[c])}」{int(p.minimum[c])} 人至少 {format_yuan(v)} 元"
        for c, v in worst[:3]
    )
    more = f"等 {len(worst)} 个地区" if len(worst) > 3 else ""
    raise InfeasibleError(
        f"无法满足地区最低名额：各地区最低名额最少需要 {format_yuan(total)} 元，"
        f"超过预算 {budget} 元（{shown}{more}）",
        region=region,
        english=(
            f"meeting every region_min costs at least {format_yuan(total)} yuan, more than "
            f"the budget {budget} (largest: region {region!r}, {format_yuan(cost)} yuan)"
        ),
    )


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
