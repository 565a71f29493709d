"""JSON contract of ``matchmaker solve INPUT.json [-o OUTPUT.json]`` (the pure part).

Input::

    {"mentors": [{"id": "…", "capacity": 2}], "mentees": [{"id": "…"}],
     "edges": [{"mentor": "…", "mentee": "…", "score": 0.83}],
     "pinned": [{"mentor": "…", "mentee": "…"}], "max_pairs": 100}

``pinned`` and ``max_pairs`` are optional (``null`` = absent). Ids are non-empty strings
(Chinese allowed). ``capacity`` and ``max_pairs`` must be JSON integers >= 0: ``2.0``,
``true`` and strings are rejected. ``score`` is any finite JSON number (int or float)
with magnitude at most 1e100 (so the total stays a finite, valid JSON number); booleans,
strings, ``NaN`` and ``Infinity`` (also ``1e999``, which Python reads as infinity) are
rejected. Unknown top-level keys are rejected
(a typo such as ``max_pair`` must not be silently ignored); extra keys inside items are
allowed and ignored.

Output::

    {"pairs": [{"mentor": "…", "mentee": "…", "score": 0.83}], "pair_count": N,
     "total_score": S, "unmatched_mentees": ["…"], "status": "optimal"}

Pairs are ordered by mentor input order, then mentee input order; ``score`` echoes the
input number; ``total_score`` is ``round(sum, 9)``.

Every problem raises :class:`InputError` with a one-line message, Chinese first, then the
English path in parentheses, e.g. ``第 3 条边的 score 不是有限数字 (edges[2].score: not a
finite number)``.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from .solver import solve_arrays

TOP_LEVEL_KEYS = {"mentors", "mentees", "edges", "pinned", "max_pairs"}
MAX_ABS_SCORE = 1e100  # keeps total_score finite (valid JSON) for any realistic edge count


class InputError(ValueError):
    """Invalid solver input; the message is one line naming the offending item."""


def _fail(zh: str, en: str) -> InputError:
    return InputError(f"{zh} ({en})")


def _nonfinite_constant(name: str) -> float:
    """Read NaN/Infinity as floats, so that the check of the item holding one names it
    ("edges[2].score: not a finite number") instead of failing the whole parse."""
    return float(name)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _fail(f"对象中字段 {key} 重复", f"{key}: duplicate key in an object")
        out[key] = value
    return out


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _items(data: dict[str, Any], key: str, zh: str, required: bool = True) -> list[Any]:
    if key not in data or data[key] is None:
        if required:
            raise _fail(f"缺少字段 {key}", f"{key}: missing key")
        return []
    value = data[key]
    if not isinstance(value, list):
        raise _fail(f"{zh}（{key}）必须是数组", f"{key}: expected an array")
    for k, item in enumerate(value):
        if not isinstance(item, dict):
            raise _fail(f"第 {k + 1} 个{zh}必须是对象", f"{key}[{k}]: expected an object")
    return value


def _text(item: dict[str, Any], field: str, path: str, zh: str) -> str:
    if field not in item:
        raise _fail(f"{zh}缺少 {field}", f"{path}.{field}: missing key")
    value = item[field]
    if not isinstance(value, str) or not value:
        raise _fail(
            f"{zh}的 {field} 必须是非空字符串", f"{path}.{field}: expected a non-empty string"
        )
    return value


def _score(item: dict[str, Any], k: int) -> float:
    path, zh = f"edges[{k}].score", f"第 {k + 1} 条边的 score"
    if "score" not in item:
        raise _fail(f"第 {k + 1} 条边缺少 score", f"{path}: missing key")
    value = item["score"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(f"{zh} 不是数字", f"{path}: not a number")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise _fail(f"{zh} 不是有限数字", f"{path}: not a finite number")
    if abs(number) > MAX_ABS_SCORE:
        raise _fail(f"{zh} 的绝对值超过 1e100", f"{path}: magnitude above 1e100")
    return number


def parse_problem(text: str) -> dict[str, Any]:
    """Parse and validate; return indices ready for the solver (raises InputError)."""
    if not isinstance(text, str):
        raise _fail("输入必须是文本", "input: expected text")
    try:
        data = json.loads(
            text.removeprefix("\ufeff"),
            parse_constant=_nonfinite_constant,
            object_pairs_hook=_unique_keys,
        )
    except json.JSONDecodeError as e:
        raise _fail(
            f"JSON 格式错误：第 {e.lineno} 行第 {e.colno} 列", f"malformed JSON: {e.msg}"
        ) from None
    except RecursionError:
        raise _fail("JSON 嵌套过深", "malformed JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise _fail("输入必须是 JSON 对象", "top level: expected an object")
    unknown = sorted(set(data) - TOP_LEVEL_KEYS)
    if unknown:
        raise _fail(f"未知字段 {unknown[0]}", f"{unknown[0]}: unknown key")

    mentor_pos: dict[str, int] = {}
    capacities: list[int] = []
    for k, item in enumerate(_items(data, "mentors", "导师")):
        mid = _text(item, "id", f"mentors[{k}]", f"第 {k + 1} 位导师")
        if mid in mentor_pos:
            raise _fail(f"导师 id 重复：{mid}", f"mentors[{k}].id: duplicate id {mid!r}")
        if "capacity" not in item:
            raise _fail(f"第 {k + 1} 位导师缺少 capacity", f"mentors[{k}].capacity: missing key")
        cap = item["capacity"]
        if not _is_int(cap) or cap < 0:
            raise _fail(
                f"导师 {mid} 的 capacity 不是非负整数",
                f"mentors[{k}].capacity: expected a non-negative integer",
            )
        mentor_pos[mid] = k
        capacities.append(cap)

    mentee_pos: dict[str, int] = {}
    mentee_ids: list[str] = []
    for k, item in enumerate(_items(data, "mentees", "学员")):
        eid = _text(item, "id", f"mentees[{k}]", f"第 {k + 1} 位学员")
        if eid in mentee_pos:
            raise _fail(f"学员 id 重复：{eid}", f"mentees[{k}].id: duplicate id {eid!r}")
        mentee_pos[eid] = k
        mentee_ids.append(eid)

    edge_pos: dict[tuple[int, int], int] = {}
    em: list[int] = []
    ee: list[int] = []
    scores: list[float] = []
    raw_scores: list[int | float] = []
    for k, item in enumerate(_items(data, "edges", "边")):
        zh = f"第 {k + 1} 条边"
        m = _text(item, "mentor", f"edges[{k}]", zh)
        e = _text(item, "mentee", f"edges[{k}]", zh)
        if m not in mentor_pos:
            raise _fail(f"{zh}的导师 {m} 不存在", f"edges[{k}].mentor: unknown mentor {m!r}")
        if e not in mentee_pos:
            raise _fail(f"{zh}的学员 {e} 不存在", f"edges[{k}].mentee: unknown mentee {e!r}")
        pair = (mentor_pos[m], mentee_pos[e])
        if pair in edge_pos:
            raise _fail(
                f"{zh}与第 {edge_pos[pair] + 1} 条边重复（{m} — {e}）",
                f"edges[{k}]: duplicate of edges[{edge_pos[pair]}]",
            )
        scores.append(_score(item, k))
        raw_scores.append(item["score"])
        edge_pos[pair] = k
        em.append(pair[0])
        ee.append(pair[1])

    max_pairs = data.get("max_pairs")
    if max_pairs is not None and (not _is_int(max_pairs) or max_pairs < 0):
        raise _fail("max_pairs 不是非负整数", "max_pairs: expected a non-negative integer")

    pins: list[int] = []
    pinned_mentee: dict[int, int] = {}
    load = [0] * len(capacities)
    for k, item in enumerate(_items(data, "pinned", "指定配对", required=False)):
        zh = f"第 {k + 1} 个指定配对"
        m = _text(item, "mentor", f"pinned[{k}]", zh)
        e = _text(item, "mentee", f"pinned[{k}]", zh)
        pair = (mentor_pos.get(m, -1), mentee_pos.get(e, -1))
        if pair not in edge_pos:
            raise _fail(f"{zh}（{m} — {e}）不是候选边", f"pinned[{k}]: not an edge")
        if pair[1] in pinned_mentee:
            raise _fail(
                f"学员 {e} 被重复指定（第 {pinned_mentee[pair[1]] + 1} 与第 {k + 1} 个）",
                f"pinned[{k}]: mentee {e!r} pinned twice",
            )
        pinned_mentee[pair[1]] = k
        load[pair[0]] += 1
        if load[pair[0]] > capacities[pair[0]]:
            raise _fail(
                f"导师 {m} 的指定配对超过其名额 {capacities[pair[0]]}",
                f"pinned[{k}]: exceeds capacity of mentor {m!r}",
            )
        pins.append(edge_pos[pair])
    if max_pairs is not None and len(pins) > max_pairs:
        raise _fail(
            f"指定配对 {len(pins)} 对超过 max_pairs = {max_pairs}",
            "pinned: more pins than max_pairs",
        )
    mentor_ids = [""] * len(mentor_pos)
    for mid, k in mentor_pos.items():
        mentor_ids[k] = mid
    return {
        "mentor_ids": mentor_ids, "capacities": capacities, "mentee_ids": mentee_ids,
        "edge_mentor": em, "edge_mentee": ee, "scores": scores, "raw_scores": raw_scores,
        "pinned": pins, "max_pairs": max_pairs,
    }


def solve_json_text(text: str) -> dict[str, Any]:
    """Parse, validate, solve; return the output dict (raises InputError on bad input)."""
    p = parse_problem(text)
    result = solve_arrays(
        p["capacities"], p["edge_mentor"], p["edge_mentee"], np.array(p["scores"], dtype=float),
        len(p["mentee_ids"]), p["pinned"], p["max_pairs"],
    )
    em, ee = p["edge_mentor"], p["edge_mentee"]
    chosen = sorted(result.chosen.tolist(), key=lambda k: (em[k], ee[k]))
    matched = {ee[k] for k in chosen}
    return {
        "pairs": [
            {"mentor": p["mentor_ids"][em[k]], "mentee": p["mentee_ids"][ee[k]],
             "score": p["raw_scores"][k]}
            for k in chosen
        ],
        "pair_count": len(chosen),
        "total_score": round(math.fsum(p["scores"][k] for k in chosen), 9),
        "unmatched_mentees": [m for j, m in enumerate(p["mentee_ids"]) if j not in matched],
        "status": "optimal",
    }
