"""Plausible mobiles and identity numbers for generated people (the demo county and the
load benchmark), each unique within the set the caller keeps.

Identity numbers pass `stdnum.cn.ric.validate`. That validator checks the 6-digit area
code against the birth *year*, and its table has 海宁 under four historical codes:
332124 (海宁县, up to 1983), 330423 (海宁县, 1983-1986), 339002 (海宁市, 1986-1989) and
330481 (海宁市, from 1989). People are given the code that validates for their birth
year. 330421 is 嘉善县 in that table, not 海宁.
"""

from __future__ import annotations

import random
from datetime import date

from stdnum.cn import ric

from matchmaker.demo.vocabulary import MOBILE_PREFIXES


def unique_mobile(rng: random.Random, used: set[str]) -> str:
    """A plausible mainland mobile not in ``used`` (which it joins)."""
    while True:
        number = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        if number not in used:
            used.add(number)
            return number


def _area_code(birth_year: int) -> str:
    """Haining county code that stdnum's ric table accepts for this birth year."""
    if birth_year >= 1989:
        return "330481"  # 海宁市
    if birth_year >= 1986:
        return "339002"  # 海宁市 (province-administered code, 1986-1989)
    if birth_year >= 1983:
        return "330423"  # 海宁县 under 嘉兴市
    return "332124"  # 海宁县 under 嘉兴地区


def unique_id_number(rng: random.Random, used: set[str], gender: str, birth: date,
                     tries: int | None = None) -> str | None:
    """A valid 海宁 ID number for this birth date and gender, not in ``used`` (which it
    joins); None after ``tries`` numbers that were taken (None: try until one is free)."""
    n = 0
    while tries is None or n < tries:
        n += 1
        seq = rng.randrange(500) * 2 + (1 if gender == "M" else 0)
        first17 = f"{_area_code(birth.year)}{birth:%Y%m%d}{seq:03d}"
        number = first17 + ric.calc_check_digit(first17 + "0")
        if number not in used:
            used.add(number)
            return number
    return None
