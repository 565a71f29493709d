"""Features on Chinese profile text, region tree, availability, and candidate rules."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from matchmaker.matching.candidates import CandidateRules, generate_candidates
from matchmaker.matching.features import (
    FEATURE_KEYS,
    build_text_index,
    compute_edge_features,
    encode_profiles,
    region_level,
    text_similarity,
)
from matchmaker.matching.synthetic import synthetic_profiles
from matchmaker.matching.types import MenteeProfile, MentorProfile, region_path

CORPUS = ["电商直播带货", "茶叶加工", "养殖湖羊", "民宿经营", "茶园管理"]


def test_char_ngrams_see_shared_chinese_words():
    near = text_similarity("茶叶种植", "茶叶", CORPUS)
    far = text_similarity("茶叶", "电商", CORPUS)
    assert near > far
    assert near > 0.2 and far == 0.0


def test_default_token_pattern_would_miss_it():
    # The pitfall this module avoids: a whole Chinese clause is one token by default.
    vec = TfidfVectorizer().fit(["茶叶种植", "茶叶"])
    m = vec.transform(["茶叶种植", "茶叶"])
    assert float(m[0].multiply(m[1]).sum()) == 0.0


def test_similarity_ranks_needs_against_expertise():
    index = build_text_index(
        ["擅长茶叶种植与加工", "直播带货、网店运营", "湖羊养殖二十年"],
        ["想学习茶叶种植技术", "想开网店卖土特产"],
    )
    sims = (index.mentee_matrix @ index.mentor_matrix.T).toarray()
    assert sims[0].argmax() == 0
    assert sims[1].argmax() == 1


def test_region_path_from_codes_and_paths():
    assert region_path("330481101201") == ("330481", "330481101", "330481101201")
    assert region_path("330481101") == ("330481", "330481101")
    assert region_path(["330481", " 330481101 ", ""]) == ("330481", "330481101")
    assert region_path(None) == ()


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("330481101201", "330481101201", 0),
        ("330481101201", "330481101202", 1),
        ("330481101201", "330481102201", 2),
        ("330481101201", "330482101201", 3),
        ("330481101201", "330481", 2),  # mentee gave only her county
        ("", "330481101201", 3),  # unknown region never counts as near
    ],
)
def test_region_levels(a, b, level):
    enc = encode_profiles([MentorProfile("m", region=region_path(a))],
                          [MenteeProfile("e", region=region_path(b))])
    assert region_level(enc.mentor_region[0], enc.mentee_region[0]) == level


def test_feature_values_for_one_pair():
    mentor = MentorProfile("m", specialty="茶叶种植", categories={"茶叶"},
                           region="330481101201", availability={"weekend", "evening"})
    mentee = MenteeProfile("e", needs="茶叶种植技术", categories={"茶叶", "电商"},
                           region="330481101299", availability={"weekend", "weekday"},
                           hardship=4)
    enc = encode_profiles([mentor], [mentee])
    index = build_text_index([mentor.text], [mentee.needs])
    feats = compute_edge_features(enc, index, np.array([0]), np.array([0]))
    values = dict(zip(FEATURE_KEYS, feats.values[0], strict=True))
    assert values["category"] == 1.0
    assert values["region"] == pytest.approx(0.6) and feats.region_level[0] == 1
    assert values["availability"] == pytest.approx(0.5)  # she offers 1 of the 2 slots
    assert values["priority"] == pytest.approx(0.8)
    assert 0.3 < values["text"] <= 1.0


def test_profiles_validate_their_numbers():
    with pytest.raises(ValueError, match="hardship"):
        MenteeProfile("e", hardship=6)
    with pytest.raises(ValueError, match="capacity"):
        MentorProfile("m", capacity=-1)
    with pytest.raises(ValueError, match="capacity"):
        MentorProfile("m", capacity=True)


def _setup(n_mentors=60, n_mentees=200, seed=3, counties=3):
    mentors, mentees = synthetic_profiles(n_mentors, n_mentees, seed=seed, n_counties=counties)
    index = build_text_index([m.text for m in mentors], [e.needs for e in mentees])
    return mentors, mentees, index, encode_profiles(mentors, mentees)


@pytest.mark.parametrize("level", [0, 1, 2, 3])
def test_candidates_obey_region_rule_and_top_k(level):
    mentors, mentees, index, enc = _setup()
    rules = CandidateRules(max_region_level=level, top_k=7)
    cand = generate_candidates(index, enc, rules)
    assert len(cand.edge_mentor) <= len(mentees) * 7
    assert np.all(np.bincount(cand.edge_mentee, minlength=len(mentees)) <= 7)
    lv = region_level(enc.mentor_region[cand.edge_mentor], enc.mentee_region[cand.edge_mentee])
    assert np.all(lv <= level)
    keys = cand.edge_mentee * len(mentors) + cand.edge_mentor
    assert np.all(np.diff(keys) > 0), "edges sorted by (mentee, mentor), no duplicates"
    assert np.all(enc.capacity[cand.edge_mentor] > 0)


def test_candidates_are_the_most_similar_allowed_mentors():
    mentors, mentees, index, enc = _setup()
    cand = generate_candidates(index, enc, CandidateRules(max_region_level=3, top_k=5))
    sims = (index.mentee_matrix @ index.mentor_matrix.T).toarray()
    sims[:, enc.capacity == 0] = -1
    for j in range(0, len(mentees), 17):
        got = sorted(cand.edge_mentor[cand.edge_mentee == j].tolist())
        fifth = np.sort(sims[j])[-5]
        assert all(sims[j, i] >= fifth - 1e-6 for i in got)
        assert len(got) == 5


def test_candidates_same_for_any_chunk_size():
    _, _, index, enc = _setup()
    a = generate_candidates(index, enc, CandidateRules(max_region_level=3, top_k=6, chunk_size=7))
    b = generate_candidates(index, enc, CandidateRules(max_region_level=3, top_k=6))
    assert np.array_equal(a.edge_mentor, b.edge_mentor)
    assert np.array_equal(a.edge_mentee, b.edge_mentee)


def test_exclusions_category_rule_and_zero_similarity_fill():
    mentors = [
        MentorProfile("m0", specialty="茶叶种植", categories={"茶叶"}, region="330481101201"),
        MentorProfile("m1", specialty="直播带货", categories={"电商"}, region="330481101201"),
        MentorProfile("m2", specialty="湖羊养殖", categories={"养殖"}, region="330482101201"),
        MentorProfile("m3", specialty="茶叶加工", categories={"茶叶"}, region="330481101201",
                      capacity=0),
    ]
    mentees = [MenteeProfile("e0", needs="想学茶叶种植", categories={"茶叶"},
                             region="330481101201")]
    index = build_text_index([m.text for m in mentors], [e.needs for e in mentees])
    enc = encode_profiles(mentors, mentees)
    ids = ([m.id for m in mentors], [e.id for e in mentees])

    def picked(**kw):
        cand = generate_candidates(index, enc, CandidateRules(**kw), *ids)
        return [mentors[i].id for i in cand.edge_mentor]

    # Anywhere: the similar mentor first, then zero-similarity fill nearest first
    # (m1 shares her village, m2 is in another county; m3 has no capacity).
    assert picked(max_region_level=3, top_k=3) == ["m0", "m1", "m2"]
    assert picked(max_region_level=3, top_k=2) == ["m0", "m1"]
    assert picked(max_region_level=2, top_k=3) == ["m0", "m1"]
    assert picked(max_region_level=3, top_k=3, exclusions=frozenset({("m0", "e0")})) == [
        "m1", "m2"]
    assert picked(max_region_level=3, top_k=3, require_category=True) == ["m0"]
    assert picked(max_region_level=3, top_k=3, min_text_similarity=0.1) == ["m0"]
