"""The grant-allocation engine: exact optimum (against brute force), ranked policy, ties,
explanations, money exactness and refusals."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from scipy.optimize import OptimizeResult

from matchmaker.matching import allocation_exact
from matchmaker.matching.allocation import (
    FUNDED_REASON,
    AllocationError,
    Applicant,
    InfeasibleError,
    SolverError,
    allocate,
)

REGIONS = ("许村镇", "城关镇", "新河乡")
PRIORITIES = (0, 0.1, 0.25, 0.3, 0.5, 0.8, 1, 1.5, 2)  # at most two decimals: exact in cents

FAST = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def D(text: str) -> Decimal:
    return Decimal(text)


# --------------------------------------------------------------------------- brute force


def _arrays(applicants: list[Applicant]):
    fen = np.array([int(a.amount * 100) for a in applicants], dtype=np.int64)
    units = np.array([int(Decimal(repr(float(a.priority))) * 100) for a in applicants], np.int64)
    return fen, units


def _masks(n: int) -> np.ndarray:
    return ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(bool)


def brute(applicants, budget: Decimal, region_min: dict[str, int]):
    """(best value in priority cents or None, feasible masks, values, all masks)."""
    n = len(applicants)
    fen, units = _arrays(applicants)
    masks = _masks(n)
    ok = masks.astype(np.int64) @ fen <= int(budget * 100)
    for region, need in region_min.items():
        members = np.array([a.region == region for a in applicants], dtype=bool)
        ok &= masks[:, members].sum(axis=1) >= need
    values = masks.astype(np.int64) @ units
    best = int(values[ok].max()) if ok.any() else None
    return best, ok, values, masks


@st.composite
def instances(draw, max_n: int = 10, min_n: int = 0):
    n = draw(st.integers(min_n, max_n))
    regions = draw(st.lists(st.sampled_from(REGIONS), min_size=n, max_size=n))
    fen = draw(st.lists(st.integers(1, 40).map(lambda k: k * 25), min_size=n, max_size=n))
    priorities = draw(st.lists(st.sampled_from(PRIORITIES), min_size=n, max_size=n))
    applicants = [
        Applicant(f"申请人{i}", regions[i], Decimal(fen[i]).scaleb(-2), priorities[i])
        for i in range(n)
    ]
    if n and draw(st.booleans()):  # a budget hit exactly by some subset
        subset = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        budget_fen = sum(f for f, take in zip(fen, subset, strict=True) if take)
    else:
        budget_fen = draw(st.integers(0, sum(fen) + 100))
    present = sorted(set(regions))
    region_min = {r: draw(st.integers(0, 2)) for r in present if draw(st.booleans())}
    return applicants, Decimal(budget_fen).scaleb(-2), region_min


def _value(applicants, ids) -> int:
    chosen = set(ids)
    return sum(int(Decimal(repr(float(a.priority))) * 100) for a in applicants if a.id in chosen)


def _assert_feasible(applicants, budget, region_min, result) -> None:
    funded = set(result.funded_ids)
    assert sum((a.amount for a in applicants if a.id in funded), Decimal(0)) <= budget
    for region, need in region_min.items():
        assert sum(1 for a in applicants if a.id in funded and a.region == region) >= need
    assert list(result.funded_ids) == [a.id for a in applicants if a.id in funded]
    assert list(result.reasons) == [a.id for a in applicants]
    for a in applicants:
        reason = result.reasons[a.id]
        assert (reason == FUNDED_REASON) == (a.id in funded)
        assert reason and "\n" not in reason
    assert result.total_amount == sum(
        (a.amount for a in applicants if a.id in funded), Decimal("0.00")
    )
    assert result.total_amount.as_tuple().exponent == -2


def _check_optimal(applicants, budget, region_min, result) -> int:
    best, ok, values, masks = brute(applicants, budget, region_min)
    assert best is not None
    assert result.status == "optimal"
    _assert_feasible(applicants, budget, region_min, result)
    got = _value(applicants, result.funded_ids)
    assert got == best
    assert result.total_priority == float(Decimal(best) / 100)
    return best


# --------------------------------------------------------------------------- optimal policy


@settings(FAST, max_examples=300)
@given(instances())
def test_optimal_matches_brute_force(case):
    applicants, budget, region_min = case
    best, *_ = brute(applicants, budget, region_min)
    event("infeasible" if best is None else "feasible")
    if best is None:
        with pytest.raises(InfeasibleError):
            allocate(applicants, budget, region_min, "optimal")
        return
    event(f"minimums: {sum(region_min.values())}")
    result = allocate(applicants, budget, region_min, "optimal", explain_top_k=0)
    _check_optimal(applicants, budget, region_min, result)
    assert result.proof == "exact" and result.mip_gap == 0.0
    plain = allocate(applicants, budget, region_min, "optimal", explain_top_k=0, reduce=False)
    assert plain.status == "optimal"  # HiGHS on the whole model, without the fixings
    assert plain.total_priority == result.total_priority
    fits = any(a.amount <= budget for a in applicants)
    assert plain.proof == ("highs" if fits else "exact")

    # The documented tie guarantees.
    funded = set(result.funded_ids)
    spent = sum((a.amount for a in applicants if a.id in funded), Decimal(0))
    counts = {r: sum(1 for a in applicants if a.id in funded and a.region == r) for r in REGIONS}
    for j, aj in enumerate(applicants):
        if aj.id in funded:
            continue
        assert aj.amount > budget - spent  # nobody unfunded fits the money left over
        for ai in applicants[j + 1 :]:  # no later-listed equal-priority applicant to replace
            if ai.id in funded and ai.priority == aj.priority:
                swap_fits = spent - ai.amount + aj.amount <= budget
                region_ok = ai.region == aj.region or counts[ai.region] > region_min.get(
                    ai.region, 0
                )
                assert not (swap_fits and region_ok)


@settings(FAST, max_examples=120)
@given(instances(max_n=8, min_n=2))
def test_alternatives_match_brute_force(case):
    """Each displaced applicant's re-solve reports the exact loss of forcing her in."""
    applicants, budget, region_min = case
    best, ok, values, masks = brute(applicants, budget, region_min)
    if best is None:
        return
    result = allocate(applicants, budget, region_min, "optimal")
    _check_optimal(applicants, budget, region_min, result)
    funded = set(result.funded_ids)
    lowest = min((a.priority for a in applicants if a.id in funded), default=None)
    for j, a in enumerate(applicants):
        displaced = (
            a.id not in funded and lowest is not None and a.priority > lowest and a.amount <= budget
        )
        assert (a.id in result.alternatives) == displaced
        if not displaced:
            continue
        alt = result.alternatives[a.id]
        forced = ok & masks[:, j]
        assert alt.feasible == bool(forced.any())
        if alt.feasible:
            forced_best = int(values[forced].max())
            assert alt.loss == float(Decimal(best - forced_best) / 100)
            assert (
                _value(applicants, set(result.funded_ids) - set(alt.removed_ids))
                + _value(applicants, set(alt.added_ids) | {a.id})
                == forced_best
            )
            assert "优先级" in result.reasons[a.id]


