from datetime import date

import pytest

from matchmaker.services.errors import DomainError
from matchmaker.services.validation import (
    clean_name,
    clean_text,
    parse_date,
    parse_id_number,
    parse_mobile,
)
from tests.ids import make_id


def test_valid_id_gives_birth_date_and_gender():
    number = make_id("330481", date(1990, 5, 17), 7)
    info = parse_id_number(number)
    assert info.number == number
    assert info.birth_date == date(1990, 5, 17)
    assert info.gender == "F"
    assert parse_id_number(make_id("330481", date(1990, 5, 17), 7, female=False)).gender == "M"


def test_id_typed_with_spaces_lowercase_x_or_fullwidth_digits():
    for seq in range(1, 60):
        number = make_id("330481", date(1992, 1, 2), seq)
        if number.endswith("X"):
            break
    assert number.endswith("X")
    assert parse_id_number(" " + number.lower() + " ").number == number
    fullwidth = number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    assert parse_id_number(fullwidth).number == number


def test_code_assigned_after_birth_is_accepted():
    # 330481 (海宁市) exists from 1989; women born earlier hold it legitimately.
    number = make_id("330481", date(1962, 8, 1), 3)
    assert parse_id_number(number).birth_date == date(1962, 8, 1)


@pytest.mark.parametrize(("raw", "message"), [
    ("330481199005171230", "校验位"),
    ("330481900517123", "15 位"),
    ("33048119900517", "18 位"),
    ("33048119900A171234", "格式"),
    ("", "18 位"),
])
def test_bad_ids_are_refused_in_chinese(raw, message):
    with pytest.raises(DomainError) as err:
        parse_id_number(raw)
    assert message in err.value.message
    assert err.value.field == "id_number"


def test_impossible_birth_date_in_id():
    first17 = "33048119850230" + "124"
    from stdnum.cn import ric

    number = first17 + ric.calc_check_digit(first17 + "0")
    with pytest.raises(DomainError) as err:
        parse_id_number(number)
    assert "出生日期" in err.value.message


def test_unknown_area_code():
    from stdnum.cn import ric

    first17 = "99999919850101" + "124"
    with pytest.raises(DomainError) as err:
        parse_id_number(first17 + ric.calc_check_digit(first17 + "0"))
    assert "地区" in err.value.message or "格式" in err.value.message


def test_future_birth_date_in_id():
    number = make_id("330481", date(2030, 1, 1), 2)
    with pytest.raises(DomainError) as err:
        parse_id_number(number, today=date(2026, 11, 29))
    assert "出生日期" in err.value.message


@pytest.mark.parametrize("raw", ["13812345678", "138 1234 5678", "+86 138-1234-5678",
                                 "008613812345678", "１３８１２３４５６７８"])
def test_mobiles(raw):
    assert parse_mobile(raw) == "13812345678"


@pytest.mark.parametrize(("raw", "message"), [
    ("0573-87654321", "固定电话"),
    ("057387654321", "固定电话"),
    ("1381234567", "11 位"),
    ("12345678901", "11 位"),
    ("138abc45678", "数字"),
])
def test_bad_mobiles(raw, message):
    with pytest.raises(DomainError) as err:
        parse_mobile(raw)
    assert message in err.value.message


@pytest.mark.parametrize("raw", ["2025-03-08", "2025/3/8", "2025年3月8日", "2025.3.8", "20250308",
                                 "2025年03月08日", " 2025-3-8 "])
def test_dates_as_people_type_them(raw):
    assert parse_date(raw) == date(2025, 3, 8)


@pytest.mark.parametrize(("raw", "message"), [
    ("2025-02-30", "不存在"), ("2025年13月1日", "不存在"), ("3/8/2025", "格式"), ("昨天", "格式"),
])
def test_bad_dates(raw, message):
    with pytest.raises(DomainError) as err:
        parse_date(raw)
    assert message in err.value.message


def test_names():
    assert clean_name("  陈  晓燕 ") == "陈 晓燕"
    assert clean_name("阿依古丽·买买提") == "阿依古丽·买买提"
    for bad, message in [("", "不能为空"), ("<script>alert(1)</script>", "只能包含"),
                         ("王" * 31, "不能超过"), ("张三1", "只能包含")]:
        with pytest.raises(DomainError) as err:
            clean_name(bad)
        assert message in err.value.message


def test_free_text_refuses_markup_and_overlength():
    assert clean_text(" 茶叶种植 ", field="x", label="专长", max_length=10) == "茶叶种植"
    with pytest.raises(DomainError, match="尖括号"):
        clean_text("<b>x</b>", field="x", label="专长", max_length=10)
    with pytest.raises(DomainError, match="不能超过 3 个字"):
        clean_text("茶叶种植", field="x", label="专长", max_length=3)
    with pytest.raises(DomainError, match="专长不能为空"):
        clean_text(" ", field="x", label="专长", max_length=3, required=True)
