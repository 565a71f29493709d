"""The JSON contract of `matchmaker solve`: good round trip and every bad-input case."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matchmaker.matching.jsonio import InputError, solve_json_text

GOOD = {
    "mentors": [{"id": "王秀英", "capacity": 2}, {"id": "李娟", "capacity": 1}],
    "mentees": [{"id": "小红"}, {"id": "小芳"}, {"id": "小兰"}, {"id": "小梅"}],
    "edges": [
        {"mentor": "王秀英", "mentee": "小红", "score": 0.83},
        {"mentor": "王秀英", "mentee": "小芳", "score": 0.5},
        {"mentor": "李娟", "mentee": "小芳", "score": 0.9},
        {"mentor": "李娟", "mentee": "小兰", "score": -0.2},
        {"mentor": "王秀英", "mentee": "小兰", "score": 1},
    ],
    "pinned": [{"mentor": "王秀英", "mentee": "小红"}],
    "max_pairs": 100,
}


def run(doc) -> dict:
    return solve_json_text(json.dumps(doc, ensure_ascii=False))


def test_good_input_round_trip():
    out = run(GOOD)
    assert out == {
        "pairs": [
            {"mentor": "王秀英", "mentee": "小红", "score": 0.83},
            {"mentor": "王秀英", "mentee": "小兰", "score": 1},
            {"mentor": "李娟", "mentee": "小芳", "score": 0.9},
        ],
        "pair_count": 3,
        "total_score": 2.73,
        "unmatched_mentees": ["小梅"],
        "status": "optimal",
    }
    assert json.loads(json.dumps(out, ensure_ascii=False)) == out


def test_optional_keys_and_bom():
    doc = {k: v for k, v in GOOD.items() if k not in ("pinned", "max_pairs")}
    assert run(doc)["pair_count"] == 3
    assert solve_json_text("\ufeff" + json.dumps(doc))["pair_count"] == 3
    assert run({**doc, "pinned": None, "max_pairs": None})["pair_count"] == 3
    assert run({**doc, "max_pairs": 1})["pairs"] == [
        {"mentor": "王秀英", "mentee": "小兰", "score": 1}]


def with_(path, value):
    """GOOD with one item replaced: ``path`` like ("edges", 2, "score")."""
    doc = json.loads(json.dumps(GOOD))
    target = doc
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


DELETE = object()

BAD = [
    ("malformed", "{", "JSON 格式错误"),
    ("trailing comma", '{"mentors": [],}', "第 1 行"),
    ("not object", "[1, 2]", "top level: expected an object"),
    ("NaN literal", '{"mentors": [], "mentees": [], "edges": [], "max_pairs": NaN}',
     "max_pairs"),
    ("Infinity", '{"mentors":[{"id":"a","capacity":1}],"mentees":[{"id":"b"}],'
                 '"edges":[{"mentor":"a","mentee":"b","score":Infinity}]}', "edges[0].score"),
    ("duplicate key", '{"mentors": [], "mentors": []}', "mentors: duplicate key"),
    ("unknown key", with_(("max_pair",), 3), "max_pair: unknown key"),
    ("missing mentors", with_(("mentors",), DELETE), "mentors: missing key"),
    ("missing edges", with_(("edges",), DELETE), "edges: missing key"),
    ("mentors not array", with_(("mentors",), {"id": "x"}), "mentors: expected an array"),
    ("mentor not object", with_(("mentors", 1), "李娟"), "mentors[1]: expected an object"),
    ("missing id", with_(("mentees", 2, "id"), DELETE), "mentees[2].id: missing key"),
    ("numeric id", with_(("mentees", 2, "id"), 7), "mentees[2].id: expected a non-empty"),
    ("empty id", with_(("mentors", 0, "id"), ""), "mentors[0].id"),
    ("duplicate mentor", with_(("mentors", 1, "id"), "王秀英"), "mentors[1].id: duplicate"),
    ("duplicate mentee", with_(("mentees", 3, "id"), "小红"), "学员 id 重复：小红"),
    ("missing capacity", with_(("mentors", 1, "capacity"), DELETE), "mentors[1].capacity"),
    ("float capacity", with_(("mentors", 1, "capacity"), 2.0), "李娟 的 capacity 不是非负整数"),
    ("bool capacity", with_(("mentors", 1, "capacity"), True), "mentors[1].capacity"),
    ("negative capacity", with_(("mentors", 0, "capacity"), -1), "mentors[0].capacity"),
    ("string capacity", with_(("mentors", 0, "capacity"), "2"), "mentors[0].capacity"),
    ("unknown mentor", with_(("edges", 1, "mentor"), "赵敏"), "edges[1].mentor: unknown mentor"),
    ("unknown mentee", with_(("edges", 3, "mentee"), "小青"), "第 4 条边的学员 小青 不存在"),
    ("missing score", with_(("edges", 2, "score"), DELETE), "edges[2].score: missing key"),
    ("string score", with_(("edges", 2, "score"), "0.9"), "第 3 条边的 score 不是数字"),
    ("bool score", with_(("edges", 2, "score"), False), "edges[2].score: not a number"),
    ("null score", with_(("edges", 2, "score"), None), "edges[2].score: not a number"),
    ("huge score", '{"mentors":[{"id":"a","capacity":1}],"mentees":[{"id":"b"}],'
                   '"edges":[{"mentor":"a","mentee":"b","score":1e999}]}',
     "第 1 条边的 score 不是有限数字 (edges[0].score: not a finite number)"),
    ("huge int score", '{"mentors":[{"id":"a","capacity":1}],"mentees":[{"id":"b"}],'
                       '"edges":[{"mentor":"a","mentee":"b","score":' + "9" * 400 + "}]}",
     "edges[0].score: not a finite number"),
    ("score too large", with_(("edges", 0, "score"), 1e300), "edges[0].score: magnitude above"),
    ("duplicate edge", with_(("edges", 4), {"mentor": "王秀英", "mentee": "小红", "score": 1}),
     "edges[4]: duplicate of edges[0]"),
    ("pin not edge", with_(("pinned", 0), {"mentor": "李娟", "mentee": "小红"}),
     "pinned[0]: not an edge"),
    ("pin unknown id", with_(("pinned", 0), {"mentor": "赵敏", "mentee": "小红"}), "pinned[0]"),
    ("mentee pinned twice", with_(("pinned",), [{"mentor": "王秀英", "mentee": "小芳"},
                                                {"mentor": "李娟", "mentee": "小芳"}]),
     "pinned[1]: mentee '小芳' pinned twice"),
    ("pin over capacity", with_(("pinned",), [{"mentor": "李娟", "mentee": "小芳"},
                                              {"mentor": "李娟", "mentee": "小兰"}]),
     "pinned[1]: exceeds capacity of mentor '李娟'"),
    ("pins over max_pairs", with_(("max_pairs",), 0), "指定配对 1 对超过 max_pairs = 0"),
    ("pinned not array", with_(("pinned",), {"mentor": "a"}), "pinned: expected an array"),
    ("max_pairs float", with_(("max_pairs",), 3.0), "max_pairs: expected a non-negative"),
    ("max_pairs negative", with_(("max_pairs",), -1), "max_pairs 不是非负整数"),
    ("max_pairs bool", with_(("max_pairs",), True), "max_pairs"),
]


@pytest.mark.parametrize(("doc", "needle"), [(d, n) for _, d, n in BAD],
                         ids=[name for name, _, _ in BAD])
def test_bad_input_names_the_item(doc, needle):
    text = doc if isinstance(doc, str) else json.dumps(doc, ensure_ascii=False)
    with pytest.raises(InputError) as info:
        solve_json_text(text)
    message = str(info.value)
    assert needle in message
    assert "\n" not in message
    assert isinstance(info.value, ValueError)


def test_deep_nesting_is_an_input_error():
    with pytest.raises(InputError, match="nested too deeply"):
        solve_json_text("[" * 100_000 + "]" * 100_000)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False)
    | st.sampled_from(["王秀英", "小红", "a", ""]),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["id", "capacity", "mentor", "mentee", "score"]),
                      inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(
    key=st.sampled_from(["mentors", "mentees", "edges", "pinned", "max_pairs"]),
    index=st.integers(0, 4),
    value=JSON_VALUES,
)
def test_any_damage_gives_input_error_or_a_valid_result(key, index, value):
    doc = json.loads(json.dumps(GOOD))
    if isinstance(doc[key], list) and doc[key]:
        doc[key][index % len(doc[key])] = value
    else:
        doc[key] = value
    try:
        out = solve_json_text(json.dumps(doc, ensure_ascii=False))
    except InputError as e:
        assert "\n" not in str(e) and "(" in str(e)
    else:
        assert out["status"] == "optimal"
        assert out["pair_count"] == len(out["pairs"])