SOLVER_PATHS = {
    # The core heuristic (normally for > 100 free applicants) on small instances.
    "core": ({"_CORE_SIZE": 2}, "exact"),
    # No fixing at all: the Pareto DP solves everything, regional counts included.
    "dp only": ({"_lp_bound": lambda *args: None}, "exact"),
    # The DP gives up at once: HiGHS solves the residual with mip_rel_gap=0.
    "highs residual": ({"_DP_MAX_FRONTIER": 0}, "highs"),
}


@settings(FAST, max_examples=240)
@given(instances(max_n=10, min_n=3), st.sampled_from(sorted(SOLVER_PATHS)))
def test_every_solver_path_matches_brute_force(case, path):
    applicants, budget, region_min = case
    best, *_ = brute(applicants, budget, region_min)
    if best is None:
        return
    patches, proof = SOLVER_PATHS[path]
    with contextlib.ExitStack() as stack:
        for name, value in patches.items():
            stack.enter_context(mock.patch.object(allocation_exact, name, value))
        result = allocate(applicants, budget, region_min, explain_top_k=3)
    _check_optimal(applicants, budget, region_min, result)
    event(f"{path}: proof {result.proof}")  # "exact" also when fixing settles everything
    assert result.proof in {proof, "exact"}


def test_dp_hands_over_to_highs_when_regional_states_explode():
    applicants = [
        Applicant(f"a{r}_{k}", f"r{r}", Decimal(10 + k), (k + 1) / 10)
        for r in range(40)
        for k in range(3)
    ]
    region_min = {f"r{r}": 2 for r in range(40)}  # 3**40 count states: beyond the DP
    with mock.patch.object(allocation_exact, "_lp_bound", lambda *args: None):
        result = allocate(applicants, D("1500"), region_min, explain_top_k=0)
    assert (result.status, result.proof) == ("optimal", "highs")
    plain = allocate(applicants, D("1500"), region_min, explain_top_k=0, reduce=False)
    assert result.total_priority == plain.total_priority


