"""Benchmark of volunteer suggestions for service requests (run by hand; prints figures).

    .venv/bin/python benchmarks/volunteers.py [--sizes 500,5000,50000] [--requests 20]

Synthetic volunteers (skills text, teams, region paths in 90 counties, availability) and
service requests; for each pool size, the time to rank the whole pool for one request
(the pure engine, ``rank_volunteers``, top 10 with explanations), and how often the best
suggestion names the skill the request asks for, against ranking by distance alone (what
a coordinator does by hand: the nearest free volunteer) — the value of the engine.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import time

from matchmaker.matching.synthetic import SLOTS, region_codes
from matchmaker.matching.types import MenteeProfile, MentorProfile
from matchmaker.matching.volunteer_fit import rank_volunteers

# (team, a skill a volunteer writes, how a request phrases the need for it)
SKILLS = (
    ("创业指导", "电商直播，开过网店", "想学在网上销售农产品"),
    ("创业指导", "会计记账", "合作社需要有人帮忙记账"),
    ("法律维权", "律师，婚姻家事", "离婚财产纠纷需要法律咨询"),
    ("家庭教育", "小学老师，心理咨询", "孩子厌学，需要家庭教育辅导"),
    ("科技惠民", "农技员，葡萄种植", "葡萄病虫害防治"),
    ("文明传播", "广场舞领队", "组织村里妇女文艺活动"),
    ("环保护绿", "垃圾分类宣讲", "村里垃圾分类入户宣传"),
)


def volunteers(n: int, rng: random.Random) -> list[MentorProfile]:
    out = []
    for i in range(n):
        team, skill, _ = rng.choice(SKILLS)
        county, town, village = rng.randrange(90), rng.randrange(12), rng.randrange(15)
        out.append(MentorProfile(
            id=f"V{i}", specialty=skill, experience="", categories=frozenset({team}),
            region=region_codes(county, town, village),
            availability=frozenset(s for s in SLOTS if rng.random() < 0.4) or {"we_am"},
            capacity=1, kind="volunteer"))
    return out


def requests(n: int, rng: random.Random) -> list[tuple[MenteeProfile, str]]:
    out = []
    for j in range(n):
        team, skill, need = rng.choice(SKILLS)
        out.append((MenteeProfile(
            id=f"R{j}", needs=need, categories=frozenset({team}),
            region=region_codes(rng.randrange(90), rng.randrange(12), rng.randrange(15)),
            availability=frozenset(rng.sample(SLOTS, 2)), hardship=3, kind="request"), skill))
    return out


def by_distance(pool: list[MentorProfile], need: MenteeProfile) -> MentorProfile:
    def shared(v):
        return sum(1 for a, b in zip(v.region, need.region, strict=False) if a == b)

    return max(pool, key=lambda v: (shared(v), len(v.availability & need.availability)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="500,5000,50000")
    ap.add_argument("--requests", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    print("pool     ms/request (median, max)   best names the skill: engine / nearest")
    for size in (int(s) for s in args.sizes.split(",")):
        pool = volunteers(size, rng)
        times, hits, near_hits = [], 0, 0
        for need, skill in requests(args.requests, rng):
            t0 = time.perf_counter()
            fits = rank_volunteers(pool, need, limit=10)
            times.append((time.perf_counter() - t0) * 1000)
            best = next(v for v in pool if v.id == fits[0].volunteer_id)
            hits += best.specialty == skill
            near_hits += by_distance(pool, need).specialty == skill
        print(f"{size:>6}   {statistics.median(times):8.1f}, {max(times):8.1f}"
              f"              {hits}/{args.requests} / {near_hits}/{args.requests}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
