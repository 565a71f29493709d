"""Region tree for the demo data: 海宁市, its 12 towns/streets and ~70 villages/communities.

Codes follow the national statistical division code layout (统计用区划代码):
6-digit county code, 9-digit township code (0xx = street, 1xx = town) and
12-digit village code (0xx = community 社区, 2xx = village 村).

The county code and the four street codes are the real ones. The town codes follow
the official listing order (许村, 长安, 周王庙, 丁桥, 斜桥, 黄湾, 盐官, 袁花) but were not
checked against the published table. Village names are real where reasonably certain
(e.g. 周王庙镇云龙村, 许村镇茗山村, 斜桥镇路仲村, 袁花镇新伟村, 丁桥镇新仓村) and plausible
local names otherwise; their 3-digit suffixes are illustrative.
"""

from __future__ import annotations

CITY_CODE = "330481"
CITY_NAME = "海宁市"

# (town code, town name, [(3-digit suffix, village/community name), ...])
_TOWNS: list[tuple[str, str, list[tuple[str, str]]]] = [
    (
        "330481001",
        "硖石街道",
        [
            ("001", "东山社区"),
            ("002", "西山社区"),
            ("003", "南关厢社区"),
            ("004", "干河街社区"),
            ("005", "水月亭社区"),
            ("201", "联合村"),
        ],
    ),
    (
        "330481002",
        "海洲街道",
        [
            ("001", "东长社区"),
            ("002", "塘南社区"),
            ("003", "新苑社区"),
            ("004", "钱塘社区"),
            ("201", "双联村"),
            ("202", "新建村"),
        ],
    ),
    (
        "330481003",
        "海昌街道",
        [
            ("001", "狮岭社区"),
            ("002", "文苑社区"),
            ("003", "双山社区"),
            ("004", "鹃湖社区"),
            ("201", "庆丰村"),
            ("202", "红星村"),
        ],
    ),
    (
        "330481004",
        "马桥街道",
        [
            ("001", "马桥社区"),
            ("002", "洛塘社区"),
            ("201", "丰收村"),
            ("202", "永福村"),
            ("203", "联丰村"),
            ("204", "红联村"),
        ],
    ),
    (
        "330481101",
        "许村镇",
        [
            ("001", "许村社区"),
            ("002", "许巷社区"),
            ("201", "茗山村"),
            ("202", "沈士村"),
            ("203", "翁埠村"),
            ("204", "荡湾村"),
            ("205", "科同村"),
        ],
    ),
    (
        "330481102",
        "长安镇",
        [
            ("001", "长安社区"),
            ("002", "修川社区"),
            ("201", "辛江村"),
            ("202", "褚石村"),
            ("203", "天明村"),
            ("204", "兴福村"),
            ("205", "新桥村"),
        ],
    ),
    (
        "330481103",
        "周王庙镇",
        [
            ("001", "周王庙社区"),
            ("201", "云龙村"),
            ("202", "石井村"),
            ("203", "博儒桥村"),
            ("204", "荆山村"),
            ("205", "联民村"),
        ],
    ),
    (
        "330481104",
        "丁桥镇",
        [
            ("001", "丁桥社区"),
            ("201", "新仓村"),
            ("202", "诸桥村"),
            ("203", "花园村"),
            ("204", "芦湾村"),
            ("205", "永丰村"),
        ],
    ),
    (
        "330481105",
        "斜桥镇",
        [
            ("001", "斜桥社区"),
            ("201", "路仲村"),
            ("202", "祝会村"),
            ("203", "华丰村"),
            ("204", "庆云村"),
            ("205", "杨渡村"),
        ],
    ),
    (
        "330481106",
        "黄湾镇",
        [
            ("001", "黄湾社区"),
            ("201", "五丰村"),
            ("202", "尖山村"),
            ("203", "闸口村"),
            ("204", "新景村"),
        ],
    ),
    (
        "330481107",
        "盐官镇",
        [
            ("001", "盐官社区"),
            ("002", "城北社区"),
            ("201", "郭店村"),
            ("202", "桃园村"),
            ("203", "丰士村"),
            ("204", "城南村"),
            ("205", "新民村"),
        ],
    ),
    (
        "330481108",
        "袁花镇",
        [
            ("001", "袁花社区"),
            ("201", "新袁村"),
            ("202", "双丰村"),
            ("203", "谈桥村"),
            ("204", "新伟村"),
            ("205", "夹山村"),
        ],
    ),
]


def _build() -> list[dict]:
    rows: list[dict] = [
        {"code": CITY_CODE, "name": CITY_NAME, "level": "city", "parent_code": None}
    ]
    for town_code, town_name, _ in _TOWNS:
        rows.append(
            {"code": town_code, "name": town_name, "level": "town", "parent_code": CITY_CODE}
        )
    for town_code, _, villages in _TOWNS:
        for suffix, name in villages:
            rows.append(
                {
                    "code": town_code + suffix,
                    "name": name,
                    "level": "village",
                    "parent_code": town_code,
                }
            )
    return rows


# Flat list of region rows, parents before children (city, then towns, then villages).
REGIONS: list[dict] = _build()


def region_rows() -> list[dict]:
    """Return fresh copies of all region rows, ordered parents before children."""
    return [dict(row) for row in REGIONS]


def town_villages() -> dict[str, list[str]]:
    """Map each town/street name to the codes of its villages, in listing order."""
    return {
        town_name: [town_code + suffix for suffix, _ in villages]
        for town_code, town_name, villages in _TOWNS
    }