def test_reduced_cost_fixing_agrees_with_plain_highs_on_larger_instances():
    rng = np.random.default_rng(7)
    for n in (150, 260):
        regions = [f"r{k}" for k in rng.integers(0, 6, n)]
        amounts = rng.integers(50_000, 600_001, n)
        priorities = rng.random(n).round(6)
        applicants = [
            Applicant(f"a{i}", regions[i], Decimal(int(amounts[i])).scaleb(-2), priorities[i])
            for i in range(n)
        ]
        budget = Decimal(int(amounts.sum() * 0.4)).scaleb(-2)
        region_min = {f"r{k}": 2 for k in range(6)}
        fast = allocate(applicants, budget, region_min, explain_top_k=0)
        plain = allocate(applicants, budget, region_min, explain_top_k=0, reduce=False)
        assert fast.status == plain.status == "optimal"
        assert fast.total_priority == plain.total_priority
        assert fast.priority_decimals == 6
        assert fast.total_amount <= budget


def test_exact_money_point_one_plus_point_two():
    applicants = [
        Applicant("甲", "许村镇", D("0.10"), 1.0),
        Applicant("乙", "许村镇", D("0.20"), 1.0),
    ]
    for policy in ("optimal", "ranked"):
        result = allocate(applicants, D("0.30"), None, policy)
        assert result.funded_ids == ("甲", "乙")
        assert result.total_amount == D("0.30")
    result = allocate(applicants, D("0.29"), None, "optimal")
    assert result.funded_ids == ("甲",)  # a tie between the two: input order decides


def test_budget_hit_exactly_by_large_amounts():
    applicants = [
        Applicant("a", "x", D("123456.78"), 1),
        Applicant("b", "x", D("876543.22"), 1),
        Applicant("c", "x", D("0.01"), 0.5),
    ]
    result = allocate(applicants, D("1000000.00"), None)
    assert result.funded_ids == ("a", "b")
    assert result.total_amount == D("1000000.00")


def test_displaced_applicant_explained_with_the_cost_of_the_alternative():
    applicants = [
        Applicant("A", "x", D("5000"), 0.9),
        Applicant("B", "x", D("2000"), 0.5),
        Applicant("C", "y", D("3000"), 0.8),
        Applicant("D", "y", D("3000"), 0.6),
    ]
    result = allocate(applicants, D("8000"), {"y": 1})
    assert result.funded_ids == ("B", "C", "D")
    assert result.total_priority == 1.9
    reason = result.reasons["A"]
    assert reason.startswith("优先级 0.9 高于已资助的 B（0.5）等 3 人，但资助她需要 5,000.00 元")
    assert "挤掉优先级合计 1.1 的 2 人" in reason
    assert reason.endswith("总优先级减少 0.2")
    alt = result.alternatives["A"]
    assert (alt.loss, alt.removed_ids, alt.added_ids) == (0.2, ("B", "D"), ())

    generic = allocate(applicants, D("8000"), {"y": 1}, explain_top_k=0)
    assert "未逐一计算" in generic.reasons["A"]
    assert generic.alternatives == {}
    assert generic.funded_ids == result.funded_ids


