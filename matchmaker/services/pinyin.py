"""Pinyin of names, for searching by initials (e.g. "cxy" finds 陈晓燕)."""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin

# pypinyin reads these surnames with their common reading; as a surname they differ.
SURNAME_READINGS = {
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "查": "zha", "区": "ou",
    "覃": "qin", "盖": "ge", "朴": "piao", "乐": "yue", "尉": "yu", "长": "chang",
    "繁": "po", "召": "shao", "缪": "miao", "翟": "zhai", "万俟": "moqi",
}


def name_syllables(name: str) -> list[str]:
    """Syllables of a name, with the surname read as a surname."""
    name = name.replace(" ", "").replace("·", "")
    if not name:
        return []
    for surname, reading in SURNAME_READINGS.items():
        if name.startswith(surname) and len(name) > len(surname):
            rest = lazy_pinyin(name[len(surname):], style=Style.NORMAL, errors="default")
            return [reading, *rest]
    return lazy_pinyin(name, style=Style.NORMAL, errors="default")


def name_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials), lower case, for the search columns.

    Where the surname also has a common reading (查 zha/cha), both are kept, separated by
    "|", so that a coordinator who types either finds her.
    """
    readings = [[s.lower() for s in name_syllables(name) if s]]
    compact = name.replace(" ", "").replace("·", "")
    for surname in SURNAME_READINGS:
        if compact.startswith(surname) and len(compact) > len(surname):
            common = [s.lower() for s in lazy_pinyin(compact, errors="default") if s]
            if common != readings[0]:
                readings.append(common)
            break
    full = "|".join("".join(r) for r in readings)
    initials = "|".join("".join(s[0] for s in r) for r in readings)
    return full, initials
