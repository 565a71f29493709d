"""The allocation model: input checks, money and priority grids, the integer problem
and its feasibility (pure: numpy only). The optimiser lives in allocation_exact.py."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from numbers import Real

import numpy as np

POLICIES = ("optimal", "ranked")
DEFAULT_EXPLAIN_TOP_K = 20
MAX_PRIORITY_DECIMALS = 6
MAX_YUAN = Decimal(10) ** 12  # per amount and for the budget: keeps fen far inside int64
FUNDED_REASON = "已资助"

_MAX_GRID_SUM = 10**13  # sum of all priorities in grid units (HiGHS works in doubles)



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