def test_alternative_that_breaks_the_regional_minimum():
    applicants = [Applicant("A", "x", D("8"), 10), Applicant("Y", "y", D("5"), 1)]
    result = allocate(applicants, D("10"), {"y": 1})
    assert result.funded_ids == ("Y",)
    assert "剩余预算无法满足各地区的最低名额" in result.reasons["A"]
    assert not result.alternatives["A"].feasible


def test_tie_explained_as_tie():
    # One applicant of 1.0 against two of 0.5 at the same cost: equal totals.
    applicants = [
        Applicant("half1", "x", D("5"), 0.5),
        Applicant("half2", "x", D("5"), 0.5),
        Applicant("one", "x", D("10"), 1),
    ]
    result = allocate(applicants, D("10"), None)
    assert result.total_priority == 1.0
    for a in applicants:
        if a.id not in result.funded_ids and a.id in result.alternatives:
            assert result.alternatives[a.id].loss == 0
            assert "并列最优" in result.reasons[a.id]


def test_unfunded_reasons_budget_and_too_expensive():
    applicants = [
        Applicant("big", "x", D("100.01"), 5),
        Applicant("a", "x", D("60"), 1),
        Applicant("b", "x", D("50"), 0.5),
    ]
    result = allocate(applicants, D("100"), None)
    assert result.funded_ids == ("a",)
    assert result.reasons["big"] == "申请金额 100.01 元超过预算总额 100.00 元，无法资助"
    assert result.reasons["b"] == (
        "预算不足：已资助的人优先级都不低于她（0.5），剩余预算 40.00 元，不足以支付 50.00 元"
    )


def test_equal_priorities_favour_input_order_and_results_are_deterministic():
    applicants = [Applicant(f"p{i}", REGIONS[i % 3], D("1000"), 0.7) for i in range(10)]
    for policy in ("optimal", "ranked"):
        first = allocate(applicants, D("4000"), None, policy)
        assert first.funded_ids == ("p0", "p1", "p2", "p3")
        assert allocate(applicants, D("4000"), None, policy) == first
        reverse = allocate(applicants[::-1], D("4000"), None, policy)
        assert reverse.funded_ids == ("p9", "p8", "p7", "p6")


def test_determinism_on_a_random_instance():
    rng = np.random.default_rng(3)
    applicants = [
        Applicant(f"a{i}", f"r{rng.integers(0, 4)}", D(int(rng.integers(500, 6000))), p)
        for i, p in enumerate(rng.choice([0.2, 0.4, 0.6, 0.8], 80))
    ]
    runs = [allocate(applicants, D("60000"), {"r0": 3, "r1": 2}) for _ in range(3)]
    runs.append(allocate(applicants, D("60000"), {"r1": 2, "r0": 3}))  # dict order is moot
    assert runs[0] == runs[1] == runs[2] == runs[3]


def test_zero_priority_gets_spare_money_in_input_order_or_fills_a_minimum():
    applicants = [
        Applicant("z1", "x", D("30"), 0),
        Applicant("z2", "x", D("10"), 0),
        Applicant("z3", "x", D("10"), 0),
        Applicant("p", "x", D("50"), 1),
        Applicant("zy", "y", D("5"), 0),
        Applicant("zy2", "y", D("5"), 0),
    ]
    result = allocate(applicants, D("75"), {"y": 1})
    # p first; zy for the minimum of y; then spare 20 yuan: z1 (30) does not fit, z2 does,
    # then z3 fits too.
    assert result.funded_ids == ("z2", "z3", "p", "zy")
    assert result.total_priority == 1.0


def test_priorities_compared_on_a_six_decimal_grid():
    applicants = [Applicant("a", "x", D("1"), 0.1234567), Applicant("b", "x", D("1"), 0.1234568)]
    result = allocate(applicants, D("1"), None)
    assert result.priority_decimals == 6
    assert result.funded_ids == ("a",)  # both 0.123457 on the grid: input order
    assert allocate([Applicant("a", "x", D("1"), 0.8)], D("1")).priority_decimals == 1


