"""What a donor may call a girl: her alias, or else her given name (never the surname)."""

from __future__ import annotations

import re

from matchmaker.models import SpringBudProfile

# Two-character surnames (复姓); every other Chinese name has a one-character surname.
COMPOUND_SURNAMES = frozenset((
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙",
    "宇文", "司徒", "夏侯", "轩辕", "端木", "独孤", "南宫", "闻人", "西门", "百里", "呼延",
    "澹台", "公冶", "太史", "申屠", "钟离", "万俟", "第五", "左丘", "东郭", "拓跋", "赫连",
))
_LATIN = re.compile(r"^[A-Za-z]")


def given_name(full_name: str) -> str:
    """Her given name: 王小花 → 小花, 欧阳娜娜 → 娜娜, 阿依古丽·买买提 → 阿依古丽."""
    name = (full_name or "").strip()
    if "·" in name or "•" in name:
        return re.split(r"[·•]", name)[0].strip()
    if _LATIN.match(name):
        return name.split()[0]
    # 东方 and 百里 are also plain surnames 东, 百 with a given name: only in a name of four
    # characters are they taken as one surname.
    if name[:2] in COMPOUND_SURNAMES and (len(name) >= 4 or (
            len(name) == 3 and name[:2] not in ("东方", "百里"))):
        return name[2:]
    return name[1:] if len(name) >= 2 else name


def pseudonym(student: SpringBudProfile) -> str:
    """What a donor calls her: the alias the coordinator recorded, else her given name."""
    return (student.alias or "").strip() or given_name(student.person.name)
