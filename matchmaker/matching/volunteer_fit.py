"""Volunteers for a need: the mentor-matching features, scored and explained for one request.

A service request (a poor mother who wants to sell online, an old woman living alone …) is
one "mentee"; the volunteers who could help are "mentors" of capacity 1. Nothing is solved:
the volunteers are ranked by score, and each keeps a per-feature explanation in Chinese
(skills vs need, region, shared time slots) and English.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from .candidates import CandidateRules
from .explain import SEPARATOR, ContributionItem, PairExplanation, slot_names
from .features import FEATURE_KEYS
from .propose import score_candidates
from .scoring import REGION_LABELS, Weights, longest_common_substring
from .types import MenteeProfile, MentorProfile

# Text similarity of a need sentence to a volunteer's skills is small in absolute terms
# (a skill named in the need scores about 0.05–0.25, unrelated text 0), so it carries a
# large weight. "Category" is 1 when the volunteer is in a team the request wants (+0.6).
# Stronger still is "skills fit" (+0.9): her skills and the need name the same kind of
# help (TERM_GROUPS) — a volunteer who has run an online shop, not merely one in the right
# team, is who a mother selling online needs. With these, a volunteer who can do what is
# needed, anywhere in the county, outranks a neighbour who cannot. Among equally able
# volunteers, nearness (same village +0.5, town +0.3, county +0.15) and the share of the
# request's time slots she also offers (up to +0.4) decide.
VOLUNTEER_WEIGHTS = Weights(text=4.0, category=0.6, region=0.5, availability=0.4, priority=0.0)
SKILL_FIT = 0.9
MIN_SHOWN = 0.005

# Words people use for the same kind of help. A coordinator writes "网上销售农产品" where a
# volunteer wrote "电商直播 网店": character n-grams alone see nothing in common. Both
# sides get the first word of every group their text names as a category, so they meet
# on it. Deliberately small: a thesaurus of the federation's own services.
TERM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("电商", "电子商务", "网店", "网上销售", "网上卖", "网络销售", "直播", "带货", "微商",
     "淘宝", "抖音", "快手"),
    ("法律", "维权", "纠纷", "律师", "婚姻", "家暴", "调解"),
    ("助老", "老人", "独居", "养老", "陪护", "失能"),
    ("家庭教育", "亲子", "孩子", "子女", "儿童", "作业", "辅导", "学业"),
    ("农技", "种植", "养殖", "农业技术", "大棚", "果树", "茶叶"),
    ("创业", "开店", "经营", "营销", "贷款"),
    ("心理", "疏导", "情绪", "抑郁", "陪伴"),
    ("环保", "垃圾分类", "护绿", "绿化", "河道"),
    ("数字", "智能手机", "手机", "电脑", "网上办事"),
    ("健康", "医疗", "护理", "康复", "体检"),
    ("手工", "编织", "刺绣", "家纺", "缝纫"),
)


def matched_terms(text: str) -> dict[str, str]:
    """Group word → the first word of the group the text names, in group order."""
    out = {}
    for group in TERM_GROUPS:
        found = next((t for t in group if t in (text or "")), None)
        if found is not None:
            out[group[0]] = found
    return out


def shared_terms(skills: str, need: str) -> list[str]:
    """What skills and need both name, as "网店≈网上销售" (or one word when they agree)."""
    mine, theirs = matched_terms(skills), matched_terms(need)
    return [mine[h] if mine[h] == theirs[h] else f"{mine[h]}≈{theirs[h]}"
            for h in mine if h in theirs]


@dataclass(frozen=True)
class VolunteerFit:
    """One volunteer's score for a request, with its parts and the sentence built from them."""

    volunteer_id: str
    score: float
    features: dict[str, float]
    contributions: dict[str, float]
    region_level: int  # 0 same village, 1 same town, 2 same county, 3 elsewhere
    shared_slots: tuple[str, ...]
    explanation: PairExplanation


