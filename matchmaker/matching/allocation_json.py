"""The JSON contract of ``matchmaker allocate INPUT.json [-o OUTPUT.json]`` (pure: no Flask).

Input (an object; unknown or repeated keys are refused, so a typo such as ``region_mins``
cannot silently drop the minimums)::

    {"budget": "500000.00",
     "applicants": [{"id": "A01", "region": "许村镇", "amount": "3000.00", "priority": 0.8}],
     "region_min": {"许村镇": 2},        # optional
     "policy": "optimal"}                 # optional: "optimal" (default) or "ranked"

* ``budget`` (>= 0) and each ``amount`` (> 0) are yuan with at most two decimals, at most
  10**12. Preferred form: a string of ASCII digits with an optional fraction
  (``"3000"``, ``"3000.5"``, ``"3000.50"``; no sign, exponent, spaces or separators). A
  JSON number is accepted too, read exactly as a decimal (never through a float), under the
  same rule on its written decimals: ``3000.50`` is fine, ``0.125`` and ``3000.000`` are
  refused.
* ``priority`` is a JSON number (not a string, not ``true``), finite and >= 0. ``NaN`` and
  ``Infinity`` (which Python's json module would otherwise accept) are refused, and so are
  numbers too large for a double.
* ``id`` is a non-empty string, unique; ``region`` is a string.
* ``region_min`` maps a region that has applicants to a JSON integer >= 0.

Output::

    {"funded": [{"id": "A01", "amount": "3000.00"}],          # input order
     "unfunded": [{"id": "A02", "reason": "预算不足：…"}],      # input order
     "total_amount": "3000.00", "total_priority": 0.8, "status": "optimal"}

``status`` is ``"optimal"`` (proven), ``"ranked"`` (the ranked policy) or ``"feasible"``
(optimal policy whose proof failed a check; never expected). ``total_priority`` is the
exact decimal sum of the priorities on the comparison grid (see ``allocation``), as a float.

Every refusal is an :class:`InputError` with one line naming the offending item, Chinese
first and English in parentheses, e.g.
``第 3 位申请人的 amount 不是金额 (applicants[2].amount: not a decimal amount)``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .allocation import (
    DEFAULT_EXPLAIN_TOP_K,
    MAX_YUAN,
    POLICIES,
    AllocationError,
    AllocationResult,
    Applicant,
    InfeasibleError,
    allocate,
    format_yuan,
)

__all__ = [
    "AllocationRequest",
    "InputError",
    "allocate_json_text",
    "parse_allocation_input",
    "result_to_json",
]

TOP_KEYS = ("budget", "applicants", "region_min", "policy")
APPLICANT_KEYS = ("id", "region", "amount", "priority")
_AMOUNT_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_SHOWN_CHARS = 60


class InputError(ValueError):
    """Refused input: a one-line message naming the item (Chinese, then English)."""


@dataclass(frozen=True)
class AllocationRequest:
    applicants: tuple[Applicant, ...]
    budget: Decimal
    region_min: dict[str, int]
    policy: str


class _Object(dict):
    """A JSON object that remembers the keys it saw twice."""

    def __init__(self) -> None:
        super().__init__()
        self.repeated: list[str] = []


def _object_pairs(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object()
    for key, value in pairs:
        if key in obj and key not in obj.repeated:
            obj.repeated.append(key)
        obj[key] = value
    return obj


class _NonFinite:
    """Stands in for NaN/Infinity so that the item holding it can be named."""

    def __init__(self, literal: str) -> None:
        self.literal = literal


def _show(text: str) -> str:
    """A user string fit for a one-line message: control characters escaped, long text cut."""
    text = _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def _fail(zh: str, en: str) -> InputError:
    return InputError(f"{zh} ({en})")


def _kind(value: object) -> str:
    if isinstance(value, _NonFinite):
        return value.literal
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | Decimal):
        return "a number"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _money(value: object, zh: str, en: str, *, positive: bool) -> Decimal:
    if isinstance(value, str) and _AMOUNT_TEXT.fullmatch(value):
        amount = Decimal(value)
    elif isinstance(value, int | Decimal) and not isinstance(value, bool):
        amount = Decimal(value)
    else:
        got = f"{_kind(value)} {_show(value)!r}" if isinstance(value, str) else _kind(value)
        raise _fail(f"{zh} 不是金额", f"{en}: not a decimal amount, got {got}")
    exponent = amount.as_tuple().exponent
    if not isinstance(exponent, int):  # pragma: no cover - Decimal from JSON text is finite
        raise _fail(f"{zh} 不是金额", f"{en}: not a decimal amount")
    if positive and amount <= 0:
        raise _fail(f"{zh} 必须大于 0", f"{en}: must be > 0")
    if amount < 0:
        raise _fail(f"{zh} 不能为负数", f"{en}: must be >= 0")
    if exponent < -2:
        raise _fail(f"{zh} 最多两位小数", f"{en}: more than two decimals")
    if amount > MAX_YUAN:
        raise _fail(f"{zh} 过大（上限 {MAX_YUAN:,} 元）", f"{en}: larger than 10**12 yuan")
    return amount


def _priority(value: object, zh: str, en: str) -> float:
    if isinstance(value, _NonFinite):
        raise _fail(f"{zh} 必须是有限数", f"{en}: {value.literal} is not allowed")
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise _fail(f"{zh} 必须是数字", f"{en}: expected a number, got {_kind(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise _fail(f"{zh} 过大", f"{en}: too large")
    if value < 0:
        raise _fail(f"{zh} 不能为负数", f"{en}: must be >= 0")
    return number


def _check_keys(obj: _Object, allowed: tuple[str, ...], zh: str, en: str) -> None:
    if obj.repeated:
        key = obj.repeated[0]
        raise _fail(f"{zh}中的字段「{_show(key)}」重复", f"{en}: duplicate key {_show(key)!r}")
    for key in obj:
        if key not in allowed:
            raise _fail(
                f"{zh}中有未知字段「{_show(key)}」",
                f"{en}: unknown key {_show(key)!r}; expected {', '.join(allowed)}",
            )


def _parse_json(text: str) -> object:
    try:
        return json.loads(
            text,
            parse_float=Decimal,
            parse_constant=_NonFinite,
            object_pairs_hook=_object_pairs,
        )
    except json.JSONDecodeError as e:
        raise _fail(
            f"输入不是有效的 JSON：第 {e.lineno} 行第 {e.colno} 列，{e.msg}",
            f"invalid JSON: {e.msg} at line {e.lineno} column {e.colno}",
        ) from None
    except RecursionError:
        raise _fail("输入不是有效的 JSON：嵌套过深", "invalid JSON: nested too deeply") from None
    except (ValueError, TypeError) as e:  # e.g. integers longer than Python's digit limit
        message = _show(str(e).splitlines()[0] if str(e) else type(e).__name__)
        raise _fail("输入不是有效的 JSON", f"invalid JSON: {message}") from None


def parse_allocation_input(text: str) -> AllocationRequest:
    """Validate the input document (see module docs); raises :class:`InputError`."""
    data = _parse_json(text)
    if not isinstance(data, _Object):
        raise _fail("输入必须是 JSON 对象", f"top level: expected an object, got {_kind(data)}")
    _check_keys(data, TOP_KEYS, "输入", "top level")
    for key in ("budget", "applicants"):
        if key not in data:
            raise _fail(f"缺少 {key}", f"{key}: missing")
    budget = _money(data["budget"], "budget", "budget", positive=False)

    policy = data.get("policy", "optimal")
    if not isinstance(policy, str) or policy not in POLICIES:
        shown = _show(policy) if isinstance(policy, str) else _kind(policy)
        raise _fail(
            f"未知的 policy「{shown}」，可选 optimal 或 ranked",
            f"policy: unknown {shown!r}; expected 'optimal' or 'ranked'",
        )

    raw = data["applicants"]
    if not isinstance(raw, list):
        raise _fail("applicants 必须是数组", f"applicants: expected an array, got {_kind(raw)}")
    applicants: list[Applicant] = []
    first_of: dict[str, int] = {}
    for k, item in enumerate(raw):
        zh, en = f"第 {k + 1} 位申请人", f"applicants[{k}]"
        if not isinstance(item, _Object):
            raise _fail(f"{zh}不是 JSON 对象", f"{en}: expected an object, got {_kind(item)}")
        _check_keys(item, APPLICANT_KEYS, zh, en)
        for key in APPLICANT_KEYS:
            if key not in item:
                raise _fail(f"{zh}缺少 {key}", f"{en}.{key}: missing")
        ident = item["id"]
        if not isinstance(ident, str) or not ident.strip():
            raise _fail(
                f"{zh}的 id 必须是非空字符串",
                f"{en}.id: expected a non-empty string, got {_kind(ident)}",
            )
        if ident in first_of:
            j = first_of[ident]
            raise _fail(
                f"{zh}的 id「{_show(ident)}」与第 {j + 1} 位申请人重复",
                f"{en}.id: duplicate of applicants[{j}].id",
            )
        first_of[ident] = k
        region = item["region"]
        if not isinstance(region, str):
            raise _fail(f"{zh}的 region 必须是字符串", f"{en}.region: expected a string")
        amount = _money(item["amount"], f"{zh}的 amount", f"{en}.amount", positive=True)
        priority = _priority(item["priority"], f"{zh}的 priority", f"{en}.priority")
        applicants.append(Applicant(ident, region, amount, priority))

    region_min: dict[str, int] = {}
    raw_min = data.get("region_min", _Object())
    if not isinstance(raw_min, _Object):
        raise _fail(
            "region_min 必须是 JSON 对象", f"region_min: expected an object, got {_kind(raw_min)}"
        )
    if raw_min.repeated:
        key = raw_min.repeated[0]
        raise _fail(
            f"region_min 中的地区「{_show(key)}」重复", f"region_min: duplicate key {_show(key)!r}"
        )
    regions = {a.region for a in applicants}
    for region, count in raw_min.items():
        zh = f"region_min 中地区「{_show(region)}」的最低名额"
        en = f"region_min[{json.dumps(_show(region), ensure_ascii=False)}]"
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            numeric = isinstance(count, int | Decimal) and not isinstance(count, bool)
            got = str(count) if numeric else _kind(count)
            raise _fail(f"{zh}必须是非负整数", f"{en}: expected an integer >= 0, got {got}")
        if region not in regions:
            raise _fail(
                f"region_min 中的地区「{_show(region)}」没有任何申请人",
                f"{en}: no applicant in this region",
            )
        region_min[region] = count
    return AllocationRequest(tuple(applicants), budget, region_min, policy)


def result_to_json(result: AllocationResult, applicants: tuple[Applicant, ...]) -> dict:
    """The output document for ``result`` (funded and unfunded in input order)."""
    funded = set(result.funded_ids)
    return {
        "funded": [
            {"id": a.id, "amount": format_yuan(int(a.amount.scaleb(2)), grouping=False)}
            for a in applicants
            if a.id in funded
        ],
        "unfunded": [
            {"id": a.id, "reason": result.reasons[a.id]} for a in applicants if a.id not in funded
        ],
        "total_amount": format_yuan(int(result.total_amount.scaleb(2)), grouping=False),
        "total_priority": result.total_priority,
        "status": result.status,
    }


def allocate_json_text(text: str, *, explain_top_k: int = DEFAULT_EXPLAIN_TOP_K) -> dict:
    """Parse, allocate and render; raises :class:`InputError` for any refused input."""
    request = parse_allocation_input(text)
    try:
        result = allocate(
            request.applicants,
            request.budget,
            request.region_min,
            request.policy,
            explain_top_k=explain_top_k,
        )
    except InfeasibleError as e:
        raise _fail(str(e), e.english or "region_min cannot be met") from None
    except AllocationError as e:  # already screened above; kept so that no input escapes
        raise _fail(str(e), "invalid input") from None
    return result_to_json(result, request.applicants)
