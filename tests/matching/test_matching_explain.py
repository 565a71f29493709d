"""Explanations of pairs and of unmatched mentees, and the one-call 双百 pipeline."""

from __future__ import annotations

import numpy as np

from matchmaker.matching.candidates import CandidateRules
from matchmaker.matching.explain import (
    MAX_PAIRS_REACHED,
    MENTORS_FULL,
    NO_CANDIDATE,
    explain_pair,
    unmatched_reasons,
)
from matchmaker.matching.features import FEATURE_KEYS
from matchmaker.matching.propose import propose
from matchmaker.matching.scoring import FEATURE_LABELS, PRESETS, Weights, contributions
from matchmaker.matching.synthetic import synthetic_profiles
from matchmaker.matching.types import MenteeProfile, MentorProfile


def test_every_feature_has_chinese_and_english_labels():
    assert set(FEATURE_LABELS) == set(FEATURE_KEYS)
    for label in FEATURE_LABELS.values():
        assert label.zh and label.en and label.zh != label.en
    assert set(PRESETS) >= {"default", "university", "rural", "hardship"}


def test_pair_explanation_names_top_contributions_in_order():
    values = np.array([[0.5, 0.0, 0.6, 0.2, 0.0]])  # text, category, region(town), slots, prio
    row = contributions(values, Weights())[0]
    exp = explain_pair(row, region_level=1, details={"text": "茶叶种植"}, top=2)
    assert exp.text_zh == "同镇 +0.30 · 专长相近：茶叶种植 +0.25"
    assert exp.text_en == "Same town +0.30 · Expertise matches needs: 茶叶种植 +0.25"
    assert [i.key for i in exp.items] == ["region", "text"]
    both = explain_pair(row, 1, details={"availability": ("周末", "weekend")}, top=3)
    assert both.text_zh.endswith("时间契合：周末 +0.03")
    assert both.text_en.endswith("Availability overlaps: weekend +0.03")


def test_pair_explanation_skips_negligible_terms():
    exp = explain_pair([0.0, 0.0, 0.0, 0.001, 0.0], region_level=3)
    assert exp.items == () and exp.text_zh == "各项得分均很低"


def test_unmatched_reason_codes():
    # Mentor 0 (capacity 1) is wanted by mentees 0 and 1; mentee 2 has no candidate;
    # mentor 1 (capacity 2) can take mentee 3 and mentee 4.
    caps = np.array([1, 2])
    em = np.array([0, 0, 1, 1])
    ee = np.array([0, 1, 3, 4])
    scores = np.array([0.9, 0.4, 0.5, 0.6])
    chosen = np.array([0, 3])  # optimum under max_pairs = 2
    reasons = {r.mentee_index: r for r in unmatched_reasons(
        caps, em, ee, chosen, 5, 2, scores, ["王老师", "李老师"])}
    assert reasons[1].code == MENTORS_FULL and "王老师" in reasons[1].text_zh
    assert "0.90" in reasons[1].text_zh
    assert reasons[2].code == NO_CANDIDATE
    assert reasons[3].code == MAX_PAIRS_REACHED and "2 对" in reasons[3].text_zh
    assert set(reasons) == {1, 2, 3}


def _pair_ok(proposal, mentors, mentees):
    cap = {m.id: m.capacity for m in mentors}
    load: dict[str, int] = {}
    seen = set()
    for p in proposal.pairs:
        assert p.mentee_id not in seen
        seen.add(p.mentee_id)
        load[p.mentor_id] = load.get(p.mentor_id, 0) + 1
        assert load[p.mentor_id] <= cap[p.mentor_id]
        assert abs(sum(p.contributions.values()) - p.score) < 1e-9
    assert seen.isdisjoint(u.mentee_id for u in proposal.unmatched)
    assert len(seen) + len(proposal.unmatched) == len(mentees)


def test_double_hundred_in_one_call():
    mentors, mentees = synthetic_profiles(100, 100, seed=7, n_counties=4)
    proposal = propose(mentors, mentees, PRESETS["university"],
                       CandidateRules(max_region_level=3, top_k=20))
    _pair_ok(proposal, mentors, mentees)
    assert proposal.pair_count == 100  # capacity and candidates suffice for everyone
    for p in proposal.pairs:
        assert p.explanation.text_zh and " +" in p.explanation.text_zh
        top = max(p.contributions.values())
        assert f"{top:+.2f}" in p.explanation.text_zh.split(" · ")[0]


def test_propose_reports_reasons_and_honours_pins_across_rules():
    mentors = [
        MentorProfile("王", specialty="茶叶种植", categories={"茶叶"}, region="330481101201",
                      availability={"weekend"}),
        MentorProfile("李", specialty="直播带货", categories={"电商"}, region="330482101201",
                      availability={"weekend"}),
    ]
    mentees = [
        MenteeProfile("小红", needs="学习茶叶种植", categories={"茶叶"}, region="330481101201",
                      availability={"weekend"}, hardship=3),
        MenteeProfile("小芳", needs="茶叶种植", categories={"茶叶"}, region="330481101202"),
        MenteeProfile("小兰", needs="开网店", region="330483101201"),
    ]
    rules = CandidateRules(max_region_level=2, top_k=5)
    plain = propose(mentors, mentees, Weights(), rules)
    assert [(p.mentor_id, p.mentee_id) for p in plain.pairs] == [("王", "小红")]
    reasons = {u.mentee_id: u.reason for u in plain.unmatched}
    assert reasons == {"小芳": MENTORS_FULL, "小兰": NO_CANDIDATE}
    first = plain.pairs[0].explanation.text_zh
    assert first.startswith("同村 +0.50") and "专长相近：茶叶种植" in first

    pinned = propose(mentors, mentees, Weights(), rules, pinned=[("李", "小兰")])
    assert ("李", "小兰") in [(p.mentor_id, p.mentee_id) for p in pinned.pairs]
    assert [p.pinned for p in pinned.pairs if p.mentee_id == "小兰"] == [True]

    limited = propose(mentors, mentees, Weights(), rules, max_pairs=0)
    assert limited.pair_count == 0
    assert {u.mentee_id: u.reason for u in limited.unmatched}["小红"] == MAX_PAIRS_REACHED