def test_empty_and_zero_budget():
    empty = allocate([], D("100"), None)
    assert (empty.funded_ids, empty.total_amount, empty.total_priority) == ((), D("0.00"), 0.0)
    none = allocate([Applicant("a", "x", D("1"), 1)], D("0"), None)
    assert none.funded_ids == ()
    assert none.reasons["a"].startswith("申请金额 1.00 元超过预算总额 0.00 元")


# --------------------------------------------------------------------------- ranked policy


def _ranked_reference(applicants, budget: Decimal):
    order = sorted(range(len(applicants)), key=lambda i: (-applicants[i].priority, i))
    left, funded, reasons = budget, set(), {}
    for rank, i in enumerate(order, start=1):
        a = applicants[i]
        if a.amount <= left:
            funded.add(a.id)
            left -= a.amount
        else:
            reasons[a.id] = (
                f"预算不足：排在第 {rank} 位时剩余预算 {left:,.2f} 元，"
                f"不足以支付 {a.amount:,.2f} 元"
            )
    return funded, reasons


@settings(FAST, max_examples=150)
@given(instances())
def test_ranked_without_minimums_is_the_plain_ranking(case):
    applicants, budget, _ = case
    result = allocate(applicants, budget, None, "ranked")
    funded, reasons = _ranked_reference(applicants, budget)
    assert set(result.funded_ids) == funded
    assert result.status == "ranked"
    assert result.mip_gap is None
    for ident, reason in reasons.items():
        assert result.reasons[ident] == reason
    _assert_feasible(applicants, budget, {}, result)


@settings(FAST, max_examples=150)
@given(instances())
def test_ranked_with_minimums_is_feasible_whenever_the_optimum_is(case):
    applicants, budget, region_min = case
    best, *_ = brute(applicants, budget, region_min)
    if best is None:
        with pytest.raises(InfeasibleError):
            allocate(applicants, budget, region_min, "ranked")
        return
    result = allocate(applicants, budget, region_min, "ranked")
    _assert_feasible(applicants, budget, region_min, result)
    assert _value(applicants, result.funded_ids) <= best
    spent = sum((a.amount for a in applicants if a.id in set(result.funded_ids)), Decimal(0))
    for a in applicants:
        if a.id not in set(result.funded_ids):
            assert a.amount > budget - spent
            assert result.reasons[a.id].startswith("预算不足：排在第 ")


def test_ranked_meets_minimums_with_each_regions_best_first():
    applicants = [
        Applicant("x1", "x", D("400"), 0.9),
        Applicant("x2", "x", D("400"), 0.8),
        Applicant("y1", "y", D("300"), 0.3),
        Applicant("y2", "y", D("100"), 0.2),
        Applicant("x3", "x", D("100"), 0.7),
    ]
    result = allocate(applicants, D("1000"), {"y": 1}, "ranked")
    # Phase 1: y1 is y's best. Phase 2 in rank order: x1 (600 left -> 200), x2 does not fit,
    # x3 fits (100 left), y2 fits (0 left).
    assert result.funded_ids == ("x1", "y1", "y2", "x3")
    assert result.reasons["x2"] == "预算不足：排在第 2 位时剩余预算 300.00 元，不足以支付 400.00 元"


def test_ranked_skips_a_minimum_candidate_that_would_starve_another_region():
    applicants = [
        Applicant("x_rich", "x", D("90"), 0.9),
        Applicant("x_cheap", "x", D("10"), 0.1),
        Applicant("y_only", "y", D("80"), 0.5),
    ]
    result = allocate(applicants, D("100"), {"x": 1, "y": 1}, "ranked")
    assert result.funded_ids == ("x_cheap", "y_only")
    assert result.reasons["x_rich"].startswith("预算不足：排在第 1 位时剩余预算 10.00 元")


def test_ranked_is_worse_than_optimal_where_it_should_be():
    applicants = [
        Applicant("big", "x", D("100"), 1.0),
        Applicant("s1", "x", D("50"), 0.6),
        Applicant("s2", "x", D("50"), 0.6),
    ]
    assert allocate(applicants, D("100"), None, "ranked").funded_ids == ("big",)
    assert allocate(applicants, D("100"), None, "optimal").funded_ids == ("s1", "s2")


