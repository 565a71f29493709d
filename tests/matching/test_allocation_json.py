"""The JSON contract of ``matchmaker allocate``: good documents round-trip, every bad one is
an InputError whose single line names the offending item."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchmaker.matching.allocation_json import (
    InputError,
    allocate_json_text,
    parse_allocation_input,
)

FAST = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def doc(**overrides) -> dict:
    base = {
        "budget": "10000.00",
        "applicants": [
            {"id": "甲", "region": "许村镇", "amount": "3000.00", "priority": 0.8},
            {"id": "乙", "region": "许村镇", "amount": "5000.00", "priority": 0.9},
            {"id": "丙", "region": "城关镇", "amount": "4000.00", "priority": 0.5},
            {"id": "丁", "region": "城关镇", "amount": "2500.50", "priority": 0.3},
        ],
        "region_min": {"城关镇": 1},
        "policy": "optimal",
    }
    base.update(overrides)
    return base


def applicant(k: int, **fields) -> dict:
    item = dict(doc()["applicants"][k])
    item.update(fields)
    return item


def run(document: dict | str) -> dict:
    text = document if isinstance(document, str) else json.dumps(document, ensure_ascii=False)
    return allocate_json_text(text)


def test_good_document_exact_output():
    out = run(doc())
    # 10,000 yuan and at least one from 城关镇. Feasible sets and their priority:
    # 乙+丙 1.4 (9,000), 乙+丁 1.2 (7,500.50), 甲+丙 1.3, 甲+丁 1.1, 丙+丁 0.8,
    # 甲+丙+丁 1.6 (9,500.50) <- the optimum; 甲+乙+丁 (10,500.50) is over budget.
    assert out["funded"] == [
        {"id": "甲", "amount": "3000.00"},
        {"id": "丙", "amount": "4000.00"},
        {"id": "丁", "amount": "2500.50"},
    ]
    assert out["unfunded"][0]["id"] == "乙"
    assert out["unfunded"][0]["reason"].startswith("优先级 0.9 高于已资助的 丁（0.3）等 3 人")
    assert out["total_amount"] == "9500.50"
    assert out["total_priority"] == 1.6
    assert out["status"] == "optimal"
    assert list(out) == ["funded", "unfunded", "total_amount", "total_priority", "status"]
    json.dumps(out, ensure_ascii=False)  # serialisable as is


def test_ranked_policy_document():
    out = run(doc(policy="ranked"))
    # Phase 1: 丙 (best of 城关镇). Phase 2: 乙 (0.9, 5,000 -> 1,000 left), 甲 does not fit.
    assert [f["id"] for f in out["funded"]] == ["乙", "丙"]
    assert out["status"] == "ranked"
    reasons = {u["id"]: u["reason"] for u in out["unfunded"]}
    assert reasons["甲"] == "预算不足：排在第 2 位时剩余预算 1,000.00 元，不足以支付 3,000.00 元"


def test_defaults_and_json_numbers_for_money():
    out = run(
        {
            "budget": 0.3,
            "applicants": [
                {"id": "a", "region": "", "amount": 0.10, "priority": 1},
                {"id": "b", "region": "", "amount": "0.2", "priority": 0},
            ],
        }
    )
    assert out["funded"] == [{"id": "a", "amount": "0.10"}, {"id": "b", "amount": "0.20"}]
    assert out["total_amount"] == "0.30"
    assert out["status"] == "optimal"
    request = parse_allocation_input('{"budget": 1e3, "applicants": []}')
    assert request.budget == Decimal(1000)
    assert request.policy == "optimal"
    assert request.region_min == {}


def test_money_exactness_three_tenths():
    text = (
        '{"budget": "0.30", "applicants": ['
        '{"id": "x", "region": "r", "amount": "0.10", "priority": 0.5},'
        '{"id": "y", "region": "r", "amount": "0.20", "priority": 0.5}]}'
    )
    out = allocate_json_text(text)
    assert [f["id"] for f in out["funded"]] == ["x", "y"]
    assert out["unfunded"] == []
    assert out["total_amount"] == "0.30"


BAD = [
    ("not json", "{budget: 1}", "不是有效的 JSON", "invalid JSON"),
    ("truncated", '{"budget": "1"', "第 1 行第 15 列", "line 1 column 15"),
    ("empty text", "", "不是有效的 JSON", "invalid JSON"),
    ("array", "[]", "输入必须是 JSON 对象", "top level: expected an object"),
    ("unknown key", doc(region_mins={"许村镇": 1}), "未知字段「region_mins」", "region_mins"),
    ("duplicate key", '{"budget": "1", "budget": "2", "applicants": []}', "budget", "duplicate"),
    ("missing budget", {"applicants": []}, "缺少 budget", "budget: missing"),
    ("missing applicants", {"budget": "1"}, "缺少 applicants", "applicants: missing"),
    ("budget negative", doc(budget="-1"), "budget 不能为负数", "budget: must be >= 0"),
    ("budget 3 decimals", doc(budget="1.001"), "budget 最多两位小数", "budget: more than two"),
    ("budget number 3dp", '{"budget": 1.125, "applicants": []}', "budget 最多两位小数", "budget"),
    ("budget text", doc(budget="1,000"), "budget 不是金额", "budget: not a decimal amount"),
    ("budget exponent", doc(budget="1e3"), "budget 不是金额", "budget: not a decimal amount"),
    ("budget bool", doc(budget=True), "budget 不是金额", "got a boolean"),
    ("budget null", doc(budget=None), "budget 不是金额", "got null"),
    ("budget NaN", '{"budget": NaN, "applicants": []}', "budget 不是金额", "NaN"),
    ("budget huge", doc(budget="10000000000000"), "budget 过大", "larger than"),
    ("budget arabic digits", doc(budget="١٢"), "budget 不是金额", "not a decimal amount"),
    ("applicants object", doc(applicants={}), "applicants 必须是数组", "applicants: expected"),
    ("applicant not object", doc(applicants=[1]), "第 1 位申请人不是 JSON 对象", "applicants[0]"),
    (
        "applicant missing amount",
        doc(applicants=[{"id": "a", "region": "x", "priority": 1}]),
        "第 1 位申请人缺少 amount",
        "applicants[0].amount: missing",
    ),
    (
        "applicant unknown key",
        doc(applicants=[applicant(0, name="张三")]),
        "第 1 位申请人中有未知字段「name」",
        "applicants[0]: unknown key 'name'",
    ),
    (
        "applicant duplicate key",
        '{"budget":"1","applicants":[{"id":"a","id":"b","region":"x","amount":"1","priority":1}]}',
        "第 1 位申请人中的字段「id」重复",
        "applicants[0]: duplicate key 'id'",
    ),
    (
        "empty id",
        doc(applicants=[applicant(0), applicant(1, id=" ")]),
        "第 2 位申请人的 id 必须是非空字符串",
        "applicants[1].id",
    ),
    (
        "numeric id",
        doc(applicants=[applicant(0, id=7)]),
        "第 1 位申请人的 id 必须是非空字符串",
        "applicants[0].id: expected a non-empty string, got a number",
    ),
    (
        "duplicate id",
        doc(applicants=[applicant(0), applicant(1), applicant(2, id="甲")]),
        "第 3 位申请人的 id「甲」与第 1 位申请人重复",
        "applicants[2].id: duplicate of applicants[0].id",
    ),
    (
        "region not string",
        doc(applicants=[applicant(0, region=None)], region_min={}),
        "第 1 位申请人的 region 必须是字符串",
        "applicants[0].region",
    ),
    (
        "amount not a number",
        doc(applicants=[applicant(0), applicant(1), applicant(2, amount="abc")]),
        "第 3 位申请人的 amount 不是金额",
        "applicants[2].amount: not a decimal amount",
    ),
    (
        "amount zero",
        doc(applicants=[applicant(0, amount="0.00")], region_min={}),
        "第 1 位申请人的 amount 必须大于 0",
        "applicants[0].amount: must be > 0",
    ),
    (
        "amount negative",
        doc(applicants=[applicant(0, amount="-5")], region_min={}),
        "第 1 位申请人的 amount 必须大于 0",
        "applicants[0].amount: must be > 0",
    ),
    (
        "amount negative number",
        doc(applicants=[applicant(0, amount=-5)], region_min={}),
        "第 1 位申请人的 amount 必须大于 0",
        "applicants[0].amount: must be > 0",
    ),
    (
        "amount three decimals",
        doc(applicants=[applicant(0, amount="3000.001")], region_min={}),
        "第 1 位申请人的 amount 最多两位小数",
        "applicants[0].amount: more than two decimals",
    ),
    (
        "amount three written decimals",
        doc(applicants=[applicant(0, amount="3000.000")], region_min={}),
        "第 1 位申请人的 amount 最多两位小数",
        "applicants[0].amount",
    ),
    (
        "amount number three decimals",
        '{"budget":"1","applicants":[{"id":"a","region":"x","amount":0.125,"priority":1}]}',
        "第 1 位申请人的 amount 最多两位小数",
        "applicants[0].amount: more than two decimals",
    ),
    (
        "amount with spaces",
        doc(applicants=[applicant(0, amount=" 3000")], region_min={}),
        "第 1 位申请人的 amount 不是金额",
        "applicants[0].amount",
    ),
    (
        "priority negative",
        doc(applicants=[applicant(0, priority=-0.1)], region_min={}),
        "第 1 位申请人的 priority 不能为负数",
        "applicants[0].priority: must be >= 0",
    ),
    (
        "priority NaN",
        '{"budget":"1","applicants":[{"id":"a","region":"x","amount":"1","priority":NaN}]}',
        "第 1 位申请人的 priority 必须是有限数",
        "applicants[0].priority: NaN is not allowed",
    ),
    (
        "priority Infinity",
        '{"budget":"1","applicants":[{"id":"a","region":"x","amount":"1","priority":Infinity}]}',
        "第 1 位申请人的 priority 必须是有限数",
        "Infinity is not allowed",
    ),
    (
        "priority -Infinity",
        '{"budget":"1","applicants":[{"id":"a","region":"x","amount":"1","priority":-Infinity}]}',
        "第 1 位申请人的 priority 必须是有限数",
        "-Infinity is not allowed",
    ),
    (
        "priority overflow",
        '{"budget":"1","applicants":[{"id":"a","region":"x","amount":"1","priority":1e400}]}',
        "第 1 位申请人的 priority 过大",
        "applicants[0].priority: too large",
    ),
    (
        "priority bool",
        doc(applicants=[applicant(0, priority=True)], region_min={}),
        "第 1 位申请人的 priority 必须是数字",
        "got a boolean",
    ),
    (
        "priority string",
        doc(applicants=[applicant(0, priority="0.8")], region_min={}),
        "第 1 位申请人的 priority 必须是数字",
        "got a string",
    ),
    ("policy unknown", doc(policy="greedy"), "未知的 policy「greedy」", "policy: unknown 'greedy'"),
    ("policy null", doc(policy=None), "未知的 policy「null」", "policy: unknown 'null'"),
    ("region_min list", doc(region_min=[]), "region_min 必须是 JSON 对象", "region_min"),
    (
        "region_min unknown region",
        doc(region_min={"新河乡": 1}),
        "region_min 中的地区「新河乡」没有任何申请人",
        'region_min["新河乡"]: no applicant in this region',
    ),
    (
        "region_min unknown region zero",
        doc(region_min={"新河乡": 0}),
        "region_min 中的地区「新河乡」没有任何申请人",
        'region_min["新河乡"]',
    ),
    (
        "region_min fraction",
        doc(region_min={"许村镇": 1.5}),
        "region_min 中地区「许村镇」的最低名额必须是非负整数",
        'region_min["许村镇"]: expected an integer >= 0, got 1.5',
    ),
    (
        "region_min float-looking integer",
        doc(region_min={"许村镇": 2.0}),
        "的最低名额必须是非负整数",
        'region_min["许村镇"]',
    ),
    (
        "region_min negative",
        doc(region_min={"许村镇": -1}),
        "的最低名额必须是非负整数",
        "got -1",
    ),
    ("region_min string", doc(region_min={"许村镇": "2"}), "非负整数", "got a string"),
    ("region_min bool", doc(region_min={"许村镇": True}), "非负整数", "got a boolean"),
    (
        "region_min duplicate",
        '{"budget":"1","applicants":[],"region_min":{"x":1,"x":2}}',
        "region_min 中的地区「x」重复",
        "region_min: duplicate key 'x'",
    ),
    (
        "minimum above applicants",
        doc(region_min={"许村镇": 3}),
        "地区「许村镇」至少要资助 3 人，但只有 2 位申请人",
        "region '许村镇' needs 3 funded but has only 2 applicants",
    ),
    (
        "minimums above budget",
        doc(budget="5000", region_min={"许村镇": 1, "城关镇": 1}),
        "无法满足地区最低名额：各地区最低名额最少需要 5,500.50 元，超过预算 5,000.00 元",
        "meeting every region_min costs at least 5,500.50 yuan",
    ),
    (
        "one region above budget",
        doc(budget="6000", region_min={"许村镇": 2}),
        "地区「许村镇」至少要资助 2 人，最便宜的 2 人合计 8,000.00 元，已超过预算 6,000.00 元",
        "region '许村镇': the 2 cheapest requests cost 8,000.00 yuan",
    ),
]


@pytest.mark.parametrize(("document", "zh", "en"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_names_the_item(document, zh, en):
    text = document if isinstance(document, str) else json.dumps(document, ensure_ascii=False)
    with pytest.raises(InputError) as e:
        allocate_json_text(text)
    message = str(e.value)
    assert isinstance(e.value, ValueError)
    assert zh in message
    assert en in message
    assert "\n" not in message and "\r" not in message
    assert message.index(zh) < message.index("(")  # Chinese first, English in parentheses


def test_control_characters_and_long_ids_stay_on_one_line():
    ident = "坏\nid" + "x" * 200
    text = json.dumps(doc(applicants=[applicant(0, id=ident), applicant(1, id=ident)]))
    with pytest.raises(InputError) as e:
        allocate_json_text(text)
    message = str(e.value)
    assert "\n" not in message
    assert "\\u000a" in message
    assert len(message) < 200


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.sampled_from(["1.00", "0.5", "-1", "1.001", "NaN", "许村镇", ""]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["id", "region", "amount", "priority", "x"]), children)
    ),
    max_leaves=6,
)


@settings(FAST, max_examples=150)
@given(
    st.data(),
    st.sampled_from(
        ["budget", "policy", "region_min", "applicants", "id", "region", "amount", "priority"]
    ),
)
def test_never_a_traceback(data, field):
    """Any value in any field: either a result or an InputError, nothing else."""
    document = doc()
    value = data.draw(JSON_VALUES)
    if field in ("id", "region", "amount", "priority"):
        document["applicants"][data.draw(st.integers(0, 3))][field] = value
    else:
        document[field] = value
    try:
        out = allocate_json_text(json.dumps(document, ensure_ascii=False))
    except InputError as e:
        assert "\n" not in str(e) and " (" in str(e)
    else:
        assert set(out) == {"funded", "unfunded", "total_amount", "total_priority", "status"}


@settings(FAST, max_examples=60)
@given(st.text(max_size=40))
def test_garbage_text_is_an_input_error(text):
    try:
        allocate_json_text(text)
    except InputError:
        pass
