"""Parsing of what people type: resident ID numbers, mobiles, dates and names.

Each parser returns a clean value or raises ``DomainError`` with a Chinese message.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date

import phonenumbers
from flask_babel import gettext as _
from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import (
    InvalidComponent,
)

from matchmaker.services import clock
from matchmaker.services.errors import DomainError

_FULLWIDTH = str.maketrans("０１２３４５６７８９ｘＸ－／", "0123456789xX-/")


@dataclass(frozen=True)
class IdInfo:
    number: str
    birth_date: date
    gender: str  # "F" or "M"


@functools.lru_cache(maxsize=4096)
def _area_known(code: str) -> bool:
    """Whether the 6-digit area code was ever assigned.

    ``ric.validate`` also requires the code to have existed in the birth year, but codes
    are given when the number is issued (1985 onwards), not at birth: a woman born in 1960
    in 海宁 legitimately holds 330481…, a code from 1989. So we accept any known code.
    """
    parts = numdb.get("cn/loc").info(code)
    return any("county" in props for _, props in parts)


def parse_id_number(raw: str, *, today: date | None = None) -> IdInfo:
    """Validate an 18-character resident ID number and read birth date and gender from it."""
    value = (raw or "").strip().translate(_FULLWIDTH).replace(" ", "").upper()
    if len(value) == 15 and value.isdigit():
        raise DomainError(_("这是 15 位旧身份证号，请填写 18 位居民身份证号码"), field="id_number")
    if len(value) != 18:
        raise DomainError(_("身份证号码应为 18 位"), field="id_number")
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise DomainError(_("身份证号码格式不正确：前 17 位应为数字，末位为数字或 X"),
                          field="id_number")
    # What ric.validate checks, in its order, but the area code is looked up once per code
    # (the lookup is most of the cost when importing thousands of rows).
    if value[-1] != ric.calc_check_digit(value):
        raise DomainError(_("身份证号码校验位不正确，请核对"), field="id_number")
    try:
        birth = ric.get_birth_date(value)
    except (InvalidComponent, ValueError):
        raise DomainError(_("身份证号码中的出生日期不存在"), field="id_number") from None
    if not _area_known(value[:6]):
        raise DomainError(_("身份证号码中的地区代码不存在"), field="id_number")
    today = today or clock.today()
    if birth > today or birth.year < 1900:
        raise DomainError(_("身份证号码中的出生日期不合理"), field="id_number")
    gender = "M" if int(value[16]) % 2 else "F"
    return IdInfo(number=value, birth_date=birth, gender=gender)


def parse_mobile(raw: str) -> str:
    """A mainland China mobile number, returned as its 11 digits."""
    value = (raw or "").strip().translate(_FULLWIDTH)
    digits = re.sub(r"[\s\-()（）]", "", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not digits.isdigit():
        raise DomainError(_("手机号码只能包含数字"), field="mobile")
    try:
        parsed = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:
        raise DomainError(_("手机号码格式不正确"), field="mobile") from None
    kind = phonenumbers.number_type(parsed)
    if not phonenumbers.is_valid_number(parsed) or kind not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        if phonenumbers.is_valid_number(parsed):
            raise DomainError(_("这是固定电话号码，请填写 11 位手机号码"), field="mobile")
        raise DomainError(_("请填写有效的 11 位手机号码"), field="mobile")
    national = str(parsed.national_number)
    if len(national) != 11:
        raise DomainError(_("请填写有效的 11 位手机号码"), field="mobile")
    return national


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date(raw: str, *, field: str = "birth_date") -> date:
    """A date as people type it: 2025-03-08, 2025/3/8, 2025.3.8, 2025年3月8日, 20250308."""
    value = (raw or "").strip().translate(_FULLWIDTH).replace(" ", "")
    for pattern in _DATE_PATTERNS:
        m = pattern.match(value)
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                message = _("日期 %(date)s 不存在", date=raw.strip())
                raise DomainError(message, field=field) from None
    raise DomainError(_("日期格式不正确，请按 2025-03-08 或 2025年3月8日 填写"), field=field)


# Han characters, Latin letters, the middle dot of minority names, and spaces between.
_NAME = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fffA-Za-z][\u3400-\u4dbf\u4e00-\u9fffA-Za-z·• ]*$")


def clean_name(raw: str, *, field: str = "name", max_length: int = 30) -> str:
    """A person's name: letters only (Chinese or Latin, with · for minority names)."""
    value = re.sub(r"\s+", " ", (raw or "").strip())
    if not value:
        raise DomainError(_("姓名不能为空"), field=field)
    if len(value) > max_length:
        raise DomainError(_("姓名不能超过 %(n)s 个字", n=max_length), field=field)
    if not _NAME.match(value):
        raise DomainError(_("姓名只能包含汉字、字母和间隔号“·”"), field=field)
    return value


def clean_text(raw: str | None, *, field: str, label: str, max_length: int,
               required: bool = False) -> str:
    """Free text: trimmed, length-checked; markup is escaped on output, never stored raw."""
    value = (raw or "").strip()
    if required and not value:
        raise DomainError(_("%(label)s不能为空", label=label), field=field)
    if len(value) > max_length:
        raise DomainError(_("%(label)s不能超过 %(n)s 个字", label=label, n=max_length), field=field)
    if "<" in value or ">" in value:
        raise DomainError(_("%(label)s不能包含尖括号 < >", label=label), field=field)
    return value


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))