# --------------------------------------------------------------------------- refusals


def test_infeasible_minimums_name_the_region():
    applicants = [Applicant("a", "许村镇", D("10"), 1), Applicant("b", "城关镇", D("10"), 1)]
    with pytest.raises(InfeasibleError, match="许村镇.*至少要资助 2 人.*只有 1 位") as e:
        allocate(applicants, D("100"), {"许村镇": 2})
    assert e.value.region == "许村镇"
    with pytest.raises(InfeasibleError, match="城关镇.*超过预算 5.00 元") as e:
        allocate(applicants, D("5"), {"城关镇": 1})
    assert e.value.region == "城关镇"
    with pytest.raises(InfeasibleError, match="最少需要 20.00 元，超过预算 15.00 元"):
        allocate(applicants, D("15"), {"城关镇": 1, "许村镇": 1})
    with pytest.raises(InfeasibleError, match="新河乡.*没有申请人"):
        allocate(applicants, D("100"), {"新河乡": 1})
    assert allocate(applicants, D("100"), {"新河乡": 0}).funded_ids == ("a", "b")


@pytest.mark.parametrize(
    ("applicants", "budget", "region_min", "policy", "match"),
    [
        ([Applicant("a", "x", 3.5, 1)], D("10"), None, "optimal", "不接受浮点数"),
        ([Applicant("a", "x", D("1.005"), 1)], D("10"), None, "optimal", "最多两位小数"),
        ([Applicant("a", "x", D("0"), 1)], D("10"), None, "optimal", "必须大于 0"),
        ([Applicant("a", "x", D("-1"), 1)], D("10"), None, "optimal", "必须大于 0"),
        ([Applicant("a", "x", D("NaN"), 1)], D("10"), None, "optimal", "不是有限的金额"),
        ([Applicant("a", "x", D("1"), -0.1)], D("10"), None, "optimal", "不能为负数"),
        ([Applicant("a", "x", D("1"), float("nan"))], D("10"), None, "optimal", "有限数"),
        ([Applicant("a", "x", D("1"), float("inf"))], D("10"), None, "optimal", "有限数"),
        ([Applicant("a", "x", D("1"), True)], D("10"), None, "optimal", "必须是数字"),
        ([Applicant("a", "x", D("1"), "0.5")], D("10"), None, "optimal", "必须是数字"),
        ([Applicant("", "x", D("1"), 1)], D("10"), None, "optimal", "非空字符串"),
        ([Applicant("a", "x", D("1"), 1)] * 2, D("10"), None, "optimal", "重复"),
        ([Applicant("a", 3, D("1"), 1)], D("10"), None, "optimal", "地区必须是字符串"),
        ([Applicant("a", "x", D("1"), 1)], D("-1"), None, "optimal", "预算不能为负数"),
        ([Applicant("a", "x", D("1"), 1)], 10.0, None, "optimal", "预算必须是 Decimal"),
        ([Applicant("a", "x", D("1"), 1)], D("10"), {"x": -1}, "optimal", "非负整数"),
        ([Applicant("a", "x", D("1"), 1)], D("10"), {"x": True}, "optimal", "非负整数"),
        ([Applicant("a", "x", D("1"), 1)], D("10"), None, "greedy", "未知的分配方式"),
        ([Applicant("a", "x", D("1e13"), 1)], D("10"), None, "optimal", "过大"),
    ],
)
def test_invalid_library_input(applicants, budget, region_min, policy, match):
    with pytest.raises(AllocationError, match=match):
        allocate(applicants, budget, region_min, policy)


def test_a_highs_point_that_fails_exact_verification_is_refused():
    def bogus_milp(c, **kwargs):
        return OptimizeResult(x=np.ones(len(c)), status=0, mip_gap=0.0, message="ok")

    applicants = [Applicant(f"a{i}", "x", D("10"), 1 + i % 3) for i in range(6)]
    with mock.patch.object(allocation_exact, "milp", bogus_milp):
        with pytest.raises(SolverError, match="精确校验"):
            allocate(applicants, D("25"), None, reduce=False)
