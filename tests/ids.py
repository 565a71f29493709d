"""Valid resident ID numbers for tests, built with stdnum's check digit."""

from datetime import date

from stdnum.cn import ric


def make_id(area: str, birth: date, seq: int, *, female: bool = True) -> str:
    """An 18-character ID; the 17th digit is even for women."""
    order = (seq * 2) % 1000
    if not female:
        order += 1
    first17 = f"{area}{birth:%Y%m%d}{order:03d}"
    return first17 + ric.calc_check_digit(first17 + "0")
