"""Money: Decimal yuan in code, integer fen in the database, and nothing in between."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _

from matchmaker.services.errors import DomainError

FEN = Decimal("0.01")
MAX_YUAN = Decimal("10000000000")  # 100 亿元: far above any fund, far below BIGINT
# What a typed amount may be once spaces, commas and 元 are gone: ASCII digits, then at
# most two decimals. Decimal() alone would also take "1_000", "1e3" and other scripts'
# digits ("٣").
_AMOUNT = re.compile(r"^[0-9]+(\.[0-9]{1,2})?$")


def parse_yuan(raw: str | Decimal | int, *, field: str = "amount",
               allow_zero: bool = False) -> Decimal:
    """An amount as typed: "3000", "3,000.50", "3000元"; at most two decimals."""
    if isinstance(raw, Decimal | int) and not isinstance(raw, bool):
        value = Decimal(raw)
    else:
        text = str(raw or "").strip().replace(",", "").replace("，", "").removesuffix("元")
        text = text.strip()
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise DomainError(_("金额格式不正确，如 3000 或 3000.50"), field=field) from None
        if not _AMOUNT.match(text):
            # Refused whatever Decimal made of it; the message says why when it can.
            if value.is_finite() and (value <= 0 or value > MAX_YUAN
                                      or value != value.quantize(FEN)):
                _check(value, field=field, allow_zero=False)
            raise DomainError(_("金额格式不正确，如 3000 或 3000.50"), field=field)
    _check(value, field=field, allow_zero=allow_zero)
    return value


def _check(value: Decimal, *, field: str, allow_zero: bool) -> None:
    if not value.is_finite():
        raise DomainError(_("金额格式不正确，如 3000 或 3000.50"), field=field)
    if value < 0 or (value == 0 and not allow_zero):
        raise DomainError(_("金额必须大于 0"), field=field)
    if value > MAX_YUAN:
        raise DomainError(_("金额过大"), field=field)
    if value != value.quantize(FEN):
        raise DomainError(_("金额最多两位小数"), field=field)


def to_fen(yuan: Decimal) -> int:
    return int((yuan * 100).to_integral_exact())


def to_yuan(fen: int | None) -> Decimal:
    return (Decimal(fen or 0) / 100).quantize(FEN)


def round_fen(yuan: Decimal) -> Decimal:
    """Round a computed amount (e.g. an interest subsidy) to the fen, half up."""
    return yuan.quantize(FEN, rounding=ROUND_HALF_UP)