def _items(volunteer: MentorProfile, need: MenteeProfile, contrib: dict[str, float],
           level: int, terms: list[str]) -> tuple[ContributionItem, ...]:
    """Every feature a coordinator should see, in a fixed order: skills, team, region, time."""
    items = []
    if terms:
        detail = "、".join(terms)
        items.append(ContributionItem("skills", "技能对口", "Skills fit the need",
                                      contrib["skills"], detail, detail))
    if contrib["text"] >= MIN_SHOWN:
        common = longest_common_substring(volunteer.specialty or volunteer.text, need.needs)
        if len(common.strip()) < 2:
            common = longest_common_substring(volunteer.text, need.needs)
        detail = common.strip() if len(common.strip()) >= 2 else ""
        items.append(ContributionItem("text", "技能与需求相近", "Skills match the need",
                                      contrib["text"], detail, detail))
    if contrib["category"] >= MIN_SHOWN:
        detail = "、".join(sorted(volunteer.categories & need.categories))
        items.append(ContributionItem("category", "服务队对口", "Team matches",
                                      contrib["category"], detail, detail))
    region = REGION_LABELS[level]
    items.append(ContributionItem("region", region.zh, region.en, contrib["region"]))
    slots = volunteer.availability & need.availability
    if slots:
        items.append(ContributionItem("availability", "时间契合", "Availability overlaps",
                                      contrib["availability"], slot_names(slots),
                                      "/".join(sorted(slots))))
    elif need.availability:
        items.append(ContributionItem("availability", "时间不重合", "No shared time slot", 0.0))
    return tuple(items)


def explain_fit(items: Sequence[ContributionItem]) -> PairExplanation:
    zh = SEPARATOR.join(i.text("zh") for i in items) or "各项得分均很低"
    en = SEPARATOR.join(i.text("en") for i in items) or "All contributions are small"
    return PairExplanation(tuple(items), zh, en)


def rank_volunteers(
    volunteers: Sequence[MentorProfile],
    need: MenteeProfile,
    weights: Weights | None = None,
    limit: int | None = 10,
    exclude: Collection[str] = (),
) -> list[VolunteerFit]:
    """Score every volunteer (except ``exclude``) for the need; best first, then input order.

    Region is not a hard rule here: the caller decides the pool (e.g. one county).
    """
    weights = weights or VOLUNTEER_WEIGHTS
    excluded = set(exclude)
    pool = [v for v in volunteers if v.id not in excluded and v.capacity > 0]
    if not pool:
        return []
    rules = CandidateRules(max_region_level=3, top_k=len(pool))
    scored = score_candidates(pool, [need], weights, rules)
    terms = [shared_terms(pool[int(m)].text, need.needs) for m in scored.edge_mentor]
    totals = [float(scored.scores[k]) + (SKILL_FIT if terms[k] else 0.0)
              for k in range(len(terms))]
    order = sorted(range(len(totals)),
                   key=lambda k: (-round(totals[k], 9), int(scored.edge_mentor[k])))
    if limit is not None:
        order = order[:limit]
    out = []
    for k in order:
        volunteer = pool[int(scored.edge_mentor[k])]
        level = int(scored.features.region_level[k])
        contrib = dict(zip(FEATURE_KEYS, scored.contributions[k].tolist(), strict=True))
        contrib["skills"] = SKILL_FIT if terms[k] else 0.0
        features = dict(zip(FEATURE_KEYS, scored.features.values[k].tolist(), strict=True))
        features["skills"] = 1.0 if terms[k] else 0.0
        out.append(VolunteerFit(
            volunteer_id=volunteer.id,
            score=totals[k],
            features=features,
            contributions=contrib,
            region_level=level,
            shared_slots=tuple(sorted(volunteer.availability & need.availability)),
            explanation=explain_fit(_items(volunteer, need, contrib, level, terms[k])),
        ))
    return out
