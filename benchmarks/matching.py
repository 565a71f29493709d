"""Benchmark of the matching engine (run by hand; prints figures, asserts nothing).

    python benchmarks/matching.py            # 双百 100×100 and province 5,000×20,000
    python benchmarks/matching.py --quick    # 双百 and a 1,000×4,000 "province"

Figures: the 双百 run (profiles to pairs, target < 1 s); the province run (features +
candidates + solve, target < 10 s and < 1.5 GB peak RSS) for two candidate rules —
same county, and anywhere in the province by text similarity; the solve time against an
independent OR-Tools SimpleMinCostFlow reference on the same edges (target <= 1.5×, same
optimum); a greedy-by-score baseline; and blocking pairs of the optimum.
Needs the ``bench`` extra (ortools, psutil).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matchmaker.matching.candidates import CandidateRules  # noqa: E402
from matchmaker.matching.propose import propose, score_candidates  # noqa: E402
from matchmaker.matching.scoring import PRESETS, Weights  # noqa: E402
from matchmaker.matching.solver import solve_arrays  # noqa: E402
from matchmaker.matching.synthetic import synthetic_profiles  # noqa: E402


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ortools_solve(caps, em, ee, scores, n_mentees) -> tuple[np.ndarray, float]:
    """Reference: maximum flow with minimum cost, costs = -round(score * 1e6)."""
    from ortools.graph.python import min_cost_flow

    t0 = time.perf_counter()
    n_mentors = len(caps)
    source, sink = n_mentees + n_mentors, n_mentees + n_mentors + 1
    flow = min_cost_flow.SimpleMinCostFlow()
    tails = np.concatenate([np.full(n_mentees, source), ee, n_mentees + np.arange(n_mentors)])
    heads = np.concatenate([np.arange(n_mentees), n_mentees + em, np.full(n_mentors, sink)])
    capacity = np.concatenate([np.ones(n_mentees + len(em), dtype=np.int64), caps])
    cost = np.concatenate([np.zeros(n_mentees, dtype=np.int64),
                           -np.round(scores * 1e6).astype(np.int64),
                           np.zeros(n_mentors, dtype=np.int64)])
    flow.add_arcs_with_capacity_and_unit_cost(tails.astype(np.int64), heads.astype(np.int64),
                                              capacity.astype(np.int64), cost)
    flow.set_node_supply(source, n_mentees)
    flow.set_node_supply(sink, -n_mentees)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"OR-Tools status {status}")
    chosen = np.flatnonzero(flow.flows(np.arange(n_mentees, n_mentees + len(em))) > 0)
    return chosen, time.perf_counter() - t0


def greedy(caps, em, ee, scores, n_mentees) -> np.ndarray:
    """Baseline: take edges by descending score while both sides have room."""
    left = np.array(caps, dtype=np.int64)
    taken = np.zeros(n_mentees, dtype=bool)
    chosen = []
    for e in np.argsort(-scores, kind="stable").tolist():
        i, j = em[e], ee[e]
        if not taken[j] and left[i] > 0:
            taken[j] = True
            left[i] -= 1
            chosen.append(e)
    return np.array(sorted(chosen), dtype=np.int64)


def blocking_pairs(caps, em, ee, scores, n_mentees, chosen) -> int:
    """Edges whose mentee and mentor would both rather have each other: she is unmatched
    or has a lower score; the mentor has room or holds a lower-scoring mentee."""
    current = np.full(n_mentees, -np.inf)
    current[ee[chosen]] = scores[chosen]
    used = np.bincount(em[chosen], minlength=len(caps))
    worst = np.full(len(caps), np.inf)
    np.minimum.at(worst, em[chosen], scores[chosen])
    room = used < caps
    out = np.ones(len(em), dtype=bool)
    out[chosen] = False
    mentee_wants = scores > current[ee] + 1e-12
    mentor_wants = room[em] | (scores > worst[em] + 1e-12)
    return int(np.sum(out & mentee_wants & mentor_wants))


def timed(fn, repeat: int):
    """Run ``fn`` ``repeat`` times; return (last result, list of seconds)."""
    times = []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return result, times


def double_hundred() -> None:
    mentors, mentees = synthetic_profiles(100, 100, seed=100, n_counties=3)
    rules = CandidateRules(max_region_level=3, top_k=20)
    proposal, times = timed(lambda: propose(mentors, mentees, PRESETS["university"], rules), 5)
    print("== 双百 100 mentors × 100 mentees, profiles to pairs (propose) ==")
    print(f"  time: first {times[0]:.3f} s, median of 5 {statistics.median(times):.3f} s "
          f"(target < 1 s); {proposal.candidate_count} candidate edges, "
          f"{proposal.pair_count} pairs, total {proposal.total_score:.3f}")
    print(f"  e.g. {proposal.pairs[0].mentor_id}–{proposal.pairs[0].mentee_id}: "
          f"{proposal.pairs[0].explanation.text_zh}")
    limited, t_lim = timed(
        lambda: propose(mentors, mentees, PRESETS["university"], rules, max_pairs=60), 3)
    print(f"  with max_pairs=60 (binding, SSP engine): {statistics.median(t_lim):.3f} s, "
          f"{limited.pair_count} pairs")


def province(n_mentors: int, n_mentees: int, rule: str, top_k: int = 50) -> None:
    level = 3 if rule == "anywhere" else 2
    mentors, mentees = synthetic_profiles(n_mentors, n_mentees, seed=2024)
    rss_before = peak_rss_mb()
    t0 = time.perf_counter()
    scored = score_candidates(mentors, mentees, Weights(),
                              CandidateRules(max_region_level=level, top_k=top_k))
    t1 = time.perf_counter()
    caps = np.array([m.capacity for m in mentors], dtype=np.int64)
    em, ee, scores = scored.edge_mentor, scored.edge_mentee, scored.scores
    result = solve_arrays(caps, em, ee, scores, n_mentees)
    t2 = time.perf_counter()
    pipeline_peak = peak_rss_mb()
    tm = scored.timings
    print(f"== Province {n_mentors} mentors (capacity 1–5, total {caps.sum()}) × "
          f"{n_mentees} mentees, rule: {rule}, top-{top_k} ==")
    print(f"  TF-IDF fit {tm['text_index']:.2f} s · candidates {tm['candidates']:.2f} s · "
          f"features+scores {tm['features']:.2f} s · solve {t2 - t1:.2f} s")
    print(f"  features + candidates + solve: {t2 - t0:.2f} s (target < 10 s); "
          f"{len(em)} edges; peak RSS {pipeline_peak:.0f} MB "
          f"(before pipeline {rss_before:.0f} MB; target < 1500 MB)")
    total = float(np.sum(scores[result.chosen]))
    print(f"  optimum: {len(result.chosen)} pairs, total score {total:.6f}")

    repeat = 3
    mine, t_mine = timed(lambda: solve_arrays(caps, em, ee, scores, n_mentees), repeat)
    (ref, _), t_ref = timed(lambda: ortools_solve(caps, em, ee, scores, n_mentees), repeat)
    ref_total = float(np.sum(scores[ref]))
    ratio = statistics.median(t_mine) / statistics.median(t_ref)
    same = len(ref) == len(mine.chosen) and abs(ref_total - total) <= 1e-6 * max(1, len(ref))
    print(f"  solve ×{repeat}: engine {', '.join(f'{t:.2f}' for t in t_mine)} s · OR-Tools "
          f"{', '.join(f'{t:.2f}' for t in t_ref)} s · median ratio {ratio:.2f} "
          f"(target <= 1.5)")
    print(f"  OR-Tools optimum: {len(ref)} pairs, total {ref_total:.6f} → "
          f"{'same optimum' if same else 'DIFFERENT OPTIMUM'}")

    g = greedy(caps, em, ee, scores, n_mentees)
    g_total = float(np.sum(scores[g]))
    print(f"  greedy by score: {len(g)} pairs ({len(result.chosen) - len(g)} fewer), "
          f"total {g_total:.3f} ({total - g_total:.3f} less)")
    limit = len(result.chosen) // 15
    t_lim = time.perf_counter()
    capped = solve_arrays(caps, em, ee, scores, n_mentees, max_pairs=limit)
    print(f"  binding max_pairs={limit} (successive shortest paths): "
          f"{time.perf_counter() - t_lim:.2f} s, {len(capped.chosen)} pairs, "
          f"total {float(np.sum(scores[capped.chosen])):.3f}")
    b_opt = blocking_pairs(caps, em, ee, scores, n_mentees, mine.chosen)
    b_greedy = blocking_pairs(caps, em, ee, scores, n_mentees, g)
    print(f"  blocking pairs: optimum {b_opt}, greedy {b_greedy} (of {len(em)} edges)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 × 4,000 province")
    parser.add_argument("--only", choices=("anywhere", "county"),
                        help="run one province scenario in this process (used internally)")
    args = parser.parse_args()
    size = (1000, 4000) if args.quick else (5000, 20000)
    if args.only:
        province(*size, rule=args.only)
        return
    double_hundred()
    for rule in ("anywhere", "county"):  # one process each, so peak RSS is per scenario
        extra = ["--quick"] if args.quick else []
        subprocess.run([sys.executable, __file__, "--only", rule, *extra], check=True)


if __name__ == "__main__":
    main()
